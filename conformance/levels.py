"""The levels: which vectors each draws on, how a case is invoked, and how its outcome is judged.

A new level is one more entry in LEVELS (plus its vectors and levels/<name>.txt).
"""
from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from conformance.cases import MAX_VECTOR_FILE_BYTES, Case
from conformance.compare import (byte_difference, compare_png, hex_window, json_float, read_tensor_file,
                                 record_differences, tensor_differences)
from conformance.contract import (OutputError, Outcome, build_args, dequantize_args, diffc_args, error_code, excerpt,
                                  parse_args, read_json, render_args)

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
    args: Callable[[Case, Path], list[str]]  # (case, private folder) -> argv after the prefix; stages the inputs
    judge: Callable[[Case, Outcome, Path], Verdict]  # called only for a process that exited by itself
    device: Callable[[Case], str | None] = lambda case: None  # the device a case needs, if any


def _rejected_with(expected_error: str, outcome: Outcome) -> Verdict:
    """The verdict on an invalid input: refused with exactly `expected_error`, or not."""
    if outcome.exit_code == 0:
        return Verdict("fail", "accepted invalid file", {"expected_error": expected_error,
                                                         "stdout": excerpt(outcome.stdout, 500)})
    got = error_code(outcome.stdout)
    if got == expected_error:
        return Verdict("pass", f"rejected with {got}")
    return Verdict("fail", "rejected, wrong code", {"expected_error": expected_error, "got_error": got,
                                                    **_rejection(outcome)})


def _rejection(outcome: Outcome) -> dict[str, Any]:
    return {"exit_code": outcome.exit_code, "error": error_code(outcome.stdout),
            "stdout": excerpt(outcome.stdout, 500), "stderr": excerpt(outcome.stderr, 1000)}


def _rejected(what: str, outcome: Outcome) -> str:
    return f"rejected valid {what} ({error_code(outcome.stdout) or 'no error code'})"


def _output(path: Path) -> bytes | None:
    try:
        with path.open("rb") as handle:
            return handle.read(MAX_VECTOR_FILE_BYTES + 1)
    except (FileNotFoundError, IsADirectoryError):
        return None


def _stage(scratch: Path, name: str, data: bytes) -> Path:
    """A private copy of a verified input in the invocation's folder: what the implementation reads (and may
    even overwrite) is never what the runner judges against."""
    path = scratch / name
    path.write_bytes(data)
    return path


def _registry(case: Case, scratch: Path) -> Path | None:
    return None if case.registry is None else _stage(scratch, "registry.json", case.registry)


# -- parse -------------------------------------------------------------------------------------------

def parse_invocation(case: Case, scratch: Path) -> list[str]:
    return parse_args(_stage(scratch, "input.aigif", case.data("input.aigif")), _registry(case, scratch))


def judge_parse(case: Case, outcome: Outcome, scratch: Path) -> Verdict:
    if not case.test["valid"]:
        return _rejected_with(case.test["expected_error"], outcome)
    if outcome.exit_code != 0:
        return Verdict("fail", _rejected("file", outcome), _rejection(outcome))
    try:
        got = read_json(outcome.stdout, parse_float=json_float)  # floats keep their text: bitstream 10.1 fixes it
    except OutputError as exc:
        return Verdict("fail", "output is not UTF-8 JSON", {"error": str(exc), "stdout": excerpt(outcome.stdout, 500)})
    expected = read_json(case.data("expected.json"), parse_float=json_float)
    differences = record_differences(expected, got)
    if not differences:
        return Verdict("pass", "record matches")
    fields = ", ".join(d["pointer"] or "(record)" for d in differences[:5]) + (", ..." if len(differences) > 5 else "")
    reason = f"field differs: {fields}" if len(differences) == 1 else f"{len(differences)} fields differ: {fields}"
    return Verdict("fail", reason, {"differences": differences})


# -- build -------------------------------------------------------------------------------------------

def build_invocation(case: Case, scratch: Path) -> list[str]:
    return build_args(_stage(scratch, "record.json", case.data("expected.json")), scratch / "out.aigif",
                      _registry(case, scratch))


def judge_build(case: Case, outcome: Outcome, scratch: Path) -> Verdict:
    if outcome.exit_code != 0:
        return Verdict("fail", _rejected("record", outcome), _rejection(outcome))
    got = _output(scratch / "out.aigif")
    if got is None:
        return Verdict("fail", "no output file", {"stderr": excerpt(outcome.stderr, 1000)})
    expected = case.data("input.aigif")
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


# -- diffc -------------------------------------------------------------------------------------------

def diffc_invocation(case: Case, scratch: Path) -> list[str]:
    return diffc_args(_stage(scratch, "input.aigif", case.data("input.aigif")), scratch / "out.bin",
                      _registry(case, scratch))


def judge_diffc(case: Case, outcome: Outcome, scratch: Path) -> Verdict:
    """Valid: out.bin equals expected-noise.bin (x_T and every step's noise, binary32) bit for bit."""
    if not case.test["valid"]:
        return judge_parse(case, outcome, scratch)  # rejected with the expected code
    if outcome.exit_code != 0:
        return Verdict("fail", _rejected("file", outcome), _rejection(outcome))
    got = _output(scratch / "out.bin")
    if got is None:
        return Verdict("fail", "no output file", {"stderr": excerpt(outcome.stderr, 1000)})
    expected = case.data("expected-noise.bin")
    difference = byte_difference(expected, got)
    if difference is None:
        return Verdict("pass", "noise identical")
    value = difference["first_difference"] // 4
    return Verdict("fail", f"noise differs from binary32 value {value} on; expected {difference['expected_length']} "
                           f"bytes, got {difference['got_length']}", difference)


# -- render ------------------------------------------------------------------------------------------

def render_invocation(case: Case, scratch: Path) -> list[str]:
    return render_args(_stage(scratch, "input.aigif", case.data("input.aigif")), scratch / "out.png",
                       case.test["requires"], _registry(case, scratch))


def judge_render(case: Case, outcome: Outcome, scratch: Path) -> Verdict:
    if outcome.exit_code != 0:
        return Verdict("fail", _rejected("file", outcome), _rejection(outcome))
    tolerance = case.test["tolerance"]
    golden = case.data("expected.png")
    # The size a PNG declares is checked before any decoder sees it: a header claiming gigapixels would
    # otherwise stop the comparison with a decompression-bomb error instead of a verdict.
    expected_size, got_size = _png_size(golden), _png_size(_output_head(scratch / "out.png"))
    if expected_size and got_size and expected_size != got_size:
        (ew, eh), (gw, gh) = expected_size, got_size
        return Verdict("fail", f"wrong size: expected {ew}x{eh}, got {gw}x{gh}",
                       {"expected_size": [ew, eh], "got_size": [gw, gh], "golden_platform": case.test["platform"]})
    result = compare_png(io.BytesIO(golden), scratch / "out.png", tolerance["max_abs_error"], tolerance["min_psnr"])
    details = {**result.details, "golden_platform": case.test["platform"]}
    if not result.passed and "max_abs_error" in result.details:  # same size, pixels differ: show where
        details["diff_image"] = diff_image(golden, scratch / "out.png")
    return Verdict("pass" if result.passed else "fail", result.reason, details)


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _output_head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(24)
    except OSError:
        return b""


def _png_size(head: bytes) -> tuple[int, int] | None:
    """(width, height) from a PNG's IHDR chunk, or None if the bytes do not start like a PNG."""
    if len(head) >= 24 and head.startswith(PNG_SIGNATURE) and head[12:16] == b"IHDR":
        return struct.unpack(">II", head[16:24])
    return None


DIFF_IMAGE_MAX_SIDE = 512  # larger renders are shown max-pooled to this size


def diff_image(expected_png: bytes, got: Path) -> dict[str, Any]:
    """The per-pixel largest absolute difference over R, G, B, amplified so that the largest one is white,
    as a greyscale PNG (base64) for the HTML report."""
    import base64

    import numpy as np
    from PIL import Image

    with Image.open(io.BytesIO(expected_png)) as image:
        golden = np.asarray(image.convert("RGB"), dtype=np.int16)
    with Image.open(got) as image:
        actual = np.asarray(image.convert("RGB"), dtype=np.int16)
    error = np.abs(actual - golden).max(axis=2)
    step = -(-max(error.shape) // DIFF_IMAGE_MAX_SIDE)  # ceil: one output pixel per step x step block
    if step > 1:
        h, w = (-(-n // step) * step for n in error.shape)
        error = np.pad(error, ((0, h - error.shape[0]), (0, w - error.shape[1])))
        error = error.reshape(h // step, step, w // step, step).max(axis=(1, 3))
    peak = max(1, int(error.max()))
    amplified = np.clip(error.astype(np.int32) * 255 // peak, 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(amplified, "L").save(out, format="PNG", optimize=True)
    return {"png_base64": base64.b64encode(out.getvalue()).decode("ascii"), "amplification": round(255 / peak, 3),
            "max_abs_error": int(error.max()), "block": step}


# -- quantized ---------------------------------------------------------------------------------------

def dequantize_invocation(case: Case, scratch: Path) -> list[str]:
    return dequantize_args(_stage(scratch, "payload.safetensors", case.data("payload.safetensors")),
                           scratch / "out.safetensors", case.test["dtype"])


def judge_dequantize(case: Case, outcome: Outcome, scratch: Path) -> Verdict:
    if not case.test["valid"]:
        return _rejected_with(case.test["expected_error"], outcome)
    if outcome.exit_code != 0:
        return Verdict("fail", _rejected("payload", outcome), _rejection(outcome))
    got = _output(scratch / "out.safetensors")
    if got is None:
        return Verdict("fail", "no output file", {"stderr": excerpt(outcome.stderr, 1000)})
    try:
        tensors = read_tensor_file(got)
    except ValueError as exc:
        return Verdict("fail", "output is not a safetensors file of F32/F16/BF16 tensors", {"error": str(exc)})
    differences = tensor_differences(read_tensor_file(case.data("expected.safetensors")), tensors)
    if not differences:
        return Verdict("pass", "tensors bit-identical")
    first = differences[0]
    reason = (f"{first['elements_differing']} of {first['elements']} values of {first['tensor']} differ"
              if first["problem"] == "values" else f"tensor {first['tensor']}: {first['problem']}")
    if len(differences) > 1:
        reason += f" (and {len(differences) - 1} more tensors)"
    return Verdict("fail", reason, {"differences": differences})


LEVELS: dict[str, Level] = {
    level.name: level for level in (
        Level("parse", "syntax", "decode every syntax case: a valid file to its canonical JSON record (compared "
              "field by field), an invalid file rejected with the expected error code", parse_invocation, judge_parse),
        Level("build", "syntax", "encode each valid case's expected.json to exactly the bytes of its input.aigif",
              build_invocation, judge_build),
        Level("render", "render", "regenerate each render case's image and compare it with expected.png within "
              "the case's tolerances (max absolute error, PSNR)", render_invocation, judge_render,
              device=lambda case: case.test["requires"]),
        Level("diffc", "diffc", "decode each DiffC payload to its exact part: x_T and every coded step's noise "
              "(binary32, compared bit for bit with expected-noise.bin); a bad payload rejected with the expected "
              "error code", diffc_invocation, judge_diffc),
        Level("quantized-render", "quantized-render", "render goldens of quantized models (the payload embedded in the "
              "file): regenerate each image with the payload's weights and compare it with expected.png within the "
              "case's tolerances", render_invocation, judge_render, device=lambda case: case.test["requires"]),
        Level("stages", "stages", "render goldens of multi-stage generations (extension type 6): hires fix on "
              "aigif-shapes (latent and pixel upscalers) and SDXL base + refiner on the tiny SDXL models; regenerate "
              "each image and compare it with expected.png within the case's tolerances", render_invocation, judge_render,
              device=lambda case: case.test["requires"]),
        Level("quantized", "quantized", "dequantize each model payload (spec/quantized.md) into the case's dtype and "
              "compare every tensor bit for bit with expected.safetensors; an invalid payload refused with the "
              "expected error code", dequantize_invocation, judge_dequantize),
    )
}


def judge(level: Level, case: Case, outcome: Outcome, scratch: Path) -> Verdict:
    """The verdict on one invocation: what the process did first, then the level's own judgement."""
    if outcome.start_error is not None:
        return Verdict("error", "could not start the implementation", {"error": outcome.start_error})
    if outcome.timed_out:
        return Verdict("timeout", f"no answer within {outcome.duration:.1f} s (killed)",
                       {"stdout": excerpt(outcome.stdout, 500), "stderr": excerpt(outcome.stderr, 1000)})
    if outcome.overflow is not None:
        return Verdict("fail", f"printed more than {outcome.output_limit} bytes on {outcome.overflow} (killed)",
                       {"output_limit": outcome.output_limit, "stream": outcome.overflow,
                        outcome.overflow: excerpt(getattr(outcome, outcome.overflow), 500)})
    if outcome.crashed:
        return Verdict("error", f"crashed (killed by signal {-outcome.exit_code})",
                       {"stderr": excerpt(outcome.stderr, 1000)})
    return level.judge(case, outcome, scratch)
