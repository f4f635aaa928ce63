"""Syntax cases of the pixel compressor `diffc` (spec/diffc.md): a valid DiffC payload and bad ones.

A reader checks a DiffC payload without the model: version, a profile bound to the record's model, the
coded step count, and an index stream that decodes canonically within the latent the record's size
implies. The payloads are built by aigif_ref.diffc.payload from fixed indices.
"""
from __future__ import annotations

from aigif_ref.diffc import entropy
from aigif_ref.diffc.payload import PAYLOAD_VERSION, PAYLOAD_VERSIONS, DiffcPayload, build_payload
from aigif_ref.diffc.profile import profiles
from aigif_ref.grammar.primitives import encode_exp_code, encode_uvarint
from vectors.syntax_gen.cases import record_of
from vectors.syntax_gen.payloads import b64

FEATURES = ["extension", "pixels", "diffc"]
INDICES = ((5,), (100, 7))  # two coded steps: one chunk, then two


def add_cases(b) -> None:
    registry = b.registries[None]
    code = registry.enum_code("pixel_compressors", "diffc")
    profile = min(profiles(registry).values(), key=lambda p: p.code)
    size = 2 * profile.latent_downscale  # a latent of 2x2 per channel: small, and enough elements for two chunks
    payload = build_payload(DiffcPayload(profile.code, INDICES))
    b.valid("valid-pixels-diffc", f"A pixels extension holding a DiffC payload: profile {profile.name} (model "
            f"{profile.model_id}), two coded steps with chunk indices {INDICES}, a {size}x{size} image.",
            FEATURES, record_of(model_id=profile.model_id, height=size, width=size,
                                extensions=[{"type": 1, "pixel_compressor": code, "data": b64(payload)}]))
    head = encode_exp_code(code)
    stream = entropy.encode_indices([list(s) for s in INDICES])

    def bad(case_id: str, description: str, body: bytes, how: str, error: str) -> None:
        s = b.cut("valid-pixels-diffc")
        at = s.replace_sized("ext0", head + body, how)
        b.invalid(case_id, description, FEATURES, s.done(), error, at)

    unknown = max(profiles(registry)) + 1
    unknown_version = max(PAYLOAD_VERSIONS) + 1
    bad("invalid-diffc-version", f"A DiffC payload of version {unknown_version} (this spec defines versions "
        f"{', '.join(map(str, PAYLOAD_VERSIONS))}).", bytes([unknown_version]) + payload[1:],
        f"the payload with its version byte set to {unknown_version}", "AIGIF_E_DIFFC")
    bad("invalid-diffc-unknown-profile", f"A DiffC payload naming profile {unknown}, which the registry does not have.",
        bytes([PAYLOAD_VERSION]) + encode_uvarint(unknown) + encode_uvarint(len(INDICES)) + stream,
        f"the payload with profile {unknown}", "AIGIF_E_DIFFC_PROFILE")
    bad("invalid-diffc-zero-steps", "A DiffC payload that codes zero steps.",
        bytes([PAYLOAD_VERSION]) + encode_uvarint(profile.code) + encode_uvarint(0), "the payload with 0 steps, no stream",
        "AIGIF_E_DIFFC")
    bad("invalid-diffc-too-many-steps", "A DiffC payload coding one step more than its profile has.",
        bytes([PAYLOAD_VERSION]) + encode_uvarint(profile.code) + encode_uvarint(len(profile.timesteps) + 1) + stream,
        "the payload with the profile's step count + 1", "AIGIF_E_DIFFC")
    bad("invalid-diffc-trailing-byte", "A DiffC index stream followed by one more byte: the stream is not canonical.",
        payload + b"\x01", "the payload and a byte 01", "AIGIF_E_DIFFC")
    too_many = entropy.encode_indices([[0] * (profile.latent_channels * 4 + 1)])
    bad("invalid-diffc-too-many-chunks", "A DiffC step with more chunks than the latent has elements.",
        bytes([PAYLOAD_VERSION]) + encode_uvarint(profile.code) + encode_uvarint(1) + too_many,
        f"one step of {profile.latent_channels * 4 + 1} chunks for a latent of {profile.latent_channels * 4} elements",
        "AIGIF_E_DIFFC")
