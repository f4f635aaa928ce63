"""Payload decoders that get dequantization wrong the ways real ones do (the `quantized` level catches each).

They are the reference with one flaw in aigif_ref.quant.formats; tests/test_quantized_conformance.py runs the
quantized level on each and requires it to fail the cases named there.
"""
from __future__ import annotations

import numpy as np

from aigif_ref.quant import formats
from conformance.mutants.base import Mutant


class Float16Multiply(Mutant):
    flaw = "multiplies block scales in float16, as diffusers' GGUF path does, instead of binary32"

    def install(self) -> None:
        def half(fmt):
            def dequantize(data, shape, name):
                blocks = np.frombuffer(data, np.uint8).reshape(-1, 2 + formats.BLOCK // (2 if fmt == "q4_0" else 1))
                d = blocks[:, :2].copy().view("<f2")
                formats._finite_scales(d.astype(np.float32), name)
                if fmt == "q8_0":
                    q = blocks[:, 2:].copy().view(np.int8).astype(np.float16)
                else:
                    packed = blocks[:, 2:]
                    q = np.concatenate([packed & 0x0F, packed >> 4], axis=1).astype(np.float16) - np.float16(8)
                with np.errstate(over="ignore"):
                    return (q * d).astype(np.float32).reshape(shape)
            return dequantize
        formats.DEQUANTIZE["q8_0"] = half("q8_0")
        formats.DEQUANTIZE["q4_0"] = half("q4_0")


class FlushSubnormals(Mutant):
    flaw = "flushes subnormal binary16 scales and subnormal binary32 results to zero (DAZ/FTZ, as many GPU kernels do)"

    def install(self) -> None:
        for fmt, original in list(formats.DEQUANTIZE.items()):
            def flushed(data, shape, name, original=original, fmt=fmt):
                if fmt in ("q8_0", "q4_0"):  # DAZ: a scale whose exponent bits are 0 reads as (signed) zero
                    blocks = np.frombuffer(data, np.uint8).reshape(-1, formats.FORMATS[fmt].nbytes((formats.BLOCK,))).copy()
                    bits = blocks[:, :2].view("<u2")
                    bits[(bits & 0x7C00) == 0] &= 0x8000
                    data = blocks.tobytes()
                y = original(data, shape, name)
                return np.where(np.abs(y) < np.finfo(np.float32).tiny, np.copysign(np.float32(0), y), y).astype(np.float32)
            formats.DEQUANTIZE[fmt] = flushed


class InterleavedNibbles(Mutant):
    flaw = "reads q4_0 nibbles interleaved (element 2j low, 2j+1 high) instead of GGUF's j / j+16"

    def install(self) -> None:
        def dequantize(data, shape, name):
            blocks = np.frombuffer(data, np.uint8).reshape(-1, 2 + formats.BLOCK // 2)
            d = blocks[:, :2].copy().view("<f2").astype(np.float32)
            formats._finite_scales(d, name)
            packed = blocks[:, 2:]
            codes = np.stack([packed & 0x0F, packed >> 4], axis=2).reshape(len(blocks), formats.BLOCK)
            return ((codes.astype(np.float32) - 8) * d).reshape(shape)
        formats.DEQUANTIZE["q4_0"] = dequantize


class NoScaleCheck(Mutant):
    flaw = "accepts NaN and infinite scales (writes NaN/inf weights instead of refusing the payload)"

    def install(self) -> None:
        formats._finite_scales = lambda scales, name: None


QUANTIZED_MUTANTS: dict[str, type[Mutant]] = {
    "float16-multiply": Float16Multiply,
    "flush-subnormals": FlushSubnormals,
    "interleaved-nibbles": InterleavedNibbles,
    "no-scale-check": NoScaleCheck,
}
