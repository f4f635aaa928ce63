"""The paper's Table I layout as a baseline codec (encode and decode).

This is what AIGIF v1 must beat: the file format example of Gao, Feng et al.,
Table I, read as literally as the paper allows. Fields, in Table I order:

=====================  ==========  =========================================
field                  size        notes
=====================  ==========  =========================================
saving pixels          1 bit       \\
pixel compressor       4 bits       |
text compressor        4 bits       | 18 bits packed MSB first, then 6 zero
saving model           1 bit        | padding bits: 3 bytes in all
model compressor       4 bits       |
device                 4 bits      /
gpu                    1 byte
cuda                   1 byte
model ID               exp code    n x 0xFF + final byte 0..254 (as AIGIF)
data type, scheduler   4 + 4 bits  one byte, data type in the high nibble
prompt                 string      2-byte length + zlib (level 9) bytes
negative prompt        string      2-byte length + zlib (level 9) bytes
height, width          4 bytes     each, unsigned
seed                   4 bytes     unsigned
diffusion steps        2 bytes     unsigned
guidance scale         4 bytes     IEEE float32
=====================  ==========  =========================================

Assumptions where the paper is silent (each is the cheapest reasonable reading,
so the baseline is not made artificially large):

* Strings: the paper gives no delimiter, so each string is its compressed
  bytes behind a 2-byte big-endian length prefix. Each string is its own zlib
  stream (level 9); text compressor 0 stores the UTF-8 bytes uncompressed.
* Multi-byte integers and the float are big-endian (network order).
* The 6 padding bits after the 18 option/device bits are zero; a decoder
  rejects anything else.
* "saving pixels" / "saving model" are stored as given, but no pixel or model
  payload is defined by the paper, so none follows (the benchmarks set them 0).
* The paper's "..." rows (more platform and model-dependent fields) are left
  out: the baseline carries exactly the rows Table I names.

The paper's layout has no signature, no version and no checksum; neither has
this codec. AIGIF v1 pays 9 bytes for those (signature 4, version 1, CRC-32 4).
"""
from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from typing import Any

from aigif_ref.errors import AigifError
from aigif_ref.grammar.primitives import encode_exp_code, read_exp_code
from aigif_ref.table_one import TABLE_ONE

ZLIB_LEVEL = 9
TEXT_NONE, TEXT_ZLIB = 0, 1
_LENGTH = struct.Struct(">H")
# Field widths are the paper's (aigif_ref/table_one.py), keyed by this codec's field names.
_BITS = {row.key: row.bits for row in TABLE_ONE if row.bits is not None}
_UNSIGNED = {8: "B", 16: "H", 32: "I"}
_TAIL_FIELDS = ("height", "width", "seed", "steps")  # then the guidance scale, an IEEE float32
_TAIL = struct.Struct(">" + "".join(_UNSIGNED[_BITS[name]] for name in _TAIL_FIELDS) + "f")
# Bit widths of the packed option/device word, in stream order (MSB first).
_PACKED = tuple((row.key, row.bits) for row in TABLE_ONE if row.option) + (("device", _BITS["device"]),)
_PACKED_BITS = sum(width for _, width in _PACKED)  # 18
_PAD_BITS = 24 - _PACKED_BITS


class BaselineError(ValueError):
    """A record the layout cannot hold, or bytes that are not a baseline file."""


@dataclass(frozen=True)
class BaselineRecord:
    prompt: str
    negative_prompt: str
    height: int
    width: int
    seed: int
    steps: int
    guidance_scale: float  # must be a float32 value to round-trip exactly
    model_id: int = 0
    dtype: int = 0
    scheduler: int = 0
    device: int = 0
    gpu: int = 0
    cuda: int = 0
    saving_pixels: int = 0
    pixel_compressor: int = 0
    text_compressor: int = TEXT_ZLIB
    saving_model: int = 0
    model_compressor: int = 0


def from_aigif_record(record: dict[str, Any]) -> BaselineRecord:
    """The baseline record for an AIGIF JSON record whose enumerations are integer codes.

    A missing or None negative prompt becomes "" (the layout has no "absent").
    """
    return BaselineRecord(
        prompt=record["prompt"],
        negative_prompt=record.get("negative_prompt") or "",
        height=record["height"],
        width=record["width"],
        seed=record["seed"],
        steps=record["steps"],
        guidance_scale=record["guidance_scale"],
        model_id=record["model_id"],
        dtype=record.get("dtype", 0),
        scheduler=record.get("scheduler", 0),
        device=record.get("device", 0),
        gpu=record.get("gpu", 0),
        cuda=record.get("cuda", 0),
    )


def _check_uint(name: str, value: int, bits: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << bits:
        raise BaselineError(f"{name} = {value!r} does not fit {bits} unsigned bits")


def _pack_string(text: str, compressor: int) -> bytes:
    raw = text.encode("utf-8")
    data = zlib.compress(raw, ZLIB_LEVEL) if compressor == TEXT_ZLIB else raw
    if len(data) > 0xFFFF:
        raise BaselineError(f"stored string of {len(data)} bytes exceeds the 2-byte length prefix")
    return _LENGTH.pack(len(data)) + data


def encode(record: BaselineRecord) -> bytes:
    """The Table I bytes of a record. Raises BaselineError if a value does not fit."""
    word = 0
    for name, width in _PACKED:
        value = getattr(record, name)
        _check_uint(name, value, width)
        word = word << width | value
    if record.text_compressor not in (TEXT_NONE, TEXT_ZLIB):
        raise BaselineError(f"text compressor {record.text_compressor} is not 0 (none) or 1 (zlib)")
    for name in ("gpu", "cuda", "dtype", "scheduler", *_TAIL_FIELDS):
        _check_uint(name, getattr(record, name), _BITS[name])
    try:
        model = encode_exp_code(record.model_id)
        tail = _TAIL.pack(record.height, record.width, record.seed, record.steps, record.guidance_scale)
    except (AigifError, OverflowError, struct.error) as exc:
        raise BaselineError(str(exc)) from None
    return b"".join((
        (word << _PAD_BITS).to_bytes(3, "big"),
        bytes((record.gpu, record.cuda)),
        model,
        bytes((record.dtype << 4 | record.scheduler,)),
        _pack_string(record.prompt, record.text_compressor),
        _pack_string(record.negative_prompt, record.text_compressor),
        tail,
    ))


def _read(stream: io.BytesIO, n: int, what: str) -> bytes:
    data = stream.read(n)
    if len(data) != n:
        raise BaselineError(f"file ends inside {what}")
    return data


def _unpack_string(stream: io.BytesIO, compressor: int, what: str) -> str:
    (length,) = _LENGTH.unpack(_read(stream, _LENGTH.size, f"{what} length"))
    data = _read(stream, length, what)
    if compressor == TEXT_ZLIB:
        inflater = zlib.decompressobj()
        try:
            data = inflater.decompress(data)
        except zlib.error as exc:
            raise BaselineError(f"{what}: {exc}") from None
        if not inflater.eof or inflater.unused_data:
            raise BaselineError(f"{what}: zlib stream incomplete or followed by extra bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BaselineError(f"{what}: not UTF-8 ({exc.reason})") from None


def decode(data: bytes) -> BaselineRecord:
    """Bytes in the Table I layout -> record. Raises BaselineError."""
    stream = io.BytesIO(data)
    word = int.from_bytes(_read(stream, 3, "option bits"), "big")
    if word & ((1 << _PAD_BITS) - 1):
        raise BaselineError("padding bits after the device field are not zero")
    word >>= _PAD_BITS
    fields: dict[str, Any] = {}
    for name, width in reversed(_PACKED):
        fields[name] = word & ((1 << width) - 1)
        word >>= width
    if fields["text_compressor"] not in (TEXT_NONE, TEXT_ZLIB):
        raise BaselineError(f"text compressor {fields['text_compressor']} is not 0 (none) or 1 (zlib)")
    fields["gpu"], fields["cuda"] = _read(stream, 2, "gpu and cuda")
    try:
        fields["model_id"] = read_exp_code(stream, "model ID")
    except AigifError as exc:
        raise BaselineError(exc.message) from None
    (types,) = _read(stream, 1, "data type and scheduler")
    fields["dtype"], fields["scheduler"] = types >> 4, types & 0x0F
    fields["prompt"] = _unpack_string(stream, fields["text_compressor"], "prompt")
    fields["negative_prompt"] = _unpack_string(stream, fields["text_compressor"], "negative prompt")
    height, width, seed, steps, guidance = _TAIL.unpack(_read(stream, _TAIL.size, "size, seed, steps and guidance"))
    if stream.read(1):
        raise BaselineError("trailing bytes after the guidance scale")
    return BaselineRecord(height=height, width=width, seed=seed, steps=steps, guidance_scale=guidance, **fields)
