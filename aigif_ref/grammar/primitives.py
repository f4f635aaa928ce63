"""Canonical primitive encodings of AIGIF v1 as construct classes.

construct's own VarInt accepts over-long forms (b"\\x80\\x00" parses as 0), so the
canonical checks are written here explicitly; every parse raises AigifError with
a stable code and the byte offset of the offending field.
"""
from __future__ import annotations

import math
import struct
from typing import Any

from construct import Construct, SizeofError

from aigif_ref.errors import AigifError
from aigif_ref.grammar import limits

_F32 = struct.Struct("<f")


def read_exact(stream, n: int, what: str) -> bytes:
    data = stream.read(n)
    if len(data) != n:
        raise AigifError("AIGIF_E_TRUNCATED", f"data ends inside {what}", stream.tell())
    return data


# -- uvarint: unsigned LEB128, at most 10 bytes, no redundant trailing zero group --
def read_uvarint(stream, what: str) -> int:
    first = stream.read(1)
    if first and first[0] < 0x80:  # fast path: most fields fit in one byte
        return first[0]
    start = stream.tell() - len(first)
    stream.seek(start)
    value = shift = 0
    for index in range(limits.MAX_UVARINT_BYTES):
        byte = stream.read(1)
        if not byte:
            raise AigifError("AIGIF_E_TRUNCATED", f"data ends inside {what}", stream.tell())
        b = byte[0]
        value |= (b & 0x7F) << shift
        if b < 0x80:
            if b == 0 and index > 0:
                raise AigifError("AIGIF_E_NONCANONICAL", f"{what}: over-long uvarint", start)
            if value >> 64:
                raise AigifError("AIGIF_E_RANGE", f"{what}: uvarint exceeds 64 bits", start)
            return value
        shift += 7
    raise AigifError("AIGIF_E_RANGE", f"{what}: uvarint longer than 10 bytes", start)


def encode_uvarint(value: int) -> bytes:
    if value < 0 or value >> 64:
        raise AigifError("AIGIF_E_RANGE", f"uvarint {value} outside 0..2**64-1")
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


# -- exp code (paper, Sec. II.B.3): n bytes of 0xFF then a final byte 0..254 --
def read_exp_code(stream, what: str) -> int:
    first = stream.read(1)
    if first and first[0] != 0xFF:  # fast path: codes 0..254
        return first[0]
    start = stream.tell() - len(first)
    stream.seek(start)
    for count in range(limits.MAX_EXP_CODE_BYTES):
        byte = stream.read(1)
        if not byte:
            raise AigifError("AIGIF_E_TRUNCATED", f"data ends inside {what}", stream.tell())
        if byte[0] != 0xFF:
            return 255 * count + byte[0]
    raise AigifError("AIGIF_E_LIMIT", f"{what}: exp code longer than {limits.MAX_EXP_CODE_BYTES} bytes", start)


def encode_exp_code(value: int) -> bytes:
    if value < 0 or value // 255 >= limits.MAX_EXP_CODE_BYTES:
        raise AigifError("AIGIF_E_RANGE", f"exp code value {value} outside 0..{255 * (limits.MAX_EXP_CODE_BYTES - 1) + 254}")
    return b"\xff" * (value // 255) + bytes([value % 255])


# -- compact float32: uvarint u; even u -> (u/2)/4 exactly; u == 1 -> raw float32 LE --
def compact_quarters(value: float) -> int | None:
    """k if value == k/4 exactly with 0 <= k < 2**24 (and not -0.0), else None."""
    if not math.isfinite(value) or math.copysign(1.0, value) < 0:
        return None
    k = value * 4
    if k != int(k) or k >= limits.MAX_COMPACT_QUARTERS:
        return None
    return int(k)


def to_float32(value: float) -> float:
    """The float32 nearest to value (round half to even), as a Python float."""
    try:
        return _F32.unpack(_F32.pack(value))[0]
    except OverflowError:
        raise AigifError("AIGIF_E_RANGE", f"{value!r} is outside the float32 range") from None


def read_cfloat(stream, what: str) -> float:
    start = stream.tell()
    u = read_uvarint(stream, what)
    if u & 1 == 0:
        if u >> 1 >= limits.MAX_COMPACT_QUARTERS:
            raise AigifError("AIGIF_E_RANGE", f"{what}: compact float beyond 2**22", start)
        return (u >> 1) / 4
    if u != 1:
        raise AigifError("AIGIF_E_RESERVED", f"{what}: reserved float form {u}", start)
    value = _F32.unpack(read_exact(stream, 4, what))[0]
    if not math.isfinite(value):
        raise AigifError("AIGIF_E_RANGE", f"{what}: NaN or infinity", start)
    if compact_quarters(value) is not None:
        raise AigifError("AIGIF_E_NONCANONICAL", f"{what}: {value} must use the compact form", start)
    return value


def encode_cfloat(value: float) -> bytes:
    value = to_float32(float(value))
    if not math.isfinite(value):
        raise AigifError("AIGIF_E_RANGE", f"float {value!r} is NaN or infinite")
    k = compact_quarters(value)
    if k is not None:
        return encode_uvarint(k << 1)
    return b"\x01" + _F32.pack(value)


def float32_repr(value: float) -> float:
    """The canonical JSON decimal of a float32 (spec/bitstream.md 10.1), as the double that prints as it.

    A compact value k/4 is printed exactly; any other value with the fewest significant digits p
    (1..9) whose correctly rounded decimal reads back as the same float32. Both have at most 9
    significant digits, so Python's repr() of the returned double prints exactly those digits.
    """
    if not math.isfinite(value) or value == 0 or compact_quarters(value) is not None:
        return value
    for digits in range(1, 10):
        candidate = float(f"{value:.{digits - 1}e}")  # correctly rounded to `digits` significant digits
        try:
            if _F32.unpack(_F32.pack(candidate))[0] == value:
                return candidate
        except OverflowError:  # rounded past the float32 range
            continue
    return value


def read_uvarint_in(stream, what: str, lo: int, hi: int) -> int:
    value = read_uvarint(stream, what)
    if not lo <= value <= hi:
        offset = stream.tell() - len(encode_uvarint(value))
        raise AigifError("AIGIF_E_RANGE", f"{what} = {value} outside {lo}..{hi}", offset)
    return value


def read_size8(stream, what: str) -> int:
    return read_uvarint_in(stream, what, limits.MIN_SIZE_UNITS, limits.MAX_SIZE_UNITS) * limits.SIZE_UNIT


def read_flag(stream, what: str) -> bool:
    b = read_exact(stream, 1, what)[0]
    if b > 1:
        raise AigifError("AIGIF_E_RANGE", f"{what}: boolean byte {b:#04x}", stream.tell() - 1)
    return b == 1


def read_pair(stream, what: str) -> list[int]:
    return [read_uvarint(stream, what), read_uvarint(stream, what)]


def read_version(stream, what: str) -> str:
    start = stream.tell()
    parts = []
    for _ in range(3):  # each component is checked as soon as it is read (spec 11.2)
        parts.append(read_uvarint(stream, what))
        if parts[-1] > 0xFFFF:
            raise AigifError("AIGIF_E_RANGE", f"{what}: version component above 65535", start)
    return ".".join(map(str, parts))


class _Field(Construct):
    """Base for the primitives: a construct with a name used in error messages.

    Each parses through a module-level reader (`reader`, called with `reader_args`);
    `_emitparse` lets construct's compiler call that reader directly, which keeps
    the compiled grammar under the 30 us-per-file parse budget.
    """

    reader: Any = None  # staticmethod(module-level reader) in each subclass
    errors: tuple[str, ...] = ()  # AIGIF_E_* suffixes a reader can raise inside this field
    registry_errors: tuple[str, ...] = ()  # ... and the registry checks of its value

    def __init__(self, what: str = "field") -> None:
        super().__init__()
        self.what = what

    def reader_args(self) -> tuple:
        return (self.what,)

    def _parse(self, stream, context, path):
        return self.reader(stream, *self.reader_args())

    def _emitparse(self, code):
        name = self.reader.__name__
        code.append(f"from aigif_ref.grammar.primitives import {name}")
        return f"{name}(io, {', '.join(map(repr, self.reader_args()))})"

    def _sizeof(self, context, path):
        raise SizeofError("variable-length field")


class UVarint(_Field):
    errors = ("TRUNCATED", "NONCANONICAL", "RANGE")
    def __init__(self, what: str = "uvarint", min: int = 0, max: int = (1 << 64) - 1) -> None:
        super().__init__(what)
        self.min, self.max = min, max

    reader = staticmethod(read_uvarint_in)

    def reader_args(self) -> tuple:
        return (self.what, self.min, self.max)

    def _build(self, obj, stream, context, path):
        if not isinstance(obj, int) or not self.min <= obj <= self.max:
            raise AigifError("AIGIF_E_RANGE", f"{self.what} = {obj!r} outside {self.min}..{self.max}")
        stream.write(encode_uvarint(obj))
        return obj


class ExpCode(_Field):
    errors, registry_errors = ("TRUNCATED", "LIMIT"), ("UNKNOWN_CODE",)
    reader = staticmethod(read_exp_code)

    def _build(self, obj, stream, context, path):
        stream.write(encode_exp_code(obj))
        return obj


class CompactFloat(_Field):
    errors = ("TRUNCATED", "NONCANONICAL", "RANGE", "RESERVED")
    reader = staticmethod(read_cfloat)

    def _build(self, obj, stream, context, path):
        stream.write(encode_cfloat(obj))
        return obj


class Flag(_Field):
    """A boolean byte: 0x00 or 0x01."""

    reader = staticmethod(read_flag)

    def _build(self, obj, stream, context, path):
        stream.write(b"\x01" if obj else b"\x00")
        return obj


class Pair(_Field):
    """Two uvarints, e.g. SDXL's (height, width) micro-conditioning."""

    reader = staticmethod(read_pair)

    def _build(self, obj, stream, context, path):
        if not (isinstance(obj, (list, tuple)) and len(obj) == 2):
            raise AigifError("AIGIF_E_RECORD", f"{self.what} must be a list of two integers")
        stream.write(encode_uvarint(obj[0]) + encode_uvarint(obj[1]))
        return obj


class Version(_Field):
    """A software version major.minor.patch as three uvarints; JSON "2.11.0"."""

    reader = staticmethod(read_version)

    def _build(self, obj, stream, context, path):
        parts = str(obj).split(".")
        if len(parts) != 3 or not all(p.isdigit() and int(p) <= 0xFFFF for p in parts):
            raise AigifError("AIGIF_E_RECORD", f"{self.what}: {obj!r} is not MAJOR.MINOR.PATCH")
        stream.write(b"".join(encode_uvarint(int(p)) for p in parts))
        return obj


class Sized8(UVarint):
    """Image height/width stored in units of 8 pixels (every latent VAE downsamples by 8)."""

    def __init__(self, what: str) -> None:
        super().__init__(what, limits.MIN_SIZE_UNITS, limits.MAX_SIZE_UNITS)

    reader = staticmethod(read_size8)

    def reader_args(self) -> tuple:
        return (self.what,)

    def _build(self, obj, stream, context, path):
        if not isinstance(obj, int) or obj % limits.SIZE_UNIT:
            raise AigifError("AIGIF_E_RANGE", f"{self.what} = {obj!r} is not a multiple of {limits.SIZE_UNIT}")
        super()._build(obj // limits.SIZE_UNIT, stream, context, path)
        return obj
