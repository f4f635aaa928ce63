"""Comparisons behind every verdict: JSON records field by field, bytes, and images.

Pure functions: they see expected and actual data, never the implementation.
"""
from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_DIFFERENCES = 50  # a record that differs everywhere is reported by its first fields
MAX_VALUE_CHARS = 200
_F32 = struct.Struct("<f")
_ABSENT = object()


def pointer(parts: tuple[Any, ...]) -> str:
    """RFC 6901 JSON pointer of a path ("" is the whole document)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def shown(value: Any) -> Any:
    """A value as a report shows it: long strings cut, absence spelled out."""
    if value is _ABSENT:
        return "(absent)"
    if isinstance(value, str) and len(value) > MAX_VALUE_CHARS:
        return value[:MAX_VALUE_CHARS] + f"... ({len(value)} characters)"
    if isinstance(value, (dict, list)):
        text = repr(value)
        return value if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "..."
    return value


def float32_bits(value: Any) -> bytes | None:
    """The float32 a JSON number rounds to, as bits (so -0.0 and 0.0 differ); None if it has none."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return _F32.pack(float(value))
    except (OverflowError, ValueError):
        return None


class JsonFloat(float):
    """A JSON number written with a fraction or an exponent, with the text it was written as."""

    text: str


def _json_float(text: str) -> JsonFloat:
    value = JsonFloat(text)
    value.text = text
    return value


json_float = _json_float  # public: contract.read_json(parse_float=json_float) keeps float text


def load_json_text(raw: bytes | str) -> Any:
    """Parse JSON keeping each float's text: bitstream 10.1 says exactly how a float32 MUST be written."""
    return json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw, parse_float=_json_float)


def number_text(value: Any) -> str | None:
    """How a parsed JSON number was written (floats from load_json_text; integers print as written)."""
    if isinstance(value, JsonFloat):
        return value.text
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _same(expected: Any, got: Any) -> bool:
    """Leaf equality: floats as float32 values and, where the expectation keeps its text, as that exact text."""
    if isinstance(expected, float):
        # The same float32 (0.1 and 0.10000000149011612 are) AND, when both sides were read with
        # load_json_text, the canonical text of bitstream 10.1 ("12.0", not "12"; "4194303.75", not "4194303.8").
        bits = float32_bits(got)
        if bits is None or bits != float32_bits(expected) or math.isnan(expected):
            return False
        return not isinstance(expected, JsonFloat) or number_text(got) == expected.text
    if isinstance(expected, bool) or isinstance(got, bool):
        return type(expected) is type(got) and expected == got
    if isinstance(expected, int):
        return isinstance(got, int) and expected == got  # 64-bit seeds must stay exact
    return type(expected) is type(got) and expected == got


def record_differences(expected: Any, got: Any, path: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Every field where got differs from expected: {"pointer", "expected", "got"}."""
    out: list[dict[str, Any]] = []
    _walk(expected, got, path, out)
    return out[:MAX_DIFFERENCES]


def _walk(expected: Any, got: Any, path: tuple[Any, ...], out: list[dict[str, Any]]) -> None:
    if len(out) >= MAX_DIFFERENCES:
        return
    if isinstance(expected, dict) and isinstance(got, dict):
        for key in [*expected, *sorted(k for k in got if k not in expected)]:
            _walk(expected.get(key, _ABSENT), got.get(key, _ABSENT), (*path, key), out)
        return
    if isinstance(expected, list) and isinstance(got, list):
        for index in range(max(len(expected), len(got))):
            _walk(expected[index] if index < len(expected) else _ABSENT,
                  got[index] if index < len(got) else _ABSENT, (*path, index), out)
        return
    if not _same(expected, got):
        out.append({"pointer": pointer(path), "expected": shown(expected), "got": shown(got)})


def byte_difference(expected: bytes, got: bytes) -> dict[str, Any] | None:
    """Where two byte strings first differ, with both lengths and a hex window around it; None if equal."""
    if expected == got:
        return None
    offset = next((i for i, (a, b) in enumerate(zip(expected, got)) if a != b), min(len(expected), len(got)))
    return {"first_difference": offset, "expected_length": len(expected), "got_length": len(got),
            **hex_window(expected, got, offset)}


def hex_window(expected: bytes, got: bytes, offset: int) -> dict[str, Any]:
    """16 bytes of each around offset, as hex, and where the window starts."""
    window = slice(max(0, offset - 8), offset + 8)
    return {"expected_bytes": expected[window].hex(" "), "got_bytes": got[window].hex(" "), "window_start": window.start}


@dataclass(frozen=True)
class ImageComparison:
    passed: bool
    reason: str
    details: dict[str, Any]


def compare_png(expected: Path, got: Path, max_abs_error: int, min_psnr: float | None) -> ImageComparison:
    """Compare two PNGs as RGB8 arrays against the case's tolerances."""
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    if not got.is_file():
        return ImageComparison(False, "no output file", {"expected_file": got.name})
    try:
        with Image.open(got) as image:
            if image.format != "PNG":
                return ImageComparison(False, f"output is {image.format}, not PNG", {})
            actual = np.asarray(image.convert("RGB"), dtype=np.int16)
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        return ImageComparison(False, "output is not a readable PNG", {"error": str(exc)})
    with Image.open(expected) as image:
        golden = np.asarray(image.convert("RGB"), dtype=np.int16)
    if actual.shape != golden.shape:
        (eh, ew, _), (gh, gw, _) = golden.shape, actual.shape
        return ImageComparison(False, f"wrong size: expected {ew}x{eh}, got {gw}x{gh}",
                               {"expected_size": [ew, eh], "got_size": [gw, gh]})
    error = np.abs(actual - golden)
    max_error = int(error.max())
    mse = float(np.mean(error.astype(np.float64) ** 2))
    psnr = math.inf if mse == 0 else 10 * math.log10(255**2 / mse)
    details = {"max_abs_error": max_error, "psnr": None if math.isinf(psnr) else round(psnr, 3),
               "identical": mse == 0, "differing_samples": int(np.count_nonzero(error)),
               "tolerance": {"max_abs_error": max_abs_error, "min_psnr": min_psnr}}
    problems = []
    if max_error > max_abs_error:
        problems.append(f"max abs error {max_error} > {max_abs_error}")
    if min_psnr is not None and psnr < min_psnr:
        problems.append(f"PSNR {psnr:.2f} dB < {min_psnr} dB")
    if problems:
        return ImageComparison(False, "pixels out of tolerance: " + ", ".join(problems), details)
    return ImageComparison(True, "bit-exact" if mse == 0 else f"within tolerance (max abs error {max_error}, PSNR {psnr:.2f} dB)",
                           details)


# -- tensors (the quantized level) ---------------------------------------------------------------------

TENSOR_ITEM_BYTES = {"F32": 4, "F16": 2, "BF16": 2}  # the dtypes a dequantized tensor file may hold
MAX_TENSOR_HEADER_BYTES = 16 << 20


def read_tensor_file(data: bytes) -> dict[str, tuple[str, tuple[int, ...], bytes]]:
    """{name: (dtype, shape, bytes)} of a safetensors file; ValueError with the reason if it is not one.

    Written for untrusted output: every length and offset is checked against the bytes before slicing."""
    if len(data) < 8:
        raise ValueError("shorter than the 8-byte header length")
    (length,) = struct.unpack_from("<Q", data)
    if length > min(len(data) - 8, MAX_TENSOR_HEADER_BYTES):
        raise ValueError(f"header length {length} beyond the file ({len(data)} bytes) or the limit")
    try:
        header = json.loads(data[8:8 + length].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ValueError("header is not UTF-8 JSON") from None
    if not isinstance(header, dict):
        raise ValueError("header is not a JSON object")
    header.pop("__metadata__", None)
    body = data[8 + length:]
    out = {}
    for name, entry in header.items():
        try:
            dtype, shape, (begin, end) = entry["dtype"], tuple(entry["shape"]), entry["data_offsets"]
            ok = (dtype in TENSOR_ITEM_BYTES and len(shape) <= 8 and all(type(d) is int and d >= 0 for d in shape)
                  and type(begin) is int and type(end) is int and 0 <= begin <= end <= len(body)
                  and end - begin == TENSOR_ITEM_BYTES[dtype] * math.prod(shape))
        except (TypeError, KeyError, ValueError, AttributeError):
            ok = False
        if not ok:
            raise ValueError(f"tensor {shown(name)!r}: not F32/F16/BF16, or a shape or data_offsets that do not fit the file")
        out[name] = (dtype, shape, body[begin:end])
    return out


def tensor_differences(expected: dict[str, tuple[str, tuple[int, ...], bytes]],
                       got: dict[str, tuple[str, tuple[int, ...], bytes]]) -> list[dict[str, Any]]:
    """Per tensor: missing, extra, another dtype or shape, or values that differ bit for bit (count and first index)."""
    out: list[dict[str, Any]] = []
    for name in sorted(set(expected) | set(got)):
        if name not in got:
            out.append({"tensor": name, "problem": "missing"})
        elif name not in expected:
            out.append({"tensor": shown(name), "problem": "extra"})
        elif got[name][:2] != expected[name][:2]:
            out.append({"tensor": name, "problem": "dtype or shape", "expected": [expected[name][0], list(expected[name][1])],
                        "got": [got[name][0], list(got[name][1])]})
        elif got[name][2] != expected[name][2]:
            width = TENSOR_ITEM_BYTES[expected[name][0]]
            a, b = expected[name][2], got[name][2]
            differ = [i for i in range(0, len(a), width) if a[i:i + width] != b[i:i + width]]
            first = differ[0]
            out.append({"tensor": name, "problem": "values", "elements_differing": len(differ), "elements": len(a) // width,
                        "first_index": first // width, "expected_bits": a[first:first + width][::-1].hex(),
                        "got_bits": b[first:first + width][::-1].hex()})
        if len(out) >= MAX_DIFFERENCES:
            break
    return out
