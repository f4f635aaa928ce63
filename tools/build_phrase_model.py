"""Build spec/text/phrase-huffman-v1.json, the phrase-Huffman v1 model (deterministic).

Training data:
  A. PartiPrompts (Google Research, Apache-2.0), column "Prompt", data rows with an even
     0-based index only; the odd rows are held out for benchmarks.
  B. spec/text/negative-prompt-corpus.txt (AIGIF project, CC0-1.0), lines not
     starting with "#".

Steps (spec/text/phrase-huffman.md, "Training"):
  1. Phrase candidates (>= 2 and <= 64 bytes): the tokens of WORD_RE (a word, a
     number or one other character, each with an optional leading space), word
     bigrams of A, the comma-separated items of B (the first bare, the others with
     their leading ","), each occurring >= 2 times in the training strings; and
     word pieces (proper prefixes, with the word's leading space, and proper
     suffixes of >= 2 letters) occurring >= 5 times.
  2. Rank by estimated saving (count * (bytes - 1)), then bytes; keep the best
     MAX_PHRASES. Drop any that greedy tokenization of the training strings never
     uses, refill from the ranking, repeat until all are used. List the result by
     descending count, then bytes.
  3. Frequencies: greedy-tokenize every training string (END once per string),
     add 1 to every symbol. Huffman code lengths by heapq with ties broken by a
     sequence number (leaves: the symbol); while the longest code exceeds 15
     bits, halve every frequency (max(1, f // 2)) and rebuild.

Running it twice writes a byte-identical file. Usage:
    python tools/build_phrase_model.py [--partiprompts PATH] [--out PATH]
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import heapq
import json
import re
import sys
import zlib
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from aigif_ref.codecs.phrase_huffman import (  # noqa: E402
    END, FIRST_PHRASE, MAX_CODE_LENGTH, MAX_PHRASE_BYTES, MODEL_FORMAT, MODEL_VERSION, PhraseHuffmanModel,
)

DEFAULT_PARTIPROMPTS = "../shared/data/PartiPrompts.tsv"
CORPUS_B = REPO_ROOT / "spec" / "text" / "negative-prompt-corpus.txt"
DEFAULT_OUT = REPO_ROOT / "spec" / "text" / "phrase-huffman-v1.json"

WORD_RE = re.compile(r" ?[A-Za-z]+| ?[0-9]+| ?[^A-Za-z0-9 ]| ")
WORD_ONLY_RE = re.compile(r" ?[A-Za-z]+")
MIN_COUNT = 2  # words, numbers, bigrams, corpus B items
MIN_PIECE_COUNT = 5  # word prefixes and suffixes
MAX_PHRASES = 2000


def load_partiprompts(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as handle:
        return [row["Prompt"] for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)]


def load_corpus_b(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("#")]


def candidates(train_a: list[str], train_b: list[str]) -> Counter:
    """Candidate phrases (UTF-8 bytes, >= 2 bytes) -> occurrence count in the training strings."""
    counts: Counter = Counter()
    for text in train_a + train_b:
        counts.update(WORD_RE.findall(text))
    for text in train_a:  # word bigrams (" of the", " on a", ...)
        words = WORD_ONLY_RE.findall(text)
        counts.update(a + b for a, b in zip(words, words[1:]) if a + b in text)
    for text in train_b:  # comma-separated items: the first bare, the others with their leading ","
        items = text.split(",")
        counts[items[0]] += 1
        counts.update("," + item for item in items[1:])
    pieces: Counter = Counter()  # word pieces: proper prefixes (with the leading space) and suffixes
    for text in train_a + train_b:
        for word in WORD_ONLY_RE.findall(text):
            core = word.lstrip(" ")
            lead = word[:len(word) - len(core)]
            for n in range(2, len(core)):
                pieces[lead + core[:n]] += 1
                pieces[core[-n:]] += 1
    out: Counter = Counter()
    for phrase, n in counts.items():
        if n >= MIN_COUNT:
            out[phrase.encode("utf-8")] = n
    for phrase, n in pieces.items():
        if n >= MIN_PIECE_COUNT and counts[phrase] < MIN_COUNT:
            out[phrase.encode("utf-8")] = n
    return Counter({p: n for p, n in out.items() if 2 <= len(p) <= MAX_PHRASE_BYTES})


def select_phrases(counts: Counter, training: list[bytes]) -> list[bytes]:
    """The best MAX_PHRASES candidates that greedy tokenization of the training strings uses."""
    ranked = sorted(counts, key=lambda p: (-counts[p] * (len(p) - 1), p))
    removed: set[bytes] = set()
    while True:
        chosen = [p for p in ranked if p not in removed][:MAX_PHRASES]
        tokenizer = PhraseHuffmanModel(chosen, huffman_lengths([1] * (FIRST_PHRASE + len(chosen))))
        used = set()
        for s in training:
            used.update(tokenizer.tokenize(s))
        unused = set(chosen) - used
        if not unused:
            return sorted(chosen, key=lambda p: (-counts[p], p))
        removed |= unused


def huffman_lengths(freqs: list[int], max_length: int = MAX_CODE_LENGTH) -> list[int]:
    freqs = list(freqs)
    while True:
        heap = [(f, sym, sym) for sym, f in enumerate(freqs)]  # (weight, sequence, node)
        heapq.heapify(heap)
        children: dict[int, tuple[int, int]] = {}
        seq = len(freqs)
        while len(heap) > 1:
            f1, _, a = heapq.heappop(heap)
            f2, _, b = heapq.heappop(heap)
            children[seq] = (a, b)
            heapq.heappush(heap, (f1 + f2, seq, seq))
            seq += 1
        lengths = [0] * len(freqs)
        stack = [(heap[0][2], 0)]
        while stack:
            node, depth = stack.pop()
            if node in children:
                stack.extend((c, depth + 1) for c in children[node])
            else:
                lengths[node] = depth
        if max(lengths) <= max_length:
            return lengths
        freqs = [max(1, f // 2) for f in freqs]


def symbol_frequencies(model: PhraseHuffmanModel, strings: list[bytes]) -> list[int]:
    freqs = [1] * len(model.tokens)
    for s in strings:
        for sym in model.symbols(s):
            freqs[sym] += 1
        freqs[END] += 1
    return freqs


def build(partiprompts: Path) -> tuple[dict, PhraseHuffmanModel, list[str]]:
    prompts = load_partiprompts(partiprompts)
    train_a = prompts[0::2]
    held_out = prompts[1::2]
    train_b = load_corpus_b(CORPUS_B)
    training = [t.encode("utf-8") for t in train_a + train_b]
    phrases = select_phrases(candidates(train_a, train_b), training)
    # a provisional model only to tokenize (tokenization does not depend on code lengths)
    provisional = PhraseHuffmanModel(phrases, huffman_lengths([1] * (FIRST_PHRASE + len(phrases))))
    lengths = huffman_lengths(symbol_frequencies(provisional, training))
    doc = {
        "format": MODEL_FORMAT,
        "version": MODEL_VERSION,
        "max_code_length": MAX_CODE_LENGTH,
        "phrases": [p.decode("utf-8") for p in phrases],
        "code_lengths": lengths,
        "provenance": {
            "tool": "tools/build_phrase_model.py",
            "corpus_a": {
                "name": "PartiPrompts",
                "source": "https://github.com/google-research/parti (PartiPrompts.tsv)",
                "sha256": hashlib.sha256(partiprompts.read_bytes()).hexdigest(),
                "license": "Apache-2.0 (Google Research)",
                "rows": "column Prompt, data rows with even 0-based index (odd rows held out)",
                "strings": len(train_a),
            },
            "corpus_b": {
                "name": "spec/text/negative-prompt-corpus.txt",
                "sha256": hashlib.sha256(CORPUS_B.read_bytes()).hexdigest(),
                "license": "CC0-1.0, written for the AIGIF project",
                "strings": len(train_b),
            },
        },
        "license": "Apache-2.0 (derived from PartiPrompts, Apache-2.0, Google Research, "
                   "and from corpus B, CC0-1.0)",
    }
    return doc, PhraseHuffmanModel(phrases, lengths), held_out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partiprompts", default=DEFAULT_PARTIPROMPTS,
                        help="PartiPrompts.tsv; relative paths are resolved against the repository root")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="model file to write")
    args = parser.parse_args(argv)
    partiprompts = Path(args.partiprompts)
    if not partiprompts.is_absolute():
        partiprompts = REPO_ROOT / partiprompts
    doc, model, held_out = build(partiprompts)
    text = json.dumps(doc, ensure_ascii=True, indent=None, separators=(",", ":")) + "\n"
    Path(args.out).write_bytes(text.encode("ascii"))
    PhraseHuffmanModel.from_json(text)  # the written file loads

    raw = [p.encode("utf-8") for p in held_out]
    ph = [len(model.encode([p])) for p in raw]
    zl = [len(zlib.compress(p, 9)) for p in raw]
    n = len(raw)
    print(f"phrases: {len(model.phrases)}, symbols: {len(model.tokens)}, longest code: {max(model.code_lengths)} bits")
    print(f"held-out PartiPrompts (odd rows, {n}): raw {sum(map(len, raw)) / n:.2f} B, "
          f"phrase-huffman {sum(ph) / n:.2f} B, zlib-9 {sum(zl) / n:.2f} B")
    print(f"wrote {args.out} ({len(text)} bytes, sha256 {hashlib.sha256(text.encode('ascii')).hexdigest()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
