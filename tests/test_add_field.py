"""Adding an optional field is one declaration plus `python tools/regen.py` (spec/contributing.md).

In a temporary copy of the repository: declare `params.pag_scale` (a compact float) with one
FieldSpec line, run the regeneration, then run the round-trip, Kaitai-agreement and spec-table
checks on the copy. Nothing else is edited by hand; the existing vectors stay byte-identical.
"""
from __future__ import annotations

import filecmp
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from aigif_ref.grammar.fields import PARAMS

ROOT = Path(__file__).resolve().parents[1]
NEW_BIT = max(s.bit for s in PARAMS) + 1
DECLARATION = (f'    FieldSpec({NEW_BIT}, "pag_scale", "cfloat", doc="perturbed-attention guidance scale",\n'
               f'              pixels="perturbed-attention guidance", diffusers=_call("pag_scale"), since=V1_1),\n')
CHECKS = [
    "tests/test_roundtrip.py",
    "tests/test_spec_tables.py",
    "tests/test_kaitai.py::test_group_types_mirror_the_field_tables",
    "tests/test_kaitai.py::test_every_attribute_and_type_is_documented",
    "tests/test_kaitai.py::test_every_wire_type_and_group_field_is_covered",
    "tests/test_kaitai.py::test_every_kaitai_check_has_a_case",
    "tests/test_kaitai.py::test_kaitai_check_fails_with_the_reference_error_code",
    "tests/test_kaitai.py::test_encoded_records_read_the_same",
]


def test_the_contributing_page_shows_this_declaration():
    text = (ROOT / "spec" / "contributing.md").read_text(encoding="utf-8")
    section = text.split("### Adding an optional field")[1].split("###")[0]
    shown = section.split("```python\n")[1].split("```")[0]
    assert textwrap.dedent(shown).strip() == textwrap.dedent(DECLARATION).strip(), "update spec/contributing.md"
    assert "python3 tools/regen.py" in section


def load_regen():
    spec = importlib.util.spec_from_file_location("regen_for_add_field", ROOT / "tools" / "regen.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def declare(copy: Path) -> None:
    fields = copy / "aigif_ref" / "grammar" / "fields.py"
    text = fields.read_text(encoding="utf-8")
    start = text.index("PARAMS: tuple[FieldSpec, ...] = (")
    end = text.index("\n)\n", start)  # the end of the PARAMS tuple
    fields.write_text(text[:end + 1] + DECLARATION + text[end + 1:], encoding="utf-8")


def run(copy: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(copy)}
    return subprocess.run([sys.executable, *args], cwd=copy, env=env, capture_output=True, text=True)


def test_one_declaration_and_regen_add_an_optional_field(tmp_path):
    copy = tmp_path / "repo"
    load_regen().copy_tree(ROOT, copy)
    declare(copy)
    skip = [] if shutil.which("node") else ["--skip", "kaitai"]
    regen = run(copy, "tools/regen.py", *skip)
    assert regen.returncode == 0, regen.stdout + regen.stderr

    # The field reached every generated description of the format.
    schema = json.loads((copy / "spec/schema/record.schema.json").read_text(encoding="utf-8"))
    assert schema["properties"]["params"]["properties"]["pag_scale"]["type"] == "number"
    assert f"| {NEW_BIT} | `pag_scale` | compact float |" in (copy / "spec/bitstream.md").read_text(encoding="utf-8")
    assert "perturbed-attention guidance" in (copy / "spec/bitstream.md").read_text(encoding="utf-8")
    assert "- id: pag_scale" in (copy / "spec/aigif.ksy").read_text(encoding="utf-8")
    if not skip:
        assert "pag_scale" in (copy / "spec/generated/python/aigif.py").read_text(encoding="utf-8")

    # Existing vectors are byte-identical (no shipped family accepts the new parameter yet).
    differing = filecmp.dircmp(ROOT / "vectors" / "syntax", copy / "vectors" / "syntax")
    assert not differing.diff_files and not differing.left_only and not differing.right_only

    # A record with the new field round-trips through the reference (on a family that accepts it).
    probe = run(copy, "-c", (
        "import copy; from aigif_ref.api import decode, encode; from aigif_ref.registry import Registry, default_registry\n"
        "data = copy.deepcopy(default_registry().data); data['families'][0]['params'].append('pag_scale')\n"
        "reg = Registry(data); rec = {'model_id': 0, 'steps': 20, 'guidance_scale': 7.5, 'seed': 1, 'height': 512,"
        " 'width': 512, 'prompt': 'a cat', 'params': {'pag_scale': 3.0}}\n"
        "out = decode(encode(rec, reg), reg); assert out['params'] == {'pag_scale': 3.0}, out; print('ok')"))
    assert probe.stdout.strip() == "ok", probe.stdout + probe.stderr

    # The round-trip, Kaitai-agreement and spec-table checks pass on the copy.
    checks = [c for c in CHECKS if node_ok(c, skip)]
    tests = run(copy, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-p", "no:warnings", *checks)
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]


def node_ok(check: str, skip: list[str]) -> bool:
    return not (skip and check.startswith("tests/test_kaitai.py"))
