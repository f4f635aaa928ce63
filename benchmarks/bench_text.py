"""Text compressors on community-style prompts and PartiPrompts: file size against the paper's
Table I layout, and decode time against the paper-layout decoder in the same run.

Sets:
  community  benchmarks/data/community-eval.jsonl: 1,000 synthetic community-style records
             (tools/build_tag_context_model.py writes it from seed 1013 over all sources, including
             the ~10% of tags, phrases and list lines and the odd PartiPrompts rows the model never
             saw). Same generator family as the training data: IN-DOMAIN for tag-context-v1 and
             tag-lookup-v1 (whose tables are counted on more records of the same training split).
  held-out   benchmarks/data/community-heldout.jsonl: 1,000 records (tools/build_text_eval.py, seed
             2013) made only of held-out tags, phrases, list items and PartiPrompts rows, negatives
             rebuilt from held-out items, LoRA names and weights the training lists lack: an
             out-of-vocabulary, pessimistic estimate (still synthetic).
  parti      the 816 held-out PartiPrompts rows (odd 0-based rows), with an empty and with the usual
             long negative prompt (benchmarks/bench_size.py's records): in-domain for
             phrase-huffman-v1 (trained on the even rows), out of domain in style for tag-context-v1.

Each record gets bench_size's typical settings (SD 1.5, 512x512, DDIM 50, guidance 7.5, a seed).
"auto" is the shipped encoder (smallest of all codes); "before" is the smallest of codes 0..2 (the
project before tag-context, i.e. the 1.0 writer); "one coder" sizes are whole files written with
tag-lookup-v1 (or tag-context-v1) for every record. Decode time: each record decoded once per round by
each decoder in turn (tag-lookup and tag-context text blocks, whole AIGIF file, Table I baseline
file, each on a different record so that none finds the model tables warm from another), so that all
see the same machine load; the per-record time is the median over rounds, the figure the median over
records, also given as a multiple of the Table I decoder's. Run from the repository root:

    python -m benchmarks.bench_text [--limit N] [--rounds N] [--json]
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable

from aigif_ref.api import decode as aigif_decode
from aigif_ref.api import encode as aigif_encode
from aigif_ref.codecs.text import TAG_CONTEXT_CODE, TAG_LOOKUP_CODE, decode_text, encode_text
from aigif_ref.grammar.aigif import parse_file
from aigif_ref.registry import REPO_ROOT
from benchmarks import paper_baseline
from benchmarks.bench_size import DEFAULT_PARTIPROMPTS, NEGATIVES, held_out, load_prompts, typical_records
from benchmarks.bench_speed import machine_info

COMMUNITY = REPO_ROOT / "benchmarks" / "data" / "community-eval.jsonl"
HELDOUT = REPO_ROOT / "benchmarks" / "data" / "community-heldout.jsonl"
BEFORE_CODES = (0, 1, 2)


def community_records(limit: int | None = None, path: Path = COMMUNITY) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()][:limit]
    records = typical_records([r["prompt"] for r in rows], None)
    return [{**rec, "negative_prompt": row["negative_prompt"]} for rec, row in zip(records, rows)]


def smallest_file(record: dict[str, Any], codes: tuple[int, ...]) -> bytes:
    return min((aigif_encode({**record, "text_compressor": c}) for c in codes), key=len)


def sizes(records: list[dict[str, Any]]) -> dict[str, Any]:
    auto = [aigif_encode(r) for r in records]
    before = [len(smallest_file(r, BEFORE_CODES)) for r in records]
    baseline = [len(paper_baseline.encode(paper_baseline.from_aigif_record(r))) for r in records]
    picked = Counter(parse_file(d)["text"]["text_compressor"] for d in auto)
    mean = statistics.fmean
    return {
        "records": len(records),
        "prompt_chars_mean": mean(len(r["prompt"]) for r in records),
        "negative_chars_mean": mean(len(r["negative_prompt"] or "") for r in records),
        "aigif_mean": mean(map(len, auto)),
        "aigif_before_mean": mean(before),
        "baseline_mean": mean(baseline),
        "ratio": mean(map(len, auto)) / mean(baseline),
        "ratio_before": mean(before) / mean(baseline),
        "text_compressor_picked": {str(k): v for k, v in sorted(picked.items())},
    }


def per_record_median_us(functions: dict[str, Callable[[Any], Any]], inputs: dict[str, list[Any]],
                         rounds: int) -> dict[str, float]:
    """Median over records of each function's median time over rounds; the functions take turns per record."""
    names = list(functions)
    count = len(inputs[names[0]])
    for name in names:
        functions[name](inputs[name][0])  # warm caches (models, compiled grammar)
    times = {name: [[0] * rounds for _ in range(count)] for name in names}  # by record
    gc_was = gc.isenabled()
    gc.disable()
    try:
        for k in range(rounds):
            for i in range(count):
                for j, name in enumerate(names):  # each on another record: no decoder finds another's tables warm
                    function, item = functions[name], inputs[name][(i + j * count // len(names)) % count]
                    start = time.perf_counter_ns()
                    function(item)
                    times[name][(i + j * count // len(names)) % count][k] = time.perf_counter_ns() - start
    finally:
        if gc_was:
            gc.enable()
    return {name: statistics.median(statistics.median(t) for t in times[name]) / 1000 for name in names}


def speeds(records: list[dict[str, Any]], rounds: int) -> dict[str, float]:
    """Decode times (median per record, us) of the two context coders' text blocks, the whole AIGIF file and the
    Table I baseline file, taking turns; and each coder's time as a multiple of the baseline decoder's."""
    files = [aigif_encode(r) for r in records]
    strings = [[r["prompt"].encode()] + ([] if r["negative_prompt"] is None else [r["negative_prompt"].encode()])
               for r in records]
    baseline = [paper_baseline.encode(paper_baseline.from_aigif_record(r)) for r in records]
    coders = {"tag_context_text_decode_us": TAG_CONTEXT_CODE, "tag_lookup_text_decode_us": TAG_LOOKUP_CODE}
    functions: dict[str, Callable[[Any], Any]] = {
        name: (lambda code: lambda b: decode_text(code, *b))(code) for name, code in coders.items()}
    inputs: dict[str, list[Any]] = {name: [(encode_text(code, s), len(s)) for s in strings]
                                    for name, code in coders.items()}
    functions.update({"aigif_decode_us": aigif_decode, "baseline_decode_us": paper_baseline.decode})
    inputs.update({"aigif_decode_us": files, "baseline_decode_us": baseline})
    times = per_record_median_us(functions, inputs, rounds)
    for name in coders:
        times[name.replace("_us", "_x_baseline")] = times[name] / times["baseline_decode_us"]
    return times


def text_sizes(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean bytes and ratio to the paper layout of whole files written with one coder (tag-lookup-v1)."""
    lookup = [len(aigif_encode({**r, "text_compressor": TAG_LOOKUP_CODE})) for r in records]
    context = [len(aigif_encode({**r, "text_compressor": TAG_CONTEXT_CODE})) for r in records]
    baseline = statistics.fmean(len(paper_baseline.encode(paper_baseline.from_aigif_record(r))) for r in records)
    return {"tag_lookup_only_mean": statistics.fmean(lookup), "tag_lookup_only_ratio": statistics.fmean(lookup) / baseline,
            "tag_context_only_mean": statistics.fmean(context),
            "tag_context_only_ratio": statistics.fmean(context) / baseline}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partiprompts", default=DEFAULT_PARTIPROMPTS, type=Path)
    parser.add_argument("--limit", type=int, default=None, help="use only the first N community records")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    community = community_records(args.limit)
    heldout = community_records(args.limit, HELDOUT)
    prompts = load_prompts(args.partiprompts)
    parti_held = [p for i, p in enumerate(prompts) if held_out(i)]
    load_before = os.getloadavg()[0]
    report = {
        "machine": {**machine_info(), "load_average_1m_at_start": load_before},
        "community (in-domain for tag-context-v1 and tag-lookup-v1)": {
            **sizes(community), **text_sizes(community), **speeds(community, args.rounds)},
        "community held-out items (out of vocabulary)": {
            **sizes(heldout), **text_sizes(heldout), **speeds(heldout, args.rounds)},
        **{f"partiprompts held-out, {name} negative": {**sizes(recs), **text_sizes(recs)}
           for name, negative in NEGATIVES.items() for recs in [typical_records(parti_held, negative)]},
    }
    report["machine"]["load_average_1m_at_end"] = os.getloadavg()[0]
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    m = report["machine"]
    print(f"{m['cpu']} | {m['python']} | {m['date']}")
    for name, r in report.items():
        if name == "machine":
            continue
        print(f"\n{name}: {r['records']} records, prompt {r['prompt_chars_mean']:.0f} chars, "
              f"negative {r['negative_chars_mean']:.0f} chars")
        print(f"  AIGIF {r['aigif_mean']:.1f} B (before tag-context {r['aigif_before_mean']:.1f} B), "
              f"Table I baseline {r['baseline_mean']:.1f} B, ratio {r['ratio']:.3f} (before {r['ratio_before']:.3f})")
        print(f"  text compressor picked: {r['text_compressor_picked']}")
        print(f"  one coder for every file: tag-lookup {r['tag_lookup_only_mean']:.1f} B (ratio "
              f"{r['tag_lookup_only_ratio']:.3f}), tag-context {r['tag_context_only_mean']:.1f} B (ratio "
              f"{r['tag_context_only_ratio']:.3f})")
        if "aigif_decode_us" in r:
            print(f"  decode, median per record: tag-lookup text block {r['tag_lookup_text_decode_us']:.1f} us "
                  f"({r['tag_lookup_text_decode_x_baseline']:.1f}x the baseline decoder), tag-context text block "
                  f"{r['tag_context_text_decode_us']:.1f} us ({r['tag_context_text_decode_x_baseline']:.1f}x), "
                  f"whole AIGIF file {r['aigif_decode_us']:.1f} us, Table I baseline {r['baseline_decode_us']:.1f} us "
                  f"(load average {os.getloadavg()[0]:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
