"""JPEG XL codestream header reader for the pixels extension, without an imaging library.

The grammar only needs the image size declared by a JPEG XL codestream (ISO/IEC
18181-1, SizeHeader) to check it against the record. AIGIF stores the bare
codestream (signature FF 0A), never the ISOBMFF container: one layout per payload.
"""
from __future__ import annotations

JXL_SIGNATURE = b"\xff\x0a"
JXL_CONTAINER_SIGNATURE = b"\x00\x00\x00\x0cJXL \r\n\x87\n"
MIN_JXL_BYTES = 12  # signature + the longest SizeHeader (68 bits) fits in 11 bytes

# SizeHeader's U32(Bits(9), Bits(13), Bits(18), Bits(30)) distribution and ratio table.
_U32_BITS = (9, 13, 18, 30)
_RATIOS = {1: (1, 1), 2: (12, 10), 3: (4, 3), 4: (3, 2), 5: (16, 9), 6: (5, 4), 7: (2, 1)}


class _Bits:
    """Least-significant-bit-first reader, as JPEG XL headers are written."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def read(self, count: int) -> int:
        value = 0
        for i in range(count):
            byte = self.data[self.pos >> 3]
            value |= (byte >> (self.pos & 7) & 1) << i
            self.pos += 1
        return value

    def dimension(self, small: bool) -> int:
        if small:
            return (self.read(5) + 1) * 8
        return self.read(_U32_BITS[self.read(2)]) + 1


def jxl_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from a JPEG XL codestream's SizeHeader, or None if data is not one."""
    if len(data) < MIN_JXL_BYTES or data[:2] != JXL_SIGNATURE:
        return None
    bits = _Bits(data[2:])
    small = bool(bits.read(1))
    height = bits.dimension(small)
    ratio = bits.read(3)
    if ratio == 0:
        width = bits.dimension(small)
    else:
        numerator, denominator = _RATIOS[ratio]
        width = height * numerator // denominator
    return width, height
