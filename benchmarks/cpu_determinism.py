"""What changes CPU render results: re-render the CPU render goldens under each CPU setting.

    python -m benchmarks.cpu_determinism [--out FILE.json]

For each setting -- the instruction set each kernel library may use (torch's own kernels:
ATEN_CPU_CAPABILITY; oneDNN: ONEDNN_MAX_CPU_ISA; MKL: MKL_ENABLE_INSTRUCTIONS; all read at start-up,
so every setting runs in its own process), the thread count, and oneDNN (torch.backends.mkldnn) on or
off -- every CPU golden in vectors/render/ is rendered with the bare diffusers call that made it
(vectors/generate_render.py) and compared with its committed expected.npy: the largest float error,
the largest RGB8 error (in 1/255) and the RGB8 PSNR. The result is JSON (one row per setting and
case) with the machine it ran on; the summary table says which settings change pixels.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RENDER = ROOT / "vectors" / "render"


def cpu_flags() -> list[str]:
    """The vector-instruction flags of this CPU (from /proc/cpuinfo; empty where there is none)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return []
    for line in text.splitlines():
        if line.startswith("flags"):
            return sorted(f for f in line.split(":", 1)[1].split() if f.startswith(("avx", "fma", "amx", "sse4")))
    return []


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# name -> (environment, threads, oneDNN on). "native": every library picks the best this CPU has.
AVX2_ALL = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"}
SETTINGS: dict[str, tuple[dict[str, str], int, bool]] = {
    "native, 1 thread": ({}, 1, True),
    "native, 2 threads": ({}, 2, True),
    "native, 1 thread, oneDNN off": ({}, 1, False),
    "torch kernels AVX2 only": ({"ATEN_CPU_CAPABILITY": "avx2"}, 1, True),
    "torch kernels unvectorized (DEFAULT) only": ({"ATEN_CPU_CAPABILITY": "default"}, 1, True),
    "oneDNN AVX2 only": ({"ONEDNN_MAX_CPU_ISA": "AVX2"}, 1, True),
    "MKL AVX2 only": ({"MKL_ENABLE_INSTRUCTIONS": "AVX2"}, 1, True),
    "all AVX2, 1 thread": (AVX2_ALL, 1, True),
    "all AVX2, 2 threads": (AVX2_ALL, 2, True),
    "all AVX2, 1 thread, oneDNN off": (AVX2_ALL, 1, False),
    "all AVX2, 1 thread, repeat": (AVX2_ALL, 1, True),
}
ISA_VARIABLES = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS")


def psnr(a, b) -> float | None:
    import numpy as np

    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return None if mse == 0 else round(10 * np.log10(255.0 ** 2 / mse), 2)


def worker(threads: int, mkldnn: bool) -> list[dict[str, Any]]:
    """Runs inside the child process (capability already chosen through the environment)."""
    import numpy as np
    import torch

    sys.path.insert(0, str(ROOT))
    from aigif_ref.regen.render import to_rgb8
    from vectors.generate_render import bare_render, cases

    torch.set_num_threads(threads)
    torch.backends.mkldnn.enabled = mkldnn
    rows = []
    for case in cases():
        expected = np.load(RENDER / case.id / "expected.npy")
        got = bare_render(case, "cpu", torch.float32)
        rgb, golden = to_rgb8(got), to_rgb8(expected)
        rows.append({"case": case.id, "max_float_error": float(np.abs(got - expected).max()),
                     "max_rgb8_error": int(np.abs(rgb.astype(int) - golden.astype(int)).max()),
                     "psnr_db": psnr(rgb, golden), "cpu_capability": torch.backends.cpu.get_cpu_capability()})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="write the JSON here (default: print it)")
    parser.add_argument("--worker", nargs=2, metavar=("THREADS", "MKLDNN"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(int(args.worker[0]), args.worker[1] == "1")))
        return 0
    import diffusers
    import torch
    import transformers

    settings = []
    for name, (isa, threads, mkldnn) in SETTINGS.items():
        env = {k: v for k, v in os.environ.items() if k not in ISA_VARIABLES}
        env.update(isa)
        done = subprocess.run([sys.executable, "-m", "benchmarks.cpu_determinism", "--worker", str(threads), str(int(mkldnn))],
                              cwd=ROOT, env=env, capture_output=True, text=True, check=True)
        rows = json.loads(done.stdout.splitlines()[-1])
        settings.append({"setting": name, "environment": isa, "num_threads": threads, "mkldnn": mkldnn, "results": rows})
        worst = max(r["max_rgb8_error"] for r in rows)
        lowest = min((r["psnr_db"] for r in rows if r["psnr_db"] is not None), default=None)
        print(f"{name:42} (torch reports {rows[0]['cpu_capability']}): "
              f"cases off {sum(r['max_rgb8_error'] > 0 for r in rows)}/{len(rows)}, max rgb8 error {worst}, "
              f"max float error {max(r['max_float_error'] for r in rows):.2e}, lowest PSNR {lowest}", file=sys.stderr, flush=True)
    document = {
        "what": "CPU render goldens (vectors/render/, float32) re-rendered with bare diffusers under each CPU setting",
        "date": datetime.date.today().isoformat(),
        "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "cpu_flags": cpu_flags(),
                    "default_cpu_capability": torch.backends.cpu.get_cpu_capability()},
        "libraries": {"torch": torch.__version__, "diffusers": diffusers.__version__, "transformers": transformers.__version__},
        "settings": settings,
    }
    text = json.dumps(document, indent=2) + "\n"
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
