"""Triton kernels for DiffC: Philox4x32-10, the exact normal transform, the fused candidate search.

Imported only when Triton is wanted; the rest of aigif_ref never needs Triton. Every kernel is
launched with ``enable_fp_fusion=False`` (Triton contracts a*b+c into an FMA by default, which would
change bits), divides with ``div_rn`` and takes ``sqrt_rn`` (plain ``/`` and ``sqrt`` are approximate
on NVIDIA GPUs), so results equal aigif_ref.diffc.gaussian bit for bit. Words are uint32 inside the
kernels; tensors crossing into Python carry int32 bit patterns (torch has few uint32 ops).
"""

from __future__ import annotations

import functools

import torch
import triton
import triton.language as tl

from aigif_ref.diffc import pfr
from aigif_ref.diffc import philox as philox_reference

from . import gaussian_torch as constants
from .philox_torch import KEY_WEYL_INCREMENTS, ROUND_MULTIPLIERS, ROUNDS, stream_counter_words

# Exactness: FMA contraction off for every launch (also passes --fmad=false to ptxas).
EXACT = {"enable_fp_fusion": False}

_M0: tl.constexpr = tl.constexpr(ROUND_MULTIPLIERS[0])
_M1: tl.constexpr = tl.constexpr(ROUND_MULTIPLIERS[1])
_W0: tl.constexpr = tl.constexpr(KEY_WEYL_INCREMENTS[0])
_W1: tl.constexpr = tl.constexpr(KEY_WEYL_INCREMENTS[1])
_ROUNDS: tl.constexpr = tl.constexpr(ROUNDS)
_SQRT2: tl.constexpr = tl.constexpr(constants.SQRT2)
_LN2_HI: tl.constexpr = tl.constexpr(constants.LN2_HI)
_LN2_LO: tl.constexpr = tl.constexpr(constants.LN2_LO)
_L0: tl.constexpr = tl.constexpr(constants.LOG_COEFFS[0])
_L1: tl.constexpr = tl.constexpr(constants.LOG_COEFFS[1])
_L2: tl.constexpr = tl.constexpr(constants.LOG_COEFFS[2])
_L3: tl.constexpr = tl.constexpr(constants.LOG_COEFFS[3])
_L4: tl.constexpr = tl.constexpr(constants.LOG_COEFFS[4])
_S1: tl.constexpr = tl.constexpr(constants.SIN_COEFFS[0])
_S3: tl.constexpr = tl.constexpr(constants.SIN_COEFFS[1])
_S5: tl.constexpr = tl.constexpr(constants.SIN_COEFFS[2])
_S7: tl.constexpr = tl.constexpr(constants.SIN_COEFFS[3])
_S9: tl.constexpr = tl.constexpr(constants.SIN_COEFFS[4])
_C2: tl.constexpr = tl.constexpr(constants.COS_COEFFS[0])
_C4: tl.constexpr = tl.constexpr(constants.COS_COEFFS[1])
_C6: tl.constexpr = tl.constexpr(constants.COS_COEFFS[2])
_C8: tl.constexpr = tl.constexpr(constants.COS_COEFFS[3])
_C10: tl.constexpr = tl.constexpr(constants.COS_COEFFS[4])
_TWO_POW_M24: tl.constexpr = tl.constexpr(constants.TWO_POW_M24)
_TWO_POW_M22: tl.constexpr = tl.constexpr(constants.TWO_POW_M22)
_MINUS_TWO: tl.constexpr = tl.constexpr(constants.MINUS_TWO)
_FIXED_SCALE: tl.constexpr = tl.constexpr(float(1 << pfr.FIXED_POINT_BITS))
_TWO_POW_M_FIXED: tl.constexpr = tl.constexpr(2.0 ** -pfr.FIXED_POINT_BITS)
_KEY_NONE: tl.constexpr = tl.constexpr(-(1 << 63))


@triton.jit
def philox4x32_10(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 on uint32 tensors of one shape (counter words c0..c3, key words k0, k1)."""
    m0 = tl.full(c0.shape, _M0, tl.uint32)
    m1 = tl.full(c0.shape, _M1, tl.uint32)
    for round_index in tl.static_range(_ROUNDS):
        if round_index > 0:
            k0 = k0 + _W0
            k1 = k1 + _W1
        hi0 = tl.umulhi(m0, c0)
        lo0 = m0 * c0
        hi1 = tl.umulhi(m1, c2)
        lo1 = m1 * c2
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
    return c0, c1, c2, c3


@triton.jit
def _neg(x):
    """IEEE negation (Triton's unary minus is 0 - x, which turns -0 into +0: the reference keeps the sign)."""
    return x * -1.0


@triton.jit
def _horner5(y, a0, a1, a2, a3, a4):
    """a0 + y*(a1 + y*(a2 + y*(a3 + y*a4))), every step rounded (no FMA: launched with EXACT)."""
    acc = y * a4
    acc = acc + a3
    acc = y * acc
    acc = acc + a2
    acc = y * acc
    acc = acc + a1
    acc = y * acc
    acc = acc + a0
    return acc


@triton.jit
def ln32(x):
    """ln32 of positive normal float32 (spec/diffc.md 1.3)."""
    bits = x.to(tl.uint32, bitcast=True)
    exponent = (bits >> 23).to(tl.int32) - 127
    mantissa = ((bits & 0x007FFFFF) | 0x3F800000).to(tl.float32, bitcast=True)
    big = mantissa > _SQRT2
    mantissa = tl.where(big, mantissa * 0.5, mantissa)
    exponent = exponent + big.to(tl.int32)
    f = mantissa - 1.0
    s = tl.math.div_rn(f, mantissa + 1.0)
    z = s * s
    ln_mantissa = s * _horner5(z, _L0, _L1, _L2, _L3, _L4)
    n = exponent.to(tl.float32)
    low = n * _LN2_LO + ln_mantissa
    return n * _LN2_HI + low


@triton.jit
def uniform_open_closed(words):
    return ((words >> 8) + 1).to(tl.float32) * _TWO_POW_M24


@triton.jit
def radius(words):
    return tl.math.sqrt_rn(ln32(uniform_open_closed(words)) * _MINUS_TWO)


@triton.jit
def cos_sin_turn(words):
    shifted = ((words >> 8) + (1 << 21)) & 0xFFFFFF
    quadrant = shifted >> 22
    x = ((shifted & 0x3FFFFF).to(tl.int32) - (1 << 21)).to(tl.float32) * _TWO_POW_M22
    y = x * x
    sin_x = x * _horner5(y, _S1, _S3, _S5, _S7, _S9)
    cos_x = y * _horner5(y, _C2, _C4, _C6, _C8, _C10)
    cos_x = cos_x + 1.0
    cos_out = tl.where(quadrant == 0, cos_x, tl.where(quadrant == 1, _neg(sin_x), tl.where(quadrant == 2, _neg(cos_x), sin_x)))
    sin_out = tl.where(quadrant == 0, sin_x, tl.where(quadrant == 1, cos_x, tl.where(quadrant == 2, _neg(sin_x), _neg(cos_x))))
    return cos_out, sin_out


@triton.jit
def normals4(w0, w1, w2, w3):
    """The four normals of one Philox block (radius words w0, w2; angle words w1, w3)."""
    r0 = radius(w0)
    r1 = radius(w2)
    cos0, sin0 = cos_sin_turn(w1)
    cos1, sin1 = cos_sin_turn(w3)
    return r0 * cos0, r0 * sin0, r1 * cos1, r1 * sin1


@triton.jit
def _load_u32(ptr, index):
    return tl.load(ptr + index).to(tl.uint32, bitcast=True)


@triton.jit
def _stream_setup(params_ptr, word2, like):
    """Counter words 2, 3 and the key, broadcast to ``like``'s shape. params: (word3, k0, k1) of a
    (seed, domain, step), cached on the device; word2 (the chunk's counter word) is a scalar argument."""
    ones = tl.full(like.shape, 1, tl.uint32)
    return (ones * word2.to(tl.uint32), ones * _load_u32(params_ptr, 0), ones * _load_u32(params_ptr, 1),
            ones * _load_u32(params_ptr, 2))


@triton.jit
def _philox_words_kernel(counter_ptr, out_ptr, count, BLOCK: tl.constexpr):
    """out[i, :] = Philox(counter = (counter[0] + i mod 2**32, counter[1..3]), key = counter[4..5])."""
    offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    inside = offsets < count
    ones = tl.full((BLOCK,), 1, tl.uint32)
    c0 = _load_u32(counter_ptr, 0) + offsets.to(tl.uint32)
    w0, w1, w2, w3 = philox4x32_10(c0, ones * _load_u32(counter_ptr, 1), ones * _load_u32(counter_ptr, 2),
                                   ones * _load_u32(counter_ptr, 3), ones * _load_u32(counter_ptr, 4),
                                   ones * _load_u32(counter_ptr, 5))
    base = out_ptr + offsets * 4
    tl.store(base + 0, w0.to(tl.int32, bitcast=True), mask=inside)
    tl.store(base + 1, w1.to(tl.int32, bitcast=True), mask=inside)
    tl.store(base + 2, w2.to(tl.int32, bitcast=True), mask=inside)
    tl.store(base + 3, w3.to(tl.int32, bitcast=True), mask=inside)


@triton.jit(do_not_specialize=["chunk_word"])
def _stream_normals_kernel(params_ptr, chunk_word, candidates_ptr, out_ptr, n_candidates, blocks, out_stride,
                           BLOCK: tl.constexpr):
    """out[c, 4b:4b+4] = normals of element block b of stream (domain, step, chunk, candidates[c]).

    Grid: (n_candidates, cdiv(blocks, BLOCK)); out rows are out_stride floats (>= 4*blocks)."""
    row = tl.program_id(0)
    block = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    inside = block < blocks
    c0 = block.to(tl.uint32)
    word2, word3, k0, k1 = _stream_setup(params_ptr, chunk_word, c0)
    c1 = tl.full(c0.shape, 1, tl.uint32) * tl.load(candidates_ptr + row).to(tl.uint32, bitcast=True)
    w0, w1, w2, w3 = philox4x32_10(c0, c1, word2, word3, k0, k1)
    z0, z1, z2, z3 = normals4(w0, w1, w2, w3)
    base = out_ptr + row.to(tl.int64) * out_stride + block * 4
    tl.store(base + 0, z0, mask=inside)
    tl.store(base + 1, z1, mask=inside)
    tl.store(base + 2, z2, mask=inside)
    tl.store(base + 3, z3, mask=inside)


@triton.jit
def _chunk_dot(params_ptr, chunk_word, weights_ptr, c1, dims, UNROLL: tl.constexpr):
    """sum_i z[n, i] * weights[i] for the candidates c1 (uint32 lanes), i = 0 .. dims-1 left to right
    from +0, one binary32 rounding per product and per add; z = normals of stream (domain, step, chunk, n)."""
    word2, word3, k0, k1 = _stream_setup(params_ptr, chunk_word, c1)
    ones = tl.full(c1.shape, 1, tl.uint32)
    acc = tl.zeros(c1.shape, tl.float32)
    full_blocks = dims // 4
    for block in tl.range(0, full_blocks, loop_unroll_factor=UNROLL):
        w0, w1, w2, w3 = philox4x32_10(ones * block, c1, word2, word3, k0, k1)
        z0, z1, z2, z3 = normals4(w0, w1, w2, w3)
        element = weights_ptr + block * 4
        acc = acc + z0 * tl.load(element)
        acc = acc + z1 * tl.load(element + 1)
        acc = acc + z2 * tl.load(element + 2)
        acc = acc + z3 * tl.load(element + 3)
    tail = dims - full_blocks * 4
    if tail > 0:  # the last, partial element block
        w0, w1, w2, w3 = philox4x32_10(ones * full_blocks, c1, word2, word3, k0, k1)
        z0, z1, z2, z3 = normals4(w0, w1, w2, w3)
        element = weights_ptr + full_blocks * 4
        acc = acc + z0 * tl.load(element)
        if tail > 1:
            acc = acc + z1 * tl.load(element + 1)
        if tail > 2:
            acc = acc + z2 * tl.load(element + 2)
    return acc


@triton.jit(do_not_specialize=["chunk_word", "n_candidates", "dims"])
def _candidate_log_weights_kernel(params_ptr, chunk_word, weights_ptr, out_ptr, n_candidates, dims,
                                  BLOCK_C: tl.constexpr, UNROLL: tl.constexpr):
    """out[n] = the chunk dot product of candidate n. One lane per candidate."""
    candidate = tl.program_id(0) * BLOCK_C + tl.arange(0, BLOCK_C)
    acc = _chunk_dot(params_ptr, chunk_word, weights_ptr, candidate.to(tl.uint32), dims, UNROLL)
    tl.store(out_ptr + candidate, acc, mask=candidate < n_candidates)


@triton.jit(do_not_specialize=["chunk_word", "n_candidates"])
def _arrival_kernel(params_ptr, chunk_word, fixed_ptr, block_sums_ptr, best_ptr, n_candidates,
                    BLOCK: tl.constexpr):
    """fixed[n] = floor(E_n * 2**FIXED) (int64), E_n = -ln32(u(word n of stream (arrival, step, chunk, 0)));
    block_sums[b] = the sum of block b's; program 0 also resets the search's best key."""
    n = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    inside = n < n_candidates
    c0 = (n >> 2).to(tl.uint32)
    word2, word3, k0, k1 = _stream_setup(params_ptr, chunk_word, c0)
    w0, w1, w2, w3 = philox4x32_10(c0, tl.zeros(c0.shape, tl.uint32), word2, word3, k0, k1)
    lane = n & 3
    word = tl.where(lane == 0, w0, tl.where(lane == 1, w1, tl.where(lane == 2, w2, w3)))
    exponential = _neg(ln32(uniform_open_closed(word)))
    fixed = (exponential * _FIXED_SCALE).to(tl.int64)  # exact product, non-negative: truncation is floor
    fixed = tl.where(inside, fixed, 0)
    tl.store(fixed_ptr + n, fixed, mask=inside)
    tl.store(block_sums_ptr + tl.program_id(0), tl.sum(fixed, axis=0))
    if tl.program_id(0) == 0:
        tl.store(best_ptr, _KEY_NONE)


@triton.jit(do_not_specialize=["chunk_word", "n_candidates", "dims"])
def _search_kernel(params_ptr, chunk_word, weights_ptr, fixed_ptr, block_sums_ptr, best_ptr, n_candidates, dims,
                   BLOCK_C: tl.constexpr, SUMS: tl.constexpr, UNROLL: tl.constexpr):
    """best = max over candidates of key(score_n, n), score_n = s_n - ln32(T_n): the greatest score, and
    among equal scores the smallest n (the reference's first maximum). Arrival blocks are BLOCK_C wide."""
    program = tl.program_id(0)
    candidate = program * BLOCK_C + tl.arange(0, BLOCK_C)
    inside = candidate < n_candidates
    dot = _chunk_dot(params_ptr, chunk_word, weights_ptr, candidate.to(tl.uint32), dims, UNROLL)
    # T_n: exact integer prefix sum = the sums of the earlier blocks + this block's running sum.
    earlier = tl.arange(0, SUMS)
    prefix = tl.sum(tl.load(block_sums_ptr + earlier, mask=earlier < program, other=0), axis=0)
    times = prefix + tl.cumsum(tl.load(fixed_ptr + candidate, mask=inside, other=0), axis=0)
    score = dot - ln32(times.to(tl.float32) * _TWO_POW_M_FIXED)
    # Order-preserving int32 image of the float score (+0 and -0 equal), then the index, inverted.
    bits = score.to(tl.int32, bitcast=True)
    ordered = tl.where(score == 0.0, 0, tl.where(bits < 0, bits ^ 0x7FFFFFFF, bits))
    key = (ordered.to(tl.int64) << 32) | (tl.full(candidate.shape, 0xFFFFFFFF, tl.int64) - candidate.to(tl.int64))
    key = tl.where(inside, key, _KEY_NONE)
    tl.atomic_max(best_ptr, tl.max(key, axis=0))


@triton.jit
def _word_transforms_kernel(words_ptr, radius_ptr, cos_ptr, sin_ptr, count, BLOCK: tl.constexpr):
    """Per word w: the Box-Muller radius sqrt(ln32(u(w)) * -2) and the angle's cos and sin."""
    offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    inside = offsets < count
    words = tl.load(words_ptr + offsets, mask=inside, other=0).to(tl.uint32, bitcast=True)
    cos, sin = cos_sin_turn(words)
    tl.store(radius_ptr + offsets, radius(words), mask=inside)
    tl.store(cos_ptr + offsets, cos, mask=inside)
    tl.store(sin_ptr + offsets, sin, mask=inside)


def _int32_bit_patterns(words: torch.Tensor) -> torch.Tensor:
    """int64 words in [0, 2**32) as int32 tensors with the same 32 bits."""
    return (words - ((words >> 31) << 32)).to(torch.int32)


def _int32_bits(words: list[int], device) -> torch.Tensor:
    return torch.tensor([w - (1 << 32) if w >= 1 << 31 else w for w in words], dtype=torch.int32, device=device)


@functools.lru_cache(maxsize=64)
def _step_params(seed: int, domain: int, step: int, device: torch.device) -> torch.Tensor:
    """(word3, k0, k1) of streams (domain, step, *, *) under the seed, as an int32 device tensor (kept: one
    host-to-device copy per step, not per chunk)."""
    _, word3 = stream_counter_words(domain, step, 0)
    return _int32_bits([word3, *philox_reference.key_from_seed(seed)], device)


def _chunk_word(domain: int, step: int, chunk: int) -> int:
    """Counter word 2 of the chunk's streams, as a kernel argument (int32 bit pattern)."""
    word2, _ = stream_counter_words(domain, step, chunk)
    return word2 - (1 << 32) if word2 >= 1 << 31 else word2


def philox_words(counter: tuple[int, int, int, int], key: tuple[int, int], count: int,
                 device: torch.device | str = "cuda") -> torch.Tensor:
    """Philox words for ``count`` consecutive values of counter word 0: int64 (count, 4) in [0, 2**32)."""
    params = _int32_bits([*counter, *key], device)
    out = torch.empty((count, 4), dtype=torch.int32, device=device)
    block = 1024
    _philox_words_kernel[(triton.cdiv(count, block),)](params, out, count, BLOCK=block, **EXACT)
    return out.to(torch.int64) & 0xFFFFFFFF


def stream_normals(seed: int, domain: int, step: int, chunk: int, candidates: torch.Tensor | int, count: int,
                   device: torch.device | str = "cuda") -> torch.Tensor:
    """Normals [candidates..., count] of stream (domain, step, chunk, candidate), as the reference's."""
    candidates = torch.as_tensor(candidates, dtype=torch.int64, device=device)
    flat = _int32_bit_patterns(candidates.reshape(-1)).contiguous()
    blocks = (count + 3) // 4
    out = torch.empty((flat.numel(), blocks * 4), dtype=torch.float32, device=device)
    block = 256
    if flat.numel() and blocks:
        _stream_normals_kernel[(flat.numel(), triton.cdiv(blocks, block))](
            _step_params(seed, domain, step, torch.device(device)), _chunk_word(domain, step, chunk), flat, out,
            flat.numel(), blocks, blocks * 4,
            BLOCK=block, **EXACT)
    return out[:, :count].reshape(candidates.shape + (count,))


def candidate_log_weights(seed: int, domain: int, step: int, chunk: int, n_candidates: int,
                          weights: torch.Tensor, block_candidates: int = 128, num_warps: int = 4,
                          unroll: int = 1) -> torch.Tensor:
    """float32 [n_candidates]: the in-order dot product of each candidate's normals with ``weights``."""
    weights = weights.to(torch.float32).contiguous()
    out = torch.empty(n_candidates, dtype=torch.float32, device=weights.device)
    _candidate_log_weights_kernel[(triton.cdiv(n_candidates, block_candidates),)](
        _step_params(seed, domain, step, weights.device), _chunk_word(domain, step, chunk), weights, out,
        n_candidates, weights.numel(),
        BLOCK_C=block_candidates, UNROLL=unroll, num_warps=num_warps, **EXACT)
    return out


def word_transforms(words: torch.Tensor, exact: bool = True) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(radius, cos, sin) float32 of int64 words in [0, 2**32) (the two halves of the normal transform).
    exact=False launches with Triton's default FMA contraction (to show that it changes bits)."""
    bits = _int32_bit_patterns(words).contiguous()
    radius_out, cos_out, sin_out = (torch.empty(bits.shape, dtype=torch.float32, device=bits.device) for _ in range(3))
    block = 1024
    _word_transforms_kernel[(triton.cdiv(bits.numel(), block),)](bits, radius_out, cos_out, sin_out, bits.numel(),
                                                                  BLOCK=block, **(EXACT if exact else {}))
    return radius_out, cos_out, sin_out


def candidate_search(weights: torch.Tensor, seed: int, step: int, chunk: int, candidates_log2: int,
                     block_candidates: int = 64, num_warps: int = 2, unroll: int = 1) -> int:
    """The PFR index of one chunk (aigif_ref.diffc.pfr.candidate_search, same bits): two launches, the
    candidates generated on the fly and never stored, one 8-byte read back. weights: delta on the
    chunk's elements, in order (a CUDA tensor)."""
    if not 0 <= candidates_log2 <= pfr.MAX_CANDIDATES_LOG2:
        raise ValueError(f"candidates_log2 must be 0..{pfr.MAX_CANDIDATES_LOG2}")
    n_candidates = 1 << candidates_log2
    weights = weights.to(torch.float32).contiguous()
    device = weights.device
    programs = triton.cdiv(n_candidates, block_candidates)
    fixed = torch.empty(n_candidates, dtype=torch.int64, device=device)
    block_sums = torch.empty(programs, dtype=torch.int64, device=device)
    best = torch.empty(1, dtype=torch.int64, device=device)
    arrival, candidate = philox_reference.DOMAIN_ARRIVAL, philox_reference.DOMAIN_CANDIDATE
    _arrival_kernel[(programs,)](_step_params(seed, arrival, step, device), _chunk_word(arrival, step, chunk), fixed,
                                 block_sums, best, n_candidates, BLOCK=block_candidates, **EXACT)
    _search_kernel[(programs,)](
        _step_params(seed, candidate, step, device), _chunk_word(candidate, step, chunk), weights, fixed, block_sums,
        best, n_candidates, weights.numel(), BLOCK_C=block_candidates,
        SUMS=triton.next_power_of_2(triton.cdiv(1 << pfr.MAX_CANDIDATES_LOG2, block_candidates)),  # one compile
        UNROLL=unroll, num_warps=num_warps, **EXACT)
    return 0xFFFFFFFF - (int(best.item()) & 0xFFFFFFFF)
