"""DiffC encoder and decoder (spec/diffc.md sections 2-4): image <-> chunk indices, through a model.

The RCC part is exact (indices and noise are bit-identical everywhere); the model part (noise
predictions, VAE) is float and device-dependent, so decoded latents and pixels agree within a tolerance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Protocol

import numpy as np

from aigif_ref.diffc import gaussian, partition, pfr, philox
from aigif_ref.diffc.profile import Profile
from aigif_ref.errors import AigifError

# Encoder's choices (a profile's informative `encoder` settings override them; the decoder never needs them):
DEFAULT_KL_BITS_PER_CHUNK = 12.0  # chunks are sized to about this many bits of KL
CANDIDATE_MARGIN_BITS = 4         # 2^(ceil(KL of the chunk) + margin) candidates, 2^min .. 2^16
MIN_CANDIDATES_LOG2 = 6


class NoiseModel(Protocol):
    alpha_bar: np.ndarray

    def eps(self, latent: np.ndarray, timestep: int) -> np.ndarray: ...


class NoiseSource(Protocol):
    """Where a decoder draws x_T and each coded step's noise; any source gives this module's bits
    (aigif_ref.diffc.model.noise_source picks the GPU one on CUDA)."""

    def initial_latent(self, seed: int, shape: tuple[int, int, int]) -> np.ndarray: ...

    def step_noise(self, seed: int, step: int, dims: int, indices: list[int] | tuple[int, ...]) -> np.ndarray: ...


def initial_latent(seed: int, shape: tuple[int, int, int]) -> np.ndarray:
    """x_T: stream (2, 0, 0, 0) normals in C-order."""
    count = int(np.prod(shape))
    return gaussian.stream_normals(seed, philox.DOMAIN_INITIAL_LATENT, 0, 0, 0, count).reshape(shape)


def posterior(alpha_bar: np.ndarray, t: int, s: int) -> tuple[float, float, float]:
    """q(x_s | x_t, x_0) = N(c0 * x_0 + c1 * x_t, var), s < t (DDPM posterior across a skipped interval)."""
    ab_t, ab_s = float(alpha_bar[t]), float(alpha_bar[s])
    alpha = ab_t / ab_s
    c0 = math.sqrt(ab_s) * (1 - alpha) / (1 - ab_t)
    c1 = math.sqrt(alpha) * (1 - ab_s) / (1 - ab_t)
    var = (1 - ab_s) / (1 - ab_t) * (1 - alpha)
    return c0, c1, var


def predict_x0(model: NoiseModel, x: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray]:
    ab = float(model.alpha_bar[t])
    eps = model.eps(x, t)
    return ((x - math.sqrt(1 - ab) * eps) / math.sqrt(ab)).astype(np.float32), eps


def step_noise(seed: int, step: int, dims: int, indices: list[int] | tuple[int, ...]) -> np.ndarray:
    """The unit-normal sample of one coded step from its chunk indices (what the decoder draws), float32 (dims,)."""
    noise = np.zeros(dims, dtype=np.float32)
    for chunk, (elements, index) in enumerate(zip(partition.chunk_elements(seed, step, dims, len(indices)), indices)):
        noise[elements] = pfr.candidate_noise(seed, step, chunk, int(index), len(elements))
    return noise


def chunk_count(kl_bits: float, dims: int, kl_bits_per_chunk: float) -> int:
    return int(min(dims, max(1, math.ceil(kl_bits / kl_bits_per_chunk))))


def candidates_log2(kl_bits: float, margin: int = CANDIDATE_MARGIN_BITS, least: int = MIN_CANDIDATES_LOG2) -> int:
    return int(min(pfr.MAX_CANDIDATES_LOG2, max(least, math.ceil(kl_bits) + margin)))


def encoder_settings(profile: Profile, kl_bits_per_chunk: float | None = None) -> tuple[float, int, int]:
    """(KL bits per chunk, candidate margin bits, least candidates log2): the profile's, else the defaults."""
    settings = profile.encoder
    return (float(kl_bits_per_chunk if kl_bits_per_chunk is not None else settings.get("chunk_kl_bits", DEFAULT_KL_BITS_PER_CHUNK)),
            int(settings.get("candidate_margin_bits", CANDIDATE_MARGIN_BITS)),
            int(settings.get("min_candidates_log2", MIN_CANDIDATES_LOG2)))


@dataclass
class EncodeResult:
    indices: list[list[int]] = field(default_factory=list)
    latents: list[np.ndarray] = field(default_factory=list)    # x after each coded step (what the decoder gets)
    kl_bits: list[float] = field(default_factory=list)         # KL(q || p) of each step, bits
    noise: list[np.ndarray] = field(default_factory=list)      # the unit-normal sample of each step


def encode_latent(model: NoiseModel, target: np.ndarray, seed: int, profile: Profile, steps: int,
                  kl_bits_per_chunk: float | None = None, backend: str = "numpy",
                  stop: Callable[[EncodeResult], bool] | None = None,
                  on_step: Callable[[int, int], None] | None = None) -> EncodeResult:
    """Code the first ``steps`` RCC steps of ``target`` (a latent C x h x w); ``stop`` may end it early."""
    shape = target.shape
    dims = int(np.prod(shape))
    kl_bits_per_chunk, margin, least = encoder_settings(profile, kl_bits_per_chunk)
    x = initial_latent(seed, shape)
    t = profile.initial_timestep
    result = EncodeResult()
    for step, t_next in enumerate(profile.timesteps[:steps]):
        x0_pred, _ = predict_x0(model, x, t)
        c0, c1, var = posterior(model.alpha_bar, t, t_next)
        sigma = math.sqrt(var)
        mu_p = (c0 * x0_pred + c1 * x).astype(np.float32)
        delta = (c0 * (target - x0_pred) / sigma).astype(np.float32).ravel()
        kl = float(np.sum(delta.astype(np.float64) ** 2) / 2 / math.log(2))
        if not math.isfinite(kl):  # a model (or guidance) whose prediction overflows: nothing can be coded
            raise AigifError("AIGIF_E_DIFFC", f"step {step} (t = {t}): the model's prediction is not finite, so "
                                              "its rate cannot be coded; check the model and the guidance scale")
        chunks = chunk_count(kl, dims, kl_bits_per_chunk)
        indices = []
        for chunk, elements in enumerate(partition.chunk_elements(seed, step, dims, chunks)):
            chunk_delta = delta[elements]
            chunk_kl = float(np.sum(chunk_delta.astype(np.float64) ** 2) / 2 / math.log(2))
            indices.append(pfr.candidate_search(chunk_delta, seed, step, chunk, candidates_log2(chunk_kl, margin, least), backend))
        noise = step_noise(seed, step, dims, indices)
        x = (mu_p + sigma * noise.reshape(shape)).astype(np.float32)
        t = t_next
        result.indices.append(indices)
        result.latents.append(x)
        result.kl_bits.append(kl)
        result.noise.append(noise)
        if on_step:
            on_step(step + 1, steps)
        if stop and stop(result):
            break
    return result


def decode_noisy_latent(model: NoiseModel, indices: list[list[int]] | tuple, seed: int, profile: Profile,
                        shape: tuple[int, int, int], on_step: Callable[[int, int], None] | None = None,
                        noise: NoiseSource | None = None) -> np.ndarray:
    """x at the last coded timestep, from the chunk indices; ``noise`` draws x_T and the steps' noise
    (default: this module's initial_latent and step_noise)."""
    dims = int(np.prod(shape))
    draw_initial = noise.initial_latent if noise is not None else initial_latent
    draw_step = noise.step_noise if noise is not None else step_noise
    x = draw_initial(seed, shape)
    t = profile.initial_timestep
    for step, (t_next, step_indices) in enumerate(zip(profile.timesteps, indices)):
        x0_pred, _ = predict_x0(model, x, t)
        c0, c1, var = posterior(model.alpha_bar, t, t_next)
        mu_p = (c0 * x0_pred + c1 * x).astype(np.float32)
        x = (mu_p + math.sqrt(var) * draw_step(seed, step, dims, step_indices).reshape(shape)).astype(np.float32)
        t = t_next
        if on_step:
            on_step(step + 1, len(indices))
    return x


def denoise(model: NoiseModel, x: np.ndarray, t: int, profile: Profile) -> np.ndarray:
    """Probability-flow DDIM (eta 0) from x at timestep t to the predicted x_0."""
    for t_next in profile.denoise_timesteps(t) + [None]:
        x0_pred, eps = predict_x0(model, x, t)
        if t_next is None:
            return x0_pred
        ab = float(model.alpha_bar[t_next])
        x = (math.sqrt(ab) * x0_pred + math.sqrt(1 - ab) * eps).astype(np.float32)
        t = t_next
    raise AssertionError("unreachable")
