"""Reverse-channel coding by PFR (Theis & Ahmed 2022, Algorithm 4 of the DiffC paper), chunk by chunk.

For one chunk, candidates n = 0, 1, ... are unit normals from stream (1, step, chunk, n) (the decoder
regenerates only the winner: ``candidate_noise``). The encoder's target is q = N(delta, I) against
p = N(0, I) in the chunk's elements, so log q/p of candidate z is delta . z up to a constant, and PFR
picks argmax_n (delta . z_n - ln T_n) over arrival times T_n of a unit Poisson process.

The search is encoder-only and not needed to decode, but it is specified to the bit (spec/diffc.md,
section 3.3) so that every backend (this NumPy one, the GPU one) picks the same index:

- E_n = -ln32(u(word n of stream (4, step, chunk, 0))); fixed point e_n = floor(E_n * 2^20) (int64),
  t_n = e_0 + ... + e_n (exact), T_n = binary32(t_n) (nearest) * 2^-20;
- s_n = sum over the chunk's elements i in order of delta_i * z_n,i, binary32, one rounding per
  multiply and per add, left to right from +0;
- score_n = s_n - ln32(T_n); the winner is the first n with the greatest score.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from aigif_ref.diffc import gaussian, philox

MAX_CANDIDATES_LOG2 = 16
FIXED_POINT_BITS = 20
CANDIDATE_BATCH = 8192  # candidates per NumPy batch: memory ~ batch * chunk elements * 4 bytes * a few


def candidate_noise(seed: int, step: int, chunk: int, index: int, count: int) -> np.ndarray:
    """The normals of candidate ``index`` of a chunk: what a decoder draws (float32, length count)."""
    return gaussian.stream_normals(seed, philox.DOMAIN_CANDIDATE, step, chunk, index, count)


def arrival_log_times(seed: int, step: int, chunk: int, candidates: int) -> np.ndarray:
    """ln32(T_n) for n < candidates (binary32)."""
    words = philox.stream_words(seed, philox.DOMAIN_ARRIVAL, step, chunk, 0, candidates)
    exponentials = gaussian.exponentials_from_words(words)
    fixed = np.floor(exponentials.astype(np.float64) * float(1 << FIXED_POINT_BITS)).astype(np.int64)
    times = np.cumsum(fixed)
    times_f32 = np.multiply(times.astype(np.float32), np.float32(2.0 ** -FIXED_POINT_BITS), dtype=np.float32)
    return gaussian.ln_f32(times_f32)


def _scores_numpy(delta: np.ndarray, seed: int, step: int, chunk: int, candidates: int) -> np.ndarray:
    delta = np.asarray(delta, dtype=np.float32)
    count = len(delta)
    blocks = (count + 3) // 4
    key = philox.key_from_seed(seed)
    dot = np.empty(candidates, dtype=np.float32)
    batch = max(256, min(CANDIDATE_BATCH, (1 << 22) // max(1, blocks * 4)))
    for first in range(0, candidates, batch):
        ids = np.arange(first, min(candidates, first + batch), dtype=np.uint32)
        # element-major layout (block, 4, candidate): each element's values over the batch are contiguous
        counters = philox.counter_words(philox.DOMAIN_CANDIDATE, step, chunk, ids[None, :],
                                        np.arange(blocks, dtype=np.uint32)[:, None])
        z = gaussian.normals_from_words(philox.philox4x32_10(counters, key))
        z = np.ascontiguousarray(z.transpose(0, 2, 1)).reshape(blocks * 4, len(ids))
        acc = np.zeros(len(ids), dtype=np.float32)
        term = np.empty(len(ids), dtype=np.float32)
        for i in range(count):  # left to right, one rounding per multiply and per add
            np.multiply(z[i], delta[i], out=term)
            np.add(acc, term, out=acc)
        dot[first:first + len(ids)] = acc
    return dot


# Backends compute s_n (the float32 dot products) for n < candidates; all must return the same bits.
SCORE_BACKENDS: dict[str, Callable[[np.ndarray, int, int, int, int], np.ndarray]] = {"numpy": _scores_numpy}


def register_backend(name: str, scores: Callable[[np.ndarray, int, int, int, int], np.ndarray]) -> None:
    """Plug in another implementation of the candidate dot products (e.g. the GPU kernel)."""
    SCORE_BACKENDS[name] = scores


# Backends that run the whole search (arrival times and argmax too, e.g. the fused GPU kernel): called as
# search(delta, seed, step, chunk, candidates_log2), they must return candidate_search's index.
SEARCH_BACKENDS: dict[str, Callable[[np.ndarray, int, int, int, int], int]] = {}


def candidate_search(delta: np.ndarray, seed: int, step: int, chunk: int, candidates_log2: int,
                     backend: str = "numpy") -> int:
    """The PFR index for one chunk: delta is (mu_q - mu_p) / sigma on the chunk's elements, in order."""
    if not 0 <= candidates_log2 <= MAX_CANDIDATES_LOG2:
        raise ValueError(f"candidates_log2 must be 0..{MAX_CANDIDATES_LOG2}")
    if backend in SEARCH_BACKENDS:
        return SEARCH_BACKENDS[backend](delta, seed, step, chunk, candidates_log2)
    candidates = 1 << candidates_log2
    scores = np.subtract(SCORE_BACKENDS[backend](delta, seed, step, chunk, candidates),
                         arrival_log_times(seed, step, chunk, candidates), dtype=np.float32)
    return int(np.argmax(scores))  # the first of equal maxima
