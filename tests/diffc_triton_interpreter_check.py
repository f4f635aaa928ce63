"""Run by tests/test_diffc_gpu.py under TRITON_INTERPRET=1: the Triton kernels' integer and float logic
on CPU against the NumPy reference. Exits non-zero on the first difference."""

from __future__ import annotations

import numpy as np
import torch

from aigif_ref.diffc import gaussian, philox
from aigif_ref.diffc.gpu import triton_kernels


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
    words_np = (np.arange(0, 1 << 24, 4099, dtype=np.uint32) << np.uint32(8)) | np.uint32(0x5A)
    radius, cos, sin = triton_kernels.word_transforms(torch.from_numpy(words_np.astype(np.int64)))
    radius_ref = gaussian.sqrt_rn(np.multiply(gaussian.ln_f32(gaussian.uniform_open_closed(words_np)),
                                              gaussian.MINUS_TWO, dtype=np.float32))
    cos_ref, sin_ref = gaussian.cos_sin_turn(words_np)
    for name, got_t, ref in (("radius", radius, radius_ref), ("cos", cos, cos_ref), ("sin", sin, sin_ref)):
        assert np.array_equal(got_t.numpy().view(np.uint32), ref.view(np.uint32)), name
    print("ok")


if __name__ == "__main__":
    main()
