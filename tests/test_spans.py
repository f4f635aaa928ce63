"""aigif_ref.grammar.spans: one walk of a valid file, field by field, that tiles it and agrees with the parser."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from aigif_ref.errors import AigifError
from aigif_ref.extensions import CodedPayload, type_of
from aigif_ref.grammar.aigif import parse_file
from aigif_ref.grammar.fields import GROUPS, FieldSpec
from aigif_ref.grammar.spans import iter_fields

ROOT = Path(__file__).resolve().parents[1]
VALID = sorted(p.parent for p in (ROOT / "vectors" / "syntax").glob("valid-*/test.json"))


def test_there_are_valid_vectors():
    assert len(VALID) > 40


@pytest.mark.parametrize("case", VALID, ids=[p.name for p in VALID])
def test_spans_tile_the_file_and_carry_the_parsed_values(case):
    data = (case / "input.aigif").read_bytes()
    fields = list(iter_fields(data))
    assert fields[0].start == 0 and fields[-1].end == len(data)
    assert all(a.end == b.start for a, b in zip(fields, fields[1:]))
    for field in fields:
        if field.parts:  # parts tile their field
            assert field.parts[0].start == field.start and field.parts[-1].end == field.end
            assert all(a.end == b.start for a, b in zip(field.parts, field.parts[1:]))
    syntax = parse_file(data)
    by_name = {f.name: f for f in fields}
    for group, specs in GROUPS.items():
        for spec in specs:
            name = f"{group}.{spec.name}"
            assert (name in by_name) == (spec.name in syntax[group]), name
            if name in by_name:
                assert by_name[name].declaration is spec and by_name[name].value == syntax[group][spec.name]
    for key in ("steps", "seed", "height", "width", "model_id"):
        assert by_name[key].value == syntax[key]
    for index, ext in enumerate(syntax["extensions"]):
        header = by_name[f"ext{index}.header"]
        assert header.value == (ext["type"], ext["must_understand"]) and header.declaration is type_of(ext["type"])
        kind = type_of(ext["type"])
        if isinstance(kind, type) and issubclass(kind, CodedPayload):
            assert by_name[f"ext{index}.body"].parts[0].value == ext[kind.code_field]


def test_spans_refuse_an_invalid_file():
    data = (VALID[0] / "input.aigif").read_bytes()
    with pytest.raises(AigifError):
        list(iter_fields(data[:-1]))


def test_declarations_are_attached_to_group_fields():
    data = (ROOT / "vectors/syntax/valid-all-top-level-fields/input.aigif").read_bytes()
    declared = [f for f in iter_fields(data) if isinstance(f.declaration, FieldSpec)]
    expected = json.loads((ROOT / "vectors/syntax/valid-all-top-level-fields/expected.json").read_text(encoding="utf-8"))
    assert {f.name for f in declared} == {f"{g}.{k}" for g in GROUPS for k in expected[g]}
