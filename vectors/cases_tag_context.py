"""Syntax vector cases for text compressor 3, tag-context-v1 (spec/text/tag-context.md).

Named in vectors/syntax_gen/__init__.py's CASE_MODULES; valid cases are encoded from records,
invalid ones made by surgery on the valid prompt case with blocks the encoder never writes
(the cases every coder of the alphabet shares: vectors/syntax_gen/vocabulary_cases.py).
"""
from __future__ import annotations

from typing import Any

from aigif_ref.codecs.tag_context import default_model
from vectors.syntax_gen.vocabulary_cases import add_invalid_cases, add_valid_cases, shared_invalid_blocks

FEATURES = ["text-tag-context"]


def add_cases(b: Any) -> None:
    add_valid_cases(b, "tag-context", "tag-context v1", 3, FEATURES)
    add_invalid_cases(b, "tag-context", "tag-context", FEATURES, shared_invalid_blocks(default_model()))
