"""`aigif registry check` (a lint of registry.json for pull requests): the rules of spec/registry.md applied to a registry.json.

Alone it checks the file itself (JSON, schema, unique and dense codes, references, hashes,
paths). With a base git revision it also checks the change against that revision: append-only
(nothing removed, renumbered, renamed or given another meaning) and registry_version increased.
Every problem is reported in one run; each has a stable kind (:data:`RULES`, also the table of
spec/contributing.md) and a message that names the entry and says what to write instead.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Iterator

from aigif_ref.grammar.fields import PARAMS
from aigif_ref.registry import COMMIT, REPO_ROOT, is_inside_path, schema_validator


@dataclass(frozen=True)
class Rule:
    code: str  # stable error code (aigif_ref/errors.py)
    rejects: str  # what a registry or a change is rejected for
    why: str
    base: bool = False  # checked only with --base (a rule about the change, not the file)


# Files a model may pin: weights as safetensors only (pickle formats run code when loaded);
# configs and tokenizers as JSON, text vocabularies or sentencepiece models.
ALLOWED_FILE_SUFFIXES: tuple[str, ...] = (".safetensors", ".json", ".txt", ".model")
PICKLE_SUFFIXES: tuple[str, ...] = (".bin", ".ckpt", ".pt", ".pth", ".pkl", ".pickle")
# Status changes a pull request may make; every other change of an existing entry's status is rejected.
ALLOWED_STATUS_CHANGES: frozenset[tuple[str, str]] = frozenset(
    {("active", "deprecated"), ("reserved", "active"), ("reserved", "deprecated")})
SHA256 = re.compile(r"^[0-9a-f]{64}$")
SCHEMA_FILE = "spec/schema/registry.schema.json"
MAX_REGISTRY_BYTES = 16 << 20  # the shipped registry is ~15 KB; anything near this is not a registry
MAX_DEPTH = 32  # the schema needs 5 levels (plus scheduler configs); the checks below recurse
_STATUS_CHANGES = ", ".join(f"{a} → {b}" for a, b in sorted(ALLOWED_STATUS_CHANGES))

RULES: dict[str, Rule] = {
    # ---- the registry file on its own
    "unreadable": Rule("AIGIF_E_IO", "the registry file cannot be read", "nothing else can be checked"),
    "json": Rule("AIGIF_E_REGISTRY", "the file is not UTF-8 JSON, or an object repeats a key",
                 "most JSON readers silently keep the last of two equal keys, so two readers could see different registries"),
    "schema": Rule("AIGIF_E_REGISTRY", f"the registry does not match `{SCHEMA_FILE}` (the message gives the JSON path)",
                   "every reader validates the registry against the schema before it uses it"),
    "model-id-duplicate": Rule("AIGIF_E_REGISTRY", "two models have the same `id`", "a file stores only the ID, which must name one model"),
    "model-name-duplicate": Rule("AIGIF_E_REGISTRY", "two models have the same `name`", "records and the command line name models by name"),
    "test-id-range": Rule("AIGIF_E_REGISTRY",
                          "a model with an ID in `test_model_ids` is not `\"status\": \"test\"`, a test model is outside that range, or the range is empty",
                          "the range is reserved for the project's small test models; real models never use it"),
    "unknown-id-range": Rule("AIGIF_E_REGISTRY",
                             "a model has an ID in `unknown_model_ids`, or that range is empty or overlaps `test_model_ids`",
                             "the range is never assigned, so test vectors can use it as an unknown model ID in every registry"),
    "enum-code-duplicate": Rule("AIGIF_E_REGISTRY", "two entries of an enumeration have the same `code`", "a file stores only the code"),
    "enum-code-gap": Rule("AIGIF_E_REGISTRY", "an enumeration's codes are not 0, 1, 2, … in list order",
                          "codes are dense (rule 2): a new entry goes at the end with the next code"),
    "enum-name-duplicate": Rule("AIGIF_E_REGISTRY", "two entries of an enumeration have the same `name`", "records name codes by name"),
    "family-duplicate": Rule("AIGIF_E_REGISTRY", "two families have the same `name`", "models refer to families by name"),
    "family-unknown": Rule("AIGIF_E_REGISTRY", "a model's `family` is not the name of a family", "a reader needs the family to know the model's pipeline and `params`"),
    "base-model-unknown": Rule("AIGIF_E_REGISTRY", "a model's `source.base_model` is not the ID of another model",
                               "a weights file that applies to a base model is loaded into that model's pipeline"),
    "param-unknown": Rule("AIGIF_E_REGISTRY", "a family's `params` names a field that is not in the grammar's `params` group (`aigif_ref/grammar/fields.py`)",
                          "the bitstream has no bit for it; a new `params` field is a grammar change, not a registry change (rule 5)"),
    "sha256-malformed": Rule("AIGIF_E_REGISTRY", "a sha256 value (in a `files` map or a `sha256` key) is not 64 lowercase hex digits",
                             "decoders compare hashes as written; any other spelling never matches"),
    "revision-malformed": Rule("AIGIF_E_REGISTRY", "a `source.revision` is set but is not a 40-hex-digit commit hash",
                               "a branch or tag can move; only a commit pins the weights"),
    "file-path": Rule("AIGIF_E_REGISTRY", "a path in `files`, `source.file` or `model_file` is absolute, uses backslashes, or has an empty, `.` or `..` part",
                      "paths are resolved inside the model folder (or the repository) and must not leave it"),
    "weights-format": Rule("AIGIF_E_REGISTRY", f"a file in `files` or `source.file` does not end in {', '.join(f'`{s}`' for s in ALLOWED_FILE_SUFFIXES)}",
                           f"weights are loaded from safetensors only; pickle formats ({', '.join(f'`{s}`' for s in PICKLE_SUFFIXES)}) run code when loaded"),
    "data-file-missing": Rule("AIGIF_E_REGISTRY", "an enumeration entry's `model_file` does not exist", "the file is normative (rule 6)"),
    "data-file-sha256": Rule("AIGIF_E_REGISTRY", "an enumeration entry's `model_file` does not match its `sha256`",
                             "a normative data file never changes under the same code (rule 6)"),
    # ---- the change against --base
    "base-unreadable": Rule("AIGIF_E_IO", "`--base`: git is missing, the revision is not in the clone, or it has no readable registry file",
                            "the append-only rules cannot be checked without the base", base=True),
    "version-not-increased": Rule("AIGIF_E_REGISTRY", "the registry changed but `registry_version` is not greater than the base's, or it went down",
                                  "readers and caches tell registries apart by version (rule 9)", base=True),
    "spec-version-decreased": Rule("AIGIF_E_REGISTRY", "`spec_version` is lower than the base's", "a registry never goes back to an older bitstream", base=True),
    "test-range-changed": Rule("AIGIF_E_REGISTRY", "`test_model_ids` or `unknown_model_ids` differs from the base's",
                               "test files and vectors rely on the ranges", base=True),
    "model-removed": Rule("AIGIF_E_REGISTRY", "a model ID of the base is missing", "files that use the ID would stop decoding; retire it with `\"status\": \"deprecated\"`", base=True),
    "model-renamed": Rule("AIGIF_E_REGISTRY", "a model ID has another `name` than in the base",
                          "the name is the ID's meaning; a corrected name is a new entry", base=True),
    "model-family-changed": Rule("AIGIF_E_REGISTRY", "a model ID has another `family` than in the base",
                                 "the family decides the pipeline and which `params` existing files may use", base=True),
    "model-source-changed": Rule("AIGIF_E_REGISTRY",
                                 "a model's pinned `source.revision`, `source.file` or `source.base_model`, or a pinned file's sha256, changed or was removed",
                                 "the weights behind an ID never change; new weights are a new model ID (pinning a value that was `null` is allowed)", base=True),
    "model-unpinned": Rule("AIGIF_E_REGISTRY", "a model added by the change has an empty `files` map, or an `hf_repo` without a pinned `revision`",
                           "decoders verify every file's sha256 before loading weights", base=True),
    "status-changed": Rule("AIGIF_E_REGISTRY", f"an entry's `status` changed other than {_STATUS_CHANGES}",
                           "deprecation replaces removal; a retired entry stays retired", base=True),
    "enum-removed": Rule("AIGIF_E_REGISTRY", "an enumeration of the base is missing", "files use its codes", base=True),
    "enum-entry-removed": Rule("AIGIF_E_REGISTRY", "an enumeration entry of the base is missing", "files that use the code would stop decoding", base=True),
    "enum-entry-renumbered": Rule("AIGIF_E_REGISTRY", "an enumeration entry has another `code` than in the base", "files store the code", base=True),
    "enum-entry-renamed": Rule("AIGIF_E_REGISTRY", "an enumeration code has another `name` than in the base", "the name is the code's meaning", base=True),
    "enum-entry-changed": Rule("AIGIF_E_REGISTRY",
                               "another field of an enumeration entry (`diffusers_class`, `config`, `model_file`, `sha256`, `must_understand`, …) changed, appeared or disappeared",
                               "files written with the code would regenerate differently", base=True),
    "family-removed": Rule("AIGIF_E_REGISTRY", "a family of the base is missing", "its models refer to it", base=True),
    "family-pipeline-changed": Rule("AIGIF_E_REGISTRY", "a family's `pipeline` differs from the base's", "every model of the family would run another pipeline", base=True),
    "family-params-changed": Rule("AIGIF_E_REGISTRY", "a family's `params` are not the base's followed by new ones",
                                  "files that use a removed param would become invalid (`AIGIF_E_PARAM_FAMILY`)", base=True),
}


@dataclass(frozen=True)
class Problem:
    kind: str  # a key of RULES
    path: str  # JSON path in the registry, "$" for the whole file
    message: str

    @property
    def code(self) -> str:
        return RULES[self.kind].code

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "kind": self.kind, "path": self.path, "message": self.message}

    def __str__(self) -> str:
        return f"{self.code} [{self.kind}] {self.path}: {self.message}"


class _Unreadable(Exception):
    """The registry or its base could not be read; the message says why."""


# ---------------------------------------------------------------- helpers
_PLAIN_KEY = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]*$")  # as jsonschema's ValidationError.json_path


def jpath(*parts: str | int) -> str:
    """A JSON path in the style of jsonschema's ValidationError.json_path: $.models[3].files['a/b']."""
    out = "$"
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            out += "." + part
        else:
            out += "['" + part.replace("\\", "\\\\").replace("'", "\\'") + "']"
    return out


def _entries(value: Any) -> list[tuple[int, dict]]:
    """(index, entry) of the objects of a list; anything else is the schema check's to report."""
    return [(i, e) for i, e in enumerate(value) if isinstance(e, dict)] if isinstance(value, list) else []


def _index(value: Any, key: str) -> dict[Any, tuple[int, dict]]:
    """entry[key] -> (index, entry) of a list of objects, in list order; the first of duplicates wins."""
    out: dict[Any, tuple[int, dict]] = {}
    for i, entry in _entries(value):
        out.setdefault(_int(entry.get(key)) if key in ("id", "code") else _str(entry.get(key)), (i, entry))
    return out


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _q(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _model_label(model: dict) -> str:
    return f"model {_q(model.get('id'))} ({_q(model.get('name'))})"


def _test_range(data: dict, key: str = "test_model_ids") -> tuple[int, int] | None:
    ids = _dict(data.get(key))
    first, last = _int(ids.get("first")), _int(ids.get("last"))
    return (first, last) if first is not None and last is not None else None


def _unknown_range(data: dict) -> tuple[int, int] | None:
    return _test_range(data, "unknown_model_ids")


def next_free_model_id(data: dict) -> int:
    """The ID a new real model takes: one past the highest real ID, skipping the test and unknown ranges."""
    ids = {_int(m.get("id")) for _, m in _entries(data.get("models"))} - {None}
    reserved = [r for r in (_test_range(data), _unknown_range(data)) if r]
    real = [i for i in ids if not any(r[0] <= i <= r[1] for r in reserved)]
    candidate = max(real) + 1 if real else 0
    while candidate in ids or any(r[0] <= candidate <= r[1] for r in reserved):
        candidate = next((r[1] + 1 for r in reserved if r[0] <= candidate <= r[1]), candidate + 1)
    return candidate


def loads(text: str) -> tuple[Any, list[str]]:
    """JSON text -> (value, repeated keys), each repeat described by the object it is in."""
    repeats: list[str] = []

    def collect(pairs: list[tuple[str, Any]]) -> dict:
        obj: dict = {}
        for key, value in pairs:
            if key in obj:
                hint = next((f" (the object with {_q(k)}: {_q(v)})" for k, v in pairs
                             if k in ("name", "id", "code") and not isinstance(v, (dict, list))), "")
                repeats.append(f"key {_q(key)} appears twice in one object{hint}; remove one")
            obj[key] = value
        return obj

    def reject(constant: str) -> Any:
        raise ValueError(f"{constant} is not a JSON value")

    return json.loads(text, object_pairs_hook=collect, parse_constant=reject), repeats


def _read_json(raw: bytes, where: str) -> tuple[Any, list[str]]:
    if len(raw) > MAX_REGISTRY_BYTES:
        raise _Unreadable(f"{where} is {len(raw)} bytes, more than a registry may be ({MAX_REGISTRY_BYTES})")
    try:
        value, repeats = loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise _Unreadable(f"{where} is not UTF-8 (byte {exc.start}); save it as UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise _Unreadable(f"{where} is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except (ValueError, RecursionError) as exc:
        raise _Unreadable(f"{where} is not JSON: {exc or 'nested too deeply'}") from None
    stack = [(value, 1)]
    while stack:  # iterative: the depth bound protects the recursive checks
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _Unreadable(f"{where} nests objects and arrays deeper than {MAX_DEPTH} levels")
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, depth + 1) for child in children)
    return value, repeats


# ---------------------------------------------------------------- the registry on its own
def check_data(data: Any, root: Path) -> list[Problem]:
    """Every problem of one registry; root is the folder that `model_file` paths are relative to."""
    if not isinstance(data, dict):
        return [Problem("schema", "$", f"the registry must be a JSON object, not {type(data).__name__}")]
    problems = _check_hashes(data) + _check_models(data) + _check_families(data) + _check_enumerations(data, root)
    reported = {p.path for p in problems if p.kind == "sha256-malformed"}
    errors = sorted(schema_validator().iter_errors(data), key=lambda e: [(isinstance(k, str), k) for k in e.absolute_path])
    schema = [Problem("schema", e.json_path, f"{e.message} ({SCHEMA_FILE})") for e in errors if e.json_path not in reported]
    return schema + problems


def _check_hashes(data: dict) -> list[Problem]:
    """sha256 values wherever they appear: any `sha256` key, any value of a `files` map."""
    def walk(node: Any, path: tuple) -> Iterator[tuple[tuple, Any]]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "sha256":
                    yield path + (key,), value
                elif key == "files" and isinstance(value, dict):
                    yield from ((path + (key, name), digest) for name, digest in value.items())
                yield from walk(value, path + (key,))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from walk(value, path + (index,))

    problems = []
    for path, value in walk(data, ()):
        if not (isinstance(value, str) and SHA256.match(value)):
            hint = "; use lowercase" if isinstance(value, str) and SHA256.match(value.lower()) else ""
            problems.append(Problem("sha256-malformed", jpath(*path),
                                    f"{_q(value)} is not a sha256: write the 64 lowercase hex digits that `sha256sum FILE` prints{hint}"))
    return problems


def _path_problems(value: Any, path: str, what: str, check_suffix: bool) -> list[Problem]:
    if not isinstance(value, str):
        return []  # the schema check reports the type
    if not is_inside_path(value):
        return [Problem("file-path", path, f"{what} {_q(value)} must be a relative path with `/` separators and no empty, "
                                           "`.` or `..` parts (for example \"unet/diffusion_pytorch_model.safetensors\")")]
    suffix = PurePosixPath(value).suffix.lower()
    if check_suffix and suffix not in ALLOWED_FILE_SUFFIXES:
        advice = ("pickle weights can run code when loaded: pin the .safetensors file of the same weights instead "
                  "(most Hugging Face repositories have one; otherwise convert it)") if suffix in PICKLE_SUFFIXES else \
                 f"only {', '.join(ALLOWED_FILE_SUFFIXES)} files may be pinned"
        return [Problem("weights-format", path, f"{what} {_q(value)}: {advice}")]
    return []


def _check_models(data: dict) -> list[Problem]:
    problems: list[Problem] = []
    models = _entries(data.get("models"))
    families = {_str(f.get("name")) for _, f in _entries(data.get("families"))} - {None}
    all_ids = {_int(m.get("id")) for _, m in models} - {None}
    test = _test_range(data)
    free = next_free_model_id(data)
    if test and test[0] > test[1]:
        problems.append(Problem("test-id-range", jpath("test_model_ids"),
                                f"the test range {test[0]}..{test[1]} is empty: `first` must not be greater than `last`"))
    unknown = _unknown_range(data)
    if unknown and unknown[0] > unknown[1]:
        problems.append(Problem("unknown-id-range", jpath("unknown_model_ids"),
                                f"the unknown-ID range {unknown[0]}..{unknown[1]} is empty: `first` must not be greater than `last`"))
    elif unknown and test and unknown[0] <= test[1] and test[0] <= unknown[1]:
        problems.append(Problem("unknown-id-range", jpath("unknown_model_ids"),
                                f"the unknown-ID range {unknown[0]}..{unknown[1]} overlaps the test range {test[0]}..{test[1]}"))
    ids: dict[int, tuple[int, Any]] = {}
    names: dict[str, int] = {}
    for i, model in models:
        mid, name, label = _int(model.get("id")), model.get("name"), _model_label(model)
        if mid is not None:
            if mid in ids:
                j, other = ids[mid]
                problems.append(Problem("model-id-duplicate", jpath("models", i, "id"),
                                        f"{label}: ID {mid} is already models[{j}] ({_q(other)}); give this model the next free ID, {free}"))
            else:
                ids[mid] = (i, name)
            if unknown and unknown[0] <= mid <= unknown[1]:
                problems.append(Problem("unknown-id-range", jpath("models", i, "id"),
                                        f"{label}: IDs {unknown[0]}..{unknown[1]} are never assigned (test vectors use them as "
                                        f"unknown model IDs); give this model the next free ID, {free}"))
            in_range = bool(test) and test[0] <= mid <= test[1]
            if in_range and model.get("status") != "test":
                problems.append(Problem("test-id-range", jpath("models", i, "id"),
                                        f"{label}: IDs {test[0]}..{test[1]} are reserved for test models (\"status\": \"test\"); "
                                        f"give a real model the next free ID, {free}"))
            elif test and model.get("status") == "test" and not in_range:
                problems.append(Problem("test-id-range", jpath("models", i, "status"),
                                        f"{label} has \"status\": \"test\" but its ID is outside the test range {test[0]}..{test[1]}; "
                                        "test models take an ID in that range, real models another status"))
        if isinstance(name, str):
            if name in names:
                problems.append(Problem("model-name-duplicate", jpath("models", i, "name"),
                                        f"{label}: the name is already models[{names[name]}]'s; choose a name no other model has"))
            else:
                names[name] = i
        family = model.get("family")
        if isinstance(family, str) and family not in families:
            problems.append(Problem("family-unknown", jpath("models", i, "family"),
                                    f"{label}: family {_q(family)} is not defined (families: {', '.join(sorted(map(str, families)))}); "
                                    "use one of them or add the family to `families`"))
        source = _dict(model.get("source"))
        base = _int(source.get("base_model"))
        if base is not None and (base not in all_ids or base == mid):
            problems.append(Problem("base-model-unknown", jpath("models", i, "source", "base_model"),
                                    f"{label}: base_model {base} must be the ID of another model in `models`"))
        revision = source.get("revision")
        if isinstance(revision, str) and not COMMIT.match(revision):
            problems.append(Problem("revision-malformed", jpath("models", i, "source", "revision"),
                                    f"{label}: revision {_q(revision)} must be the full 40-hex-digit commit hash of the Hugging Face "
                                    "repository (not a branch or tag), or null while not pinned"))
        problems += _path_problems(source.get("file"), jpath("models", i, "source", "file"), f"{label}: source.file", True)
        for path in _dict(model.get("files")):
            problems += _path_problems(path, jpath("models", i, "files", path), f"{label}: file", True)
    return problems


def _check_families(data: dict) -> list[Problem]:
    problems: list[Problem] = []
    known = [spec.name for spec in PARAMS]
    seen: dict[str, int] = {}
    for i, family in _entries(data.get("families")):
        name = family.get("name")
        if isinstance(name, str):
            if name in seen:
                problems.append(Problem("family-duplicate", jpath("families", i, "name"),
                                        f"family {_q(name)} is already families[{seen[name]}]; merge the two or rename this one"))
            else:
                seen[name] = i
        params = family.get("params")
        for j, param in enumerate(params if isinstance(params, list) else []):
            if isinstance(param, str) and param not in known:
                problems.append(Problem("param-unknown", jpath("families", i, "params", j),
                                        f"family {_q(name)}: {_q(param)} is not a field of the bitstream's params group, so no file can carry it; "
                                        f"use only {', '.join(known)} (a new field needs a grammar change and a new spec version)"))
    return problems


def _check_enumerations(data: dict, root: Path) -> list[Problem]:
    problems: list[Problem] = []
    for enum, value in _dict(data.get("enumerations")).items():
        entries = _entries(value)
        codes: dict[int, int] = {}
        names: dict[str, int] = {}
        duplicated: set[int] = set()
        for i, entry in entries:
            code, name = _int(entry.get("code")), entry.get("name")
            label = f"{enum} entry {_q(name)}"
            if code is not None:
                if code in codes:
                    duplicated.add(i)
                    problems.append(Problem("enum-code-duplicate", jpath("enumerations", enum, i, "code"),
                                            f"{label}: code {code} is already {enum}[{codes[code]}]'s; a new entry takes the next code, {len(value)}"))
                else:
                    codes[code] = i
            if isinstance(name, str):
                if name in names:
                    problems.append(Problem("enum-name-duplicate", jpath("enumerations", enum, i, "name"),
                                            f"{label}: the name is already {enum}[{names[name]}]'s; choose a name no other entry of {enum} has"))
                else:
                    names[name] = i
            problems += _data_file_problems(entry, jpath("enumerations", enum, i), label, root, len(value))
        for i, entry in entries:
            code = _int(entry.get("code"))
            if code is not None and i not in duplicated and code != i:
                problems.append(Problem("enum-code-gap", jpath("enumerations", enum, i, "code"),
                                        f"{enum} entry {_q(entry.get('name'))} at position {i} has code {code}, expected {i}: codes run 0, 1, 2, … "
                                        f"in list order without gaps, and a new entry goes at the end with the next code"))
    return problems


def _data_file_problems(entry: dict, path: str, label: str, root: Path, next_code: int) -> list[Problem]:
    name = entry.get("model_file")
    found = _path_problems(name, path + ".model_file", f"{label}: model_file", False)
    if found or not isinstance(name, str):
        return found
    try:
        digest = hashlib.sha256((root / name).read_bytes()).hexdigest()
    except OSError as exc:
        return [Problem("data-file-missing", path + ".model_file",
                        f"{label}: cannot read {name} (relative to {root}): {exc.strerror}; add the file or fix the path")]
    expected = entry.get("sha256")
    if isinstance(expected, str) and SHA256.match(expected) and digest != expected:
        return [Problem("data-file-sha256", path + ".sha256",
                        f"{label}: {name} has sha256 {digest}, the entry says {expected}; a normative file never changes under the "
                        f"same code: restore the file, or add the new file as a new entry with code {next_code}")]
    return []


# ---------------------------------------------------------------- the change against a base revision
def read_base(registry: Path, ref: str) -> tuple[Any, list[str]]:
    """registry.json as it is at git revision ref (`git show ref:./registry.json`)."""
    if not ref or ref.startswith("-"):
        raise _Unreadable(f"--base {ref!r} is not a git revision")
    if shutil.which("git") is None:
        raise _Unreadable("git is not installed; --base reads the base registry with `git show`")
    folder = registry.resolve().parent

    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "-C", str(folder), *args], capture_output=True)

    def why(result: subprocess.CompletedProcess) -> str:
        lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
        return lines[-1] if lines else f"exit status {result.returncode}"

    inside = git("rev-parse", "--git-dir")
    if inside.returncode != 0:
        raise _Unreadable(f"{folder} is not in a git repository, so --base {ref} cannot be read ({why(inside)})")
    commit = git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if commit.returncode != 0:
        raise _Unreadable(f"git revision {ref!r} is not in this clone; fetch it first "
                          "(for --base origin/main: `git fetch origin main`)")
    sha = commit.stdout.decode().strip()
    shown = git("show", f"{sha}:./{registry.name}")
    if shown.returncode != 0:
        raise _Unreadable(f"{registry.name} does not exist at {ref} ({sha[:12]}): {why(shown)}")
    return _read_json(shown.stdout, f"{registry.name} at {ref}")


def _status_problem(old: Any, new: Any, path: str, label: str) -> list[Problem]:
    if old == new or not (isinstance(old, str) and isinstance(new, str)) or (old, new) in ALLOWED_STATUS_CHANGES:
        return []  # a status that is not a string is the schema check's to report
    return [Problem("status-changed", path, f"{label}: status {_q(old)} became {_q(new)}; the only status changes allowed are "
                                            f"{_STATUS_CHANGES} (restore {_q(old)})")]


def _version(value: Any) -> tuple[int, ...] | None:
    return tuple(map(int, value.split("."))) if isinstance(value, str) and re.match(r"^[0-9]+(\.[0-9]+)*$", value) else None


def check_change(old: Any, new: Any, ref: str) -> list[Problem]:
    """Every way new breaks the append-only rules against old (the registry at ref)."""
    if not isinstance(old, dict) or not isinstance(new, dict):
        return []
    problems = _check_versions(old, new, ref)
    for key in ("test_model_ids", "unknown_model_ids"):
        if key in old and old.get(key) != new.get(key):
            problems.append(Problem("test-range-changed", jpath(key),
                                    f"{key} was {_q(old.get(key))} at {ref}; it never changes: restore it"))
    return problems + _change_models(old, new, ref) + _change_families(old, new, ref) + _change_enumerations(old, new, ref)


def _check_versions(old: dict, new: dict, ref: str) -> list[Problem]:
    problems = []
    before, after = _int(old.get("registry_version")), _int(new.get("registry_version"))
    changed = {k: v for k, v in old.items() if k != "registry_version"} != {k: v for k, v in new.items() if k != "registry_version"}
    if before is not None and after is not None:
        if after < before:
            problems.append(Problem("version-not-increased", jpath("registry_version"),
                                    f"registry_version went down from {before} (at {ref}) to {after}; set it to {before + 1}"))
        elif changed and after == before:
            problems.append(Problem("version-not-increased", jpath("registry_version"),
                                    f"the registry differs from {ref} but registry_version is still {after}; set it to {before + 1}"))
    spec_before, spec_after = _version(old.get("spec_version")), _version(new.get("spec_version"))
    if spec_before and spec_after and spec_after < spec_before:
        problems.append(Problem("spec-version-decreased", jpath("spec_version"),
                                f"spec_version went down from {_q(old['spec_version'])} (at {ref}) to {_q(new['spec_version'])}; restore it"))
    return problems


def _change_models(old: dict, new: dict, ref: str) -> list[Problem]:
    problems: list[Problem] = []
    before = {mid: m for mid, (_, m) in _index(old.get("models"), "id").items()}
    after = _index(new.get("models"), "id")
    free = next_free_model_id(new)
    for mid, was in before.items():
        if mid is None:
            continue
        if mid not in after:
            problems.append(Problem("model-removed", jpath("models"),
                                    f"{_model_label(was)} is at {ref} but missing here; IDs are never removed: restore the entry "
                                    "(set \"status\": \"deprecated\" to retire it)"))
            continue
        i, now = after[mid]
        label = f"{_model_label(now)}"
        if now.get("name") != was.get("name"):
            problems.append(Problem("model-renamed", jpath("models", i, "name"),
                                    f"model {mid} was {_q(was.get('name'))} at {ref}; restore that name "
                                    f"(a model under another name is a new entry with the next free ID, {free})"))
        if now.get("family") != was.get("family"):
            problems.append(Problem("model-family-changed", jpath("models", i, "family"),
                                    f"{label}: family was {_q(was.get('family'))} at {ref}; restore it "
                                    f"(the same weights in another family are a new model, ID {free})"))
        problems += _status_problem(was.get("status"), now.get("status"), jpath("models", i, "status"), label)
        src_was, src_now = _dict(was.get("source")), _dict(now.get("source"))
        for key in ("revision", "file", "base_model"):
            if src_was.get(key) is not None and src_now.get(key) != src_was.get(key):
                problems.append(Problem("model-source-changed", jpath("models", i, "source", key),
                                        f"{label}: source.{key} was {_q(src_was.get(key))} at {ref} and is pinned; restore it "
                                        f"(other weights are a new model with the next free ID, {free})"))
        files_now = _dict(now.get("files"))
        for path, digest in _dict(was.get("files")).items():
            if files_now.get(path) != digest:
                what = "is no longer listed" if path not in files_now else f"has sha256 {_q(files_now[path])}"
                problems.append(Problem("model-source-changed", jpath("models", i, "files", path),
                                        f"{label}: pinned file {_q(path)} {what}; at {ref} it was {digest}: restore it "
                                        f"(other weights are a new model with the next free ID, {free})"))
    for mid, (i, model) in after.items():
        if mid is None or mid in before:
            continue
        source = _dict(model.get("source"))
        if not _dict(model.get("files")):
            problems.append(Problem("model-unpinned", jpath("models", i, "files"),
                                    f"new {_model_label(model)}: `files` is empty; list every file the pipeline loads (configs, "
                                    "tokenizer files, .safetensors weights) with its sha256 (spec/contributing.md)"))
        if isinstance(source.get("hf_repo"), str) and source.get("revision") is None:
            problems.append(Problem("model-unpinned", jpath("models", i, "source", "revision"),
                                    f"new {_model_label(model)}: source.revision is null; set it to the 40-hex-digit commit of "
                                    f"{source['hf_repo']} whose files you hashed"))
    return problems


def _change_families(old: dict, new: dict, ref: str) -> list[Problem]:
    problems: list[Problem] = []
    after = _index(new.get("families"), "name")
    for _, was in _entries(old.get("families")):
        name = _str(was.get("name"))
        if name is None:
            continue
        if name not in after:
            problems.append(Problem("family-removed", jpath("families"),
                                    f"family {_q(name)} is at {ref} but missing here; families are never removed: restore it"))
            continue
        i, now = after[name]
        if now.get("pipeline") != was.get("pipeline"):
            problems.append(Problem("family-pipeline-changed", jpath("families", i, "pipeline"),
                                    f"family {_q(name)}: pipeline was {_q(was.get('pipeline'))} at {ref}; restore it "
                                    "(another pipeline is a new family, and its models new model IDs)"))
        params_was, params_now = was.get("params"), now.get("params")
        if isinstance(params_was, list) and isinstance(params_now, list) and params_now[:len(params_was)] != params_was:
            problems.append(Problem("family-params-changed", jpath("families", i, "params"),
                                    f"family {_q(name)}: params were {_q(params_was)} at {ref}; keep them, in that order, "
                                    "and add new params only at the end"))
    return problems


def _change_enumerations(old: dict, new: dict, ref: str) -> list[Problem]:
    problems: list[Problem] = []
    enums_now = _dict(new.get("enumerations"))
    for enum, value in _dict(old.get("enumerations")).items():
        if enum not in enums_now:
            problems.append(Problem("enum-removed", jpath("enumerations"),
                                    f"enumeration {enum} is at {ref} but missing here; restore it"))
            continue
        was_entries, now_entries = _entries(value), _entries(enums_now[enum])
        old_names = {_str(e.get("name")) for _, e in was_entries}
        by_code, by_name = _index(enums_now[enum], "code"), _index(enums_now[enum], "name")
        for _, was in was_entries:
            code, name = _int(was.get("code")), _str(was.get("name"))
            label = f"{enum} code {code} ({_q(name)})"
            i, now = by_code.get(code, (None, None))
            if now is None or now.get("name") != name:
                if name is not None and name in by_name:
                    j, moved = by_name[name]
                    problems.append(Problem("enum-entry-renumbered", jpath("enumerations", enum, j, "code"),
                                            f"{enum} entry {_q(name)} had code {code} at {ref}, now {_q(moved.get('code'))}; "
                                            f"codes never change: put it back at code {code}"))
                elif now is None or _str(now.get("name")) in old_names:
                    problems.append(Problem("enum-entry-removed", jpath("enumerations", enum),
                                            f"{label} is at {ref} but missing here; entries are never removed: restore it "
                                            "(add \"status\": \"deprecated\" to retire it)"))
                else:
                    problems.append(Problem("enum-entry-renamed", jpath("enumerations", enum, i, "name"),
                                            f"{label} is named {_q(now.get('name'))} here; restore {_q(name)} (another name is a new "
                                            f"entry at the end, code {len(now_entries)})"))
                continue
            for key in sorted((set(was) | set(now)) - {"code", "name", "status"}):
                if was.get(key) != now.get(key):
                    problems.append(Problem("enum-entry-changed", jpath("enumerations", enum, i, key),
                                            f"{label}: {key} was {_q(was.get(key))} at {ref}, now {_q(now.get(key))}; a code's meaning "
                                            f"never changes: restore it and add a new entry at the end (code {len(now_entries)}) instead"))
            problems += _status_problem(was.get("status", "active"), now.get("status", "active"),
                                        jpath("enumerations", enum, i, "status"), label)
    return problems


# ---------------------------------------------------------------- the whole check
@dataclass
class Report:
    registry: Path
    base: str | None
    problems: list[Problem]
    data: Any = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self) -> str:
        """The human report: one line per problem, then a verdict."""
        against = f" against {self.base}" if self.base else ""
        if self.ok:
            data = self.data
            return (f"{self.registry}: OK{against}: {len(_entries(data.get('models')))} models, "
                    f"{len(_entries(data.get('families')))} families, {len(_dict(data.get('enumerations')))} enumerations; "
                    f"next free model ID {next_free_model_id(data)}")
        lines = [str(p) for p in self.problems]
        lines.append(f"{self.registry}: REJECTED{against}: {len(self.problems)} problem(s); the rules and how to fix "
                     "each one: spec/contributing.md")
        return "\n".join(lines)


def check_registry(path: str | Path, base: str | None = None, data_root: Path = REPO_ROOT) -> Report:
    """Check the registry file at path, and with base the change from git revision base to it.

    `model_file` paths are relative to data_root: the checkout the codecs load them from.
    """
    path = Path(path)
    try:
        data, repeats = _read_json(path.read_bytes(), str(path))
    except OSError as exc:
        return Report(path, base, [Problem("unreadable", "$", f"cannot read {path}: {exc.strerror}")])
    except _Unreadable as exc:
        return Report(path, base, [Problem("json", "$", str(exc))])
    problems = [Problem("json", "$", message) for message in repeats] + check_data(data, data_root)
    if base is not None:
        try:
            old, _ = read_base(path, base)  # repeated keys at the base were the base's problem
            problems += check_change(old, data, base)
        except _Unreadable as exc:
            problems.append(Problem("base-unreadable", "$", str(exc)))
    return Report(path, base, problems, data)
