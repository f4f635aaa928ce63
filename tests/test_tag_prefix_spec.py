"""spec/text/tag-prefix.md against the reference codec: every worked example, the canonical-code table, the
rejected blocks and the stated constants are read out of the page and checked, so the spec and the code cannot
drift apart.

Markup the page keeps (this test fails if it changes): an example starts with a line
"**Example N.** Prompt `…`[, negative prompt `…`] (*n* = k)."; its "Tokens:" line lists the tokens in backticks;
its step table has the columns step | table | symbol | length | code; its block is "B code bits + P padding bits
…the block is **`hex`** (L bytes". Tokens are shown with ␣ for a space and \\x01 for the case escape byte.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from aigif_ref.codecs import tag_prefix, text
from aigif_ref.codecs.tag_context import END, ESC
from aigif_ref.errors import AigifError
from aigif_ref.grammar import limits

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "spec" / "text" / "tag-prefix.md"
PAGE = SPEC.read_text(encoding="utf-8")
FLAT = " ".join(PAGE.split())  # the page's prose with line breaks as spaces
MODEL = tag_prefix.default_model()
SYMBOL_NAMES = {END: "END", ESC: "ESC"}

EXAMPLE_HEAD = re.compile(r"^\*\*Example (\d+)\.\*\* Prompt `([^`]*)`(?:, negative prompt `([^`]*)`| alone) \(\*n\* = (\d)\)\.",
                          re.MULTILINE)
TABLE_CELL = re.compile(r"field (\d), (?:after (END|\d+)|order-0 \((after ESC|no context after (END|\d+))\))$")
SYMBOL_CELL = re.compile(r"(\d+) (END|ESC|`[^`]*`)$")
BLOCK_LINE = re.compile(r"(\d+) code bits \+ (\d) padding bits.*?the block is\s+\*\*`([0-9a-f ]+)`\*\* \((\d+) bytes"
                        r"(?: for (\d+) bytes of\s+text)?", re.DOTALL)


def shown(token: bytes) -> str:
    """A token as the page writes it."""
    return token.decode("utf-8").replace(" ", "␣").replace("\x01", "\\x01")


def symbol_shown(sym: int) -> str:
    return SYMBOL_NAMES.get(sym) or f"`{shown(MODEL.tokens[sym])}`"


def table_rows(section: str, header: str) -> list[list[str]]:
    """The body rows of the first table in ``section`` whose header row is ``header``."""
    lines = section.splitlines()
    start = lines.index(header)
    assert re.fullmatch(r"\|(---\|)+", lines[start + 1])
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def examples() -> list[tuple[int, list[bytes], str]]:
    """(number, strings, section text) of every worked example, in page order."""
    heads = list(EXAMPLE_HEAD.finditer(PAGE))
    out = []
    for i, head in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else PAGE.index("**Rejected blocks.**")
        strings = [head[2].encode()] + ([head[3].encode()] if head[3] is not None else [])
        assert int(head[4]) == len(strings), head[0]
        out.append((int(head[1]), strings, PAGE[head.start():end]))
    return out


EXAMPLES = examples()


def test_the_page_has_the_examples_the_brief_asks_for():
    assert [n for n, _, _ in EXAMPLES] == list(range(1, len(EXAMPLES) + 1))
    assert len(re.findall(r"^\*\*Example ", PAGE, re.MULTILINE)) == len(EXAMPLES)  # none missed by the markup
    assert len(EXAMPLES) >= 3
    all_steps = [MODEL.coding_steps(strings) for _, strings, _ in EXAMPLES]
    assert any(len(strings) == 2 and any(s == ESC for _, _, s in steps) and re.search(rb":\d\.\d\)", strings[0])
               for (_, strings, _), steps in zip(EXAMPLES, all_steps)), "prompt + negative with a weight and an escape"
    assert any(b"\x01" in b"".join(MODEL.tokenize(s)) for _, strings, _ in EXAMPLES for s in strings), "a case escape"
    # a code longer than the reference decoder's first look-up (its second look-up is exercised)
    assert any(MODEL.order0[f].code_of[s][1] > tag_prefix.FIRST_BITS
               for steps in all_steps for f, key, s in steps if key < 0)


@pytest.mark.parametrize("number,strings,section", EXAMPLES, ids=[f"example-{n}" for n, _, _ in EXAMPLES])
def test_worked_example_matches_the_reference(number, strings, section):
    # tokens
    tokens_line = next(line for line in section.splitlines() if line.startswith("Tokens:"))
    assert re.findall(r"`([^`]*)`", tokens_line) == [shown(t) for s in strings for t in MODEL.tokenize(s)]
    # one row per coding step: table, symbol, code length and code bits
    steps = MODEL.coding_steps(strings)
    rows = table_rows(section, "| step | table | symbol | length | code |")
    assert len(rows) == len(steps)
    prev = (None, END)  # (field, previous symbol) for the "(no context after p)" cells
    for i, ((field, key, sym), row) in enumerate(zip(steps, rows), 1):
        step, table_cell, symbol_cell, length_cell, code_cell = row
        assert step == str(i)
        where = TABLE_CELL.fullmatch(table_cell)
        assert where, table_cell
        assert int(where[1]) == field, row
        if prev[0] != field:
            prev = (field, END)
        if key >= 0:
            assert where[2] == ("END" if key == END else str(key)), row
        else:
            assert where[2] is None, row
            after_esc = i > 1 and steps[i - 2][2] == ESC and steps[i - 2][0] == field
            if after_esc:
                assert where[3] == "after ESC", row
            else:
                assert where[4] == ("END" if prev[1] == END else str(prev[1])), row
                assert prev[1] not in MODEL.contexts[field], row
        sym_match = SYMBOL_CELL.fullmatch(symbol_cell)
        assert sym_match and int(sym_match[1]) == sym and sym_match[2] == symbol_shown(sym), row
        table = MODEL.order0[field] if key < 0 else MODEL.contexts[field][key]
        code, n = table.code_of[sym]
        assert int(length_cell) == n, row
        assert code_cell == f"`{code:0{n}b}`", row
        if sym != ESC:
            prev = (field, sym)
    # the block
    block = MODEL.encode(strings)
    stated = BLOCK_LINE.search(section)
    assert stated, f"example {number}: no block line"
    bits = sum(int(row[3]) for row in rows)
    assert int(stated[1]) == bits and int(stated[2]) == -bits % 8
    assert bytes.fromhex(stated[3]) == block and int(stated[4]) == len(block)
    if stated[5] is not None:
        assert int(stated[5]) == sum(map(len, strings))
    binary = re.search(r"`([01]{8}(?: [01]{8})+)`", section)
    if binary:  # the bits written out byte by byte, where the example shows them
        assert binary[1] == " ".join(f"{b:08b}" for b in block)
    assert MODEL.decode(block, len(strings), limits.MAX_STRING_BYTES) == strings
    long_codes = re.search(r"Steps ((?:\d+, )*\d+ and \d+) have codes longer than (\d+) bits", " ".join(section.split()))
    if long_codes:  # the steps that need the reference decoder's second look-up
        assert int(long_codes[2]) == tag_prefix.FIRST_BITS
        stated_steps = {int(x) for x in re.findall(r"\d+", long_codes[1])}
        assert stated_steps == {i for i, row in enumerate(rows, 1) if int(row[3]) > tag_prefix.FIRST_BITS}


def test_canonical_code_example_is_the_model_table():
    section = PAGE[PAGE.index("## Canonical codes"):PAGE.index("## The block")]
    literal = re.search(r'`(\{"after":\d+,"symbols":\[[\d,]+\],"lengths":\[[\d,]+\]\})`', section)
    assert literal and literal[1] in tag_prefix.DEFAULT_MODEL_PATH.read_text(encoding="ascii")
    context = json.loads(literal[1])
    assert any(context in field["contexts"]
               for field in json.loads(tag_prefix.DEFAULT_MODEL_PATH.read_text(encoding="ascii"))["fields"][:1])
    table = MODEL.contexts[0][context["after"]]
    rows = table_rows(section, "| symbol | length | code |")
    expected = [(f"{s} {symbol_shown(s)}", str(n), f"`{table.code_of[s][0]:0{n}b}`") for n, s in table.order]
    assert [tuple(r) for r in rows] == expected


REJECTED = table_rows(PAGE, "| block | *n* | `max_len` | what is wrong | error |")


@pytest.mark.parametrize("row", REJECTED, ids=[f"rejected-{i}" for i in range(1, len(REJECTED) + 1)])
def test_rejected_block_is_rejected_with_the_stated_error(row):
    block_cell, n, max_len, _what, error = row
    block = bytes.fromhex(block_cell.strip("`"))
    with pytest.raises(AigifError) as info:
        MODEL.decode(block, int(n), int(max_len))
    assert f"`{info.value.code}`" == error, (row, info.value.message)


def test_rejected_blocks_are_built_as_described():
    """The rows that change example 1's codes are what their text says (the others change its bytes)."""
    ex1 = MODEL.encode([b"a cute cat"])
    blocks = [bytes.fromhex(r[0].strip("`")) for r in REJECTED]
    steps = MODEL.coding_steps([b"a cute cat"])
    assert MODEL.encode_steps([(0, END, ESC), (0, -1, 97)] + steps[1:]) in blocks
    assert 97 in MODEL.contexts[0][END].index

    def context_rule(symbols: list[int]) -> list[tuple[int, int, int]]:
        out, prev = [], END
        for x in symbols + [END]:
            ctx = MODEL.contexts[0].get(prev)
            out += [(0, -1, x)] if ctx is None else [(0, prev, x)] if x in ctx.index else [(0, prev, ESC), (0, -1, x)]
            prev = x
        return out

    assert MODEL.encode_steps(context_rule([97, 5508, 32, 99, 97, 116])) in blocks
    assert MODEL.encode_steps(context_rule([65])) in blocks
    assert {ex1 + b"\0", ex1[:-1] + bytes([ex1[-1] | 1]), ex1[:-1], ex1} <= set(blocks)


def test_stated_constants_are_the_modules():
    assert f"`MAX_CODE_BITS` = {tag_prefix.MAX_CODE_BITS}" in FLAT
    assert {int(x) for x in re.findall(r"`MAX_CODE_BITS` = (\d+)", FLAT)} == {tag_prefix.MAX_CODE_BITS}
    assert f'| `format` | `"{tag_prefix.MODEL_FORMAT}"` |' in FLAT
    assert f"| `version` | `{tag_prefix.MODEL_VERSION}` |" in FLAT
    code = text.TAG_PREFIX_CODE
    assert PAGE.startswith(f"# tag-prefix-v1 (text compressor {code})\n")
    assert f"name `tag-prefix-v1`, code {code}," in FLAT
    doc = json.loads(tag_prefix.DEFAULT_MODEL_PATH.read_text(encoding="ascii"))
    assert f"*S* = {MODEL.nsym:,}" in FLAT and f"{len(doc['phrases']):,} phrases" in FLAT
    longest_order0 = max(max(f["order0"]["lengths"]) for f in doc["fields"])
    longest_context = max(max(c["lengths"]) for f in doc["fields"] for c in f["contexts"])
    assert f"longest codes are {longest_order0} bits (order-0" in FLAT
    assert f"and {longest_context} bits (a context)" in FLAT
    assert f"the longest code is {max(longest_order0, longest_context)} bits" in FLAT
    assert f"`FIRST_BITS` = {tag_prefix.FIRST_BITS} bits first, then up to `SUB_BITS` = {tag_prefix.SUB_BITS} bits" in FLAT
    assert f"has {1 << tag_prefix.FIRST_BITS} entries" in FLAT
    assert max(longest_order0, longest_context) <= tag_prefix.FIRST_BITS + tag_prefix.SUB_BITS  # "two look-ups"
    assert f"> {doc['license']}\n" in PAGE


def test_bitstream_names_the_compressor_and_its_tie_rule():
    bitstream = " ".join((ROOT / "spec" / "bitstream.md").read_text(encoding="utf-8").split())
    code = text.TAG_PREFIX_CODE
    assert f"**{code} — tag-prefix-v1.**" in bitstream and "(text/tag-prefix.md)" in bitstream
    assert text.TIE_ORDER[0] == code
    assert f"ties go to {code} (tag-prefix-v1" in bitstream



# ----------------------------------------------------------------------------- the page's decoding procedure
def _canonical_codes(symbols: list[int], lengths: list[int]) -> dict[str, int]:
    """The page's "Canonical codes" rule, from the model's lengths: code bits -> symbol."""
    out, code, prev = {}, 0, None
    for length, symbol in sorted(zip(lengths, symbols)):
        code <<= length - (length if prev is None else prev)
        out[f"{code:0{length}b}"] = symbol
        code, prev = code + 1, length
    return out


_CODES: dict[int, dict[str, int]] = {}


def _codes(table) -> dict[str, int]:
    if id(table) not in _CODES:
        _CODES[id(table)] = _canonical_codes(table.symbols, table.lengths)
    return _CODES[id(table)]


def _error(code: str) -> AigifError:
    return AigifError(code, "spec/text/tag-prefix.md, Decoding")


def spec_decode(block: bytes, n: int, max_len: int) -> list[bytes]:
    """spec/text/tag-prefix.md "Decoding" as written, bit by bit: no look-up lists, no shortcut."""
    bits, pos = "".join(f"{b:08b}" for b in block), 0

    def read(table) -> int:
        nonlocal pos
        codes = _codes(table)
        for length in range(1, tag_prefix.MAX_CODE_BITS + 1):
            if pos + length > len(bits):
                raise _error("AIGIF_E_NONCANONICAL")  # no code of the table is a prefix of the bits left
            if bits[pos:pos + length] in codes:
                pos += length
                return codes[bits[pos - length:pos]]
        raise AssertionError("a complete code always matches within 24 bits")

    strings = []
    for field in range(n):  # step 1
        prev, symbols = END, []
        while True:
            context = MODEL.contexts[field].get(prev)
            sym = read(context if context is not None else MODEL.order0[field])
            if sym == ESC:
                sym = read(MODEL.order0[field])
                if sym in context.symbols:
                    raise _error("AIGIF_E_NONCANONICAL")
            if sym == END:
                break
            symbols.append(sym)
            if len(symbols) > 2 * max_len:
                raise _error("AIGIF_E_LIMIT")
            prev = sym
        strings.append(symbols)
    if len(bits) - pos >= 8 or "1" in bits[pos:]:  # step 2
        raise _error("AIGIF_E_NONCANONICAL")
    folded = [b"".join(MODEL.tokens[s] for s in symbols) for symbols in strings]
    if any(len(f) > 2 * max_len for f in folded):  # step 3
        raise _error("AIGIF_E_LIMIT")
    out = []
    for f in folded:
        text, i = bytearray(), 0
        while i < len(f):
            if 0x41 <= f[i] <= 0x5A:
                raise _error("AIGIF_E_NONCANONICAL")
            if f[i] == 0x01:
                nxt = f[i + 1] if i + 1 < len(f) else None
                if nxt == 0x01 or (nxt is not None and 0x61 <= nxt <= 0x7A):
                    text.append(nxt if nxt == 0x01 else nxt - 0x20)
                    i += 2
                    continue
                raise _error("AIGIF_E_NONCANONICAL")
            text.append(f[i])
            i += 1
        if len(text) > max_len:
            raise _error("AIGIF_E_LIMIT")
        out.append(bytes(text))
    for s, symbols in zip(out, strings):  # step 4
        if MODEL.tokenize(s) != [MODEL.tokens[x] for x in symbols]:
            raise _error("AIGIF_E_NONCANONICAL")
    return out


def _outcome(decode, block: bytes, n: int, max_len: int):
    try:
        return decode(block, n, max_len)
    except AigifError as exc:
        return exc.code


def _hostile_variants(block: bytes):
    """The block with each bit flipped, cut to each shorter length, and with a byte appended."""
    for i in range(8 * len(block)):
        yield bytes(b ^ (0x80 >> (i % 8)) if j == i // 8 else b for j, b in enumerate(block))
    for k in range(len(block)):
        yield block[:k]
    for extra in (b"\x00", b"\x80", b"\xff"):
        yield block + extra


def test_the_pages_decoding_procedure_agrees_with_the_reference():
    """An implementation of the page's decoding steps (in their order) gives the reference's strings or error on
    every worked example, every rejected block and every one-bit, cut or extended variant of the examples."""
    cases = [(MODEL.encode(strings), len(strings), limits.MAX_STRING_BYTES) for _, strings, _ in EXAMPLES]
    cases += [(bytes.fromhex(r[0].strip("`")), int(r[1]), int(r[2])) for r in REJECTED]
    for block, n, _ in list(cases[:len(EXAMPLES)]):
        cases += [(variant, n, limits.MAX_STRING_BYTES) for variant in _hostile_variants(block)]
        cases += [(block, 3 - n, limits.MAX_STRING_BYTES)] + [(block, n, m) for m in (1, 2, 3, 5, 8, 13, 21)]
    cases += [(_cut_inside_the_last_symbol(m), 1, m) for m in (1, 2, 3)]  # cut code and symbol limit at once
    outcomes = {"ok": 0, "AIGIF_E_NONCANONICAL": 0, "AIGIF_E_LIMIT": 0}
    for block, n, max_len in cases:
        expected = _outcome(MODEL.decode, block, n, max_len)
        assert _outcome(spec_decode, block, n, max_len) == expected, (block.hex(" "), n, max_len)
        outcomes["ok" if isinstance(expected, list) else expected] += 1
    assert all(outcomes.values()), outcomes  # each kind of outcome is exercised


def _cut_inside_the_last_symbol(max_len: int) -> bytes:
    """The codes of the first 2 * max_len + 1 symbols of a prompt (no END), cut one bit into the last code."""
    steps, count = [], 0
    for step in MODEL.coding_steps([b"a cute cat, a cute dog"]):
        steps.append(step)
        count += step[2] not in (END, ESC)
        if count == 2 * max_len + 1:
            break
    assert count == 2 * max_len + 1
    codes = [(MODEL.order0[f] if k < 0 else MODEL.contexts[f][k]).code_of[s] for f, k, s in steps]
    bits = "".join(f"{c:0{n}b}" for c, n in codes)
    cut = len(bits) - codes[-1][1] + 1
    kept = bits[:cut].ljust(-(-cut // 8) * 8, "0")
    return int(kept, 2).to_bytes(len(kept) // 8, "big")


def test_a_code_cut_by_the_end_of_the_block_is_met_before_the_symbol_limit():
    """Decoding step 1: a code that runs past the end is an error when it is read, before the symbol is counted."""
    block = _cut_inside_the_last_symbol(max_len=2)
    with pytest.raises(AigifError) as info:
        MODEL.decode(block, 1, 2)
    assert info.value.code == "AIGIF_E_NONCANONICAL", info.value.message
