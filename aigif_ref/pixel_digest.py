"""The pixel digest extension (type 3): a file that proves its own regeneration.

Algorithm 0, sha256-rgb8-luma8x8 (spec/bitstream.md, 9.3): SHA-256 of the RGB8
buffer, then an 8x8 grid of block mean lumas in integer arithmetic, so every
implementation computes the same 96 bytes. The SHA-256 answers "bit-exact?";
the signature says how far off a regeneration that is not bit-exact is, without
storing the pixels.
"""
from __future__ import annotations

import base64
import hashlib
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from aigif_ref.errors import AigifError
from aigif_ref.record import find_extension

if TYPE_CHECKING:
    import numpy as np

DIGEST_EXTENSION_TYPE = 3
ALGORITHM_SHA256_LUMA8X8 = 0
GRID = 8
LUMA_WEIGHTS = (77, 150, 29)  # BT.601 luma in 1/256ths; they sum to 256
CLOSE_MAX_SIGNATURE_ERROR = 2  # block means within 2/255: a regeneration on another platform

Status = Literal["bit-exact", "close", "mismatch", "no-digest"]


def _as_rgb8(rgb: "np.ndarray") -> "np.ndarray":
    import numpy as np

    array = np.ascontiguousarray(rgb)
    if array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3:
        raise AigifError("AIGIF_E_RECORD", f"pixels must be uint8 height x width x 3, not {array.dtype} {array.shape}")
    if array.shape[0] % GRID or array.shape[1] % GRID:
        raise AigifError("AIGIF_E_RECORD", f"image {array.shape[1]}x{array.shape[0]} is not a multiple of 8 in both sides")
    return array


def luma_signature(rgb: "np.ndarray") -> bytes:
    """64 bytes: for each of 8x8 equal blocks, row-major, round(mean of (77R + 150G + 29B) / 256)."""
    import numpy as np

    array = _as_rgb8(rgb).astype(np.int64)
    height, width = array.shape[:2]
    luma = array @ np.array(LUMA_WEIGHTS, dtype=np.int64)
    block_h, block_w = height // GRID, width // GRID
    sums = luma.reshape(GRID, block_h, GRID, block_w).sum(axis=(1, 3))
    n = block_h * block_w
    return bytes(((sums + 128 * n) // (256 * n)).astype(np.uint8).ravel())


def digest_bytes(rgb: "np.ndarray") -> bytes:
    """The 96-byte body of algorithm 0 (after its algorithm code)."""
    array = _as_rgb8(rgb)
    return hashlib.sha256(array.tobytes()).digest() + luma_signature(array)


def compute_digest(rgb: "np.ndarray") -> dict[str, Any]:
    """The pixel digest extension record of an image, in JSON-record form."""
    return {
        "type": DIGEST_EXTENSION_TYPE,
        "must_understand": False,
        "digest_algorithm": ALGORITHM_SHA256_LUMA8X8,
        "data": base64.b64encode(digest_bytes(rgb)).decode("ascii"),
    }


@dataclass(frozen=True)
class Verification:
    status: Status
    psnr: float | None = None  # dB; inf when identical
    psnr_basis: Literal["pixels", "signature"] | None = None
    max_signature_error: int | None = None
    message: str = ""


def psnr(a: "np.ndarray", b: "np.ndarray") -> float:
    import numpy as np

    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255.0**2 / mse)


def verify(record: dict[str, Any], rgb: "np.ndarray", original: "np.ndarray | None" = None) -> Verification:
    """Compare regenerated pixels with the record's digest (and the embedded original, if given)."""
    import numpy as np

    ext = find_extension(record, DIGEST_EXTENSION_TYPE)
    if ext is None:
        if original is None:
            return Verification("no-digest", message="the file has no pixel digest record; nothing to verify against")
        return _against_pixels(rgb, original)
    body = base64.b64decode(ext["data"])
    expected_sha, expected_signature = body[:32], np.frombuffer(body[32:], dtype=np.uint8)
    array = _as_rgb8(rgb)
    if (array.shape[0], array.shape[1]) != (record["height"], record["width"]):
        return Verification("mismatch", message=f"rendered {array.shape[1]}x{array.shape[0]}, record says "
                                                f"{record['width']}x{record['height']}")
    if hashlib.sha256(array.tobytes()).digest() == expected_sha:
        return Verification("bit-exact", psnr=math.inf, psnr_basis="pixels", max_signature_error=0,
                            message="bit-exact: SHA-256 of the pixels matches the recorded digest")
    signature = np.frombuffer(luma_signature(array), dtype=np.uint8)
    error = int(np.max(np.abs(signature.astype(np.int16) - expected_signature.astype(np.int16))))
    if original is not None:
        value, basis = psnr(array, _as_rgb8(original)), "pixels"
    else:
        value, basis = psnr(signature.reshape(GRID, GRID, 1), expected_signature.reshape(GRID, GRID, 1)), "signature"
    status: Status = "close" if error <= CLOSE_MAX_SIGNATURE_ERROR else "mismatch"
    if basis == "pixels":
        how = f"PSNR {value:.2f} dB against the embedded pixels"
    elif math.isinf(value):
        how = "the 8x8 luma signature is identical (no pixels in the file to measure a PSNR against)"
    else:
        how = f"PSNR {value:.2f} dB of the 8x8 luma signature"
    return Verification(status, psnr=value, psnr_basis=basis, max_signature_error=error,
                        message=f"{status}: not bit-exact; {how}; largest signature difference {error}/255")


def _against_pixels(rgb: "np.ndarray", original: "np.ndarray") -> Verification:
    """Verify against the file's embedded pixels when it has no digest: the same verdicts, measured on them."""
    import numpy as np

    array, expected = _as_rgb8(rgb), _as_rgb8(original)
    if array.shape != expected.shape:
        return Verification("mismatch", message=f"rendered {array.shape[1]}x{array.shape[0]}, the embedded pixels are "
                                                f"{expected.shape[1]}x{expected.shape[0]}")
    if np.array_equal(array, expected):
        return Verification("bit-exact", psnr=math.inf, psnr_basis="pixels", max_signature_error=0,
                            message="bit-exact: the pixels equal the file's embedded pixels (it has no digest)")
    signature = np.frombuffer(luma_signature(array), dtype=np.uint8).astype(np.int16)
    error = int(np.max(np.abs(signature - np.frombuffer(luma_signature(expected), dtype=np.uint8).astype(np.int16))))
    value = psnr(array, expected)
    status: Status = "close" if error <= CLOSE_MAX_SIGNATURE_ERROR else "mismatch"
    return Verification(status, psnr=value, psnr_basis="pixels", max_signature_error=error,
                        message=f"{status}: not bit-exact; PSNR {value:.2f} dB against the embedded pixels (the file has "
                                f"no digest); largest signature difference {error}/255")
