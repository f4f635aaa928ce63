"""A payload's weights as a plain safetensors file: the `quantized` conformance level's output (spec/conformance.md).

`dequantized_file(payload_bytes, dtype)` checks the payload (spec/quantized.md §6), dequantizes every tensor
(§4 step 1), casts it to `dtype` (§4 step 2) and writes each under its payload name with its logical shape,
as safetensors F32, F16 or BF16. NumPy only; no torch, no safetensors package (NumPy has no bfloat16).
"""
from __future__ import annotations

import json
import struct
import numpy as np

from aigif_ref.quant.formats import cast
from aigif_ref.quant.payload import parse

DTYPES = {"float32": "F32", "float16": "F16", "bfloat16": "BF16"}  # record dtype -> safetensors dtype


def write_tensors(tensors: dict[str, tuple[str, tuple[int, ...], bytes]]) -> bytes:
    """A safetensors file of {name: (safetensors dtype, shape, little-endian C-order bytes)}, names sorted,
    compact sorted-key JSON padded with spaces to 8 bytes (the canonical form the payload uses too)."""
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        dtype, shape, data = tensors[name]
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        chunks.append(data)
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def dequantized_file(data: bytes, dtype: str) -> bytes:
    """Every weight of the payload `data`, dequantized exactly and cast to `dtype` (float32, float16, bfloat16)."""
    payload = parse(data)
    out = {}
    for name in sorted(payload.tensors):  # every scale is checked before anything is written
        values = cast(payload.dequantized(name), dtype)
        out[name] = (DTYPES[dtype], payload.tensors[name].shape, values.astype(values.dtype.newbyteorder("<")).tobytes())
    return write_tensors(out)

