"""DiffC rate-distortion on aigif-shapes' own images and on public-domain photos, against JPEG, WebP and
JPEG XL at the same bpp, with encode and decode times; a bpp-vs-PSNR plot.

Images (all at the model's resolution, 64x64 for aigif-shapes):
- ``shapes``: drawn by the model's own language (vectors/models/shapes_language.py), IN-DOMAIN for the
  model we trained;
- photos from scikit-image's bundled data, centre-cropped to a square and resized (Pillow Lanczos):
  astronaut (NASA, public domain), coffee (Rachel Michetti, CC0), chelsea (Stefan van der Walt, CC0),
  rocket (SpaceX, public domain) -- licences as skimage.data's docstrings state them. Photos are OUT OF
  DOMAIN for aigif-shapes (it only ever saw flat shapes on plain backgrounds): its VAE cannot represent
  them well, which caps DiffC's PSNR far below what a photo model would reach.

Each image is encoded once through every step of the profile (GPU candidate search where there is one);
each prefix of k steps is a real payload, put in a record and decoded by aigif_ref.diffc.files.decode_record
(the decoder `aigif render` runs). Encode time of a prefix = VAE encode + the first k steps (the encoder
stops there); decode time = the whole decode of that record. Baselines (Pillow JPEG 4:2:0, WebP, and
JPEG XL through pillow-jxl-plugin, the library the repo's JXL vectors were written with) sweep quality;
at each DiffC point the table gives each format's PSNR interpolated at the same bpp (linear in log bpp), or,
where the format cannot get that small, its smallest file (marked "min").

    python -m benchmarks.bench_diffc_rd encode --profile 0 --raw raw.json       # DiffC part (GPU machine)
    python -m benchmarks.bench_diffc_rd report --raw raw.json                   # baselines, table, plot (here)
    python -m benchmarks.bench_diffc_rd check --raw raw.json --image shapes-0   # CPU re-encode: same payload?
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import math
import platform
import sys
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.shapes_common import SIZE, language  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHAPES_SEED = 8_300_000  # not the vectors' (20261129), the evaluation's (7.0M, 7.1M) nor bench_diffc's (8.2M)
PHOTOS = {  # skimage.data name: licence as its docstring states it
    "astronaut": "NASA, public domain",
    "coffee": "Rachel Michetti, CC0",
    "chelsea": "Stefan van der Walt, CC0",
    "rocket": "SpaceX, public domain",
}
QUALITIES = {"JPEG": (1, 3, 5, 8, 12, 20, 30, 50, 75, 90, 95), "WebP": (0, 5, 10, 20, 35, 50, 70, 90, 100),
             "JPEG XL": (1, 5, 10, 20, 30, 45, 60, 75, 90, 98)}
TABLE_STEPS = 4  # operating points per image group in the README table


# --- images ------------------------------------------------------------------------------------------

def shapes_images(count: int, size: int) -> list[tuple[str, np.ndarray]]:
    import torch

    batch = language().draw(count, size, torch.Generator().manual_seed(SHAPES_SEED))
    rgb = (batch.images.permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
    return [(f"shapes-{i}", rgb[i]) for i in range(count)]


def photo(name: str, size: int) -> np.ndarray:
    import skimage.data
    from PIL import Image

    image = Image.fromarray(getattr(skimage.data, name)()).convert("RGB")
    side = min(image.size)
    left, top = (image.width - side) // 2, (image.height - side) // 2
    square = image.crop((left, top, left + side, top + side))
    return np.asarray(square.resize((size, size), Image.Resampling.LANCZOS))


def digest(rgb: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(rgb).tobytes()).hexdigest()[:16]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * math.log10(255 * 255 / mse) if mse else float("inf")


# --- DiffC (encode phase) ----------------------------------------------------------------------------

def registry_here():
    from aigif_ref.registry import default_registry, load_registry

    try:
        return default_registry()
    except ImportError:  # the GPU machine has no jsonschema: the shipped registry, unvalidated
        return load_registry(validate=False)


def encode_image(name: str, rgb: np.ndarray, model, profile, registry, backend: str, seed: int,
                 steps: int | None = None, decode: bool = True) -> dict:
    from aigif_ref.api import encode
    from aigif_ref.diffc import codec, files
    from aigif_ref.diffc.payload import DiffcPayload, build_payload

    steps = min(steps or len(profile.timesteps), len(profile.timesteps))
    start = time.perf_counter()
    model.set_prompt(*profile.conditioning_for({}))  # a record-conditioned profile: the empty prompt
    target = model.encode_image(rgb)
    marks = [time.perf_counter()]
    result = codec.encode_latent(model, target, seed, profile, steps, backend=backend,
                                 on_step=lambda done, total: marks.append(time.perf_counter()))
    vae = np.clip(np.round(model.decode_latent(target) * 255), 0, 255).astype(np.uint8)
    rows = []
    for k in range(1, len(result.indices) + 1):
        payload = build_payload(DiffcPayload(profile.code, tuple(tuple(s) for s in result.indices[:k])))
        record = files.make_record(payload, profile.model_id, seed, rgb.shape[0], rgb.shape[1], profile, registry)
        rows.append({"steps": k, "timestep": profile.timesteps[k - 1], "payload_bytes": len(payload),
                     "file_bytes": len(encode(record, registry)), "bpp": len(payload) * 8 / rgb[..., 0].size,
                     "ideal_bits": float(sum(result.kl_bits[:k])), "chunks": sum(map(len, result.indices[:k])),
                     "encode_s": marks[k] - start, "payload_b64": base64.b64encode(payload).decode("ascii")})
        if decode:
            decoded = files.decode_record(record, model=model, registry=registry)
            rows[-1].update(psnr=psnr(decoded.rgb8, rgb), decode_s=decoded.seconds)
    return {"name": name, "group": "shapes" if name.startswith("shapes") else "photos", "sha256_16": digest(rgb),
            "licence": PHOTOS.get(name, "drawn by vectors/models/shapes_language.py"), "seed": seed,
            "vae_psnr": psnr(vae, rgb), "kl_bits_per_step": [float(b) for b in result.kl_bits], "rows": rows}


def encode_all(args: argparse.Namespace) -> dict:
    import torch

    from aigif_ref.diffc.cli import pick_backend
    from aigif_ref.diffc.model import load_model
    from aigif_ref.diffc.profile import get_profile

    registry = registry_here()
    profile = get_profile(args.profile, registry)
    model = load_model(profile.model_id, args.device, registry)
    backend = pick_backend(args.backend, model.device)
    images = shapes_images(args.shapes, args.size) + [(n, photo(n, args.size)) for n in args.photos if n]
    if args.images_out:
        np.savez_compressed(args.images_out, **dict(images))
    # Warm-up (kernel compilation, cuDNN autotuning): one step of one image, not timed.
    encode_warm = load_warm(images[0][1], model, profile, backend)
    out = {"date": time.strftime("%Y-%m-%d", time.gmtime()), "profile": profile.code, "profile_name": profile.name,
           "model_id": profile.model_id, "device": model.device, "backend": backend, "noise": repr(model.noise),
           "gpu": torch.cuda.get_device_name(0) if model.device.startswith("cuda") else None,
           "cpu": platform.processor() or platform.machine(), "torch_threads": torch.get_num_threads(),
           "torch": torch.__version__, "python": platform.python_version(), "size": args.size,
           "warm_up_s": encode_warm, "images": []}
    for number, (name, rgb) in enumerate(images):
        out["images"].append(encode_image(name, rgb, model, profile, registry, backend,
                                          seed=args.seed + number, steps=args.steps))
        print(f"{name}: {out['images'][-1]['rows'][-1]['payload_bytes']} B, "
              f"{out['images'][-1]['rows'][-1]['psnr']:.2f} dB", flush=True)
        if args.raw:
            args.raw.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    return out


def load_warm(rgb: np.ndarray, model, profile, backend: str) -> float:
    from aigif_ref.diffc import codec

    start = time.perf_counter()
    model.set_prompt(*profile.conditioning_for({}))  # a record-conditioned profile: the empty prompt
    codec.encode_latent(model, model.encode_image(rgb), 0, profile, 1, backend=backend)
    return time.perf_counter() - start


# --- baselines, table, plot (report phase) -----------------------------------------------------------

def baseline_curve(rgb: np.ndarray, fmt: str) -> list[tuple[float, float]]:
    from PIL import Image

    if fmt == "JPEG XL":
        import pillow_jxl  # noqa: F401  (registers the JXL format with Pillow)
    points = []
    for quality in QUALITIES[fmt]:
        buffer = io.BytesIO()
        Image.fromarray(rgb, "RGB").save(buffer, format={"JPEG XL": "JXL"}.get(fmt, fmt), quality=quality)
        with Image.open(io.BytesIO(buffer.getvalue())) as decoded:
            out = np.asarray(decoded.convert("RGB"))
        points.append((len(buffer.getvalue()) * 8 / rgb[..., 0].size, psnr(out, rgb)))
    return sorted(points)


def at_bpp(points: list[tuple[float, float]], bpp: float) -> tuple[float, bool]:
    """(PSNR at bpp, True) interpolated linearly in log bpp; (the smallest file's PSNR, False) below the
    curve; the largest file's PSNR above it (marked as not at the same bpp too)."""
    if bpp < points[0][0]:
        return points[0][1], False
    for (b0, p0), (b1, p1) in zip(points, points[1:]):
        if b0 <= bpp <= b1:
            w = 0.0 if b1 == b0 else (math.log(bpp) - math.log(b0)) / (math.log(b1) - math.log(b0))
            return p0 + w * (p1 - p0), True
    return points[-1][1], False


def report(raw: dict, images: dict[str, np.ndarray]) -> dict:
    formats = list(QUALITIES)
    for entry in raw["images"]:
        rgb = images[entry["name"]]
        if digest(rgb) != entry["sha256_16"]:
            raise SystemExit(f"{entry['name']}: the image here differs from the encoded one (sha256 prefix)")
        entry["baselines"] = {fmt: baseline_curve(rgb, fmt) for fmt in formats}
        for row in entry["rows"]:
            for fmt in formats:
                value, same = at_bpp(entry["baselines"][fmt], row["bpp"])
                row[fmt] = {"psnr": value, "same_bpp": same}
    summary = {}
    for group in ("shapes", "photos"):
        members = [e for e in raw["images"] if e["group"] == group]
        if not members:
            continue
        steps = len(members[0]["rows"])
        picks = sorted({max(1, round(steps * f)) for f in np.linspace(0.4, 1.0, TABLE_STEPS)})
        rows = []
        for k in picks:
            sel = [e["rows"][k - 1] for e in members]
            row = {"steps": k, "timestep": sel[0]["timestep"], "images": len(sel)}
            for key in ("payload_bytes", "file_bytes", "bpp", "psnr", "encode_s", "decode_s", "ideal_bits"):
                row[key] = float(np.mean([r[key] for r in sel]))
            for fmt in formats:
                row[fmt] = float(np.mean([r[fmt]["psnr"] for r in sel]))
                row[fmt + " not at bpp"] = sum(not r[fmt]["same_bpp"] for r in sel)
                row[fmt + " min bpp"] = float(np.mean([e["baselines"][fmt][0][0] for e in members]))
            rows.append(row)
        summary[group] = {"rows": rows, "vae_psnr": float(np.mean([e["vae_psnr"] for e in members])),
                          "images": [e["name"] for e in members]}
    raw["summary"] = summary
    raw["baselines_run"] = baseline_versions()
    return raw


def baseline_versions() -> dict:
    import importlib.metadata

    import PIL
    from PIL import features

    return {"date": time.strftime("%Y-%m-%d", time.gmtime()), "machine": platform.processor() or platform.machine(),
            "Pillow": PIL.__version__, "libjpeg": features.version("jpg"), "libwebp": features.version("webp"),
            "pillow-jxl-plugin": importlib.metadata.version("pillow-jxl-plugin"), "qualities": QUALITIES}


def markdown(results: dict) -> str:
    lines = []
    for group, data in results["summary"].items():
        domain = "in-domain, model we trained" if group == "shapes" else "OUT of domain for aigif-shapes"
        lines.append(f"**{group}** ({', '.join(data['images'])}; {domain}; VAE round trip {data['vae_psnr']:.2f} dB)\n")
        lines.append("| coded steps (t) | DiffC payload | bpp | PSNR | JPEG | WebP | JPEG XL | encode | decode |")
        lines.append("|---|---|---|---|---|---|---|---|---|")
        for r in data["rows"]:
            cells = []
            for fmt in QUALITIES:
                missed = r[fmt + " not at bpp"]
                if not missed:
                    cells.append(f"{r[fmt]:.2f} dB")
                elif missed == r["images"]:
                    cells.append(f"n/a (smallest {r[fmt + ' min bpp']:.2f} bpp: {r[fmt]:.2f} dB)")
                else:
                    cells.append(f"{r[fmt]:.2f} dB ({missed}/{r['images']} smallest file)")
            lines.append(f"| {r['steps']} ({r['timestep']}) | {r['payload_bytes']:.1f} B | {r['bpp']:.3f} | "
                         f"{r['psnr']:.2f} dB | {' | '.join(cells)} | {r['encode_s']:.2f} s | {r['decode_s']:.2f} s |")
        lines.append("")
    lines.append("n/a: the format's smallest file (lowest quality, mean bpp and PSNR given) is larger than DiffC's "
                 "payload for every image; k/n smallest file: for k of the n images, whose smallest file's PSNR enters "
                 "the mean.")
    return "\n".join(lines)


def plot(results: dict, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = list(results["summary"])
    fig, axes = plt.subplots(1, len(groups), figsize=(5.2 * len(groups), 4.0), dpi=80, squeeze=False)
    for ax, group in zip(axes[0], groups):
        members = [e for e in results["images"] if e["group"] == group]
        steps = len(members[0]["rows"])
        bpp = [np.mean([e["rows"][k]["bpp"] for e in members]) for k in range(steps)]
        db = [np.mean([e["rows"][k]["psnr"] for e in members]) for k in range(steps)]
        ax.plot(bpp, db, "o-", markersize=3, label="DiffC (payload)")
        for fmt, style in zip(QUALITIES, ("s--", "^--", "d--")):
            curve = np.mean(np.array([e["baselines"][fmt] for e in members]), axis=0)
            ax.plot(curve[:, 0], curve[:, 1], style, markersize=3, label=fmt)
        ax.axhline(results["summary"][group]["vae_psnr"], color="black", linewidth=0.7, label="VAE round trip")
        ax.set_xscale("log")
        ax.set_xlabel("bits per pixel")
        ax.set_ylabel("PSNR (dB)")
        title = (f"{len(members)} aigif-shapes images (in-domain)" if group == "shapes" else
                 f"{len(members)} public-domain photos (out of domain for aigif-shapes)")
        ax.set_title(title, fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(f"DiffC profile {results['profile_name']} vs JPEG / WebP / JPEG XL, {results['size']}x"
                 f"{results['size']} ({results['date']}, {results['gpu'] or results['device']})", fontsize=9)
    fig.tight_layout()
    fig.savefig(out)


# --- CPU spot-check ------------------------------------------------------------------------------------

def check(raw: dict, images: dict[str, np.ndarray], name: str, threads: int) -> dict:
    """Re-encode one image on this machine's CPU with the NumPy search; the payloads must be the same."""
    import torch

    from aigif_ref.diffc.model import load_model
    from aigif_ref.diffc.profile import get_profile

    torch.set_num_threads(threads)
    entry = next(e for e in raw["images"] if e["name"] == name)
    registry = registry_here()
    profile = get_profile(raw["profile"], registry)
    model = load_model(profile.model_id, "cpu", registry)
    here = encode_image(name, images[name], model, profile, registry, "numpy", entry["seed"], len(entry["rows"]),
                        decode=False)
    same = [a["payload_b64"] == b["payload_b64"] for a, b in zip(entry["rows"], here["rows"])]
    # The search is exact, but the model is float: where CPU and GPU predictions differ enough to flip one
    # chunk's winner, the payloads part there (both valid; each decodes the same everywhere).
    return {"date": time.strftime("%Y-%m-%d", time.gmtime()), "image": name, "prefixes_same_payload": sum(same),
            "prefixes": len(same), "first_differing_prefix": next((k + 1 for k, ok in enumerate(same) if not ok), None),
            "kl_bits_per_step_encode_run": entry["kl_bits_per_step"], "kl_bits_per_step_here": here["kl_bits_per_step"],
            "cpu": platform.processor() or platform.machine(), "threads": threads,
            "cpu_encode_s": here["rows"][-1]["encode_s"], "gpu_encode_s": entry["rows"][-1]["encode_s"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="phase", required=True)
    enc = sub.add_parser("encode", help="DiffC encodes and decodes (run on the GPU machine)")
    enc.add_argument("--profile", type=int, default=0, help="registry diffc_profiles code")
    enc.add_argument("--shapes", type=int, default=3, help="images drawn by the shapes language")
    enc.add_argument("--photos", type=lambda s: s.split(","), default=list(PHOTOS))
    enc.add_argument("--size", type=int, default=SIZE)
    enc.add_argument("--seed", type=int, default=0, help="generator key of the first image (then +1 each)")
    enc.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    enc.add_argument("--backend", default="auto")
    enc.add_argument("--steps", type=int, help="code at most this many steps (a quick trial; default all)")
    enc.add_argument("--raw", type=Path, required=True)
    enc.add_argument("--images-out", type=Path, help="also save the input images (.npz)")
    rep = sub.add_parser("report", help="baselines, table and plot from an encode run")
    rep.add_argument("--raw", type=Path, required=True)
    rep.add_argument("--images", type=Path, help="the encode run's --images-out (else drawn again here)")
    rep.add_argument("--json", type=Path, default=ROOT / "benchmarks/results/diffc-rd.json")
    rep.add_argument("--plot", type=Path, default=ROOT / "spec/img/diffc-rd.png")
    chk = sub.add_parser("check", help="re-encode one image on the CPU: same payloads as the encode run?")
    chk.add_argument("--raw", type=Path, required=True)
    chk.add_argument("--images", type=Path, help="the encode run's --images-out (else drawn again here)")
    chk.add_argument("--image", default="shapes-0")
    chk.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if args.phase == "encode":
        encode_all(args)
        return 0
    raw = json.loads(args.raw.read_text(encoding="utf-8"))
    names = [e["name"] for e in raw["images"]]
    count = sum(1 for n in names if n.startswith("shapes-"))
    if args.images:
        with np.load(args.images) as saved:
            images = {n: saved[n] for n in names}
    else:
        images = dict(shapes_images(count, raw["size"]) + [(n, photo(n, raw["size"])) for n in names if n in PHOTOS])
    if args.phase == "check":
        print(json.dumps(check(raw, images, args.image, args.threads), indent=1))
        return 0
    results = report(raw, images)
    args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    plot(results, args.plot)
    print(markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
