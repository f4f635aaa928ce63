"""Canonical JSON text of float32 values (spec/bitstream.md 10.1) against an independent implementation.

The rule is implemented here again from the spec's words, with its own digit generation (exact
fractions) and its own layout; the reference's `float32_repr` + `json.dumps` must print the same
text for every value of a large sample: random bit patterns, every power of two, their
neighbours and the compact quarter values at and above 2**16 (where the reference once differed).
"""
from __future__ import annotations

import json
import math
import random
import struct
from fractions import Fraction

import pytest

from aigif_ref.grammar.primitives import float32_repr

_F32 = struct.Struct("<f")
_U32 = struct.Struct("<I")


def from_bits(bits: int) -> float:
    return _F32.unpack(_U32.pack(bits))[0]


def f32(value: float) -> float:
    return _F32.unpack(_F32.pack(value))[0]


def to_float32_via_double(text: str) -> float | None:
    """The spec's "reads back": decimal -> nearest binary64 -> nearest float32 (None past the range)."""
    try:
        return _F32.unpack(_F32.pack(float(text)))[0]
    except OverflowError:
        return None


def round_significant(value: Fraction, digits: int) -> tuple[int, int]:
    """(m, e) with m of `digits` digits and value ~= m * 10**e, rounded half to even (as C's %.*e)."""
    exponent = len(str(value.numerator // value.denominator)) - 1 if value >= 1 else -len(str(value.denominator // value.numerator))
    while Fraction(10) ** exponent > value:
        exponent -= 1
    while Fraction(10) ** (exponent + 1) <= value:
        exponent += 1
    scale = exponent - digits + 1
    scaled = value / Fraction(10) ** scale
    m, rest = divmod(scaled.numerator, scaled.denominator)
    if 2 * rest > scaled.denominator or (2 * rest == scaled.denominator and m % 2):
        m += 1
    if m == 10 ** digits:  # 9.99.. rounded up to 10.0..
        m, scale = m // 10, scale + 1
    return m, scale


def layout(negative: bool, digits: str, exponent: int) -> str:
    """Python repr's layout of the decimal 0.d1d2... * 10**(exponent + 1), i.e. d1.d2... * 10**exponent."""
    sign = "-" if negative else ""
    if -4 <= exponent < 16:
        if exponent >= len(digits) - 1:
            return f"{sign}{digits}{'0' * (exponent - len(digits) + 1)}.0"
        if exponent >= 0:
            return f"{sign}{digits[:exponent + 1]}.{digits[exponent + 1:]}"
        return f"{sign}0.{'0' * (-exponent - 1)}{digits}"
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{sign}{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"


def canonical_text(value: float) -> str:
    """Spec 10.1, written from its text: exact k/4 values, else the first correctly rounded p that reads back."""
    negative = math.copysign(1.0, value) < 0
    exact = abs(Fraction(value))
    if value == 0:
        return "-0.0" if negative else "0.0"
    quarters = exact * 4
    if not negative and quarters.denominator == 1 and quarters < 1 << 24:
        whole, quarter = divmod(quarters.numerator, 4)
        return f"{whole}.{('0', '25', '5', '75')[quarter]}"
    for p in range(1, 10):
        m, scale = round_significant(exact, p)
        digits = str(m).rstrip("0") or "0"
        exponent = scale + p - 1
        text = layout(negative, digits, exponent)
        if to_float32_via_double(text) == value:
            return text
    raise AssertionError(f"no p in 1..9 reads back {value!r}")


def reference_text(value: float) -> str:
    return json.dumps(float32_repr(value))


def sample() -> list[float]:
    rng = random.Random(20261121)
    values = [from_bits(rng.getrandbits(32)) for _ in range(60_000)]
    powers = [math.ldexp(1.0, e) for e in range(-149, 128)]
    values += powers + [from_bits(_U32.unpack(_F32.pack(p))[0] + d) for p in powers for d in (-1, 1)]
    values += [k / 4 for k in range(1 << 16, 1 << 24, 997)] + [k / 4 for k in (2**24 - 1, 2**24 - 2, 2**16, 2**16 + 1)]
    values += [4194304.0, 4194304.5, 16777216.0, 3.4028234663852886e38, 1e-45, 0.1, 0.7, -2.5, -0.0, 0.0]
    return [f32(v) for v in values if math.isfinite(v)]


@pytest.mark.parametrize("value, text", [
    (4194303.75, "4194303.75"), (16384.25, "16384.25"), (7.5, "7.5"), (12.0, "12.0"), (0.1, "0.1"),
    (-0.0, "-0.0"), (1e-45, "1e-45"), (3.4028234663852886e38, "3.4028235e+38"),
    (math.ldexp(1.0, -96), "1.26217745e-29"),
])
def test_spec_examples(value, text):
    value = f32(value)
    assert canonical_text(value) == text
    assert reference_text(value) == text


def test_reference_prints_the_spec_text_over_a_large_sample():
    wrong = [(v, reference_text(v), canonical_text(v)) for v in sample() if reference_text(v) != canonical_text(v)]
    assert not wrong, f"{len(wrong)} values differ, e.g. {wrong[:5]}"
