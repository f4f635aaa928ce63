"""Build every case, verify it with the reference decoder, write the tree; compare a fresh tree for --check."""
from __future__ import annotations

import filecmp
import hashlib
import importlib
import tempfile
from pathlib import Path

from aigif_ref.api import decode, encode
from aigif_ref.codecs.text import ZLIB_CODE
from aigif_ref.errors import AigifError
from aigif_ref.grammar.aigif import build_file, parse_file
from aigif_ref.record import dumps
from aigif_ref.registry import Registry, default_registry
from vectors.syntax_gen import CASE_MODULES
from vectors.syntax_gen.cases import Builder, Case
from vectors.syntax_gen.registry_fixture import (TEST_REGISTRY_NAME, TEST_REGISTRY_PATH, json_text, load_registry_data,
                                              registry_test_data)

GENERATOR = "vectors/generate_syntax.py"
# major: cases changed meaning (2.0.0: zlib streams other than level 9 became valid in spec 1.1; 3.0.0: the
# platform field cpu_capability took bit 12, so the enum-codes cases carry it and the reserved bit is 13;
# 4.0.0: a writer writes the lowest version its features need, so the cpu_capability cases are version 1.1 files);
# minor: cases added (2.1.0: tag-context cases; 4.1.0: tag-lookup cases; 4.2.0: refiner stages)
SUITE = {"suite": "aigif-syntax-vectors", "version": "4.2.0", "spec_version": "1.1"}
LEVEL_FILES = ("parse.txt", "build.txt")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def build_cases(registries: dict[str | None, Registry]) -> list[Case]:
    b = Builder(registries)
    for name in CASE_MODULES:
        importlib.import_module(name).add_cases(b)
    return [b.cases[k] for k in sorted(b.cases)]


def verify(cases: list[Case], registries: dict[str | None, Registry]) -> list[str]:
    """Decode every case with the reference; fill in records and return every disagreement."""
    problems = []
    for case in cases:
        registry = registries[case.registry]
        try:
            record = decode(case.data, registry)
        except AigifError as exc:
            if case.valid:
                problems.append(f"{case.id}: valid case rejected: {exc}")
            elif (exc.code, exc.offset) != (case.expected_error, case.expected_offset):
                problems.append(f"{case.id}: expected {case.expected_error} at {case.expected_offset}, "
                                f"reference says {exc.code} at {exc.offset}: {exc.message}")
            continue
        if not case.valid:
            problems.append(f"{case.id}: expected {case.expected_error}, reference accepts the file")
            continue
        case.record = record
        reencoded = build_file(parse_file(case.data)) == case.data and encode(record, registry) == case.data
        if reencoded != case.reencodes:
            problems.append(f"{case.id}: re-encodes byte for byte: {reencoded}, expected {case.reencodes}")
    return problems


def write_tree(dest: Path) -> None:
    """Write syntax/ and levels/{parse,build}.txt under dest (which holds nothing else of ours)."""
    test_data = registry_test_data()
    registries = {None: default_registry(), TEST_REGISTRY_PATH: load_registry_data(test_data)}
    cases = build_cases(registries)
    problems = verify(cases, registries)
    if problems:
        raise SystemExit("the reference disagrees with the stated expectations:\n  " + "\n  ".join(problems))
    syntax = dest / "syntax"
    syntax.mkdir(parents=True)
    (syntax / TEST_REGISTRY_NAME).write_text(json_text(test_data), encoding="utf-8")
    manifest = []
    for case in cases:
        folder = syntax / case.id
        folder.mkdir()
        files = {"input.aigif": case.data}
        if case.valid:
            files["expected.json"] = (dumps(case.record) + "\n").encode("utf-8")
        for name, content in files.items():
            (folder / name).write_bytes(content)
        test = {
            "id": case.id, "description": case.description, "features": case.features, "valid": case.valid,
            "expected_error": case.expected_error, "expected_offset": case.expected_offset,
            "files": {name: sha256(content) for name, content in files.items()},
            "generator": GENERATOR, "how": case.how, "registry": case.registry,
        }
        (folder / "test.json").write_text(json_text(test), encoding="utf-8")
        manifest.append({"id": case.id, "valid": case.valid, "expected_error": case.expected_error,
                         "sha256": sha256(case.data)})
    shared = {TEST_REGISTRY_NAME: sha256((syntax / TEST_REGISTRY_NAME).read_bytes())}
    (syntax / "manifest.json").write_text(json_text({**SUITE, "files": shared, "cases": manifest}), encoding="utf-8")
    levels = dest / "levels"
    levels.mkdir(parents=True, exist_ok=True)
    (levels / "parse.txt").write_text("".join(f"{c.id}\n" for c in cases), encoding="utf-8")
    # zlib blocks depend on the writer's deflate (spec 1.1), so zlib cases are read-only: parse level.
    build = [c for c in cases if c.valid and c.reencodes and c.record["text_compressor"] != ZLIB_CODE]
    (levels / "build.txt").write_text("".join(f"{c.id}\n" for c in build), encoding="utf-8")


def our_files(vectors: Path) -> set[str]:
    """Paths (relative to vectors/) of everything this generator owns."""
    found = {p.relative_to(vectors).as_posix() for p in (vectors / "syntax").rglob("*") if p.is_file()}
    return found | {f"levels/{n}" for n in LEVEL_FILES if (vectors / "levels" / n).is_file()}


def check(vectors: Path) -> list[str]:
    """Regenerate into a temp dir; the files that are missing, extra or different."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        write_tree(fresh)
        want, have = our_files(fresh), our_files(vectors)
        report = [f"missing: {p}" for p in sorted(want - have)] + [f"stale: {p}" for p in sorted(have - want)]
        report += [f"differs: {p}" for p in sorted(want & have)
                   if not filecmp.cmp(fresh / p, vectors / p, shallow=False)]
        return report
