"""An independent implementation of spec/quantized.md's dequantization, written from the spec text.

It does not import aigif_ref (nor the safetensors package): it reads the payload's header itself and
applies §3-4 literally, element by element where the spec speaks of elements, so it can disagree
with the reference. tests/test_quantized.py requires agreement bit for bit.
"""
from __future__ import annotations

import json
import struct

import numpy as np


def read_payload(data: bytes) -> tuple[dict, dict[str, bytes]]:
    """(the aigif.model_payload table, tensor name -> its stored bytes)."""
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    meta = json.loads(header.pop("__metadata__")["aigif.model_payload"])
    base = 8 + n
    return meta, {name: data[base + e["data_offsets"][0]:base + e["data_offsets"][1]] for name, e in header.items()}


def _f16(two: bytes) -> np.float32:
    return np.float32(np.frombuffer(two, dtype="<f2")[0])  # widening binary16 -> binary32 is exact


def dequantize(fmt: str, raw: bytes, shape: list[int]) -> np.ndarray:
    n = int(np.prod(shape))
    out = np.empty(n, dtype=np.float32)
    if fmt == "f32":
        out[:] = np.frombuffer(raw, dtype="<f4")
    elif fmt == "f16":
        out[:] = np.frombuffer(raw, dtype="<f2")
    elif fmt == "bf16":
        out[:] = (np.frombuffer(raw, dtype="<u2").astype("<u4") << 16).view("<f4")
    elif fmt == "int8":
        rows = shape[0]
        scales = np.frombuffer(raw[:4 * rows], dtype="<f4")
        q = np.frombuffer(raw[4 * rows:], dtype=np.int8)
        per_row = n // rows
        for i in range(n):  # y = float32(q) * s[row], one binary32 multiply
            out[i] = np.float32(q[i]) * scales[i // per_row]
    elif fmt == "q8_0":
        for b in range(n // 32):
            block = raw[34 * b:34 * (b + 1)]
            d = _f16(block[:2])
            q = np.frombuffer(block[2:], dtype=np.int8)
            for j in range(32):
                out[32 * b + j] = np.float32(q[j]) * d
    elif fmt == "q4_0":
        for b in range(n // 32):
            block = raw[18 * b:18 * (b + 1)]
            d = _f16(block[:2])
            for j in range(16):
                byte = block[2 + j]
                out[32 * b + j] = np.float32((byte & 0x0F) - 8) * d
                out[32 * b + j + 16] = np.float32((byte >> 4) - 8) * d
    else:
        raise ValueError(fmt)
    return out.reshape(shape)


def to_float16_bits(y: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return y.astype(np.float16).view(np.uint16)  # IEEE conversion: nearest, ties to even, overflow to infinity


def to_bfloat16_bits(y: np.ndarray) -> np.ndarray:
    """Round to nearest, ties to even, on the upper 16 bits (written the long way round)."""
    out = np.empty(y.size, dtype=np.uint16)
    for i, u in enumerate(y.reshape(-1).view(np.uint32)):
        u = int(u)
        if (u & 0x7F800000) == 0x7F800000 and (u & 0x007FFFFF):
            out[i] = (u >> 16) | 0x0040  # NaN stays NaN
            continue
        upper, lower = u >> 16, u & 0xFFFF
        if lower > 0x8000 or (lower == 0x8000 and upper & 1):
            upper += 1
        out[i] = upper
    return out.reshape(y.shape)
