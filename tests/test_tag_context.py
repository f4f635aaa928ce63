"""tag-context v1 (text compressor 3): round trip, canonicality, case escape, model checks, dispatch."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigif_ref.codecs import tag_context as tc
from aigif_ref.codecs import text
from aigif_ref.codecs.tag_context import (
    DEFAULT_MODEL_PATH, END, ESC, FIRST_PHRASE, TOTAL, TagContextModel, case_fold, case_unfold,
    default_model, final_bytes,
)
from aigif_ref.errors import AigifError
from aigif_ref.registry import default_registry
from tests.vocabulary_support import random_tokenization

MAX_LEN = 16384
MODEL = default_model()
EVAL = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "community-eval.jsonl"
SAMPLES = [b"", b"a", b"A", b"\x01", b"\x01a", b"Cat", b"HDR 8K", "caf\u00e9 \u732b".encode(), b"\x00\xff\x01\x01",
           b"masterpiece, best quality, 1girl, (smile:1.2), <lora:add_detail:0.8>",
           b"EasyNegative, (worst quality:1.4), (low quality:1.4), lowres, bad anatomy, bad hands"]


def fails(block: bytes, n: int, code: str, max_len: int = MAX_LEN) -> None:
    with pytest.raises(AigifError) as info:
        MODEL.decode(block, n, max_len)
    assert info.value.code == code, str(info.value)


def sym(token: bytes) -> int:
    return token[0] if len(token) == 1 else FIRST_PHRASE + MODEL.phrases.index(token)


# ----------------------------------------------------------------------------- model
def test_model_is_the_registry_pinned_file_and_byte_stable():
    entry = default_registry().enum("text_compressors")[text.TAG_CONTEXT_CODE]
    assert entry["name"] == "tag-context-v1" and entry["model_file"] == "spec/text/tag-context-v1.json"
    raw = DEFAULT_MODEL_PATH.read_bytes()
    assert len(raw) <= 4 * 1024 * 1024
    doc = json.loads(raw)
    assert raw == (json.dumps(doc, ensure_ascii=True, separators=(",", ":")) + "\n").encode()
    assert text._model(text.TAG_CONTEXT_CODE).phrases == MODEL.phrases


def test_model_tables_sum_to_total():
    for table in MODEL.order0:
        assert sum(table.freq) == TOTAL and ESC not in table.index and len(table.symbols) == MODEL.nsym - 1
    for contexts in MODEL.contexts:
        for table in contexts.values():
            assert sum(table.freq) == TOTAL and ESC in table.index


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["fields"][0]["order0"].__setitem__(0, d["fields"][0]["order0"][0] + 1), "sum"),
    (lambda d: d["fields"][0]["order0"].__setitem__(ESC, 1), "ESC 0"),
    (lambda d: d["phrases"].append(d["phrases"][0]), "phrase"),
    (lambda d: d["phrases"].__setitem__(0, "Upper"), "uppercase"),
    (lambda d: d["fields"][1]["contexts"][0]["freqs"].__setitem__(0, 0), "frequencies"),
    (lambda d: d.__setitem__("total_bits", 16), "total_bits"),
])
def test_invalid_model_is_a_registry_error(mutate, message):
    doc = json.loads(DEFAULT_MODEL_PATH.read_bytes())
    mutate(doc)
    with pytest.raises(AigifError) as info:
        TagContextModel.from_json(json.dumps(doc))
    assert info.value.code == "AIGIF_E_REGISTRY" and message in str(info.value)


# ----------------------------------------------------------------------------- round trip
@pytest.mark.parametrize("s", SAMPLES)
def test_case_fold_round_trip(s):
    folded = case_fold(s)
    assert not any(0x41 <= b <= 0x5A for b in folded)
    assert case_unfold(folded) == s


@pytest.mark.parametrize("folded", [b"\x01", b"\x01!", b"\x01A", b"x\x01", b"A"])
def test_case_unfold_rejects_what_fold_never_writes(folded):
    with pytest.raises(AigifError) as info:
        case_unfold(folded)
    assert info.value.code == "AIGIF_E_NONCANONICAL"


@pytest.mark.parametrize("prompt", SAMPLES)
@pytest.mark.parametrize("negative", [None, b"", SAMPLES[-1]])
def test_round_trip_samples(prompt, negative):
    strings = [prompt] if negative is None else [prompt, negative]
    block = MODEL.encode(strings)
    assert MODEL.decode(block, len(strings), MAX_LEN) == strings
    assert not block.endswith(b"\x00")  # the shortest final bytes never end in a zero byte


def test_round_trip_evaluation_set_and_beats_phrase_huffman():
    records = [json.loads(line) for line in EVAL.read_text(encoding="utf-8").splitlines()[:200]]
    ours = theirs = 0
    for r in records:
        strings = [r["prompt"].encode(), r["negative_prompt"].encode()]
        block = MODEL.encode(strings)
        assert MODEL.decode(block, 2, MAX_LEN) == strings
        ours += len(block)
        theirs += len(text.encode_text(text.PHRASE_HUFFMAN_CODE, strings))
    assert ours < theirs / 2


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=80), min_size=1, max_size=2))
def test_round_trip_any_bytes(strings):
    block = MODEL.encode(strings)
    assert MODEL.decode(block, len(strings), MAX_LEN) == strings


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=24), st.sampled_from([1, 2]))
def test_any_block_that_decodes_is_the_canonical_one(block, n):
    """Exactly one block per input: whatever the decoder accepts, the encoder writes back byte for byte."""
    try:
        strings = MODEL.decode(block, n, 4096)
    except AigifError as exc:
        assert exc.code in ("AIGIF_E_NONCANONICAL", "AIGIF_E_LIMIT")
        return
    assert MODEL.encode(strings) == block


# ----------------------------------------------------------------------------- canonicality
def test_trailing_byte_and_changed_last_byte_are_rejected():
    strings = [SAMPLES[-2], SAMPLES[-1]]
    block = MODEL.encode(strings)
    fails(block + b"\x00", 2, "AIGIF_E_NONCANONICAL")
    fails(block + b"\x01", 2, "AIGIF_E_NONCANONICAL")
    try:  # a cut block is another string's block or none at all
        assert MODEL.decode(block[:-1], 2, MAX_LEN) != strings
    except AigifError as exc:
        assert exc.code == "AIGIF_E_NONCANONICAL"


def test_escape_of_a_symbol_the_context_holds_is_rejected():
    field, prev = next((f, p) for f, ctxs in enumerate(MODEL.contexts) for p in ctxs if p == END)
    table = MODEL.contexts[field][END]
    first = next(s for s in table.symbols if s not in (ESC, END))
    steps = [(0, -1, END)] * field + [(field, END, ESC), (field, -1, first), (field, -1, END)]
    if MODEL.contexts[field].get(first) is not None:
        steps[-1] = (field, first, END) if END in MODEL.contexts[field][first].index else None
        steps[-1:] = [(field, first, ESC), (field, -1, END)] if steps[-1] is None else steps[-1:]
    fails(MODEL.encode_steps(steps), field + 1, "AIGIF_E_NONCANONICAL")


def test_not_greedy_is_rejected():
    s = b"masterpiece"
    assert len(MODEL.tokenize(s)) == 1
    steps, prev = [], END
    for b in s + b"\x00":  # literal bytes instead of the phrase; the trailing 0 marks END
        sym_ = END if b == 0 else b
        ctx = MODEL.contexts[0].get(prev)
        if ctx is not None and sym_ in ctx.index:
            steps.append((0, prev, sym_))
        elif ctx is not None:
            steps += [(0, prev, ESC), (0, -1, sym_)]
        else:
            steps.append((0, -1, sym_))
        prev = sym_
    fails(MODEL.encode_steps(steps), 1, "AIGIF_E_NONCANONICAL")


def test_string_longer_than_the_limit():
    block = MODEL.encode([b"x" * 40])
    fails(block, 1, "AIGIF_E_LIMIT", max_len=10)


def test_final_bytes_are_shortest_then_smallest():
    assert final_bytes(0, 1 << 56, 7) == b""
    assert final_bytes(1, (1 << 56) - 1, 7) == b"\x01"  # ceil(1 / 2**48) = 1: one byte
    assert final_bytes(0x0100_0000_0000_00, 0x100, 7) == b"\x01"
    assert final_bytes(0x0100_0000_0000_01, 0x100, 7) == bytes.fromhex("010000000001")  # 0x01000000000100 fits


# ----------------------------------------------------------------------------- dispatch
def test_encoder_picks_a_tag_vocabulary_coder_for_community_prompts_and_text_round_trips():
    strings = [SAMPLES[-2], SAMPLES[-1]]
    code, block = text.smallest(strings)
    assert code in (text.TAG_CONTEXT_CODE, text.TAG_LOOKUP_CODE, text.TAG_PREFIX_CODE)
    assert len(block) < len(text.encode_text(text.PHRASE_HUFFMAN_CODE, strings))
    assert text.decode_text(code, block, 2) == strings


@pytest.mark.parametrize("strings, block", [
    ([b"a cute cat"], "0d 43 71 f5 40"),
    ([b"Masterpiece, 1girl, (smile:1.2)", b"EasyNegative, lowres"], "23 62 a5 64 47 b4 8a 86 94"),
])
def test_spec_worked_examples(strings, block):
    assert MODEL.encode(strings).hex(" ") == block
    assert MODEL.decode(bytes.fromhex(block), len(strings), MAX_LEN) == strings


def test_greedy_tokenizer_equals_the_trie_regex():
    """The dictionary tokenizer gives phrase_huffman's trie-regex tokens (the spec's greedy rule) exactly."""
    import random

    from aigif_ref.codecs.phrase_huffman import _trie_regex

    phrases = MODEL.tokens[tc.FIRST_PHRASE:]
    oracle = _trie_regex(phrases)
    rnd = random.Random(7)
    texts = [b"", b"a", b"\x01", "(masterpiece:1.2), best quality, <lora:detail:0.8>".encode()]
    for _ in range(2000):  # phrase pieces glued to phrases and odd bytes: prefixes of phrases are the hard part
        texts.append(b"".join(rnd.choice(phrases)[:rnd.randint(1, 16)] if rnd.random() < 0.8
                              else bytes([rnd.randrange(256)]) for _ in range(rnd.randint(1, 30))))
    for text in texts:
        assert MODEL._tokenizer.findall(text) == oracle.findall(text), text


# ----------------------------------------------------------------------------- the fast decoder against the spec
def _final_bytes_spec(low: int, rng: int, nbytes: int) -> bytes:
    """spec/text/tag-context.md, "Final bytes", word for word: the first k = 0..N that fits."""
    for k in range(nbytes + 1):
        shift = 8 * (nbytes - k)
        v = -((-low) >> shift)
        if (v << shift) < low + rng:
            return v.to_bytes(k, "big")
    raise AssertionError("k = N always fits")


@settings(max_examples=2000, deadline=None)
@given(st.integers(7, 40), st.data())
def test_final_bytes_equals_the_spec_loop(nbytes, data):
    rng = data.draw(st.integers(1 << 48, 1 << 56))
    low = data.draw(st.integers(0, (1 << (8 * nbytes)) - rng))
    assert final_bytes(low, rng, nbytes) == _final_bytes_spec(low, rng, nbytes)


def test_greedy_check_equals_retokenizing():
    """The decoder's greedy check (token pairs, cached) accepts exactly the splits the greedy tokenizer makes."""
    import random

    rnd = random.Random(11)
    records = [json.loads(line) for line in EVAL.read_text(encoding="utf-8").splitlines()[:150]]
    phrases = MODEL.phrases
    texts = [case_fold(r[k].encode()) for r in records for k in ("prompt", "negative_prompt")]
    for _ in range(300):
        texts.append(b"".join(rnd.choice(phrases)[:rnd.randint(1, 24)] for _ in range(rnd.randint(1, 12))))
    checked = rejected = 0
    for s in texts:
        for _ in range(3):
            symbols = random_tokenization(MODEL, s, rnd)
            greedy = MODEL._tokenizer.findall(s) == [MODEL.tokens[x] for x in symbols]
            assert MODEL._is_greedy(s, symbols) == greedy, (s, symbols)
            checked += 1
            rejected += not greedy
    assert rejected > 100 and checked - rejected > 100  # both outcomes were exercised


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(SAMPLES + [b", ", b"(", b"((", b", (worst quality:1.4)"]), min_size=1, max_size=6),
       st.integers(0, 2 ** 32 - 1))
def test_non_greedy_blocks_are_rejected(pieces, seed):
    """A block coding a non-greedy split of the text is NONCANONICAL; the greedy split's block decodes."""
    import random

    s = b"".join(pieces)
    symbols = random_tokenization(MODEL, case_fold(s), random.Random(seed))
    steps, prev = [], END
    for x in symbols + [END]:
        ctx = MODEL.contexts[0].get(prev)
        if ctx is None:
            steps.append((0, -1, x))
        elif x in ctx.index:
            steps.append((0, prev, x))
        else:
            steps += [(0, prev, ESC), (0, -1, x)]
        prev = x
    block = MODEL.encode_steps(steps)
    if [MODEL.tokens[x] for x in symbols] == MODEL.tokenize(s):
        assert block == MODEL.encode([s]) and MODEL.decode(block, 1, MAX_LEN) == [s]
    else:
        fails(block, 1, "AIGIF_E_NONCANONICAL")
