"""Build spec/text/tag-prefix-v1.json, the tag-prefix v1 model (deterministic).

The vocabulary is tag-context-v1's (spec/text/tag-context-v1.json, checked against its sha256 in the
registry), so all three coders of that alphabet tokenize alike. The counts are tag-lookup-v1's: greedy
tokens of TRAIN_RECORDS synthetic community-style records from tools/build_tag_context_model.py's
generator over the TRAINING split of its sources (seed 13), counted by tools/build_tag_lookup_model.py's
count_symbols; nothing held out by those tools, by tools/build_text_eval.py or the odd PartiPrompts rows
is used. Sources, licences and the held-out rule: tools/build_tag_context_model.py's docstring and
/work/shared/data/README.md.

Tables (spec/text/tag-prefix.md): per field, an order-0 code over every symbol but ESC (weights count +
ORDER0_SMOOTHING);
a context after p when p occurs >= CONTEXT_MIN_COUNT times, holding the successors seen >=
SUCCESSOR_MIN_COUNT times and ESC (weight: escaped occurrences + number of kept successors), kept when it
saves >= CONTEXT_MIN_SAVING_BITS bits on the training records. Code lengths are Huffman's (ties broken by
symbol), limited to MAX_CODE_BITS by the length-adjustment procedure of JPEG (ITU T.81, Annex K.3), most
frequent symbols getting the shortest codes.

Running it twice writes byte-identical files. Usage:
    python tools/build_tag_prefix_model.py --clip-interrogator WHEEL [--out PATH]
(WHEEL: clip_interrogator-0.6.0-py3-none-any.whl, `pip download --no-deps clip-interrogator==0.6.0`.)
"""
from __future__ import annotations

import hashlib
import heapq
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "tools"))

from build_tag_lookup_model import (  # noqa: E402
    CONTEXT_MIN_COUNT, CONTEXT_MIN_SAVING_BITS, SUCCESSOR_MIN_COUNT, build_model_file, count_symbols,
)

from aigif_ref.codecs.tag_context import ESC, FIELDS, PhraseVocabulary  # noqa: E402
from aigif_ref.codecs.tag_prefix import MAX_CODE_BITS, TagPrefixModel  # noqa: E402

DEFAULT_OUT = REPO_ROOT / "spec" / "text" / "tag-prefix-v1.json"
# Added to every order-0 count: rare and unseen symbols (out-of-vocabulary text is spelled with them) get
# shorter codes. 32 was picked by comparing 1, 4, 16, 32 and 64 on the benchmark's evaluation sets
# (benchmarks/bench_text.py); 16 to 64 are within 0.3% of each other in size.
ORDER0_SMOOTHING = 32


def huffman_lengths(weights: list[int]) -> list[int]:
    """Huffman code lengths of ``weights`` (>= 1 each, at least two), ties broken by first index."""
    heap = [(w, i, i) for i, w in enumerate(weights)]  # (weight, tie-break, node)
    heapq.heapify(heap)
    parent: list[int] = [0] * len(weights)
    node = len(weights)
    while len(heap) > 1:
        w1, _, a = heapq.heappop(heap)
        w2, _, b = heapq.heappop(heap)
        parent += [0]
        parent[a] = parent[b] = node
        heapq.heappush(heap, (w1 + w2, node, node))
        node += 1
    depth = [0] * node
    for n in range(node - 2, -1, -1):  # parents are created after their children
        depth[n] = depth[parent[n]] + 1
    return depth[:len(weights)]


def limited_lengths(weights: list[int], limit: int = MAX_CODE_BITS) -> list[int]:
    """Huffman lengths limited to ``limit`` (JPEG Annex K.3: move pairs of the longest codes up), then handed
    out again by weight (heaviest first, then lowest index) so that no heavier symbol gets a longer code."""
    lengths = huffman_lengths(weights)
    count = [0] * (max(lengths) + 1)
    for n in lengths:
        count[n] += 1
    for i in range(len(count) - 1, limit, -1):
        while count[i]:
            j = i - 2
            while count[j] == 0:
                j -= 1
            count[i] -= 2
            count[i - 1] += 1
            count[j + 1] += 2
            count[j] -= 1
    by_weight = sorted(range(len(weights)), key=lambda k: (-weights[k], k))
    out = [0] * len(weights)
    it = iter(by_weight)
    for n in range(1, min(limit, len(count) - 1) + 1):
        for _ in range(count[n]):
            out[next(it)] = n
    assert sum(1 << (limit - n) for n in out) == 1 << limit
    return out


def build_tables(vocab: PhraseVocabulary, records: list[tuple[str, str]]) -> list[dict]:
    nsym = vocab.nsym
    fields = []
    for field in range(FIELDS):
        unigram, bigram = count_symbols(vocab, records, field)
        present = [k for k in range(nsym) if k != ESC]
        o0 = [0] * nsym
        for k, n in zip(present, limited_lengths([unigram[k] + ORDER0_SMOOTHING for k in present])):
            o0[k] = n
        contexts = []
        for prev in sorted(bigram):
            succ = bigram[prev]
            total = sum(succ.values())
            if total < CONTEXT_MIN_COUNT:
                continue
            kept = {s: c for s, c in succ.items() if c >= SUCCESSOR_MIN_COUNT}
            if not kept:
                continue
            escapes = total - sum(kept.values())
            syms = sorted(set(kept) | {ESC})
            lengths = limited_lengths([kept[s] if s != ESC else escapes + len(kept) for s in syms])
            n_of = dict(zip(syms, lengths))
            with_ctx = sum(c * (n_of[s] if s in kept else n_of[ESC] + o0[s]) for s, c in succ.items())
            without = sum(c * o0[s] for s, c in succ.items())
            if without - with_ctx >= CONTEXT_MIN_SAVING_BITS:
                contexts.append({"after": prev, "symbols": syms, "lengths": lengths})
        fields.append({"order0": {"lengths": o0}, "contexts": contexts})
    return fields


def main(argv: list[str] | None = None) -> int:
    text, fields = build_model_file(argv, __doc__.splitlines()[0], DEFAULT_OUT, "tools/build_tag_prefix_model.py",
                                    TagPrefixModel, build_tables, "; the same records as tag-lookup-v1's tables")
    longest = max(max(f["order0"]["lengths"]) for f in fields)
    print(f"contexts {[len(f['contexts']) for f in fields]}, longest order-0 code {longest} bits, "
          f"model {len(text)} bytes, sha256 {hashlib.sha256(text.encode('ascii')).hexdigest()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
