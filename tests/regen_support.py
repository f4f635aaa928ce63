"""Helpers shared by the regeneration tests: records for the tiny models and bare diffusers calls."""
from __future__ import annotations

from typing import Any

import diffusers
import numpy as np
import torch
import transformers

from aigif_ref.regen.platform import current_cpu_capability, release
from aigif_ref.registry import default_registry

THREADS = 1  # CPU float output depends on the thread count; every test pins it
MODEL_IDS = {"sd1": 490, "sdxl": 491}
PIPELINES = {"sd1": diffusers.StableDiffusionPipeline, "sdxl": diffusers.StableDiffusionXLPipeline}
HERE = {  # this machine's platform group on CPU, as capture records it
    "torch_version": release(torch.__version__),
    "diffusers_version": release(diffusers.__version__),
    "transformers_version": release(transformers.__version__),
    "num_threads": THREADS,
}


# What capture adds on CPU: the instruction set of this process's kernels (absent for a mix no name describes).
_ISA = current_cpu_capability(torch)
CAPTURED = dict(HERE, **({"cpu_capability": default_registry().enum_code("cpu_capabilities", _ISA)} if _ISA else {}))


def record(family: str, **fields: Any) -> dict[str, Any]:
    """A small, fast record for a tiny model: 64x64, 3 steps, CPU, this machine's platform."""
    base = {
        "model_id": MODEL_IDS[family], "prompt": "a red cat", "negative_prompt": None, "height": 64, "width": 64,
        "seed": 1234, "steps": 3, "guidance_scale": 7.5, "params": {}, "scheduler_config": {}, "platform": dict(HERE),
    }
    base.update(fields)
    return base


def load_bare(model, **kwargs: Any):
    """A diffusers pipeline loaded the way a user would, with nothing from aigif in between."""
    pipe = PIPELINES[model.family].from_pretrained(model.path, use_safetensors=True, local_files_only=True,
                                                   dtype=torch.float32, **kwargs)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def bare_call(pipe, scheduler: str | None = None, scheduler_changes: dict | None = None, seed: int = 1234, **kwargs: Any) -> np.ndarray:
    """A plain diffusers call (float output, CPU generator): the reference a render must equal."""
    if scheduler is not None or scheduler_changes:
        cls = getattr(diffusers, scheduler) if scheduler else type(pipe.scheduler)
        pipe.scheduler = cls.from_config(pipe.scheduler.config, **(scheduler_changes or {}))
    defaults = dict(prompt="a red cat", height=64, width=64, num_inference_steps=3, guidance_scale=7.5)
    defaults.update(kwargs)
    return pipe(generator=torch.Generator("cpu").manual_seed(seed), output_type="np", **defaults).images
