"""Metadata hidden in the alpha channel's low bits ("stealth pnginfo": A1111's extension, NovelAI).

The bits are read column by column (down each column, then the next), 8 per byte, most significant
first: a 15-byte magic ("stealth_pnginfo" plain, "stealth_pngcomp" gzip), a 32-bit big-endian length
in bits, then the data. A1111 hides its infotext; NovelAI a JSON object of its PNG text chunks.
Everything is bounded by the image's own size; the gzip stream by MAX_TEXT bytes.
"""
from __future__ import annotations

import zlib
from typing import Any

from aigif_ref.errors import AigifError

MAGICS = {b"stealth_pnginfo": False, b"stealth_pngcomp": True}  # magic -> gzip-compressed
MAGIC_BYTES = 15
MAX_TEXT = 8 * 1024 * 1024


def read_alpha(rgba: Any) -> str | None:
    """The hidden text of an RGBA uint8 array, or None when its alpha bits hold no stealth magic."""
    import numpy as np

    if rgba.ndim != 3 or rgba.shape[2] != 4:
        return None
    bits = (rgba[:, :, 3] & 1).T.reshape(-1)  # column-major, as the writers lay them out
    if bits.size < 8 * (MAGIC_BYTES + 4):
        return None
    head = np.packbits(bits[: 8 * (MAGIC_BYTES + 4)]).tobytes()
    compressed = MAGICS.get(head[:MAGIC_BYTES])
    if compressed is None:
        return None
    length = int.from_bytes(head[MAGIC_BYTES:], "big")
    start = 8 * (MAGIC_BYTES + 4)
    if length % 8 or start + length > bits.size:
        raise AigifError("AIGIF_E_IMPORT", "hidden alpha-channel metadata declares more bits than the image holds "
                                           "(damaged or cropped image)")
    data = np.packbits(bits[start:start + length]).tobytes()
    if compressed:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip
        try:
            data = inflater.decompress(data, MAX_TEXT)
        except zlib.error:
            raise AigifError("AIGIF_E_IMPORT", "hidden alpha-channel metadata does not decompress (damaged gzip stream)") from None
        if inflater.unconsumed_tail:
            raise AigifError("AIGIF_E_LIMIT", f"hidden alpha-channel metadata decompresses beyond {MAX_TEXT} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise AigifError("AIGIF_E_IMPORT", "hidden alpha-channel metadata is not UTF-8 text") from None


def write_alpha(rgba: Any, text: str, compressed: bool = True) -> Any:
    """``rgba`` with ``text`` hidden in its alpha bits (for tests and round trips), as the writers do it."""
    import gzip

    import numpy as np

    data = gzip.compress(text.encode("utf-8"), mtime=0) if compressed else text.encode("utf-8")
    magic = next(m for m, c in MAGICS.items() if c == compressed)
    payload = magic + (8 * len(data)).to_bytes(4, "big") + data
    bits = np.unpackbits(np.frombuffer(payload, dtype=np.uint8))
    height, width = rgba.shape[:2]
    if bits.size > height * width:
        raise ValueError("image too small for the text")
    alpha = rgba[:, :, 3].T.reshape(-1).copy()
    alpha[: bits.size] = (alpha[: bits.size] & 0xFE) | bits
    out = rgba.copy()
    out[:, :, 3] = alpha.reshape(width, height).T
    return out
