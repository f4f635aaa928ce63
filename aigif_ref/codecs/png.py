"""Minimal PNG support for the pixels extension, without an imaging library.

The reader only needs a PNG's declared size (to check it against the record);
the writer makes small deterministic RGB8 PNGs for vectors, docs and tests. Its
IDAT uses stored (uncompressed) deflate blocks, so the bytes do not depend on
the zlib version.
"""
from __future__ import annotations

import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_STORED_BLOCK = 0xFFFF  # largest stored deflate block


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR, or None if data does not start like a PNG."""
    if len(data) < 24 or data[:8] != PNG_SIGNATURE or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def encode_png_rgb8(width: int, height: int, rgb: bytes) -> bytes:
    """An 8-bit RGB PNG of `rgb` (row-major, height * width * 3 bytes), filter 0, stored deflate."""
    if len(rgb) != width * height * 3:
        raise ValueError(f"{len(rgb)} bytes of RGB for {width}x{height}")
    stride = width * 3
    raw = b"".join(b"\x00" + rgb[y * stride:(y + 1) * stride] for y in range(height))
    blocks = [raw[i:i + _STORED_BLOCK] for i in range(0, len(raw), _STORED_BLOCK)] or [b""]
    deflate = b"".join(
        bytes([i == len(blocks) - 1]) + struct.pack("<HH", len(b), len(b) ^ 0xFFFF) + b
        for i, b in enumerate(blocks)
    )
    idat = b"\x78\x01" + deflate + struct.pack(">I", zlib.adler32(raw))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return PNG_SIGNATURE + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
