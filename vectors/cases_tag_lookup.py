"""Syntax vector cases for the text compressor tag-lookup-v1 (spec/text/tag-lookup.md).

Named in vectors/syntax_gen/__init__.py's CASE_MODULES; the code is the one the registry gives the name.
Valid cases are encoded from records, invalid ones made by surgery on the valid prompt case with blocks
the encoder never writes (each breaks one rule of the decoder; the cases every coder of the alphabet
shares: vectors/syntax_gen/vocabulary_cases.py).
"""
from __future__ import annotations

from typing import Any

from aigif_ref.codecs.text import TAG_LOOKUP_CODE, _model
from vectors.syntax_gen.vocabulary_cases import (
    NONCANONICAL, TC_PROMPT, add_invalid_cases, add_valid_cases, shared_invalid_blocks,
)

FEATURES = ["text-tag-lookup"]


def add_cases(b: Any) -> None:
    model = _model(TAG_LOOKUP_CODE)
    add_valid_cases(b, "tag-lookup", "tag-lookup v1", TAG_LOOKUP_CODE, FEATURES)
    good = model.encode([TC_PROMPT.encode()])
    blocks = shared_invalid_blocks(model)
    blocks.insert(1, ("last-byte-changed", good[:-1] + bytes([good[-1] ^ 1]),
                      "the valid block with its last byte's low bit flipped (not the interval's shortest value)",
                      NONCANONICAL))
    add_invalid_cases(b, "tag-lookup", "tag-lookup", FEATURES, blocks)
