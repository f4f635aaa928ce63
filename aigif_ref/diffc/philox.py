"""Philox4x32-10 (Salmon et al., Random123) on NumPy uint32 arrays, vectorised over counters.

Counter-based: every output block is a pure function of (key, counter), so encoder and decoder, CPU and
GPU draw the same numbers in any order. The DiffC counter layout (which words carry domain, step, chunk,
candidate, element block) lives in ``counter_words`` and is normative: spec/diffc.md, section Generator.
"""

from __future__ import annotations

import numpy as np

PHILOX_M0 = np.uint64(0xD2511F53)
PHILOX_M1 = np.uint64(0xCD9E8D57)
PHILOX_W0 = 0x9E3779B9
PHILOX_W1 = 0xBB67AE85
PHILOX_ROUNDS = 10
_MASK32 = np.uint64(0xFFFFFFFF)

# Domains keep the streams of different uses apart (counter word 3, top 8 bits). 0 is never used.
DOMAIN_CANDIDATE = 1      # RCC candidate noise of one chunk
DOMAIN_INITIAL_LATENT = 2  # x_T
DOMAIN_PERMUTATION = 3    # sort keys of the dimension permutation of one step
DOMAIN_ARRIVAL = 4        # encoder-only PFR arrival times (not needed to decode)
STEP_LIMIT = 1 << 24      # step index occupies the low 24 bits of counter word 3


def philox4x32_10(counter: np.ndarray, key: tuple[int, int]) -> np.ndarray:
    """Philox4x32-10 of counters shaped (..., 4) uint32 under a 2-word key; returns (..., 4) uint32."""
    counter = np.asarray(counter, dtype=np.uint32)
    if counter.shape[-1:] != (4,):
        raise ValueError("counter must have a last axis of 4 uint32 words")
    # 32-bit words held in uint64 lanes: the 32x32 products are exact, no casts inside the rounds.
    c0, c1, c2, c3 = (counter[..., i].astype(np.uint64) for i in range(4))
    k0, k1 = int(key[0]) & 0xFFFFFFFF, int(key[1]) & 0xFFFFFFFF
    shift = np.uint64(32)
    for round_index in range(PHILOX_ROUNDS):
        if round_index:
            k0 = (k0 + PHILOX_W0) & 0xFFFFFFFF
            k1 = (k1 + PHILOX_W1) & 0xFFFFFFFF
        p0 = c0 * PHILOX_M0
        p1 = c2 * PHILOX_M1
        hi1 = p1 >> shift
        hi1 ^= c1
        hi1 ^= np.uint64(k0)
        hi0 = p0 >> shift
        hi0 ^= c3
        hi0 ^= np.uint64(k1)
        p1 &= _MASK32
        p0 &= _MASK32
        c0, c1, c2, c3 = hi1, p1, hi0, p0
    return np.stack([c0, c1, c2, c3], axis=-1).astype(np.uint32)


def key_from_seed(seed: int) -> tuple[int, int]:
    """The file's 64-bit seed as the Philox key: word 0 the low 32 bits, word 1 the high 32 bits."""
    if not 0 <= seed < 1 << 64:
        raise ValueError("seed must be an unsigned 64-bit integer")
    return seed & 0xFFFFFFFF, seed >> 32


def counter_words(domain: int, step: int, chunk: int | np.ndarray, candidate: int | np.ndarray,
                  block: int | np.ndarray) -> np.ndarray:
    """Counters (broadcast shape, 4) for the DiffC layout.

    word 0 = element block (4 outputs per block), word 1 = candidate, word 2 = chunk,
    word 3 = domain << 24 | step.
    """
    if not 0 < domain < 256:
        raise ValueError("domain must be 1..255")
    if not 0 <= step < STEP_LIMIT:
        raise ValueError("step must be below 2**24")
    block, candidate, chunk = np.broadcast_arrays(np.asarray(block, dtype=np.uint32),
                                                  np.asarray(candidate, dtype=np.uint32),
                                                  np.asarray(chunk, dtype=np.uint32))
    word3 = np.full(block.shape, (domain << 24) | step, dtype=np.uint32)
    return np.stack([block, candidate, chunk, word3], axis=-1)


def stream_words(seed: int, domain: int, step: int, chunk: int, candidates: np.ndarray | int, count: int,
                 whole_blocks: bool = False) -> np.ndarray:
    """Words [candidates..., count] of the stream (domain, step, chunk, candidate).

    Word i comes from element block i // 4 (counter word 0), output word i % 4. With ``whole_blocks`` the
    last axis is rounded up to a multiple of 4.
    """
    blocks = (count + 3) // 4
    candidates = np.asarray(candidates, dtype=np.uint32)
    counters = counter_words(domain, step, chunk, candidates[..., None], np.arange(blocks, dtype=np.uint32))
    words = philox4x32_10(counters, key_from_seed(seed)).reshape(candidates.shape + (blocks * 4,))
    return words if whole_blocks else words[..., :count]
