"""The PFR candidate search of one chunk (aigif_ref.diffc.pfr, spec/diffc.md 3.3) on torch or Triton.

Same bits as the NumPy reference on any device: the candidate dot products are summed in element order
with one binary32 rounding per product and per add, the arrival times are exact integer prefix sums,
and the winner is the first candidate with the greatest score. ``backend``: "triton" (fused kernel,
CUDA), "torch" (plain tensor ops, CPU or CUDA), "auto" (Triton where usable).
"""

from __future__ import annotations

import importlib.util

import numpy as np
import torch

from aigif_ref.diffc import pfr, philox

from . import gaussian_torch
from .philox_torch import stream_words


def triton_usable(device: torch.device | str) -> bool:
    """Triton runs the kernels on CUDA devices when it is installed."""
    return torch.device(device).type == "cuda" and importlib.util.find_spec("triton") is not None


def resolve_backend(backend: str, device: torch.device | str) -> str:
    if backend == "auto":
        return "triton" if triton_usable(device) else "torch"
    if backend not in ("triton", "torch"):
        raise ValueError(f"unknown backend {backend!r}")
    return backend


def log_weights_torch(seed: int, step: int, chunk: int, n_candidates: int, weights: torch.Tensor,
                      batch: int = 8192) -> torch.Tensor:
    """s_n, float32 [n_candidates] on weights.device (plain torch ops, batched over candidates)."""
    weights = weights.to(torch.float32)
    out = torch.empty(n_candidates, dtype=torch.float32, device=weights.device)
    for start in range(0, n_candidates, batch):
        stop = min(start + batch, n_candidates)
        z = gaussian_torch.stream_normals(seed, philox.DOMAIN_CANDIDATE, step, chunk,
                                          torch.arange(start, stop, device=weights.device), weights.numel(),
                                          device=weights.device)
        acc = torch.zeros(stop - start, dtype=torch.float32, device=weights.device)
        for i in range(weights.numel()):  # left to right from +0
            acc = acc + z[:, i] * weights[i]
        out[start:stop] = acc
    return out


def arrival_log_times_torch(seed: int, step: int, chunk: int, n_candidates: int,
                            device: torch.device | str = "cpu") -> torch.Tensor:
    """ln32(T_n) for n < n_candidates, as pfr.arrival_log_times."""
    words = stream_words(seed, philox.DOMAIN_ARRIVAL, step, chunk, 0, n_candidates, device=device)
    exponentials = gaussian_torch.exponentials_from_words(words)
    fixed = torch.floor(exponentials.to(torch.float64) * float(1 << pfr.FIXED_POINT_BITS)).to(torch.int64)
    times = torch.cumsum(fixed, 0).to(torch.float32) * (2.0 ** -pfr.FIXED_POINT_BITS)
    return gaussian_torch.ln_f32(times)


def candidate_search(delta: np.ndarray | torch.Tensor, seed: int, step: int, chunk: int, candidates_log2: int,
                     backend: str = "auto", device: torch.device | str | None = None) -> int:
    """The PFR index of one chunk, equal to pfr.candidate_search(delta, seed, step, chunk, candidates_log2)."""
    if not 0 <= candidates_log2 <= pfr.MAX_CANDIDATES_LOG2:
        raise ValueError(f"candidates_log2 must be 0..{pfr.MAX_CANDIDATES_LOG2}")
    weights = torch.as_tensor(np.asarray(delta, dtype=np.float32) if isinstance(delta, np.ndarray) else delta,
                              dtype=torch.float32)
    if device is not None:
        weights = weights.to(device)
    if resolve_backend(backend, weights.device) == "triton":
        from . import triton_kernels

        return triton_kernels.candidate_search(weights, seed, step, chunk, candidates_log2)
    n_candidates = 1 << candidates_log2
    scores = log_weights_torch(seed, step, chunk, n_candidates, weights) \
        - arrival_log_times_torch(seed, step, chunk, n_candidates, weights.device)
    return int(torch.argmax(scores))  # the first of equal maxima


def candidate_noise(seed: int, step: int, chunk: int, index: int, count: int,
                    device: torch.device | str = "cpu") -> torch.Tensor:
    """What a decoder draws for a chunk: only the winning candidate's normals (float32, length count), as
    pfr.candidate_noise; on the Triton kernel where usable, else torch ops."""
    if triton_usable(device):
        from . import triton_kernels

        return triton_kernels.stream_normals(seed, philox.DOMAIN_CANDIDATE, step, chunk, index, count, device=device)
    return gaussian_torch.stream_normals(seed, philox.DOMAIN_CANDIDATE, step, chunk, index, count, device=device)
