"""Build benchmarks/data/community-heldout.jsonl: community-style records made only of what the
tag-context model never saw in training (deterministic).

tools/build_tag_context_model.py trains on synthetic records from the training split of its sources and
writes community-eval.jsonl from the same generator over all sources (in-domain). This set is harder:
  - items come from the held-out split only: Danbooru tags, DiffusionDB phrases and clip-interrogator
    lines whose sha256 starts with a byte < 26 (held_out() of the build tool), the odd PartiPrompts rows
    and the held-out quarter of the negative lists (every 4th line of corpora B and C);
  - negatives are rebuilt from the held-out lists' items, shuffled and partly weighted, instead of whole
    list lines, and are longer (about the 352 characters of the real records in issue 13);
  - LoRA names are made from held-out tags (`<lora:some_character_v2:0.7>`), weights include values
    the training lists lack (1.15, 0.85, 1.25, 0.6);
  - separators and case vary more (",", " , ", "BREAK", a capitalised first word).
It is still synthetic: no licensed source holds real community prompts. The figures on it are a
pessimistic, out-of-vocabulary estimate; community-eval.jsonl is the in-domain one.

Usage: python tools/build_text_eval.py --clip-interrogator WHEEL [--out PATH] [--records N]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "tools"))

from build_tag_context_model import Generator, held_out, load_sources  # noqa: E402

DEFAULT_OUT = REPO_ROOT / "benchmarks" / "data" / "community-heldout.jsonl"
SEED, RECORDS = 2013, 1000
EXTRA_WEIGHTS = ["1.15", "0.85", "1.25", "0.6", "1.35", "0.95"]
LORA_SUFFIXES = ["", "_v1", "_v2", "-10", "_lora", "V3", "_xl", "-000008"]


class HeldOutGenerator(Generator):
    """The build tool's generator restricted to held-out items, with the differences listed above."""

    def __init__(self, src: dict, seed: int) -> None:
        super().__init__(src, "eval", seed)
        self.tags = [t for t in self.tags if held_out(t[0])]
        self.tag_cum = self._cum([c for _, c in self.tags])
        self.phrases = [p for p in self.phrases if held_out(p[0])]
        self.phrase_cum = self._cum([c for _, c in self.phrases])
        self.clip = {k: [x for x in v if held_out(x)] or v for k, v in self.clip.items()}
        self.flavor_cum = self._cum([1 / (i + 20) for i in range(len(self.clip["flavors"]))])
        self.artist_cum = self._cum([1 / (i + 50) for i in range(len(self.clip["artists"]))])
        self.negatives = [n for i, n in enumerate(src["negatives"]) if i % 4 == 3]
        self.neg_items = sorted({item.strip().strip("()").split(":")[0] for line in self.negatives
                                 for item in line.split(",") if item.strip()} | set(self.clip["negative"]))
        self.weights = self.weights + EXTRA_WEIGHTS
        self.loras = [self.tags[i][0].replace(" ", "_") + self.rng.choice(LORA_SUFFIXES)
                      for i in range(0, len(self.tags), max(1, len(self.tags) // 200))]

    def prompt(self) -> str:
        text = super().prompt()
        r = self.rng.random()
        if r < 0.1:
            text = text.replace(", ", " , ", 2)
        elif r < 0.2:
            text = text.replace(", ", ",\n", 1)
        return text

    def negative(self) -> str:
        rng = self.rng
        if rng.random() < 0.08:
            return ""
        items: list[str] = []
        if rng.random() < 0.6:
            items.extend(rng.sample(self.embeddings, rng.randint(1, 3)))
        items.extend(self.weighted(rng.choice(self.neg_items)) for _ in range(rng.randint(12, 40)))
        return ", ".join(items)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip-interrogator", required=True, type=Path,
                        help="clip_interrogator-0.6.0-py3-none-any.whl (pip download --no-deps clip-interrogator==0.6.0)")
    parser.add_argument("--out", default=str(DEFAULT_OUT))
    parser.add_argument("--records", type=int, default=RECORDS)
    args = parser.parse_args(argv)
    records = HeldOutGenerator(load_sources(args.clip_interrogator), SEED).records(args.records)
    Path(args.out).write_text("".join(json.dumps({"prompt": p, "negative_prompt": n}, ensure_ascii=False) + "\n"
                                      for p, n in records), encoding="utf-8")
    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    print(f"{len(records)} records: prompt {mean([len(p) for p, _ in records]):.0f} chars, "
          f"negative {mean([len(n) for _, n in records]):.0f} chars")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
