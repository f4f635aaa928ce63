"""The DiffC float32 normal transform (spec/diffc.md 1.3) in torch ops, bit-identical to
aigif_ref.diffc.gaussian on CPU and CUDA.

Each line is one binary32 operation, in the reference's order. Eager torch runs every op as its own
kernel, so no multiply and add are ever fused; sqrt goes through float64 (torch's CPU binary32 sqrt is
not correctly rounded). Constants are the reference's, converted exactly.
"""

from __future__ import annotations

import torch

from aigif_ref.diffc import gaussian as reference

from .philox_torch import stream_words


def _constant(value) -> float:
    return float(value)  # a binary32 value is exact as a Python float, and exact again as float32


SQRT2 = _constant(reference.SQRT2)
LN2_HI = _constant(reference.LN2_HI)
LN2_LO = _constant(reference.LN2_LO)
LOG_COEFFS = tuple(map(_constant, reference.LOG_COEFFS))
SIN_COEFFS = tuple(map(_constant, reference.SIN_COEFFS))
COS_COEFFS = tuple(map(_constant, reference.COS_COEFFS))
TWO_POW_M24 = _constant(reference.TWO_POW_M24)
TWO_POW_M22 = _constant(reference.TWO_POW_M22)
MINUS_TWO = _constant(reference.MINUS_TWO)


def _horner(y: torch.Tensor, coeffs: tuple[float, ...]) -> torch.Tensor:
    acc = torch.full_like(y, coeffs[-1])
    for coefficient in reversed(coeffs[:-1]):
        acc = y * acc
        acc = acc + coefficient
    return acc


def sqrt_rn(x: torch.Tensor) -> torch.Tensor:
    """Correctly rounded binary32 square root (float64 sqrt, one rounding)."""
    return torch.sqrt(x.to(torch.float64)).to(torch.float32)


def ln_f32(x: torch.Tensor) -> torch.Tensor:
    """ln32 of positive normal binary32 values (spec/diffc.md 1.3)."""
    bits = x.contiguous().view(torch.int32).to(torch.int64)
    exponent = (bits >> 23) - 127
    mantissa = ((bits & 0x007FFFFF) | 0x3F800000).to(torch.int32).view(torch.float32)
    big = mantissa > SQRT2
    mantissa = torch.where(big, mantissa * 0.5, mantissa)
    exponent = exponent + big.to(torch.int64)
    f = mantissa - 1.0  # exact (Sterbenz)
    s = f / (mantissa + 1.0)
    z = s * s
    ln_mantissa = s * _horner(z, LOG_COEFFS)
    n = exponent.to(torch.float32)
    low = n * LN2_LO + ln_mantissa
    return n * LN2_HI + low


def uniform_open_closed(words: torch.Tensor) -> torch.Tensor:
    """u = ((w >> 8) + 1) * 2**-24 in (0, 1], exact in binary32."""
    return ((words >> 8) + 1).to(torch.float32) * TWO_POW_M24


def cos_sin_turn(words: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin of 2*pi*(w >> 8)/2**24 by the reference's quadrant reduction and polynomials."""
    shifted = ((words >> 8) + (1 << 21)) & 0xFFFFFF
    quadrant = shifted >> 22
    x = ((shifted & 0x3FFFFF) - (1 << 21)).to(torch.float32) * TWO_POW_M22
    y = x * x
    sin_x = x * _horner(y, SIN_COEFFS)
    cos_x = y * _horner(y, COS_COEFFS) + 1.0
    cos_out = torch.where(quadrant == 0, cos_x, torch.where(quadrant == 1, -sin_x,
                          torch.where(quadrant == 2, -cos_x, sin_x)))
    sin_out = torch.where(quadrant == 0, sin_x, torch.where(quadrant == 1, cos_x,
                          torch.where(quadrant == 2, -sin_x, -cos_x)))
    return cos_out, sin_out


def normals_from_words(words: torch.Tensor) -> torch.Tensor:
    """Normals from Philox words (..., 4k) int64 -> float32 (..., 4k); pairs (radius word, angle word)."""
    if words.shape[-1] % 4:
        raise ValueError("words must come in whole Philox blocks of 4")
    radius = sqrt_rn(ln_f32(uniform_open_closed(words[..., 0::2])) * MINUS_TWO)
    cos_a, sin_a = cos_sin_turn(words[..., 1::2])
    return torch.stack((radius * cos_a, radius * sin_a), dim=-1).reshape(words.shape)


def exponentials_from_words(words: torch.Tensor) -> torch.Tensor:
    """Exp(1) variates E = -ln32(u(w)) (encoder arrival times)."""
    return -ln_f32(uniform_open_closed(words))


def stream_normals(seed: int, domain: int, step: int, chunk: int, candidates: torch.Tensor | int, count: int,
                   device: torch.device | str = "cpu") -> torch.Tensor:
    """Normals [candidates..., count] of stream (domain, step, chunk, candidate), as the reference's."""
    words = stream_words(seed, domain, step, chunk, candidates, count, whole_blocks=True, device=device)
    return normals_from_words(words)[..., :count]
