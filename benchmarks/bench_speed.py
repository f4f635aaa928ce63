"""Time per file of the AIGIF v1 reference and the Table I baseline, on PartiPrompts.

Same records as bench_size (empty and long negative prompt). Each operation runs
over all records of a run once per round, timed with time.perf_counter_ns with
the garbage collector off (as timeit does); the figure is the median round
divided by the number of records. Run from the repository root:

    python -m benchmarks.bench_speed [--partiprompts PATH] [--rounds N] [--limit N]
                                     [--text-compressor auto|0|1|2] [--json] [--profile OP]
"""
from __future__ import annotations

import argparse
import cProfile
import datetime
import gc
import json
import platform
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

from aigif_ref.api import decode as aigif_decode
from aigif_ref.api import encode as aigif_encode
from aigif_ref.grammar.aigif import build_file, parse_file
from benchmarks import paper_baseline
from benchmarks.bench_size import DEFAULT_PARTIPROMPTS, NEGATIVES, compressor_arg, load_prompts, typical_records, with_compressor

PAPER_US = 300.0  # Table III: 0.0003 s per file, entropy coding and decoding alike
PARSE_TARGET_US = 30.0


def machine_info() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


def operations(records: list[dict[str, Any]], compressor: str | int) -> dict[str, tuple[Callable[[Any], Any], list[Any], str]]:
    """Name -> (function, inputs, what it is compared with: "decode" or "encode")."""
    json_records = [with_compressor(r, compressor) for r in records]
    files = [aigif_encode(r) for r in json_records]
    syntax = [parse_file(data) for data in files]
    baseline_records = [paper_baseline.from_aigif_record(r) for r in records]
    baseline_files = [paper_baseline.encode(r) for r in baseline_records]
    # Time only operations that round-trip: a fast wrong answer is no benchmark.
    if [build_file(s) for s in syntax] != files or [paper_baseline.decode(d) for d in baseline_files] != baseline_records:
        raise RuntimeError("a round trip failed; the timings would be meaningless")
    return {
        "aigif parse": (parse_file, files, "decode"),  # bytes -> syntax record
        "aigif decode": (aigif_decode, files, "decode"),  # + registry checks, canonical JSON record
        "aigif build": (build_file, syntax, "encode"),  # syntax record -> bytes
        "aigif encode": (aigif_encode, json_records, "encode"),  # JSON record -> bytes (schema, registry)
        "baseline decode": (paper_baseline.decode, baseline_files, "decode"),
        "baseline encode": (paper_baseline.encode, baseline_records, "encode"),
    }


def time_per_item_us(function: Callable[[Any], Any], inputs: list[Any], rounds: int) -> tuple[float, float]:
    """(median, best) over rounds of one pass over inputs, in microseconds per item."""
    function(inputs[0])  # warm caches (compiled grammar, registry, schema validator)
    samples = []
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(rounds):
            start = time.perf_counter_ns()
            for item in inputs:
                function(item)
            samples.append((time.perf_counter_ns() - start) / len(inputs))
    finally:
        if gc_was_enabled:
            gc.enable()
    return statistics.median(samples) / 1000, min(samples) / 1000


def measure(records: list[dict[str, Any]], compressor: str | int, rounds: int) -> dict[str, Any]:
    ops = operations(records, compressor)
    us = {name: time_per_item_us(function, inputs, rounds) for name, (function, inputs, _) in ops.items()}
    result = {}
    for name, (_, _, kind) in ops.items():
        median, best = us[name]
        result[name] = {
            "us_per_file": median,
            "paper_over_this": PAPER_US / median,
            "this_over_baseline": median / us[f"baseline {kind}"][0],
            "us_per_file_best_round": best,
        }
    return result


def run(prompts: list[str], compressor: str | int, rounds: int) -> dict[str, Any]:
    runs = {name: measure(typical_records(prompts, negative), compressor, rounds) for name, negative in NEGATIVES.items()}
    parse = [r["aigif parse"]["us_per_file"] for r in runs.values()]
    return {
        "machine": machine_info(),
        "records_per_run": len(prompts),
        "rounds": rounds,
        "text_compressor": compressor,
        "paper_us_per_file": PAPER_US,
        "parse_target_us": PARSE_TARGET_US,
        "parse_target_met": max(parse) < PARSE_TARGET_US,
        "runs": runs,
    }


def print_report(report: dict[str, Any]) -> None:
    machine = report["machine"]
    lines = [
        f"{machine['cpu']} | {machine['platform']} | {machine['python']} | {machine['date']}",
        f"{report['records_per_run']} records per run, median of {report['rounds']} rounds,"
        f" AIGIF text compressor: {report['text_compressor']}",
    ]
    headers = ["operation", "negative prompt", "us per file", "paper 300 us / this", "this / baseline"]
    runs = report["runs"]
    body = [
        [op, negative, *(f"{runs[negative][op][key]:.2f}" for key in ("us_per_file", "paper_over_this", "this_over_baseline"))]
        for op in next(iter(runs.values()))
        for negative in runs
    ]
    met = "met" if report["parse_target_met"] else "NOT met"
    footer = f"parse target < {report['parse_target_us']:.0f} us per file (both runs): {met}"
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        print(*lines, sep="\n")
        for row in [headers, *body]:
            print(f"{row[0]:<16}" + "".join(f"{c:>20}" for c in row[1:]))
        print(footer)
        return
    table = Table(title="AIGIF v1 speed vs paper (Table III) and the Table I baseline", caption=footer)
    for i, header in enumerate(headers):
        table.add_column(header, justify="left" if i < 2 else "right", no_wrap=i == 0)
    for row in body:
        table.add_row(*row)
    console = Console()
    console.print(*lines, sep="\n")
    console.print(table)


def profile(records: list[dict[str, Any]], compressor: str | int, op_prefix: str, top: int = 20) -> None:
    """cProfile one operation over all records; print the functions with the most own time."""
    matches = [(name, op) for name, op in operations(records, compressor).items() if name.startswith(op_prefix)]
    if not matches:
        raise SystemExit(f"no operation starts with {op_prefix!r}")
    name, (function, inputs, _) = matches[0]
    profiler = cProfile.Profile()
    profiler.enable()
    for item in inputs:
        function(item)
    profiler.disable()
    print(f"cProfile: {name}, {len(inputs)} files")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partiprompts", default=DEFAULT_PARTIPROMPTS, type=Path, help="PartiPrompts.tsv")
    parser.add_argument("--rounds", type=int, default=5, help="timed passes per operation (median taken)")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N prompts")
    parser.add_argument("--text-compressor", default="auto", type=compressor_arg,
                        help="AIGIF text compressor: auto (encoder picks the smallest; default) or a code")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    parser.add_argument("--profile", metavar="OP", help="cProfile one operation instead (e.g. 'aigif parse'), long negative prompt")
    args = parser.parse_args(argv)
    prompts = load_prompts(args.partiprompts)[: args.limit]
    if args.profile:
        profile(typical_records(prompts, NEGATIVES["long"]), args.text_compressor, args.profile)
        return 0
    report = run(prompts, args.text_compressor, args.rounds)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
