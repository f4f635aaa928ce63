"""The `quantized` conformance level (spec/conformance.md): the reference passes it, broken decoders fail it.

Each mutant in conformance/mutants/quantized.py is the reference with one dequantization flaw; the runner must
fail it on the cases named here (the ones that exist to catch that flaw), with failures, not crashes.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

import pytest

from conformance.cases import load_suite, read_level
from conformance.contract import read_info
from conformance.levels import LEVELS
from conformance.mutants.quantized import QUANTIZED_MUTANTS
from conformance.report import results_document, schema_errors
from conformance.runner import run_suite
from conformance.workers import ModuleImplementation

ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT / "vectors"
LEVEL = "quantized"

MUST_FAIL: dict[str, set[str]] = {
    # float16 keeps 11 significant bits: products of a 1/3 scale round, 65504 x 127 overflows
    "float16-multiply": {"q8_0-scale-third.float32", "q4_0-scale-third.float32", "q8_0-scale-max-65504.float32",
                         "q8_0-scale-max-65504.bfloat16", "q8_0-multi-dim.float32"},
    "flush-subnormals": {"q8_0-scale-subnormal-min.float32", "q8_0-scale-subnormal-max.float16", "q4_0-scale-subnormal-min.bfloat16",
                         "int8-rows.float32", "floats.float32"},
    "interleaved-nibbles": {"q4_0-nibble-order.float32", "q4_0-scale-one.float16", "mixed.bfloat16"},
    "no-scale-check": {"invalid-nan-scale", "invalid-inf-scale", "invalid-int8-inf-scale"},
}


def run_level(entry: str, args: list[str]) -> dict:
    suite = load_suite(VECTORS, {LEVEL: LEVELS[LEVEL].vector_set})
    with ModuleImplementation(entry, args, workers=1, cwd=str(ROOT)) as impl:
        return results_document(run_suite(impl, suite, [LEVEL], read_info(impl, 30), jobs=1, timeout=30))


@lru_cache(maxsize=1)
def reports() -> dict[str, dict]:
    jobs = {name: ("conformance.mutants.cli:main", [name]) for name in QUANTIZED_MUTANTS}
    jobs["(reference)"] = ("conformance.impls.reference.adapter:main", [])
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(run_level, *job) for name, job in jobs.items()}
    return {name: future.result() for name, future in futures.items()}


def test_the_level_lists_every_quantized_vector():
    import json
    manifest = json.loads((VECTORS / "quantized" / "manifest.json").read_text(encoding="utf-8"))
    assert read_level(VECTORS, LEVEL) == [c["id"] for c in manifest["cases"]]
    dtypes = {c["dtype"] for c in manifest["cases"] if c["valid"]}
    assert dtypes == {"float32", "float16", "bfloat16"} and any(not c["valid"] for c in manifest["cases"])


def test_the_reference_passes_the_quantized_level():
    document = reports()["(reference)"]
    assert not schema_errors(document)
    assert document["summary"]["verdict"] == "pass", [r for r in document["results"] if r["status"] != "pass"][:3]
    assert document["summary"]["counts"]["pass"] == len(read_level(VECTORS, LEVEL))


def test_every_quantized_mutant_has_expectations():
    assert set(MUST_FAIL) == set(QUANTIZED_MUTANTS)


@pytest.mark.parametrize("name", sorted(QUANTIZED_MUTANTS))
def test_quantized_mutant_is_caught(name):
    document = reports()[name]
    assert not schema_errors(document)
    assert document["summary"]["verdict"] == "fail"
    failed = {r["id"]: r for r in document["results"] if r["status"] == "fail"}
    missing = MUST_FAIL[name] - set(failed)
    assert not missing, f"{name} ({QUANTIZED_MUTANTS[name].flaw}) passed cases that should catch it: {sorted(missing)}"
    assert not [r for r in document["results"] if r["status"] in ("error", "timeout")]
    if name == "no-scale-check":
        assert {failed[i]["reason"] for i in MUST_FAIL[name]} == {"accepted invalid file"}


def test_an_adapter_without_dequantize_is_unsupported(tmp_path, capsys):
    from conformance.impls.adapter_cli import UNSUPPORTED, run_adapter
    from conformance.impls.reference.adapter import ReferenceAdapter

    class ParseOnly(ReferenceAdapter):
        dequantize = None

    payload = next(p for p in (VECTORS / "quantized").glob("*/payload.safetensors"))
    assert run_adapter(ParseOnly(), ["dequantize", "--dtype", "float32", str(payload), str(tmp_path / "o")]) == 1
    assert UNSUPPORTED in capsys.readouterr().out and not (tmp_path / "o").exists()
