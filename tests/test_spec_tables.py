"""spec/*.md: the generated tables and examples are up to date, and the generator catches drift."""
from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aigif_ref.api import encode
from aigif_ref.errors import ERROR_CODES
from aigif_ref.grammar.aigif import Body
from aigif_ref.grammar.fields import GROUPS

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "tools" / "gen_spec_tables.py"
BITSTREAM = ROOT / "spec" / "bitstream.md"


def run_tool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TOOL), *args], capture_output=True, text=True, cwd=ROOT)


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("gen_spec_tables", TOOL)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the tool loads
    spec.loader.exec_module(module)
    return module


def test_spec_tables_are_up_to_date():
    result = run_tool("--check")
    assert result.returncode == 0, f"run `python tools/gen_spec_tables.py`:\n{result.stdout}{result.stderr}"
    assert result.stdout == ""


def test_check_detects_a_stale_region_and_a_rewrite_restores_it(tmp_path):
    for page in (ROOT / "spec").glob("*.md"):
        shutil.copy(page, tmp_path / page.name)
    original = (tmp_path / "bitstream.md").read_text(encoding="utf-8")
    stale = re.sub(r"(<!-- BEGIN GENERATED: limits -->\n).*?(<!-- END GENERATED: limits -->)",
                   r"\1| MAX_STEPS | 999 |\n\2", original, flags=re.DOTALL)
    assert stale != original
    (tmp_path / "bitstream.md").write_text(stale, encoding="utf-8")

    checked = run_tool("--check", "--dir", str(tmp_path))
    assert checked.returncode == 1 and "bitstream.md: out of date" in checked.stdout
    assert (tmp_path / "bitstream.md").read_text(encoding="utf-8") == stale  # --check writes nothing

    assert run_tool("--dir", str(tmp_path)).returncode == 0
    assert (tmp_path / "bitstream.md").read_text(encoding="utf-8") == original
    assert run_tool("--check", "--dir", str(tmp_path)).returncode == 0


@pytest.mark.parametrize("text,message", [
    ("<!-- BEGIN GENERATED: no-such-table -->\n<!-- END GENERATED: no-such-table -->\n", "unknown generated region"),
    ("<!-- BEGIN GENERATED: limits -->\nno end marker\n", "not closed"),
    ("<!-- END GENERATED: limits -->\n", "without a matching BEGIN"),
    ("<!-- BEGIN GENERATED: limits -->\n<!-- BEGIN GENERATED: errors -->\n", "inside region limits"),
])
def test_bad_markers_are_errors(tool, tmp_path, text, message):
    with pytest.raises(tool.RegionError, match=message):
        tool.render(text)
    (tmp_path / "page.md").write_text(text, encoding="utf-8")
    result = run_tool("--check", "--dir", str(tmp_path))
    assert result.returncode == 2 and message in result.stderr


def test_render_replaces_only_the_region(tool):
    text = "before\n<!-- BEGIN GENERATED: errors -->\nSTALE-TABLE-TEXT\n<!-- END GENERATED: errors -->\nafter\n"
    out = tool.render(text)
    assert out.startswith("before\n<!-- BEGIN GENERATED: errors -->\n| code | meaning |")
    assert out.endswith("<!-- END GENERATED: errors -->\nafter\n") and "STALE-TABLE-TEXT" not in out
    assert tool.render(out) == out


def _dump_bytes(section: str) -> bytes:
    """The bytes of an annotated hex dump in the spec (elided lines carry none)."""
    dump = re.search(r"```text\n(.*?)```", section, re.DOTALL).group(1)
    data = bytearray()
    for line in dump.splitlines():
        match = re.match(r"^[0-9A-F]{4}  ((?:[0-9A-F]{2} ?)*)", line)
        if match:
            data += bytes.fromhex(match.group(1))
    return bytes(data)


def test_table_one_example_in_the_spec_is_the_golden_encoding():
    text = BITSTREAM.read_text(encoding="utf-8")
    section = text.split("### Example A:")[1].split("### Example B:")[0]
    record = {"model_id": 0, "dtype": 1, "scheduler": 0, "device": 1, "gpu": 1, "cuda": 1,
              "prompt": "A cute cat", "negative_prompt": "worst quality", "height": 1024, "width": 1024,
              "seed": 829557441, "steps": 25, "guidance_scale": 7.5, "text_compressor": 0}
    golden = bytes.fromhex(
        "89414947 10 409948d8 3b 00 01 19 3c c195c88b03 8001 8001 00 18 0a"
        + "A cute cat".encode().hex() + "worst quality".encode().hex() + "01 01 01")
    assert encode(record) == golden
    assert _dump_bytes(section) == golden


def test_every_field_error_code_and_limit_is_in_the_spec():
    text = BITSTREAM.read_text(encoding="utf-8")
    for member in Body.subcons:
        assert f"`{member.name}`" in text, member.name
    for group, specs in GROUPS.items():
        for spec in specs:
            assert f"`{spec.name}`" in text, f"{group}.{spec.name}"
    for code in ERROR_CODES:
        assert f"`{code}`" in text, code


def test_registry_page_lists_every_enumeration_and_model(registry):
    text = (ROOT / "spec" / "registry.md").read_text(encoding="utf-8")
    for name in registry.data["enumerations"]:
        assert f"### `{name}`" in text, name
    for model in registry.data["models"]:
        assert f"`{model['name']}`" in text, model["name"]


def test_mkdocs_nav_names_existing_pages():
    nav = re.findall(r":\s*(\S+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(encoding="utf-8"), re.MULTILINE)
    assert {"index.md", "bitstream.md", "registry.md"} <= set(nav)
    for page in nav:
        assert (ROOT / "spec" / page).exists(), page


def test_hidden_settings_table_names_every_group_field_from_its_declaration():
    text = BITSTREAM.read_text(encoding="utf-8")
    section = text.split("<!-- BEGIN GENERATED: hidden-settings -->")[1].split("<!-- END GENERATED: hidden-settings -->")[0]
    for group, specs in GROUPS.items():
        for spec in specs:
            row = next((line for line in section.splitlines() if f"`{group}.{spec.name}`" in line), None)
            assert row is not None, f"{group}.{spec.name}"
            assert row.startswith(f"| {spec.pixels} |"), (spec.pixels, row)
