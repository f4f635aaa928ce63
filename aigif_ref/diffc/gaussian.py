"""Exact, portable float32 standard normals from Philox words (normative: spec/diffc.md, Generator).

Every operation is one IEEE-754 binary32 operation rounded to nearest-even (+ - * / and sqrt), applied
in the order written here: no fused multiply-add, no library log/cos/sin, so NumPy, CUDA, Triton and
any other language produce the same bits. ``sqrt`` is evaluated in float64 and rounded once to float32,
which is correctly rounded (binary64 has more than 2*24+2 bits) even where a platform's float32 sqrt is
not (torch's AVX-512 CPU path).

Box-Muller on 24-bit dyadic uniforms: per Philox block (x0, x1, x2, x3) the radius words are x0 and x2,
the angle words x1 and x3, and the four normals are r0*cos0, r0*sin0, r1*cos1, r1*sin1.
"""

from __future__ import annotations

import numpy as np

from aigif_ref.diffc import philox


def _f32(bits: int) -> np.float32:
    return np.array([bits], dtype=np.uint32).view(np.float32)[0]


# Normative constants, given by their binary32 bit patterns.
SQRT2 = _f32(0x3FB504F3)                    # round(sqrt 2)
LN2_HI = _f32(0x3F317180)                   # fdlibm's split of ln 2
LN2_LO = _f32(0x3717F7D1)
# ln m = s * (L0 + z*(L1 + z*(L2 + z*(L3 + z*L4)))), s = (m-1)/(m+1), z = s*s; L_k = round(2/(2k+1))
LOG_COEFFS = tuple(_f32(b) for b in (0x40000000, 0x3F2AAAAB, 0x3ECCCCCD, 0x3E924925, 0x3E638E39))
# sin(pi/2 x) = x * (S1 + y*(S3 + y*(S5 + y*(S7 + y*S9)))), y = x*x; Taylor coefficients of (pi/2)^k/k!
SIN_COEFFS = tuple(_f32(b) for b in (0x3FC90FDB, 0xBF255DE7, 0x3DA335E3, 0xBB996966, 0x39283C1A))
# cos(pi/2 x) = 1 + y*(C2 + y*(C4 + y*(C6 + y*(C8 + y*C10))))
COS_COEFFS = tuple(_f32(b) for b in (0xBF9DE9E6, 0x3E81E0F8, 0xBCAAE9E4, 0x3A70FA83, 0xB7D368F9))
ONE = np.float32(1.0)
HALF = np.float32(0.5)
MINUS_TWO = np.float32(-2.0)
TWO_POW_M24 = np.float32(2.0 ** -24)
TWO_POW_M22 = np.float32(2.0 ** -22)


def _horner(y: np.ndarray, coeffs: tuple[np.float32, ...]) -> np.ndarray:
    """c0 + y*(c1 + y*(c2 + ...)), innermost first, every step rounded to binary32."""
    acc = np.full(y.shape, coeffs[-1], dtype=np.float32)
    for coefficient in reversed(coeffs[:-1]):
        acc = np.multiply(y, acc, dtype=np.float32)
        acc = np.add(coefficient, acc, dtype=np.float32)
    return acc


def sqrt_rn(x: np.ndarray) -> np.ndarray:
    """Correctly rounded binary32 square root (float64 sqrt, one rounding)."""
    return np.sqrt(np.asarray(x, dtype=np.float32).astype(np.float64)).astype(np.float32)


def ln_f32(x: np.ndarray) -> np.ndarray:
    """Natural log of positive normal binary32 values by the fixed evaluation of spec/diffc.md."""
    x = np.asarray(x, dtype=np.float32)
    bits = x.view(np.uint32)
    exponent = (bits >> np.uint32(23)).astype(np.int32) - 127
    mantissa = ((bits & np.uint32(0x007FFFFF)) | np.uint32(0x3F800000)).view(np.float32)
    big = mantissa > SQRT2
    mantissa = np.where(big, np.multiply(mantissa, HALF, dtype=np.float32), mantissa)
    exponent = exponent + big.astype(np.int32)
    f = np.subtract(mantissa, ONE, dtype=np.float32)                  # exact (Sterbenz)
    s = np.divide(f, np.add(mantissa, ONE, dtype=np.float32), dtype=np.float32)
    z = np.multiply(s, s, dtype=np.float32)
    ln_mantissa = np.multiply(s, _horner(z, LOG_COEFFS), dtype=np.float32)
    n = exponent.astype(np.float32)
    low = np.add(np.multiply(n, LN2_LO, dtype=np.float32), ln_mantissa, dtype=np.float32)
    return np.add(np.multiply(n, LN2_HI, dtype=np.float32), low, dtype=np.float32)


def uniform_open_closed(words: np.ndarray) -> np.ndarray:
    """u = ((w >> 8) + 1) * 2**-24 in (0, 1], exact in binary32."""
    top = (np.asarray(words, dtype=np.uint32) >> np.uint32(8)) + np.uint32(1)
    return np.multiply(top.astype(np.float32), TWO_POW_M24, dtype=np.float32)


def cos_sin_turn(words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin of 2*pi*(w >> 8)/2**24: exact quadrant reduction, polynomials on [-pi/4, pi/4)."""
    shifted = ((np.asarray(words, dtype=np.uint32) >> np.uint32(8)) + np.uint32(1 << 21)) & np.uint32(0xFFFFFF)
    quadrant = shifted >> np.uint32(22)
    offset = (shifted & np.uint32(0x3FFFFF)).astype(np.int32) - (1 << 21)
    x = np.multiply(offset.astype(np.float32), TWO_POW_M22, dtype=np.float32)   # exact, in [-1/2, 1/2)
    y = np.multiply(x, x, dtype=np.float32)
    sin_x = np.multiply(x, _horner(y, SIN_COEFFS), dtype=np.float32)
    cos_x = np.add(ONE, np.multiply(y, _horner(y, COS_COEFFS), dtype=np.float32), dtype=np.float32)
    odd = (quadrant & np.uint32(1)).astype(bool)
    cos_out = np.where(odd, sin_x, cos_x)
    sin_out = np.where(odd, cos_x, sin_x)
    np.negative(cos_out, out=cos_out, where=((quadrant + np.uint32(1)) & np.uint32(2)).astype(bool))  # q = 1, 2
    np.negative(sin_out, out=sin_out, where=(quadrant & np.uint32(2)).astype(bool))                    # q = 2, 3
    return cos_out, sin_out


def normals_from_words(words: np.ndarray) -> np.ndarray:
    """Normals from Philox words (..., 4k) -> float32 (..., 4k); pairs (radius word, angle word)."""
    words = np.asarray(words, dtype=np.uint32)
    if words.shape[-1] % 4:
        raise ValueError("words must come in whole Philox blocks of 4")
    radius_words, angle_words = words[..., 0::2], words[..., 1::2]
    radius = sqrt_rn(np.multiply(ln_f32(uniform_open_closed(radius_words)), MINUS_TWO, dtype=np.float32))
    cos_a, sin_a = cos_sin_turn(angle_words)
    out = np.empty(words.shape, dtype=np.float32)
    out[..., 0::2] = np.multiply(radius, cos_a, dtype=np.float32)
    out[..., 1::2] = np.multiply(radius, sin_a, dtype=np.float32)
    return out


def exponentials_from_words(words: np.ndarray) -> np.ndarray:
    """Exp(1) variates E = -ln(u), u = uniform_open_closed(w) (encoder arrival times)."""
    return np.negative(ln_f32(uniform_open_closed(words)))


def stream_normals(seed: int, domain: int, step: int, chunk: int, candidates: np.ndarray | int,
                   count: int) -> np.ndarray:
    """Normals [candidates..., count] of stream (domain, step, chunk, candidate): element i comes from
    element block i // 4 (counter word 0), output word i % 4."""
    return normals_from_words(philox.stream_words(seed, domain, step, chunk, candidates, count, whole_blocks=True))[..., :count]
