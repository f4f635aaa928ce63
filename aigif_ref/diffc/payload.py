"""The DiffC pixel payload (pixel compressor `diffc`, spec/diffc.md section 5): parse and build, bounded.

    byte     version (1)
    uvarint  profile code (registry `diffc_profiles`)
    uvarint  coded steps k, 1 <= k <= the profile's timestep count
    bytes    the index stream (entropy.py): per coded step its chunk count, then its chunk indices

Everything is checked against the profile and the record's size before anything is allocated: a step
has at most as many chunks as the latent has elements.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from aigif_ref.diffc import entropy
from aigif_ref.diffc.profile import Profile, get_profile
from aigif_ref.errors import AigifError
from aigif_ref.grammar.primitives import encode_uvarint, read_uvarint
from aigif_ref.registry import Registry

PAYLOAD_VERSION = 1


@dataclass(frozen=True)
class DiffcPayload:
    profile: int
    indices: tuple[tuple[int, ...], ...]  # per coded step, per chunk

    @property
    def steps(self) -> int:
        return len(self.indices)


def build_payload(payload: DiffcPayload) -> bytes:
    return (bytes([PAYLOAD_VERSION]) + encode_uvarint(payload.profile) + encode_uvarint(payload.steps)
            + entropy.encode_indices([list(step) for step in payload.indices]))


def parse_payload(data: bytes, height: int, width: int, model_id: int | None, registry: Registry) -> tuple[DiffcPayload, Profile]:
    """The payload and its profile; AIGIF_E_DIFFC / AIGIF_E_DIFFC_PROFILE on anything wrong."""
    if not data:
        raise AigifError("AIGIF_E_DIFFC", "DiffC payload is empty")
    if data[0] != PAYLOAD_VERSION:
        raise AigifError("AIGIF_E_DIFFC", f"DiffC payload version {data[0]} is not supported (this reader knows {PAYLOAD_VERSION})")
    stream = io.BytesIO(data[1:])
    try:
        code = read_uvarint(stream, "DiffC profile")
        steps = read_uvarint(stream, "DiffC coded steps")
    except AigifError as exc:
        raise AigifError("AIGIF_E_DIFFC", f"DiffC payload header: {exc.message}") from None
    profile = get_profile(code, registry, model_id)
    if not 1 <= steps <= len(profile.timesteps):
        raise AigifError("AIGIF_E_DIFFC", f"DiffC payload codes {steps} steps; profile {profile.name} has 1..{len(profile.timesteps)}")
    channels, rows, cols = profile.latent_shape(height, width)
    indices = entropy.decode_indices(data[1 + stream.tell():], steps, max_chunks=channels * rows * cols)
    return DiffcPayload(code, tuple(tuple(step) for step in indices)), profile
