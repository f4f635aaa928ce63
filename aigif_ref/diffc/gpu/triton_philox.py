"""Philox4x32-10 as a Triton device function, and a kernel that writes raw Philox words.

Imported only when Triton is wanted (it needs Triton; the rest of aigif_ref.diffc never does).
Words are uint32 inside kernels; tensors crossing the Python boundary are int32 bit patterns,
because torch has few uint32 ops.
"""

from __future__ import annotations

import torch
import triton
import triton.language as tl

from .philox_torch import KEY_WEYL_INCREMENTS, ROUND_MULTIPLIERS, ROUNDS

ROUND_MULTIPLIER_0: tl.constexpr = tl.constexpr(ROUND_MULTIPLIERS[0])
ROUND_MULTIPLIER_1: tl.constexpr = tl.constexpr(ROUND_MULTIPLIERS[1])
KEY_WEYL_0: tl.constexpr = tl.constexpr(KEY_WEYL_INCREMENTS[0])
KEY_WEYL_1: tl.constexpr = tl.constexpr(KEY_WEYL_INCREMENTS[1])
PHILOX_ROUNDS: tl.constexpr = tl.constexpr(ROUNDS)


@triton.jit
def philox4x32_10(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 on uint32 tensors (counter words c0..c3, key words k0, k1; broadcastable)."""
    m0 = tl.full(c0.shape, ROUND_MULTIPLIER_0, tl.uint32)
    m1 = tl.full(c0.shape, ROUND_MULTIPLIER_1, tl.uint32)
    for round_index in tl.static_range(PHILOX_ROUNDS):
        if round_index > 0:
            k0 = k0 + KEY_WEYL_0
            k1 = k1 + KEY_WEYL_1
        hi0 = tl.umulhi(m0, c0)
        lo0 = m0 * c0
        hi1 = tl.umulhi(m1, c2)
        lo1 = m1 * c2
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
    return c0, c1, c2, c3


@triton.jit
def _load_u32(ptr, index):
    return tl.load(ptr + index).to(tl.uint32, bitcast=True)


@triton.jit
def _philox_words_kernel(params_ptr, out_ptr, count, BLOCK: tl.constexpr):
    """out[i, 0:4] = Philox(counter = (params[0] + i (mod 2**32), params[1], params[2], params[3]),
    key = (params[4], params[5]))."""
    offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    inside = offsets < count
    c0 = _load_u32(params_ptr, 0) + offsets.to(tl.uint32)
    ones = tl.full((BLOCK,), 1, tl.uint32)
    c1 = ones * _load_u32(params_ptr, 1)
    c2 = ones * _load_u32(params_ptr, 2)
    c3 = ones * _load_u32(params_ptr, 3)
    k0 = ones * _load_u32(params_ptr, 4)
    k1 = ones * _load_u32(params_ptr, 5)
    w0, w1, w2, w3 = philox4x32_10(c0, c1, c2, c3, k0, k1)
    base = out_ptr + offsets * 4
    tl.store(base + 0, w0.to(tl.int32, bitcast=True), mask=inside)
    tl.store(base + 1, w1.to(tl.int32, bitcast=True), mask=inside)
    tl.store(base + 2, w2.to(tl.int32, bitcast=True), mask=inside)
    tl.store(base + 3, w3.to(tl.int32, bitcast=True), mask=inside)


def as_int32_bits(words: list[int], device: torch.device | str) -> torch.Tensor:
    """32-bit words as an int32 tensor holding the same bit patterns."""
    return torch.tensor([w - (1 << 32) if w >= 1 << 31 else w for w in words], dtype=torch.int32, device=device)


def philox_words(counter: tuple[int, int, int, int], key: tuple[int, int], count: int,
                 device: torch.device | str = "cuda") -> torch.Tensor:
    """Philox words for `count` consecutive values of counter word 0; int64 tensor (count, 4) in [0, 2**32)."""
    params = as_int32_bits([*counter, *key], device)
    out = torch.empty((count, 4), dtype=torch.int32, device=device)
    block = 1024
    _philox_words_kernel[(triton.cdiv(count, block),)](params, out, count, BLOCK=block)
    return out.to(torch.int64) & 0xFFFFFFFF
