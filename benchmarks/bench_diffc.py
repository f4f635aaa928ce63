"""DiffC rate-distortion on aigif-shapes' own images, against JPEG and WebP in the same run.

Each image (drawn by the model's language, vectors/models/shapes_language.py, with seeds the vectors do
not use) is encoded once through every step of the model's DiffC profile; each prefix of k steps is a
payload (the index stream is prefix-decodable), denoised from the encoder's noisy latent (which equals
the decoder's: tests/test_diffc_codec.py) and compared with the image. Bits are the payload's (the
whole .aigif file adds a fixed record of about 23 bytes: reported too). Baselines: Pillow JPEG (quality
sweep, 4:2:0) and WebP (quality sweep) of the same images; at each DiffC point the table gives the
baselines' PSNR interpolated at the same bpp. The ideal is the sum of the steps' KL (perfect RCC).

    python -m benchmarks.bench_diffc [--images 3] [--json OUT.json] [--plot OUT.png]
    python -m benchmarks.bench_diffc --schedule [--images 8]   # the profile's timesteps (Algorithm 3)
"""
from __future__ import annotations

import argparse
import io
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.shapes_common import language, machine  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SEED_BASE = 8_200_000  # images: not the vectors' (20261129) nor the evaluation's seeds
PREFIXES = (6, 9, 11, 12, 13, 14)
JPEG_QUALITIES = (1, 3, 5, 8, 12, 20, 30, 50, 75, 90)
WEBP_QUALITIES = (0, 5, 10, 20, 35, 50, 70, 90)
SCHEDULE_KL_BITS_PER_CHUNK = 14  # what the aigif-shapes-v1 schedule was computed with (8 images)


def images(count: int) -> np.ndarray:
    import torch

    batch = language().draw(count, 64, torch.Generator().manual_seed(SEED_BASE))
    return (batch.images.permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * math.log10(255 * 255 / mse) if mse else float("inf")


def baseline(image: np.ndarray, fmt: str, quality: int) -> tuple[float, float]:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image, "RGB").save(buffer, format=fmt, quality=quality)
    with Image.open(io.BytesIO(buffer.getvalue())) as decoded:
        out = np.asarray(decoded.convert("RGB"))
    return len(buffer.getvalue()) * 8 / (image.shape[0] * image.shape[1]), psnr(out, image)


def interpolate(points: list[tuple[float, float]], bpp: float) -> float | None:
    """PSNR of a baseline's (bpp, psnr) curve at bpp (linear in log bpp); None outside its range."""
    points = sorted(points)
    for (b0, p0), (b1, p1) in zip(points, points[1:]):
        if b0 <= bpp <= b1:
            w = 0.0 if b1 == b0 else (math.log(bpp) - math.log(b0)) / (math.log(b1) - math.log(b0))
            return p0 + w * (p1 - p0)
    return None


def run(count: int, threads: int) -> dict:
    import torch

    from aigif_ref.diffc import codec
    from aigif_ref.diffc.model import load_model
    from aigif_ref.diffc.payload import DiffcPayload, build_payload
    from aigif_ref.diffc.profile import profile_for_model

    torch.set_num_threads(threads)
    model = load_model(492, "cpu")
    profile = profile_for_model(492)
    rows, encode_seconds, baselines = [], [], {"JPEG": [], "WebP": []}
    for number, image in enumerate(images(count)):
        start = time.perf_counter()  # the whole encoder: VAE, every step's model call and candidate search
        model.set_prompt(profile.prompt)
        target = model.encode_image(image)
        steps = codec.encode_latent(model, target, number, profile, len(profile.timesteps))
        encode_seconds.append(time.perf_counter() - start)
        vae = psnr(np.clip(np.round(model.decode_latent(target) * 255), 0, 255).astype(np.uint8), image)
        for k in PREFIXES:
            payload = build_payload(DiffcPayload(profile.code, tuple(tuple(s) for s in steps.indices[:k])))
            start = time.perf_counter()
            latent = codec.denoise(model, steps.latents[k - 1], profile.timesteps[k - 1], profile)
            rgb = np.clip(np.round(model.decode_latent(latent) * 255), 0, 255).astype(np.uint8)
            rows.append({"image": number, "steps": k, "timestep": profile.timesteps[k - 1], "payload_bytes": len(payload),
                         "bpp": len(payload) * 8 / 4096, "ideal_bits": sum(steps.kl_bits[:k]),
                         "chunks": sum(len(s) for s in steps.indices[:k]), "psnr": psnr(rgb, image), "vae_psnr": vae,
                         "denoise_seconds": time.perf_counter() - start})
        for fmt, qualities in (("JPEG", JPEG_QUALITIES), ("WebP", WEBP_QUALITIES)):
            baselines[fmt].append([baseline(image, fmt, q) for q in qualities])
    summary = []
    for k in PREFIXES:
        sel = [r for r in rows if r["steps"] == k]
        bpp = float(np.mean([r["bpp"] for r in sel]))
        entry = {"steps": k, "timestep": sel[0]["timestep"], "payload_bytes": float(np.mean([r["payload_bytes"] for r in sel])),
                 "bpp": bpp, "psnr": float(np.mean([r["psnr"] for r in sel])),
                 "ideal_bpp": float(np.mean([r["ideal_bits"] for r in sel])) / 4096,
                 "overhead": float(np.mean([r["payload_bytes"] * 8 / r["ideal_bits"] - 1 for r in sel]))}
        for fmt, curves in baselines.items():
            values = [interpolate(c, r["bpp"]) for c, r in zip(curves, sel)]
            entry[f"{fmt}_psnr_at_bpp"] = None if None in values else float(np.mean(values))
        summary.append(entry)
    return {"machine": machine("cpu"), "date": time.strftime("%Y-%m-%d"), "threads": threads, "images": count,
            "image_size": "64x64", "model": "aigif-shapes (492), profile aigif-shapes-v1", "rows": rows,
            "summary": summary, "vae_psnr_mean": float(np.mean([r["vae_psnr"] for r in rows])),
            "encode_seconds_mean": float(np.mean(encode_seconds)),
            "baselines": {fmt: [[list(p) for p in c] for c in curves] for fmt, curves in baselines.items()}}


def plot(results: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    s = results["summary"]
    ax.plot([e["bpp"] for e in s], [e["psnr"] for e in s], "o-", label="DiffC (payload)")
    ax.plot([e["ideal_bpp"] for e in s], [e["psnr"] for e in s], ":", color="grey", label="DiffC, ideal RCC (sum of KL)")
    for fmt, marker in (("JPEG", "s--"), ("WebP", "^--")):
        curves = results["baselines"][fmt]
        mean = np.mean(np.array(curves), axis=0)  # per quality: mean bpp, mean PSNR
        ax.plot(mean[:, 0], mean[:, 1], marker, label=f"{fmt} (Pillow)")
    ax.axhline(results["vae_psnr_mean"], color="black", linewidth=0.8, label="VAE round trip")
    ax.set_xscale("log")
    ax.set_xlabel("bits per pixel")
    ax.set_ylabel("PSNR (dB)")
    ax.set_title(f"aigif-shapes 64x64, {results['images']} images, in-domain ({results['date']})", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out)


def schedule(count: int, threads: int) -> list[int]:
    """The paper's Algorithm 3: shortest path over a 20-step timestep grid of the mean PFR chunk cost."""
    import torch

    from aigif_ref.diffc.codec import posterior, predict_x0
    from aigif_ref.diffc.model import load_model

    torch.set_num_threads(threads)
    model = load_model(492, "cpu")
    grid = list(range(999, 0, -20)) + [0]
    rng = np.random.default_rng(0)
    kl = np.zeros((count, len(grid), len(grid)))
    for x, image in enumerate(images(count)):
        x0 = model.encode_image(image)
        for i, t in enumerate(grid[:-1]):
            a = model.alpha_bar[t]
            xt = (math.sqrt(a) * x0 + math.sqrt(1 - a) * rng.standard_normal(x0.shape)).astype(np.float32)
            x0_pred, _ = predict_x0(model, xt, t)
            for j in range(i + 1, len(grid)):
                c0, _, var = posterior(model.alpha_bar, t, grid[j])
                kl[x, i, j] = float(np.sum((c0 * (x0 - x0_pred)) ** 2) / (2 * var) / math.log(2))

    def cost(bits):
        n = np.maximum(1, np.ceil(bits / SCHEDULE_KL_BITS_PER_CHUNK))
        per = bits / n
        return n * (per + np.log2(per + 1) + 1)

    c = cost(kl).mean(0)
    best, prev = np.full(len(grid), np.inf), [-1] * len(grid)
    best[0] = 0
    for j in range(1, len(grid)):
        for i in range(j):
            if best[i] + c[i, j] < best[j]:
                best[j], prev[j] = best[i] + c[i, j], i
    path, j = [], grid.index(19)
    while j != -1:
        path.append(grid[j])
        j = prev[j]
    return path[::-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks/results/diffc-shapes-cpu.json")
    parser.add_argument("--plot", type=Path, default=ROOT / "spec/img/diffc-rd-shapes.png")
    parser.add_argument("--schedule", action="store_true", help="print the Algorithm 3 timestep schedule instead")
    parser.add_argument("--replot", action="store_true", help="redraw the plot and table from --json, running nothing")
    args = parser.parse_args()
    if args.schedule:
        print(schedule(args.images, args.threads))
        return 0
    if args.replot:
        results = json.loads(args.json.read_text(encoding="utf-8"))
    else:
        results = run(args.images, args.threads)
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    plot(results, args.plot)
    print(f"{'steps':>5} {'t':>4} {'bytes':>6} {'bpp':>7} {'PSNR':>6} {'ideal bpp':>9} {'overhead':>8} {'JPEG@bpp':>8} {'WebP@bpp':>8}")
    for e in results["summary"]:
        fmt = lambda v: "   n/a" if v is None else f"{v:6.2f}"  # noqa: E731
        print(f"{e['steps']:>5} {e['timestep']:>4} {e['payload_bytes']:>6.1f} {e['bpp']:>7.4f} {e['psnr']:>6.2f} "
              f"{e['ideal_bpp']:>9.4f} {e['overhead']:>8.1%} {fmt(e['JPEG_psnr_at_bpp']):>8} {fmt(e['WebP_psnr_at_bpp']):>8}")
    for fmt, curves in results["baselines"].items():  # 64x64: the formats' headers set a floor on their size
        mean = np.mean(np.array(curves), axis=0)
        print(f"{fmt}: smallest file {mean[0][0] * 4096 / 8:.0f} bytes = {mean[0][0]:.3f} bpp at {mean[0][1]:.2f} dB "
              f"(lowest quality); at most quality {mean[-1][0]:.3f} bpp, {mean[-1][1]:.2f} dB")
    print(f"VAE round trip {results['vae_psnr_mean']:.2f} dB; encode {results['encode_seconds_mean']:.1f} s per image "
          f"({results['machine']}, {results['threads']} threads)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
