"""The `aigif` command: exit codes, JSON output, batch encoding, no partial files."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from aigif_ref.cli import main
from tests.conftest import typical_record

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aigif_ref", *args], capture_output=True, text=True, cwd=ROOT)


def test_encode_inspect_validate_the_shipped_example(tmp_path):
    out = tmp_path / "cat.aigif"
    result = run("encode", "examples/cat.json", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_bytes()[:4] == b"\x89AIG"
    shown = run("inspect", str(out))
    assert shown.returncode == 0 and "A cute cat" in shown.stdout and "stable-diffusion-v1-5" in shown.stdout
    record = json.loads(run("inspect", "--json", str(out)).stdout)
    assert record["prompt"] == "A cute cat" and record["seed"] == 829557441 and record["gpu"] == 1
    checked = run("validate", "--json", str(out), "examples/cat.json")
    assert checked.returncode == 1
    rows = [json.loads(line) for line in checked.stdout.splitlines()]
    assert rows[0] == {"file": str(out), "valid": True, "error": None, "offset": None}
    assert rows[1]["valid"] is False and rows[1]["error"] == "AIGIF_E_SIGNATURE" and rows[1]["offset"] == 0


def test_validate_exit_zero_only_when_all_valid(tmp_path, capsys):
    good = tmp_path / "good.aigif"
    assert main(["encode", str(ROOT / "examples/cat.json"), "-o", str(good)]) == 0
    assert main(["validate", str(good)]) == 0
    bad = tmp_path / "bad.aigif"
    bad.write_bytes(good.read_bytes()[:-1])
    assert main(["validate", str(good), str(bad)]) == 1
    assert "AIGIF_E_TRUNCATED" in capsys.readouterr().out


def test_bad_record_gives_code_and_no_output_file(tmp_path, capsys):
    src = tmp_path / "r.json"
    src.write_text(json.dumps(typical_record(steps=0)))
    out = tmp_path / "out.aigif"
    assert main(["encode", str(src), "-o", str(out)]) == 1
    assert "AIGIF_E_RECORD" in capsys.readouterr().err
    assert not out.exists() and list(tmp_path.iterdir()) == [src]


@pytest.mark.parametrize("content,code", [("{not json", "AIGIF_E_RECORD"), ("[1, 2]", "AIGIF_E_RECORD")])
def test_malformed_json_is_a_clean_error(tmp_path, capsys, content, code):
    src = tmp_path / "r.json"
    src.write_text(content)
    assert main(["encode", str(src), "-o", str(tmp_path / "x.aigif")]) == 1
    err = capsys.readouterr().err
    assert code in err and "Traceback" not in err


def test_missing_input_is_an_io_error(tmp_path, capsys):
    assert main(["inspect", str(tmp_path / "nope.aigif")]) == 1
    assert "AIGIF_E_IO" in capsys.readouterr().err


def test_many_records_from_jsonl(tmp_path, capsys):
    src = tmp_path / "many.jsonl"
    lines = [json.dumps(typical_record(seed=s)) for s in range(3)]
    lines.insert(1, json.dumps(typical_record(height=7)))  # invalid: not a multiple of 8
    src.write_text("\n".join(lines) + "\n")
    outdir = tmp_path / "out"
    assert main(["encode", str(src), "-o", str(outdir)]) == 1
    captured = capsys.readouterr()
    assert f"{src}:2:" in captured.err and "AIGIF_E_RECORD" in captured.err
    files = sorted(p.name for p in outdir.iterdir())
    # Named by line number: the bad line 2 is the one gap, with the number its error names.
    assert files == [f"{n:06d}.aigif" for n in (1, 3, 4)]
    assert "no file for line(s) 2" in captured.out
    assert [json.loads(run("inspect", "--json", str(outdir / f)).stdout)["seed"] for f in files[:1]] == [0]


def test_help_lists_commands():
    result = run("--help")
    assert result.returncode == 0
    for command in ("encode", "inspect", "validate"):
        assert command in result.stdout
