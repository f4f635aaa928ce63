"""Text compressors on community-style prompts and PartiPrompts: file size against the paper's
Table I layout, and decode time against the paper-layout decoder in the same run.

Sets:
  community  benchmarks/data/community-eval.jsonl: 1,000 synthetic community-style records
             (tools/build_tag_context_model.py writes it from seed 1013 over all sources, including
             the ~10% of tags, phrases and list lines and the odd PartiPrompts rows the model never
             saw). Same generator family as the training data: IN-DOMAIN for tag-context-v1,
             tag-lookup-v1 and tag-prefix-v1 (whose tables are counted on more records of the same
             training split).
  held-out   benchmarks/data/community-heldout.jsonl: 1,000 records (tools/build_text_eval.py, seed
             2013) made only of held-out tags, phrases, list items and PartiPrompts rows, negatives
             rebuilt from held-out items, LoRA names and weights the training lists lack: an
             out-of-vocabulary, pessimistic estimate (still synthetic).
  parti      the 816 held-out PartiPrompts rows (odd 0-based rows), with an empty and with the usual
             long negative prompt (benchmarks/bench_size.py's records): in-domain for
             phrase-huffman-v1 (trained on the even rows), out of domain in style for the tag coders.
  tag-prefix-v1's one tuned constant (tools/build_tag_prefix_model.py, ORDER0_SMOOTHING) was chosen by
  comparing five values on the community and held-out sets, so its sizes there are slightly optimistic.

Each record gets bench_size's typical settings (SD 1.5, 512x512, DDIM 50, guidance 7.5, a seed).
"auto" is the shipped encoder (smallest of all codes); "before" is the smallest of codes 0..2 (the
project before tag-context, i.e. the 1.0 writer); "one coder" sizes are whole files written with one
tag coder for every record.

Decode time, per record: each coder's text block (decode_text), the whole AIGIF file and the Table I
baseline file, so that all see the same machine load; the per-record time is the median over rounds,
the figure the median over records, also given as a multiple of the Table I decoder's in the same mode.
Two modes (per_record_median_us): "library pass", the headline figure: each decoder in a fresh process
of its own decodes every record in one pass, taking turns by pass with the Table I decoder, as a tool
converting a folder does (only the model its files use is loaded; its tables warm from the records
before); "interleaved": all decoders in one process take turns per record, each on another record,
so none finds its tables warm (a cold-cache bound). Run from the repository root:

    python -m benchmarks.bench_text [--limit N] [--rounds N] [--json]
"""
from __future__ import annotations

import argparse
import gc
import json
import multiprocessing
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, Callable

from aigif_ref.api import decode as aigif_decode
from aigif_ref.api import encode as aigif_encode
from aigif_ref.codecs.text import TAG_CONTEXT_CODE, TAG_LOOKUP_CODE, TAG_PREFIX_CODE, decode_text, encode_text
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


# The phrase-vocabulary coders compared, by registry name (codes looked up, not copied).
CODERS = {"tag_context": TAG_CONTEXT_CODE, "tag_lookup": TAG_LOOKUP_CODE, "tag_prefix": TAG_PREFIX_CODE}


def per_record_median_us(functions: dict[str, Callable[[Any], Any]], inputs: dict[str, list[Any]],
                         rounds: int, interleave: bool) -> dict[str, float]:
    """Median over records of each function's median time over rounds.

    interleave=False ("library pass"): in each round every function decodes all records in one pass, the
    functions taking turns by pass (the order rotating by round), as a tool decodes a folder of files: a
    decoder finds the tables the records before used warm, its own, not another decoder's.
    interleave=True ("interleaved"): the functions take turns per record, each on another record, so that
    none finds the tables warm from another or from the same record: a cold-cache bound.
    """
    names = list(functions)
    count = len(inputs[names[0]])
    for name in names:
        functions[name](inputs[name][0])  # warm caches (models, compiled grammar)
    times = {name: [[0] * rounds for _ in range(count)] for name in names}  # by record
    clock = time.perf_counter_ns
    gc_was = gc.isenabled()
    gc.disable()
    try:
        for k in range(rounds):
            if interleave:
                for i in range(count):
                    for j, name in enumerate(names):
                        function, r = functions[name], (i + j * count // len(names)) % count
                        item = inputs[name][r]
                        start = clock()
                        function(item)
                        times[name][r][k] = clock() - start
            else:
                for name in names[k % len(names):] + names[:k % len(names)]:
                    function, items, record_times = functions[name], inputs[name], times[name]
                    for r in range(count):
                        item = items[r]
                        start = clock()
                        function(item)
                        record_times[r][k] = clock() - start
    finally:
        if gc_was:
            gc.enable()
    return {name: statistics.median(statistics.median(t) for t in times[name]) / 1000 for name in names}


def _library_pass_child(code: int | None, items: list[Any], baseline: list[bytes], rounds: int) -> dict[str, float]:
    """In a fresh interpreter: library passes of one decoder (a text coder's decode_text, or the whole-file decoder
    when code is None) taking turns with the Table I decoder; only the models that decoder needs get loaded."""
    function = aigif_decode if code is None else (lambda item: decode_text(code, *item))
    return per_record_median_us({"decoder": function, "baseline_file": paper_baseline.decode},
                                {"decoder": items, "baseline_file": baseline}, rounds, interleave=False)


def speeds(records: list[dict[str, Any]], rounds: int) -> dict[str, Any]:
    """Decode times (median per record, us) of each coder's text blocks, the whole AIGIF file and the Table I
    baseline file, and each as a multiple of the baseline decoder's in the same run.

    library_pass: each decoder in its own fresh process (as a tool converting a folder has only the model its
    files use loaded), its passes taking turns with the baseline decoder's. interleaved: all decoders in this
    process, taking turns per record (a cold-cache bound).
    """
    files = [aigif_encode(r) for r in records]
    strings = [[r["prompt"].encode()] + ([] if r["negative_prompt"] is None else [r["negative_prompt"].encode()])
               for r in records]
    baseline = [paper_baseline.encode(paper_baseline.from_aigif_record(r)) for r in records]
    blocks = {f"{name}_text": [(encode_text(code, s), len(s)) for s in strings] for name, code in CODERS.items()}
    out: dict[str, Any] = {"library_pass": {}}
    spawn = multiprocessing.get_context("spawn")
    for name, code, items in [*((n, CODERS[n[:-5]], b) for n, b in blocks.items()), ("aigif_file", None, files)]:
        with spawn.Pool(1) as pool:
            t = pool.apply(_library_pass_child, (code, items, baseline, rounds))
        out["library_pass"].update({f"{name}_decode_us": t["decoder"], f"{name}_x_baseline": t["decoder"] / t["baseline_file"],
                                    f"{name}_baseline_us": t["baseline_file"]})
    out["library_pass"]["baseline_file_decode_us"] = statistics.median(
        v for k, v in out["library_pass"].items() if k.endswith("_baseline_us"))
    functions: dict[str, Callable[[Any], Any]] = {
        f"{name}_text": (lambda code: lambda b: decode_text(code, *b))(code) for name, code in CODERS.items()}
    functions.update({"aigif_file": aigif_decode, "baseline_file": paper_baseline.decode})
    times = per_record_median_us(functions, {**blocks, "aigif_file": files, "baseline_file": baseline}, rounds, True)
    out["interleaved"] = {**{f"{name}_decode_us": t for name, t in times.items()},
                          **{f"{name}_x_baseline": times[name] / times["baseline_file"] for name in times}}
    return out


def text_sizes(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Mean bytes and ratio to the paper layout of whole files written with one coder for every record."""
    baseline = statistics.fmean(len(paper_baseline.encode(paper_baseline.from_aigif_record(r))) for r in records)
    out: dict[str, Any] = {}
    for name, code in CODERS.items():
        mean = statistics.fmean(len(aigif_encode({**r, "text_compressor": code})) for r in records)
        out[f"{name}_only_mean"], out[f"{name}_only_ratio"] = mean, mean / baseline
    return out


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
        "community (in-domain for the tag coders)": {
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
        print("  one coder for every file: " + ", ".join(
            f"{name.replace('_', '-')} {r[name + '_only_mean']:.1f} B (ratio {r[name + '_only_ratio']:.3f})"
            for name in CODERS))
        for mode in ("library_pass", "interleaved"):
            if mode in r:
                t = r[mode]
                print(f"  decode ({mode.replace('_', ' ')}), median per record: " + ", ".join(
                    f"{name.replace('_', '-')} text block {t[name + '_text_decode_us']:.1f} us "
                    f"({t[name + '_text_x_baseline']:.1f}x the baseline)" for name in CODERS)
                    + f", whole AIGIF file {t['aigif_file_decode_us']:.1f} us ({t['aigif_file_x_baseline']:.1f}x), "
                    f"Table I baseline {t['baseline_file_decode_us']:.1f} us")
    print(f"\nload average (1 min) at start {m['load_average_1m_at_start']:.2f}, at end {m['load_average_1m_at_end']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
