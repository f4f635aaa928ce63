"""Mutation test of the conformance suite: every deliberately broken implementation must fail.

Each mutant (conformance/mutants/) is the reference with one flaw. The runner
runs the parse and build levels on each and must fail it, naming at least the
cases listed here. When a new mutant slips through, the vectors lack a case:
add it to vectors/generate_syntax.py (that is how
invalid-must-understand-second-record came about).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import pytest

from conformance.cases import load_suite
from conformance.contract import read_info
from conformance.mutants.cli import MUTANTS
from conformance.report import results_document, schema_errors
from conformance.runner import run_suite
from conformance.workers import ModuleImplementation

ROOT = Path(__file__).resolve().parents[1]
LEVELS = ["parse", "build"]

# A writer that picks its own compressor: caught where a record names compressor 0 although 2 is smaller
# (zlib cases left the build level in spec 1.1: their blocks depend on the writer's deflate).
OWN_COMPRESSOR_CASES = {("build", "valid-negative-long"), ("build", "valid-all-top-level-fields")}

# mutant -> cases (level, id) it must fail: the ones that exist to catch that flaw.
MUST_FAIL: dict[str, set[tuple[str, str]]] = {
    "ignore-crc": {("parse", "invalid-crc-bit-flip"), ("parse", "invalid-crc-prompt-byte"),
                   ("parse", "invalid-crc-version-byte"), ("parse", "invalid-crc-cut-before-extensions")},
    "overlong-uvarint": {("parse", "invalid-noncanonical-presence-overlong"), ("parse", "invalid-noncanonical-steps-overlong"),
                         ("parse", "invalid-noncanonical-seed-overlong"),
                         ("parse", "invalid-noncanonical-prompt-length-overlong")},
    "zero-enum": {("parse", "invalid-noncanonical-dtype-zero"), ("parse", "invalid-noncanonical-gpu-zero")},
    "exp-code-limit": {("parse", "invalid-limit-exp-code-65-bytes")},
    "drop-negative-prompt": {("parse", "valid-table1-example"), ("parse", "valid-negative-empty"),
                             ("parse", "valid-text-phrase-huffman-negative"), ("build", "valid-negative-empty"),
                             ("build", "valid-negative-long")},
    "seed-32bit": {("parse", "valid-seed-4294967296"), ("parse", "valid-seed-18446744073709551615"),
                   ("build", "valid-seed-9223372036854775808"), ("build", "valid-all-top-level-fields")},
    "extra-byte": {("build", "valid-minimal"), ("build", "valid-all-top-level-fields"), ("build", "valid-pixels-png")},
    "ignore-must-understand": {("parse", "invalid-must-understand-unknown"),
                               ("parse", "invalid-must-understand-second-record")},
    "must-understand-first-only": {("parse", "invalid-must-understand-second-record")},
    "trailing-garbage": {("parse", "invalid-reserved-extension-type-0"), ("parse", "invalid-truncated-ext0-header"),
                         ("parse", "invalid-truncated-ext0-body"), ("parse", "invalid-limit-extension-length")},
    "extension-order": {("parse", "invalid-noncanonical-extension-order"),
                        ("parse", "invalid-noncanonical-extension-duplicate")},
    "guidance-digits": {("parse", "valid-guidance-raw-float32-max"), ("parse", "valid-guidance-compact-4194303.75"),
                        ("build", "valid-guidance-raw-float32-max")},
    "limit-code": {("parse", "invalid-limit-exp-code-65-bytes"), ("parse", "invalid-limit-text-block-65537"),
                   ("parse", "invalid-limit-string-16385"), ("parse", "invalid-limit-zlib-bomb"),
                   ("parse", "invalid-limit-extension-length")},
    "no-registry-check": {("parse", "invalid-unknown-model-id"), ("parse", "invalid-unknown-gpu"),
                          ("parse", "invalid-param-family-original-size-on-sd1"), ("parse", "invalid-range-batch-index")},
    "reserved-bits": {("parse", "invalid-reserved-presence-bit")},
    "zlib-level-9-only": {("parse", "valid-text-zlib-level-1"), ("parse", "valid-text-zlib-stored"),
                          ("parse", "valid-text-zlib-window-1k")},
    "own-text-compressor": OWN_COMPRESSOR_CASES,
    # The version byte (spec 1.1, section 3): a file that uses a 1.1 feature is written 0x11.
    "always-version-1-0": {("build", "valid-platform-cpu-capability-avx2"), ("build", "valid-version-1-1-extension-adapters"),
                           ("build", "valid-version-1-1-extension-software"), ("build", "valid-extensions-a1111")},
    "version-unchecked": {("parse", "invalid-noncanonical-version-1-0-platform-cpu-capability"),
                          ("parse", "invalid-noncanonical-version-1-0-extension-software"),
                          ("parse", "invalid-noncanonical-version-1-1-unused")},
    # Prompt-text transformations of real tools (spec 1.1, section 3): each caught by its valid-text-* case.
    "text-nfc": {("parse", "valid-text-unnormalized"), ("build", "valid-text-unnormalized"), ("parse", "valid-prompt-combining")},
    "text-nfkc": {("parse", "valid-text-compatibility"), ("build", "valid-text-compatibility")},
    "text-trim": {("parse", "valid-text-edge-whitespace"), ("build", "valid-text-edge-whitespace")},
    "text-collapse-whitespace": {("parse", "valid-text-inner-whitespace"), ("build", "valid-text-inner-whitespace")},
    "text-line-endings": {("parse", "valid-text-line-endings"), ("build", "valid-text-line-endings")},
    "text-strip-bom": {("parse", "valid-text-bom"), ("build", "valid-text-bom")},
    "text-lowercase": {("parse", "valid-text-letter-case"), ("build", "valid-text-letter-case")},
    "text-smart-quotes": {("parse", "valid-text-quotes"), ("build", "valid-text-quotes")},
    "text-strip-invisible": {("parse", "valid-text-invisible"), ("build", "valid-text-invisible")},
    "text-unescape": {("parse", "valid-text-escapes"), ("build", "valid-text-escapes")},
    "text-lone-surrogates": {("parse", "valid-text-astral"), ("build", "valid-text-astral"), ("parse", "valid-prompt-emoji")},
    "text-character-length": {("parse", "valid-text-astral"), ("build", "valid-text-astral"),
                              ("build", "valid-text-unnormalized")},
    "text-truncate-tokens": {("parse", "valid-text-long-tags"), ("build", "valid-text-long-tags")},
    "text-truncate-chars": {("parse", "valid-text-long-tags"), ("parse", "valid-prompt-max-length"),
                            ("build", "valid-negative-long")},
    "text-strip-controls": {("parse", "valid-text-controls"), ("build", "valid-text-controls")},
    "text-html-escape": {("parse", "valid-text-markup"), ("build", "valid-text-markup")},
    "text-nul-terminated": {("parse", "valid-text-nul-negative"), ("build", "valid-text-nul-negative"),
                            ("parse", "valid-prompt-nul")},
    "text-empty-negative-as-absent": {("parse", "valid-negative-empty"), ("build", "valid-negative-empty")},
    "text-absent-negative-as-empty": {("parse", "valid-minimal"), ("build", "valid-minimal")},
    "text-blank-negative": {("parse", "valid-text-negative-space"), ("build", "valid-text-negative-space")},
}
# How a broken reader must fail where it matters: accepting a file it must refuse is the worst case.
ACCEPTS_INVALID = {"ignore-crc", "zero-enum", "ignore-must-understand", "must-understand-first-only", "reserved-bits",
                   "no-registry-check", "trailing-garbage", "version-unchecked"}


# The first call of a worker pays its start (Python, the package's imports): on a loaded machine that alone
# can pass 30 s, so the `info` probe gets a longer bound than each case; a probe that still fails is an error
# of its own (named below), not a mutant's or the reference's wrong name further on.
PROBE_TIMEOUT = 300
CASE_TIMEOUT = 30


def run_one(entry: str, args: list[str]) -> dict:
    suite = load_suite(ROOT / "vectors", {level: "syntax" for level in LEVELS})
    with ModuleImplementation(entry, args, workers=1, cwd=str(ROOT)) as impl:
        info = read_info(impl, PROBE_TIMEOUT)
        assert info.reported, f"{entry} {args}: `info` gave no answer within {PROBE_TIMEOUT} s"
        run = run_suite(impl, suite, LEVELS, info, jobs=1, timeout=CASE_TIMEOUT)
    return results_document(run)


@lru_cache(maxsize=1)
def reports() -> dict[str, dict]:
    """Every mutant and the unbroken reference, two at a time (each in a worker process of its own)."""
    jobs = {name: ("conformance.mutants.cli:main", [name]) for name in MUTANTS}
    jobs["(reference)"] = ("conformance.impls.reference.adapter:main", [])
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(run_one, *job) for name, job in jobs.items()}
    return {name: future.result() for name, future in futures.items()}


def test_every_mutant_has_expectations():
    assert set(MUST_FAIL) == set(MUTANTS)


def test_the_unbroken_reference_passes_the_same_run():
    # The control: the harness itself does not make implementations fail.
    document = reports()["(reference)"]
    assert document["summary"]["verdict"] == "pass", [r for r in document["results"] if r["status"] != "pass"][:3]


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_mutant_is_caught_by_the_named_cases(name):
    document = reports()[name]
    assert not schema_errors(document)
    assert document["summary"]["verdict"] == "fail"
    failed = {(r["level"], r["id"]): r for r in document["results"] if r["status"] == "fail"}
    missing = MUST_FAIL[name] - set(failed)
    assert not missing, f"{name} ({MUTANTS[name].flaw}) passed cases that should catch it: {sorted(missing)}"
    assert not [r for r in document["results"] if r["status"] in ("error", "timeout")]  # failures, not crashes
    if name in ACCEPTS_INVALID:
        assert {failed[key]["reason"] for key in MUST_FAIL[name]} == {"accepted invalid file"}
    assert document["implementation"]["name"] == f"aigif_ref-mutant-{name}"
