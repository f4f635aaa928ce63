"""tag-lookup v1 (text compressor named tag-lookup-v1): round trip, canonicality, hostile blocks, model checks, dispatch."""
from __future__ import annotations

import hashlib
import json
import random
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigif_ref.codecs import tag_context as tc
from aigif_ref.codecs import tag_lookup as tl
from aigif_ref.codecs import text
from aigif_ref.codecs.tag_context import END, ESC, FIRST_PHRASE, case_fold
from aigif_ref.codecs.tag_lookup import DEFAULT_MODEL_PATH, TagLookupModel, default_model
from aigif_ref.errors import AigifError
from aigif_ref.registry import default_registry
from tests.vocabulary_support import check_builder_tables, random_tokenization

MAX_LEN = 16384
MODEL = default_model()
ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "benchmarks" / "data" / "community-eval.jsonl"
HELDOUT = ROOT / "benchmarks" / "data" / "community-heldout.jsonl"
SAMPLES = [b"", b"a", b"A", b"\x01", b"\x01a", b"Cat", b"HDR 8K", "caf\u00e9 \u732b".encode(), b"\x00\xff\x01\x01",
           b"masterpiece, best quality, 1girl, (smile:1.2), <lora:add_detail:0.8>",
           b"EasyNegative, (worst quality:1.4), (low quality:1.4), lowres, bad anatomy, bad hands"]


def fails(block: bytes, n: int, code: str, max_len: int = MAX_LEN) -> AigifError:
    with pytest.raises(AigifError) as info:
        MODEL.decode(block, n, max_len)
    assert info.value.code == code, str(info.value)
    return info.value


def sym(token: bytes) -> int:
    return token[0] if len(token) == 1 else FIRST_PHRASE + MODEL.phrases.index(token)


def steps_of(symbols: list[int], field: int = 0) -> list[tuple[int, int, int]]:
    """Coding steps (context rule) for any symbol sequence of one field, then END."""
    steps, prev = [], END
    for x in symbols + [END]:
        ctx = MODEL.contexts[field].get(prev)
        if ctx is None:
            steps.append((field, -1, x))
        elif x in ctx.index:
            steps.append((field, prev, x))
        else:
            steps += [(field, prev, ESC), (field, -1, x)]
        prev = x
    return steps


# ----------------------------------------------------------------------------- model
def test_model_is_the_registry_pinned_file_and_byte_stable():
    code = default_registry().enum_code("text_compressors", "tag-lookup-v1")
    assert code == text.TAG_LOOKUP_CODE and code in text.CANONICAL_CODECS
    entry = default_registry().enum("text_compressors")[code]
    assert entry["model_file"] == "spec/text/tag-lookup-v1.json"
    raw = DEFAULT_MODEL_PATH.read_bytes()
    assert len(raw) <= 4 * 1024 * 1024 and hashlib.sha256(raw).hexdigest() == entry["sha256"]
    doc = json.loads(raw)
    assert raw == (json.dumps(doc, ensure_ascii=True, separators=(",", ":")) + "\n").encode()
    assert doc["license"] and doc["provenance"]["tool"] == "tools/build_tag_lookup_model.py"
    # the vocabulary is tag-context-v1's, so both coders tokenize alike
    assert MODEL.phrases == text._model(text.TAG_CONTEXT_CODE).phrases
    assert text._model(code).phrases == MODEL.phrases


def test_model_tables_sum_to_their_power_of_two():
    for table in MODEL.order0:
        assert sum(table.freq) == 1 << table.bits and ESC not in table.index and len(table.symbols) == MODEL.nsym - 1
    for contexts in MODEL.contexts:
        for table in contexts.values():
            assert sum(table.freq) == 1 << table.bits and ESC in table.index and 1 <= table.bits <= tl.MAX_TABLE_BITS


def _doc() -> dict:
    return json.loads(DEFAULT_MODEL_PATH.read_bytes())


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["fields"][0]["order0"]["freqs"].__setitem__(0, d["fields"][0]["order0"]["freqs"][0] + 1), "sum"),
    (lambda d: d["fields"][0]["order0"]["freqs"].__setitem__(ESC, 1), "ESC 0"),
    (lambda d: d["fields"][0]["order0"].__setitem__("bits", 21), "bits"),
    (lambda d: d["fields"][0]["contexts"][0].__setitem__("bits", 0), "bits"),
    (lambda d: d["fields"][0]["contexts"][0]["freqs"].__setitem__(0, 0), "freq"),
    (lambda d: d["fields"][0]["contexts"][1].__setitem__("after", d["fields"][0]["contexts"][0]["after"]), "after"),
    (lambda d: d["phrases"].append(d["phrases"][0]), "phrase"),
    (lambda d: d.__setitem__("format", "aigif-tag-context"), "aigif-tag-lookup"),
])
def test_invalid_model_is_a_registry_error(mutate, message):
    doc = _doc()
    mutate(doc)
    with pytest.raises(AigifError) as info:
        TagLookupModel.from_json(json.dumps(doc))
    assert info.value.code == "AIGIF_E_REGISTRY" and message in str(info.value)


# ----------------------------------------------------------------------------- round trip
@pytest.mark.parametrize("prompt", SAMPLES)
@pytest.mark.parametrize("negative", [None, b"", SAMPLES[-1]])
def test_round_trip_samples(prompt, negative):
    strings = [prompt] if negative is None else [prompt, negative]
    block = MODEL.encode(strings)
    assert MODEL.decode(block, len(strings), MAX_LEN) == strings
    assert text.decode_text(text.TAG_LOOKUP_CODE, block, len(strings)) == strings


@pytest.mark.parametrize("path", [EVAL, HELDOUT])
def test_round_trip_community_sets_and_not_larger_than_tag_context(path):
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[:200]]
    ours = theirs = 0
    for r in records:
        strings = [r["prompt"].encode(), r["negative_prompt"].encode()]
        block = MODEL.encode(strings)
        assert MODEL.decode(block, 2, MAX_LEN) == strings
        ours += len(block)
        theirs += len(text.encode_text(text.TAG_CONTEXT_CODE, strings))
    assert ours <= theirs


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=80), min_size=1, max_size=2))
def test_round_trip_any_bytes(strings):
    block = MODEL.encode(strings)
    assert MODEL.decode(block, len(strings), MAX_LEN) == strings


# ----------------------------------------------------------------------------- hostile blocks
@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=48), st.sampled_from([1, 2]))
def test_any_block_that_decodes_is_the_canonical_one(block, n):
    """Exactly one block per input: whatever the decoder accepts, the encoder writes back byte for byte;
    anything else is a stable error code, never another exception."""
    try:
        strings = MODEL.decode(block, n, 4096)
    except AigifError as exc:
        assert exc.code in ("AIGIF_E_NONCANONICAL", "AIGIF_E_LIMIT")
        return
    assert MODEL.encode(strings) == block


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=60), min_size=1, max_size=2), st.integers(0, 2 ** 32 - 1))
def test_mutated_blocks_never_decode_to_another_block(strings, seed):
    """One flipped, dropped or added byte in a valid block: an error, or a block that is canonical for what it decodes to."""
    block = bytearray(MODEL.encode(strings))
    rnd = random.Random(seed)
    kind = rnd.randrange(3)
    if kind == 0 and block:
        block[rnd.randrange(len(block))] ^= 1 << rnd.randrange(8)
    elif kind == 1 and block:
        del block[rnd.randrange(len(block))]
    else:
        block.insert(rnd.randrange(len(block) + 1), rnd.randrange(256))
    try:
        out = MODEL.decode(bytes(block), len(strings), MAX_LEN)
    except AigifError as exc:
        assert exc.code in ("AIGIF_E_NONCANONICAL", "AIGIF_E_LIMIT")
        return
    assert MODEL.encode(out) == bytes(block)


def test_zero_and_ff_blocks_are_bounded_in_time():
    """Blocks that read as endless zeros or ones stop at the symbol limit or a canonical check, quickly."""
    for block in (b"", b"\x00" * 64, b"\xff" * 64, b"\x80" + b"\x00" * 200):
        for n in (1, 2):
            start = time.perf_counter()
            try:
                strings = MODEL.decode(block, n, MAX_LEN)
                assert MODEL.encode(strings) == block
            except AigifError as exc:
                assert exc.code in ("AIGIF_E_NONCANONICAL", "AIGIF_E_LIMIT")
            assert time.perf_counter() - start < 5


def test_value_outside_every_interval_is_rejected():
    """A code value in the gap range - r * 2**bits that no symbol's interval covers (the slot list's sentinels)."""
    strings = [SAMPLES[-2] * 3]
    steps = MODEL.coding_steps(strings)
    for k in range(1, len(steps)):
        low, rng, nbytes = 0, tl.RANGE_TOP, tl.WINDOW_BYTES
        for field, key, s in steps[:k]:
            t = MODEL.order0[field] if key < 0 else MODEL.contexts[field][key]
            i = t.index[s]
            r = rng >> t.bits
            low, rng = low + r * t.cum[i], r * t.freq[i]
            if rng < tl.RANGE_BOTTOM:
                low, rng, nbytes = low << 32, rng << 32, nbytes + 4
        field, key, _ = steps[k]
        t = MODEL.order0[field] if key < 0 else MODEL.contexts[field][key]
        gap = (rng >> t.bits) << t.bits
        if gap < rng:
            block = (low + gap).to_bytes(nbytes, "big")
            error = fails(block, 1, "AIGIF_E_NONCANONICAL")
            assert "outside every symbol's interval" in str(error)
            return
    raise AssertionError("no step left a gap to aim at")


# ----------------------------------------------------------------------------- canonicality
def test_trailing_byte_and_changed_last_byte_are_rejected():
    strings = [SAMPLES[-2], SAMPLES[-1]]
    block = MODEL.encode(strings)
    fails(block + b"\x00", 2, "AIGIF_E_NONCANONICAL")
    fails(block + b"\x01", 2, "AIGIF_E_NONCANONICAL")
    fails(block[:-1] + bytes([block[-1] ^ 1]), 2, "AIGIF_E_NONCANONICAL")


def test_escape_of_a_symbol_the_context_holds_is_rejected():
    table = MODEL.contexts[0][END]
    first = next(s for s in table.symbols if s not in (ESC, END) and MODEL.contexts[0].get(s) is None)
    error = fails(MODEL.encode_steps([(0, END, ESC), (0, -1, first), (0, -1, END)]), 1, "AIGIF_E_NONCANONICAL")
    assert "after an escape" in str(error)


def test_not_greedy_and_raw_uppercase_are_rejected():
    s = b"masterpiece"
    assert len(MODEL.tokenize(s)) == 1
    fails(MODEL.encode_steps(steps_of(list(s))), 1, "AIGIF_E_NONCANONICAL")
    fails(MODEL.encode_steps(steps_of(list(b"Cat"))), 1, "AIGIF_E_NONCANONICAL")


def test_string_longer_than_the_limit():
    fails(MODEL.encode([b"x" * 40]), 1, "AIGIF_E_LIMIT", max_len=10)
    fails(MODEL.encode([b"", b"x" * 40]), 2, "AIGIF_E_LIMIT", max_len=10)


def test_greedy_check_equals_retokenizing():
    """The decoder's greedy test (pair rules noted in the slot entries) accepts exactly the greedy splits."""
    rnd = random.Random(11)
    records = [json.loads(line) for line in EVAL.read_text(encoding="utf-8").splitlines()[:60]]
    texts = [r["prompt"].encode() for r in records]
    for _ in range(150):
        texts.append(b"".join(rnd.choice(MODEL.phrases)[:rnd.randint(1, 24)] for _ in range(rnd.randint(1, 12))))
    checked = rejected = 0
    for s in texts:
        folded = case_fold(s)
        greedy_split = list(map(sym, MODEL._tokenizer.findall(folded)))
        for symbols in [greedy_split] + [random_tokenization(MODEL, folded, rnd) for _ in range(3)]:
            block = MODEL.encode_steps(steps_of(symbols))
            greedy = MODEL._tokenizer.findall(folded) == [MODEL.tokens[x] for x in symbols]
            try:
                accepted = MODEL.decode(block, 1, MAX_LEN) == [s]
            except AigifError as exc:
                assert exc.code == "AIGIF_E_NONCANONICAL"
                accepted = False
            assert accepted == greedy, (s, symbols)
            checked += 1
            rejected += not greedy
    assert rejected > 200 and checked - rejected > 200  # both outcomes were exercised


# ----------------------------------------------------------------------------- spec
def _final_bytes_spec(low: int, rng: int, nbytes: int) -> bytes:
    """spec/text/tag-lookup.md, "Final bytes", word for word: the first k = 0..N that fits."""
    for k in range(nbytes + 1):
        shift = 8 * (nbytes - k)
        v = -((-low) >> shift)
        if (v << shift) < low + rng:
            return v.to_bytes(k, "big")
    raise AssertionError("k = N always fits")


@settings(max_examples=1000, deadline=None)
@given(st.integers(8, 40), st.data())
def test_final_bytes_equals_the_spec_loop(nbytes, data):
    rng = data.draw(st.integers(1 << 32, 1 << 64))
    low = data.draw(st.integers(0, (1 << (8 * nbytes)) - rng))
    assert tc.final_bytes(low, rng, nbytes) == _final_bytes_spec(low, rng, nbytes)


EXAMPLES = [
    ([b"a cute cat"], "21 2d 3a",
     [(12, 97, 70, 581), (12, 5508, 3247, 3), (5, 1530, 19, 1), (7, END, 8, 2)]),
    ([b"Masterpiece, 1girl, (smile:1.2)", b"EasyNegative, lowres"], "ff 85 e8 36 c0 ea 58 e6",
     [(12, 29247, 4088, 1), (17, 295, 48354, 149), (10, 258, 137, 342), (12, 1289, 1391, 2), (6, 266, 26, 2),
      (11, END, 48, 40), (12, 25706, 3869, 1), (17, END, 2219, 16032)]),
]


@pytest.mark.parametrize("strings, block, table_rows", EXAMPLES)
def test_spec_worked_examples(strings, block, table_rows):
    rows = []
    for field, key, s in MODEL.coding_steps(strings):
        t = MODEL.order0[field] if key < 0 else MODEL.contexts[field][key]
        rows.append((t.bits, s, t.cum[t.index[s]], t.freq[t.index[s]]))
    assert rows == table_rows
    assert MODEL.encode(strings).hex(" ") == block
    assert MODEL.decode(bytes.fromhex(block), len(strings), MAX_LEN) == strings


# ----------------------------------------------------------------------------- dispatch
def test_encoder_picks_the_smallest_and_older_codes_keep_decoding():
    strings = [SAMPLES[-2], SAMPLES[-1]]
    code, block = text.smallest(strings)
    sizes = {c: len(text.encode_text(c, strings)) for c in text.CANONICAL_CODECS}
    tied = [c for c, n in sizes.items() if n == len(block)]
    assert len(block) == min(sizes.values()) and code == min(tied, key=text.TIE_ORDER.index)
    records = [json.loads(line) for line in EVAL.read_text(encoding="utf-8").splitlines()[:100]]
    picked = [text.smallest([r["prompt"].encode(), r["negative_prompt"].encode()])[0] for r in records]
    # community prompts: mostly the phrase-vocabulary coders with power-of-two or prefix-code tables
    assert picked.count(text.TAG_LOOKUP_CODE) + picked.count(text.TAG_PREFIX_CODE) > len(picked) // 2
    for c in text.CODECS:  # every older code still decodes what it writes
        assert text.decode_text(c, text.encode_text(c, strings), 2) == strings


# ----------------------------------------------------------------------------- the model builder
def test_builder_tables_are_deterministic_and_valid():
    """tools/build_tag_lookup_model.py's table step on a few records: same output twice, a valid model that codes them."""
    builder = check_builder_tables("build_tag_lookup_model", TagLookupModel, EVAL, MAX_LEN)
    assert builder.quantize([5, 3, 1], [5, 3, 1]) == builder.quantize([5, 3, 1], [5, 3, 1])
    bits, freqs = builder.quantize([1000, 10, 1], [1000, 10, 1])
    assert sum(freqs) == 1 << bits and min(freqs) >= 1
