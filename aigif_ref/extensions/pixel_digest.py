"""Type 3, pixel digest: a digest of the original pixels, so a file can prove its own regeneration."""
from __future__ import annotations

from typing import Any, ClassVar

from aigif_ref.errors import AigifError
from aigif_ref.extensions.base import CodedPayload
from aigif_ref.grammar.versions import V1_0


class PixelDigest(CodedPayload):
    """Body: digest algorithm (exp code; 0 = sha256-rgb8-luma8x8), then the algorithm's fixed-size digest:
    SHA-256 of the RGB8 buffer (32 bytes) and an 8x8 mean-luma signature (64 bytes). How both are
    computed is in spec/bitstream.md.
    """

    code = 3
    name = "pixel_digest"
    since = V1_0  # defined by 1.0
    code_field = "digest_algorithm"
    enums = {"digest_algorithm": "digest_algorithms"}
    summary = "digest algorithm (exp code), then the digest of the original pixels"
    json_form = {"digest_algorithm": "registry code of `digest_algorithms` (a name on input)",
                 "data": "base64 of the digest bytes after the algorithm code"}
    ksy_fields = {"digest_algorithm": "algorithm", "data": "_raw_digest"}
    DIGEST_BYTES: ClassVar[dict[int, int]] = {0: 96}

    @classmethod
    def check(cls, algorithm: int, data: bytes, context: Any) -> None:
        expected = cls.DIGEST_BYTES.get(algorithm)
        if expected is None:
            raise AigifError("AIGIF_E_UNKNOWN_CODE", f"digest algorithm {algorithm} is not known")
        if len(data) != expected:
            raise AigifError("AIGIF_E_EXTENSION", f"pixel digest: {len(data)} bytes, algorithm {algorithm} has {expected}")
