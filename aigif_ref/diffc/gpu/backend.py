"""The GPU candidate-search backends, plugged into aigif_ref.diffc.pfr's hook.

- "triton": the fused kernel (CUDA + Triton): arrival times, dot products and argmax on the device;
- "torch": plain torch ops on CUDA when there is a device, else on CPU.
Each is registered twice: as a whole-search backend (pfr.SEARCH_BACKENDS, what the encoder calls) and
as a score backend (pfr.SCORE_BACKENDS: the dot products alone, so pfr's own loop can check them).
"""

from __future__ import annotations

import numpy as np
import torch

from aigif_ref.diffc import pfr, philox

from . import search


def _device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _weights(delta: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(delta, dtype=np.float32)).to(device)


def triton_scores(delta: np.ndarray, seed: int, step: int, chunk: int, candidates: int) -> np.ndarray:
    from . import triton_kernels

    weights = _weights(delta, torch.device("cuda"))
    return triton_kernels.candidate_log_weights(seed, philox.DOMAIN_CANDIDATE, step, chunk, candidates,
                                                weights).cpu().numpy()


def triton_search(delta: np.ndarray, seed: int, step: int, chunk: int, candidates_log2: int) -> int:
    from . import triton_kernels

    return triton_kernels.candidate_search(_weights(delta, torch.device("cuda")), seed, step, chunk, candidates_log2)


def torch_scores(delta: np.ndarray, seed: int, step: int, chunk: int, candidates: int) -> np.ndarray:
    return search.log_weights_torch(seed, step, chunk, candidates, _weights(delta, _device())).cpu().numpy()


def torch_search(delta: np.ndarray, seed: int, step: int, chunk: int, candidates_log2: int) -> int:
    return search.candidate_search(_weights(delta, _device()), seed, step, chunk, candidates_log2, backend="torch")


def register() -> list[str]:
    """Register the backends usable here; returns their names."""
    names = ["torch"]
    pfr.register_backend("torch", torch_scores)
    pfr.SEARCH_BACKENDS["torch"] = torch_search
    if search.triton_usable(_device()):
        pfr.register_backend("triton", triton_scores)
        pfr.SEARCH_BACKENDS["triton"] = triton_search
        names.append("triton")
    return names
