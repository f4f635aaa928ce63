"""Throughput of `aigif render` over many files: one GPU plain, one GPU with Ray, every GPU with Ray.

200 files (512x512, 25 steps, fp16, DDIM, guidance 7.5, distinct seeds and prompts) naming one
SD 1.5-architecture model with random weights (benchmarks/architectures.py: the real configs, so the cost
equals the real model's; saved as safetensors and pinned in a temporary registry, so every run goes through
the model store as for a real model). Each mode is one `aigif render DIR -o OUT/` process, timed end to end
(start-up, imports, hashing and loading the weights, Ray's start included); the steady rate is
(files - 1) / (last output's mtime - first output's mtime), which leaves start-up out. Outputs are compared
byte for byte with the plain renderer's. Targets (issue 14): every GPU >= 1.9x one GPU (two GPUs), and Ray on
one GPU within 5% of the plain renderer.

    python -m benchmarks.bench_ray [--files 200] [--modes plain,ray1,ray2] [--json OUT]
    python -m benchmarks.bench_ray --quick   # the script's own check: 6 tiny-model files on CPU, 2 CPU workers
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from aigif_ref.api import encode

PROMPT = "a photograph of an astronaut riding a horse on the moon, highly detailed"
NEGATIVE = "blurry, low quality"
MODES = {"plain": [], "ray1": ["--ray", "--workers", "1"], "ray2": ["--ray", "--workers", "2"]}


def write_files(folder: Path, count: int, base: dict[str, Any]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"f{i:04d}.aigif"
        path.write_bytes(encode(dict(base, seed=1000 + i, prompt=f"{base['prompt']}, variant {i}")))
        paths.append(path)
    return paths


def run_mode(mode: str, inputs: Path, out: Path, env: dict[str, str], device: str, limit: float) -> dict[str, Any]:
    command = [sys.executable, "-m", "aigif_ref", "render", str(inputs), "-o", f"{out}/", "--device", device, *MODES[mode]]
    start = time.perf_counter()
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=limit)
        rc, stdout, stderr = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired as exc:
        rc, stdout, stderr = "timeout", str(exc.stdout or ""), str(exc.stderr or "")
    wall = time.perf_counter() - start
    pngs = sorted(out.glob("*.png"))
    times = sorted(p.stat().st_mtime_ns / 1e9 for p in pngs)
    steady = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 2 and times[-1] > times[0] else None
    # The renderer's own per-file line: "rendered with model ... on cuda in 0.48 s": the pipeline call alone.
    calls = sorted(float(s) for s in re.findall(r"rendered with model .* on \S+ in ([0-9.]+) s", stdout))
    return {"mode": mode, "command": " ".join(command[2:]), "rc": rc, "files_written": len(pngs), "wall_s": wall,
            "images_per_s": len(pngs) / wall, "steady_images_per_s": steady,
            "pipeline_call_median_s": calls[len(calls) // 2] if calls else None,
            "digests": {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in pngs},
            "stdout_tail": stdout[-1500:], "stderr_tail": stderr[-3000:]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--modes", default="plain,ray1,ray2")
    parser.add_argument("--limit", type=float, default=400, help="seconds one mode may take")
    parser.add_argument("--quick", action="store_true", help="check the script on CPU with a tiny model")
    parser.add_argument("--work", type=Path, help="working folder (default: a temporary one)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="aigif-bench-ray-"))
    env = dict(os.environ)
    results: dict[str, Any] = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                               "machine": platform.node(), "cpus": os.cpu_count(), "python": platform.python_version()}
    if args.quick:
        device, files = "cpu", min(args.files, 6)
        base = {"model_id": 490, "dtype": "float32", "scheduler": "DDIM", "steps": 3, "guidance_scale": 7.5,
                "height": 64, "width": 64, "prompt": "a red cat", "device": "CPU"}
    else:
        import torch

        from benchmarks.bench_render import prepare, record

        if not torch.cuda.is_available():
            print("error: this benchmark needs CUDA GPUs (--quick checks the script on CPU)", file=sys.stderr)
            return 2
        device, files = "cuda", args.files
        start = time.perf_counter()
        registry = prepare(work / "models", ["sd15"])
        results["build_s"] = time.perf_counter() - start
        env.update(AIGIF_REGISTRY=str(registry), AIGIF_MODELS=str(work / "models"))
        os.environ["AIGIF_REGISTRY"] = str(registry)
        base = dict(record("sd15", args.size, args.steps), prompt=PROMPT, negative_prompt=NEGATIVE)
        results["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        results["torch"] = torch.__version__
        results["diffusers"] = __import__("diffusers").__version__
    try:
        import ray

        results["ray"] = ray.__version__
    except ImportError:
        results["ray"] = None
    results.update(files=files, size=base["height"], steps=base["steps"], dtype=base["dtype"], device=device, modes=[])
    inputs = work / "in"
    write_files(inputs, files, base)
    for mode in args.modes.split(","):
        result = run_mode(mode, inputs, work / f"out-{mode}", env, device, args.limit)
        results["modes"].append(result)
        print(f"{mode:6} rc={result['rc']} {result['files_written']}/{files} files in {result['wall_s']:.1f} s: "
              f"{result['images_per_s']:.3f} images/s end to end, steady {result['steady_images_per_s'] or 0:.3f} images/s",
              flush=True)
        print(f"       pipeline call median {result['pipeline_call_median_s']} s per file", flush=True)
        if result["rc"] != 0:
            print(result["stderr_tail"][-1500:], flush=True)
        if args.json:  # after each mode: a run cut short keeps what it measured
            args.json.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    by_mode = {m["mode"]: m for m in results["modes"]}
    plain = by_mode.get("plain")
    for mode in by_mode.values():
        if plain and mode is not plain:
            mode["identical_to_plain"] = sum(plain["digests"].get(k) == v for k, v in mode["digests"].items())
            for rate in ("images_per_s", "steady_images_per_s"):
                if mode[rate] and plain[rate]:
                    mode[f"{rate}_vs_plain"] = mode[rate] / plain[rate]
    if "ray1" in by_mode and "ray2" in by_mode:
        for rate in ("images_per_s", "steady_images_per_s"):
            if by_mode["ray1"][rate] and by_mode["ray2"][rate]:
                results[f"ray2_vs_ray1_{rate}"] = by_mode["ray2"][rate] / by_mode["ray1"][rate]
            if plain and plain[rate] and by_mode["ray2"][rate]:
                results[f"ray2_vs_plain_{rate}"] = by_mode["ray2"][rate] / plain[rate]
    for mode in results["modes"]:
        mode["digests"] = len(mode["digests"])  # counted, not listed, in the saved figures
    summary = {k: v for k, v in results.items() if k != "modes"}
    summary["modes"] = [{k: v for k, v in m.items() if not k.endswith("_tail")} for m in results["modes"]]
    print(json.dumps(summary, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
