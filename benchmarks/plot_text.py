"""Bar charts of bench_text's results: mean file size per set for the Table I baseline, AIGIF before
tag-context (compressors 0-2) and AIGIF now; and, for the sets timed, the decode time per record
(library pass) of each tag coder's text block, the whole AIGIF file and the Table I decoder, with the
50 us target. Needs matplotlib (not a project dependency).

    python -m benchmarks.bench_text --json > RESULTS.json
    python -m benchmarks.plot_text RESULTS.json OUT.png
"""
from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

SERIES = (("baseline_mean", "Table I baseline", "#bbbbbb"), ("aigif_before_mean", "AIGIF, compressors 0-2", "#7fa7d4"),
          ("aigif_mean", "AIGIF, smallest of all", "#1f5fa8"))


def main(argv: list[str] | None = None) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    report = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    sets = [(name, r) for name, r in report.items() if name != "machine"]
    timed = [(name, r["library_pass"]) for name, r in sets if "library_pass" in r]
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(14, 4.8), dpi=100, gridspec_kw={"width_ratios": [3, 2]})
    width = 0.26
    for k, (key, label, colour) in enumerate(SERIES):
        xs = [i + (k - 1) * width for i in range(len(sets))]
        bars = ax.bar(xs, [r[key] for _, r in sets], width, label=label, color=colour)
        ax.bar_label(bars, fmt="%.0f", fontsize=8)
    labels = [textwrap.fill(name, 24) + f"\nratio {r['ratio']:.3f}" for name, r in sets]
    ax.set_xticks(range(len(sets)), labels, fontsize=8)
    ax.set_ylabel("mean file size (bytes)")
    machine = report["machine"]
    ax.set_title(f"bench_text, {machine['date'][:10]}, {machine['cpu']}, {machine['python']}", fontsize=9)
    ax.legend(fontsize=8)
    decoders = [key[:-len("_decode_us")] for key in timed[0][1] if key.endswith("_decode_us")] if timed else []
    width = 0.8 / max(1, len(decoders))
    for k, name in enumerate(decoders):
        xs = [i + (k - (len(decoders) - 1) / 2) * width for i in range(len(timed))]
        bars = bx.bar(xs, [t[f"{name}_decode_us"] for _, t in timed], width,
                      label=name.replace("_text", " text block").replace("_file", " file").replace("_", "-"))
        bx.bar_label(bars, fmt="%.0f", fontsize=7)
    bx.axhline(50, color="#c03030", linestyle="--", linewidth=1, label="50 us target")
    bx.set_xticks(range(len(timed)), [textwrap.fill(name, 24) for name, _ in timed], fontsize=8)
    bx.set_ylabel("decode time per record, median (us)")
    bx.set_title("decode, library pass (each decoder in its own process)", fontsize=9)
    bx.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(args[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
