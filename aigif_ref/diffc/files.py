"""DiffC files: an image -> a .aigif record with a DiffC pixel payload, and back to pixels.

The record names the model, the seed (the generator's key) and the size; the pixels extension carries
the payload (pixel compressor `diffc`). Regenerating from the record's syntax alone would not give the
image: readers decode the payload (spec/diffc.md section 6).
"""

from __future__ import annotations

import base64
import math
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from aigif_ref.diffc import codec
from aigif_ref.diffc.payload import DiffcPayload, build_payload, parse_payload
from aigif_ref.diffc.profile import Profile, get_profile, profile_for_model
from aigif_ref.errors import AigifError
from aigif_ref.registry import Registry, default_registry

PIXEL_COMPRESSOR = "diffc"
PIXELS_EXTENSION_TYPE = 1


def compressor_code(registry: Registry) -> int:
    return registry.enum_code("pixel_compressors", PIXEL_COMPRESSOR)


def steps_for_timestep(profile: Profile, t: int) -> int:
    """Coded steps for ``--t T``: every profile timestep >= T (at least one)."""
    return max(1, sum(1 for step in profile.timesteps if step >= t))


def make_record(payload: bytes, model_id: int, seed: int, height: int, width: int, profile: Profile,
                registry: Registry, prompt: str | None = None, guidance: float = 1.0) -> dict[str, Any]:
    """The record; a profile conditioned on the record (section 4.1) takes ``prompt`` and ``guidance``."""
    if profile.conditioning != "record":
        prompt, guidance = profile.prompt, 1.0
    return {"model_id": model_id, "dtype": "float32", "scheduler": "DDIM", "prompt": prompt or "",
            "height": height, "width": width, "seed": seed, "steps": profile.denoise_steps, "guidance_scale": guidance,
            "extensions": [{"type": PIXELS_EXTENSION_TYPE, "must_understand": False,
                            "pixel_compressor": compressor_code(registry),
                            "data": base64.b64encode(payload).decode("ascii")}]}


@dataclass
class Compressed:
    record: dict[str, Any]
    payload: bytes
    steps: int
    kl_bits: list[float]
    seconds: float
    latent: np.ndarray  # the noisy latent the decoder will reconstruct (x at the last coded step)


def compress(rgb8: np.ndarray, model: Any, model_id: int, seed: int = 0, t: int | None = None, bits: int | None = None,
             registry: Registry | None = None, backend: str = "numpy",
             kl_bits_per_chunk: float | None = None, on_step: Callable[[int, int], None] | None = None,
             profile_code: int | None = None, prompt: str = "", guidance: float = 1.0) -> Compressed:
    """Compress an RGB8 image with a loaded model (model.DiffcModel). ``t``: stop at the first profile timestep
    below it; ``bits``: the most steps whose payload fits in that many bits (at least one step). The profile:
    ``profile_code``, else the model's newest; ``prompt``/``guidance`` condition a profile that takes the record's."""
    registry = registry or default_registry()
    profile = (get_profile(profile_code, registry, model_id) if profile_code is not None
               else profile_for_model(model_id, registry, newest=True))
    height, width = rgb8.shape[:2]
    shape = profile.latent_shape(height, width)
    if t is not None and bits is not None:
        raise AigifError("AIGIF_E_RECORD", "give --t or --bits, not both")
    steps = steps_for_timestep(profile, t) if t is not None else len(profile.timesteps)
    start = time.perf_counter()
    if not math.isfinite(guidance):  # the record cannot hold it: refuse before any model call
        raise AigifError("AIGIF_E_RECORD", f"guidance {guidance!r} is NaN or infinite; give a finite guidance scale")
    empty = make_record(b"", model_id, seed, height, width, profile, registry, prompt, guidance)
    model.set_prompt(*profile.conditioning_for(empty))
    target = model.encode_image(rgb8)
    if target.shape != shape:
        raise AigifError("AIGIF_E_DIFFC_PROFILE", f"the model's latent is {target.shape}, profile {profile.name} says {shape}")

    def payload_of(indices: list[list[int]]) -> bytes:
        return build_payload(DiffcPayload(profile.code, tuple(tuple(s) for s in indices)), registry)

    stop = None
    if bits is not None:
        def stop(result: codec.EncodeResult) -> bool:
            return len(payload_of(result.indices)) * 8 > bits
    result = codec.encode_latent(model, target, seed, profile, steps, kl_bits_per_chunk, backend, stop, on_step)
    kept = len(result.indices)
    if bits is not None:
        while kept > 1 and len(payload_of(result.indices[:kept])) * 8 > bits:
            kept -= 1
    payload = payload_of(result.indices[:kept])
    record = make_record(payload, model_id, seed, height, width, profile, registry, prompt, guidance)
    return Compressed(record, payload, kept, result.kl_bits[:kept], time.perf_counter() - start, result.latents[kept - 1])


@dataclass
class Decoded:
    rgb8: np.ndarray
    array: np.ndarray         # float32 H x W x 3 in [0, 1]
    noisy_latent: np.ndarray  # x at the last coded timestep
    latent: np.ndarray        # the denoised latent the VAE decodes
    payload: DiffcPayload
    seconds: float


def diffc_extension(record: dict[str, Any], registry: Registry) -> dict[str, Any] | None:
    for ext in record.get("extensions", []):
        if ext["type"] == PIXELS_EXTENSION_TYPE and ext["pixel_compressor"] == compressor_code(registry):
            return ext
    return None


def record_payload(record: dict[str, Any], registry: Registry) -> tuple[Any, Any]:
    """The parsed DiffC payload of a record and its profile; AIGIF_E_DIFFC when the record has none."""
    ext = diffc_extension(record, registry)
    if ext is None:
        raise AigifError("AIGIF_E_DIFFC", "the file has no DiffC pixel payload")
    data = ext["data"] if isinstance(ext["data"], bytes) else base64.b64decode(ext["data"])
    return parse_payload(data, record["height"], record["width"], record["model_id"], registry)


def decode_record(record: dict[str, Any], model: Any = None, registry: Registry | None = None, device: str = "auto",
                  models_dir: str | None = None, allow_unpinned: bool = False,
                  on_step: Callable[[int, int], None] | None = None) -> Decoded:
    """Pixels of a record whose pixels extension holds a DiffC payload."""
    registry = registry or default_registry()
    payload, profile = record_payload(record, registry)
    start = time.perf_counter()
    if model is None:
        from aigif_ref.diffc.model import load_model

        model = load_model(record["model_id"], device, registry, models_dir, allow_unpinned)
    model.set_prompt(*profile.conditioning_for(record))
    shape = profile.latent_shape(record["height"], record["width"])
    noisy = codec.decode_noisy_latent(model, payload.indices, record["seed"], profile, shape, on_step,
                                      noise=getattr(model, "noise", None))  # the GPU generator on CUDA
    latent = codec.denoise(model, noisy, profile.timesteps[payload.steps - 1], profile)
    array = model.decode_latent(latent)
    rgb8 = np.clip(np.round(array * 255.0), 0, 255).astype(np.uint8)
    return Decoded(rgb8, array, noisy, latent, payload, time.perf_counter() - start)


def noise_bytes(record: dict[str, Any], registry: Registry | None = None) -> bytes:
    """The exact part of decoding (conformance level diffc): x_T, then the noise e_s of every coded step,
    binary32 little-endian, D values each in C-order. Needs no model."""
    registry = registry or default_registry()
    payload, profile = record_payload(record, registry)
    shape = profile.latent_shape(record["height"], record["width"])
    dims = int(np.prod(shape))
    parts = [codec.initial_latent(record["seed"], shape).ravel()]
    parts += [codec.step_noise(record["seed"], step, dims, indices) for step, indices in enumerate(payload.indices)]
    return b"".join(part.astype("<f4").tobytes() for part in parts)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    peak = 255.0 if a.dtype == np.uint8 else 1.0
    return math.inf if mse == 0 else 10 * math.log10(peak * peak / mse)
