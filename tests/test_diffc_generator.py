"""DiffC generator: Philox4x32-10 known answers, the exact normal transform, the committed vectors."""

from __future__ import annotations

import hashlib
import json
import math
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from aigif_ref.diffc import gaussian, philox

ROOT = Path(__file__).resolve().parents[1]
VECTORS = json.loads((ROOT / "vectors/diffc/generator.json").read_text(encoding="utf-8"))


def words(hex_list):
    return np.array([int(h, 16) for h in hex_list], dtype=np.uint32)


@pytest.mark.parametrize("case", VECTORS["philox4x32_10_random123"])
def test_philox_random123_known_answers(case):
    key = words(case["key"])
    got = philox.philox4x32_10(words(case["counter"]), (int(key[0]), int(key[1])))
    assert got.tolist() == words(case["output"]).tolist()


def test_philox_known_answers_are_random123s_own():
    # The vector file must carry Random123's published rows, not whatever the code printed.
    first = VECTORS["philox4x32_10_random123"][0]
    assert first["output"] == ["6627e8d5", "e169c58d", "bc57ac4c", "9b00dbd8"]


def test_philox_vectorised_equals_one_by_one():
    counters = np.random.default_rng(1).integers(0, 2**32, size=(37, 4), dtype=np.uint64).astype(np.uint32)
    batch = philox.philox4x32_10(counters, (0xDEADBEEF, 0x12345678))
    for row, counter in zip(batch, counters):
        assert row.tolist() == philox.philox4x32_10(counter, (0xDEADBEEF, 0x12345678)).tolist()


def test_counter_layout_and_domain_separation():
    counters = philox.counter_words(philox.DOMAIN_PERMUTATION, 9, 3, 7, np.arange(2))
    assert counters.tolist() == [[0, 7, 3, (philox.DOMAIN_PERMUTATION << 24) | 9],
                                 [1, 7, 3, (philox.DOMAIN_PERMUTATION << 24) | 9]]
    a = philox.stream_words(5, philox.DOMAIN_CANDIDATE, 0, 0, 0, 8)
    b = philox.stream_words(5, philox.DOMAIN_INITIAL_LATENT, 0, 0, 0, 8)
    assert a.tolist() != b.tolist()
    assert philox.key_from_seed(0x0123456789ABCDEF) == (0x89ABCDEF, 0x01234567)
    with pytest.raises(ValueError):
        philox.counter_words(0, 0, 0, 0, 0)
    with pytest.raises(ValueError):
        philox.counter_words(1, 1 << 24, 0, 0, 0)


def test_vectors_file_is_regenerated_identically():
    result = subprocess.run([sys.executable, "vectors/diffc/generate_generator.py", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_streams_match_vectors():
    for s in VECTORS["streams"]:
        count = len(s["words"])
        got = gaussian.stream_normals(int(s["seed"]), s["domain"], s["step"], s["chunk"], s["candidate"], count)
        assert got.view(np.uint32).tolist() == words(s["normals_f32"]).tolist()
    bulk = VECTORS["bulk"]
    normals = gaussian.stream_normals(int(bulk["seed"]), bulk["domain"], bulk["step"], bulk["chunk"],
                                      np.arange(bulk["candidates"]), bulk["count"])
    assert hashlib.sha256(normals.astype("<f4").tobytes()).hexdigest() == bulk["sha256"]


# An independent scalar implementation: each operation in binary64 then rounded once to binary32 is the
# correctly rounded binary32 result for + - * / sqrt (binary64 has more than 2*24+2 bits).
def f32(x: float) -> float:
    return struct.unpack("<f", struct.pack("<f", x))[0]


def bits_f32(bits: int) -> float:
    return struct.unpack("<f", struct.pack("<I", bits))[0]


def scalar_ln(x: float) -> float:
    bits = struct.unpack("<I", struct.pack("<f", x))[0]
    exponent = (bits >> 23) - 127
    m = bits_f32((bits & 0x7FFFFF) | 0x3F800000)
    if m > bits_f32(0x3FB504F3):
        m, exponent = f32(m * 0.5), exponent + 1
    s = f32(f32(m - 1.0) / f32(m + 1.0))
    z = f32(s * s)
    acc = float(gaussian.LOG_COEFFS[-1])
    for c in reversed(gaussian.LOG_COEFFS[:-1]):
        acc = f32(float(c) + f32(z * acc))
    ln_m = f32(s * acc)
    n = float(exponent)
    return f32(f32(n * float(gaussian.LN2_HI)) + f32(f32(n * float(gaussian.LN2_LO)) + ln_m))


def horner(y, coeffs):
    acc = float(coeffs[-1])
    for c in reversed(coeffs[:-1]):
        acc = f32(float(c) + f32(y * acc))
    return acc


def scalar_normals(w0: int, w1: int) -> tuple[float, float]:
    u = f32(((w0 >> 8) + 1) * 2.0**-24)
    r = f32(math.sqrt(f32(scalar_ln(u) * -2.0)))
    shifted = ((w1 >> 8) + (1 << 21)) & 0xFFFFFF
    q, x = shifted >> 22, f32(((shifted & 0x3FFFFF) - (1 << 21)) * 2.0**-22)
    y = f32(x * x)
    s = f32(x * horner(y, gaussian.SIN_COEFFS))
    c = f32(1.0 + f32(y * horner(y, gaussian.COS_COEFFS)))
    cos_a, sin_a = [(c, s), (-s, c), (-c, -s), (s, -c)][q]
    return f32(r * cos_a), f32(r * sin_a)


def test_normals_equal_an_independent_scalar_implementation():
    rng = np.random.default_rng(7)
    sample = np.concatenate([rng.integers(0, 2**32, size=4000, dtype=np.uint64).astype(np.uint32),
                             np.array([0, 0xFF, 0x100, 0xFFFFFFFF, 0x40000000, 0xBFFFFFFF, 0xC0000000, 0x80000000],
                                      dtype=np.uint32)])
    sample = sample[: len(sample) // 4 * 4]
    got = gaussian.normals_from_words(sample)
    for i in range(0, len(sample), 2):
        expected = scalar_normals(int(sample[i]), int(sample[i + 1]))
        assert struct.pack("<ff", *expected) == got[i:i + 2].astype("<f4").tobytes(), i


def test_ln_and_trig_accuracy():
    x = np.random.default_rng(3).uniform(1e-6, 1e6, 200_000).astype(np.float32)
    ln = gaussian.ln_f32(x).astype(np.float64)
    exact = np.log(x.astype(np.float64))
    ulp = np.spacing(np.abs(exact).astype(np.float32)).astype(np.float64)
    assert np.max(np.abs(ln - exact) / np.maximum(ulp, 2.0**-24)) < 4
    w = np.arange(0, 2**32, 997, dtype=np.uint64).astype(np.uint32)
    cos_a, sin_a = gaussian.cos_sin_turn(w)
    angle = 2 * np.pi * (w >> 8).astype(np.float64) / 2**24
    assert np.max(np.abs(cos_a - np.cos(angle))) < 2e-7
    assert np.max(np.abs(sin_a - np.sin(angle))) < 2e-7


def test_sqrt_rn_is_correctly_rounded():
    x = np.random.default_rng(4).uniform(0, 40, 100_000).astype(np.float32)
    r = gaussian.sqrt_rn(x)
    exact = np.sqrt(x.astype(np.float64))
    # the nearest binary32: neither neighbour is closer
    up = np.nextafter(r, np.float32(np.inf)).astype(np.float64)
    down = np.nextafter(r, np.float32(0)).astype(np.float64)
    err = np.abs(r.astype(np.float64) - exact)
    assert np.all(err <= np.abs(up - exact)) and np.all(err <= np.abs(down - exact))


def ks_statistic(sample: np.ndarray, cdf) -> float:
    """Kolmogorov-Smirnov distance between a sample and a distribution function."""
    x = np.sort(sample)
    f = cdf(x)
    n = len(x)
    return float(max(np.max(np.arange(1, n + 1) / n - f), np.max(f - np.arange(n) / n)))


def test_normals_are_standard_normal():
    z = gaussian.stream_normals(11, philox.DOMAIN_CANDIDATE, 0, 0, np.arange(512), 512).ravel().astype(np.float64)
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01
    normal_cdf = np.vectorize(lambda v: 0.5 * (1 + math.erf(v / math.sqrt(2))))
    assert ks_statistic(z, normal_cdf) < 1.95 / math.sqrt(len(z))  # the 0.1% critical value
    e = gaussian.exponentials_from_words(philox.stream_words(11, philox.DOMAIN_ARRIVAL, 0, 0, 0, 100_000))
    assert ks_statistic(e.astype(np.float64), lambda v: 1 - np.exp(-v)) < 1.95 / math.sqrt(len(e))
