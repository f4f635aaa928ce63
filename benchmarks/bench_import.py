"""Import coverage and size: a synthetic set of images shaped like each tool's output, through `aigif import`.

Metadata: tests/import_fixtures.synthetic_set (each tool's common variations: LoRAs, clip skip, hires fix,
Karras schedules, samplers without a registry scheduler), drawn with a fixed seed. Pixels: scikit-image's
photographs (astronaut: public domain, NASA; coffee and chelsea: CC0; rocket: public domain, SpaceX),
scaled and cropped to each file's size, saved as the tool saves PNGs (ComfyUI and SwarmUI: zlib level 4;
the others Pillow's default, level 6), with the metadata as text chunks. Figures: per tool, the files
whose every setting is represented, the share of settings represented (aigif_ref.importers.coverage),
and the imported file's size against the original PNG's (pixels as PNG or lossless JPEG XL, the smaller).

    python -m benchmarks.bench_import [--per-tool N] [--jobs N] [--json OUT.json]

Needs scikit-image for the photographs (pip install scikit-image); the pixels' JPEG XL figures need
pillow-jxl-plugin (the render extra). It runs twice: with no user model overlay, and with one listing the
checkpoints and LoRAs the metadata names (what `aigif models add` would give a user who has those files).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from aigif_ref.importers import folder
from aigif_ref.importers.coverage import summarize
from tests import import_fixtures as fx

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket")
COMFY_LEVEL = {"ComfyUI": 4, "SwarmUI": 4}  # ComfyUI's SaveImage compress_level; Pillow's default otherwise


def photo(index: int, width: int, height: int) -> np.ndarray:
    import skimage.data
    from PIL import Image

    image = Image.fromarray(getattr(skimage.data, PHOTOS[index % len(PHOTOS)])()).convert("RGB")
    scale = max(width / image.width, height / image.height)
    image = image.resize((round(image.width * scale + 0.5), round(image.height * scale + 0.5)), Image.Resampling.LANCZOS)
    left, top = (image.width - width) // 2, (image.height - height) // 2
    return np.asarray(image.crop((left, top, left + width, top + height)))


def build(root: Path, per_tool: int) -> list[Path]:
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    paths = []
    for i, (tool, texts, (width, height)) in enumerate(fx.synthetic_set(per_tool)):
        info = PngInfo()
        for key, value in texts.items():
            info.add_itxt(key, value) if key == "XML:com.adobe.xmp" else info.add_text(key, value)
        path = root / tool.replace(" ", "-") / f"{i:04d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(photo(i, width, height)).save(path, pnginfo=info, compress_level=COMFY_LEVEL.get(tool, 6))
        paths.append(path)
    return paths


# The user's own files, as `aigif models add` would list them (digests made up: importing needs no weights).
OVERLAY = [(kind, name, autov2) for kind, name, autov2 in (
    ("checkpoint", "v1-5-pruned-emaonly", None), ("checkpoint", "sd_v1.5_f16", None), ("checkpoint", "Deliberate v3", None),
    ("checkpoint", "dreamshaper_8", "6ce0161689"), ("checkpoint", "juggernautXL_v8Rundiffusion", "aeb7e9e689"),
    ("lora", "add_detail", None))]


def write_overlay(home: Path) -> None:
    import hashlib

    entries = [{"kind": kind, "name": name, "sha256": hashlib.sha256(name.encode()).hexdigest(),
                "autov2": autov2 or hashlib.sha256(name.encode()).hexdigest()[:10], "path": f"/models/{name}.safetensors"}
               for kind, name, autov2 in OVERLAY]
    home.mkdir(parents=True, exist_ok=True)
    (home / "models.json").write_text(json.dumps({"files": entries}), encoding="utf-8")


def table(summary: dict) -> None:
    print(f"{'tool':<12} {'files':>5} {'all kept':>8} {'settings':>9} {'PNG bytes':>10} {'AIGIF bytes':>11} {'median out/in':>13}")
    for tool, row in summary.items():
        print(f"{tool:<12} {row['files']:>5} {row['lossless_files']:>8} {100 * row['settings_coverage']:>8.1f}% "
              f"{row['source_bytes'] // row['files']:>10} {row['bytes'] // row['files']:>11} {row['median_size_ratio']:>13.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-tool", type=int, default=6)
    parser.add_argument("--jobs", type=int, default=folder.default_jobs())
    parser.add_argument("--json", metavar="OUT.json")
    args = parser.parse_args()
    out: dict = {"date": time.strftime("%Y-%m-%d"), "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
                 "cpus": os.cpu_count(), "python": platform.python_version(), "jobs": args.jobs, "per_tool": args.per_tool}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build(root / "in", args.per_tool)
        write_overlay(root / "home-with-models")
        for mode, home in (("no user models", root / "home-empty"), ("user models added", root / "home-with-models")):
            os.environ["AIGIF_HOME"] = str(home)  # the workers read the overlay from here
            start = time.perf_counter()
            results = folder.run([root / "in"], folder.Options(root / mode.replace(" ", "-"), jobs=args.jobs))
            seconds = time.perf_counter() - start
            failed = [r for r in results if r["status"] != "ok"]
            reasons = Counter(line.split(":")[0].split(" (")[0][:60] for r in results for line in r.get("unmapped", []))
            codecs = Counter(r.get("pixel_codec") for r in results)
            out[mode] = {"files": len(results), "failed": len(failed), "seconds": round(seconds, 1), "pixel_codecs": codecs,
                         "summary": summarize(results), "top_unmapped": reasons.most_common(15)}
            print(f"== {mode}: {len(results)} files in {seconds:.1f} s with {args.jobs} workers; failed {len(failed)}; "
                  f"pixels {dict(codecs)}")
            table(out[mode]["summary"])
            for reason, count in reasons.most_common(8):
                print(f"  {count:>3}  {reason}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
