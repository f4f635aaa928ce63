"""Case scaffolding shared by the text compressors of tag-context's alphabet (tag-context, tag-lookup, tag-prefix).

Each of vectors/cases_tag_*.py names its coder and adds what only that coder has; the records, the
coding-step helpers (blocks the encoder never writes, made with the model's ``encode_steps``) and the
rejections every coder of the alphabet shares are declared here once.
"""
from __future__ import annotations

from typing import Any, Sequence

from aigif_ref.codecs.tag_context import END, ESC
from aigif_ref.grammar import limits
from vectors.syntax_gen.cases import record_of

TC_PROMPT = "masterpiece, best quality, 1girl, solo, (smile:1.2), <lora:add_detail:0.8>"
TC_NEGATIVE = "EasyNegative, (worst quality:1.4), (low quality:1.4), lowres, bad anatomy, bad hands"
NONCANONICAL, LIMIT = "AIGIF_E_NONCANONICAL", "AIGIF_E_LIMIT"

# (slug, record fields, what): the valid cases of every coder of the alphabet; "prompt" is the one invalid
# cases are cut from.
VALID_CASES: tuple[tuple[str, dict[str, str], str], ...] = (
    ("prompt", {"prompt": TC_PROMPT}, "A tag-style prompt with a weight and a LoRA tag"),
    ("negative", {"prompt": TC_PROMPT, "negative_prompt": TC_NEGATIVE},
     "A tag-style prompt and a community negative prompt with an embedding name"),
    ("empty", {"prompt": ""}, "An empty prompt (a lone END)"),
    ("case", {"prompt": "A Photo of Greg's CAT, \u0001 escape"}, "Uppercase letters and a 0x01 byte (case escapes)"),
    ("literals", {"prompt": "一只猫 🐈"}, "Non-ASCII text, coded mostly as literal bytes"),
)


def strings_of(fields: dict[str, str]) -> list[bytes]:
    """The text block's strings of a case's record fields (prompt, then the negative prompt if any)."""
    return [fields[k].encode() for k in ("prompt", "negative_prompt") if k in fields]


def literal_steps(model, s: bytes) -> list[tuple[int, int, int]]:
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


def escaped_context_symbol(model) -> tuple[list[tuple[int, int, int]], str]:
    """Steps that escape from the start context and then code a symbol that context holds."""
    start = model.contexts[0][END]
    sym = next(s for s in start.symbols if s not in (ESC, END) and model.contexts[0].get(s) is None)
    return [(0, END, ESC), (0, -1, sym), (0, -1, END)], model.tokens[sym].decode("utf-8", "replace")


def add_valid_cases(b: Any, name: str, label: str, code: int, features: list[str],
                    cases: Sequence[tuple[str, dict[str, str], str]] = VALID_CASES) -> None:
    """valid-text-NAME-SLUG for each case, coded with text compressor ``code`` (``label``: the coder in words)."""
    for slug, fields, what in cases:
        b.valid(f"valid-text-{name}-{slug}", f"{what} in a {label} text block (text compressor {code}).",
                features, record_of(text_compressor=code, **fields))


def shared_invalid_blocks(model) -> list[tuple[str, bytes, str, str]]:
    """(slug, block, what, error) of the rejections every coder of the alphabet has, in their order."""
    good = model.encode([TC_PROMPT.encode()])
    escaped, token = escaped_context_symbol(model)
    return [
        ("trailing-byte", good + b"\x00", "the valid block plus a 00 byte", NONCANONICAL),
        ("not-greedy", model.encode_steps(literal_steps(model, TC_PROMPT.encode())),
         "the prompt coded as literal bytes only, although phrases match", NONCANONICAL),
        ("escaped-context-symbol", model.encode_steps(escaped),
         f"an ESC from the start context followed by {token!r}, which that context holds", NONCANONICAL),
        ("raw-uppercase", model.encode_steps(literal_steps(model, b"Cat")),
         "an uppercase letter coded as a literal byte instead of the case escape", NONCANONICAL),
        ("string-16385", model.encode([b"x" * (limits.MAX_STRING_BYTES + 1)]), "16385 'x' bytes", LIMIT),
        ("utf8", model.encode([b"\xff"]), "the literal byte ff (not UTF-8)", "AIGIF_E_UTF8"),
    ]


def add_invalid_cases(b: Any, name: str, label: str, features: list[str],
                      blocks: Sequence[tuple[str, bytes, str, str]], source: str = "prompt") -> None:
    """invalid-NAME-SLUG for each block: valid-text-NAME-SOURCE with its text block replaced."""
    for slug, block, what, error in blocks:
        s = b.cut(f"valid-text-{name}-{source}")
        at = s.replace_sized("text", block, what)
        b.invalid(f"invalid-{name}-{slug}", f"A {label} text block that is {what}.", features, s.done(), error, at)
