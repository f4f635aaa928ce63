"""The diffusion model as DiffC uses it: VAE encode/decode, noise prediction, the noise schedule.

Not normative to the bit (model outputs are float and device-dependent); what the decoder must do with
them is spec/diffc.md section 4. torch and diffusers are imported when a model is loaded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from aigif_ref.diffc import codec
from aigif_ref.diffc.codec import NoiseSource
from aigif_ref.errors import AigifError
from aigif_ref.registry import Registry, default_registry


def alphas_cumprod(scheduler_config: dict[str, Any]) -> np.ndarray:
    """alpha_bar_t, t = 0..T-1, in float64 from the model's beta schedule (linear or scaled_linear)."""
    steps = int(scheduler_config.get("num_train_timesteps", 1000))
    start, end = float(scheduler_config.get("beta_start", 0.0001)), float(scheduler_config.get("beta_end", 0.02))
    kind = scheduler_config.get("beta_schedule", "linear")
    if kind == "scaled_linear":
        betas = np.linspace(start ** 0.5, end ** 0.5, steps, dtype=np.float64) ** 2
    elif kind == "linear":
        betas = np.linspace(start, end, steps, dtype=np.float64)
    else:
        raise AigifError("AIGIF_E_UNSUPPORTED", f"DiffC supports linear and scaled_linear beta schedules, not {kind}")
    return np.cumprod(1.0 - betas)


class NumpyNoise:
    """The reference: aigif_ref.diffc.codec's NumPy generator."""

    def __repr__(self) -> str:
        return "NumpyNoise()"

    def initial_latent(self, seed: int, shape: tuple[int, int, int]) -> np.ndarray:
        return codec.initial_latent(seed, shape)

    def step_noise(self, seed: int, step: int, dims: int, indices: Sequence[int]) -> np.ndarray:
        return codec.step_noise(seed, step, dims, indices)


def noise_source(device: str) -> NoiseSource:
    """The GPU generator (aigif_ref.diffc.gpu.noise) for a CUDA device, else the NumPy reference; both give
    the same bits, the GPU one draws a step's winners in one batch on the device."""
    if device.startswith("cuda"):
        try:
            from aigif_ref.diffc.gpu.noise import TorchNoise
        except ImportError:
            return NumpyNoise()
        return TorchNoise(device)
    return NumpyNoise()


@dataclass
class DiffcModel:
    """A loaded pipeline's parts: ``eps`` predicts noise for a latent (C, h, w) float32 at an integer timestep."""

    model_id: int
    pipe: Any
    device: str
    alpha_bar: np.ndarray
    latent_channels: int
    downscale: int
    scaling_factor: float
    noise: NoiseSource = field(default_factory=NumpyNoise)  # the decoder's generator (noise_source)
    _embeds: Any = None
    _uncond: Any = None
    _guidance: float = 1.0

    def set_prompt(self, prompt: str, guidance: float = 1.0) -> None:
        """Condition ``eps`` on ``prompt``; with guidance g != 1, classifier-free guidance against the empty
        prompt: eps = eps_u + g * (eps_c - eps_u) (spec/diffc.md section 4.1)."""
        import torch

        tok = self.pipe.tokenizer

        def embed(text: str):
            ids = tok(text, padding="max_length", max_length=tok.model_max_length, truncation=True,
                      return_tensors="pt").input_ids.to(self.device)
            with torch.no_grad():
                return self.pipe.text_encoder(ids)[0]

        self._embeds = embed(prompt)
        self._guidance = float(guidance)
        self._uncond = embed("") if self._guidance != 1.0 else None

    def eps(self, latent: np.ndarray, timestep: int) -> np.ndarray:
        import torch

        if self._embeds is None:
            self.set_prompt("")
        x = torch.from_numpy(np.ascontiguousarray(latent, dtype=np.float32))[None].to(self.device)
        t = torch.tensor([timestep], device=self.device)
        with torch.no_grad():
            if self._uncond is None:
                out = self.pipe.unet(x, t, encoder_hidden_states=self._embeds).sample[0]
            else:
                both = self.pipe.unet(torch.cat([x, x]), torch.cat([t, t]),
                                      encoder_hidden_states=torch.cat([self._uncond, self._embeds])).sample
                out = both[0] + self._guidance * (both[1] - both[0])
        return out.float().cpu().numpy()

    def encode_image(self, rgb8: np.ndarray) -> np.ndarray:
        """The VAE latent (mean of the posterior, times the scaling factor) of an RGB8 image H x W x 3."""
        import torch

        x = torch.from_numpy(rgb8.astype(np.float32) / 127.5 - 1.0).permute(2, 0, 1)[None].to(self.device)
        with torch.no_grad():
            latent = self.pipe.vae.encode(x).latent_dist.mean * self.scaling_factor
        return latent[0].float().cpu().numpy()

    def decode_latent(self, latent: np.ndarray) -> np.ndarray:
        """float32 H x W x 3 in [0, 1] from a latent, like the pipeline's output_type="np"."""
        import torch

        x = torch.from_numpy(np.ascontiguousarray(latent, dtype=np.float32))[None].to(self.device)
        with torch.no_grad():
            image = self.pipe.vae.decode(x / self.scaling_factor).sample
        return (image[0] / 2 + 0.5).clamp(0, 1).permute(1, 2, 0).float().cpu().numpy()


_LOADED: dict[tuple, DiffcModel] = {}


def pick_device(device: str) -> str:
    if device == "auto":
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def load_model(model_id: int, device: str = "auto", registry: Registry | None = None,
               models_dir: str | os.PathLike | None = None, allow_unpinned: bool = False) -> DiffcModel:
    """The pinned, verified model ``model_id`` (float32) on ``device``; cached per process."""
    from aigif_ref.model_store import resolve_model, staged
    from aigif_ref.regen.deps import quiet_diffusers, require

    registry = registry or default_registry()
    torch, diffusers = require()
    device = pick_device(device)
    key = (model_id, device, str(models_dir))
    if key in _LOADED:
        return _LOADED[key]
    family = registry.family_of(model_id)
    if family.get("pipeline") != "StableDiffusionPipeline":
        raise AigifError("AIGIF_E_UNSUPPORTED", f"DiffC supports Stable Diffusion 1/2 pipelines; model {model_id} is not one")
    model = resolve_model(model_id, registry, models_dir, allow_unpinned)
    with staged(model) as folder, quiet_diffusers():
        pipe = diffusers.StableDiffusionPipeline.from_pretrained(folder, use_safetensors=True, local_files_only=True,
                                                                 dtype=torch.float32, safety_checker=None,
                                                                 requires_safety_checker=False)
    pipe.to(device)
    vae = pipe.vae.config
    loaded = DiffcModel(model_id, pipe, device, alphas_cumprod(dict(pipe.scheduler.config)),
                        int(vae.latent_channels), 2 ** (len(vae.block_out_channels) - 1), float(vae.scaling_factor),
                        noise_source(device))
    _LOADED[key] = loaded
    return loaded
