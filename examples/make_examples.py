"""Make the shipped example files with the capture API.

- examples/shapes.aigif: the README's first command renders it with aigif-shapes, the small trained
  model embedded in the repository (vectors/models/aigif-shapes): "a yellow triangle on a blue
  background", 64x64, DDIM 20 steps, guidance 7.5, and checks the render against the file's pixel digest.
- examples/tiny-fox.aigif: the tiny random-weight model (registry ID 490; its image is noise-like by
  design), kept for bit-level checks.

Each file was made by an ordinary diffusers call wrapped in aigif_ref.capture.capture, on CPU with one
thread and every CPU kernel library held to AVX2 (both recorded in the file: a render uses one thread too
and holds its kernels to AVX2, so it is bit-exact on any x86-64 CPU with AVX2, AVX-512 ones included):

    python3 examples/make_examples.py
"""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


# The CPU kernel instruction set of the examples (registry `cpu_capabilities`), set before torch starts.
CPU_KERNELS = "avx2"


def main() -> int:
    import os

    from aigif_ref.regen.platform import KERNEL_ENVIRONMENTS

    if "torch" in sys.modules:
        raise SystemExit("make_examples: run it as a script, before anything imports torch")
    os.environ.update(KERNEL_ENVIRONMENTS[CPU_KERNELS])
    import torch
    from diffusers import StableDiffusionPipeline

    from aigif_ref.capture import capture
    from aigif_ref.model_store import resolve_model

    from diffusers import DDIMScheduler

    from aigif_ref.registry import default_registry

    torch.set_num_threads(1)
    shapes = resolve_model(default_registry().model_code("aigif-shapes"))  # verified against its registry sha256s
    pipe = StableDiffusionPipeline.from_pretrained(shapes.path, use_safetensors=True, local_files_only=True,
                                                   dtype=torch.float32)
    pipe.scheduler = DDIMScheduler.from_config(pipe.scheduler.config)
    pipe.set_progress_bar_config(disable=True)
    out = HERE / "shapes.aigif"
    capture(pipe, out, prompt="a yellow triangle on a blue background", height=64, width=64,
            num_inference_steps=20, guidance_scale=7.5, generator=torch.Generator("cpu").manual_seed(20261129),
            digest=True)
    print(f"wrote {out.relative_to(HERE.parent)} ({out.stat().st_size} bytes)")

    model = resolve_model(490)  # aigif-tiny-sd15, verified against its registry sha256s
    pipe = StableDiffusionPipeline.from_pretrained(model.path, use_safetensors=True, local_files_only=True,
                                                   dtype=torch.float32)
    pipe.set_progress_bar_config(disable=True)
    out = HERE / "tiny-fox.aigif"
    capture(pipe, out, prompt="a red fox in the snow, watercolor", negative_prompt="blurry, low quality",
            height=96, width=96, num_inference_steps=12, guidance_scale=7.5,
            generator=torch.Generator("cpu").manual_seed(20261121), digest=True)
    print(f"wrote {out.relative_to(HERE.parent)} ({out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
