"""Ray stays optional: `aigif render` without --ray never imports it, and --ray without it is a clear error.

These tests need no Ray (they hide it when it is installed).
"""
from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from aigif_ref.api import encode
from aigif_ref.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "tiny-fox.aigif"


def test_render_without_ray_flag_never_imports_ray(tmp_path):
    code = ("import sys; from aigif_ref.cli import main; status = main(sys.argv[1:]); "
            "print('ray imported' if any(m == 'ray' or m.startswith('ray.') for m in sys.modules) else 'ray not imported'); "
            "sys.exit(status)")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "fox.aigif").write_bytes(EXAMPLE.read_bytes())
    done = subprocess.run([sys.executable, "-c", code, "render", str(folder), "-o", f"{tmp_path / 'out'}/", "--device", "cpu"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "ray not imported" in done.stdout and (tmp_path / "out" / "fox.png").is_file()


def test_ray_flag_without_ray_installed_is_a_dependency_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # what an environment without the extra sees: ImportError
    monkeypatch.setitem(sys.modules, "ray.data", None)
    assert main(["render", str(EXAMPLE), "-o", f"{tmp_path}/", "--ray"]) == 1
    err = capsys.readouterr().err
    assert "AIGIF_E_DEPENDENCY" in err and 'pip install "aigif[ray]"' in err, err
    assert not list(tmp_path.iterdir())  # nothing written, nothing rendered


def test_a_folder_stands_for_its_aigif_files(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("not a file of ours")
    assert main(["render", str(empty), "-o", f"{tmp_path / 'out'}/"]) == 1
    assert "AIGIF_E_IO" in capsys.readouterr().err


def test_ray_is_an_optional_extra_that_the_test_install_pulls_in():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    assert any(r.startswith("ray[data]") for r in extras["ray"])
    assert "aigif[ray]" in extras["test"]  # so CI (.ci/run installs .[test]) runs tests/test_ray_render.py
    core = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    assert not any(r.startswith("ray") for r in core)


def test_bad_workers_value_is_refused_before_any_work(tmp_path, capsys):
    import pytest

    pytest.importorskip("ray", reason="the check runs after Ray is imported")
    source = tmp_path / "a.aigif"
    source.write_bytes(encode({"model_id": 490, "prompt": "x", "height": 64, "width": 64, "seed": 1, "steps": 2, "guidance_scale": 7.5}))
    assert main(["render", str(source), "-o", f"{tmp_path}/out/", "--workers", "0", "--ray"]) == 1
    assert "--workers 0" in capsys.readouterr().err and not (tmp_path / "out").exists()
