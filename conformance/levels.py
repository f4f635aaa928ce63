"""The levels: which vectors each draws on, how a case is invoked, and how its outcome is judged.

A new level is one more entry in LEVELS (plus its vectors and levels/<name>.txt).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from conformance.cases import Case
from conformance.compare import byte_difference, compare_png, hex_window, load_json_text, record_differences
from conformance.contract import (MAX_OUTPUT_BYTES, Outcome, build_args, error_code, excerpt, parse_args,
                                  render_args)

STATUSES = ("pass", "fail", "error", "timeout", "skipped")
CRC_FIELD = range(5, 9)  # bytes 5..8 of every AIGIF file (spec/bitstream.md, header)


@dataclass(frozen=True)
class Verdict:
    status: str  # one of STATUSES
    reason: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Level:
    name: str
    vector_set: str
    description: str
    args: Callable[[Case, Path], list[str]]  # (case, scratch folder) -> argv after the command prefix
    judge: Callable[[Case, Outcome, Path], Verdict]  # called only for a process that exited by itself
    device: Callable[[Case], str | None] = lambda case: None  # the device a case needs, if any


def _rejection(outcome: Outcome) -> dict[str, Any]:
    return {"exit_code": outcome.exit_code, "error": error_code(outcome.stdout),
            "stdout": excerpt(outcome.stdout, 500), "stderr": excerpt(outcome.stderr, 1000)}


def _rejected(what: str, outcome: Outcome) -> str:
    return f"rejected valid {what} ({error_code(outcome.stdout) or 'no error code'})"


def _output(path: Path) -> bytes | None:
    try:
        with path.open("rb") as handle:
            return handle.read(MAX_OUTPUT_BYTES)
    except (FileNotFoundError, IsADirectoryError):
        return None


# -- parse -------------------------------------------------------------------------------------------

def parse_invocation(case: Case, scratch: Path) -> list[str]:
    return parse_args(case.file("input.aigif"), case.registry)


def judge_parse(case: Case, outcome: Outcome, scratch: Path) -> Verdict:
    expected_error = case.test["expected_error"]
    if not case.test["valid"]:
        if outcome.exit_code == 0:
            return Verdict("fail", "accepted invalid file", {"expected_error": expected_error,
                                                             "stdout": excerpt(outcome.stdout, 500)})
        got = error_code(outcome.stdout)
        if got == expected_error:
            return Verdict("pass", f"rejected with {got}")
        return Verdict("fail", "rejected, wrong code", {"expected_error": expected_error, "got_error": got,
                                                        **_rejection(outcome)})
    if outcome.exit_code != 0:
        return Verdict("fail", _rejected("file", outcome), _rejection(outcome))
    try:
        got = load_json_text(outcome.stdout)  # floats keep their text: bitstream 10.1 fixes it
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return Verdict("fail", "output is not UTF-8 JSON", {"error": str(exc), "stdout": excerpt(outcome.stdout, 500)})
    expected = load_json_text(case.file("expected.json").read_bytes())
    differences = record_differences(expected, got)
    if not differences:
        return Verdict("pass", "record matches")
    fields = ", ".join(d["pointer"] or "(record)" for d in differences[:5]) + (", ..." if len(differences) > 5 else "")
    reason = f"field differs: {fields}" if len(differences) == 1 else f"{len(differences)} fields differ: {fields}"
    return Verdict("fail", reason, {"differences": differences})


# -- build -------------------------------------------------------------------------------------------

def build_invocation(case: Case, scratch: Path) -> list[str]:
    return build_args(case.file("expected.json"), scratch / "out.aigif", case.registry)


def judge_build(case: Case, outcome: Outcome, scratch: Path) -> Verdict:
    if outcome.exit_code != 0:
        return Verdict("fail", _rejected("record", outcome), _rejection(outcome))
    got = _output(scratch / "out.aigif")
    if got is None:
        return Verdict("fail", "no output file", {"stderr": excerpt(outcome.stderr, 1000)})
    expected = case.file("input.aigif").read_bytes()
    difference = byte_difference(expected, got)
    if difference is None:
        return Verdict("pass", "bytes identical")
    where = f"offset {difference['first_difference']}"
    if CRC_FIELD.start <= difference["first_difference"] < CRC_FIELD.stop:
        # Any other difference changes the CRC too: point at the first one after it as well.
        body = byte_difference(expected[CRC_FIELD.stop:], got[CRC_FIELD.stop:])
        difference["first_difference_after_crc"] = None if body is None else body["first_difference"] + CRC_FIELD.stop
        if body is not None:  # show the bytes around the difference that matters
            difference.update(hex_window(expected, got, difference["first_difference_after_crc"]))
        where += (" (the CRC-32 only)" if body is None
                  else f" (the CRC-32; first difference after it at offset {difference['first_difference_after_crc']})")
    return Verdict("fail", f"bytes differ at {where}; expected {difference['expected_length']} bytes, "
                           f"got {difference['got_length']}", difference)


# -- render ------------------------------------------------------------------------------------------

def render_invocation(case: Case, scratch: Path) -> list[str]:
    return render_args(case.file("input.aigif"), scratch / "out.png", case.test["requires"], case.registry)


def judge_render(case: Case, outcome: Outcome, scratch: Path) -> Verdict:
    if outcome.exit_code != 0:
        return Verdict("fail", _rejected("file", outcome), _rejection(outcome))
    tolerance = case.test["tolerance"]
    result = compare_png(case.file("expected.png"), scratch / "out.png", tolerance["max_abs_error"], tolerance["min_psnr"])
    details = {**result.details, "golden_platform": case.test["platform"]}
    return Verdict("pass" if result.passed else "fail", result.reason, details)


LEVELS: dict[str, Level] = {
    level.name: level for level in (
        Level("parse", "syntax", "decode every syntax case: a valid file to its canonical JSON record (compared "
              "field by field), an invalid file rejected with the expected error code", parse_invocation, judge_parse),
        Level("build", "syntax", "encode each valid case's expected.json to exactly the bytes of its input.aigif",
              build_invocation, judge_build),
        Level("render", "render", "regenerate each render case's image and compare it with expected.png within "
              "the case's tolerances (max absolute error, PSNR)", render_invocation, judge_render,
              device=lambda case: case.test["requires"]),
    )
}


def judge(level: Level, case: Case, outcome: Outcome, scratch: Path) -> Verdict:
    """The verdict on one invocation: what the process did first, then the level's own judgement."""
    if outcome.start_error is not None:
        return Verdict("error", "could not start the implementation", {"error": outcome.start_error})
    if outcome.timed_out:
        return Verdict("timeout", f"no answer within {outcome.duration:.1f} s (killed)",
                       {"stdout": excerpt(outcome.stdout, 500), "stderr": excerpt(outcome.stderr, 1000)})
    if outcome.crashed:
        return Verdict("error", f"crashed (killed by signal {-outcome.exit_code})",
                       {"stderr": excerpt(outcome.stderr, 1000)})
    return level.judge(case, outcome, scratch)
