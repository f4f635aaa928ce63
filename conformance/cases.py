"""Load the vectors a run needs and verify them against their manifests before anything runs.

Layout (spec/conformance.md, "Vectors"): `levels/<level>.txt` lists case IDs;
each level draws its cases from one vector set, `<set>/<case-id>/` with a
`test.json`, and `<set>/manifest.json` holds the sha256 of every input.aigif.
A level whose list is missing or empty has zero cases; a set that no claimed
level uses is not read at all.

Every file is read once, hashed, and kept in memory: verdicts compare against
these verified bytes, never against the vectors folder again, which the
implementation under test could write to during the run.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any, Mapping

import jsonschema

from conformance.errors import VectorsError

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
DEFAULT_VECTORS = Path(__file__).resolve().parents[1] / "vectors"
# The schema each set's test.json files follow.
CASE_SCHEMAS = {"syntax": "syntax-case.schema.json", "render": "render-case.schema.json",
                "diffc": "diffc-case.schema.json",
                "quantized": "quantized-case.schema.json", "quantized-render": "render-case.schema.json",
                "stages": "render-case.schema.json"}
# The file of each case whose sha256 the manifest holds (input.aigif unless the set says otherwise).
INPUT_FILES = {"quantized": "payload.safetensors"}
MAX_JSON_BYTES = 1 << 20  # manifests and test.json files are small; refuse anything absurd


@dataclass(frozen=True)
class Case:
    id: str
    level: str
    folder: Path  # where it came from, for messages only: nothing is read from it after loading
    test: dict[str, Any]  # the case's test.json
    files: Mapping[str, bytes]  # every file of the case (its input file, expected.*), verified against its sha256
    registry: bytes | None  # a registry other than the shipped one (verified when the manifest lists it)

    def data(self, name: str) -> bytes:
        return self.files[name]


@dataclass(frozen=True)
class VectorSet:
    name: str
    folder: Path
    manifest: dict[str, Any]
    manifest_sha256: str
    inputs: Mapping[str, bytes]  # case ID -> its verified input file (input.aigif, or INPUT_FILES)
    shared: Mapping[str, bytes]  # the manifest's `files`, verified, by resolved path

    def describe(self) -> dict[str, str]:
        """What a report states about these vectors."""
        return {"suite": self.manifest["suite"], "version": self.manifest["version"],
                "spec_version": self.manifest["spec_version"], "manifest_sha256": self.manifest_sha256}


@dataclass
class Suite:
    vectors: Path
    levels: dict[str, list[Case]]  # claimed level -> its cases, in level-file order
    sets: dict[str, VectorSet] = field(default_factory=dict)

    @property
    def largest_file(self) -> int:
        """Bytes of the largest file of any claimed case: the scale of the largest legitimate output."""
        return max((len(d) for cases in self.levels.values() for c in cases for d in c.files.values()), default=0)

    @property
    def spec_version(self) -> str | None:
        versions = {s.manifest["spec_version"] for s in self.sets.values()}
        return versions.pop() if versions else None


@lru_cache(maxsize=None)
def schema_validator(name: str) -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _read_json(path: Path, what: str) -> tuple[Any, bytes]:
    try:
        size = path.stat().st_size
        if size > MAX_JSON_BYTES:
            raise VectorsError(f"{path}: {what} of {size} bytes is larger than {MAX_JSON_BYTES}")
        raw = path.read_bytes()
        return json.loads(raw.decode("utf-8")), raw
    except FileNotFoundError:
        raise VectorsError(f"{path}: {what} is missing") from None
    except OSError as exc:
        raise VectorsError(f"{path}: cannot read {what}: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VectorsError(f"{path}: {what} is not UTF-8 JSON: {exc}") from None


def _check_schema(data: Any, schema: str, path: Path) -> None:
    error = jsonschema.exceptions.best_match(schema_validator(schema).iter_errors(data))
    if error is not None:
        where = "/".join(map(str, error.absolute_path)) or "(top level)"
        raise VectorsError(f"{path}: {where}: {error.message}")


MAX_VECTOR_FILE_BYTES = 256 << 20  # MAX_FILE_BYTES of the bitstream; goldens are far smaller


def read_vector(path: Path) -> bytes:
    """A vector file's bytes (read once; the caller hashes exactly what it keeps)."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_VECTOR_FILE_BYTES + 1)
    except FileNotFoundError:
        raise VectorsError(f"{path} is missing") from None
    except OSError as exc:
        raise VectorsError(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > MAX_VECTOR_FILE_BYTES:
        raise VectorsError(f"{path} is larger than {MAX_VECTOR_FILE_BYTES} bytes")
    return data


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    return sha256(read_vector(path))


def read_level(vectors: Path, level: str) -> list[str]:
    """Case IDs of levels/<level>.txt (blank lines and # comments ignored); [] if the file is absent."""
    path = vectors / "levels" / f"{level}.txt"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise VectorsError(f"{path}: cannot read the level list: {exc}") from None
    ids = [line.split("#", 1)[0].strip() for line in lines]
    ids = [i for i in ids if i]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise VectorsError(f"{path}: case IDs listed twice: {', '.join(duplicates)}")
    return ids


def input_file(set_name: str) -> str:
    return INPUT_FILES.get(set_name, "input.aigif")


def load_set(vectors: Path, name: str) -> VectorSet:
    """A vector set with every hash in its manifest verified."""
    folder = vectors / name
    input_name = input_file(name)
    manifest_path = folder / "manifest.json"
    manifest, raw = _read_json(manifest_path, "the manifest")
    _check_schema(manifest, "manifest.schema.json", manifest_path)
    ids = [c["id"] for c in manifest["cases"]]
    if len(set(ids)) != len(ids):
        raise VectorsError(f"{manifest_path}: case IDs listed twice")
    inputs = {c["id"]: read_vector(_inside(folder, f"{c['id']}/{input_name}")) for c in manifest["cases"]}
    shared = {_inside(folder, rel): read_vector(_inside(folder, rel)) for rel in manifest.get("files", {})}
    bad = [f"{c['id']}/{input_name}" for c in manifest["cases"] if sha256(inputs[c["id"]]) != c["sha256"]]
    bad += [rel for rel, digest in manifest.get("files", {}).items() if sha256(shared[_inside(folder, rel)]) != digest]
    if bad:
        raise VectorsError(f"{folder}: {len(bad)} file(s) do not match the manifest's sha256 "
                           f"(tampered or stale vectors): {', '.join(bad[:10])}")
    return VectorSet(name, folder, manifest, sha256(raw), inputs, shared)


def _inside(root: Path, relative: str) -> Path:
    """root/relative, refusing paths that leave root (vectors are data, not trusted paths)."""
    path = (root / relative).resolve()
    if not path.is_relative_to(root.resolve()):
        raise VectorsError(f"{relative!r} points outside {root}")
    return path


def load_case(vector_set: VectorSet, case_id: str, level: str, vectors: Path) -> Case:
    folder = vector_set.folder / case_id
    test_path = folder / "test.json"
    test, _ = _read_json(test_path, "test.json")
    _check_schema(test, CASE_SCHEMAS[vector_set.name], test_path)
    if test["id"] != case_id:
        raise VectorsError(f"{test_path}: id is {test['id']!r}, the folder is {case_id!r}")
    # The input file is covered by the manifest (and test.json); the other files of the case by test.json.
    input_name = input_file(vector_set.name)
    files = {input_name: vector_set.inputs[case_id]}
    files.update({name: read_vector(_inside(folder, name)) for name in test["files"] if name != input_name})
    stale = [name for name, digest in test["files"].items() if sha256(files[name]) != digest]
    if stale:
        raise VectorsError(f"{folder}: {', '.join(stale)} do not match the sha256 in test.json")
    registry = test.get("registry")
    registry_data = None
    if registry is not None:
        # A repository path ("vectors/syntax/registry-test.json"), resolved inside the vectors folder in use.
        parts = PurePosixPath(registry).parts
        if len(parts) < 2 or parts[0] != "vectors":
            raise VectorsError(f"{test_path}: registry {registry!r} is not a path under vectors/")
        resolved = _inside(vectors, "/".join(parts[1:]))
        if not resolved.is_file():
            raise VectorsError(f"{test_path}: registry {registry} is missing")
        registry_data = vector_set.shared.get(resolved) or read_vector(resolved)
    return Case(case_id, level, folder, test, files, registry_data)


def load_suite(vectors: Path, level_sets: Mapping[str, str]) -> Suite:
    """The cases of the claimed levels ({level: vector set}), every file verified first."""
    vectors = Path(vectors).resolve()  # the contract passes absolute paths
    if not (vectors / "levels").is_dir():
        raise VectorsError(f"{vectors} does not hold the conformance vectors (no levels/ folder); pass --vectors DIR")
    suite = Suite(vectors, {})
    for level, set_name in level_sets.items():
        ids = read_level(vectors, level)
        if ids and set_name not in suite.sets:
            suite.sets[set_name] = load_set(vectors, set_name)
        if not ids:
            suite.levels[level] = []
            continue
        vector_set = suite.sets[set_name]
        known = {c["id"] for c in vector_set.manifest["cases"]}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise VectorsError(f"levels/{level}.txt lists cases that {set_name}/manifest.json does not: {', '.join(unknown[:10])}")
        suite.levels[level] = [load_case(vector_set, i, level, vectors) for i in ids]
    spec_versions = {s.manifest["spec_version"] for s in suite.sets.values()}
    if len(spec_versions) > 1:
        raise VectorsError(f"the vector sets test different spec versions: {', '.join(sorted(spec_versions))}")
    return suite
