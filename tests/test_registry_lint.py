"""`aigif registry check`: the shipped registry passes, and every kind of bad registry or bad change is rejected.

Bad registries are built from the real registry.json in tmp dirs; changes are checked against a real
git repository made in tmp_path. Each case asserts the exact set of rule kinds reported, so a rule that
fires too often, or not at all, fails.
"""
from __future__ import annotations

import copy
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

from aigif_ref import registry_lint
from aigif_ref.errors import ERROR_CODES
from aigif_ref.registry import DEFAULT_REGISTRY
from aigif_ref.registry_lint import RULES, check_registry, next_free_model_id

ROOT = Path(__file__).resolve().parents[1]
REAL: dict[str, Any] = json.loads(DEFAULT_REGISTRY.read_text(encoding="utf-8"))
SHA = "ab" * 32
COMMIT = "c0ffee" + "0" * 34


def real() -> dict[str, Any]:
    return copy.deepcopy(REAL)


def write(folder: Path, data: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "registry.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def kinds(report: registry_lint.Report) -> set[str]:
    return {p.kind for p in report.problems}


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aigif_ref", *args], capture_output=True, text=True, cwd=ROOT)


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org",
                             "-c", "commit.gpgsign=false", *args], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def repo_with(tmp_path: Path, base: dict[str, Any]) -> Path:
    """A git repository whose one commit holds base as registry.json; returns the registry path."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    path = write(repo, base)
    git(repo, "add", "registry.json")
    git(repo, "commit", "-q", "-m", "base")
    return path


# ---------------------------------------------------------------- the registry on its own
def test_shipped_registry_passes():
    report = check_registry(DEFAULT_REGISTRY)
    assert report.problems == [] and report.ok
    assert "OK" in report.text() and f"next free model ID {next_free_model_id(REAL)}" in report.text()


def add_model(data: dict, **fields: Any) -> dict:
    model = {"id": next_free_model_id(REAL), "name": "new-model", "family": "sd1", "status": "active",
             "source": {"hf_repo": "someone/new-model", "revision": COMMIT},
             "files": {"model_index.json": SHA, "unet/diffusion_pytorch_model.safetensors": SHA}}
    model.update(fields)
    data["models"].append(model)
    return data


def model(data: dict, name: str) -> dict:
    return next(m for m in data["models"] if m["name"] == name)


def text_compressor(data: dict) -> dict:
    return next(e for e in data["enumerations"]["text_compressors"] if "model_file" in e)


# (kind, how the real registry is broken, a JSON path of a problem, words the message must contain)
NEW = len(REAL["models"])  # index of an appended model
UNKNOWN = REAL["unknown_model_ids"]
LAST_GPU = REAL["enumerations"]["gpus"][-1]
BAD: list[tuple[str, Callable[[dict], Any], str, str]] = [
    ("schema", lambda d: d["families"][0].update(pipeline="NotAPipelineClass"), "$.families[0].pipeline", "does not match"),
    ("schema", lambda d: d["models"][0].pop("status"), "$.models[0]", "'status' is a required property"),
    ("model-id-duplicate", lambda d: add_model(d, id=2), f"$.models[{NEW}].id", "already models[2]"),
    ("model-name-duplicate", lambda d: add_model(d, name="sd-turbo"), f"$.models[{NEW}].name", "already models[5]"),
    ("test-id-range", lambda d: add_model(d, id=495), f"$.models[{NEW}].id", "reserved for test models"),
    ("test-id-range", lambda d: add_model(d, status="test"), f"$.models[{NEW}].status", "outside the test range 490..509"),
    ("test-id-range", lambda d: d["test_model_ids"].update(first=600), "$.test_model_ids", "empty"),
    ("unknown-id-range", lambda d: add_model(d, id=UNKNOWN["last"]), f"$.models[{NEW}].id", "never assigned"),
    ("unknown-id-range", lambda d: d["unknown_model_ids"].update(first=UNKNOWN["last"] + 1), "$.unknown_model_ids", "empty"),
    ("unknown-id-range", lambda d: d["unknown_model_ids"].update(first=REAL["test_model_ids"]["last"]), "$.unknown_model_ids", "overlaps"),
    ("enum-code-duplicate", lambda d: d["enumerations"]["devices"].append({"code": 2, "name": "NPU"}),
     "$.enumerations.devices[3].code", "code 2 is already devices[2]'s; a new entry takes the next code, 4"),
    ("enum-code-gap", lambda d: d["enumerations"]["devices"].append({"code": 5, "name": "NPU"}),
     "$.enumerations.devices[3].code", "has code 5, expected 3"),
    ("enum-name-duplicate", lambda d: d["enumerations"]["devices"].append({"code": 3, "name": "CPU"}),
     "$.enumerations.devices[3].name", "already devices[0]'s"),
    ("family-duplicate", lambda d: d["families"].append(copy.deepcopy(d["families"][0])), "$.families[5].name", "already families[0]"),
    ("family-unknown", lambda d: d["models"][0].update(family="sd9"), "$.models[0].family", '"sd9" is not defined'),
    ("base-model-unknown", lambda d: model(d, "hyper-sd-sdxl-1step-unet")["source"].update(base_model=99),
     "$.models[4].source.base_model", "base_model 99"),
    ("base-model-unknown", lambda d: model(d, "hyper-sd-sdxl-1step-unet")["source"].update(base_model=4),
     "$.models[4].source.base_model", "another model"),
    ("param-unknown", lambda d: d["families"][0]["params"].append("lora_scale"), "$.families[0].params[6]",
     '"lora_scale" is not a field of the bitstream\'s params group'),
    ("sha256-malformed", lambda d: add_model(d, files={"model_index.json": SHA.upper()}),
     f"$.models[{NEW}].files['model_index.json']", "use lowercase"),
    ("sha256-malformed", lambda d: add_model(d, files={"model_index.json": "abc"}), f"$.models[{NEW}].files['model_index.json']", "sha256sum"),
    ("sha256-malformed", lambda d: text_compressor(d).update(sha256="xyz"), "$.enumerations.text_compressors[2].sha256", "not a sha256"),
    ("revision-malformed", lambda d: d["models"][0]["source"].update(revision="main"), "$.models[0].source.revision", "commit hash"),
    ("file-path", lambda d: add_model(d, files={"../unet/x.safetensors": SHA}), f"$.models[{NEW}].files['../unet/x.safetensors']", "relative path"),
    ("file-path", lambda d: add_model(d, files={"/abs/x.safetensors": SHA}), f"$.models[{NEW}].files['/abs/x.safetensors']", "relative path"),
    ("file-path", lambda d: add_model(d, files={"unet\\x.safetensors": SHA}), f"$.models[{NEW}].files['unet\\\\x.safetensors']", "`/` separators"),
    ("file-path", lambda d: text_compressor(d).update(model_file="../outside.json"), "$.enumerations.text_compressors[2].model_file", "no empty"),
    ("weights-format", lambda d: add_model(d, files={"unet/diffusion_pytorch_model.bin": SHA}),
     f"$.models[{NEW}].files['unet/diffusion_pytorch_model.bin']", "pickle weights can run code"),
    ("weights-format", lambda d: add_model(d, files={"model.onnx": SHA}), f"$.models[{NEW}].files['model.onnx']", ".safetensors"),
    ("weights-format", lambda d: model(d, "hyper-sd-sdxl-1step-unet")["source"].update(file="Hyper-SDXL-1step-Unet.ckpt"),
     "$.models[4].source.file", "pickle"),
    ("data-file-missing", lambda d: text_compressor(d).update(model_file="spec/text/no-such-model.json"),
     "$.enumerations.text_compressors[2].model_file", "cannot read spec/text/no-such-model.json"),
    ("data-file-sha256", lambda d: text_compressor(d).update(sha256=SHA), "$.enumerations.text_compressors[2].sha256",
     f"the entry says {SHA}"),
]


@pytest.mark.parametrize("kind,breaks,path,words", BAD, ids=[f"{case[0]}-{n}" for n, case in enumerate(BAD)])
def test_each_bad_registry_is_rejected_by_its_rule(tmp_path, kind, breaks, path, words):
    data = real()
    breaks(data)
    report = check_registry(write(tmp_path, data))
    assert kinds(report) == {kind}, report.text()
    assert any(p.path == path and words in p.message for p in report.problems), report.text()
    assert all(p.code == RULES[kind].code for p in report.problems)


def test_every_problem_is_reported_in_one_run(tmp_path):
    data = real()
    for kind, breaks, _, _ in BAD:
        if kind not in ("schema", "test-id-range", "data-file-missing", "file-path"):  # these would mask others
            breaks(data)
    report = check_registry(write(tmp_path, data))
    expected = {kind for kind, *_ in BAD} - {"schema", "test-id-range", "data-file-missing", "file-path"}
    assert expected <= kinds(report), report.text()


def node_paths(node: Any, path: tuple = (), depth: int = 3) -> list[tuple]:
    """Paths of every member down to depth (every top-level key, model, family, enumeration, and their fields)."""
    if len(path) == depth:
        return []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    return [p for key, value in items for p in [path + (key,)] + node_paths(value, path + (key,), depth)]


def test_any_wrong_type_anywhere_is_reported_not_a_crash():
    """A registry that is wrong in shape still gets a full report: every schema error, and no exception."""
    from aigif_ref.registry import REPO_ROOT, schema_validator

    for path in node_paths(REAL):
        for value in ({"a": []}, None)[:2 if len(path) < 3 else 1]:  # unhashable where a name or code belongs; missing
            data = real()
            parent = data
            for key in path[:-1]:
                parent = parent[key]
            parent[path[-1]] = value
            problems = registry_lint.check_data(data, REPO_ROOT)
            registry_lint.check_change(REAL, data, "B")
            registry_lint.check_change(data, REAL, "B")
            schema = {e.json_path for e in schema_validator().iter_errors(data)}
            assert schema <= {p.path for p in problems}, (path, value)


def test_not_json_and_repeated_keys(tmp_path):
    path = tmp_path / "registry.json"
    path.write_text("{\"registry_version\": 1,", encoding="utf-8")
    report = check_registry(path)
    assert kinds(report) == {"json"} and "is not JSON" in report.problems[0].message and "line 1" in report.problems[0].message
    text = DEFAULT_REGISTRY.read_text(encoding="utf-8").replace('"name": "DDIM",', '"name": "DDIM", "name": "DDIM",', 1)
    path.write_text(text, encoding="utf-8")
    report = check_registry(path)
    assert kinds(report) == {"json"}
    assert report.problems[0].message == 'key "name" appears twice in one object (the object with "code": 0); remove one'
    for raw, words in ((b"\xff\xfe{}", "not UTF-8"), (b'{"registry_version": NaN}', "NaN is not a JSON value"),
                       (b'{"a": ' * 40 + b"1" + b"}" * 40, "deeper than 32 levels")):
        path.write_bytes(raw)
        report = check_registry(path)
        assert kinds(report) == {"json"} and words in report.problems[0].message, report.text()


def test_oversized_registry_is_refused_before_parsing(tmp_path, monkeypatch):
    monkeypatch.setattr(registry_lint, "MAX_REGISTRY_BYTES", 1000)
    report = check_registry(DEFAULT_REGISTRY)
    assert kinds(report) == {"json"} and "more than a registry may be (1000)" in report.problems[0].message


def test_unreadable_registry(tmp_path):
    report = check_registry(tmp_path / "missing.json")
    assert kinds(report) == {"unreadable"} and report.problems[0].code == "AIGIF_E_IO"


def test_next_free_model_id_skips_the_test_and_unknown_ranges():
    data = real()
    test = data["test_model_ids"]
    assert next_free_model_id(data) == 1 + max(m["id"] for m in data["models"] if m["status"] != "test")
    add_model(data, id=test["first"] - 1)
    add_model(data, id=test["last"], name="tiny", status="test")
    assert UNKNOWN["first"] == test["last"] + 1  # the two reserved ranges are adjacent: the next free ID skips both
    assert next_free_model_id(data) == UNKNOWN["last"] + 1


# ---------------------------------------------------------------- the change against --base
def bumped(data: dict) -> dict:
    data["registry_version"] += 1
    return data


def pinned_base() -> dict:
    """The real registry with model 0 pinned (revision and files) and one deprecated model."""
    data = real()
    data["models"][0]["source"]["revision"] = COMMIT
    data["models"][0]["files"] = {"model_index.json": SHA, "unet/diffusion_pytorch_model.safetensors": "cd" * 32}
    data["models"][1]["status"] = "deprecated"
    data["models"][4]["source"]["revision"] = COMMIT
    return data


def enum_named(data: dict, enum: str, name: str) -> dict:
    return next(e for e in data["enumerations"][enum] if e["name"] == name)


def drop_gpu_middle(data: dict) -> None:
    """Delete devices code 1 and close the gap: the natural way to break append-only."""
    devices = data["enumerations"]["devices"]
    del devices[1]
    for code, entry in enumerate(devices):
        entry["code"] = code


def swap_devices(data: dict) -> None:
    devices = data["enumerations"]["devices"]
    devices[1]["name"], devices[2]["name"] = devices[2]["name"], devices[1]["name"]


# (kinds expected, how the change breaks the pinned base; registry_version is bumped unless the case says otherwise)
REGISTRY_VERSION = json.loads(Path(DEFAULT_REGISTRY).read_text(encoding="utf-8"))["registry_version"]

CHANGES: list[tuple[set[str], Callable[[dict], Any], str]] = [
    ({"version-not-increased"}, lambda d: d["enumerations"]["devices"].append({"code": 3, "name": "NPU"}),
     f"still {REGISTRY_VERSION}; set it to {REGISTRY_VERSION + 1}"),
    ({"spec-version-decreased"}, lambda d: d.update(spec_version="0.9"), '"1.0"'),
    ({"test-range-changed"}, lambda d: d["test_model_ids"].update(last=d["test_model_ids"]["last"] - 1), "never changes"),
    ({"test-range-changed"}, lambda d: d["unknown_model_ids"].update(last=UNKNOWN["last"] + 1), "unknown_model_ids was"),
    ({"model-removed"}, lambda d: d["models"].pop(5), 'model 5 ("sd-turbo") is at HEAD but missing here'),
    ({"model-renamed"}, lambda d: d["models"][2].update(name="sdxl-base"), 'was "stable-diffusion-xl-base-1.0" at HEAD'),
    ({"model-family-changed"}, lambda d: d["models"][5].update(family="sd1"), 'family was "sd2"'),
    ({"model-source-changed"}, lambda d: d["models"][0]["source"].update(revision="f" * 40), "source.revision was"),
    ({"model-source-changed"}, lambda d: d["models"][0]["files"].update({"model_index.json": "ef" * 32}), 'pinned file "model_index.json" has sha256'),
    ({"model-source-changed"}, lambda d: d["models"][0]["files"].pop("model_index.json"), "is no longer listed"),
    ({"model-source-changed"}, lambda d: d["models"][4]["source"].update(file="other.safetensors"), "source.file was"),
    ({"model-source-changed"}, lambda d: d["models"][4]["source"].update(base_model=0), "source.base_model was 2"),
    ({"model-unpinned"}, lambda d: add_model(d, files={}), "`files` is empty"),
    ({"model-unpinned"}, lambda d: add_model(d, source={"hf_repo": "someone/new-model", "revision": None}), "source.revision is null"),
    ({"status-changed"}, lambda d: d["models"][1].update(status="active"), 'status "deprecated" became "active"'),
    ({"status-changed"}, lambda d: enum_named(d, "extension_types", "pixels").update(status="reserved"), 'status "active" became "reserved"'),
    ({"enum-removed", "schema"}, lambda d: d["enumerations"].pop("generator_devices"), "enumeration generator_devices is at HEAD"),
    ({"enum-entry-removed"}, lambda d: d["enumerations"]["gpus"].pop(), f'gpus code {LAST_GPU["code"]} ("{LAST_GPU["name"]}") is at HEAD but missing'),
    ({"enum-entry-removed", "enum-entry-renumbered"}, drop_gpu_middle, 'devices entry "MPS" had code 2 at HEAD, now 1'),
    ({"enum-entry-renumbered"}, swap_devices, "put it back at code 1"),
    ({"enum-entry-renamed"}, lambda d: enum_named(d, "gpus", "NVIDIA H200").update(name="NVIDIA H200 SXM"), 'restore "NVIDIA H200"'),
    ({"enum-entry-changed"}, lambda d: enum_named(d, "schedulers", "DPM++ 2M Karras").update(config={}), "config was"),
    ({"enum-entry-changed"}, lambda d: enum_named(d, "extension_types", "model").update(must_understand=False), "must_understand was true"),
    ({"family-removed", "family-unknown"}, lambda d: d["families"].pop(), 'family "flux" is at HEAD but missing'),
    ({"family-pipeline-changed"}, lambda d: d["families"][0].update(pipeline="StableDiffusionImg2ImgPipeline"), "pipeline was"),
    ({"family-params-changed"}, lambda d: d["families"][0]["params"].remove("eta"), "add new params only at the end"),
    ({"family-params-changed"}, lambda d: d["families"][0]["params"].reverse(), "in that order"),
]


@pytest.mark.parametrize("expected,breaks,words", CHANGES, ids=[f"{'+'.join(sorted(c[0]))}-{n}" for n, c in enumerate(CHANGES)])
def test_each_bad_change_is_rejected_against_the_base(tmp_path, expected, breaks, words):
    base = pinned_base()
    path = repo_with(tmp_path, base)
    assert check_registry(path, "HEAD").ok  # the base itself is fine
    new = copy.deepcopy(base)
    breaks(new)
    if expected != {"version-not-increased"}:
        bumped(new)
    write(path.parent, new)
    report = check_registry(path, "HEAD")
    assert kinds(report) == expected, report.text()
    assert any(words in p.message for p in report.problems), report.text()
    assert check_registry(path).ok or expected & {"schema", "family-unknown"}, "the rule needs --base, not the file alone"


def test_registry_version_may_not_go_down(tmp_path):
    path = repo_with(tmp_path, bumped(real()))
    write(path.parent, real())
    report = check_registry(path, "HEAD")
    assert kinds(report) == {"version-not-increased"} and (f"went down from {REGISTRY_VERSION + 1} (at HEAD) to {REGISTRY_VERSION}; set it to {REGISTRY_VERSION + 2}"
                                                         in report.problems[0].message)


ALLOWED: list[tuple[str, Callable[[dict], Any]]] = [
    ("a new model, pinned", lambda d: add_model(d)),
    ("a new test model with no hf_repo", lambda d: add_model(d, id=max(m["id"] for m in d["models"]) + 1, status="test",
                                                               source={"hf_repo": None, "revision": None})),
    ("deprecating a model", lambda d: d["models"][0].update(status="deprecated")),
    ("deprecating an enumeration entry", lambda d: enum_named(d, "gpus", "NVIDIA A40").update(status="deprecated")),
    ("activating a reserved extension type", lambda d: enum_named(d, "extension_types", "pixel_digest").update(status="active")),
    ("pinning an unpinned model", lambda d: d["models"][2]["source"].update(revision=COMMIT)),
    ("adding files to a model", lambda d: d["models"][0]["files"].update({"vae/config.json": SHA})),
    ("moving a repository", lambda d: d["models"][0]["source"].update(hf_repo="someone/mirror")),
    ("appending enumeration entries", lambda d: d["enumerations"]["gpus"].append({"code": 8, "name": "NVIDIA B200"})),
    ("appending a family param", lambda d: d["families"][1]["params"].append("denoising_end")),
    ("a new family", lambda d: d["families"].append({"name": "sd3", "title": "SD3", "pipeline": "StableDiffusion3Pipeline", "params": []})),
    ("a new spec version", lambda d: d.update(spec_version="1.1")),
    ("a retitled family", lambda d: d["families"][0].update(title="Stable Diffusion 1")),
]


@pytest.mark.parametrize("what,change", ALLOWED, ids=[a[0] for a in ALLOWED])
def test_allowed_changes_pass(tmp_path, what, change):
    path = repo_with(tmp_path, pinned_base())
    new = pinned_base()
    change(new)
    write(path.parent, bumped(new))
    report = check_registry(path, "HEAD")
    assert report.ok, report.text()


def test_unchanged_or_reformatted_registry_needs_no_new_version(tmp_path):
    path = repo_with(tmp_path, real())
    assert check_registry(path, "HEAD").ok
    path.write_text(json.dumps(real(), separators=(",", ":")), encoding="utf-8")
    assert check_registry(path, "HEAD").ok


def test_base_problems_are_clear(tmp_path, monkeypatch):
    plain = write(tmp_path / "plain", real())
    report = check_registry(plain, "HEAD")
    assert kinds(report) == {"base-unreadable"} and "is not in a git repository" in report.problems[0].message
    path = repo_with(tmp_path, real())
    message = check_registry(path, "origin/main").problems[0].message
    assert "git revision 'origin/main' is not in this clone" in message and "git fetch origin main" in message
    assert "not a git revision" in check_registry(path, "--output=x").problems[0].message
    other = path.parent / "other.json"
    write(path.parent, real()).rename(other)
    report = check_registry(other, "HEAD")
    assert kinds(report) == {"base-unreadable"} and "other.json does not exist at HEAD" in report.problems[0].message
    (path.parent / "registry.json").write_text("{", encoding="utf-8")
    git(path.parent, "commit", "-qam", "broken")
    write(path.parent, real())
    assert "registry.json at HEAD is not JSON" in check_registry(path, "HEAD").problems[0].message
    monkeypatch.setattr(registry_lint.shutil, "which", lambda name: None)
    report = check_registry(path, "HEAD~1")
    assert kinds(report) == {"base-unreadable"} and "git is not installed" in report.problems[0].message
    assert report.problems[0].code == "AIGIF_E_IO"


# ---------------------------------------------------------------- the command
def test_cli_accepts_the_shipped_registry():
    result = run("registry", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"{DEFAULT_REGISTRY}: OK") and result.stderr == ""
    listed = run("registry", "check", "--json")
    assert listed.returncode == 0 and json.loads(listed.stdout) == []


def test_cli_rejects_with_exit_1_codes_and_messages(tmp_path):
    data = real()
    data["models"][3]["id"] = 1
    data["enumerations"]["devices"].append({"code": 7, "name": "NPU"})
    path = write(tmp_path, data)
    result = run("registry", "check", "--registry", str(path))
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("AIGIF_E_REGISTRY [model-id-duplicate] $.models[3].id: model 1 (\"stable-diffusion-xl-refiner-1.0\")")
    assert f"give this model the next free ID, {next_free_model_id(data)}" in lines[0]
    assert lines[1].startswith("AIGIF_E_REGISTRY [enum-code-gap] $.enumerations.devices[3].code:")
    assert lines[-1] == f"{path}: REJECTED: 2 problem(s); the rules and how to fix each one: spec/contributing.md"
    listed = run("--registry", str(path), "registry", "check", "--json")  # the global --registry works too
    assert listed.returncode == 1
    problems = json.loads(listed.stdout)
    assert [(p["code"], p["kind"], p["path"]) for p in problems] == [
        ("AIGIF_E_REGISTRY", "model-id-duplicate", "$.models[3].id"), ("AIGIF_E_REGISTRY", "enum-code-gap", "$.enumerations.devices[3].code")]
    assert all(p["message"] for p in problems)


def test_cli_base_comparison_in_a_git_repo(tmp_path):
    path = repo_with(tmp_path, real())
    new = real()
    new["models"] = [m for m in new["models"] if m["id"] != 6]
    write(path.parent, new)
    result = run("registry", "check", "--registry", str(path), "--base", "HEAD")
    assert result.returncode == 1
    assert "AIGIF_E_REGISTRY [model-removed] $.models: model 6 (\"flux.1-dev\") is at HEAD but missing here" in result.stdout
    assert "AIGIF_E_REGISTRY [version-not-increased]" in result.stdout
    missing = run("registry", "check", "--registry", str(path), "--base", "no-such-branch")
    assert missing.returncode == 1 and "AIGIF_E_IO [base-unreadable]" in missing.stdout and "Traceback" not in missing.stderr
    assert run("registry").returncode == 2  # a usage error: the subcommand is missing


def test_repository_registry_passes_against_its_previous_commit():
    """The CI step: the repo's registry.json against HEAD~1 (or against HEAD in a shallow clone)."""
    parent = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", "--quiet", "HEAD~1^{commit}"], capture_output=True)
    base = "HEAD~1" if parent.returncode == 0 else "HEAD"
    result = run("registry", "check", "--registry", str(DEFAULT_REGISTRY), "--base", base)
    assert result.returncode == 0, f"registry.json is rejected against {base}:\n{result.stdout}{result.stderr}"
    assert f"OK against {base}" in result.stdout


def test_rules_have_known_codes_and_every_rule_is_tested():
    assert all(rule.code in ERROR_CODES and rule.rejects and rule.why for rule in RULES.values())
    # json, unreadable and base-unreadable have their own tests above; every other rule is a row of BAD or CHANGES.
    covered = {kind for kind, *_ in BAD} | set().union(*(c[0] for c in CHANGES)) | {"json", "unreadable", "base-unreadable"}
    assert covered == set(RULES), f"untested rules: {set(RULES) - covered}; stale: {covered - set(RULES)}"


# ---------------------------------------------------------------- spec/contributing.md
def shell_blocks() -> list[str]:
    text = (ROOT / "spec" / "contributing.md").read_text(encoding="utf-8")
    return re.findall(r"```sh\n(.*?)```", text, flags=re.DOTALL)


def test_contributing_page_hash_commands_print_each_files_sha256(tmp_path):
    """The page's two ways to hash a downloaded model folder agree with hashlib and skip hf's .cache."""
    folder = tmp_path / "model"
    contents = {"model_index.json": b"{}", "unet/config.json": b'{"a": 1}', "unet/diffusion_pytorch_model.safetensors": b"\0" * 99,
                "tokenizer/merges.txt": "é\n".encode()}
    for name, data in {**contents, ".cache/huggingface/download/unet/x.metadata": b"x"}.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    expected = {name: hashlib.sha256(data).hexdigest() for name, data in sorted(contents.items())}
    python_block = next(b for b in shell_blocks() if "hashlib" in b)
    printed = subprocess.run(["bash", "-c", python_block], cwd=tmp_path, capture_output=True, text=True)
    assert printed.returncode == 0, printed.stderr
    assert json.loads(printed.stdout) == expected
    coreutils_block = next(b for b in shell_blocks() if "sha256sum" in b)
    listed = subprocess.run(["bash", "-c", coreutils_block], cwd=tmp_path, capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    assert [line.split("  ", 1) for line in listed.stdout.splitlines()] == [[d, n] for n, d in sorted(expected.items())]
    model = add_model(real(), files=expected)["models"][-1]
    assert check_registry(write(tmp_path / "reg", {**real(), "models": real()["models"] + [model]})).ok


def test_contributing_page_names_every_rule_and_the_commands():
    text = (ROOT / "spec" / "contributing.md").read_text(encoding="utf-8")
    for kind, rule in RULES.items():
        assert f"| `{rule.code}` | `{kind}` |" in text, kind
    blocks = "\n".join(shell_blocks())
    assert "aigif registry check --base origin/main" in blocks and "python3 tools/regen.py" in blocks
