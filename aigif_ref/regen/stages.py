"""Multi-stage generations (extension type 6): A1111's hires fix and SDXL base + refiner, rendered through diffusers.

The first pass is the record's text-to-image call at ``base_width x base_height``. Each stage then
resizes the previous result and runs diffusers' image-to-image pipeline of the same model (built from
the loaded pipeline's components, nothing reloaded) as A1111's ``sample_hr_pass`` does; the spec
(spec/reference-decoder.md, "Stages") states every step for other implementations:

- Latent upscalers (:data:`UPSCALERS`, space "latent"): the first pass's latents go through
  ``torch.nn.functional.interpolate(size=(height / f, width / f), mode, antialias)`` (f: the VAE's
  scale factor, 8 for real models) with the entry's mode and antialias, straight into the second pass.
- Pixel upscalers (space "pixels"): the first pass is decoded, turned into 8-bit RGB as A1111
  does (``(255 * x).astype(uint8)``: truncated, not rounded), resized with Pillow as A1111's
  ``images.resize_image(0, ...)`` with that upscaler does, and encoded by the VAE, taking the latent
  distribution's mean (A1111 samples it from an unseeded generator, which no decoder can repeat).
- Every other registry upscaler is a network (ESRGAN, SwinIR, ...) and need weights this
  decoder does not have: AIGIF_E_PLATFORM names the upscaler.
- The second pass: scheduler = the stage's registry scheduler with the record's ``scheduler_config``
  group, a CPU generator seeded again with the record's seed, the same prompt conditioning and call
  settings; A1111 runs ``steps`` denoising steps out of a schedule of ``int(steps / min(strength, 0.999))``
  (its hires fix always passes the steps explicitly, which takes the "img2img fix steps" branch), so
  diffusers is called with ``num_inference_steps`` = that schedule length and a strength that makes
  ``int(num_inference_steps * strength) == steps``.

A refiner stage (the last stage) is diffusers' documented base + refiner hand-over: the previous pass
(the first pass stops at the record's ``params.denoising_end``) returns its latents (``output_type="latent"``),
and the refiner model's StableDiffusionXLImg2ImgPipeline gets them unchanged as ``image`` with
``num_inference_steps`` = the stage's steps, ``denoising_start`` = the stage's, the stage's scheduler (the
record's ``scheduler_config`` on the refiner model's own config), a CPU generator seeded again with the
record's seed, the same prompts and guidance, and every ``params`` value the refiner's family accepts
(:func:`stage_record`); it decodes with its own VAE.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from aigif_ref.errors import AigifError
from aigif_ref.record import find_extension
from aigif_ref.regen.scheduler import build_scheduler
from aigif_ref.registry import Registry

STAGES_TYPE = 6  # registry.json extension_types "stages"
HIRES_FIX, REFINER = "hires_fix", "refiner"  # registry stage_kinds names
FIRST_PASS_ONLY = ("denoising_end",)  # params that end the first pass: never the refiner's (an SDXL base may refine)
A1111_MAX_STRENGTH = 0.999  # A1111's setup_img2img_steps caps the strength it divides by

# How each registry upscaler (by name) resizes, as A1111 defines it: its latent_upscale_modes table
# (torch interpolate mode and antialias) and its Pillow upscalers. "Latent (bilinear)" is not an A1111
# name; it means what A1111's "Latent" does. Registry upscalers missing here are networks (ESRGAN, ...).
UPSCALERS: dict[str, dict[str, Any]] = {
    "Latent": {"space": "latent", "mode": "bilinear", "antialias": False},
    "Latent (bilinear)": {"space": "latent", "mode": "bilinear", "antialias": False},
    "Latent (antialiased)": {"space": "latent", "mode": "bilinear", "antialias": True},
    "Latent (bicubic)": {"space": "latent", "mode": "bicubic", "antialias": False},
    "Latent (bicubic antialiased)": {"space": "latent", "mode": "bicubic", "antialias": True},
    "Latent (nearest)": {"space": "latent", "mode": "nearest", "antialias": False},
    "Latent (nearest-exact)": {"space": "latent", "mode": "nearest-exact", "antialias": False},
    "Lanczos": {"space": "pixels", "resample": "LANCZOS"},
    "Nearest": {"space": "pixels", "resample": "NEAREST"},
}


def upscaler_of(code: int, registry: Registry) -> dict[str, Any]:
    """{"name", "space", ...} of a registry upscaler code; space "network" for those with weights."""
    name = registry.enum_name("upscalers", code)
    return {"name": name, **UPSCALERS.get(name, {"space": "network"})}


def stages_of(record: dict[str, Any]) -> dict[str, Any] | None:
    return find_extension(record, STAGES_TYPE)


def refusal(record: dict[str, Any], registry: Registry) -> str | None:
    """Why this decoder cannot render the record's stages (None: it can, or there are none)."""
    ext = stages_of(record)
    if ext is None:
        return None
    for i, stage in enumerate(ext["stages"]):
        kind = registry.enum_name("stage_kinds", stage["kind"])
        if kind == REFINER:
            continue  # the grammar checked its model's family; its files are the model store's
        if kind != HIRES_FIX:
            return f"stage {i} of kind {kind!r}"
        upscaler = upscaler_of(stage["upscaler"], registry)
        if upscaler["space"] == "network":
            return (f"stage {i}: the upscaler {upscaler['name']!r} is a network whose weights this decoder does not have "
                    "(only A1111's latent upscalers, Lanczos and Nearest are rendered)")
    return None


def refiner_of(record: dict[str, Any], registry: Registry) -> dict[str, Any] | None:
    """The record's refiner stage, if it has one (the grammar keeps it last)."""
    ext = stages_of(record)
    last = ext["stages"][-1] if ext else None
    return last if last is not None and registry.enum_name("stage_kinds", last["kind"]) == REFINER else None


def stage_record(record: dict[str, Any], stage: dict[str, Any], registry: Registry) -> dict[str, Any]:
    """The record a refiner stage's pipeline is loaded and configured from: the stage's model and scheduler, the
    record's ``params`` that the refiner's family accepts (``denoising_end`` is the first pass's own), and no
    extensions (a model file, adapters or a quantized payload belong to the first pass's model)."""
    family = registry.family_of(stage["model_id"])
    params = {k: v for k, v in record["params"].items() if k in family["params"] and k not in FIRST_PASS_ONLY}
    return dict(record, model_id=stage["model_id"], scheduler=stage["scheduler"], params=params, extensions=[])


def schedule_length(steps: int, strength: float) -> int:
    """A1111's total schedule for ``steps`` image-to-image steps at ``strength``: int(steps / min(strength, 0.999)).

    ``strength`` is the shortest decimal that round-trips the recorded float32 (the JSON record's
    value, e.g. 0.6), divided in double precision, as the web UI divides the value it shows."""
    return int(steps / min(strength, A1111_MAX_STRENGTH))


def diffusers_strength(steps: int, total: int) -> float:
    """The ``strength`` for which diffusers' img2img runs exactly ``steps`` of ``total`` steps
    (it runs int(total * strength)); half a step above ``steps`` so that rounding cannot drop one."""
    return min(1.0, (steps + 0.5) / total)


# ------------------------------------------------------------------ resizing
def upscale_latents(torch: Any, latents: Any, height: int, width: int, factor: int, upscaler: dict[str, Any]) -> Any:
    return torch.nn.functional.interpolate(latents, size=(height // factor, width // factor), mode=upscaler["mode"],
                                           antialias=upscaler["antialias"])


def resize_pixels(image: Any, width: int, height: int, upscaler: dict[str, Any]) -> Any:
    """A1111's ``images.resize_image(0, image, width, height, upscaler_name)`` for the Pillow upscalers."""
    from PIL import Image

    lanczos = Image.Resampling.LANCZOS
    scale = max(width / image.width, height / image.height)
    if scale > 1.0:  # Upscaler.upscale: the upscaler's own resize (up to 3 times), then Lanczos to a multiple of 8
        resample = getattr(Image.Resampling, upscaler["resample"])
        dest_w, dest_h = int((image.width * scale) // 8 * 8), int((image.height * scale) // 8 * 8)
        for _ in range(3):
            before = image.size
            image = image.resize((int(image.width * scale), int(image.height * scale)), resample=resample)
            if before == image.size or (image.width >= dest_w and image.height >= dest_h):
                break
        if image.size != (dest_w, dest_h):
            image = image.resize((dest_w, dest_h), resample=lanczos)
    if image.size != (width, height):
        image = image.resize((width, height), resample=lanczos)
    return image


def to_a1111_rgb8(array: np.ndarray) -> np.ndarray:
    """Decoded float pixels in [0, 1] -> uint8 as A1111 makes the image it upscales (truncation)."""
    return (255.0 * array).astype(np.uint8)


# ------------------------------------------------------------------ the passes
def image_to_image(pipe: Any) -> Any:
    """The image-to-image pipeline sharing ``pipe``'s loaded components."""
    import diffusers

    try:
        return diffusers.AutoPipelineForImage2Image.from_pipe(pipe)
    except Exception as exc:  # a pipeline class without an image-to-image sibling
        raise AigifError("AIGIF_E_PLATFORM", f"a stage needs an image-to-image pipeline for {type(pipe).__name__}, "
                                             f"which diffusers does not provide: {exc}") from None


def run(pipe: Any, record: dict[str, Any], kwargs: dict[str, Any], registry: Registry, model_scheduler_config: dict[str, Any],
        generator_device: str, refiner: Any = None) -> Any:
    """Render a record with stages: the first pass, then every stage; returns diffusers' output (float images).

    ``kwargs`` are the first pass's call arguments (generator included); ``refiner`` is the loaded pipeline of the
    record's refiner stage (:func:`stage_record`), set up with that stage's scheduler."""
    import diffusers
    import torch

    ext = stages_of(record)
    first = dict(kwargs, height=ext["base_height"], width=ext["base_width"])
    factor = pipe.vae_scale_factor
    first_stage = ext["stages"][0]
    first_space = "latent" if "upscaler" not in first_stage else upscaler_of(first_stage["upscaler"], registry)["space"]
    first["output_type"] = "latent" if first_space == "latent" else "np"
    current = pipe(**first).images
    img2img = None
    for index, stage in enumerate(ext["stages"]):
        last = index == len(ext["stages"]) - 1
        generator = torch.Generator(generator_device).manual_seed(record["seed"])
        if "upscaler" not in stage:  # a refiner: the latents as they are, the rest of the schedule
            call = {k: v for k, v in refiner_arguments(record, stage, registry).items()}
            call.update({k: kwargs[k] for k in ("num_images_per_prompt",) if k in kwargs})
            output = refiner(**call, image=current, generator=generator, output_type="np" if last else "latent")
            current = output.images
            continue
        upscaler = upscaler_of(stage["upscaler"], registry)
        if img2img is None:
            img2img = image_to_image(pipe)
            img2img.set_progress_bar_config(disable=True)
        if upscaler["space"] == "latent":  # current holds latents: the first pass made them for this stage, later ones always
            init = upscale_latents(torch, current, stage["height"], stage["width"], factor, upscaler)
        else:
            if torch.is_tensor(current):
                current = _decode(torch, pipe, current)
            images = [resize_pixels(_pil(to_a1111_rgb8(np.asarray(im))), stage["width"], stage["height"], upscaler)
                      for im in current]
            init = _encode(torch, pipe, np.stack([np.asarray(im, dtype=np.float32) / 255.0 for im in images]))
        total = schedule_length(stage["steps"], stage["denoising_strength"])
        img2img.scheduler = build_scheduler(diffusers, dict(record, scheduler=stage["scheduler"]), registry,
                                            model_scheduler_config)
        call = {k: v for k, v in kwargs.items() if k not in ("height", "width", "callback_on_step_end")}
        call.update(image=init, num_inference_steps=total, strength=diffusers_strength(stage["steps"], total),
                    generator=generator, output_type="np" if last else "latent")
        output = img2img(**call)
        current = output.images
    return output


def refiner_pipeline(pipe: Any, refiner_record: dict[str, Any], registry: Registry, model_scheduler_config: dict[str, Any]) -> Any:
    """The image-to-image pipeline of a loaded refiner model (itself, or an SDXL base's sibling), a pipeline object of
    its own with the stage's scheduler, so that setting up the first pass's pipeline later cannot change it."""
    import diffusers

    refiner = image_to_image(pipe)
    refiner.scheduler = build_scheduler(diffusers, refiner_record, registry, model_scheduler_config)
    refiner.set_progress_bar_config(disable=True)
    return refiner


def refiner_arguments(record: dict[str, Any], stage: dict[str, Any], registry: Registry) -> dict[str, Any]:
    """The refiner call's arguments from the record (no image, generator or output type): the prompts and guidance,
    the params its family accepts, the stage's steps and denoising_start."""
    from aigif_ref.regen.arguments import call_arguments

    call = call_arguments(stage_record(record, stage, registry))
    del call["height"], call["width"]  # image-to-image: the size is the latents'
    call.update(num_inference_steps=stage["steps"], denoising_start=stage["denoising_start"])
    return call


def _pil(rgb: np.ndarray) -> Any:
    from PIL import Image

    return Image.fromarray(rgb, "RGB")


def _decode(torch: Any, pipe: Any, latents: Any) -> list[np.ndarray]:
    with torch.no_grad():
        decoded = pipe.vae.decode(latents.to(pipe.vae.dtype) / pipe.vae.config.scaling_factor, return_dict=False)[0]
    return list(pipe.image_processor.postprocess(decoded, output_type="np"))


def _encode(torch: Any, pipe: Any, rgb: Any) -> Any:
    """Float RGB in [0, 1] (rows x H x W x 3) -> scaled latents: the mean of the VAE's latent distribution."""
    pixels = torch.from_numpy(np.asarray(rgb, dtype=np.float32)).permute(0, 3, 1, 2).contiguous() * 2 - 1
    with torch.no_grad():
        latents = pipe.vae.encode(pixels.to(pipe.vae.device, pipe.vae.dtype)).latent_dist.mode()
    return latents * pipe.vae.config.scaling_factor
