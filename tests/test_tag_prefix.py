"""tag-prefix v1 (text compressor named tag-prefix-v1): round trips, every rejection, the model file's rules, and an
independent bit-by-bit decoder written here from the rules, compared with the reference on vectors, real blocks,
random and mutated blocks."""
from __future__ import annotations

import copy
import hashlib
import io
import json
import random
import re
import time
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigif_ref.codecs import tag_prefix as tp
from aigif_ref.codecs import text
from aigif_ref.codecs.tag_context import END, ESC, FIELDS, FIRST_PHRASE, case_fold
from aigif_ref.codecs.tag_prefix import DEFAULT_MODEL_PATH, MAX_CODE_BITS, PrefixCode, TagPrefixModel
from aigif_ref.errors import AigifError
from aigif_ref.grammar import limits
from aigif_ref.grammar.primitives import read_uvarint
from aigif_ref.grammar.spans import field_spans
from aigif_ref.registry import Registry, default_registry
from tests.vocabulary_support import check_builder_tables, random_tokenization

MAX_LEN = limits.MAX_STRING_BYTES
CODE = text.TAG_PREFIX_CODE
MODEL: TagPrefixModel = text._model(CODE)
ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT / "benchmarks" / "data" / "community-eval.jsonl"
HELDOUT = ROOT / "benchmarks" / "data" / "community-heldout.jsonl"
SYNTAX = ROOT / "vectors" / "syntax"
SAMPLES = [b"", b"a", b"A", b"\x01", b"\x01a", b"Cat", b"HDR 8K", "caf\u00e9 \u732b".encode(), b"\x00\xff\x01\x01",
           b"masterpiece, best quality, 1girl, (smile:1.2), <lora:add_detail:0.8>",
           b"EasyNegative, (worst quality:1.4), (low quality:1.4), lowres, bad anatomy, bad hands"]
N, L = "AIGIF_E_NONCANONICAL", "AIGIF_E_LIMIT"


def records(path: Path, n: int) -> list[list[bytes]]:
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()[:n])
    return [[r["prompt"].encode(), r["negative_prompt"].encode()] for r in rows]


def fails(block: bytes, n: int, code: str, max_len: int = MAX_LEN) -> AigifError:
    with pytest.raises(AigifError) as info:
        MODEL.decode(block, n, max_len)
    assert info.value.code == code, str(info.value)
    return info.value


def sym(token: bytes) -> int:
    return token[0] if len(token) == 1 else FIRST_PHRASE + MODEL.phrases.index(token)


def table_of(field: int, key: int) -> PrefixCode:
    return MODEL.order0[field] if key < 0 else MODEL.contexts[field][key]


def code_step(field: int, prev: int, x: int) -> list[tuple[int, int, int]]:
    """The steps that code x after prev (the context and escape rule)."""
    ctx = MODEL.contexts[field].get(prev)
    if ctx is None:
        return [(field, -1, x)]
    return [(field, prev, x)] if x in ctx.index else [(field, prev, ESC), (field, -1, x)]


def steps_of(symbols: list[int], field: int = 0) -> list[tuple[int, int, int]]:
    """Coding steps for any symbol sequence of one field, then END."""
    return [step for prev, x in zip([END, *symbols], [*symbols, END]) for step in code_step(field, prev, x)]


def bit_count(strings: list[bytes]) -> int:
    return sum(table_of(f, k).code_of[s][1] for f, k, s in MODEL.coding_steps(strings))


# ============================================================================ the independent decoder
# Written from the rules only (spec/text/tag-context.md's alphabet, contexts and escape rule; canonical prefix codes
# by (length, symbol), MSB first; tag-lookup's order of checks), from the model file's JSON, sharing no code with the
# reference decoder but the greedy tokenizer (model.tokenize).
class Rejected(Exception):
    def __init__(self, code: str, why: str) -> None:
        super().__init__(f"{code}: {why}")
        self.code = code


def canonical_codes(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """{(length, code value): symbol} of (symbol, length) pairs (length 0: no code), RFC 1951 3.2.2."""
    out, value, prev_len = {}, 0, 0
    for length, symbol in sorted((n, s) for s, n in pairs if n):
        value <<= length - prev_len
        out[(length, value)] = symbol
        value, prev_len = value + 1, length
    return out


class StraightDecoder:
    def __init__(self, doc: dict) -> None:
        self.tokens = [bytes([b]) for b in range(256)] + [b"", b""] + [p.encode() for p in doc["phrases"]]
        self.order0 = [canonical_codes(list(enumerate(f["order0"]["lengths"]))) for f in doc["fields"]]
        self.context_docs = [{c["after"]: c for c in f["contexts"]} for f in doc["fields"]]

    @lru_cache(maxsize=None)
    def context(self, field: int, prev: int):
        c = self.context_docs[field].get(prev)
        if c is None:
            return None
        return frozenset(c["symbols"]), canonical_codes(list(zip(c["symbols"], c["lengths"])))

    @staticmethod
    def unfold(t: bytes) -> bytes:
        out, i = bytearray(), 0
        while i < len(t):
            b = t[i]
            if 0x41 <= b <= 0x5A:
                raise Rejected(N, "raw uppercase")
            if b == 0x01:
                nxt = t[i + 1] if i + 1 < len(t) else None
                if nxt == 0x01:
                    out.append(0x01)
                elif nxt is not None and 0x61 <= nxt <= 0x7A:
                    out.append(nxt - 0x20)
                else:
                    raise Rejected(N, "bad case escape")
                i += 2
            else:
                out.append(b)
                i += 1
        return bytes(out)

    def decode(self, block: bytes, n: int, max_len: int, tokenize) -> list[bytes]:
        bits = "".join(f"{b:08b}" for b in block)
        pos = 0

        def read(table: dict) -> int:
            nonlocal pos
            value = length = 0
            while (length, value) not in table or length == 0:
                if pos == len(bits):
                    raise Rejected(N, "a code runs past the end")
                value, length, pos = 2 * value + (bits[pos] == "1"), length + 1, pos + 1
                assert length <= MAX_CODE_BITS  # a complete code always ends by then
            return table[(length, value)]

        decoded: list[list[int]] = []
        for field in range(n):
            symbols, prev = [], END
            while True:
                ctx = self.context(field, prev)
                if ctx is None:
                    s = read(self.order0[field])
                else:
                    members, table = ctx
                    s = read(table)
                    if s == ESC:
                        s = read(self.order0[field])
                        if s in members:
                            raise Rejected(N, "escaped a context's symbol")
                if s == END:
                    break
                symbols.append(s)
                if len(symbols) > 2 * max_len:
                    raise Rejected(L, "too many symbols")
                prev = s
            decoded.append(symbols)
        rest = bits[pos:]
        if len(rest) >= 8:
            raise Rejected(N, "trailing byte")
        if "1" in rest:
            raise Rejected(N, "nonzero padding")
        folded = [b"".join(self.tokens[s] for s in symbols) for symbols in decoded]
        if any(len(t) > 2 * max_len for t in folded):
            raise Rejected(L, "folded string too long")
        out = []
        for t in folded:
            s = self.unfold(t)
            if len(s) > max_len:
                raise Rejected(L, "string too long")
            out.append(s)
        for s, symbols in zip(out, decoded):
            if tokenize(s) != [self.tokens[x] for x in symbols]:
                raise Rejected(N, "not greedy")
        return out


STRAIGHT = StraightDecoder(json.loads(DEFAULT_MODEL_PATH.read_bytes()))


def outcome(decode, *args):
    """The strings, or the error code (AigifError from the reference, Rejected from the straight decoder)."""
    try:
        return decode(*args)
    except (AigifError, Rejected) as exc:
        return exc.code


def same_as_straight(block: bytes, n: int, max_len: int = MAX_LEN):
    ours = outcome(MODEL.decode, block, n, max_len)
    theirs = outcome(STRAIGHT.decode, block, n, max_len, MODEL.tokenize)
    assert ours == theirs, (block.hex(), n, max_len)
    return ours


# ============================================================================ the model file
def test_model_is_the_registry_pinned_file_and_byte_stable():
    entry = default_registry().enum("text_compressors")[CODE]
    assert entry["name"] == "tag-prefix-v1" and CODE in text.CANONICAL_CODECS and CODE in text.REGISTRY_DATA_CODECS
    assert entry["model_file"] == "spec/text/tag-prefix-v1.json"
    raw = DEFAULT_MODEL_PATH.read_bytes()
    assert len(raw) <= 4 * 1024 * 1024 and hashlib.sha256(raw).hexdigest() == entry["sha256"]
    doc = json.loads(raw)
    assert raw == (json.dumps(doc, ensure_ascii=True, separators=(",", ":")) + "\n").encode()
    assert doc["license"] and doc["provenance"]["tool"] == "tools/build_tag_prefix_model.py"
    assert MODEL.phrases == text._model(text.TAG_CONTEXT_CODE).phrases == text._model(text.TAG_LOOKUP_CODE).phrases
    assert tp.default_model().phrases == MODEL.phrases


def test_model_codes_are_complete_canonical_and_prefix_free():
    for field in range(FIELDS):
        tables = [MODEL.order0[field], *MODEL.contexts[field].values()]
        assert ESC not in MODEL.order0[field].code_of and len(MODEL.order0[field].code_of) == MODEL.nsym - 1
        for t in tables:
            assert sum(2 ** -n for n in t.lengths) == 1 and max(t.lengths) <= MAX_CODE_BITS
            codes = sorted(f"{c:0{n}b}" for c, n in t.code_of.values())
            assert all(not b.startswith(a) for a, b in zip(codes, codes[1:]))  # sorted: a prefix sorts just before
            # canonical: in (length, symbol) order the values increase, each the previous + 1, shifted
            assert canonical_codes(list(zip(t.symbols, t.lengths))) == {
                (n, c): s for s, (c, n) in t.code_of.items()}
        assert all(ESC in t.code_of for t in MODEL.contexts[field].values())


def _doc() -> dict:
    return json.loads(DEFAULT_MODEL_PATH.read_bytes())


def _ctx(d: dict, i: int = 0) -> dict:
    return d["fields"][0]["contexts"][i]


def _swap_first_two_symbols(d: dict) -> None:
    c = _ctx(d)
    c["symbols"][0], c["symbols"][1] = c["symbols"][1], c["symbols"][0]


def _shorten_one_code(d: dict) -> None:  # a length one less: the Kraft sum exceeds 1 (over-full)
    lengths = d["fields"][0]["order0"]["lengths"]
    k = max(range(len(lengths)), key=lambda i: lengths[i])
    lengths[k] -= 1


def _lengthen_one_code(d: dict) -> None:  # a length one more: the Kraft sum falls under 1 (incomplete)
    lengths = _ctx(d)["lengths"]
    lengths[0] += 1


@pytest.mark.parametrize("mutate, message", [
    (_shorten_one_code, "Kraft sum"),
    (_lengthen_one_code, "Kraft sum"),
    (lambda d: d["fields"][0]["order0"]["lengths"].__setitem__(ESC, 1), "ESC has no code"),
    (lambda d: d["fields"][0]["order0"]["lengths"].__setitem__(0, 0), f"integers 1..{MAX_CODE_BITS}"),
    (lambda d: d["fields"][0]["order0"]["lengths"].__setitem__(0, MAX_CODE_BITS + 1), f"integers 1..{MAX_CODE_BITS}"),
    (lambda d: d["fields"][0]["order0"]["lengths"].__setitem__(0, True), "lengths must hold"),
    (lambda d: d["fields"][0]["order0"]["lengths"].__setitem__(0, 1.0), "lengths must hold"),
    (lambda d: d["fields"][0]["order0"]["lengths"].pop(), "lengths must hold"),
    (lambda d: d["fields"][0].__setitem__("order0", {"lengths": None}), "lengths must hold"),
    (lambda d: d["fields"][0].__setitem__("order0", []), "lengths must hold"),
    (lambda d: d["fields"].pop(), "each have"),
    (lambda d: d["fields"][0].__setitem__("contexts", {}), "contexts must be a list"),
    (lambda d: d["fields"][0]["contexts"].__setitem__(0, []), "a context must be an object"),
    (lambda d: _ctx(d).__setitem__("symbols", [ESC]) or _ctx(d).__setitem__("lengths", [1]), "at least two entries"),
    (lambda d: _ctx(d).__setitem__("lengths", _ctx(d)["lengths"][:-1]), "one length"),
    (lambda d: _ctx(d).__setitem__("lengths", None), "one length"),
    (lambda d: _ctx(d)["lengths"].__setitem__(0, "1"), "one length"),
    (lambda d: _ctx(d)["lengths"].__setitem__(0, 0), f"integers 1..{MAX_CODE_BITS}"),
    (lambda d: _ctx(d)["symbols"].__setitem__(0, -1), "increase, lie in the alphabet"),
    (lambda d: _ctx(d)["symbols"].__setitem__(-1, len(d["phrases"]) + FIRST_PHRASE), "increase, lie in the alphabet"),
    (_swap_first_two_symbols, "increase"),
    (lambda d: _ctx(d)["symbols"].remove(ESC) or _ctx(d)["lengths"].pop(), "include ESC"),
    (lambda d: _ctx(d, 1).__setitem__("after", _ctx(d, 0)["after"]), "distinct symbol"),
    (lambda d: _ctx(d).__setitem__("after", ESC), "distinct symbol"),
    (lambda d: _ctx(d).__setitem__("after", len(d["phrases"]) + FIRST_PHRASE), "distinct symbol"),
    (lambda d: _ctx(d).__setitem__("after", "256"), "distinct symbol"),
    (lambda d: d["phrases"].append(d["phrases"][0]), "phrase"),
    (lambda d: d["phrases"].append("ABC"), "uppercase"),
    (lambda d: d.__setitem__("format", "aigif-tag-lookup"), tp.MODEL_FORMAT),
    (lambda d: d.__setitem__("version", 2), tp.MODEL_FORMAT),
])
def test_invalid_model_is_a_registry_error(mutate, message):
    doc = _doc()
    mutate(doc)
    with pytest.raises(AigifError) as info:
        TagPrefixModel.from_json(json.dumps(doc))
    assert info.value.code == "AIGIF_E_REGISTRY" and message in str(info.value), str(info.value)


@pytest.mark.parametrize("symbols, lengths, message", [
    ([1], [1], "at least two"),
    ([1, 2, 3], [1, 1, 2], "Kraft"),
    ([1, 2, 3], [1, 2, 3], "Kraft"),
    ([1, 2], [1, 0], "integers"),
    ([1, 2], [1, None], "integers"),
    ([1, 2], [MAX_CODE_BITS + 1, 1], "integers"),
])
def test_prefix_code_rules(symbols, lengths, message):
    with pytest.raises(AigifError) as info:
        PrefixCode(symbols, lengths, "t")
    assert info.value.code == "AIGIF_E_REGISTRY" and message in str(info.value)
    assert PrefixCode([7, 3, 5], [2, 1, 2], "t").code_of == {3: (0, 1), 5: (2, 2), 7: (3, 2)}


def test_the_registry_pin_is_enforced():
    """text._model uses the file only when its sha256 is the registry's; a registry pinning another sha256 refuses."""
    entry = default_registry().enum("text_compressors")[CODE]
    with pytest.raises(AigifError) as info:
        text._load_model(CODE, entry["name"], entry["model_file"], "0" * 64)
    assert info.value.code == "AIGIF_E_REGISTRY" and "sha256" in str(info.value)
    other = copy.deepcopy(default_registry().data)
    next(e for e in other["enumerations"]["text_compressors"] if e["code"] == CODE)["sha256"] = "f" * 64
    block = text.encode_text(CODE, [SAMPLES[-2]])
    for action in (lambda: text.decode_text(CODE, block, 1, Registry(other)),
                   lambda: text.encode_text(CODE, [SAMPLES[-2]], Registry(other))):
        with pytest.raises(AigifError) as info:
            action()
        assert info.value.code == "AIGIF_E_REGISTRY"
    assert text.decode_text(CODE, block, 1) == [SAMPLES[-2]]


# ============================================================================ round trips
@pytest.mark.parametrize("prompt", SAMPLES)
@pytest.mark.parametrize("negative", [None, b"", SAMPLES[-1]])
def test_round_trip_samples(prompt, negative):
    strings = [prompt] if negative is None else [prompt, negative]
    block = text.encode_text(CODE, strings)
    assert block == MODEL.encode(strings) and len(block) == -(-bit_count(strings) // 8)
    assert text.decode_text(CODE, block, len(strings)) == strings
    assert same_as_straight(block, len(strings)) == strings


@pytest.mark.parametrize("path", [EVAL, HELDOUT])
def test_round_trip_community_sets_with_both_decoders(path):
    for strings in records(path, 150):
        block = text.encode_text(CODE, strings)
        assert text.decode_text(CODE, block, 2) == strings
        assert same_as_straight(block, 2) == strings
        if len(block) > 1:
            assert same_as_straight(block[:1], 2) == N  # and the block's first byte alone is not a block


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=80), min_size=1, max_size=2))
def test_round_trip_any_bytes(strings):
    block = MODEL.encode(strings)
    assert MODEL.decode(block, len(strings), MAX_LEN) == strings
    assert STRAIGHT.decode(block, len(strings), MAX_LEN, MODEL.tokenize) == strings


# ============================================================================ every rejection
def test_trailing_bytes_are_rejected():
    for strings in ([SAMPLES[-2]], [SAMPLES[-2], SAMPLES[-1]], [b""]):
        block = MODEL.encode(strings)
        for extra in (b"\x00", b"\x01", b"\x80", b"\xff", b"\x00\x00"):
            error = fails(block + extra, len(strings), N)
            assert "after the last code" in str(error) or "padding" in str(error)
            assert same_as_straight(block + extra, len(strings)) == N


def test_each_nonzero_padding_bit_is_rejected():
    padded = [s for s in ([x] for x in SAMPLES) if bit_count(s) % 8]
    assert len(padded) >= 3
    for strings in padded:
        block = MODEL.encode(strings)
        for bit in range(8 - bit_count(strings) % 8):  # the padding bits of the last byte, low first
            bad = block[:-1] + bytes([block[-1] | 1 << bit])
            assert "padding" in str(fails(bad, 1, N))
            assert same_as_straight(bad, 1) == N


def test_every_cut_block_is_rejected():
    """Every strict prefix of a valid block ends inside a code: NONCANONICAL (never LIMIT, never strings)."""
    for strings in ([SAMPLES[-2], SAMPLES[-1]], [SAMPLES[7]], [b""]):
        block = MODEL.encode(strings)
        for k in range(len(block)):
            fails(block[:k], len(strings), N)
            assert same_as_straight(block[:k], len(strings)) == N
    fails(b"", 1, N)


@pytest.mark.parametrize("field", range(FIELDS))
def test_escape_of_a_symbol_the_context_holds_is_rejected(field):
    """For each context of the field (a sample of them), an ESC then one of the context's own symbols (or END)."""
    ctxs = MODEL.contexts[field]
    rnd = random.Random(field)
    for prev in [END, *rnd.sample(sorted(k for k in ctxs if k != END), 40)]:
        held = rnd.choice([s for s in ctxs[prev].symbols if s != ESC])
        steps = (code_step(0, END, END) if field else []) + (code_step(field, END, prev) if prev != END else [])
        steps += [(field, prev, ESC), (field, -1, held)] + (code_step(field, held, END) if held != END else [])
        block = MODEL.encode_steps(steps)
        error = fails(block, field + 1, N)
        assert "after an escape" in str(error), (prev, held, str(error))
        assert same_as_straight(block, field + 1) == N


def test_not_greedy_is_rejected_and_raw_uppercase_and_bad_case_escapes():
    s = b"masterpiece"
    assert len(MODEL.tokenize(s)) == 1
    cases = [list(s), list(b"Cat"), list(b"\x01!"), list(b"x\x01"), list(b"\x01A"), list(b"\x01\x01\x01")]
    for symbols in cases:
        block = MODEL.encode_steps(steps_of(symbols))
        fails(block, 1, N)
        assert same_as_straight(block, 1) == N
    assert "greedy" in str(fails(MODEL.encode_steps(steps_of(list(s))), 1, N))
    assert "uppercase" in str(fails(MODEL.encode_steps(steps_of(list(b"Cat"))), 1, N))
    assert "case escape" in str(fails(MODEL.encode_steps(steps_of(list(b"\x01!"))), 1, N))
    # the same bytes with the escapes as the encoder writes them decode
    assert MODEL.decode(MODEL.encode_steps(steps_of(MODEL.symbols(b"\x01!"))), 1, MAX_LEN) == [b"\x01!"]


def test_string_longer_than_the_limit():
    # too many symbols; in the second string; folded too long (A -> 01 a); unfolded too long; few long phrases
    for strings in ([b"x" * 40], [b"", b"x" * 40], [b"A" * 11], [b"x" * 11], [b"masterpiece" * 3]):
        block = MODEL.encode(strings)
        fails(block, len(strings), L, max_len=10)
        assert same_as_straight(block, len(strings), 10) == L
    fails(MODEL.encode([b"x" * (MAX_LEN + 1)]), 1, L)
    assert text.decode_text(CODE, MODEL.encode([b"x" * MAX_LEN]), 1) == [b"x" * MAX_LEN]


def test_order_of_the_checks():
    """tag-lookup's order: too many symbols at once (before a later bad code); the trailing/padding check before
    the folded length; the folded length before unfolding; strings in order."""
    many = MODEL.encode([b"x" * 40])
    assert same_as_straight(many + b"\xff\xff", 1, 10) == L
    fails(many + b"\xff\xff", 1, L, max_len=10)
    few_long = MODEL.encode([b"masterpiece" * 3])  # 3 symbols, 33 bytes
    fails(few_long + b"\x00", 1, N, max_len=10)
    assert same_as_straight(few_long + b"\x00", 1, 10) == N
    raw_upper_then_long = MODEL.encode_steps(steps_of(list(b"Cat")) + steps_of([sym(b"masterpiece")] * 3, 1))
    fails(raw_upper_then_long, 2, L, max_len=10)
    assert same_as_straight(raw_upper_then_long, 2, 10) == L


def _symbol_limit_past_the_end() -> dict[int, bytes]:
    """Blocks of 2 * MAX_LEN symbols (p, then a repeated) and no END, whose padding bits are fewer than the all-zero
    code of a's context (the code of a symbol b, not END, not ESC): only zeros read past the block would make b, one
    symbol too many. By how many bits b's code runs past the block -> the first such block."""
    def bits(prev: int, x: int) -> int:
        return sum(table_of(f, k).code_of[y][1] for f, k, y in code_step(0, prev, x))

    found: dict[int, bytes] = {}
    for a, ctx in sorted(MODEL.contexts[0].items()):
        length, b = ctx.order[0]
        if END in (a, b) or ESC == b:
            continue
        for p in range(0x61, 0x7B):
            total = bits(END, p) + bits(p, a) + (2 * MAX_LEN - 2) * bits(a, a)
            over = length - (-total % 8)
            if over > 0 and over not in found and total <= 8 * limits.MAX_TEXT_BLOCK_BYTES:
                found[over] = MODEL.encode_steps(code_step(0, END, p) + code_step(0, p, a)
                                                 + code_step(0, a, a) * (2 * MAX_LEN - 2))
        if 1 in found and len(found) >= 3:
            return found
    raise AssertionError(f"only overruns {sorted(found)}")


def test_symbol_limit_reached_past_the_end_of_the_block():
    """A code that runs past the end (by 1 bit or more) is the error, even where the zeros a decoder may read past the
    block would make one symbol too many (found by this file's straight decoder: the reference said LIMIT before
    3cb1741); the same symbols inside the block are LIMIT."""
    for over, block in sorted(_symbol_limit_past_the_end().items()):
        assert same_as_straight(block, 1) == N, over
        assert outcome(text.decode_text, CODE, block, 1) == N, over
        assert same_as_straight(block + b"\x00" * 4, 1) == L


def test_zero_and_ff_blocks_are_bounded_in_time():
    for block in (b"", b"\x00" * 64, b"\xff" * 64, b"\x80" + b"\x00" * 200, b"\x00" * 40000):
        for n in (1, 2):
            start = time.perf_counter()
            result = same_as_straight(block, n)
            if not isinstance(result, str):
                assert MODEL.encode(result) == block
            assert time.perf_counter() - start < 10


# ============================================================================ the vectors
def _vector_block(case: Path) -> tuple[bytes, int, dict]:
    """The text block of a tag-prefix vector, its string count and its test.json (an invalid case's text length is
    read where its source valid case has it: the surgery changed only the text block)."""
    meta = json.loads((case / "test.json").read_text())
    data = (case / "input.aigif").read_bytes()
    source = case if meta["valid"] else SYNTAX / re.match(r"encode\(([\w-]+)\)", meta["how"])[1]
    spans = field_spans((source / "input.aigif").read_bytes())
    start = spans["text_length"][0]
    stream = io.BytesIO(data[start:])
    length = read_uvarint(stream, "text length")
    at = start + stream.tell()
    n = 1 + (data[spans["presence"][0]] & 1)
    return data[at:at + length], n, meta


VECTORS = sorted(p for p in SYNTAX.glob("*tag-prefix-*") if p.is_dir())
# what the reference's message names for each rule its invalid vectors break (a vector that failed for
# another reason would test nothing)
WHY = {"trailing-byte": "after the last code", "nonzero-padding": "padding", "cut-code": "", "not-greedy": "greedy",
       "escaped-context-symbol": "after an escape", "raw-uppercase": "uppercase", "bad-case-escape": "case escape",
       "string-16385": "exceeds"}


def test_the_vectors_are_there():
    names = {p.name for p in VECTORS}
    assert {f"invalid-tag-prefix-{slug}" for slug in WHY} | {"invalid-tag-prefix-utf8"} <= names
    assert len([n for n in names if n.startswith("valid-")]) >= 6


@pytest.mark.parametrize("case", VECTORS, ids=lambda p: p.name)
def test_vectors_with_both_decoders(case: Path):
    block, n, meta = _vector_block(case)
    ours = same_as_straight(block, n)
    if meta["valid"] or meta["expected_error"] == "AIGIF_E_UTF8":
        assert isinstance(ours, list) and MODEL.encode(ours) == block
        if meta["valid"]:
            expected = json.loads((case / "expected.json").read_text())
            assert ours[0].decode() == expected["prompt"]
    else:
        assert ours == meta["expected_error"]
        slug = case.name.removeprefix("invalid-tag-prefix-")
        assert WHY[slug] in str(fails(block, n, ours))


def test_a_vector_has_codes_longer_than_the_first_look_up():
    """valid-text-tag-prefix-long-codes makes a decoder's second look-up run, in a context and in order-0 (the
    reference's first reads FIRST_BITS)."""
    from vectors.cases_tag_prefix import LONG_CONTEXT_BITS, LONG_ORDER0_BITS

    assert min(LONG_CONTEXT_BITS, LONG_ORDER0_BITS) >= tp.FIRST_BITS
    block, n, _ = _vector_block(SYNTAX / "valid-text-tag-prefix-long-codes")
    strings = MODEL.decode(block, n, MAX_LEN)
    lengths = [(k, table_of(f, k).code_of[s][1]) for f, k, s in MODEL.coding_steps(strings)]
    assert any(k >= 0 and length > LONG_CONTEXT_BITS for k, length in lengths)
    assert any(k < 0 and length > LONG_ORDER0_BITS for k, length in lengths)


# ============================================================================ random and mutated blocks
@settings(max_examples=600, deadline=None)
@given(st.binary(max_size=48), st.sampled_from([1, 2]))
def test_random_blocks_both_decoders_and_canonical(block, n):
    """Whatever the decoder accepts, the encoder writes back byte for byte; the straight decoder agrees."""
    result = same_as_straight(block, n, 4096)
    if not isinstance(result, str):
        assert MODEL.encode(result) == block
    else:
        assert result in (N, L)


def _random_symbols(rnd: random.Random, k: int) -> list[int]:
    """Random symbols: bytes (letters, escapes, high bytes) and phrases, anything the alphabet has but END/ESC."""
    pool = [*range(256)]
    return [rnd.choice(pool) if rnd.random() < 0.4 else rnd.randrange(FIRST_PHRASE, MODEL.nsym) for _ in range(k)]


@settings(max_examples=400, deadline=None)
@given(st.integers(0, 2 ** 32 - 1), st.sampled_from([1, 2]), st.sampled_from([0, 1, 2, 3]))
def test_blocks_of_random_symbols_both_decoders(seed, n, tail):
    """Blocks coded from random symbol sequences (usually not greedy, often with bad case escapes), plus up to
    three random tail bytes: the reference and the straight decoder agree on the strings or the error code."""
    rnd = random.Random(seed)
    steps = [x for field in range(n) for x in steps_of(_random_symbols(rnd, rnd.randrange(0, 6)), field)]
    block = MODEL.encode_steps(steps) + bytes(rnd.randrange(256) for _ in range(tail))
    result = same_as_straight(block, n, rnd.choice([1, 3, 20, 4096]))
    if not isinstance(result, str):
        assert MODEL.encode(result) == block


@settings(max_examples=400, deadline=None)
@given(st.integers(0, 2 ** 32 - 1))
def test_mutated_real_blocks_both_decoders(seed):
    """A real record's block with 1..3 flipped bits, dropped, added or changed bytes."""
    rnd = random.Random(seed)
    strings = rnd.choice(REAL)
    block = bytearray(MODEL.encode(strings))
    for _ in range(rnd.randint(1, 3)):
        kind = rnd.randrange(4)
        if kind == 0 and block:
            block[rnd.randrange(len(block))] ^= 1 << rnd.randrange(8)
        elif kind == 1 and block:
            del block[rnd.randrange(len(block))]
        elif kind == 2:
            block.insert(rnd.randrange(len(block) + 1), rnd.randrange(256))
        elif block:
            block[rnd.randrange(len(block))] = rnd.randrange(256)
    result = same_as_straight(bytes(block), len(strings))
    if not isinstance(result, str):
        assert MODEL.encode(result) == bytes(block)


REAL = records(EVAL, 60) + [[s] for s in SAMPLES]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64), st.integers(0, 3))
def test_no_input_raises_anything_but_an_aigif_error(block, n):
    """Through the dispatch: any bytes and any string count (the container passes 1 or 2) give strings or AigifError."""
    try:
        strings = text.decode_text(CODE, block, n) if n in (1, 2) else None
    except AigifError as exc:
        assert exc.code in (N, L)
        return
    if strings is not None:
        assert text.encode_text(CODE, strings) == block


# ============================================================================ the greedy check
def test_greedy_shortcut_equals_retokenizing():
    """The reference's greedy test (pair rules noted in its tables, looked up after ESC) accepts exactly the splits
    that re-tokenizing gives, in both fields."""
    rnd = random.Random(13)
    texts = [s for r in records(HELDOUT, 40) for s in r]
    for _ in range(150):
        texts.append(b"".join(rnd.choice(MODEL.phrases)[:rnd.randint(1, 24)] for _ in range(rnd.randint(1, 12))))
    checked = rejected = 0
    for i, s in enumerate(texts):
        folded = case_fold(s)
        field = i % 2
        for symbols in [MODEL.symbols(s)] + [random_tokenization(MODEL, folded, rnd) for _ in range(3)]:
            steps = steps_of([], 0) + steps_of(symbols, 1) if field else steps_of(symbols, 0)
            block = MODEL.encode_steps(steps)
            greedy = MODEL.tokenize(s) == [MODEL.tokens[x] for x in symbols]
            expected = [b"", s] if field else [s]
            result = same_as_straight(block, field + 1)
            assert (result == expected) == greedy and (greedy or result == N), (s, symbols)
            checked += 1
            rejected += not greedy
    assert rejected > 200 and checked - rejected > 200  # both outcomes were exercised


# ============================================================================ dispatch
def test_writer_picks_the_smallest_ties_to_tag_prefix():
    """text.smallest: the smallest stored block; among equal sizes the first of TIE_ORDER, which starts with code 5."""
    assert text.TIE_ORDER[0] == CODE and sorted(text.TIE_ORDER) == sorted(text.CANONICAL_CODECS)
    tie_seen = False
    for strings in [[s] for s in SAMPLES] + records(EVAL, 60):
        code, block = text.smallest(strings)
        sizes = {c: len(text.encode_text(c, strings)) for c in text.CANONICAL_CODECS}
        best = min(sizes.values())
        tied = [c for c, size in sizes.items() if size == best]
        assert len(block) == best and code == min(tied, key=text.TIE_ORDER.index)
        tie_seen |= CODE in tied and len(tied) > 1
        assert text.decode_text(code, block, len(strings)) == strings
    assert tie_seen, "no record where tag-prefix ties with another coder"


# ============================================================================ the model builder
def test_builder_tables_are_deterministic_and_valid():
    """tools/build_tag_prefix_model.py's table step on a few records: same output twice, a valid model that codes
    them; its length limiting keeps codes complete, within the limit and ordered by weight."""
    builder = check_builder_tables("build_tag_prefix_model", TagPrefixModel, EVAL, MAX_LEN)
    weights = [1 << 30, *[1] * 40, 3, 2]  # Huffman would give the 1s lengths beyond 8
    for limit in (8, MAX_CODE_BITS):
        lengths = builder.limited_lengths(weights, limit)
        assert sum(2 ** -n for n in lengths) == 1 and max(lengths) <= limit
        assert all(lengths[a] <= lengths[b] for a in range(len(weights)) for b in range(len(weights))
                   if weights[a] > weights[b])
    assert builder.huffman_lengths([1, 1]) == [1, 1] and builder.huffman_lengths([4, 2, 1, 1]) == [1, 2, 3, 3]
