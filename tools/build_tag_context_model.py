"""Build spec/text/tag-context-v1.json, the tag-context v1 model (deterministic), and its evaluation set.

Sources (all licensed for this use; /work/shared/data/README.md gives provenance):
  danbooru-tags.csv        140k Danbooru tags with usage counts (MIT, a1111-sd-webui-tagcomplete)
  diffusiondb-phrases.json phrases with counts mined from DiffusionDB's 2M prompts (CC0 data)
  PartiPrompts.tsv         column Prompt, even 0-based rows only (Apache-2.0); odd rows are held out
  clip-interrogator wheel  clip_interrogator/data/*.txt phrase lists (MIT), read from the wheel that
                           `pip download --no-deps clip-interrogator==0.6.0` fetches (sha256 pinned below)
  spec/text/negative-prompt-corpus.txt   corpus B (CC0, this project)
  spec/text/community-prompt-corpus.txt  corpus C (CC0, this project): embeddings, LoRA names,
                                         weights, quality prefixes, community negative lists

No source holds real community prompts as sequences, so the script synthesizes community-style
records (prompt, negative prompt) from them with a seeded generator (tag-style prompts with
quality prefixes, weights "(tag:1.2)", LoRA tags "<lora:name:0.8>", BREAK; natural-language
prompts from DiffusionDB phrases, clip-interrogator flavors and artists; negatives from the
corpora's lists with embeddings and weights). Held out for evaluation only: Danbooru tags,
DiffusionDB phrases and clip-interrogator lines whose sha256 starts with a byte < 26 (about
10%), every 4th negative line of corpora B and C, and the odd PartiPrompts rows. The training
records come from seed TRAIN_SEED over the training part; the evaluation records (written to
--eval-out) from seed EVAL_SEED over all sources, so they use tags, phrases and lists the model
never saw.

Model (spec/text/tag-context.md): vocabulary selected from candidates in the case-folded
training strings by count * (bytes - 1); order-0 and order-1 counts from greedy tokenization of
the training strings, per field; frequencies scaled to 2**20 with every entry >= 1.

Running it twice writes byte-identical files. Usage:
    python tools/build_tag_context_model.py --clip-interrogator WHEEL [--out PATH] [--eval-out PATH]
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import math
import random
import re
import sys
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from aigif_ref.codecs.tag_context import (  # noqa: E402
    END, ESC, FIRST_PHRASE, MAX_PHRASE_BYTES, MODEL_FORMAT, MODEL_VERSION, TOTAL, TOTAL_BITS,
    TagContextModel, case_fold,
)

DATA = REPO_ROOT.parent / "shared" / "data"
CORPUS_B = REPO_ROOT / "spec" / "text" / "negative-prompt-corpus.txt"
CORPUS_C = REPO_ROOT / "spec" / "text" / "community-prompt-corpus.txt"
DEFAULT_OUT = REPO_ROOT / "spec" / "text" / "tag-context-v1.json"
DEFAULT_EVAL_OUT = REPO_ROOT / "benchmarks" / "data" / "community-eval.jsonl"
CLIP_WHEEL_SHA256 = "cd7c6bf9db170f005b4179e943fc1658aa0f8eebcc75ab3428b0a992aaeabd1c"  # clip_interrogator-0.6.0
TRAIN_SEED, EVAL_SEED = 13, 1013
TRAIN_RECORDS, EVAL_RECORDS = 30000, 1000
MAX_PHRASES = 32000
MIN_COUNT = 3
CONTEXT_MIN_COUNT = 40  # a previous symbol needs this many occurrences to get a context
SUCCESSOR_MIN_COUNT = 3
CONTEXT_MIN_SAVING_BITS = 64

CANDIDATE_RE = re.compile(
    rb"(?:, ?|,|^|\()[^,()<>:\n]{1,60}"  # an item with its separator: ", long hair"
    rb"|:-?[0-9.]+[)>]+"  # a weight and what closes it: ":1.2)", ":0.8>"
    rb"|, ?\(+|\(+|\)+|<lora:|, ?<lora:"  # structure
    rb"| ?[a-z\x01]+| ?[0-9]+| ?[^a-z0-9 ]"  # words, numbers, single characters
)
ITEM_RE = re.compile(rb"(?:^|, )[^,]+")
WORD_RE = re.compile(rb" ?(?:\x01?[a-z])+| ?[0-9]+")


def held_out(text: str) -> bool:
    return hashlib.sha256(text.encode("utf-8")).digest()[0] < 26


# ------------------------------------------------------------------------ sources
def load_sources(clip_wheel: Path) -> dict:
    tags = []
    with open(DATA / "danbooru-tags.csv", newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            tag, category, count = row[0], int(row[1]), int(row[2])
            if category in (0, 3, 4) and count >= 100:
                tags.append((tag, count))
    root = json.loads((DATA / "diffusiondb-phrases.json").read_text(encoding="utf-8"))
    phrases = []
    stack = [root]
    while stack:
        node = stack.pop()
        if "v" in node:
            phrases.append((node["n"], node["v"]))
        stack.extend(node.get("c", []))
    phrases.sort(key=lambda p: (-p[1], p[0]))
    with open(DATA / "PartiPrompts.tsv", encoding="utf-8", newline="") as handle:
        parti = [row["Prompt"] for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)]
    wheel = clip_wheel.read_bytes()
    if hashlib.sha256(wheel).hexdigest() != CLIP_WHEEL_SHA256:
        raise SystemExit(f"{clip_wheel}: not the pinned clip-interrogator 0.6.0 wheel (sha256 differs)")
    clip = {}
    with zipfile.ZipFile(io.BytesIO(wheel)) as archive:
        for name in ("flavors", "artists", "mediums", "movements", "negative"):
            text = archive.read(f"clip_interrogator/data/{name}.txt").decode("utf-8")
            clip[name] = [line.strip() for line in text.splitlines() if line.strip()]
    sections: dict[str, list[str]] = defaultdict(list)
    section = ""
    for line in CORPUS_C.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        else:
            sections[section].append(line)
    corpus_b = [line for line in CORPUS_B.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    # corpus B: the first 40 lines are negative prompts, the rest positive quality lines
    negatives = corpus_b[:40] + sections["negatives"]
    quality = corpus_b[40:] + sections["quality"]
    return {"tags": tags, "phrases": phrases, "parti": parti, "clip": clip, "sections": sections,
            "negatives": negatives, "quality": quality, "hashes": {
                "danbooru-tags.csv": hashlib.sha256((DATA / "danbooru-tags.csv").read_bytes()).hexdigest(),
                "diffusiondb-phrases.json": hashlib.sha256((DATA / "diffusiondb-phrases.json").read_bytes()).hexdigest(),
                "PartiPrompts.tsv": hashlib.sha256((DATA / "PartiPrompts.tsv").read_bytes()).hexdigest(),
                "clip-interrogator wheel": CLIP_WHEEL_SHA256,
                "negative-prompt-corpus.txt": hashlib.sha256(CORPUS_B.read_bytes()).hexdigest(),
                "community-prompt-corpus.txt": hashlib.sha256(CORPUS_C.read_bytes()).hexdigest()}}


class Generator:
    """Community-style (prompt, negative prompt) records from one split of the sources."""

    def __init__(self, src: dict, split: str, seed: int) -> None:
        keep = (lambda text: not held_out(text)) if split == "train" else (lambda text: True)
        self.rng = random.Random(seed)
        self.tags = [t for t in src["tags"] if keep(t[0])]
        self.tag_cum = self._cum([c for _, c in self.tags])
        self.phrases = [p for p in src["phrases"] if keep(p[0])]
        self.phrase_cum = self._cum([c for _, c in self.phrases])
        clip = {k: [x for x in v if keep(x)] for k, v in src["clip"].items()}
        self.clip = clip
        self.flavor_cum = self._cum([1 / (i + 20) for i in range(len(clip["flavors"]))])
        self.artist_cum = self._cum([1 / (i + 50) for i in range(len(clip["artists"]))])
        odd = 1 if split == "eval" else 0
        self.parti = src["parti"][odd::2]
        negatives = src["negatives"]
        self.negatives = [n for i, n in enumerate(negatives) if (i % 4 == 3) == (split == "eval")] or negatives
        if split == "eval":  # the evaluation set also uses the training lists, as real records share them
            self.negatives = negatives
        self.quality = src["quality"]
        s = src["sections"]
        self.embeddings, self.loras = s["embeddings"], s["loras"]
        self.lora_weights, self.weights = s["lora_weights"], s["weights"]
        self.neg_items = sorted({item.strip() for line in self.negatives for item in line.split(",")
                                 if item.strip() and "(" not in item and ")" not in item} | set(clip["negative"]))

    @staticmethod
    def _cum(weights):
        out, total = [], 0.0
        for w in weights:
            total += w ** 0.8 if w > 1 else w
            out.append(total)
        return out

    def tag(self) -> str:
        return self.rng.choices(self.tags, cum_weights=self.tag_cum)[0][0]

    def weighted(self, item: str) -> str:
        r = self.rng.random()
        if r < 0.10:
            return f"({item}:{self.rng.choice(self.weights)})"
        if r < 0.14:
            return f"({item})"
        if r < 0.16:
            return f"(({item}))"
        return item

    def lora(self) -> str:
        return f"<lora:{self.rng.choice(self.loras)}:{self.rng.choice(self.lora_weights)}>"

    def prompt(self) -> str:
        rng = self.rng
        style = rng.random()
        items: list[str] = []
        if style < 0.55:  # tag style
            if rng.random() < 0.8:
                items.append(rng.choice(self.quality))
            underscores = rng.random() < 0.15
            for _ in range(rng.randint(6, 28)):
                t = self.tag()
                items.append(self.weighted(t if underscores else t.replace("_", " ")))
            if rng.random() < 0.1:
                items.insert(rng.randint(1, len(items)), "BREAK")
        elif style < 0.85:  # phrase style
            if rng.random() < 0.5:
                items.append(rng.choice(self.quality))
            for _ in range(rng.randint(3, 14)):
                r = rng.random()
                if r < 0.45:
                    items.append(rng.choices(self.phrases, cum_weights=self.phrase_cum)[0][0])
                elif r < 0.8:
                    items.append(rng.choices(self.clip["flavors"], cum_weights=self.flavor_cum)[0])
                elif r < 0.9:
                    items.append("by " + rng.choices(self.clip["artists"], cum_weights=self.artist_cum)[0])
                else:
                    items.append(rng.choice(self.clip["mediums"] + self.clip["movements"]))
            items = [self.weighted(i) for i in items]
        else:  # a sentence, then phrases
            items.append(rng.choice(self.parti))
            for _ in range(rng.randint(0, 8)):
                items.append(rng.choices(self.clip["flavors"], cum_weights=self.flavor_cum)[0])
        if rng.random() < 0.45:
            items.extend(self.lora() for _ in range(rng.randint(1, 3)))
        sep = rng.choices([", ", ",", " , "], [0.9, 0.07, 0.03])[0]
        text = sep.join(items)
        if rng.random() < 0.15:
            text = text[:1].upper() + text[1:]
        return text

    def negative(self) -> str:
        rng = self.rng
        if rng.random() < 0.12:
            return ""
        items: list[str] = []
        if rng.random() < 0.5:
            items.extend(rng.sample(self.embeddings, rng.randint(1, 3)))
        items.append(rng.choice(self.negatives))
        if rng.random() < 0.5:
            items.append(rng.choice(self.negatives))
        if rng.random() < 0.7:
            items.extend(self.weighted(rng.choice(self.neg_items)) for _ in range(rng.randint(3, 16)))
        return ", ".join(items)

    def records(self, n: int) -> list[tuple[str, str]]:
        return [(self.prompt(), self.negative()) for _ in range(n)]


# ------------------------------------------------------------------------ model
def candidates(folded: list[bytes]) -> Counter:
    counts: Counter = Counter()
    for t in folded:
        counts.update(CANDIDATE_RE.findall(t))
        counts.update(m[1:] for m in re.findall(rb", [^,()<>:]+", t))  # the item with its ","
        counts.update(WORD_RE.findall(t))  # words inside items
        items = ITEM_RE.findall(t)  # runs of 2..4 items ("(worst quality:1.4), (low quality:1.4)"): fewer symbols
        for n in (2, 3, 4):
            counts.update(b"".join(items[i:i + n]) for i in range(len(items) - n + 1))
    pieces: Counter = Counter()  # word pieces, so that unseen words need few symbols
    for word, n in list(counts.items()):
        if WORD_RE.fullmatch(word) and len(word) > 3:
            core = word.lstrip(b" ")
            lead = word[:len(word) - len(core)]
            for k in range(2, len(core)):
                pieces[lead + core[:k]] += n
                pieces[core[-k:]] += n
                if k <= 4:
                    for i in range(1, len(core) - k):
                        pieces[core[i:i + k]] += n
    for piece, n in pieces.items():
        if n >= 5 * MIN_COUNT:
            counts[piece] = max(counts[piece], n // 4)
    return Counter({p: n for p, n in counts.items() if n >= MIN_COUNT and 2 <= len(p) <= MAX_PHRASE_BYTES})


def tokenizer(phrases: list[bytes]) -> TagContextModel:
    nsym = FIRST_PHRASE + len(phrases)
    flat = [1] * nsym
    flat[ESC] = 0
    flat[END] += TOTAL - (nsym - 1)
    return TagContextModel(phrases, [flat, flat], [[], []])


def select_phrases(counts: Counter, folded: list[bytes]) -> list[bytes]:
    ranked = sorted(counts, key=lambda p: (-counts[p] * (len(p) - 1), p))
    removed: set[bytes] = set()
    for _ in range(6):
        chosen = [p for p in ranked if p not in removed][:MAX_PHRASES]
        regex = tokenizer(chosen)._tokenizer
        used: Counter = Counter()
        for t in folded:
            used.update(regex.findall(t))
        weak = {p for p in chosen if used[p] < 2}
        if not weak:
            break
        removed |= weak
    chosen = [p for p in chosen if p not in weak]
    return sorted(chosen, key=lambda p: (-used[p], p))


def scale(counts: list[int]) -> list[int]:
    """Integer frequencies >= 1 summing to TOTAL, in proportion to counts; the rest goes to the largest."""
    n, s = len(counts), sum(counts)
    freqs = [1 + c * (TOTAL - n) // s for c in counts]
    biggest = max(range(n), key=lambda i: (counts[i], -i))
    freqs[biggest] += TOTAL - sum(freqs)
    return freqs


def bits(count: int, freq: int) -> float:
    return count * (TOTAL_BITS - math.log2(freq))


def build_model(records: list[tuple[str, str]]) -> tuple[list[bytes], list[dict]]:
    folded = [case_fold(s.encode("utf-8")) for r in records for s in r]
    phrases = select_phrases(candidates(folded), folded)
    model = tokenizer(phrases)
    nsym = model.nsym
    fields = []
    for field in range(2):
        unigram = [0] * nsym
        bigram: dict[int, Counter] = defaultdict(Counter)
        for r in records:
            prev = END
            for sym in model.symbols(r[field].encode("utf-8")) + [END]:
                unigram[sym] += 1
                bigram[prev][sym] += 1
                prev = sym
        counts0 = [c + 1 for c in unigram]
        counts0[ESC] = 0
        o0 = [0] * nsym
        present = [k for k in range(nsym) if k != ESC]
        for k, f in zip(present, scale([counts0[k] for k in present])):
            o0[k] = f
        contexts = []
        for prev in sorted(bigram):
            succ = bigram[prev]
            n = sum(succ.values())
            if n < CONTEXT_MIN_COUNT:
                continue
            kept = {s: c for s, c in succ.items() if c >= SUCCESSOR_MIN_COUNT}
            if not kept:
                continue
            escapes = n - sum(kept.values()) + len(kept)
            syms = sorted(kept) + [ESC]
            syms.sort()
            freqs = scale([kept.get(s, escapes) if s != ESC else escapes for s in syms])
            f_of = dict(zip(syms, freqs))
            with_ctx = sum(bits(c, f_of[s]) if s in kept else bits(c, f_of[ESC]) + bits(c, o0[s])
                           for s, c in succ.items())
            without = sum(bits(c, o0[s]) for s, c in succ.items())
            if without - with_ctx >= CONTEXT_MIN_SAVING_BITS:
                contexts.append({"after": prev, "symbols": syms, "freqs": freqs})
        fields.append({"order0": o0, "contexts": contexts})
    return phrases, fields


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip-interrogator", required=True, type=Path,
                        help="clip_interrogator-0.6.0-py3-none-any.whl (pip download --no-deps clip-interrogator==0.6.0)")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="model file to write")
    parser.add_argument("--eval-out", default=str(DEFAULT_EVAL_OUT), help="evaluation records to write (JSON lines)")
    args = parser.parse_args(argv)
    src = load_sources(args.clip_interrogator)
    train = Generator(src, "train", TRAIN_SEED).records(TRAIN_RECORDS)
    evaluation = Generator(src, "eval", EVAL_SEED).records(EVAL_RECORDS)
    phrases, fields = build_model(train)
    doc = {
        "format": MODEL_FORMAT,
        "version": MODEL_VERSION,
        "total_bits": TOTAL_BITS,
        "phrases": [p.decode("utf-8") for p in phrases],
        "fields": fields,
        "provenance": {
            "tool": "tools/build_tag_context_model.py",
            "training": f"{TRAIN_RECORDS} synthetic community-style records, seed {TRAIN_SEED}, from the "
                        "training split of the sources (the tool's docstring gives the generator and the split)",
            "sources_sha256": src["hashes"],
        },
        "license": "Apache-2.0, as the AIGIF project; derived from Danbooru tag counts (MIT, "
                   "DominikDoom/a1111-sd-webui-tagcomplete), DiffusionDB phrase counts (CC0-1.0, poloclub/diffusiondb), "
                   "clip-interrogator 0.6.0 phrase lists (MIT, pharmapsychotic), PartiPrompts (Apache-2.0, Google "
                   "Research) and AIGIF corpora B and C (CC0-1.0); their copyright notices apply to those parts",
    }
    text = json.dumps(doc, ensure_ascii=True, separators=(",", ":")) + "\n"
    Path(args.out).write_bytes(text.encode("ascii"))
    TagContextModel.from_json(text)
    eval_path = Path(args.eval_out)
    eval_path.parent.mkdir(parents=True, exist_ok=True)
    eval_path.write_text("".join(json.dumps({"prompt": p, "negative_prompt": n}, ensure_ascii=False) + "\n"
                                 for p, n in evaluation), encoding="utf-8")
    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    print(f"phrases {len(phrases)}, contexts {[len(f['contexts']) for f in fields]}, "
          f"model {len(text)} bytes, sha256 {hashlib.sha256(text.encode('ascii')).hexdigest()}")
    print(f"eval: prompt {mean([len(p) for p, _ in evaluation]):.0f} chars, negative "
          f"{mean([len(n) for _, n in evaluation]):.0f} chars; train prompt {mean([len(p) for p, _ in train]):.0f}, "
          f"negative {mean([len(n) for _, n in train]):.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
