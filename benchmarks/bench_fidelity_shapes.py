"""Cross-platform fidelity of aigif-shapes, like the paper's Table V: the same files regenerated on CPU
float32, CPU float16, CUDA float32 and CUDA float16, with DDIM and DPM++ 2M, across torch versions.

Each "file" is a prompt of the language and a seed (FIDELITY_SEED_BASE + i), 64x64, 20 steps, guidance
7.5, a CPU generator, rendered as the reference renderer renders (bare diffusers, round(x * 255)).
Every candidate platform is compared with a reference platform (CPU float32): PSNR over all images
(from the pooled mean squared error, 8-bit peak), the lowest per-image PSNR, the largest absolute
error in 8-bit levels and how many images are bit-identical.

    python -m benchmarks.bench_fidelity_shapes --out DIR            # every platform this machine has
    python -m benchmarks.bench_fidelity_shapes --out DIR --other OTHER_DIR
        # also compare OTHER_DIR's renders (another machine, another torch) with this machine's CPU float32
    python -m benchmarks.bench_fidelity_shapes --out DIR --other OTHER_DIR --only cpu-float32 --count 8

Writes DIR/fidelity-shapes.json (schema: see FORMAT below) and DIR/fidelity-shapes-renders.npz (the
uint8 renders, so another machine can compare against them).
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.shapes_common import (FIDELITY_SEED_BASE, GUIDANCE, MODEL_NAME, SCHEDULERS, SIZE, STEPS, language,
                                      load_pipeline, machine, model_folder, render, versions)

FORMAT = "aigif-fidelity/1"
REFERENCE = ("cpu", "float32")


def platforms() -> list[tuple[str, str]]:
    import torch

    found = [("cpu", "float32"), ("cpu", "float16")]
    if torch.cuda.is_available():
        found += [("cuda", "float32"), ("cuda", "float16")]
    return found


def describe(device: str, dtype: str) -> dict:
    import torch

    info = {"device": device, "dtype": dtype, "torch": torch.__version__, "machine": machine(device)}
    if device == "cpu":
        info["threads"] = torch.get_num_threads()
    else:
        info["tf32_matmul"] = torch.backends.cuda.matmul.allow_tf32
        info["tf32_cudnn"] = torch.backends.cudnn.allow_tf32
    return info


def render_all(folder: Path, count: int, only: list[str] | None = None) -> tuple[dict, dict]:
    """{key: uint8 (count, H, W, 3)}, {key: platform description}; key = 'scheduler|device|dtype[|repeat]'."""
    import numpy as np

    lang = language()
    combos = lang.all_prompts()
    prompts = [lang.prompt(*combos[(i * 37) % len(combos)]) for i in range(count)]
    renders, described = {}, {}
    for scheduler in SCHEDULERS:
        for device, dtype in platforms():
            if only and f"{device}-{dtype}" not in only:
                continue
            pipe = load_pipeline(folder, device, dtype, scheduler)
            runs = 2 if (device, dtype) in (REFERENCE, ("cuda", "float32")) and not only else 1  # the repeat: same platform twice
            for run in range(runs):
                key = f"{scheduler}|{device}|{dtype}" + ("|repeat" if run else "")
                start = time.perf_counter()
                renders[key] = np.stack([render(pipe, p, FIDELITY_SEED_BASE + i) for i, p in enumerate(prompts)])
                described[key] = {**describe(device, dtype), "seconds_per_image": round((time.perf_counter() - start) / count, 4),
                                  "repeat": bool(run)}
                print(f"{key}: {described[key]['seconds_per_image']} s/image", flush=True)
    return renders, described


def compare(reference, candidate) -> dict:
    import numpy as np

    diff = reference.astype(np.float64) - candidate.astype(np.float64)
    per_image_mse = (diff ** 2).reshape(len(diff), -1).mean(1)
    pooled = float(per_image_mse.mean())

    def psnr(mse: float) -> float | None:
        return None if mse == 0 else round(10 * math.log10(255.0 ** 2 / mse), 2)

    return {"images": len(diff), "bit_exact_images": int((per_image_mse == 0).sum()), "psnr_db": psnr(pooled),
            "min_psnr_db": psnr(float(per_image_mse.max())), "max_abs_error": int(np.abs(diff).max())}


def rows_against(reference_key: str, reference_info: dict, renders: dict, described: dict, scheduler: str) -> list[dict]:
    rows = []
    for key, array in renders.items():
        if key.split("|")[0] != scheduler or key == reference_key:
            continue
        rows.append({"scheduler": scheduler, "reference": reference_info, "candidate": described[key],
                     **compare(renders[reference_key], array)})
    return rows


def main(argv: list[str] | None = None) -> int:
    import numpy as np

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, help="model folder (default: the model store, verified)")
    parser.add_argument("--count", type=int, default=32, help="files per platform and scheduler (default 32)")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--only", nargs="+", metavar="DEVICE-DTYPE", help="render only these platforms (e.g. cpu-float32), no repeats")
    parser.add_argument("--other", type=Path, help="another machine's --out folder to compare with this one's CPU float32")
    args = parser.parse_args(argv)
    renders, described = render_all(model_folder(args.model), args.count, args.only)
    if args.other:  # the other machine's renders join as candidates against this machine's reference
        other = json.loads((args.other / "fidelity-shapes.json").read_text(encoding="utf-8"))
        with np.load(args.other / "fidelity-shapes-renders.npz") as data:
            for key in data.files:
                renders[f"{key}|other"] = data[key][: args.count]  # the same files, in the same order
                described[f"{key}|other"] = other["platforms"][key]
    rows = []
    for scheduler in SCHEDULERS:
        reference_key = f"{scheduler}|{REFERENCE[0]}|{REFERENCE[1]}"
        rows += rows_against(reference_key, described[reference_key], renders, described, scheduler)
    local = {k: v for k, v in described.items() if not k.endswith("|other")}
    result = {
        "format": FORMAT, "benchmark": "bench_fidelity_shapes", "model": MODEL_NAME, "date": time.strftime("%Y-%m-%d"),
        "settings": {"size": SIZE, "steps": STEPS, "guidance_scale": GUIDANCE, "files": args.count,
                     "seeds": f"{FIDELITY_SEED_BASE}..{FIDELITY_SEED_BASE + args.count - 1}", "generator": "cpu",
                     "schedulers": {name: {"diffusers_class": cls, "config": {}} for name, cls in SCHEDULERS.items()}},
        "versions": versions(), "platforms": local, "rows": rows,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "fidelity-shapes.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    np.savez_compressed(args.out / "fidelity-shapes-renders.npz",
                        **{k: v for k, v in renders.items() if not k.endswith("|other")})
    for row in rows:
        c, r = row["candidate"], row["reference"]
        print(f"{row['scheduler']:9} {c['device']}-{c['dtype']} torch {c['torch']}{' (repeat)' if c.get('repeat') else ''}"
              f" vs {r['device']}-{r['dtype']} torch {r['torch']}: PSNR {row['psnr_db']} dB (min {row['min_psnr_db']}),"
              f" max error {row['max_abs_error']}, bit-exact {row['bit_exact_images']}/{row['images']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
