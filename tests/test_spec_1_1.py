"""Spec 1.1 decisions that vectors cannot show: damage reported as CRC, writer error codes, input
defaults, codecs independent of the registry, and the parse level's check of float text."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from aigif_ref.api import decode, encode
from aigif_ref.errors import AigifError
from aigif_ref.grammar.limits import HEADER_SIZE
from aigif_ref.registry import DEFAULT_REGISTRY, load_registry
from conformance.compare import load_json_text, record_differences

ROOT = Path(__file__).resolve().parents[1]
SYNTAX = ROOT / "vectors" / "syntax"
MINIMAL = {"model_id": 0, "steps": 1, "guidance_scale": 0.0, "seed": 0, "height": 8, "width": 8, "prompt": ""}


def code_of(call, *args) -> str:
    with pytest.raises(AigifError) as failure:
        call(*args)
    return failure.value.code


@pytest.mark.parametrize("case_id", ["valid-all-top-level-fields", "valid-table1-example", "valid-pixel-digest"])
def test_every_damaged_body_byte_is_reported_as_crc_or_truncation(case_id):
    # 11.2: with a stale CRC, no syntax code other than TRUNCATED may blame the writer for a damaged byte.
    data = (SYNTAX / case_id / "input.aigif").read_bytes()
    seen = set()
    for pos in range(HEADER_SIZE, len(data)):
        for flip in (0x01, 0x80, 0xFF):
            damaged = data[:pos] + bytes([data[pos] ^ flip]) + data[pos + 1:]
            seen.add(code_of(decode, damaged))
    assert seen <= {"AIGIF_E_CRC", "AIGIF_E_TRUNCATED"} and "AIGIF_E_CRC" in seen


@pytest.mark.parametrize("fields", [
    {"steps": 0}, {"height": 12}, {"prompt": "x" * 16385}, {"guidance_scale": 1e39},
    {"platform": {"batch_index": 1}}, {"extensions": [{"type": 9, "must_understand": True, "data": ""}]},
    {"extensions": [{"type": 1, "must_understand": True, "pixel_compressor": 0, "data": ""}]},
])
def test_a_record_no_valid_file_holds_is_a_record_error(fields):
    assert code_of(encode, {**MINIMAL, **fields}) == "AIGIF_E_RECORD"


def test_registry_verdicts_on_records_match_the_reader():
    assert code_of(encode, {**MINIMAL, "scheduler": 4000}) == "AIGIF_E_UNKNOWN_CODE"
    assert code_of(encode, {**MINIMAL, "params": {"max_sequence_length": 77}}) == "AIGIF_E_PARAM_FAMILY"


def test_missing_must_understand_defaults_to_the_registry_value():
    digest = json.loads((SYNTAX / "valid-pixel-digest" / "expected.json").read_text(encoding="utf-8"))["extensions"][0]
    known = {k: v for k, v in digest.items() if k != "must_understand"}
    from vectors.syntax_gen.valid_cases import first_unregistered_extension_type
    from aigif_ref.registry import default_registry

    unknown = {"type": first_unregistered_extension_type(default_registry()), "data": "AA=="}
    record = decode(encode({**MINIMAL, "extensions": [known, unknown]}))
    assert [e["must_understand"] for e in record["extensions"]] == [False, False]


def test_zlib_is_never_chosen_automatically_and_written_when_asked():
    prompt = "a photograph of an astronaut riding a horse, " * 40  # zlib would be the smallest block
    assert decode(encode({**MINIMAL, "prompt": prompt}))["text_compressor"] != 1
    assert decode(encode({**MINIMAL, "prompt": prompt, "text_compressor": 1}))["text_compressor"] == 1


def test_codecs_do_not_depend_on_the_registry_given(tmp_path):
    # 7: a registry without text compressor 2 still reads phrase-Huffman text; one with a code 3 gives no codec.
    data = json.loads(DEFAULT_REGISTRY.read_text(encoding="utf-8"))
    compressors = data["enumerations"]["text_compressors"]
    data["enumerations"]["text_compressors"] = [e for e in compressors if e["code"] != 2]
    path = tmp_path / "registry.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    file = (SYNTAX / "valid-text-phrase-huffman-prompt" / "input.aigif").read_bytes()
    assert decode(file, load_registry(path))["text_compressor"] == 2
    unknown = (SYNTAX / "invalid-unknown-text-compressor" / "input.aigif").read_bytes()
    assert code_of(decode, unknown, load_registry(path)) == "AIGIF_E_UNKNOWN_CODE"


@pytest.mark.parametrize("got, same", [
    ('{"g": 4194303.75}', True), ('{"g": 4194303.7}', False), ('{"g": 4194303.8}', False),
    ('{"g": 12.0}', True), ('{"g": 12}', False), ('{"g": 1.2e1}', False),
])
def test_parse_level_compares_the_canonical_float_text(got, same):
    expected = load_json_text('{"g": 4194303.75}' if "419" in got else '{"g": 12.0}')
    assert (record_differences(expected, load_json_text(got)) == []) is same
