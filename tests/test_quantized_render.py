"""Render goldens of quantized models (vectors/quantized-render/, the `quantized-render` level).

aigif-shapes quantized each way by vectors/generate_quantized_render.py; the expected images come from the
quantized model itself (a bare diffusers call on the dequantized weights). Here: the reference renderer passes
the level (through the runner), the bare renders and the quantizer still give the committed files, and each
case's tolerance covers what the generator measured on other threads and kernels.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conformance.cases import load_suite, read_level
from conformance.contract import read_info
from conformance.levels import LEVELS
from conformance.report import results_document, schema_errors
from conformance.runner import run_suite
from conformance.workers import ModuleImplementation
from vectors.generate_quantized_render import COMPRESSORS
from vectors.generate_render import GOLDEN_CPU_ENV

ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT / "vectors"
LEVEL = "quantized-render"


def tests() -> list[dict]:
    return [json.loads((VECTORS / LEVEL / i / "test.json").read_text(encoding="utf-8")) for i in read_level(VECTORS, LEVEL)]


def test_one_golden_per_compressor_with_a_measured_tolerance():
    cases = tests()
    assert sorted(t["quantized"]["compressor"] for t in cases) == sorted(COMPRESSORS)
    for t in cases:
        for name, m in t["measured"].items():
            if name != "how":
                assert m["max_abs_error"] <= t["tolerance"]["max_abs_error"], (t["id"], name)
                assert m["psnr_db"] is None or m["psnr_db"] >= t["tolerance"]["min_psnr"], (t["id"], name)
        assert t["exact_when"]["environment"] == GOLDEN_CPU_ENV


def test_reference_passes_the_quantized_render_level():
    with ModuleImplementation("conformance.impls.reference.adapter:main", workers=1, cwd=str(ROOT)) as impl:
        suite = load_suite(VECTORS, {LEVEL: LEVELS[LEVEL].vector_set})
        document = results_document(run_suite(impl, suite, [LEVEL], read_info(impl, 120), jobs=1, timeout=120))
    assert not schema_errors(document)
    assert document["summary"]["verdict"] == "pass", [r for r in document["results"] if r["status"] != "pass"]
    assert document["summary"]["counts"]["pass"] == len(COMPRESSORS)


def test_goldens_equal_bare_renders_of_todays_payloads():
    done = subprocess.run([sys.executable, "vectors/generate_quantized_render.py", "--check"], cwd=ROOT,
                          env=dict(os.environ, **GOLDEN_CPU_ENV), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
