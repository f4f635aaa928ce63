"""Throughput of `aigif render` over many files: one GPU plain, one GPU with Ray, every GPU with Ray.

200 files (512x512, 25 steps, fp16, DDIM, guidance 7.5, distinct seeds and prompts) naming one
SD 1.5-architecture model with random weights (benchmarks/architectures.py: the real configs, so the cost
equals the real model's; saved as safetensors and pinned in a temporary registry, so every run goes through
the model store as for a real model). Each mode is one `aigif render DIR -o OUT/` process, timed end to end
(start-up, imports, hashing and loading the weights, Ray's start included); the steady rate is
(files - 1) / (last output's mtime - first output's mtime), which leaves start-up out. Outputs are compared
byte for byte with the plain renderer's. Targets (issue 14): every GPU >= 1.9x one GPU (two GPUs), and Ray on
one GPU within 5% of the plain renderer.

Where the time goes, per mode, from the renderer's own per-file line (both modes print it): the pipeline
call, the whole file (reading, forecast, call, PNG, writing), and what the steady period per file leaves
outside the file (scheduling, Ray's hand-over between batches). That tells a slower pipeline call (the
process or GPU) from per-file work or idle time between files.

`--together plain,ray1` runs those modes at the same time, each on its own GPU (the i-th mode sees only GPU i),
so that one machine lease measures all three modes inside one 10-minute call; their pipeline-call medians show
whether the two GPUs ran alike. `--budget S` ends every mode by S seconds after the start (a slow mode cannot
take the others' time); `--limit` caps each mode.

    python -m benchmarks.bench_ray [--files 200] [--modes plain,ray1,ray2] [--together plain,ray1] [--json OUT]
    python -m benchmarks.bench_ray --quick   # the script's own check: 6 tiny-model files on CPU
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import statistics
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


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def per_file_times(stdout: str) -> dict[str, Any]:
    """The renderer's per-file lines ("... on cuda in 0.480 s (+2.1 s loading); wrote X.png; 0.512 s for the file"):
    the pipeline call and the whole file, files that loaded a pipeline left out (their load is start-up)."""
    calls, files = [], []
    for line in stdout.splitlines():
        match = re.search(r" rendered with model .* on \S+ in ([0-9.]+) s(.*); ([0-9.]+) s for the file$", line)
        if match and "s loading)" not in match.group(2):
            calls.append(float(match.group(1)))
            files.append(float(match.group(3)))
    outside = [total - call for call, total in zip(calls, files)]
    return {"files_timed": len(files), "pipeline_call_median_s": median(calls),
            "pipeline_call_mean_s": statistics.fmean(calls) if calls else None,
            "file_median_s": median(files), "file_mean_s": statistics.fmean(files) if files else None,
            "file_outside_call_median_s": median(outside)}


class Mode:
    """One `aigif render` process of a mode, started now, judged when it ends."""

    def __init__(self, mode: str, inputs: Path, out: Path, env: dict[str, str], device: str, limit: float) -> None:
        self.mode, self.out, self.limit = mode, out, limit
        self.command = [sys.executable, "-m", "aigif_ref", "render", str(inputs), "-o", f"{out}/", "--device", device,
                        *MODES[mode]]
        self.gpus = env.get("CUDA_VISIBLE_DEVICES")
        self.log = out.parent / f"{mode}.log"
        self.log_file = self.log.open("w+", encoding="utf-8")
        self.start = time.perf_counter()
        self.process = subprocess.Popen(self.command, env=env, stdout=self.log_file, stderr=subprocess.STDOUT, text=True)

    def finish(self) -> dict[str, Any]:
        left = max(1.0, self.limit - (time.perf_counter() - self.start))
        try:
            rc: int | str = self.process.wait(timeout=left)
        except subprocess.TimeoutExpired:
            self.process.terminate()  # SIGTERM: aigif (and Ray with it) stops, writing no half file
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            rc = "timeout"
        wall = time.perf_counter() - self.start
        self.log_file.seek(0)
        output = self.log_file.read()
        self.log_file.close()
        pngs = sorted(self.out.glob("*.png"))
        times = sorted(p.stat().st_mtime_ns / 1e9 for p in pngs)
        steady = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 2 and times[-1] > times[0] else None
        result = {"mode": self.mode, "command": " ".join(self.command[2:]), "cuda_visible_devices": self.gpus,
                  "limit_s": self.limit, "rc": rc, "files_written": len(pngs), "wall_s": wall,
                  "images_per_s": len(pngs) / wall, "steady_images_per_s": steady, **per_file_times(output),
                  "digests": {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in pngs},
                  "output_tail": output[-3000:]}
        if steady and result["file_mean_s"]:
            # Per file, the steady period less the file's own mean time: what happens between files (per worker).
            workers = 2 if self.mode == "ray2" else 1
            result["between_files_s"] = workers / steady - result["file_mean_s"]
        return result


def report(result: dict[str, Any], files: int) -> None:
    print(f"{result['mode']:6} rc={result['rc']} {result['files_written']}/{files} files in {result['wall_s']:.1f} s: "
          f"{result['images_per_s']:.3f} images/s end to end, steady {result['steady_images_per_s'] or 0:.3f} images/s",
          flush=True)
    print(f"       per file (median): pipeline call {result['pipeline_call_median_s']} s, whole file "
          f"{result['file_median_s']} s; between files {result.get('between_files_s')} s", flush=True)
    if result["rc"] != 0:
        print(result["output_tail"][-1500:], flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--modes", default="plain,ray1,ray2")
    parser.add_argument("--together", default="",
                        help="modes run at the same time first, the i-th on GPU i only (e.g. plain,ray1); the rest after")
    parser.add_argument("--limit", type=float, default=400, help="seconds one mode may take")
    parser.add_argument("--budget", type=float, help="seconds the whole benchmark may take (each mode ends by then)")
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
    deadline = time.perf_counter() + args.budget if args.budget else None
    together = [m for m in args.together.split(",") if m]
    phases = [together] + [[m] for m in args.modes.split(",") if m not in together]
    results["together"] = together
    for phase in filter(None, phases):
        limit = args.limit if deadline is None else min(args.limit, deadline - time.perf_counter())
        if limit < 30:
            print(f"skipped {','.join(phase)}: {limit:.0f} s of the budget left", flush=True)
            continue
        running = []
        for i, mode in enumerate(phase):
            mode_env = dict(env)
            if len(phase) > 1 and device == "cuda":
                mode_env["CUDA_VISIBLE_DEVICES"] = str(i)
            running.append(Mode(mode, inputs, work / f"out-{mode}", mode_env, device, limit))
        for mode in running:
            result = mode.finish()
            result["ran_with"] = [m for m in phase if m != result["mode"]]
            results["modes"].append(result)
            report(result, files)
        if args.json:  # after each phase: a run cut short keeps what it measured
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
    if by_mode.get("plain") and by_mode.get("ray1") and by_mode["plain"]["pipeline_call_median_s"]:
        summary["ray1_vs_plain_pipeline_call"] = (by_mode["ray1"]["pipeline_call_median_s"] or 0) / \
            by_mode["plain"]["pipeline_call_median_s"]
        results["ray1_vs_plain_pipeline_call"] = summary["ray1_vs_plain_pipeline_call"]
    print(json.dumps(summary, indent=1))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
