"""Render goldens of quantized models (the `quantized-render` level): aigif-shapes quantized each way.

For each model compressor (int8, q8_0, q4_0, mixed) the trained aigif-shapes UNet is quantized by the
reference writer (aigif quantize), the payload is embedded in the file (self-contained), and the expected
image is rendered from the quantized model itself: a bare diffusers StableDiffusionPipeline call whose UNet
weights were replaced by the payload's, dequantized (spec/quantized.md §4) into float32. The record is
render-shapes-ddim's (DDIM, 20 steps, 64x64, guidance 7.5, seed 4242), so the goldens show each compressor's
effect against the float golden. The reference renderer must then reproduce every image exactly.

    python vectors/generate_quantized_render.py [--check]

Like vectors/generate_render.py, run with one thread and the CPU kernels held to AVX2 (GOLDEN_CPU_ENV);
the script refuses otherwise. Tolerances are measured, not assumed: every case is also rendered with two
threads and, in a second process, with the machine's default kernels; test.json records what those gave
("measured") and the tolerance covers them.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from aigif_ref.api import decode, encode  # noqa: E402
from aigif_ref.model_store import resolve_model  # noqa: E402
from aigif_ref.pixel_digest import compute_digest  # noqa: E402
from aigif_ref.quant.cli import model_extension  # noqa: E402
from aigif_ref.quant.payload import build, parse, sha256_hex  # noqa: E402
from aigif_ref.registry import REPO_ROOT, default_registry  # noqa: E402
from vectors.generate_render import CPU_KERNELS, CPU_TOLERANCE, GOLDEN_CPU_ENV, platform_group, png_bytes  # noqa: E402

SET = REPO_ROOT / "vectors" / "quantized-render"
LEVEL = REPO_ROOT / "vectors" / "levels" / "quantized-render.txt"
SUITE, SUITE_VERSION, SPEC_VERSION = "aigif-quantized-render-vectors", "1.0.0", "1.1"
MODEL = "aigif-shapes"
COMPRESSORS = ("int8", "q8_0", "q4_0", "mixed")
# mixed: seed 001 §4.2 keeps the most sensitive layers at 8 bits; it names the time embedding (quantizing it
# "has a significant impact"), and the first and last convolutions see the raw latents.
MIXED_KEEP = ("unet/conv_in", "unet/conv_out", "unet/time_embedding")
RECORD = {"scheduler": "DDIM", "prompt": "a red circle on a white background", "guidance_scale": 7.5, "seed": 4242,
          "steps": 20, "height": 64, "width": 64, "dtype": "float32"}
FLOAT_GOLDEN = REPO_ROOT / "vectors" / "render" / "render-shapes-ddim" / "expected.png"


def payload_of(compressor: str) -> bytes:
    from aigif_ref.model_store import staged
    from aigif_ref.quant.quantizer import quantize_model
    model = resolve_model(default_registry().model_code(MODEL))
    with staged(model) as folder:
        return build(quantize_model(folder, model.model_id, compressor, keep=MIXED_KEEP if compressor == "mixed" else ()))


def bare_render(payload: bytes) -> np.ndarray:
    """The image of RECORD from a bare diffusers call on the quantized model: float32 H x W x 3 in [0, 1]."""
    import diffusers
    import torch

    from aigif_ref.quant.loader import apply

    model = resolve_model(default_registry().model_code(MODEL))
    pipe = diffusers.StableDiffusionPipeline.from_pretrained(model.path, use_safetensors=True, local_files_only=True,
                                                             dtype=torch.float32)
    pipe.set_progress_bar_config(disable=True)
    apply(pipe, parse(payload), "float32")  # every UNet weight replaced by the payload's
    pipe.scheduler = diffusers.DDIMScheduler.from_config(pipe.scheduler.config)
    out = pipe(prompt=RECORD["prompt"], guidance_scale=RECORD["guidance_scale"], height=RECORD["height"], width=RECORD["width"],
               num_inference_steps=RECORD["steps"], output_type="np", generator=torch.Generator("cpu").manual_seed(RECORD["seed"]))
    return np.asarray(out.images[0], dtype=np.float32)


def rgb8(array: np.ndarray) -> np.ndarray:
    from aigif_ref.regen.render import to_rgb8
    return to_rgb8(array)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255.0 ** 2 / mse)


def variant_renders(payloads: dict[str, bytes], threads: int, env: dict[str, str] | None) -> dict[str, np.ndarray]:
    """Every case rendered in a fresh process with `threads` threads and environment `env` (None: this one's
    without the kernel caps, so the machine's default kernels)."""
    with tempfile.TemporaryDirectory() as tmp:
        for c, data in payloads.items():
            (Path(tmp) / f"{c}.safetensors").write_bytes(data)
        base = {k: v for k, v in os.environ.items() if k not in GOLDEN_CPU_ENV}
        subprocess.run([sys.executable, __file__, "--variant", tmp, "--threads", str(threads)], check=True,
                       env={**base, **(env or {})}, cwd=REPO_ROOT)
        return {c: np.load(Path(tmp) / f"{c}.npy") for c in payloads}


def measured(expected: np.ndarray, got: np.ndarray) -> dict:
    """max abs error and PSNR (null when the images are identical: JSON has no infinity)."""
    value = psnr(expected, got)
    return {"max_abs_error": int(np.abs(expected.astype(int) - got.astype(int)).max()),
            "psnr_db": None if math.isinf(value) else round(value, 2)}


def write_case(dest: Path, compressor: str, data: bytes, variants: dict[str, dict[str, np.ndarray]], threads_one) -> list[str]:
    from PIL import Image

    from aigif_ref.regen.render import Renderer

    threads_one()
    array = bare_render(data)
    rgb = rgb8(array)
    record = {"model_id": MODEL, **RECORD, "platform": platform_group("cpu")}
    with tempfile.NamedTemporaryFile(suffix=".safetensors") as f:
        f.write(data)
        f.flush()
        record["extensions"] = [model_extension(f.name, embed=True), compute_digest(rgb)]
    file = encode(record)
    problems = []
    again = Renderer("cpu").render(decode(file), decoded=True).rgb
    if not np.array_equal(again, rgb):
        problems.append(f"{compressor}: the reference renderer differs from the bare diffusers call "
                        f"(max {int(np.abs(again.astype(int) - rgb.astype(int)).max())})")
    found = {name: measured(rgb, images[compressor]) for name, images in variants.items()}
    worst_error = max([CPU_TOLERANCE["max_abs_error"], *(m["max_abs_error"] for m in found.values())])
    worst_psnr = min([CPU_TOLERANCE["min_psnr"], *(math.floor(m["psnr_db"]) for m in found.values() if m["psnr_db"] is not None)])
    payload = parse(data)
    formats: dict[str, int] = {}
    for entry in payload.tensors.values():
        formats[entry.format] = formats.get(entry.format, 0) + 1
    with Image.open(FLOAT_GOLDEN) as image:
        float_rgb = np.asarray(image.convert("RGB"))
    case_id = f"render-shapes-ddim-{compressor.replace('_', '-')}"
    folder = dest / case_id
    folder.mkdir(parents=True, exist_ok=True)
    npy = io.BytesIO()
    np.save(npy, array)
    files = {"input.aigif": file, "expected.png": png_bytes(rgb), "expected.npy": npy.getvalue()}
    for name, content in files.items():
        (folder / name).write_bytes(content)
    import diffusers
    import torch
    import transformers
    test = {
        "id": case_id, "level": "quantized-render",
        "description": f"aigif-shapes quantized with {compressor} (payload embedded), DDIM 20 steps: the quantized model's own image.",
        "features": ["trained-model", "model-payload", "embedded-payload", f"compressor-{compressor}"],
        "requires": "cpu",
        "tolerance": {"max_abs_error": worst_error, "min_psnr": worst_psnr},
        "exact_when": {"cpu_kernels": CPU_KERNELS, "environment": GOLDEN_CPU_ENV, "num_threads": 1, "mkldnn": True},
        "measured": {"how": "the same case rendered again in a fresh process: two_threads = AVX2 kernels and 2 threads; "
                            "default_kernels = this machine's own kernels (uncapped) and 1 thread", **found},
        "quantized": {"compressor": compressor, "payload_sha256": sha256_hex(data), "payload_bytes": len(data),
                      "tensor_formats": dict(sorted(formats.items())), "keep": list(MIXED_KEEP) if compressor == "mixed" else [],
                      "vs_float_golden": {"golden": "vectors/render/render-shapes-ddim", **measured(float_rgb, rgb)}},
        "platform": {"device": "cpu", "gpu": None, "torch": torch.__version__, "diffusers": diffusers.__version__,
                     "transformers": transformers.__version__, "num_threads": 1},
        "how": "aigif quantize aigif-shapes --compressor " + compressor
               + "".join(f" --keep {k}" for k in (MIXED_KEEP if compressor == "mixed" else ()))
               + "; bare StableDiffusionPipeline from the model folder, UNet weights replaced by the payload dequantized to float32 "
                 "(aigif_ref.quant.loader.apply), DDIMScheduler.from_config, torch.Generator('cpu').manual_seed(seed), "
                 "output_type='np'; expected.png = round(x * 255)",
        "generator": "vectors/generate_quantized_render.py",
        "files": {name: hashlib.sha256(content).hexdigest() for name, content in sorted(files.items())},
    }
    (folder / "test.json").write_text(json.dumps(test, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return problems


def write_manifest(dest: Path) -> list[str]:
    ids = sorted(p.name for p in dest.iterdir() if (p / "test.json").is_file())
    manifest = {"suite": SUITE, "version": SUITE_VERSION, "spec_version": SPEC_VERSION, "cases": []}
    for case_id in ids:
        test = json.loads((dest / case_id / "test.json").read_text(encoding="utf-8"))
        manifest["cases"].append({"id": case_id, "requires": "cpu", "sha256": test["files"]["input.aigif"], "files": test["files"]})
    (dest / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return ids


def run_variant(folder: Path, threads: int) -> None:
    import torch
    torch.set_num_threads(threads)
    for path in sorted(folder.glob("*.safetensors")):
        np.save(path.with_suffix(".npy"), rgb8(bare_render(path.read_bytes())))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="regenerate into a temporary folder and compare pixels")
    parser.add_argument("--variant", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.variant:
        run_variant(args.variant, args.threads)
        return 0
    import torch

    from aigif_ref.regen.platform import current_cpu_capability
    if current_cpu_capability(torch) != CPU_KERNELS:
        env = " ".join(f"{k}={v}" for k, v in GOLDEN_CPU_ENV.items())
        print(f"error: run with the CPU kernels held to {CPU_KERNELS}: {env} python3 {' '.join(sys.argv)}", file=sys.stderr)
        return 2
    payloads = {c: payload_of(c) for c in COMPRESSORS}
    problems: list[str] = []
    if args.check:  # the goldens' pixels, re-rendered here; the tolerance measurement is the generator's job
        torch.set_num_threads(1)
        for c, data in payloads.items():
            case = SET / f"render-shapes-ddim-{c.replace('_', '-')}"
            from PIL import Image
            with Image.open(case / "expected.png") as image:
                golden = np.asarray(image.convert("RGB"))
            if sha256_hex(data) != json.loads((case / "test.json").read_text())["quantized"]["payload_sha256"]:
                problems.append(f"{c}: the quantizer now writes another payload")
            elif not np.array_equal(rgb8(bare_render(data)), golden):
                problems.append(f"{c}: the bare render differs from the committed expected.png")
            print(f"{case.name}: checked", flush=True)
    else:
        variants = {"two_threads": variant_renders(payloads, 2, GOLDEN_CPU_ENV), "default_kernels": variant_renders(payloads, 1, {})}
        for c, data in payloads.items():
            problems += write_case(SET, c, data, variants, lambda: torch.set_num_threads(1))
            print(f"{c}: written", flush=True)
        LEVEL.write_text("".join(f"{i}\n" for i in write_manifest(SET)), encoding="utf-8")
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
