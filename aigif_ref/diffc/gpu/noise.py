"""The decoder's noise on a torch device (CUDA, or CPU for tests): x_T and the winning candidates of a
coded step, bit-identical to aigif_ref.diffc.codec.initial_latent / step_noise (the NumPy reference).

A step is drawn in one batch, not chunk by chunk: the permutation keys (one stable sort: ties by element
index, as the reference's lexsort), then every chunk's winner at once as a (chunks, longest chunk) block
of Philox counters whose words 1-3 (candidate, chunk, domain and step) come from the reference's
``philox.counter_words``. Chunk c fills sorted positions floor(c*D/n) .. floor((c+1)*D/n) - 1, so the
winners' values laid out row by row, without the padding past each chunk's length, are the noise in
permuted order.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from aigif_ref.diffc import partition, philox

from . import gaussian_torch, philox_torch


class TorchNoise:
    """x_T and the per-step noise drawn on ``device``; returns NumPy float32 as the codec works in NumPy."""

    def __init__(self, device: torch.device | str) -> None:
        self.device = torch.device(device)

    def __repr__(self) -> str:
        return f"TorchNoise({str(self.device)!r})"

    def initial_latent(self, seed: int, shape: tuple[int, int, int]) -> np.ndarray:
        count = int(np.prod(shape))
        normals = gaussian_torch.stream_normals(seed, philox.DOMAIN_INITIAL_LATENT, 0, 0, 0, count, device=self.device)
        return normals.cpu().numpy().reshape(shape)

    def permutation(self, seed: int, step: int, dims: int) -> torch.Tensor:
        """partition.permutation on the device: element indices sorted by their key word, ties by index."""
        keys = philox_torch.stream_words(seed, philox.DOMAIN_PERMUTATION, step, 0, 0, dims, device=self.device)
        return torch.sort(keys, stable=True).indices

    def step_noise(self, seed: int, step: int, dims: int, indices: Sequence[int]) -> np.ndarray:
        chunks = len(indices)
        bounds = partition.chunk_bounds(dims, chunks)
        lengths = np.diff(bounds)
        blocks = int((lengths.max() + 3) // 4)
        fixed = philox.counter_words(philox.DOMAIN_CANDIDATE, step, np.arange(chunks, dtype=np.uint32),
                                     np.asarray(indices, dtype=np.uint32), 0).astype(np.int64)
        per_chunk = torch.from_numpy(fixed).to(self.device)[:, None, :]  # (chunks, 1, 4)
        block = torch.arange(blocks, dtype=torch.int64, device=self.device)[None, :]
        words = philox_torch.philox4x32_10((block, per_chunk[..., 1], per_chunk[..., 2], per_chunk[..., 3]),
                                           philox.key_from_seed(seed))
        normals = gaussian_torch.normals_from_words(torch.stack(words, dim=-1).reshape(chunks, blocks * 4))
        in_chunk = (torch.arange(blocks * 4, device=self.device)[None, :]
                    < torch.from_numpy(lengths).to(self.device)[:, None])
        noise = torch.empty(dims, dtype=torch.float32, device=self.device)
        noise[self.permutation(seed, step, dims)] = normals[in_chunk]  # boolean mask: row-major order
        return noise.cpu().numpy()
