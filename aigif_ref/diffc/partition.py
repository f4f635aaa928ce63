"""The dimension permutation of a step and its split into chunks (normative: spec/diffc.md, section 2).

The latent's D elements (C-order) are sorted by the permutation stream's words (ties by element index),
and chunk c of n takes the sorted positions floor(c*D/n) .. floor((c+1)*D/n) - 1: a random, balanced
split that the decoder recomputes from the seed, the step index, D and n alone.
"""

from __future__ import annotations

import numpy as np

from aigif_ref.diffc import philox


def permutation(seed: int, step: int, dims: int) -> np.ndarray:
    """Element indices sorted by (word i of stream (3, step, 0, 0), i): int64 array of length dims."""
    keys = philox.stream_words(seed, philox.DOMAIN_PERMUTATION, step, 0, 0, dims)
    return np.lexsort((np.arange(dims), keys))


def chunk_bounds(dims: int, chunks: int) -> np.ndarray:
    """Start offsets of the chunks in the permuted order, plus dims at the end: floor(c * dims / chunks)."""
    if not 1 <= chunks <= dims:
        raise ValueError("a step has between 1 and dims chunks")
    return (np.arange(chunks + 1, dtype=np.int64) * dims) // chunks


def chunk_elements(seed: int, step: int, dims: int, chunks: int) -> list[np.ndarray]:
    """For each chunk, the latent element indices it carries, in candidate-element order."""
    order = permutation(seed, step, dims)
    bounds = chunk_bounds(dims, chunks)
    return [order[bounds[c]:bounds[c + 1]] for c in range(chunks)]
