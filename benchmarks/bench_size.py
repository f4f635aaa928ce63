"""File size of AIGIF v1 against the paper's Table I layout, on PartiPrompts.

Every PartiPrompts prompt becomes one record with typical Stable Diffusion
settings (SD 1.5, 512x512, DDIM 50 steps, guidance 7.5, float16 on GPU, a random
32-bit seed). Two runs: an empty negative prompt and the usual long SD negative
prompt. Run from the repository root:

    python -m benchmarks.bench_size [--partiprompts PATH] [--text-compressor auto|0|1|2] [--json]
"""
from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from aigif_ref.api import encode as aigif_encode
from aigif_ref.grammar.aigif import parse_file
from aigif_ref.registry import REPO_ROOT, default_registry
from benchmarks import paper_baseline

DEFAULT_PARTIPROMPTS = REPO_ROOT.parent / "shared" / "data" / "PartiPrompts.tsv"
SEED_RNG = 2024
LONG_NEGATIVE = (
    "lowres, bad anatomy, bad hands, text, error, missing fingers, extra digit, fewer digits, cropped,"
    " worst quality, low quality, normal quality, jpeg artifacts, signature, watermark, username, blurry"
)
NEGATIVES: dict[str, str] = {"empty": "", "long": LONG_NEGATIVE}
# stable-diffusion-v1-5, float16, DDIM, GPU (registry codes).
TYPICAL: dict[str, Any] = {
    "model_id": 0, "dtype": 1, "scheduler": 0, "device": 1,
    "height": 512, "width": 512, "steps": 50, "guidance_scale": 7.5,
}
ZLIB = 1


def load_prompts(path: str | Path = DEFAULT_PARTIPROMPTS) -> list[str]:
    """The "Prompt" column, in file order. Quotes are data, not CSV quoting (one prompt starts with '"')."""
    with open(path, encoding="utf-8", newline="") as handle:
        return [row["Prompt"] for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)]


def held_out(index: int) -> bool:
    """Odd 0-based data rows: the phrase-Huffman model is trained on even rows only."""
    return index % 2 == 1


def typical_records(prompts: list[str], negative_prompt: str | None) -> list[dict[str, Any]]:
    """One AIGIF JSON record (integer codes) per prompt; seed i is the i-th draw of Random(2024)."""
    rng = random.Random(SEED_RNG)
    return [
        {**TYPICAL, "prompt": prompt, "negative_prompt": negative_prompt, "seed": rng.getrandbits(32)}
        for prompt in prompts
    ]


def with_compressor(record: dict[str, Any], compressor: str | int) -> dict[str, Any]:
    """The record with a forced text compressor, or as given for "auto" (encoder picks the smallest)."""
    return record if compressor == "auto" else {**record, "text_compressor": compressor}


def measure(records: list[dict[str, Any]], compressor: str | int) -> dict[str, Any]:
    aigif = [aigif_encode(with_compressor(r, compressor)) for r in records]
    zlib_only = [len(aigif_encode(with_compressor(r, ZLIB))) for r in records]
    baseline = [len(paper_baseline.encode(paper_baseline.from_aigif_record(r))) for r in records]
    sizes = [len(data) for data in aigif]
    names = default_registry().enum("text_compressors")
    picked = Counter(parse_file(data)["text"]["text_compressor"] for data in aigif)
    held = [i for i in range(len(records)) if held_out(i)]
    aigif_mean, baseline_mean = statistics.fmean(sizes), statistics.fmean(baseline)
    aigif_held, baseline_held = statistics.fmean(sizes[i] for i in held), statistics.fmean(baseline[i] for i in held)
    return {
        "records": len(records),
        "held_out_records": len(held),
        "aigif_mean": aigif_mean,
        "aigif_mean_held_out": aigif_held,
        "aigif_min": min(sizes),
        "aigif_max": max(sizes),
        "aigif_zlib_only_mean": statistics.fmean(zlib_only),
        "baseline_mean": baseline_mean,
        "baseline_mean_held_out": baseline_held,
        "ratio_of_means": aigif_mean / baseline_mean,
        "ratio_of_means_held_out": aigif_held / baseline_held,
        "not_smaller": sum(a >= b for a, b in zip(sizes, baseline)),
        "text_compressor_picked": {names[code]["name"]: n for code, n in sorted(picked.items())},
    }


def run(prompts: list[str], compressor: str | int) -> dict[str, Any]:
    return {
        "text_compressor": compressor,
        "mean_prompt_bytes": statistics.fmean(len(p.encode("utf-8")) for p in prompts),
        "runs": {name: measure(typical_records(prompts, negative), compressor) for name, negative in NEGATIVES.items()},
    }


ROWS = (
    ("records", "records", "{}"),
    ("AIGIF mean bytes", "aigif_mean", "{:.2f}"),
    ("AIGIF mean, held-out rows", "aigif_mean_held_out", "{:.2f}"),
    ("AIGIF min / max", None, None),
    ("AIGIF zlib-only mean (compressor 1)", "aigif_zlib_only_mean", "{:.2f}"),
    ("Table I baseline mean bytes", "baseline_mean", "{:.2f}"),
    ("Table I baseline mean, held-out rows", "baseline_mean_held_out", "{:.2f}"),
    ("ratio of means (AIGIF / baseline)", "ratio_of_means", "{:.3f}"),
    ("ratio of means, held-out rows", "ratio_of_means_held_out", "{:.3f}"),
    ("records where AIGIF is not smaller", "not_smaller", "{}"),
    ("text compressor picked", None, None),
)


def _cell(result: dict[str, Any], label: str, key: str | None, fmt: str | None) -> str:
    if key is not None:
        return fmt.format(result[key])
    if label.startswith("AIGIF min"):
        return f"{result['aigif_min']} / {result['aigif_max']}"
    return ", ".join(f"{name} {n}" for name, n in result["text_compressor_picked"].items())


def print_table(report: dict[str, Any]) -> None:
    runs = report["runs"]
    headers = [f"negative prompt: {name}" for name in runs]
    body = [[label, *(_cell(r, label, key, fmt) for r in runs.values())] for label, key, fmt in ROWS]
    title = (f"AIGIF v1 vs paper Table I layout, PartiPrompts (mean prompt {report['mean_prompt_bytes']:.1f} bytes),"
             f" AIGIF text compressor: {report['text_compressor']}")
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        print(title)
        for row in [["", *headers], *body]:
            print(f"{row[0]:<40}" + "".join(f"{c:>28}" for c in row[1:]))
        return
    table = Table(title=title)
    table.add_column("", no_wrap=True)
    for header in headers:
        table.add_column(header, justify="right")
    for row in body:
        table.add_row(*row)
    Console().print(table)


def compressor_arg(value: str) -> str | int:
    return value if value == "auto" else int(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partiprompts", default=DEFAULT_PARTIPROMPTS, type=Path, help="PartiPrompts.tsv")
    parser.add_argument("--text-compressor", default="auto", type=compressor_arg,
                        help="AIGIF text compressor: auto (encoder picks the smallest; default) or a code")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = parser.parse_args(argv)
    report = run(load_prompts(args.partiprompts), args.text_compressor)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_table(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
