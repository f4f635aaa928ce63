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
PRIORS_SEED = 8_300_000  # the version-2 profile's stream tables are measured on other images (--priors)
SCHEDULE_KL_BITS_PER_CHUNK = 14  # what the aigif-shapes-v1 schedule was computed with (8 images)


def images(count: int, seed: int = SEED_BASE) -> tuple[np.ndarray, list[str]]:
    """RGB8 images of the shapes language and the prompts they were drawn from."""
    import torch

    from vectors.models.shapes_language import COLOURS, SHAPES, prompt

    batch = language().draw(count, 64, torch.Generator().manual_seed(seed))
    prompts = [prompt(COLOURS[int(f)], SHAPES[int(s)], COLOURS[int(b)])
               for f, s, b in zip(batch.foreground, batch.shape, batch.background)]
    return (batch.images.permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8), prompts


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


def ideal_bits_at(curve: list[tuple[float, float]], target_psnr: float) -> float | None:
    """Bits the ideal coder needs for ``target_psnr``: its (bits, PSNR) curve along the coded steps, log bits
    linear in PSNR between the first two points that bracket it; None above the curve's best PSNR."""
    for (b0, p0), (b1, p1) in zip(curve, curve[1:]):
        if p0 <= target_psnr <= p1 and p1 > p0:
            w = (target_psnr - p0) / (p1 - p0)
            return math.exp(math.log(b0) + w * (math.log(b1) - math.log(b0)))
    return None


def ideal_chain(model, target: np.ndarray, seed: int, profile, steps: int) -> tuple[list[float], list[np.ndarray]]:
    """Perfect reverse-channel coding: every step's sample drawn from q itself (NumPy's generator, not the
    payload's), its KL summed; the noisy latents to denoise. What the paper's "hypothetical" curve is."""
    from aigif_ref.diffc import codec

    rng = np.random.default_rng(seed)
    x = codec.initial_latent(seed, target.shape)
    t, bits, latents = profile.initial_timestep, [], []
    for t_next in profile.timesteps[:steps]:
        x0_pred, _ = codec.predict_x0(model, x, t)
        c0, c1, var = codec.posterior(model.alpha_bar, t, t_next)
        delta = c0 * (target - x0_pred) / math.sqrt(var)
        bits.append(float(np.sum(delta.astype(np.float64) ** 2) / 2 / math.log(2)))
        mu_q = c0 * target + c1 * x
        x = (mu_q + math.sqrt(var) * rng.standard_normal(target.shape)).astype(np.float32)
        latents.append(x)
        t = t_next
    return bits, latents


def stream_costs(indices: list[list[int]], profile) -> dict[str, float]:
    """Where a payload's bits go: each model's share (-log2 of the coded symbols' probabilities, replayed with
    the entropy coder's own models), the raw index bits, and the header; termination and byte padding are
    what is left of the payload's length."""
    from aigif_ref.diffc import entropy
    from aigif_ref.grammar.primitives import encode_uvarint

    cost = {"header": 8 * (1 + len(encode_uvarint(profile.code))), "steps": 0.0, "chunk_counts": 0.0,
            "index_buckets": 0.0, "index_raw": 0.0}

    def symbol(model, value: int) -> float:
        low, high, total = model.interval(value)
        model.update(value)
        return math.log2(total / (high - low))

    if profile.payload_version == 2:
        cost["steps"] = math.log2(len(profile.timesteps))
        counts = entropy.AdaptiveModel(entropy.COUNT_BUCKETS, prior=profile.count_prior)
        models = [entropy.AdaptiveModel(entropy.INDEX_BUCKETS, prior=profile.index_prior)] * 2
    else:
        cost["header"] += 8 * len(encode_uvarint(len(indices)))
        counts = entropy.AdaptiveModel(entropy.COUNT_BUCKETS)
        models = [entropy.AdaptiveModel(entropy.INDEX_BUCKETS), entropy.AdaptiveModel(entropy.INDEX_BUCKETS)]
    for s, step in enumerate(indices):
        n = entropy.zigzag(len(step) - profile.expected_chunks[s]) if profile.payload_version == 2 else len(step) - 1
        cost["chunk_counts"] += symbol(counts, n.bit_length()) + max(0, n.bit_length() - 1)
        model = models[entropy.index_context(len(step))]
        for index in step:
            cost["index_buckets"] += symbol(model, index.bit_length())
            cost["index_raw"] += max(0, index.bit_length() - 1)
    return cost


def run(count: int, threads: int, codes: tuple[str, ...] = ("0", "1")) -> dict:
    import torch

    from aigif_ref.diffc import codec
    from aigif_ref.diffc.model import load_model
    from aigif_ref.diffc.payload import DiffcPayload, build_payload
    from aigif_ref.diffc.profile import get_profile

    torch.set_num_threads(threads)
    model = load_model(492, "cpu")
    pictures, prompts = images(count)
    results = {"machine": machine("cpu"), "date": time.strftime("%Y-%m-%d"), "threads": threads, "images": count,
               "image_size": "64x64", "model": "aigif-shapes (492)", "profiles": {}}

    def pixels(latent: np.ndarray) -> np.ndarray:
        return np.clip(np.round(model.decode_latent(latent) * 255), 0, 255).astype(np.uint8)

    for variant in codes:  # "1" = profile 1; "1:no-prompt" = profile 1 with an empty prompt in the record
        code, _, option = variant.partition(":")
        profile = get_profile(int(code), model_id=492)
        rows, encode_seconds = [], []
        for number, (image, text) in enumerate(zip(pictures, prompts)):
            # what the file says, for a profile that reads it
            record = {"prompt": "" if option == "no-prompt" else text, "guidance_scale": 1.0}
            start = time.perf_counter()  # the whole encoder: VAE, every step's model call and candidate search
            model.set_prompt(*profile.conditioning_for(record))
            target = model.encode_image(image)
            steps = codec.encode_latent(model, target, number, profile, len(profile.timesteps))
            encode_seconds.append(time.perf_counter() - start)
            vae = psnr(pixels(target), image)
            ideal_bits, ideal_latents = ideal_chain(model, target, number, profile, len(profile.timesteps))
            for k in PREFIXES:
                payload = build_payload(DiffcPayload(profile.code, tuple(tuple(s) for s in steps.indices[:k])))
                start = time.perf_counter()
                rgb = pixels(codec.denoise(model, steps.latents[k - 1], profile.timesteps[k - 1], profile))
                seconds = time.perf_counter() - start
                ideal_rgb = pixels(codec.denoise(model, ideal_latents[k - 1], profile.timesteps[k - 1], profile))
                rows.append({"image": number, "steps": k, "timestep": profile.timesteps[k - 1],
                             "payload_bytes": len(payload), "bpp": len(payload) * 8 / 4096,
                             "kl_bits": sum(steps.kl_bits[:k]), "chunks": sum(len(s) for s in steps.indices[:k]),
                             "psnr": psnr(rgb, image), "vae_psnr": vae, "denoise_seconds": seconds,
                             "ideal_bits": sum(ideal_bits[:k]), "ideal_psnr": psnr(ideal_rgb, image),
                             "costs": stream_costs(steps.indices[:k], profile)})
        summary = []
        ideal_curve = [(float(np.mean([r["ideal_bits"] for r in rows if r["steps"] == k])),
                        float(np.mean([r["ideal_psnr"] for r in rows if r["steps"] == k]))) for k in PREFIXES]
        for k in PREFIXES:
            sel = [r for r in rows if r["steps"] == k]
            bits = float(np.mean([r["payload_bytes"] * 8 for r in sel]))
            entry = {"steps": k, "timestep": sel[0]["timestep"], "payload_bytes": bits / 8, "bpp": bits / 4096,
                     "psnr": float(np.mean([r["psnr"] for r in sel])),
                     "kl_bpp": float(np.mean([r["kl_bits"] for r in sel])) / 4096,
                     "ideal_bpp": ideal_curve[PREFIXES.index(k)][0] / 4096, "ideal_psnr": ideal_curve[PREFIXES.index(k)][1],
                     "overhead_same_steps": bits / float(np.mean([r["kl_bits"] for r in sel])) - 1}
            ideal = ideal_bits_at(ideal_curve, entry["psnr"])
            entry["overhead_equal_psnr"] = None if ideal is None else bits / ideal - 1
            entry["costs"] = {key: float(np.mean([r["costs"][key] for r in sel])) for key in sel[0]["costs"]}
            entry["costs"]["termination_padding"] = bits - sum(entry["costs"].values())
            entry["chunks"] = float(np.mean([r["chunks"] for r in sel]))
            entry["kl_bits"] = float(np.mean([r["kl_bits"] for r in sel]))
            summary.append(entry)
        name = profile.name + (f" ({option})" if option else "")
        results["profiles"][name] = {"code": profile.code, "conditioning": profile.conditioning, "rows": rows,
                                             "summary": summary, "encode_seconds_mean": float(np.mean(encode_seconds)),
                                             "vae_psnr_mean": float(np.mean([r["vae_psnr"] for r in rows]))}
    baselines = {"JPEG": [], "WebP": []}
    for image in pictures:
        for fmt, qualities in (("JPEG", JPEG_QUALITIES), ("WebP", WEBP_QUALITIES)):
            baselines[fmt].append([baseline(image, fmt, q) for q in qualities])
    results["baselines"] = {fmt: [[list(p) for p in c] for c in curves] for fmt, curves in baselines.items()}
    return results


def priors(count: int, threads: int, code: int = 1) -> dict:
    """A version-2 profile's stream tables, measured with its encoder settings on images the benchmark does not
    use: per timestep the median chunk count; the starting frequencies of the chunk-count deviation and
    index models (bucket histograms, 1 + round(480 * share))."""
    import torch

    from aigif_ref.diffc import codec, entropy
    from aigif_ref.diffc.model import load_model
    from aigif_ref.diffc.profile import get_profile

    torch.set_num_threads(threads)
    model = load_model(492, "cpu")
    profile = get_profile(code, model_id=492)
    pictures, prompts = images(count, PRIORS_SEED)
    runs = []
    for number, (image, text) in enumerate(zip(pictures, prompts)):
        model.set_prompt(*profile.conditioning_for({"prompt": text, "guidance_scale": 1.0}))
        runs.append(codec.encode_latent(model, model.encode_image(image), 1000 + number, profile, len(profile.timesteps)).indices)
    expected = [max(1, int(np.median([len(r[s]) for r in runs]))) for s in range(len(profile.timesteps))]
    counts = np.zeros(entropy.COUNT_BUCKETS)
    buckets = np.zeros(entropy.INDEX_BUCKETS)
    for r in runs:
        for s, step in enumerate(r):
            counts[entropy.zigzag(len(step) - expected[s]).bit_length()] += 1
            for index in step:
                buckets[index.bit_length()] += 1
    table = lambda h: [1 + int(round(480 * v / h.sum())) for v in h]  # noqa: E731
    return {"expected_chunks": expected, "count_prior": table(counts), "index_prior": table(buckets)}


def plot(results: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    for (name, entry), colour in zip(results["profiles"].items(), ("tab:blue", "tab:red", "tab:green")):
        s = entry["summary"]
        ax.plot([e["bpp"] for e in s], [e["psnr"] for e in s], "o-", color=colour, label=f"DiffC {name} (payload)")
        ax.plot([e["ideal_bpp"] for e in s], [e["ideal_psnr"] for e in s], ":", color=colour,
                label=f"{name}, ideal RCC (sum of KL)")
    for fmt, marker in (("JPEG", "s--"), ("WebP", "^--")):
        mean = np.mean(np.array(results["baselines"][fmt]), axis=0)  # per quality: mean bpp, mean PSNR
        ax.plot(mean[:, 0], mean[:, 1], marker, label=f"{fmt} (Pillow)")
    first = next(iter(results["profiles"].values()))
    ax.axhline(first["vae_psnr_mean"], color="black", linewidth=0.8, label="VAE round trip")
    ax.set_xscale("log")
    ax.set_xlabel("bits per pixel")
    ax.set_ylabel("PSNR (dB)")
    ax.set_title(f"aigif-shapes 64x64, {results['images']} images, in-domain ({results['date']})", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
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
    for x, image in enumerate(images(count)[0]):
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
    parser.add_argument("--profiles", default="0,1,1:no-prompt",
                        help="DiffC profile codes to compare; CODE:no-prompt leaves the record's prompt empty")
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks/results/diffc-shapes-cpu.json")
    parser.add_argument("--plot", type=Path, default=ROOT / "spec/img/diffc-rd-shapes.png")
    parser.add_argument("--schedule", action="store_true", help="print the Algorithm 3 timestep schedule instead")
    parser.add_argument("--priors", action="store_true", help="print profile 1's stream tables (registry fields) instead")
    parser.add_argument("--replot", action="store_true", help="redraw the plot and table from --json, running nothing")
    args = parser.parse_args()
    if args.schedule:
        print(schedule(args.images, args.threads))
        return 0
    if args.priors:
        print(json.dumps(priors(args.images, args.threads)))
        return 0
    if args.replot:
        results = json.loads(args.json.read_text(encoding="utf-8"))
    else:
        results = run(args.images, args.threads, tuple(args.profiles.split(",")))
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    plot(results, args.plot)
    pct = lambda v: "     n/a" if v is None else f"{v:8.1%}"  # noqa: E731
    for name, entry in results["profiles"].items():
        print(f"profile {name} (conditioning: {entry['conditioning']}); encode {entry['encode_seconds_mean']:.1f} s per image")
        print(f"{'steps':>5} {'t':>4} {'bytes':>6} {'bpp':>7} {'PSNR':>6} {'ideal bpp':>9} {'ideal dB':>8} "
              f"{'over@PSNR':>9} {'over@k':>8}")
        for e in entry["summary"]:
            print(f"{e['steps']:>5} {e['timestep']:>4} {e['payload_bytes']:>6.1f} {e['bpp']:>7.4f} {e['psnr']:>6.2f} "
                  f"{e['ideal_bpp']:>9.4f} {e['ideal_psnr']:>8.2f} {pct(e['overhead_equal_psnr']):>9} "
                  f"{pct(e['overhead_same_steps']):>8}")
        print("  where the bits go (mean per payload): " + "; ".join(
            f"{e['steps']} steps: " + ", ".join(f"{k} {v:.1f}" for k, v in e["costs"].items())
            + f", KL {e['kl_bits']:.1f} in {e['chunks']:.1f} chunks" for e in entry["summary"]))
    for fmt, curves in results["baselines"].items():  # 64x64: the formats' headers set a floor on their size
        mean = np.mean(np.array(curves), axis=0)
        print(f"{fmt}: smallest file {mean[0][0] * 4096 / 8:.0f} bytes = {mean[0][0]:.3f} bpp at {mean[0][1]:.2f} dB "
              f"(lowest quality); at most quality {mean[-1][0]:.3f} bpp, {mean[-1][1]:.2f} dB")
    print(f"{results['machine']}, {results['threads']} threads, {results['date']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
