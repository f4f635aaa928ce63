"""Build spec/text/tag-lookup-v1.json, the tag-lookup v1 model (deterministic).

The vocabulary is tag-context-v1's (spec/text/tag-context-v1.json, checked against its sha256 in the
registry), so both coders tokenize alike. The tables are counted afresh on TRAIN_RECORDS synthetic
community-style records made by tools/build_tag_context_model.py's generator over the TRAINING split
of its sources (seed 13; the first 30,000 are tag-context-v1's training records): nothing held out by
that tool, by tools/build_text_eval.py (benchmarks/data/community-heldout.jsonl) or the odd
PartiPrompts rows is used. Sources, licences and the held-out rule: that tool's docstring and
/work/shared/data/README.md.

Tables (spec/text/tag-lookup.md): per field, greedy-token counts; order-0 = count + 1; a context after
p when p occurs >= CONTEXT_MIN_COUNT times, holding the successors seen >= SUCCESSOR_MIN_COUNT times and
ESC (count: escaped occurrences + number of kept successors), kept when it saves >= 64 bits on the
training records. Each table's total is 2**bits with bits the smallest (>= log2 of its size) whose code
length on the training counts is within 1/BITS_SLACK of that at 20 bits, at most CONTEXT_MAX_BITS for a
context (unless it has more entries): small tables get small slot lists, which the decoder indexes directly. Counts c_i of a table of m entries become frequencies
1 + floor(c_i (2**bits - m) / sum c), the remainder added to the largest count (lowest symbol on ties).

Running it twice writes byte-identical files. Usage:
    python tools/build_tag_lookup_model.py --clip-interrogator WHEEL [--out PATH]
(WHEEL: clip_interrogator-0.6.0-py3-none-any.whl, `pip download --no-deps clip-interrogator==0.6.0`.)
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Callable

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "tools"))

from build_tag_context_model import TRAIN_SEED, Generator, load_sources  # noqa: E402

from aigif_ref.codecs.tag_context import END, ESC, FIELDS, PhraseVocabulary  # noqa: E402
from aigif_ref.codecs.tag_lookup import MAX_TABLE_BITS, TagLookupModel  # noqa: E402
from aigif_ref.registry import default_registry  # noqa: E402

DEFAULT_OUT = REPO_ROOT / "spec" / "text" / "tag-lookup-v1.json"
VOCABULARY_CODE_NAME = "tag-context-v1"
TRAIN_RECORDS = 120000
CONTEXT_MIN_COUNT = 40
SUCCESSOR_MIN_COUNT = 3
CONTEXT_MIN_SAVING_BITS = 64
CONTEXT_MAX_BITS = 12  # a context table has at most 2**12 slots (the decoder's memory; ~1% in size)
BITS_SLACK = 32  # a table may cost at most 1/32 more bits on the training counts than at 20 bits


def vocabulary() -> tuple[list[bytes], str]:
    """tag-context-v1's phrases, from the model file the registry pins (and its sha256)."""
    entry = next(e for e in default_registry().data["enumerations"]["text_compressors"]
                 if e["name"] == VOCABULARY_CODE_NAME)
    data = (REPO_ROOT / entry["model_file"]).read_bytes()
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise SystemExit(f"{entry['model_file']} does not match its sha256 in the registry")
    return [p.encode("utf-8") for p in json.loads(data)["phrases"]], entry["sha256"]


def scale(counts: list[int], total: int) -> list[int]:
    """Integer frequencies >= 1 summing to total, in proportion to counts; the rest goes to the largest."""
    n, s = len(counts), sum(counts)
    freqs = [1 + c * (total - n) // s for c in counts]
    biggest = max(range(n), key=lambda i: (counts[i], -i))
    freqs[biggest] += total - sum(freqs)
    return freqs


def cost(counts: list[int], freqs: list[int], bits: int) -> float:
    return sum(c * (bits - math.log2(f)) for c, f in zip(counts, freqs) if c)


def quantize(counts: list[int], used: list[int], max_bits: int = MAX_TABLE_BITS) -> tuple[int, list[int]]:
    """(bits, frequencies): the smallest bits whose code length on ``used`` counts is near 20 bits'."""
    m = len(counts)
    low = max(1, (m - 1).bit_length())  # 2**bits >= m: every entry >= 1
    max_bits = max(low, max_bits)
    best = cost(used, scale(counts, 1 << MAX_TABLE_BITS), MAX_TABLE_BITS)
    for bits in range(low, max_bits + 1):
        freqs = scale(counts, 1 << bits)
        if cost(used, freqs, bits) <= best * (1 + 1 / BITS_SLACK) or bits == max_bits:
            return bits, freqs
    raise AssertionError("unreachable")


def bits_of(count: int, freq: int, bits: int) -> float:
    return count * (bits - math.log2(freq))


def count_symbols(vocab: PhraseVocabulary, records: list[tuple[str, str]], field: int) -> tuple[list[int], dict[int, Counter]]:
    """(unigram, bigram) greedy-token counts of one field, END included (the bigram keyed by the previous symbol)."""
    unigram = [0] * vocab.nsym
    bigram: dict[int, Counter] = defaultdict(Counter)
    for r in records:
        prev = END
        for sym in vocab.symbols(r[field].encode("utf-8")) + [END]:
            unigram[sym] += 1
            bigram[prev][sym] += 1
            prev = sym
    return unigram, bigram


def build_tables(vocab: PhraseVocabulary, records: list[tuple[str, str]]) -> list[dict]:
    nsym = vocab.nsym
    fields = []
    for field in range(FIELDS):
        unigram, bigram = count_symbols(vocab, records, field)
        present = [k for k in range(nsym) if k != ESC]
        o0_bits, o0_present = quantize([unigram[k] + 1 for k in present], [unigram[k] for k in present])
        o0 = [0] * nsym
        for k, f in zip(present, o0_present):
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
            escapes = n - sum(kept.values())
            syms = sorted(set(kept) | {ESC})
            counts = [kept[s] if s != ESC else escapes + len(kept) for s in syms]
            used = [kept[s] if s != ESC else escapes for s in syms]
            bits, freqs = quantize(counts, used, CONTEXT_MAX_BITS)
            f_of = dict(zip(syms, freqs))
            with_ctx = sum(bits_of(c, f_of[s], bits) if s in kept else bits_of(c, f_of[ESC], bits) + bits_of(c, o0[s], o0_bits)
                           for s, c in succ.items())
            without = sum(bits_of(c, o0[s], o0_bits) for s, c in succ.items())
            if without - with_ctx >= CONTEXT_MIN_SAVING_BITS:
                contexts.append({"after": prev, "bits": bits, "symbols": syms, "freqs": freqs})
        fields.append({"order0": {"bits": o0_bits, "freqs": o0}, "contexts": contexts})
    return fields


def build_model_file(argv: list[str] | None, description: str, default_out: Path, tool: str, model_class,
                     build: Callable[[PhraseVocabulary, list[tuple[str, str]]], list[dict]], training_note: str = "") -> tuple[str, list[dict]]:
    """The steps every builder of a tag-context-vocabulary model shares: arguments, sources, training records, the
    document (provenance and licence), a check that ``model_class`` loads it, the file; returns (text, fields)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--clip-interrogator", required=True, type=Path,
                        help="clip_interrogator-0.6.0-py3-none-any.whl (pip download --no-deps clip-interrogator==0.6.0)")
    parser.add_argument("--out", default=str(default_out), help="model file to write")
    parser.add_argument("--records", type=int, default=TRAIN_RECORDS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    phrases, vocab_sha = vocabulary()
    src = load_sources(args.clip_interrogator)
    print(f"counting greedy tokens of {args.records} training records ...", file=sys.stderr)
    train = Generator(src, "train", TRAIN_SEED).records(args.records)
    fields = build(PhraseVocabulary(phrases), train)
    doc = {
        "format": model_class.model_format,
        "version": model_class.model_version,
        "phrases": [p.decode("utf-8") for p in phrases],
        "fields": fields,
        "provenance": {
            "tool": tool,
            "vocabulary": f"the phrases of spec/text/tag-context-v1.json (sha256 {vocab_sha})",
            "training": f"{args.records} synthetic community-style records, seed {TRAIN_SEED}, from the training "
                        "split of tools/build_tag_context_model.py's sources (its docstring gives the generator "
                        "and the split)" + training_note,
            "sources_sha256": src["hashes"],
        },
        "license": "Apache-2.0, as the AIGIF project; derived from Danbooru tag counts (MIT, "
                   "DominikDoom/a1111-sd-webui-tagcomplete), DiffusionDB phrase counts (CC0-1.0, poloclub/diffusiondb), "
                   "clip-interrogator 0.6.0 phrase lists (MIT, pharmapsychotic), PartiPrompts (Apache-2.0, Google "
                   "Research) and AIGIF corpora B and C (CC0-1.0); their copyright notices apply to those parts",
    }
    text = json.dumps(doc, ensure_ascii=True, separators=(",", ":")) + "\n"
    model_class.from_json(text)
    Path(args.out).write_bytes(text.encode("ascii"))
    return text, fields


def main(argv: list[str] | None = None) -> int:
    text, fields = build_model_file(argv, __doc__.splitlines()[0], DEFAULT_OUT, "tools/build_tag_lookup_model.py",
                                    TagLookupModel, build_tables)
    slots = sum(1 << c["bits"] for f in fields for c in f["contexts"]) + sum(1 << f["order0"]["bits"] for f in fields)
    print(f"contexts {[len(f['contexts']) for f in fields]}, order-0 bits {[f['order0']['bits'] for f in fields]}, "
          f"decoder slots {slots}, model {len(text)} bytes, sha256 {hashlib.sha256(text.encode('ascii')).hexdigest()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
