"""GPU time to pixels: `aigif render` (the Renderer) against a bare diffusers call, in one run.

SD 1.5- and SDXL-architecture pipelines with random weights (benchmarks/architectures.py: the
cost equals the real models'), fp16, DDIM, guidance 7.5, saved as safetensors and entered in a
temporary registry with their sha256s, so the renderer goes through the model store as for a
real model. For each configuration both paths run with the pipeline already loaded, alternating,
after a warm-up each; the figure is the median seconds per image and the overhead is
median(render) / median(bare) - 1 (target: at most 3 %). The renderer's time includes decoding
the file, the record checks, scheduler setup, the platform check and the uint8 conversion.

Throughput: 64 files sharing the SD 1.5 model rendered by one `aigif render` process against
one process per file (--per-process-files of them, timed end to end).

    python -m benchmarks.bench_render [--quick] [--json OUT] [--skip-throughput]
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aigif_ref.api import encode
from aigif_ref.registry import DEFAULT_REGISTRY, REPO_ROOT

CONFIGS = [(512, 25), (512, 50), (1024, 50)]  # (size, steps)
MODEL_IDS = {"sd15": 500, "sdxl": 501}
PROMPT = "a photograph of an astronaut riding a horse on the moon, highly detailed"
NEGATIVE = "blurry, low quality"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 24):
            digest.update(block)
    return digest.hexdigest()


def prepare(root: Path, names: list[str]) -> Path:
    """Random-weight pipelines saved under root, and a registry that pins them; returns its path."""
    import torch

    from benchmarks.architectures import ARCHITECTURES, build_pipeline, save

    registry = json.loads(Path(DEFAULT_REGISTRY).read_text(encoding="utf-8"))
    for name in names:
        folder = root / f"bench-{name}"
        start = time.perf_counter()
        pipe = build_pipeline(name, torch.float16)
        save(pipe, folder)
        del pipe
        torch.cuda.empty_cache()
        files = {p.relative_to(folder).as_posix(): sha256_file(p) for p in sorted(folder.rglob("*")) if p.is_file()}
        registry["models"].append({"id": MODEL_IDS[name], "name": f"bench-{name}", "family": ARCHITECTURES[name]["family"],
                                   "status": "test", "source": {"hf_repo": None, "revision": None}, "files": files})
        print(f"built and saved {name} ({sum((folder / f).stat().st_size for f in files) / 1e9:.2f} GB) "
              f"in {time.perf_counter() - start:.1f} s", flush=True)
    path = root / "registry.json"
    path.write_text(json.dumps(registry), encoding="utf-8")
    return path


def record(name: str, size: int, steps: int, seed: int = 1) -> dict[str, Any]:
    from aigif_ref.regen.platform import current_platform
    from aigif_ref.registry import default_registry

    info = current_platform("cuda", default_registry(), "cpu")
    return {"model_id": MODEL_IDS[name], "dtype": "float16", "scheduler": "DDIM", "steps": steps, "guidance_scale": 7.5,
            "seed": seed, "height": size, "width": size, "prompt": PROMPT, "negative_prompt": NEGATIVE,
            "device": info.device, "gpu": info.gpu, "cuda": info.cuda, "platform": info.platform}


def time_pair(name: str, models: Path, size: int, steps: int, repeats: int) -> dict[str, Any]:
    import diffusers
    import torch

    from aigif_ref.api import decode
    from aigif_ref.regen.render import Renderer

    renderer = Renderer("cuda", models_dir=models)
    data = encode(record(name, size, steps))
    renderer.render(decode(data))  # loads through the model store (sha256 checked), warms up
    pipe = renderer.cache.get(decode(data), "cuda")[0].pipe
    bare = type(pipe).from_pretrained(models / f"bench-{name}", use_safetensors=True, local_files_only=True,
                                      dtype=torch.float16).to("cuda")
    bare.scheduler = diffusers.DDIMScheduler.from_config(bare.scheduler.config)
    bare.set_progress_bar_config(disable=True)

    def bare_call() -> None:
        images = bare(prompt=PROMPT, negative_prompt=NEGATIVE, height=size, width=size, num_inference_steps=steps,
                      guidance_scale=7.5, generator=torch.Generator("cpu").manual_seed(1), output_type="np").images
        (images[0] * 255).round().astype("uint8")

    def aigif_call() -> None:
        renderer.render(decode(data))

    bare_call()
    times: dict[str, list[float]] = {"bare": [], "aigif": []}
    for _ in range(repeats):
        for label, call in (("bare", bare_call), ("aigif", aigif_call)):
            torch.cuda.synchronize()
            start = time.perf_counter()
            call()
            torch.cuda.synchronize()
            times[label].append(time.perf_counter() - start)
    del bare, renderer
    torch.cuda.empty_cache()
    bare_s, aigif_s = statistics.median(times["bare"]), statistics.median(times["aigif"])
    return {"model": name, "size": size, "steps": steps, "bare_s": bare_s, "aigif_s": aigif_s,
            "overhead": aigif_s / bare_s - 1, "runs": times}


def throughput(models: Path, registry: Path, files: int, per_process_files: int, size: int, steps: int) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="aigif-tp-"))
    paths = []
    for i in range(files):
        path = folder / f"f{i:02d}.aigif"
        path.write_bytes(encode(dict(record("sd15", size, steps, seed=1000 + i), prompt=f"{PROMPT}, variant {i}")))
        paths.append(str(path))
    env = dict(os.environ, AIGIF_REGISTRY=str(registry), AIGIF_MODELS=str(models))
    command = [sys.executable, "-m", "aigif_ref", "render", "--device", "cuda"]
    start = time.perf_counter()
    subprocess.run([*command, *paths, "-o", str(folder / "out")], env=env, check=True, capture_output=True)
    one_process = time.perf_counter() - start
    start = time.perf_counter()
    for i, path in enumerate(paths[:per_process_files]):
        subprocess.run([*command, path, "-o", str(folder / f"p{i}.png")], env=env, check=True, capture_output=True)
    per_process = (time.perf_counter() - start) / per_process_files
    return {"files": files, "size": size, "steps": steps, "one_process_s": one_process,
            "one_process_per_file_s": one_process / files, "per_process_files_timed": per_process_files,
            "per_process_per_file_s": per_process, "speedup": per_process / (one_process / files)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="SD 1.5 at 512x512, 25 steps only, 2 repeats")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", type=Path, help="where to build the random-weight models (default: a temp dir)")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--per-process-files", type=int, default=16)
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args(argv)
    import torch

    if not torch.cuda.is_available():
        print("error: this benchmark needs a CUDA GPU", file=sys.stderr)
        return 2
    names = ["sd15"] if args.quick else ["sd15", "sdxl"]
    configs = CONFIGS[:1] if args.quick else CONFIGS
    models = args.models or Path(tempfile.mkdtemp(prefix="aigif-bench-"))
    registry = prepare(models, names)
    os.environ["AIGIF_REGISTRY"] = str(registry)

    results: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "gpu": torch.cuda.get_device_name(), "torch": torch.__version__,
        "diffusers": __import__("diffusers").__version__, "pairs": [],
    }
    print(f"{results['gpu']}, torch {results['torch']}, diffusers {results['diffusers']}, fp16, DDIM, guidance 7.5")
    print(f"{'model':6} {'size':>9} {'steps':>5} {'bare s':>8} {'aigif s':>8} {'overhead':>9}")
    for name in names:
        for size, steps in configs:
            pair = time_pair(name, models, size, steps, 2 if args.quick else args.repeats)
            results["pairs"].append(pair)
            print(f"{name:6} {size:>4}x{size:<4} {steps:>5} {pair['bare_s']:8.3f} {pair['aigif_s']:8.3f} "
                  f"{pair['overhead'] * 100:+8.2f}%", flush=True)
    if not args.skip_throughput:
        tp = throughput(models, registry, 8 if args.quick else 64, 2 if args.quick else args.per_process_files, 512, 25)
        results["throughput"] = tp
        print(f"throughput, SD 1.5 512x512 25 steps: one process {tp['one_process_per_file_s']:.2f} s/file "
              f"({tp['files']} files), one process per file {tp['per_process_per_file_s']:.2f} s/file "
              f"({tp['per_process_files_timed']} files timed): {tp['speedup']:.1f}x")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
