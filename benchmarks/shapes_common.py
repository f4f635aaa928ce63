"""What the aigif-shapes benchmarks share: the model folder, the language, one bare diffusers render.

Runs without the rest of aigif_ref when given a model folder (the GPU machine has diffusers but not the
project's other dependencies); otherwise the folder comes from the model store, verified against the
registry's sha256s.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
MODEL_NAME = "aigif-shapes"
SIZE = 64
STEPS = 20
GUIDANCE = 7.5
# Render seeds: the training drew no pipeline seeds at all (its generators are seeded 20261129 + k for
# data, latents and noise); these ranges are disjoint from those and from the training self-check's.
EVAL_SEED_BASE = 7_000_000
FIDELITY_SEED_BASE = 7_100_000
SCHEDULERS = {"DDIM": "DDIMScheduler", "DPM++ 2M": "DPMSolverMultistepScheduler"}  # registry presets, config {}


def language():
    """vectors/models/shapes_language.py (the prompt language, drawing and classifier)."""
    if "shapes_language" not in sys.modules:
        spec = importlib.util.spec_from_file_location("shapes_language", REPO_ROOT / "vectors" / "models" / "shapes_language.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["shapes_language"] = module
        spec.loader.exec_module(module)
    return sys.modules["shapes_language"]


def model_folder(path: Path | None) -> Path:
    if path is not None:
        return path
    from aigif_ref.model_store import resolve_model
    from aigif_ref.registry import default_registry

    return resolve_model(default_registry().model_code(MODEL_NAME)).path


def load_pipeline(folder: Path, device: str, dtype, scheduler: str = "DDIM"):
    import diffusers
    import torch
    from diffusers import StableDiffusionPipeline

    diffusers.utils.logging.set_verbosity_error()
    pipe = StableDiffusionPipeline.from_pretrained(folder, use_safetensors=True, local_files_only=True,
                                                   dtype=getattr(torch, dtype)).to(device)
    pipe.scheduler = getattr(diffusers, SCHEDULERS[scheduler]).from_config(pipe.scheduler.config)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def render(pipe, prompt: str, seed: int):
    """RGB8 H x W x 3 as the reference renderer makes it: CPU generator, output_type np, round(x * 255)."""
    import numpy as np
    import torch

    image = pipe(prompt, height=SIZE, width=SIZE, num_inference_steps=STEPS, guidance_scale=GUIDANCE,
                 generator=torch.Generator("cpu").manual_seed(seed), output_type="np").images[0]
    return (np.clip(np.asarray(image, dtype=np.float32), 0, 1) * 255).round().astype(np.uint8)


def versions() -> dict[str, str]:
    from importlib.metadata import version

    return {pkg: version(pkg) for pkg in ("torch", "diffusers", "transformers")}


def machine(device: str) -> str:
    import os
    import platform

    import torch

    if device == "cuda":
        return torch.cuda.get_device_name()
    name = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{name}, {os.cpu_count()} CPUs"
