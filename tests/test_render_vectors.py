"""The render level: golden regenerations (vectors/render/) made by bare diffusers calls.

The goldens come from vectors/generate_render.py, which calls diffusers directly with the
arguments each record means; the reference decoder must reproduce them bit-exactly on CPU
(one thread, the pinned torch / diffusers / transformers). CUDA cases apply where a GPU is.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conformance.cases import load_suite
from conformance.contract import read_info
from conformance.levels import LEVELS
from conformance.report import results_document, schema_errors
from conformance.runner import run_suite
from conformance.workers import ModuleImplementation
from vectors.generate_render import CPU_TOLERANCE, GOLDEN_CPU_ENV

ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT / "vectors"


def render_ids() -> list[str]:
    return (VECTORS / "levels" / "render.txt").read_text(encoding="utf-8").split()


def test_the_render_level_has_cpu_goldens_for_every_embedded_model():
    tests = [json.loads((VECTORS / "render" / i / "test.json").read_text(encoding="utf-8")) for i in render_ids()]
    cpu = [t for t in tests if t["requires"] == "cpu"]
    # Each CPU case states its tolerance (what other CPU kernels gave) and when it is bit-exact.
    assert len(cpu) >= 8 and all(t["tolerance"] == CPU_TOLERANCE and t["exact_when"]["environment"] == GOLDEN_CPU_ENV for t in cpu)
    models = {json.loads(subprocess.run([sys.executable, "-m", "aigif_ref", "inspect", "--json",
                                         str(VECTORS / "render" / t["id"] / "input.aigif")],
                                        capture_output=True, text=True, check=True).stdout)["model_id"] for t in cpu}
    registry = json.loads((ROOT / "registry.json").read_text(encoding="utf-8"))
    # A family whose pipeline is image to image (the SDXL refiner) cannot make a first pass: its embedded model is
    # judged in the stages level instead (test_every_embedded_model_is_in_a_render_judged_golden).
    pipelines = {f["name"]: f["pipeline"] for f in registry["families"]}
    assert models == {m["id"] for m in registry["models"]
                      if m["source"].get("embedded") and "Img2Img" not in pipelines[m["family"]]}


def test_every_embedded_model_is_in_a_render_judged_golden():
    from aigif_ref.api import decode, read_bytes

    registry = json.loads((ROOT / "registry.json").read_text(encoding="utf-8"))
    used = set()
    for folder, ids in (("render", render_ids()),
                        ("stages", [line.strip() for line in (VECTORS / "levels" / "stages.txt").read_text(
                            encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")])):
        for case in ids:
            record = decode(read_bytes(VECTORS / folder / case / "input.aigif"))
            used.add(record["model_id"])
            used |= {stage["model_id"] for ext in record.get("extensions", []) for stage in ext.get("stages", [])
                     if "model_id" in stage}
    assert {m["id"] for m in registry["models"] if m["source"].get("embedded")} <= used


def test_reference_passes_the_render_level():
    with ModuleImplementation("conformance.impls.reference.adapter:main", workers=1, cwd=str(ROOT)) as impl:
        suite = load_suite(VECTORS, {"render": LEVELS["render"].vector_set})
        document = results_document(run_suite(impl, suite, ["render"], read_info(impl, 120), jobs=1, timeout=120))
    assert not schema_errors(document)
    by_status: dict[str, list[str]] = {}
    for result in document["results"]:
        by_status.setdefault(result["status"], []).append(f"{result['id']}: {result.get('reason', '')}")
    assert set(by_status) <= {"pass", "skipped"}, by_status
    cpu = [i for i in render_ids() if not i.endswith("-cuda")]
    assert len(by_status["pass"]) >= len(cpu)


def test_goldens_equal_bare_diffusers_calls():
    # Re-renders every CPU case with bare diffusers, under the kernels the case says make it exact, and
    # compares with the committed files byte for byte.
    done = subprocess.run([sys.executable, "vectors/generate_render.py", "--check"], cwd=ROOT,
                          env=dict(os.environ, **GOLDEN_CPU_ENV), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
