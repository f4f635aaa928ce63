"""The DiffC pixel payload (pixel compressor `diffc`, spec/diffc.md section 5): parse and build, bounded.

    byte     version (1 or 2: the profile's payload_version)
    uvarint  profile code (registry `diffc_profiles`)
    uvarint  coded steps k, 1 <= k <= the profile's timestep count     (version 1 only)
    bytes    the index stream (entropy.py): version 1 per coded step its chunk count, then its chunk
             indices; version 2 the step count first, chunk counts against the profile's expected ones

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
PAYLOAD_VERSIONS = (1, 2)  # 2: no steps field; the step count, chunk counts and indices in one stream (3.5)


@dataclass(frozen=True)
class DiffcPayload:
    profile: int
    indices: tuple[tuple[int, ...], ...]  # per coded step, per chunk

    @property
    def steps(self) -> int:
        return len(self.indices)


def build_payload(payload: DiffcPayload, registry: Registry | None = None) -> bytes:
    """The payload in the layout its profile names (version 1 or 2)."""
    profile = get_profile(payload.profile, registry)
    steps = [list(step) for step in payload.indices]
    if profile.payload_version == 2:
        return bytes([2]) + encode_uvarint(payload.profile) + entropy.encode_stream_v2(steps, profile.stream_tables())
    return (bytes([PAYLOAD_VERSION]) + encode_uvarint(payload.profile) + encode_uvarint(payload.steps)
            + entropy.encode_indices(steps))


def parse_payload(data: bytes, height: int, width: int, model_id: int | None, registry: Registry) -> tuple[DiffcPayload, Profile]:
    """The payload and its profile; AIGIF_E_DIFFC / AIGIF_E_DIFFC_PROFILE on anything wrong."""
    if not data:
        raise AigifError("AIGIF_E_DIFFC", "DiffC payload is empty")
    version = data[0]
    if version not in PAYLOAD_VERSIONS:
        raise AigifError("AIGIF_E_DIFFC", f"DiffC payload version {version} is not supported (this reader knows "
                                          f"{', '.join(map(str, PAYLOAD_VERSIONS))})")
    stream = io.BytesIO(data[1:])
    try:
        code = read_uvarint(stream, "DiffC profile")
        steps = read_uvarint(stream, "DiffC coded steps") if version == 1 else 0
    except AigifError as exc:
        raise AigifError("AIGIF_E_DIFFC", f"DiffC payload header: {exc.message}") from None
    profile = get_profile(code, registry, model_id)
    if profile.payload_version != version:
        raise AigifError("AIGIF_E_DIFFC", f"DiffC profile {profile.name} uses payload version "
                                                  f"{profile.payload_version}; the payload is version {version}")
    channels, rows, cols = profile.latent_shape(height, width)
    if version == 2:
        indices = entropy.decode_stream_v2(data[1 + stream.tell():], profile.stream_tables(), channels * rows * cols)
        return DiffcPayload(code, tuple(tuple(step) for step in indices)), profile
    if not 1 <= steps <= len(profile.timesteps):
        raise AigifError("AIGIF_E_DIFFC", f"DiffC payload codes {steps} steps; profile {profile.name} has 1..{len(profile.timesteps)}")
    indices = entropy.decode_indices(data[1 + stream.tell():], steps, max_chunks=channels * rows * cols)
    return DiffcPayload(code, tuple(tuple(step) for step in indices)), profile
