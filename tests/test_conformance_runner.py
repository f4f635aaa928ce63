"""The conformance runner (conformance/): contract, verdicts, reports, vectors checks, exit codes.

The reference and the Kaitai reader must pass their levels here (CI runs this file):
the reference through the real command line (a process per case), the Kaitai
reader through the in-process fast path that calls the same command-line entry point.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conformance import SUITE_VERSION
from conformance.cases import load_suite
from conformance.cli import main
from conformance.compare import compare_png, record_differences
from conformance.contract import CommandImplementation, Info, read_info
from conformance.errors import EXIT_FAIL, EXIT_NOTHING_RAN, EXIT_PASS, EXIT_USAGE, EXIT_VECTORS, VectorsError
from conformance.levels import LEVELS
from conformance.report import exit_code, html_report, markdown, results_document, schema_errors
from conformance.runner import run_suite
from conformance.workers import ModuleImplementation

ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT / "vectors"
PY = sys.executable
REFERENCE = f"{PY} -m conformance.impls.reference"


def level_ids(name: str) -> list[str]:
    return (VECTORS / "levels" / f"{name}.txt").read_text(encoding="utf-8").split()


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-m", "conformance", *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture
def vectors_copy(tmp_path) -> Path:
    """A private copy of vectors/ (syntax set and level lists) that a test may edit."""
    dest = tmp_path / "vectors"
    shutil.copytree(VECTORS / "syntax", dest / "syntax")
    shutil.copytree(VECTORS / "levels", dest / "levels")
    return dest


def with_level(vectors: Path, level: str, ids: list[str]) -> Path:
    (vectors / "levels" / f"{level}.txt").write_text("".join(f"{i}\n" for i in ids), encoding="utf-8")
    return vectors


def run_api(impl, vectors: Path, levels: list[str], timeout: float = 30.0, jobs: int = 2) -> dict:
    suite = load_suite(vectors, {name: LEVELS[name].vector_set for name in levels})
    document = results_document(run_suite(impl, suite, levels, read_info(impl, timeout), jobs=jobs, timeout=timeout))
    assert not schema_errors(document), schema_errors(document)
    return document


def by_id(document: dict) -> dict[tuple[str, str], dict]:
    return {(r["level"], r["id"]): r for r in document["results"]}


# -- the two implementations pass -------------------------------------------------------------------

def test_reference_passes_parse_and_build_through_the_command_line(tmp_path):
    report, md, page = tmp_path / "results.json", tmp_path / "report.md", tmp_path / "report.html"
    done = run_cli("run", "--impl", REFERENCE, "--level", "parse", "--level", "build", "--jobs", "2",
                   "--report", str(report), "--markdown", str(md), "--html", str(page))
    assert done.returncode == EXIT_PASS, done.stdout + done.stderr
    document = json.loads(report.read_text(encoding="utf-8"))
    assert not schema_errors(document)
    assert document["summary"] == {"verdict": "pass", "counts": {
        "cases": len(level_ids("parse")) + len(level_ids("build")), "pass": len(level_ids("parse")) + len(level_ids("build")),
        "fail": 0, "error": 0, "timeout": 0, "skipped": 0}}
    assert [(r["level"], r["id"]) for r in document["results"]] == \
        [("parse", i) for i in level_ids("parse")] + [("build", i) for i in level_ids("build")]
    manifest = json.loads((VECTORS / "syntax" / "manifest.json").read_text(encoding="utf-8"))
    # Section 6: every report states spec version, suite version, vectors version and implementation.
    assert document["spec_version"] == manifest["spec_version"]
    assert document["suite"] == {"name": "aigif-conformance", "version": SUITE_VERSION}
    assert document["vectors"]["syntax"]["version"] == manifest["version"]
    assert document["implementation"]["name"] == "aigif_ref" and document["implementation"]["info_reported"]
    text = md.read_text(encoding="utf-8")
    assert f"aigif-conformance {SUITE_VERSION}" in text and f"| Spec version | {manifest['spec_version']} |" in text
    assert f"| parse | pass | {len(level_ids('parse'))} | {len(level_ids('parse'))} |" in text
    assert "PASS" in done.stdout


def test_kaitai_python_passes_the_parse_level():
    with ModuleImplementation("conformance.impls.kaitai_python.adapter:main", workers=2, cwd=str(ROOT)) as impl:
        document = run_api(impl, VECTORS, ["parse"])
    assert document["implementation"]["name"] == "aigif-kaitai-python"
    failures = [f"{r['id']}: {r['reason']}" for r in document["results"] if r["status"] != "pass"]
    assert not failures, failures
    assert document["summary"]["counts"]["pass"] == len(level_ids("parse")) > 100


def test_adapters_answer_the_contract_as_processes(tmp_path):
    valid, invalid = VECTORS / "syntax/valid-table1-example", VECTORS / "syntax/invalid-crc-bit-flip"
    for impl in (REFERENCE, f"{PY} -m conformance.impls.kaitai_python"):
        ok = subprocess.run([*impl.split(), "parse", str(valid / "input.aigif")], capture_output=True, cwd=ROOT)
        assert ok.returncode == 0 and json.loads(ok.stdout) == json.loads((valid / "expected.json").read_bytes())
        bad = subprocess.run([*impl.split(), "parse", str(invalid / "input.aigif")], capture_output=True, cwd=ROOT)
        assert bad.returncode == 1 and json.loads(bad.stdout)["error"] == "AIGIF_E_CRC"
    out = tmp_path / "x.aigif"
    built = subprocess.run([*REFERENCE.split(), "build", str(valid / "expected.json"), str(out)], cwd=ROOT)
    assert built.returncode == 0 and out.read_bytes() == (valid / "input.aigif").read_bytes()
    kaitai_build = subprocess.run([PY, "-m", "conformance.impls.kaitai_python", "build", str(valid / "expected.json"),
                                   str(out)], capture_output=True, cwd=ROOT)
    assert kaitai_build.returncode == 1 and json.loads(kaitai_build.stdout)["error"] == "AIGIF_E_UNSUPPORTED"


def test_the_runner_does_not_import_torch_or_the_reference():
    code = ("import sys, conformance.cli, conformance.runner, conformance.compare, conformance.report, "
            "conformance.workers; bad = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'aigif_ref', "
            "'diffusers', 'numpy', 'PIL')); print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([PY, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


# -- verdicts and reasons ---------------------------------------------------------------------------

PERTURB_CASES = ["valid-minimal", "valid-seed-4294967296", "invalid-crc-bit-flip", "invalid-range-steps-0",
                 "invalid-truncated-seed"]


def test_field_differences_wrong_codes_and_accepted_files_are_reported(vectors_copy):
    with_level(vectors_copy, "parse", PERTURB_CASES)
    with ModuleImplementation("tests.conformance_fakes:main", ["perturb"], cwd=str(ROOT)) as impl:
        document = run_api(impl, vectors_copy, ["parse"])
    results = by_id(document)
    minimal = results[("parse", "valid-minimal")]
    assert minimal["status"] == "fail" and minimal["reason"] == "2 fields differ: /seed, /extra"
    # guidance_scale came back as a longer decimal of the same float32: not a difference.
    assert minimal["details"]["differences"] == [{"pointer": "/seed", "expected": 0, "got": 1},
                                                 {"pointer": "/extra", "expected": "(absent)", "got": True}]
    crc = results[("parse", "invalid-crc-bit-flip")]
    assert (crc["status"], crc["reason"], crc["details"]["expected_error"]) == ("fail", "accepted invalid file", "AIGIF_E_CRC")
    assert results[("parse", "invalid-range-steps-0")]["status"] == "pass"
    wrong = results[("parse", "invalid-truncated-seed")]
    assert (wrong["status"], wrong["reason"]) == ("fail", "rejected, wrong code")
    assert (wrong["details"]["expected_error"], wrong["details"]["got_error"]) == ("AIGIF_E_TRUNCATED", "AIGIF_E_RANGE")
    assert document["implementation"]["name"] == "unknown" and not document["implementation"]["info_reported"]
    assert exit_code(document) == EXIT_FAIL and document["levels"][0]["verdict"] == "fail"
    text = markdown(document)
    assert "/seed: expected 0, got 1" in text and "expected error AIGIF_E_TRUNCATED, got AIGIF_E_RANGE" in text
    page = html_report(document)
    assert "rejected, wrong code" in page and "/seed: expected 0, got 1" in page
    # Self-contained: nothing is fetched when the page is opened.
    assert not any(tag in page for tag in ("<script", "<link", "src=", "url(", "@import"))
    assert page.index("<h2>Not passed") < page.index("<h2>All cases")


def test_record_comparison_is_by_field_with_float32_values():
    expected = {"guidance_scale": 0.1, "seed": 2**64 - 1, "flag": True, "params": {"a/b": [1, 2]}, "neg": -0.0}
    same = {"guidance_scale": 0.10000000149011612, "seed": 2**64 - 1, "flag": True, "params": {"a/b": [1, 2]}, "neg": -0.0}
    assert record_differences(expected, same) == []
    assert record_differences({"g": 100.0}, {"g": 100}) == []  # a JSON writer may print 100.0 as 100
    got = {"guidance_scale": 0.1000001, "seed": 18446744073709552000, "flag": 1, "params": {"a/b": [1]}, "neg": 0.0}
    assert record_differences(expected, got) == [
        {"pointer": "/guidance_scale", "expected": 0.1, "got": 0.1000001},
        {"pointer": "/seed", "expected": 2**64 - 1, "got": 18446744073709552000},  # a double lost the low bits
        {"pointer": "/flag", "expected": True, "got": 1},
        {"pointer": "/params/a~1b/1", "expected": 2, "got": "(absent)"},
        {"pointer": "/neg", "expected": -0.0, "got": 0.0},  # float32 bits: the sign of zero counts
    ]
    assert record_differences({"steps": 300}, {"steps": 300.0}) == [{"pointer": "/steps", "expected": 300, "got": 300.0}]


def test_build_reports_the_first_differing_byte(tmp_path, vectors_copy):
    with_level(vectors_copy, "build", ["valid-minimal", "valid-seed-4294967296"])
    with ModuleImplementation("conformance.mutants.cli:main", ["extra-byte"], cwd=str(ROOT)) as impl:
        extra = by_id(run_api(impl, vectors_copy, ["build"]))[("build", "valid-minimal")]
    size = len((VECTORS / "syntax/valid-minimal/input.aigif").read_bytes())
    assert extra["reason"] == f"bytes differ at offset {size}; expected {size} bytes, got {size + 1}"
    assert (extra["details"]["first_difference"], extra["details"]["got_length"]) == (size, size + 1)
    with ModuleImplementation("conformance.mutants.cli:main", ["seed-32bit"], cwd=str(ROOT)) as impl:
        seed = by_id(run_api(impl, vectors_copy, ["build"]))[("build", "valid-seed-4294967296")]
    # The CRC differs first; the report also points at the seed itself.
    assert seed["details"]["first_difference"] == 5 and seed["details"]["first_difference_after_crc"] > 9
    assert "the CRC-32; first difference after it at offset" in seed["reason"]


def test_timeout_kills_the_implementation_and_its_children(tmp_path, vectors_copy):
    with_level(vectors_copy, "parse", ["valid-minimal"])
    pid_file = tmp_path / "child.pid"
    impl = CommandImplementation(f"{PY} -m tests.conformance_fakes sleepy", cwd=ROOT, env={"FAKE_PID_FILE": str(pid_file)})
    start = time.monotonic()
    document = run_api(impl, vectors_copy, ["parse"], timeout=2.0)
    assert time.monotonic() - start < 20
    result = document["results"][0]
    assert result["status"] == "timeout" and result["reason"].startswith("no answer within")
    assert document["summary"]["verdict"] == "fail" and document["levels"][0]["counts"]["timeout"] == 1
    child = int(pid_file.read_text())
    for _ in range(50):  # the grandchild was in the killed process group
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"grandchild {child} survived the timeout")


def test_fast_path_timeouts_and_crashes_replace_the_worker(vectors_copy):
    with_level(vectors_copy, "parse", ["valid-minimal", "invalid-crc-bit-flip"])
    with ModuleImplementation("tests.conformance_fakes:main", ["sleepy"], cwd=str(ROOT)) as impl:
        document = run_api(impl, vectors_copy, ["parse"], timeout=2.0, jobs=1)
    assert [r["status"] for r in document["results"]] == ["timeout", "timeout"]
    with ModuleImplementation("tests.conformance_fakes:main", ["crash"], cwd=str(ROOT)) as impl:
        document = run_api(impl, vectors_copy, ["parse"], timeout=10.0, jobs=1)
    assert [(r["status"], r["reason"]) for r in document["results"]] == [("error", "crashed (killed by signal 9)")] * 2


def test_a_crashing_process_is_an_error_not_a_rejection(vectors_copy):
    with_level(vectors_copy, "parse", ["invalid-crc-bit-flip"])
    document = run_api(CommandImplementation(f"{PY} -m tests.conformance_fakes crash", cwd=ROOT), vectors_copy, ["parse"])
    assert (document["results"][0]["status"], document["results"][0]["reason"]) == ("error", "crashed (killed by signal 9)")


# -- vectors are verified before the run -------------------------------------------------------------

def test_a_tampered_input_is_refused_before_anything_runs(vectors_copy, tmp_path):
    target = vectors_copy / "syntax/valid-minimal/input.aigif"
    target.write_bytes(target.read_bytes() + b"\x00")
    with pytest.raises(VectorsError, match="valid-minimal/input.aigif"):
        load_suite(vectors_copy, {"parse": "syntax"})
    marker = tmp_path / "ran"
    done = run_cli("run", "--impl", f"{PY} -c 'open(\"{marker}\", \"w\")'", "--vectors", str(vectors_copy))
    assert done.returncode == EXIT_VECTORS and "do not match the manifest" in done.stderr and not marker.exists()
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("path,expected", [
    ("syntax/valid-minimal/expected.json", "expected.json do not match the sha256 in test.json"),
    ("syntax/registry-test.json", "registry-test.json"),
    ("syntax/manifest.json", "manifest"),
])
def test_other_tampering_is_refused(vectors_copy, path, expected):
    target = vectors_copy / path
    if path.endswith("manifest.json"):
        target.write_text("{not json", encoding="utf-8")
    else:
        target.write_bytes(target.read_bytes().replace(b"}", b" }", 1))
    with pytest.raises(VectorsError, match=expected):
        load_suite(vectors_copy, {"parse": "syntax"})


def test_level_lists_must_name_manifest_cases(vectors_copy):
    with_level(vectors_copy, "parse", ["valid-minimal", "valid-no-such-case"])
    with pytest.raises(VectorsError, match="valid-no-such-case"):
        load_suite(vectors_copy, {"parse": "syntax"})
    (vectors_copy / "levels/parse.txt").write_text("valid-minimal\n# a comment\n\nvalid-minimal\n", encoding="utf-8")
    with pytest.raises(VectorsError, match="listed twice"):
        load_suite(vectors_copy, {"parse": "syntax"})


# -- an implementation under test cannot defeat the runner (issue 9, section 3) ----------------------

def test_rewriting_the_expected_files_during_the_run_does_not_make_a_wrong_answer_pass(vectors_copy, tmp_path):
    """The runner judges against the bytes it verified before the run, not the files it verified."""
    with_level(vectors_copy, "parse", ["valid-minimal"])
    with_level(vectors_copy, "build", ["valid-minimal"])
    impl = CommandImplementation(f"{PY} -m tests.conformance_fakes tamper", cwd=ROOT, env={"FAKE_VECTORS": str(vectors_copy)})
    document = run_api(impl, vectors_copy, ["parse", "build"], jobs=1)
    results = by_id(document)
    assert (results[("parse", "valid-minimal")]["status"], results[("parse", "valid-minimal")]["reason"]) == \
        ("fail", "field differs: /seed")
    assert results[("build", "valid-minimal")]["status"] == "fail"
    # The implementation did rewrite them (in the vectors folder, which it was never given).
    assert (vectors_copy / "syntax/valid-minimal/input.aigif").read_bytes().endswith(b"\x00")
    vectors = render_vectors(tmp_path / "render-vectors", ["render-tamper"])
    golden = (vectors / "render/render-tamper/expected.png").read_bytes()
    document = run_api(CommandImplementation(f"{PY} -m tests.conformance_fakes renderer", cwd=ROOT), vectors, ["render"])
    assert (vectors / "render/render-tamper/expected.png").read_bytes() != golden  # rewritten during the run
    assert (document["results"][0]["status"], document["results"][0]["reason"]) == \
        ("fail", "pixels out of tolerance: max abs error 40 > 0")


def test_inputs_are_private_copies_in_a_private_folder(vectors_copy):
    with_level(vectors_copy, "parse", ["valid-minimal"])
    seen = []

    class Spy:
        def invoke(self, args, timeout, output_limit=0, workdir=None):
            from conformance.contract import Outcome

            file = Path(args[-1])
            seen.append((file, workdir, file.stat().st_mode, workdir.stat().st_mode, file.read_bytes()))
            return Outcome(args, exit_code=1, stdout=b'{"error": "AIGIF_E_CRC"}')

        def describe(self):
            return "spy"

    suite = load_suite(vectors_copy, {"parse": "syntax"})
    run_suite(Spy(), suite, ["parse"], Info(), jobs=1)
    (file, workdir, _, folder_mode, data), = seen
    assert file.parent == workdir and not file.is_relative_to(vectors_copy)
    assert folder_mode & 0o077 == 0  # nobody else may read or write it
    assert data == (vectors_copy / "syntax/valid-minimal/input.aigif").read_bytes()
    assert not workdir.exists()  # removed after the run


def peak_rss_mib_of(command: list[str]) -> float:
    """Peak resident memory of a command's process tree (Linux ru_maxrss of waited-for descendants)."""
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], capture_output=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    done = subprocess.run([PY, "-c", code, *command], capture_output=True, text=True, cwd=ROOT, check=True)
    return int(done.stdout) / 1024


def test_output_is_read_up_to_a_bound_and_more_fails_the_case(vectors_copy, tmp_path):
    """300 MiB on stdout (a correct rejection padded with JSON whitespace) used to be read whole, and passed."""
    with_level(vectors_copy, "parse", ["invalid-crc-bit-flip"])
    report = tmp_path / "r.json"
    peak = peak_rss_mib_of([PY, "-m", "conformance", "run", "--impl", f"{PY} -m tests.conformance_fakes flood",
                            "--vectors", str(vectors_copy), "--report", str(report), "--jobs", "1"])
    document = json.loads(report.read_text(encoding="utf-8"))
    result = document["results"][0]
    limit = document["run"]["output_limit_bytes"]
    assert limit < 16 << 20
    assert (result["status"], result["reason"]) == ("fail", f"printed more than {limit} bytes on stdout (killed)")
    assert peak < 200, f"the runner's process tree peaked at {peak:.0f} MiB"
    # The fast path is bounded the same way.
    with ModuleImplementation("tests.conformance_fakes:main", ["flood"], cwd=str(ROOT)) as impl:
        document = run_api(impl, vectors_copy, ["parse"])
    assert document["results"][0]["reason"].startswith("printed more than")


def _dead(pid: int) -> bool:
    """Gone, or a zombie (killed, waiting for init to reap it)."""
    for _ in range(50):
        try:
            os.kill(pid, 0)
            if "\tZ" in Path(f"/proc/{pid}/status").read_text().split("State:", 1)[1].split("\n", 1)[0]:
                return True
        except (ProcessLookupError, FileNotFoundError):
            return True
        time.sleep(0.1)
    return False


def test_the_timeout_holds_against_grandchildren_in_their_own_session(vectors_copy, tmp_path):
    """A grandchild that setsid()s and keeps stdout open used to hold the runner until it exited (30 s here)."""
    with_level(vectors_copy, "parse", ["invalid-crc-bit-flip"])
    pid_file = tmp_path / "pids"
    impl = CommandImplementation(f"{PY} -m tests.conformance_fakes escape", cwd=ROOT, env={"FAKE_PID_FILE": str(pid_file)})
    start = time.monotonic()
    document = run_api(impl, vectors_copy, ["parse"], timeout=3.0)
    assert time.monotonic() - start < 15
    result = document["results"][0]
    assert result["status"] == "timeout"  # the invocation never ended: its stdout stayed open
    holder, daemon = map(int, pid_file.read_text().split())
    assert _dead(holder), f"grandchild {holder} (holding stdout) survived"
    assert _dead(daemon), f"grandchild {daemon} (a daemon) survived"


def test_a_png_declaring_gigapixels_is_a_wrong_size_not_an_error(tmp_path):
    vectors = render_vectors(tmp_path / "vectors", ["render-bomb"])
    document = run_api(CommandImplementation(f"{PY} -m tests.conformance_fakes renderer", cwd=ROOT), vectors, ["render"])
    assert (document["results"][0]["status"], document["results"][0]["reason"]) == \
        ("fail", "wrong size: expected 8x8, got 100000x100000")


def test_hostile_json_output_is_judged_by_the_spec_not_reported_as_an_error(vectors_copy):
    """5000-digit integers and 100000-deep nesting in an implementation's output: pass or fail, never error."""
    with_level(vectors_copy, "parse", ["valid-minimal", "invalid-crc-bit-flip"])
    with ModuleImplementation("tests.conformance_fakes:main", ["long-int"], cwd=str(ROOT)) as impl:
        results = by_id(run_api(impl, vectors_copy, ["parse"]))
    valid, invalid = results[("parse", "valid-minimal")], results[("parse", "invalid-crc-bit-flip")]
    assert (valid["status"], valid["reason"]) == ("fail", "field differs: /seed")
    assert valid["details"]["differences"] == [{"pointer": "/seed", "expected": 0, "got": "(an integer of 5000 digits)"}]
    assert (invalid["status"], invalid["reason"]) == ("pass", "rejected with AIGIF_E_CRC")  # offset is informative
    with ModuleImplementation("tests.conformance_fakes:main", ["deep-json"], cwd=str(ROOT)) as impl:
        results = by_id(run_api(impl, vectors_copy, ["parse"]))
    valid, invalid = results[("parse", "valid-minimal")], results[("parse", "invalid-crc-bit-flip")]
    assert (valid["status"], valid["reason"]) == ("fail", "output is not UTF-8 JSON")
    assert "nested deeper than" in valid["details"]["error"]
    assert (invalid["status"], invalid["reason"]) == ("fail", "rejected, wrong code")


# -- exit codes and usage ---------------------------------------------------------------------------

def test_usage_errors_exit_2_with_a_message(capsys):
    assert main(["run", "--impl", REFERENCE, "--level", "parse,decode"]) == EXIT_USAGE
    assert "unknown level decode; levels: parse, build, render" in capsys.readouterr().err
    assert main(["run", "--impl", "no-such-decoder-xyz parse"]) == EXIT_USAGE
    assert "command 'no-such-decoder-xyz' not found" in capsys.readouterr().err
    assert main(["run", "--impl", "'unbalanced"]) == EXIT_USAGE
    with pytest.raises(SystemExit) as exc:
        main(["run"])  # argparse: --impl is required
    assert exc.value.code == EXIT_USAGE


def test_missing_vectors_exit_3(tmp_path, capsys):
    assert main(["run", "--impl", REFERENCE, "--vectors", str(tmp_path / "nowhere")]) == EXIT_VECTORS
    assert "does not hold the conformance vectors" in capsys.readouterr().err
    assert main(["list-levels", "--vectors", str(tmp_path)]) == EXIT_VECTORS


def test_a_failing_implementation_exits_1(vectors_copy, tmp_path):
    with_level(vectors_copy, "parse", ["invalid-crc-bit-flip", "invalid-crc-prompt-byte", "valid-minimal"])
    report = tmp_path / "r.json"
    done = run_cli("run", "--impl", f"{PY} -m conformance.mutants ignore-crc", "--vectors", str(vectors_copy),
                   "--report", str(report), "--jobs", "2")
    assert done.returncode == EXIT_FAIL, done.stderr
    document = json.loads(report.read_text(encoding="utf-8"))
    assert not schema_errors(document)
    assert {r["id"]: r["status"] for r in document["results"]} == {
        "invalid-crc-bit-flip": "fail", "invalid-crc-prompt-byte": "fail", "valid-minimal": "pass"}
    assert document["implementation"]["name"] == "aigif_ref-mutant-ignore-crc"
    assert "fail    parse/invalid-crc-bit-flip: accepted invalid file" in done.stdout


def test_list_levels_and_version():
    done = run_cli("list-levels", "--json")
    rows = {row["level"]: row for row in json.loads(done.stdout)["levels"]}
    assert rows["parse"]["cases"] == len(level_ids("parse")) and rows["build"]["cases"] == len(level_ids("build"))
    assert set(rows) == set(LEVELS)
    assert rows["diffc"]["cases"] == len(level_ids("diffc"))
    assert SUITE_VERSION in run_cli("--version").stdout


# -- render level -----------------------------------------------------------------------------------

def png_bytes(seed: int, width: int = 8, height: int = 8) -> bytes:
    import io

    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, format="PNG")
    return out.getvalue()


RENDER_CASES = {  # id: (what the fake renderer does, max_abs_error, min_psnr, requires)
    "render-exact": ("exact", 0, None, "cpu"),
    "render-noise-within": ("noise 2", 3, 30.0, "cpu"),
    "render-noise-over-max": ("noise 40", 3, 30.0, "cpu"),
    "render-noise-under-psnr": ("noise 40", 255, 45.0, "cpu"),
    "render-wrong-size": ("size", 255, None, "cpu"),
    "render-no-output": ("none", 0, None, "cpu"),
    "render-rejected": ("reject", 0, None, "cpu"),
    "render-needs-cuda": ("exact", 0, None, "cuda"),
    "render-tamper": ("tamper 40", 0, None, "cpu"),
    "render-bomb": ("bomb", 255, None, "cpu"),
}


def render_vectors(root: Path, ids: list[str]) -> Path:
    """Synthetic render vectors: input.aigif holds the fake renderer's instruction, not an AIGIF file."""
    manifest = {"suite": "synthetic-render", "version": "0.0.1", "spec_version": "1.0", "cases": []}
    for index, case_id in enumerate(ids):
        how, max_abs, psnr, requires = RENDER_CASES[case_id]
        folder = root / "render" / case_id
        folder.mkdir(parents=True)
        # The fake renderer's instruction, and where it finds the golden to start from.
        files = {"input.aigif": f"{how}\n{folder / 'expected.png'}".encode(), "expected.png": png_bytes(index)}
        for name, data in files.items():
            (folder / name).write_bytes(data)
        test = {"id": case_id, "level": "render", "tolerance": {"max_abs_error": max_abs, "min_psnr": psnr},
                "platform": {"device": requires}, "requires": requires,
                "files": {n: hashlib.sha256(d).hexdigest() for n, d in files.items()}}
        (folder / "test.json").write_text(json.dumps(test), encoding="utf-8")
        manifest["cases"].append({"id": case_id, "sha256": test["files"]["input.aigif"]})
    (root / "render" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (root / "levels").mkdir(exist_ok=True)
    return with_level(root, "render", ids)


def test_render_level_compares_pixels_within_tolerances(tmp_path):
    vectors = render_vectors(tmp_path / "vectors", [i for i in RENDER_CASES if i not in ("render-tamper", "render-bomb")])
    impl = CommandImplementation(f"{PY} -m tests.conformance_fakes renderer", cwd=ROOT)
    document = run_api(impl, vectors, ["render"])
    results = {r["id"]: (r["status"], r["reason"]) for r in document["results"]}
    assert results["render-exact"] == ("pass", "bit-exact")
    assert results["render-noise-within"][0] == "pass" and "within tolerance (max abs error 2" in results["render-noise-within"][1]
    assert results["render-noise-over-max"] == ("fail", "pixels out of tolerance: max abs error 40 > 3")
    psnr = 10 * math.log10(255**2 / (40**2 / (8 * 8 * 3)))  # one sample off by 40 in an 8x8 RGB image
    assert results["render-noise-under-psnr"] == ("fail", f"pixels out of tolerance: PSNR {psnr:.2f} dB < 45.0 dB")
    assert results["render-wrong-size"] == ("fail", "wrong size: expected 8x8, got 7x8")
    assert results["render-no-output"] == ("fail", "no output file")
    assert results["render-rejected"] == ("fail", "rejected valid file (AIGIF_E_UNSUPPORTED)")
    assert results["render-needs-cuda"][0] == "skipped" and "needs cuda" in results["render-needs-cuda"][1]
    counts = document["levels"][0]["counts"]
    assert (counts["pass"], counts["fail"], counts["skipped"]) == (2, 5, 1)  # skipped is never counted as passed
    assert document["implementation"] == {"name": "fake-renderer", "version": "9.9", "devices": ["cpu"],
                                          "info_reported": True, "command": impl.describe()}
    assert document["vectors"]["render"]["suite"] == "synthetic-render"


def test_render_cases_for_another_device_are_not_applicable(tmp_path):
    vectors = render_vectors(tmp_path / "vectors", ["render-exact", "render-needs-cuda"])
    impl = CommandImplementation(f"{PY} -m tests.conformance_fakes renderer", cwd=ROOT)
    document = run_api(impl, vectors, ["render"])
    assert document["levels"][0]["verdict"] == "pass" and exit_code(document) == EXIT_PASS
    assert document["summary"]["counts"] == {"cases": 2, "pass": 1, "fail": 0, "error": 0, "timeout": 0, "skipped": 1}
    only_cuda = render_vectors(tmp_path / "cuda-only", ["render-needs-cuda"])
    document = run_api(impl, only_cuda, ["render"])
    assert document["levels"][0]["verdict"] == "not-applicable" and exit_code(document) == EXIT_NOTHING_RAN


def test_an_empty_render_level_is_reported_as_empty_not_passed(tmp_path, vectors_copy):
    (vectors_copy / "levels" / "render.txt").unlink(missing_ok=True)
    report = tmp_path / "r.json"
    done = run_cli("run", "--impl", REFERENCE, "--level", "render", "--vectors", str(vectors_copy), "--report", str(report))
    assert done.returncode == EXIT_NOTHING_RAN, done.stderr
    document = json.loads(report.read_text(encoding="utf-8"))
    assert not schema_errors(document)
    assert document["levels"] == [{"name": "render", "description": LEVELS["render"].description, "verdict": "empty",
                                   "counts": {"cases": 0, "pass": 0, "fail": 0, "error": 0, "timeout": 0, "skipped": 0}}]
    assert document["summary"]["verdict"] == "nothing-ran" and document["spec_version"] is None


def test_html_report_leads_with_what_did_not_pass_and_shows_render_evidence(tmp_path):
    vectors = render_vectors(tmp_path / "vectors", ["render-exact", "render-noise-over-max", "render-noise-within",
                                                    "render-needs-cuda"])
    document = run_api(CommandImplementation(f"{PY} -m tests.conformance_fakes renderer", cwd=ROOT), vectors, ["render"])
    page = html_report(document)
    # The not-passed section comes before the levels and the list of all cases, failures before skips.
    bad = page.index("<h2>Not passed (2)</h2>")
    assert bad < page.index("<h2>Levels</h2>") < page.index("<h2>All cases (4)</h2>")
    section = page[bad:page.index("<h2>Levels</h2>")]
    assert section.index("render-noise-over-max") < section.index("render-needs-cuda")
    assert "render-exact" not in section
    # Passed rows are hidden by default (the switch starts on).
    assert '<input type="checkbox" id="only-bad" checked>' in page
    # No Python None anywhere in the text; tolerances in words.
    text = re.sub(r"<[^>]+>", " ", page)
    assert not re.search(r"\bNone\b", text), re.findall(r".{40}\bNone\b.{40}", text)
    assert "allowed: max abs error 3, PSNR at least 30.0 dB" in text
    # A render failure shows the amplified difference image, embedded, and the golden-vs-here platform table.
    failed = by_id(document)[("render", "render-noise-over-max")]
    diff = failed["details"]["diff_image"]
    assert (diff["max_abs_error"], diff["amplification"]) == (40, round(255 / 40, 3))
    import base64
    import io

    with Image.open(io.BytesIO(base64.b64decode(diff["png_base64"]))) as image:
        pixels = np.asarray(image)
    assert image.size == (8, 8) and pixels.max() == 255 and np.count_nonzero(pixels) == 1  # one sample differs
    assert f"src='data:image/png;base64,{diff['png_base64']}'" in section
    assert "<th>golden made on</th><th>rendered here</th>" in section and "<th>device</th><td>cpu</td><td>cpu</td>" in section
    # Only data: URIs: the page still fetches nothing.
    assert all(src.startswith("data:") for src in re.findall(r"src='([^']*)'", page))
    assert "difference image in the HTML report" in markdown(document)


def test_evidence_words_render_tolerances_and_missing_values():
    from conformance.report import evidence, tolerance_text

    assert tolerance_text({"max_abs_error": 0, "min_psnr": None}) == "bit-exact (max abs error 0)"
    assert tolerance_text({"max_abs_error": 2, "min_psnr": None}) == "max abs error 2, no PSNR bound"
    result = {"details": {"max_abs_error": 1, "psnr": None, "differing_samples": 0,
                          "tolerance": {"max_abs_error": 0, "min_psnr": None},
                          "expected_error": "AIGIF_E_CRC", "got_error": None}}
    lines = evidence(result)
    assert "expected error AIGIF_E_CRC, got no error code" in lines
    assert "max abs error 1, PSNR infinite (identical), 0 samples differ; allowed: bit-exact (max abs error 0)" in lines
    assert not any("None" in line for line in lines)


def test_png_comparison_psnr_and_max_error(tmp_path):
    golden, got = tmp_path / "golden.png", tmp_path / "got.png"
    pixels = np.full((4, 4, 3), 100, dtype=np.uint8)
    Image.fromarray(pixels, "RGB").save(golden)
    pixels[0, 0] = [110, 100, 100]
    Image.fromarray(pixels, "RGB").save(got)
    result = compare_png(golden, got, max_abs_error=10, min_psnr=None)
    mse = 100 / 48
    assert result.passed and result.details["max_abs_error"] == 10
    assert math.isclose(result.details["psnr"], round(10 * math.log10(255**2 / mse), 3))
    assert not compare_png(golden, got, max_abs_error=9, min_psnr=None).passed
    assert not compare_png(golden, got, max_abs_error=10, min_psnr=60.0).passed
    got.write_bytes(b"not a png")
    assert compare_png(golden, got, 255, None).reason == "output is not a readable PNG"
    Image.fromarray(pixels, "RGB").save(got, format="JPEG")
    assert compare_png(golden, got, 255, None).reason == "output is JPEG, not PNG"
