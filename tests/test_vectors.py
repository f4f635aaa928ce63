"""Golden syntax vectors (vectors/syntax/): reproducible, hashed, decoded and rejected exactly as recorded."""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest

from aigif_ref.codecs.text import ZLIB_CODE
from aigif_ref.api import decode, encode
from aigif_ref.errors import ERROR_CODES, FILE_ERROR_CODES, AigifError
from aigif_ref.grammar.aigif import build_file, parse_file
from aigif_ref.grammar.fields import GROUPS
from aigif_ref.record import TOP_LEVEL_ENUMS, dumps
from aigif_ref.registry import Registry, default_registry, load_registry

ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT / "vectors"
SYNTAX = VECTORS / "syntax"
MANIFEST = json.loads((SYNTAX / "manifest.json").read_text(encoding="utf-8"))
CASES = {c["id"]: json.loads((SYNTAX / c["id"] / "test.json").read_text(encoding="utf-8")) for c in MANIFEST["cases"]}
VALID = sorted(i for i, t in CASES.items() if t["valid"])
INVALID = sorted(i for i, t in CASES.items() if not t["valid"])


def level(name: str) -> list[str]:
    return (VECTORS / "levels" / name).read_text(encoding="utf-8").splitlines()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@lru_cache(maxsize=None)
def registry_for(path: str | None) -> Registry:
    return default_registry() if path is None else load_registry(ROOT / path)


def input_of(case_id: str) -> bytes:
    return (SYNTAX / case_id / "input.aigif").read_bytes()


def test_generator_check_reproduces_the_committed_files(capsys):
    spec = importlib.util.spec_from_file_location("generate_syntax", VECTORS / "generate_syntax.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file executes
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0, capsys.readouterr().out


def test_manifest_and_levels_list_every_case_folder():
    folders = sorted(p.name for p in SYNTAX.iterdir() if p.is_dir())
    assert [c["id"] for c in MANIFEST["cases"]] == folders
    from vectors.syntax_gen.writer import SUITE  # the generator's declaration (bumped when cases change)

    assert {k: MANIFEST[k] for k in ("suite", "version", "spec_version")} == SUITE
    assert level("parse.txt") == folders
    build = level("build.txt")
    assert build == sorted(build) and set(build) <= set(VALID)
    assert len(VALID) >= 40 and len(INVALID) >= 45


def test_vectors_cover_every_group_field_enumeration_code_and_error_code():
    records = [json.loads((SYNTAX / i / "expected.json").read_text(encoding="utf-8")) for i in VALID]
    registry = default_registry()
    accepted = {p for family in registry.data["families"] for p in family["params"]}
    for group, specs in GROUPS.items():
        seen = set().union(*(r[group] for r in records))
        # A param no family accepts yet cannot appear in a valid file (AIGIF_E_PARAM_FAMILY).
        assert seen == {s.name for s in specs if group != "params" or s.name in accepted}, group
    used = {"model_id": set(registry.models), **{name: set(registry.enum(enum)) for name, enum in TOP_LEVEL_ENUMS.items()}}
    for name, codes in used.items():
        assert codes <= {r[name] for r in records}, name
    for group, specs in GROUPS.items():
        for spec in specs:
            if spec.wire == "enum":
                assert set(registry.enum(spec.enum)) <= {r[group][spec.name] for r in records if spec.name in r[group]}
    pixel_codes = {e["pixel_compressor"] for r in records for e in r["extensions"] if e["type"] == 1}
    assert pixel_codes == set(registry.enum("pixel_compressors"))
    assert {CASES[i]["expected_error"] for i in INVALID} == set(FILE_ERROR_CODES)


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_case_files_match_test_json_and_manifest(case_id):
    test = CASES[case_id]
    folder = SYNTAX / case_id
    assert test["id"] == case_id and test["generator"] == "vectors/generate_syntax.py"
    assert test["description"] and test["features"] and test["how"]
    expected_files = {"input.aigif", "expected.json"} if test["valid"] else {"input.aigif"}
    assert set(test["files"]) == expected_files
    assert {p.name for p in folder.iterdir()} == expected_files | {"test.json"}
    for name, digest in test["files"].items():
        assert sha256(folder / name) == digest, name
    entry = next(c for c in MANIFEST["cases"] if c["id"] == case_id)
    assert entry == {"id": case_id, "valid": test["valid"], "expected_error": test["expected_error"],
                     "sha256": test["files"]["input.aigif"]}
    if test["valid"]:
        assert test["expected_error"] is None and test["expected_offset"] is None
    else:
        assert test["expected_error"] in ERROR_CODES


@pytest.mark.parametrize("case_id", VALID)
def test_valid_case_decodes_to_expected_json_and_re_encodes(case_id):
    test = CASES[case_id]
    registry = registry_for(test["registry"])
    data = input_of(case_id)
    expected_text = (SYNTAX / case_id / "expected.json").read_text(encoding="utf-8")
    record = decode(data, registry)
    assert dumps(record) + "\n" == expected_text
    rebuilt = build_file(parse_file(data))
    re_encoded = encode(json.loads(expected_text), registry)
    if case_id in level("build.txt"):
        assert rebuilt == data and re_encoded == data
    elif record["text_compressor"] == ZLIB_CODE:
        # zlib blocks depend on the deflate that wrote them (spec 1.1): the record survives, the bytes may not.
        assert decode(re_encoded, registry) == record and re_encoded == rebuilt
    else:
        # Only a file the encoder would write differently (a later minor version) may be left out.
        assert rebuilt != data and re_encoded != data
        assert decode(re_encoded, registry) == {**record, "aigif_version": "1.0"}


@pytest.mark.parametrize("case_id", INVALID)
def test_invalid_case_fails_with_its_code(case_id):
    test = CASES[case_id]
    with pytest.raises(AigifError) as info:
        decode(input_of(case_id), registry_for(test["registry"]))
    assert (info.value.code, info.value.offset) == (test["expected_error"], test["expected_offset"])


def test_cli_validate_agrees_with_every_case():
    # One `aigif validate --json` run per registry keeps this to two subprocesses.
    env = {k: v for k, v in os.environ.items() if k != "AIGIF_REGISTRY"}
    for registry in sorted({t["registry"] for t in CASES.values()}, key=str):
        ids = sorted(i for i, t in CASES.items() if t["registry"] == registry)
        paths = [f"vectors/syntax/{i}/input.aigif" for i in ids]
        options = ["--registry", registry] if registry else []
        result = subprocess.run([sys.executable, "-m", "aigif_ref", *options, "validate", "--json", *paths],
                                capture_output=True, text=True, cwd=ROOT, env=env)
        assert result.returncode == (1 if any(not CASES[i]["valid"] for i in ids) else 0), result.stderr
        rows = [json.loads(line) for line in result.stdout.splitlines()]
        assert [r["file"] for r in rows] == paths
        for case_id, row in zip(ids, rows):
            test = CASES[case_id]
            assert (row["valid"], row["error"], row["offset"]) == (
                test["valid"], test["expected_error"], test["expected_offset"]), case_id
