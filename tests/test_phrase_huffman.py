"""phrase-Huffman v1 (text compressor 2): round trip, golden blocks, canonicality, limits."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigif_ref.codecs.phrase_huffman import (
    DEFAULT_MODEL_PATH, END, FIRST_PHRASE, PhraseHuffmanModel, default_model, tokenize_reference,
)
from aigif_ref.errors import AigifError

MAX_LEN = 16384
MODEL = default_model()


def code(sym: int) -> str:
    return format(MODEL.codes[sym], f"0{MODEL.code_lengths[sym]}b")


def block_of(symbols: list[int], pad: str | None = None) -> bytes:
    """A block written by hand from symbols (END included by the caller), zero padded."""
    bits = "".join(code(s) for s in symbols)
    bits += pad if pad is not None else "0" * (-len(bits) % 8)
    assert len(bits) % 8 == 0
    return int(bits, 2).to_bytes(len(bits) // 8, "big") if bits else b""


def sym(token: bytes) -> int:
    return token[0] if len(token) == 1 else FIRST_PHRASE + MODEL.phrases.index(token)


def bit_length(strings: list[bytes]) -> int:
    return sum(MODEL.code_lengths[s] for x in strings for s in MODEL.symbols(x) + [END])


def fails(block: bytes, n: int, code_: str, max_len: int = MAX_LEN) -> None:
    with pytest.raises(AigifError) as info:
        MODEL.decode(block, n, max_len)
    assert info.value.code == code_, str(info.value)


# ----------------------------------------------------------------------------- model
def test_model_file_is_byte_stable():
    raw = DEFAULT_MODEL_PATH.read_bytes()
    doc = json.loads(raw)
    assert raw == (json.dumps(doc, ensure_ascii=True, indent=None, separators=(",", ":")) + "\n").encode()
    assert doc["format"] == "aigif-phrase-huffman" and doc["version"] == 1 and doc["max_code_length"] == 15
    assert len(doc["code_lengths"]) == FIRST_PHRASE + len(doc["phrases"])


def test_model_code_is_complete():
    assert sum(2.0 ** -n for n in MODEL.code_lengths) == 1.0
    assert all(1 <= n <= 15 for n in MODEL.code_lengths)


@pytest.mark.parametrize("change", [
    lambda d: d["code_lengths"].__setitem__(0, d["code_lengths"][0] + 1),  # incomplete
    lambda d: d["code_lengths"].__setitem__(0, d["code_lengths"][0] - 1),  # over-subscribed
    lambda d: d["code_lengths"].__setitem__(0, 0),
    lambda d: d["code_lengths"].__setitem__(0, 16),
    lambda d: d["code_lengths"].pop(),
    lambda d: d["phrases"].__setitem__(1, d["phrases"][0]),  # duplicate
    lambda d: d["phrases"].__setitem__(0, "x"),  # too short
    lambda d: d["phrases"].__setitem__(0, "x" * 65),  # too long
    lambda d: d["phrases"].__setitem__(0, "\ud800x"),  # not Unicode scalar values
    lambda d: d.__setitem__("version", 2),
    lambda d: d.__setitem__("max_code_length", 16),
])
def test_bad_model_rejected(change):
    doc = json.loads(DEFAULT_MODEL_PATH.read_bytes())
    change(doc)
    with pytest.raises(AigifError) as info:
        PhraseHuffmanModel.from_json(json.dumps(doc))
    assert info.value.code == "AIGIF_E_REGISTRY"


def test_canonical_codes_rfc1951_example():
    from aigif_ref.codecs.phrase_huffman import canonical_codes
    # RFC 1951 3.2.2: lengths (3, 3, 3, 3, 3, 2, 4, 4) -> 010 011 100 101 110 00 1110 1111
    assert canonical_codes([3, 3, 3, 3, 3, 2, 4, 4]) == [2, 3, 4, 5, 6, 0, 14, 15]


# ------------------------------------------------------------------------ round trip
text_strategy = st.one_of(
    st.binary(max_size=200),
    st.text(max_size=120).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.lists(st.sampled_from(MODEL.phrases + [b" ", b",", b"a", b"s", b"(", b":1.2)"]), max_size=30).map(b"".join),
    st.text(alphabet="abcdefghilmnorstuw ,.()", max_size=120).map(str.encode),
)


@given(st.lists(text_strategy, min_size=1, max_size=2))
@settings(max_examples=400, deadline=None)
def test_round_trip(strings):
    block = MODEL.encode(strings)
    assert MODEL.decode(block, len(strings), MAX_LEN) == strings
    assert len(block) == (bit_length(strings) + 7) // 8
    # read with the other string count, the block is rejected or is that count's one block
    other = 3 - len(strings)
    try:
        out = MODEL.decode(block, other, MAX_LEN)
    except AigifError:
        return
    assert MODEL.encode(out) == block


@given(text_strategy)
@settings(max_examples=300, deadline=None)
def test_tokenizer_is_greedy_longest_match(s):
    assert MODEL.symbols(s) == tokenize_reference(s, MODEL.phrases)


@pytest.mark.parametrize("strings", [[b""], [b"", b""], [b"", b"x"], [b"x", b""]])
def test_empty_strings(strings):
    assert MODEL.decode(MODEL.encode(strings), len(strings), MAX_LEN) == strings


def test_prompts_from_the_wild():
    prompts = [
        "Salvador Dal\u00ed", "a corgi\u2019s head", "\u732b \U0001F431 cat", "(masterpiece:1.2), 1girl, solo",
        "lowres, bad anatomy, bad hands, text, error, missing fingers, extra digit, fewer digits, cropped, "
        "worst quality, low quality, normal quality, jpeg artifacts, signature, watermark, username, blurry",
    ]
    for p in prompts:
        b = p.encode()
        assert MODEL.decode(MODEL.encode([b]), 1, MAX_LEN) == [b]
        assert MODEL.decode(MODEL.encode([b, b]), 2, MAX_LEN) == [b, b]


# ---------------------------------------------------------------------------- golden
GOLDEN = [
    ([b"a cute cat", b""], "1e67b12000"),  # the worked example of spec/text/phrase-huffman.md
    ([b"A cute cat"], "2a99ec4800"),
    ([b"A cute cat", b"worst quality"], "2a99ec485030"),
    ([b""], "00"),
    ([b"", b""], "00"),
    (["Salvador Dal\u00ed".encode()], "42a491778069a48ec28940"),
]


@pytest.mark.parametrize("strings,hex_block", GOLDEN)
def test_golden(strings, hex_block):
    assert MODEL.encode(strings).hex() == hex_block
    assert MODEL.decode(bytes.fromhex(hex_block), len(strings), MAX_LEN) == strings


def test_worked_example_by_hand():
    # "a cute cat" = literal 'a', phrase " cute", phrase " cat", END; "" = END
    syms = [ord("a"), sym(b" cute"), sym(b" cat"), END, END]
    assert MODEL.symbols(b"a cute cat") == syms[:3]
    assert block_of(syms) == bytes.fromhex("1e67b12000")


# ---------------------------------------------------------------------- canonicality
def padded_example() -> list[bytes]:
    for s in (b"a cute cat", b"a", b"ab", b"abc", b"abcd", b"abcde", b"abcdef", b"abcdefg"):
        if bit_length([s]) % 8:
            return [s]
    raise AssertionError("no example with padding")


def test_nonzero_padding_rejected():
    strings = padded_example()
    block = MODEL.encode(strings)
    pad = -bit_length(strings) % 8
    for bit in range(pad):
        bad = block[:-1] + bytes([block[-1] | (1 << bit)])
        fails(bad, 1, "AIGIF_E_NONCANONICAL")


@pytest.mark.parametrize("extra", [b"\x00", b"\x80", b"\x00\x00", b"\xff"])
def test_trailing_bytes_rejected(extra):
    for strings in ([b"a cute cat"], [b""], [b"A cute cat", b"worst quality"]):
        fails(MODEL.encode(strings) + extra, len(strings), "AIGIF_E_NONCANONICAL")


def test_literal_spelled_phrase_rejected():
    assert b" cat" in MODEL.phrases
    good = block_of([sym(b" cat"), END])
    assert MODEL.decode(good, 1, MAX_LEN) == [b" cat"]
    assert good == MODEL.encode([b" cat"])
    fails(block_of([ord(" "), ord("c"), ord("a"), ord("t"), END]), 1, "AIGIF_E_NONCANONICAL")


def test_shorter_phrase_split_rejected():
    # " of a" is a phrase: " of" + " a" is not the greedy tokenization
    assert b" of a" in MODEL.phrases and b" of" in MODEL.phrases and b" a" in MODEL.phrases
    fails(block_of([sym(b" of"), sym(b" a"), END]), 1, "AIGIF_E_NONCANONICAL")
    # ... also in the second string
    fails(block_of([END, sym(b" of"), sym(b" a"), END]), 2, "AIGIF_E_NONCANONICAL")


@given(st.lists(text_strategy, min_size=1, max_size=2), st.data())
@settings(max_examples=200, deadline=None)
def test_any_other_split_rejected(strings, data):
    """Re-spell one token of a valid stream as literals: rejected unless it was one already."""
    tokens = [MODEL.symbols(s) for s in strings]
    spots = [(i, j) for i, t in enumerate(tokens) for j, s in enumerate(t) if s >= FIRST_PHRASE]
    if not spots:
        return
    i, j = data.draw(st.sampled_from(spots))
    tokens[i][j:j + 1] = list(MODEL.tokens[tokens[i][j]])
    block = block_of([s for t in tokens for s in t + [END]])
    fails(block, len(strings), "AIGIF_E_NONCANONICAL")


def test_missing_end_truncated():
    # END's code is all zeros here, so zero padding of >= len(END) bits reads as END:
    # use token sequences that leave fewer padding bits than that
    end_len = MODEL.code_lengths[END]
    assert MODEL.codes[END] == 0
    found = {1: 0, 2: 0}
    for s in [b"a cute cat", b"x", b"xy"] + MODEL.phrases[:50]:
        for n, syms in ((1, MODEL.symbols(s)), (2, MODEL.symbols(s) + [END] + MODEL.symbols(s))):
            if -sum(MODEL.code_lengths[x] for x in syms) % 8 < end_len:
                fails(block_of(syms), n, "AIGIF_E_TRUNCATED")
                found[n] += 1
    assert min(found.values()) >= 5
    fails(MODEL.encode([b"a cute cat"]), 2, "AIGIF_E_TRUNCATED")
    fails(b"", 1, "AIGIF_E_TRUNCATED")


@given(st.lists(text_strategy, min_size=1, max_size=2))
@settings(max_examples=200, deadline=None)
def test_every_proper_prefix_truncated(strings):
    block = MODEL.encode(strings)
    for n in range(len(block)):
        fails(block[:n], len(strings), "AIGIF_E_TRUNCATED")


@given(st.lists(text_strategy, min_size=1, max_size=2))
@settings(max_examples=200, deadline=None)
def test_decoded_block_is_the_only_block(strings):
    """Flip any single bit: the result never decodes to a different block's strings silently."""
    block = MODEL.encode(strings)
    for k in range(min(8 * len(block), 64)):
        bad = bytearray(block)
        bad[k // 8] ^= 0x80 >> (k % 8)
        try:
            out = MODEL.decode(bytes(bad), len(strings), MAX_LEN)
        except AigifError:
            continue
        assert MODEL.encode(out) == bytes(bad)


# --------------------------------------------------------------------------- limits
def test_max_len_enforced():
    s = b"x" * 100
    block = MODEL.encode([s])
    assert MODEL.decode(block, 1, 100) == [s]
    fails(block, 1, "AIGIF_E_LIMIT", max_len=99)
    fails(MODEL.encode([b"", s]), 2, "AIGIF_E_LIMIT", max_len=99)


def test_limit_raised_before_the_end():
    """LIMIT is raised as soon as the string is too long: the rest of the block is never read."""
    block = MODEL.encode([b"worst quality" * 10000])  # many short codes, no END for a long time
    cut = block[:200]  # ends long before END: a full decode would say TRUNCATED
    fails(cut, 1, "AIGIF_E_TRUNCATED")
    fails(cut, 1, "AIGIF_E_LIMIT", max_len=50)


def test_truncation_wins_over_limit_past_the_end():
    # the code running past the block is reported first, even if it would also exceed max_len
    block = MODEL.encode([b"worst quality"])
    fails(block[:1], 1, "AIGIF_E_TRUNCATED", max_len=0)


@given(st.binary(max_size=300), st.sampled_from([1, 2]), st.sampled_from([0, 5, 100, MAX_LEN]))
@settings(max_examples=1000, deadline=None)
def test_random_blocks_only_raise_aigif_errors(block, n, max_len):
    try:
        out = MODEL.decode(block, n, max_len)
    except AigifError as exc:
        assert exc.code in {"AIGIF_E_TRUNCATED", "AIGIF_E_NONCANONICAL", "AIGIF_E_LIMIT"}
        return
    assert len(out) == n and all(len(s) <= max_len for s in out)
    assert MODEL.encode(out) == block


ROOT = Path(__file__).resolve().parents[1]
PARTIPROMPTS = ROOT.parent / "shared" / "data" / "PartiPrompts.tsv"


@pytest.mark.skipif(not PARTIPROMPTS.exists(), reason="needs ../shared/data/PartiPrompts.tsv (the training data)")
def test_model_file_is_reproduced_by_its_training_script(tmp_path):
    out = tmp_path / "model.json"
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_phrase_model.py"), "--partiprompts", str(PARTIPROMPTS),
                    "--out", str(out)], check=True, capture_output=True)
    assert out.read_bytes() == (ROOT / "spec" / "text" / "phrase-huffman-v1.json").read_bytes()


def test_decode_and_encode_use_the_phrase_model_of_the_registry_they_are_given():
    # A registry whose phrase-huffman entry pins another sha256 must be the one consulted (not the shipped one).
    import copy

    from aigif_ref.api import decode, encode
    from aigif_ref.codecs.text import PHRASE_HUFFMAN_CODE
    from aigif_ref.registry import Registry, default_registry

    record = {"model_id": 0, "steps": 1, "guidance_scale": 0.0, "seed": 0, "height": 8, "width": 8,
              "prompt": "a photo of a cat", "text_compressor": PHRASE_HUFFMAN_CODE}
    data = encode(record)
    other = copy.deepcopy(default_registry().data)
    entry = next(e for e in other["enumerations"]["text_compressors"] if e["code"] == PHRASE_HUFFMAN_CODE)
    entry["sha256"] = "0" * 64
    with pytest.raises(AigifError) as failure:
        decode(data, Registry(other))
    assert failure.value.code == "AIGIF_E_REGISTRY"
    with pytest.raises(AigifError) as failure:
        encode(record, Registry(other))
    assert failure.value.code == "AIGIF_E_REGISTRY"
    assert decode(data)["prompt"] == record["prompt"]
