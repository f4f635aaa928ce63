"""A registry pull request, simulated: add a model the way spec/contributing.md says, in a copy of the
repository, and run what the pull request's CI runs. Everything must stay green.

The copy holds the files git would commit (tracked and untracked-but-not-ignored), in a fresh git
repository whose one commit is the base the change is checked against.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PR_TESTS = ["tests/test_registry.py", "tests/test_registry_lint.py", "tests/test_spec_tables.py", "tests/test_vectors.py"]


def run(repo: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(repo), HF_HUB_OFFLINE="1")
    return subprocess.run(list(args), cwd=repo, env=env, capture_output=True, text=True, timeout=timeout)


def ok(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, f"{done.args}: exit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def git(repo: Path, *args: str) -> str:
    return ok(run(repo, "git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false", *args))


def parse_level(repo: Path) -> dict:
    report = repo / "parse-results.json"
    run(repo, sys.executable, "-m", "conformance.cli", "run", "--impl", f"{sys.executable} -m conformance.impls.reference",
        "--level", "parse", "--jobs", "2", "--report", str(report))
    return json.loads(report.read_text(encoding="utf-8"))["summary"]


@pytest.fixture(scope="module")
def clone(tmp_path_factory) -> Path:
    repo = tmp_path_factory.mktemp("pr") / "repo"
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / name)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    return repo


def test_a_model_added_by_the_contributing_guide_keeps_everything_green(clone):
    aigif = [sys.executable, "-m", "aigif_ref"]
    # Step 2: the check names the next free ID.
    free = int(re.search(r"next free model ID (\d+)", ok(run(clone, *aigif, "registry", "check"))).group(1))
    # Steps 6 and 7: the entry at the end of `models`, pinned; registry_version + 1.
    path = clone / "registry.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["models"].append({"id": free, "name": "pr-simulated-model", "family": "sd1", "status": "active",
                           "source": {"hf_repo": "someone/pr-simulated-model", "revision": "0123456789abcdef" * 2 + "01234567"},
                           "files": {"model_index.json": "ab" * 32, "unet/diffusion_pytorch_model.safetensors": "cd" * 32}})
    data["registry_version"] += 1
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    # The vectors published before the change keep their verdicts under the new registry (no "unknown"
    # model ID in them can become known).
    summary = parse_level(clone)
    assert summary["verdict"] == "pass" and summary["counts"]["pass"] == summary["counts"]["cases"], summary

    # Step 8: regenerate what is generated from the registry.
    ok(run(clone, sys.executable, "tools/regen.py"))
    registry_page = (clone / "spec" / "registry.md").read_text(encoding="utf-8")
    listed = [int(i) for i in re.findall(r"^\| (\d+) \| `", registry_page, flags=re.M)]
    assert free in listed and listed == sorted(listed)  # the models table is in ID order

    # Step 9: the check against the base, the tests the guide names plus the vectors, the parse level.
    assert f"next free model ID {free + 1}" in ok(run(clone, *aigif, "registry", "check", "--base", "HEAD"))
    ok(run(clone, sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *PR_TESTS))
    summary = parse_level(clone)
    assert summary["verdict"] == "pass" and summary["counts"]["pass"] == summary["counts"]["cases"], summary
