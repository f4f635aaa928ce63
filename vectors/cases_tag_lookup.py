"""Syntax vector cases for the text compressor tag-lookup-v1 (spec/text/tag-lookup.md).

Named in vectors/syntax_gen/__init__.py's CASE_MODULES; the code is the one the registry gives the name.
Valid cases are encoded from records, invalid ones made by surgery on the valid prompt case with blocks
the encoder never writes (each breaks one rule of the decoder).
"""
from __future__ import annotations

from typing import Any

from aigif_ref.codecs.tag_context import END, ESC
from aigif_ref.codecs.text import TAG_LOOKUP_CODE, _model
from aigif_ref.grammar import limits
from vectors.cases_tag_context import TC_NEGATIVE, TC_PROMPT
from vectors.syntax_gen.cases import record_of

FEATURES = ["text-tag-lookup"]


def _literal_steps(model, s: bytes) -> list[tuple[int, int, int]]:
    """Coding steps for s (already case-folded) spelled as literal bytes only, then END."""
    steps, prev = [], END
    for sym in [*s, END]:
        ctx = model.contexts[0].get(prev)
        if ctx is None:
            steps.append((0, -1, sym))
        elif sym in ctx.index:
            steps.append((0, prev, sym))
        else:
            steps += [(0, prev, ESC), (0, -1, sym)]
        prev = sym
    return steps


def _escaped_context_symbol(model) -> tuple[list[tuple[int, int, int]], str]:
    """Steps that escape from the start context and then code a symbol that context holds."""
    start = model.contexts[0][END]
    sym = next(s for s in start.symbols if s not in (ESC, END) and model.contexts[0].get(s) is None)
    return [(0, END, ESC), (0, -1, sym), (0, -1, END)], model.tokens[sym].decode("utf-8", "replace")


def add_cases(b: Any) -> None:
    model = _model(TAG_LOOKUP_CODE)
    code = TAG_LOOKUP_CODE
    for slug, fields, what in (
        ("prompt", {"prompt": TC_PROMPT}, "A tag-style prompt with a weight and a LoRA tag"),
        ("negative", {"prompt": TC_PROMPT, "negative_prompt": TC_NEGATIVE},
         "A tag-style prompt and a community negative prompt with an embedding name"),
        ("empty", {"prompt": ""}, "An empty prompt (a lone END)"),
        ("case", {"prompt": "A Photo of Greg's CAT, \u0001 escape"}, "Uppercase letters and a 0x01 byte (case escapes)"),
        ("literals", {"prompt": "一只猫 🐈"}, "Non-ASCII text, coded mostly as literal bytes"),
    ):
        b.valid(f"valid-text-tag-lookup-{slug}", f"{what} in a tag-lookup v1 text block (text compressor {code}).",
                FEATURES, record_of(text_compressor=code, **fields))

    good = model.encode([TC_PROMPT.encode()])
    escaped, token = _escaped_context_symbol(model)
    N, L = "AIGIF_E_NONCANONICAL", "AIGIF_E_LIMIT"
    for slug, block, what, error in (
        ("trailing-byte", good + b"\x00", "the valid block plus a 00 byte", N),
        ("last-byte-changed", good[:-1] + bytes([good[-1] ^ 1]), "the valid block with its last byte's low bit "
                                                                   "flipped (not the interval's shortest value)", N),
        ("not-greedy", model.encode_steps(_literal_steps(model, TC_PROMPT.encode())),
         "the prompt coded as literal bytes only, although phrases match", N),
        ("escaped-context-symbol", model.encode_steps(escaped),
         f"an ESC from the start context followed by {token!r}, which that context holds", N),
        ("raw-uppercase", model.encode_steps(_literal_steps(model, b"Cat")),
         "an uppercase letter coded as a literal byte instead of the case escape", N),
        ("string-16385", model.encode([b"x" * (limits.MAX_STRING_BYTES + 1)]), "16385 'x' bytes", L),
        ("utf8", model.encode([b"\xff"]), "the literal byte ff (not UTF-8)", "AIGIF_E_UTF8"),
    ):
        s = b.cut("valid-text-tag-lookup-prompt")
        at = s.replace_sized("text", block, what)
        b.invalid(f"invalid-tag-lookup-{slug}", f"A tag-lookup text block that is {what}.", FEATURES,
                  s.done(), error, at)
