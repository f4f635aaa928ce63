"""Run by tests/test_diffc_gpu.py under TRITON_INTERPRET=1: the Triton kernels' integer and float logic
on CPU against the NumPy reference. Exits non-zero on the first difference."""

from __future__ import annotations

import numpy as np
import torch

from aigif_ref.diffc import gaussian, philox
from aigif_ref.diffc.gpu import triton_kernels


def kl_scaled_delta(rng: np.random.Generator, dims: int, kl_bits: float) -> np.ndarray:
    """A chunk delta carrying about kl_bits of KL (|delta|^2 / 2 / ln 2), as the encoder sizes chunks."""
    delta = rng.standard_normal(dims)
    return (delta * np.sqrt(2 * np.log(2) * kl_bits / np.sum(delta ** 2))).astype(np.float32)


def main() -> None:
    counter, key = (0xFFFFFFF0, 5, 0xFFFFFFFF, 7), (0x12345678, 0x9ABCDEF0)
    got = triton_kernels.philox_words(counter, key, 40, device="cpu")
    blocks = (np.arange(40, dtype=np.uint64) + counter[0]) & 0xFFFFFFFF
    counters = np.stack([blocks, *(np.full(40, w, dtype=np.uint64) for w in counter[1:])], -1).astype(np.uint32)
    assert got.tolist() == philox.philox4x32_10(counters, key).astype(np.int64).tolist(), "philox words"

    seed, candidates = 2**63 + 5, np.arange(40, dtype=np.int64) + 2**32 - 20
    expected = gaussian.stream_normals(seed, philox.DOMAIN_CANDIDATE, 3, 9, candidates, 37)
    normals = triton_kernels.stream_normals(seed, philox.DOMAIN_CANDIDATE, 3, 9, torch.from_numpy(candidates), 37,
                                            device="cpu")
    assert np.array_equal(normals.numpy().view(np.uint32), expected.view(np.uint32)), "stream normals"

    for dims in (1, 4, 23):
        weights = np.random.default_rng(dims).standard_normal(dims).astype(np.float32)
        z = gaussian.stream_normals(7, philox.DOMAIN_CANDIDATE, 2, 3, np.arange(300), dims)
        acc = np.zeros(300, np.float32)
        for i in range(dims):
            acc = acc + z[:, i] * weights[i]
        got = triton_kernels.candidate_log_weights(7, philox.DOMAIN_CANDIDATE, 2, 3, 300, torch.from_numpy(weights),
                                                   block_candidates=64)
        assert np.array_equal(got.numpy().view(np.uint32), acc.view(np.uint32)), f"log-weights, {dims} dims"
    # Sampled tops plus every quadrant boundary (x = +-0 there: the sign of zero must survive negation).
    boundaries = (np.arange(4)[:, None] * (1 << 22) + np.arange(-2, 3)[None, :]).ravel() % (1 << 24)
    tops = np.concatenate([np.arange(0, 1 << 24, 4099), boundaries]).astype(np.uint32)
    words_np = (tops << np.uint32(8)) | np.uint32(0x5A)
    radius, cos, sin = triton_kernels.word_transforms(torch.from_numpy(words_np.astype(np.int64)))
    radius_ref = gaussian.sqrt_rn(np.multiply(gaussian.ln_f32(gaussian.uniform_open_closed(words_np)),
                                              gaussian.MINUS_TWO, dtype=np.float32))
    cos_ref, sin_ref = gaussian.cos_sin_turn(words_np)
    for name, got_t, ref in (("radius", radius, radius_ref), ("cos", cos, cos_ref), ("sin", sin, sin_ref)):
        assert np.array_equal(got_t.numpy().view(np.uint32), ref.view(np.uint32)), name
    from aigif_ref.diffc import pfr

    winners = set()
    for dims, log2 in ((5, 10), (64, 9), (3, 0), (7, 5), (16, 8)):
        delta = kl_scaled_delta(np.random.default_rng(dims), dims, max(1, log2 - 4))
        expected = pfr.candidate_search(delta, 11, 4, 2, log2)
        winners.add(expected)
        got = triton_kernels.candidate_search(torch.from_numpy(delta), 11, 4, 2, log2, block_candidates=64, unroll=2)
        assert got == expected, f"search {dims} dims, 2**{log2}: {got} != {expected}"
    assert len(winners) > 2, "the searches must pick more than the first candidate"
    print("ok")


if __name__ == "__main__":
    main()
