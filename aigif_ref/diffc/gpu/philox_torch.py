"""Philox4x32-10 and the DiffC stream layout written with torch integer tensor ops (CPU and CUDA).

torch has no usable uint32 arithmetic (no multiply-high, few ops on torch.uint32), so every 32-bit
word is held in an int64 tensor with values in [0, 2**32). The 32x32 -> 64-bit product Philox needs is
split into two 32x16-bit products so that no intermediate leaves int64. Constants and the counter
layout are the NumPy reference's (aigif_ref.diffc.philox, spec/diffc.md section 1): this file only
re-expresses them for torch, and tests/test_diffc_gpu.py checks it bit for bit against the reference.
"""

from __future__ import annotations

import torch

from aigif_ref.diffc import philox as reference

MASK32 = 0xFFFFFFFF
ROUND_MULTIPLIERS = (int(reference.PHILOX_M0), int(reference.PHILOX_M1))
KEY_WEYL_INCREMENTS = (reference.PHILOX_W0, reference.PHILOX_W1)
ROUNDS = reference.PHILOX_ROUNDS

Words = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]


def mulhilo32(multiplier: int, word: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """High and low 32-bit halves of multiplier * word (word: int64 tensor in [0, 2**32))."""
    low_product = (word & 0xFFFF) * multiplier  # < 2**48
    high_product = (word >> 16) * multiplier  # < 2**48
    # product = low_product + high_product * 2**16; fold high_product's low 16 bits into the low word.
    partial = low_product + ((high_product & 0xFFFF) << 16)  # < 2**49
    return (high_product >> 16) + (partial >> 32), partial & MASK32


def philox4x32_10(counter: Words, key: tuple[int, int]) -> Words:
    """Philox4x32-10 of a (broadcastable) batch of counters under a 2-word key.

    counter: four int64 tensors of 32-bit words (word 0 first, as in Random123); key: two 32-bit ints.
    Returns four int64 tensors of 32-bit words.
    """
    c0, c1, c2, c3 = torch.broadcast_tensors(*counter)
    k0, k1 = key[0] & MASK32, key[1] & MASK32
    for round_index in range(ROUNDS):
        if round_index:
            k0 = (k0 + KEY_WEYL_INCREMENTS[0]) & MASK32
            k1 = (k1 + KEY_WEYL_INCREMENTS[1]) & MASK32
        hi0, lo0 = mulhilo32(ROUND_MULTIPLIERS[0], c0)
        hi1, lo1 = mulhilo32(ROUND_MULTIPLIERS[1], c2)
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
    return c0, c1, c2, c3


def stream_counter_words(domain: int, step: int, chunk: int) -> tuple[int, int]:
    """Counter words 2 and 3 of streams (domain, step, chunk, *), from the reference's layout."""
    fixed = reference.counter_words(domain, step, chunk, 0, 0)
    return int(fixed[2]), int(fixed[3])


def stream_words(seed: int, domain: int, step: int, chunk: int, candidates: torch.Tensor | int, count: int,
                 whole_blocks: bool = False, device: torch.device | str = "cpu") -> torch.Tensor:
    """Words [candidates..., count] of the stream (domain, step, chunk, candidate) as int64 in [0, 2**32).

    As aigif_ref.diffc.philox.stream_words: word i comes from element block i // 4 (counter word 0),
    output word i % 4; with ``whole_blocks`` the last axis is rounded up to a multiple of 4.
    """
    word2, word3 = stream_counter_words(domain, step, chunk)
    candidates = torch.as_tensor(candidates, dtype=torch.int64, device=device)
    blocks = (count + 3) // 4
    block = torch.arange(blocks, dtype=torch.int64, device=device)
    c1 = candidates[..., None]
    words = philox4x32_10((block, c1, torch.full_like(c1, word2), torch.full_like(c1, word3)),
                          reference.key_from_seed(seed))
    out = torch.stack(words, dim=-1).reshape(candidates.shape + (blocks * 4,))
    return out if whole_blocks else out[..., :count]
