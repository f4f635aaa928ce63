"""Tensor formats of a model payload: how each stores its numbers and the exact dequantization.

Normative text: spec/quantized.md. Every dequantization is an exact widening to float32, one
IEEE-754 binary32 multiply (round to nearest even, subnormals kept), then one cast to the record's
dtype (round to nearest even). Quantizing is the writer's business; the rules here are the ones the
reference writer uses (GGUF's reference rules for q8_0 and q4_0, so its files match llama.cpp's).
"""
from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Callable

import numpy as np

from aigif_ref.errors import AigifError
from aigif_ref.quant.compressors import COMPRESSORS  # noqa: F401  (re-exported: formats per compressor)

BLOCK = 32  # elements per block of q8_0 and q4_0 (GGUF's QK8_0 = QK4_0 = 32)
INT8_MAX = 127  # int8 and q8_0 quantize into [-127, 127]; -128 is valid on reading


@dataclass(frozen=True)
class TensorFormat:
    name: str
    storage_dtype: str  # safetensors dtype of the stored tensor ("U8" for the quantized formats)
    quantized: bool
    nbytes: Callable[[tuple[int, ...]], int | None]  # stored bytes for a logical shape, None if the shape is not allowed
    what: str  # one line for the spec's format table


def _float_bytes(width: int) -> Callable[[tuple[int, ...]], int]:
    return lambda shape: width * prod(shape)


def _int8_bytes(shape: tuple[int, ...]) -> int | None:
    return 4 * shape[0] + prod(shape) if len(shape) >= 1 and prod(shape) > 0 else None


def _block_bytes(block_bytes: int) -> Callable[[tuple[int, ...]], int | None]:
    def nbytes(shape: tuple[int, ...]) -> int | None:
        n = prod(shape)
        return n // BLOCK * block_bytes if n > 0 and n % BLOCK == 0 else None
    return nbytes


FORMATS: dict[str, TensorFormat] = {f.name: f for f in (
    TensorFormat("f32", "F32", False, _float_bytes(4), "IEEE binary32, little-endian, C order"),
    TensorFormat("f16", "F16", False, _float_bytes(2), "IEEE binary16, little-endian, C order"),
    TensorFormat("bf16", "BF16", False, _float_bytes(2), "bfloat16 (the top 16 bits of a binary32), little-endian, C order"),
    TensorFormat("int8", "U8", True, _int8_bytes,
                 "symmetric per output channel: shape[0] binary32 scales, then every element as int8, C order"),
    TensorFormat("q8_0", "U8", True, _block_bytes(2 + BLOCK),
                 "GGUF Q8_0: blocks of 32 elements, each a binary16 scale then 32 int8"),
    TensorFormat("q4_0", "U8", True, _block_bytes(2 + BLOCK // 2),
                 "GGUF Q4_0: blocks of 32 elements, each a binary16 scale then 16 bytes of 4-bit codes"),
)}


def _finite_scales(scales: np.ndarray, name: str) -> None:
    bad = ~np.isfinite(scales)
    if bad.any():
        index = int(np.flatnonzero(bad)[0])
        raise AigifError("AIGIF_E_PAYLOAD_SCALE", f"tensor {name}: scale {index} is {scales.reshape(-1)[index]}; "
                                                  "a payload's scales must be finite: re-quantize the model")


def _blocks(data: bytes, block_bytes: int) -> np.ndarray:
    return np.frombuffer(data, dtype=np.uint8).reshape(-1, block_bytes)


def dequantize_f32(data: bytes, shape: tuple[int, ...], name: str) -> np.ndarray:
    """float32 values of a stored tensor, in C order (exact for every format)."""
    return np.frombuffer(data, dtype="<f4").astype(np.float32).reshape(shape)


def _from_f16(data: bytes, shape, name) -> np.ndarray:
    return np.frombuffer(data, dtype="<f2").astype(np.float32).reshape(shape)


def _from_bf16(data: bytes, shape, name) -> np.ndarray:
    return (np.frombuffer(data, dtype="<u2").astype(np.uint32) << 16).view(np.float32).reshape(shape)


def _from_int8(data: bytes, shape, name) -> np.ndarray:
    rows = shape[0]
    scales = np.frombuffer(data, dtype="<f4", count=rows).astype(np.float32)
    _finite_scales(scales, name)
    q = np.frombuffer(data, dtype=np.int8, offset=4 * rows).astype(np.float32).reshape(rows, -1)
    return (q * scales[:, None]).reshape(shape)  # one binary32 multiply per element


def _from_q8_0(data: bytes, shape, name) -> np.ndarray:
    blocks = _blocks(data, 2 + BLOCK)
    scales = blocks[:, :2].copy().view("<f2").astype(np.float32)  # exact widening
    _finite_scales(scales, name)
    q = blocks[:, 2:].copy().view(np.int8).astype(np.float32)
    return (q * scales).reshape(shape)  # exact: an 11-bit scale times an 8-bit integer fits binary32


def _from_q4_0(data: bytes, shape, name) -> np.ndarray:
    blocks = _blocks(data, 2 + BLOCK // 2)
    scales = blocks[:, :2].copy().view("<f2").astype(np.float32)
    _finite_scales(scales, name)
    packed = blocks[:, 2:]
    codes = np.concatenate([packed & 0x0F, packed >> 4], axis=1)  # elements 0..15 low nibbles, 16..31 high
    return ((codes.astype(np.float32) - 8.0) * scales).reshape(shape)


DEQUANTIZE: dict[str, Callable[[bytes, tuple[int, ...], str], np.ndarray]] = {
    "f32": dequantize_f32, "f16": _from_f16, "bf16": _from_bf16,
    "int8": _from_int8, "q8_0": _from_q8_0, "q4_0": _from_q4_0,
}


def dequantize(fmt: str, data: bytes, shape: tuple[int, ...], name: str = "tensor") -> np.ndarray:
    """The tensor's float32 values (the exact fp32 result of the spec's formula), before the cast to the record's dtype."""
    return DEQUANTIZE[fmt](data, tuple(shape), name)


# ---------------------------------------------------------------- the cast to the record's dtype
def to_bfloat16_bits(values: np.ndarray) -> np.ndarray:
    """binary32 -> bfloat16 bit patterns, round to nearest even (NaN stays a quiet NaN)."""
    bits = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32)
    rounded = ((bits.astype(np.uint64) + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(values)
    return np.where(nan, ((bits >> 16) | 0x0040).astype(np.uint16), rounded)


def cast(values: np.ndarray, dtype: str) -> np.ndarray:
    """float32 values -> the record's dtype (float32, float16 or bfloat16 as uint16 bit patterns), IEEE round to nearest even."""
    if dtype == "float32":
        return values.astype(np.float32)
    if dtype == "float16":
        with np.errstate(over="ignore"):
            return values.astype(np.float16)  # IEEE: out of range rounds to infinity
    if dtype == "bfloat16":
        return to_bfloat16_bits(values)
    raise ValueError(f"unknown dtype {dtype}")


# ---------------------------------------------------------------- quantizing (the reference writer's rules)
def _to_int8(w: np.ndarray) -> bytes:
    rows = w.reshape(w.shape[0], -1).astype(np.float32)
    scales = (np.abs(rows).max(axis=1) / np.float32(INT8_MAX)).astype(np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.where(scales[:, None] == 0, 0, np.rint(rows / scales[:, None]))
    q = np.clip(q, -INT8_MAX, INT8_MAX).astype(np.int8)
    return scales.astype("<f4").tobytes() + q.tobytes()


def _roundf(x: np.ndarray) -> np.ndarray:
    """C roundf: halves away from zero (GGUF's rounding for q8_0)."""
    return np.sign(x) * np.floor(np.abs(x) + np.float32(0.5))


def _to_q8_0(w: np.ndarray) -> bytes:
    blocks = w.reshape(-1, BLOCK).astype(np.float32)
    d = (np.abs(blocks).max(axis=1, keepdims=True) / np.float32(INT8_MAX)).astype(np.float32)
    with np.errstate(divide="ignore"):
        inverse = np.where(d == 0, np.float32(0), np.float32(1) / d).astype(np.float32)
    q = _roundf(blocks * inverse).astype(np.int8)
    return np.concatenate([d.astype("<f2").view(np.uint8), q.view(np.uint8)], axis=1).tobytes()


def _to_q4_0(w: np.ndarray) -> bytes:
    blocks = w.reshape(-1, BLOCK).astype(np.float32)
    index = np.abs(blocks).argmax(axis=1)[:, None]
    d = (np.take_along_axis(blocks, index, axis=1) / np.float32(-8)).astype(np.float32)
    with np.errstate(divide="ignore"):
        inverse = np.where(d == 0, np.float32(0), np.float32(1) / d).astype(np.float32)
    codes = np.minimum(np.trunc(blocks * inverse + np.float32(8.5)), 15).astype(np.uint8)
    packed = codes[:, :BLOCK // 2] | (codes[:, BLOCK // 2:] << 4)
    return np.concatenate([d.astype("<f2").view(np.uint8), packed], axis=1).tobytes()


def _float_writer(dtype: str) -> Callable[[np.ndarray], bytes]:
    if dtype == "bf16":
        return lambda w: to_bfloat16_bits(w.astype(np.float32)).astype("<u2").tobytes()
    return lambda w: w.astype({"f32": "<f4", "f16": "<f2"}[dtype]).tobytes()


QUANTIZE: dict[str, Callable[[np.ndarray], bytes]] = {
    "f32": _float_writer("f32"), "f16": _float_writer("f16"), "bf16": _float_writer("bf16"),
    "int8": _to_int8, "q8_0": _to_q8_0, "q4_0": _to_q4_0,
}


def quantize(fmt: str, values: np.ndarray) -> bytes:
    """Stored bytes of ``values`` in format ``fmt`` (the shape must be one the format allows)."""
    if FORMATS[fmt].nbytes(tuple(values.shape)) is None:
        raise AigifError("AIGIF_E_PAYLOAD", f"format {fmt} cannot hold a tensor of shape {list(values.shape)}")
    if FORMATS[fmt].quantized and not np.isfinite(values).all():
        raise AigifError("AIGIF_E_PAYLOAD_SCALE", f"a tensor to quantize as {fmt} holds NaN or infinity: its scale would not be finite")
    return QUANTIZE[fmt](np.ascontiguousarray(values))
