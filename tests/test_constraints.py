"""constraints.txt pins what the goldens need: checked against pyproject.toml and the goldens' metadata.

The file itself comes from tools/lock_constraints.py (a fresh resolve; it needs the package index, so
the suite does not rerun it); these checks need no network.
"""
from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def pins(name: str) -> dict[str, str]:
    found = {}
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            package, version = line.split("==")
            found[package] = version
    return found


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_requirement_of_every_extra_is_pinned_within_its_range():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = [Requirement(r) for r in project["dependencies"]]
    requirements += [Requirement(r) for extra in project["optional-dependencies"].values() for r in extra]
    pinned = pins("constraints.txt")
    for requirement in requirements:
        if canonical(requirement.name) == "aigif":
            continue
        version = pinned.get(canonical(requirement.name))
        assert version is not None, f"{requirement.name} is not in constraints.txt: run tools/lock_constraints.py"
        assert requirement.specifier.contains(version, prereleases=True), f"{requirement} excludes the pinned {version}"


def test_the_golden_libraries_are_pinned_to_the_goldens_versions():
    pinned = pins("constraints.txt")
    for test in sorted((ROOT / "vectors" / "render").glob("*/test.json")):
        case = json.loads(test.read_text(encoding="utf-8"))
        if case["requires"] == "cpu":
            for library in ("torch", "diffusers", "transformers"):
                assert pinned[library] == case["platform"][library].split("+")[0], (case["id"], library)


def test_the_no_torch_file_is_the_same_list_without_torch():
    pinned = pins("constraints.txt")
    del pinned["torch"]
    assert pins("constraints-no-torch.txt") == pinned


def test_readme_and_ci_install_from_the_constraints():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert '-c constraints.txt -e ".[test]"' in ci
    assert readme.count("pip install -c constraints.txt -e") == 2
