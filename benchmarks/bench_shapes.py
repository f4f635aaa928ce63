"""Evaluate aigif-shapes: does it draw what its prompt says?

Renders every prompt of the language (8 x 7 x 4 = 224; --count repeats them with further seeds) with
seeds the training never used, on CPU in float32, DDIM 20 steps, guidance 7.5 (bare diffusers calls,
as the reference renderer makes them), classifies each image with the language's classifier
(vectors/models/shapes_language.py) and reports foreground-colour, background-colour and shape
accuracy and the render time. Targets (issue 10): both colours right in >= 95% of images, shape right
in >= 80%.

    python -m benchmarks.bench_shapes [--count 224] [--threads N] [--json OUT.json] [--grid OUT.png]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.shapes_common import (EVAL_SEED_BASE, GUIDANCE, MODEL_NAME, SIZE, STEPS, language, load_pipeline,
                                      machine, model_folder, render, versions)

TARGETS = {"both_colours": 0.95, "shape": 0.80}


def evaluate(folder: Path, count: int, device: str = "cpu") -> tuple[dict, list]:
    lang = language()
    pipe = load_pipeline(folder, device, "float32", "DDIM")
    classifier = lang.Classifier(SIZE)
    combos = lang.all_prompts()
    right = {"foreground": 0, "background": 0, "both_colours": 0, "shape": 0, "all": 0}
    seconds, samples, misses = [], [], []
    for i in range(count):
        fg, shape, bg = combos[i % len(combos)]
        text = lang.prompt(fg, shape, bg)
        start = time.perf_counter()
        rgb = render(pipe, text, EVAL_SEED_BASE + i)
        seconds.append(time.perf_counter() - start)
        reading = classifier(rgb)
        hits = {"foreground": reading.foreground == fg, "background": reading.background == bg,
                "shape": reading.shape == shape}
        hits["both_colours"] = hits["foreground"] and hits["background"]
        hits["all"] = hits["both_colours"] and hits["shape"]
        for key, hit in hits.items():
            right[key] += hit
        if not hits["all"]:
            misses.append({"prompt": text, "seed": EVAL_SEED_BASE + i, "read": [reading.foreground, reading.shape, reading.background]})
        samples.append((text, rgb))
    accuracy = {key: round(value / count, 4) for key, value in right.items()}
    result = {
        "benchmark": "bench_shapes", "model": MODEL_NAME, "images": count,
        "settings": {"size": SIZE, "steps": STEPS, "scheduler": "DDIM", "guidance_scale": GUIDANCE, "dtype": "float32",
                     "device": device, "seeds": f"{EVAL_SEED_BASE}..{EVAL_SEED_BASE + count - 1}",
                     "prompts": "every (foreground, shape, background) of the language, in order, repeated"},
        "accuracy": accuracy,
        "targets": TARGETS,
        "targets_met": accuracy["both_colours"] >= TARGETS["both_colours"] and accuracy["shape"] >= TARGETS["shape"],
        "render_seconds": {"median": round(statistics.median(seconds), 4), "mean": round(statistics.fmean(seconds), 4),
                           "total": round(sum(seconds), 1)},
        "misses": misses,
        "machine": machine(device), "versions": versions(),
        "date": time.strftime("%Y-%m-%d"),
    }
    return result, samples


def save_grid(samples: list, path: Path, columns: int = 8, rows: int = 4) -> None:
    """A grid of rendered samples, each captioned with its prompt's three words."""
    import numpy as np
    from PIL import Image, ImageDraw

    cell, caption = SIZE * 2, 24
    grid = Image.new("RGB", (columns * cell, rows * (cell + caption)), "white")
    draw = ImageDraw.Draw(grid)
    picks = samples[:: max(1, len(samples) // (columns * rows))][: columns * rows]
    for i, (text, rgb) in enumerate(picks):
        r, c = divmod(i, columns)
        x, y = c * cell, r * (cell + caption)
        grid.paste(Image.fromarray(np.asarray(rgb)).resize((cell, cell), Image.NEAREST), (x, y))
        words = text.removeprefix("a ").replace(" background", "").split(" on a ")
        draw.text((x + 3, y + cell + 1), words[0], fill="black")
        draw.text((x + 3, y + cell + 12), "on " + words[1], fill="black")
    grid.save(path, optimize=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=224, help="images (default 224: every prompt once)")
    parser.add_argument("--model", type=Path, help="model folder (default: the model store, verified)")
    parser.add_argument("--threads", type=int, help="torch CPU threads")
    parser.add_argument("--json", type=Path, help="write the result here")
    parser.add_argument("--grid", type=Path, help="write a sample grid (PNG) here")
    args = parser.parse_args(argv)
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    result, samples = evaluate(model_folder(args.model), args.count)
    result["threads"] = torch.get_num_threads()
    text = json.dumps(result, indent=2) + "\n"
    print(json.dumps({k: v for k, v in result.items() if k != "misses"}, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text, encoding="utf-8")
    if args.grid:
        save_grid(samples, args.grid)
    return 0 if result["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
