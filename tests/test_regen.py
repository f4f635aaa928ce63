"""tools/regen.py: every generated file is up to date, a stale one is named with the command that fixes it."""
from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aigif_ref import record
from aigif_ref.api import encode
from aigif_ref.errors import AigifError
from aigif_ref.grammar.fields import GROUPS
from tests.conftest import typical_record

ROOT = Path(__file__).resolve().parents[1]
REGEN = ROOT / "tools" / "regen.py"


def load_regen():
    spec = importlib.util.spec_from_file_location("regen", REGEN)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def skip_args() -> list[str]:
    # The Kaitai step needs node (CI installs it); without it regen says it skipped the step.
    return [] if shutil.which("node") else ["--skip", "kaitai"]


def test_every_generated_file_is_up_to_date():
    result = subprocess.run([sys.executable, str(REGEN), "--check", *skip_args()], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"run `python tools/regen.py`:\n{result.stdout}{result.stderr}"
    assert "every generated file is up to date" in result.stdout


def test_check_names_each_stale_file_and_the_command(tmp_path):
    regen = load_regen()
    copy = tmp_path / "repo"
    regen.copy_tree(ROOT, copy)
    schema = copy / "spec" / "schema" / "record.schema.json"
    schema.write_text(schema.read_text(encoding="utf-8").replace("DDIM eta", "stale"), encoding="utf-8")
    levels = copy / "vectors" / "levels" / "build.txt"
    levels.write_text(levels.read_text(encoding="utf-8") + "valid-not-a-case\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "tools/regen.py", "--check", "--skip", "kaitai"], cwd=copy,
                            capture_output=True, text=True)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "out of date: spec/schema/record.schema.json  [schemas: tools/gen_schemas.py]" in result.stdout
    assert "out of date: vectors/levels/build.txt  [syntax-vectors: vectors/generate_syntax.py]" in result.stdout
    assert "python tools/regen.py" in result.stderr
    assert schema.read_text(encoding="utf-8").count("stale")  # --check wrote nothing


def test_steps_cover_every_generator_and_run_schemas_before_their_readers():
    regen = load_regen()
    names = [s.name for s in regen.STEPS]
    assert names.index("schemas") < names.index("syntax-vectors") and names.index("schemas") < names.index("spec-tables")
    for step in regen.STEPS:
        assert (ROOT / step.script).is_file(), step.script
        assert regen.owned(ROOT, step), f"{step.name} owns no committed file"


def test_a_stale_record_schema_error_names_the_regen_command(tmp_path, monkeypatch):
    group, spec = "params", GROUPS["params"][1]  # any declared field
    schema = json.loads(record.RECORD_SCHEMA.read_text(encoding="utf-8"))
    del schema["properties"][group]["properties"][spec.name]  # as if the field were declared after the last regen
    stale = tmp_path / "record.schema.json"
    stale.write_text(json.dumps(schema), encoding="utf-8")
    monkeypatch.setattr(record, "RECORD_SCHEMA", stale)
    monkeypatch.setattr(record, "REPO_ROOT", tmp_path)
    record._record_validator.cache_clear()
    try:
        with pytest.raises(AigifError) as failure:
            encode(typical_record(**{group: {spec.name: 0.5}}))
        assert failure.value.code == "AIGIF_E_RECORD"
        assert "Additional properties" in failure.value.message and "python tools/regen.py" in failure.value.message
    finally:
        record._record_validator.cache_clear()


def test_a_bad_record_with_a_current_schema_does_not_blame_the_schema():
    with pytest.raises(AigifError) as failure:
        encode(typical_record(params={"no_such_field": 1}))
    assert "Additional properties" in failure.value.message and "regen" not in failure.value.message
