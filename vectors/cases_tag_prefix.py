"""Syntax vector cases for the text compressor tag-prefix-v1 (spec/text/tag-prefix.md).

Named in vectors/syntax_gen/__init__.py's CASE_MODULES; the code is the one the registry gives the name.
Valid cases are encoded from records (the alphabet's shared ones, vectors/syntax_gen/vocabulary_cases.py,
and one whose codes are longer than the decoder's first look-up); invalid ones are made by surgery on a
valid case with blocks the encoder never writes, each breaking one rule of the decoder: the shared ones
and the prefix code's own (a cut code, nonzero padding, a case escape followed by something else).
"""
from __future__ import annotations

from itertools import accumulate
from typing import Any

from aigif_ref.codecs.tag_context import END, ESC, case_unfold
from aigif_ref.codecs.text import TAG_PREFIX_CODE, _model
from aigif_ref.errors import AigifError
from vectors.syntax_gen.vocabulary_cases import (
    NONCANONICAL, TC_PROMPT, VALID_CASES, add_invalid_cases, add_valid_cases, literal_steps,
    shared_invalid_blocks, strings_of,
)

NAME, LABEL = "tag-prefix", "tag-prefix v1"
FEATURES = ["text-tag-prefix"]
# A table-driven decoder reads a fixed number of bits first and needs a second look-up for a longer code. The
# long-codes case has codes longer than 10 bits in a context and 14 in order-0, beyond the first look-up of a decoder
# that reads up to that many (the reference reads tag_prefix.FIRST_BITS = 8): fixed here, so the vector's bytes do
# not follow a decoder's internals.
LONG_CONTEXT_BITS, LONG_ORDER0_BITS = 10, 14


def code_lengths(model, strings: list[bytes]) -> list[tuple[int, int]]:
    """(table key or -1 for order-0, code length) of each code the encoder writes for ``strings``."""
    out = []
    for field, key, sym in model.coding_steps(strings):
        table = model.order0[field] if key < 0 else model.contexts[field][key]
        out.append((key, table.code_of[sym][1]))
    return out


def is_long(key: int, length: int) -> bool:
    """Whether a decoder reads this code with a second look-up (longer than its table's first)."""
    return length > (LONG_ORDER0_BITS if key < 0 else LONG_CONTEXT_BITS)


def long_code_prompt(model) -> str:
    """The first prompt (by context key, then canonical order) of two tokens whose second has a code longer than a
    context's first look-up, followed by a space and a CJK character (rare bytes: long order-0 codes), so both of the
    decoder's second look-ups (context and order-0) are exercised."""
    ctxs = model.contexts[0]
    for prev in sorted(ctxs):
        for length, sym in ctxs[prev].order:
            if length <= LONG_CONTEXT_BITS or sym in (END, ESC) or prev == END:
                continue
            try:
                prompt = case_unfold(model.tokens[prev] + model.tokens[sym]).decode("utf-8") + " \u4e00"
            except (AigifError, UnicodeDecodeError):
                continue
            lengths = code_lengths(model, [prompt.encode()])
            if (prev, length) in lengths and any(is_long(k, n) for k, n in lengths if k < 0):
                return prompt
    raise AssertionError("no context has a code longer than the first look-up")


def add_cases(b: Any) -> None:
    model = _model(TAG_PREFIX_CODE)
    long_prompt = long_code_prompt(model)
    add_valid_cases(b, NAME, LABEL, TAG_PREFIX_CODE, FEATURES, (
        *VALID_CASES,
        ("long-codes", {"prompt": long_prompt},
         "Codes longer than the decoder's first look-up (a context's and order-0's)"),
    ))
    good = model.encode([TC_PROMPT.encode()])
    lengths = [n for _, n in code_lengths(model, [TC_PROMPT.encode()])]
    cut = 8 * (len(good) - 1)
    assert any(end - n < cut < end for end, n in zip(accumulate(lengths), lengths)), "the cut is not inside a code"
    blocks = shared_invalid_blocks(model)
    blocks[1:1] = [
        ("cut-code", good[:-1], "the valid block without its last byte (the cut falls inside a code)", NONCANONICAL),
        ("bad-case-escape", model.encode_steps(literal_steps(model, b"\x01!")),
         "the case escape 0x01 followed by '!' (only 'a'..'z' or 0x01 may follow it)", NONCANONICAL),
    ]
    add_invalid_cases(b, NAME, NAME, FEATURES, blocks)
    # Padding: the first valid case whose codes do not fill its last byte, with the last padding bit set.
    slug, fields = next((slug, fields) for slug, fields, _ in VALID_CASES
                        if sum(n for _, n in code_lengths(model, strings_of(fields))) % 8)
    padded = model.encode(strings_of(fields))
    add_invalid_cases(b, NAME, NAME, FEATURES, [
        ("nonzero-padding", padded[:-1] + bytes([padded[-1] | 1]),
         f"valid-text-{NAME}-{slug}'s block with its last padding bit set to 1", NONCANONICAL),
    ], source=slug)
