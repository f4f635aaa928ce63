"""Candidate log-weights for one chunk of reverse-channel coding, on torch (any device) or Triton.

A candidate n of chunk c at step s is the normal vector z_n = stream (candidate, s, c, n) (spec/diffc.md
1.2); its log-weight is the dot product z_n . w with a per-chunk weight vector w, summed in element
order with one binary32 rounding per product and per add. Both backends produce the same bits as a
sequential NumPy loop, so an encoder's choice does not depend on where it ran.
"""

from __future__ import annotations

import importlib.util

import torch

from aigif_ref.diffc import philox

from .gaussian_torch import stream_normals


def triton_usable(device: torch.device | str) -> bool:
    """Triton runs the kernels on CUDA devices when it is installed."""
    return torch.device(device).type == "cuda" and importlib.util.find_spec("triton") is not None


def log_weights_torch(seed: int, step: int, chunk: int, n_candidates: int, weights: torch.Tensor,
                      batch: int = 8192) -> torch.Tensor:
    """float32 [n_candidates] on weights.device, in element order (plain torch ops, batched over candidates)."""
    weights = weights.to(torch.float32)
    out = torch.empty(n_candidates, dtype=torch.float32, device=weights.device)
    for start in range(0, n_candidates, batch):
        stop = min(start + batch, n_candidates)
        z = stream_normals(seed, philox.DOMAIN_CANDIDATE, step, chunk,
                           torch.arange(start, stop, device=weights.device), weights.numel(), device=weights.device)
        acc = torch.zeros(stop - start, dtype=torch.float32, device=weights.device)
        for i in range(weights.numel()):
            acc = acc + z[:, i] * weights[i]
        out[start:stop] = acc
    return out


def log_weights(seed: int, step: int, chunk: int, n_candidates: int, weights: torch.Tensor,
                backend: str = "auto") -> torch.Tensor:
    """The chunk's candidate log-weights; backend "triton", "torch" or "auto" (Triton where usable)."""
    if backend == "auto":
        backend = "triton" if triton_usable(weights.device) else "torch"
    if backend == "triton":
        from . import triton_kernels

        return triton_kernels.candidate_log_weights(seed, philox.DOMAIN_CANDIDATE, step, chunk, n_candidates, weights)
    if backend == "torch":
        return log_weights_torch(seed, step, chunk, n_candidates, weights)
    raise ValueError(f"unknown backend {backend!r}")
