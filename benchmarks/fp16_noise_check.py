"""Why float16 renders of aigif-shapes differ from float32 ones: the noise, or the precision?

Prints whether torch's CPU generator draws the same initial noise in float16 as in float32 (diffusers
draws it in the pipeline's dtype), then renders 16 fidelity files in float16 on every device here
with noise drawn in float32 and compares them with CPU float32 renders of the same noise (PSNR over
the 16 images, largest error in 8-bit levels). Run on the GPU machine on 2026-11-29 (figures in the
README's fidelity table, rows marked †).

    python -m benchmarks.fp16_noise_check [--model DIR]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.shapes_common import (FIDELITY_SEED_BASE, GUIDANCE, SCHEDULERS, SIZE, STEPS, language, load_pipeline,
                                      model_folder)


def main(argv: list[str] | None = None) -> int:
    import numpy as np
    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, help="model folder (default: the model store, verified)")
    args = parser.parse_args(argv)
    folder = model_folder(args.model)
    shape = (1, 4, SIZE // 4, SIZE // 4)
    a = torch.randn(shape, generator=torch.Generator().manual_seed(FIDELITY_SEED_BASE), dtype=torch.float32)
    b = torch.randn(shape, generator=torch.Generator().manual_seed(FIDELITY_SEED_BASE), dtype=torch.float16)
    print(torch.__version__, "randn float16 vs float32, same seed: max difference", (a - b.float()).abs().max().item())
    lang = language()
    combos = lang.all_prompts()
    call = dict(height=SIZE, width=SIZE, num_inference_steps=STEPS, guidance_scale=GUIDANCE, output_type="np")
    for device in ["cpu", *(["cuda"] if torch.cuda.is_available() else [])]:
        for scheduler in SCHEDULERS:
            reference, half = load_pipeline(folder, "cpu", "float32", scheduler), load_pipeline(folder, device, "float16", scheduler)
            errors, worst = [], 0.0
            for i in range(16):
                text = lang.prompt(*combos[(i * 37) % len(combos)])
                noise = torch.randn(shape, generator=torch.Generator().manual_seed(FIDELITY_SEED_BASE + i), dtype=torch.float32)
                x = np.clip(reference(text, latents=noise, **call).images[0], 0, 1) * 255
                y = np.clip(np.asarray(half(text, latents=noise.half().to(device), **call).images[0], dtype=np.float32), 0, 1) * 255
                x, y = x.round(), y.round()
                errors.append(((x - y) ** 2).mean())
                worst = max(worst, float(np.abs(x - y).max()))
            psnr = 10 * np.log10(255.0 ** 2 / np.mean(errors))
            print(f"{device} float16 {scheduler}, noise drawn in float32: PSNR {psnr:.2f} dB, max error {worst:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
