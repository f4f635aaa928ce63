"""Regenerate the image of an AIGIF record: record -> diffusers pipeline call -> pixels.

The renderer adds nothing of its own to the pipeline call: every argument comes from the record
through the tables in :mod:`aigif_ref.regen.arguments` and :mod:`aigif_ref.regen.scheduler`, the
noise from a generator seeded with the record's seed (a CPU generator unless the file says CUDA, as
diffusers recommends), under the determinism settings the file records. Tests compare its output
with a bare diffusers call.
"""
from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from aigif_ref.api import decode, encode, read_bytes
from aigif_ref.errors import AigifError
from aigif_ref.model_store import ResolvedModel
from aigif_ref.grammar import limits
from aigif_ref.record import find_extension
from aigif_ref.regen import prompt_weighting, stages
from aigif_ref.regen.arguments import call_arguments
from aigif_ref.regen.compat import clip_skip_compat
from aigif_ref.regen.deps import quiet_diffusers, require
from aigif_ref.regen.determinism import applied
from aigif_ref.regen.pipelines import PipelineCache
from aigif_ref.regen.platform import DEFAULT_MAX_PIXELS, DEVICES, Fidelity, compare, current_platform, hold_cpu_kernels
from aigif_ref.registry import Registry, default_registry

StepCallback = Callable[[int, int], None]  # (steps done, steps in total)


@dataclass
class RenderResult:
    rgb: np.ndarray  # uint8, height x width x 3
    array: np.ndarray  # float32 in [0, 1], height x width x 3: the pipeline's own output
    model: ResolvedModel
    fidelity: Fidelity
    device: str
    seconds: float  # the pipeline call
    load_seconds: float  # loading the pipeline (0 when it came from the cache)


def to_rgb8(array: np.ndarray) -> np.ndarray:
    """Float pixels in [0, 1] -> uint8, rounded as diffusers' numpy_to_pil does."""
    return (array * 255).round().astype(np.uint8)


class Renderer:
    """Renders records; holds loaded pipelines so that files sharing a model load it once."""

    def __init__(self, device: str = "auto", models_dir: str | os.PathLike | None = None, allow_unpinned: bool = False,
                 registry: Registry | None = None, capacity: int = 2, max_pixels: int = DEFAULT_MAX_PIXELS,
                 max_steps: int | None = None, payloads: list | None = None) -> None:
        if device not in DEVICES and not device.startswith("cuda:"):
            raise AigifError("AIGIF_E_PLATFORM", f"device {device!r}: use one of {', '.join(DEVICES)}")
        self.torch, self.diffusers = require()
        self.registry = registry or default_registry()
        self.requested_device = device
        self.max_pixels = max_pixels
        self.max_steps = max_steps  # None: the format's own bound (1000)
        self.cache = PipelineCache(self.registry, str(models_dir) if models_dir else None, allow_unpinned, capacity, payloads)

    def device_for(self, record: dict[str, Any]) -> str:
        """"auto": the recorded device kind when this machine has it (exact renders), else CUDA if present, else CPU."""
        cuda = self.torch.cuda.is_available()
        if self.requested_device.startswith("cuda"):
            if not cuda:
                raise AigifError("AIGIF_E_PLATFORM", f"--device cuda: torch {self.torch.__version__} sees no CUDA device "
                                                        "(no GPU, or a CPU-only torch build); use --device cpu")
            return self.requested_device
        if self.requested_device == "cpu":
            return "cpu"
        kind = self.registry.enum_name("devices", record["device"])
        if kind == "CPU":
            return "cpu"
        if kind == "MPS" and self.torch.backends.mps.is_available():
            return "mps"
        return "cuda" if cuda else "cpu"

    def generator_device(self, record: dict[str, Any], device: str) -> str:
        """Where the noise is drawn: a CUDA generator only when the file says so and we render on CUDA."""
        wanted = self.registry.enum_name("generator_devices", record["platform"].get("generator_device", 0))
        return device if wanted == "cuda" and device.startswith("cuda") else "cpu"

    def check(self, record: dict[str, Any], device: str | None = None) -> Fidelity:
        """The fidelity a render of ``record`` here would have, without rendering."""
        device = device or self.device_for(record)
        generator = self.generator_device(record, device).split(":")[0]
        return compare(record, current_platform(device, self.registry, generator, dtype=record["dtype"]), self.registry)

    def check_bounds(self, record: dict[str, Any]) -> None:
        """Refuse, before loading anything, a valid file that asks for more than this renderer allows (spec 15.1)."""
        batch = record["platform"].get("batch_size", 1)
        pixels = record["height"] * record["width"] * batch
        if pixels > self.max_pixels:
            raise AigifError("AIGIF_E_DECODER_LIMIT", f"the file asks for {record['width']}x{record['height']} pixels "
                                                      f"x {batch} image(s), above this renderer's limit of {self.max_pixels} "
                                                      "pixels; raise it with --max-pixels if the machine has the memory")
        if self.max_steps is not None and record["steps"] > self.max_steps:
            raise AigifError("AIGIF_E_DECODER_LIMIT", f"the file asks for {record['steps']} steps, above this renderer's "
                                                      f"limit of {self.max_steps}; raise it with --max-steps to render it")
        ext = stages.stages_of(record)
        for i, stage in enumerate(ext["stages"] if ext else []):
            if stage.get("height", 0) * stage.get("width", 0) * batch > self.max_pixels or \
                    ext["base_height"] * ext["base_width"] * batch > self.max_pixels:
                raise AigifError("AIGIF_E_DECODER_LIMIT", f"stages[{i}] asks for more than this renderer's limit of "
                                                          f"{self.max_pixels} pixels; raise it with --max-pixels")
            # a refiner's schedule is its steps; a hires fix's is A1111's longer one
            total = stages.schedule_length(stage["steps"], stage["denoising_strength"]) if "upscaler" in stage \
                else stage["steps"]
            if total > min(limits.MAX_STEPS, self.max_steps or limits.MAX_STEPS):
                what = (f"{stage['steps']} steps at denoising strength {stage['denoising_strength']} make a schedule of "
                        f"{total} steps" if "upscaler" in stage else f"the refiner's schedule of {total} steps")
                raise AigifError("AIGIF_E_DECODER_LIMIT", f"stages[{i}]: {what}, above this renderer's limit of "
                                                          f"{self.max_steps or limits.MAX_STEPS}; raise it with --max-steps")

    def render(self, record: dict[str, Any], on_step: StepCallback | None = None, *, decoded: bool = False) -> RenderResult:
        """Regenerate ``record``, a JSON record (names or codes).

        ``decoded=True`` says it comes straight from ``aigif_ref.api.decode`` with this registry, so it
        is already checked and canonical; otherwise it is validated (encoded and decoded) first.
        """
        if not decoded:
            record = decode(encode(record, self.registry), self.registry)
        self.check_bounds(record)
        refuse_unimplemented(record, self.registry)
        device = self.device_for(record)
        fidelity = self.check(record, device)
        refiner_stage, refiner, load_seconds = stages.refiner_of(record, self.registry), None, 0.0
        if refiner_stage is not None:  # the second model, loaded and verified like the first, with its own scheduler
            refiner_record = stages.stage_record(record, refiner_stage, self.registry)
            refined, fresh = self.cache.get(refiner_record, device)
            load_seconds += refined.load_seconds if fresh else 0.0
            refiner = stages.refiner_pipeline(refined.pipe, refiner_record, self.registry, refined.scheduler_config)
        # After the refiner: when both are one model (an SDXL base as its own refiner) the cache holds one pipeline,
        # which this sets up for the first pass again.
        loaded, fresh = self.cache.get(record, device)
        load_seconds += loaded.load_seconds if fresh else 0.0
        pipe = loaded.pipe
        platform = record["platform"]
        batch, row = platform.get("batch_size", 1), platform.get("batch_index", 0)
        generator = self.torch.Generator(self.generator_device(record, device)).manual_seed(record["seed"])
        kwargs = call_arguments(record)
        kwargs.update(generator=generator, output_type="np")
        if batch > 1:  # row i of a batch depends on the whole batch's noise: generate all of it
            kwargs["num_images_per_prompt"] = batch
        if on_step is not None:
            kwargs["callback_on_step_end"] = _progress_callback(on_step, record["steps"])
        attention = self.registry.enum_name("attention_backends", platform["attention_backend"]) if "attention_backend" in platform else None
        start = time.perf_counter()
        with applied(self.torch, platform, attention, device, pipe), clip_skip_compat(pipe), quiet_diffusers(), \
                (applied(self.torch, platform, attention, device, refiner) if refiner else contextlib.nullcontext()):
            try:
                lengths = None
                if dialect_name(record, self.registry) == "A1111":
                    del kwargs["prompt"], kwargs["negative_prompt"]
                    embeds = prompt_weighting.prompt_embeddings(pipe, record, loaded.family["name"])
                    embeds, lengths = prompt_weighting.pad_to_same_length(self.torch, embeds)
                    kwargs.update(embeds)
                with prompt_weighting.unequal_lengths(pipe, lengths):
                    if stages.stages_of(record) is not None:
                        output = stages.run(pipe, record, kwargs, self.registry, loaded.scheduler_config,
                                            self.generator_device(record, device), refiner)
                    else:
                        output = pipe(**kwargs)
            except AigifError:
                raise
            except Exception as exc:  # diffusers' own checks, out of memory, an op missing for this dtype/device
                raise AigifError("AIGIF_E_RENDER", f"{type(pipe).__name__} on {device}: {type(exc).__name__}: {exc}") from None
        seconds = time.perf_counter() - start
        array = np.asarray(output.images[row], dtype=np.float32)
        return RenderResult(to_rgb8(array), array, loaded.model, fidelity, device, seconds, load_seconds)

    def render_file(self, path: str | os.PathLike, on_step: StepCallback | None = None) -> RenderResult:
        return self.render(decode(read_bytes(path), self.registry), on_step, decoded=True)


PROMPT_DIALECT_TYPE = 7  # registry.json extension_types "prompt_dialect"
RENDERED_DIALECTS = ("plain", "A1111")


def dialect_name(record: dict[str, Any], registry: Registry) -> str:
    ext = find_extension(record, PROMPT_DIALECT_TYPE)
    return "plain" if ext is None else registry.enum_name("prompt_dialects", ext["dialect"])


def refuse_unimplemented(record: dict[str, Any], registry: Registry) -> None:
    """Refuse, before loading anything, a record whose pixels depend on what this decoder does not implement."""
    dialect = dialect_name(record, registry)
    reason = None
    if dialect not in RENDERED_DIALECTS:
        reason = (f"prompts in the {dialect} dialect (this decoder reads {' and '.join(RENDERED_DIALECTS)}; "
                  f"{dialect} weighting is not implemented)")
    elif dialect == "A1111":
        why = prompt_weighting.refusal(record, registry.family_of(record["model_id"])["name"])
        if why is None and stages.refiner_of(record, registry) is not None:
            why = "with a refiner stage (the weighted embeddings are the first pass's text encoders')"
        reason = f"A1111 prompts {why}" if why else None
    reason = reason or stages.refusal(record, registry)
    if reason:
        raise AigifError("AIGIF_E_PLATFORM", f"the file needs {reason}, which this reference decoder does not implement; "
                                             "its pixels (--prefer-pixels) are used when the file has them")


def _progress_callback(on_step: StepCallback, steps: int) -> Callable:
    def callback(pipe: Any, index: int, timestep: Any, tensors: dict) -> dict:
        on_step(index + 1, getattr(pipe, "_num_timesteps", None) or steps)
        return tensors  # unchanged: the callback only observes

    return callback


def render_file(path: str | os.PathLike, device: str = "auto", models_dir: str | os.PathLike | None = None,
                allow_unpinned: bool = False) -> RenderResult:
    """One-off convenience: render one file (use a :class:`Renderer` for many). Called before torch is imported, it
    holds the CPU kernels to the file's recorded instruction set first, as the CLI does."""
    registry = default_registry()
    record = decode(read_bytes(path), registry)
    hold_cpu_kernels(record, registry)
    return Renderer(device, models_dir, allow_unpinned, registry).render(record, decoded=True)


__all__ = ["RenderResult", "Renderer", "render_file", "to_rgb8"]
