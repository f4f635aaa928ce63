"""Fake implementations for the runner's own tests: `python3 -m tests.conformance_fakes BEHAVIOUR OP ...`.

Each behaviour answers the contract in one particular (mostly wrong) way, so the
tests can check how the runner judges and reports it. The fakes cheat by reading
the case's expected files (the runner hands them private copies of the inputs only,
in a folder named after the case: they look the case up in the repository's
vectors/syntax, and synthetic render cases name their golden in input.aigif);
they test the runner, not AIGIF.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image


SYNTAX = Path(__file__).resolve().parents[1] / "vectors" / "syntax"


def _reject(code: str) -> int:
    print(json.dumps({"error": code}))
    return 1


def perturb(op: str, args: list[str]) -> int:
    """parse: valid files come back with seed + 1 and an unexpected key; invalid ones get AIGIF_E_RANGE,
    except the CRC cases, which are accepted."""
    if op == "info":
        return 1  # no info: the runner must fall back to "unknown"
    file = Path(args[-1])
    expected = SYNTAX / file.parent.name / "expected.json"  # the runner's folder for the case has its ID
    if expected.exists():
        record = json.loads(expected.read_text(encoding="utf-8"))
        record["seed"] += 1
        record["guidance_scale"] = float(np.float32(record["guidance_scale"]))  # same float32, longer decimal
        record["extra"] = True
        print(json.dumps(record))
        return 0
    if file.parent.name.startswith("invalid-crc"):
        print("{}")
        return 0
    return _reject("AIGIF_E_RANGE")


def sleepy(op: str, args: list[str]) -> int:
    """Starts a grandchild (its pid in $FAKE_PID_FILE) and sleeps: a timeout must kill both."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    if os.environ.get("FAKE_PID_FILE"):
        Path(os.environ["FAKE_PID_FILE"]).write_text(str(child.pid))
    time.sleep(60)
    return 0


def _test(file: Path) -> dict:
    return json.loads((SYNTAX / file.parent.name / "test.json").read_text(encoding="utf-8"))


def tamper(op: str, args: list[str]) -> int:
    """Answers wrongly and rewrites the case's expected files in $FAKE_VECTORS (the vectors folder of the run)
    to match: a runner that rereads expected files from disk would pass it."""
    if op == "info":
        return 1
    vectors = Path(os.environ["FAKE_VECTORS"])
    if op == "parse":
        file = Path(args[-1])
        record = json.loads((SYNTAX / file.parent.name / "expected.json").read_text(encoding="utf-8"))
        record["seed"] += 1
        text = json.dumps(record)
        (vectors / "syntax" / file.parent.name / "expected.json").write_text(text, encoding="utf-8")
        print(text)
        return 0
    record, out = Path(args[-2]), Path(args[-1])
    wrong = (SYNTAX / out.parent.name / "input.aigif").read_bytes() + b"\x00"
    (vectors / "syntax" / out.parent.name / "input.aigif").write_bytes(wrong)
    out.write_bytes(wrong)
    return 0


def flood(op: str, args: list[str]) -> int:
    """A correct rejection followed by 300 MiB of JSON whitespace (still one JSON value) on stdout."""
    if op == "info":
        return 1
    out = sys.stdout
    out.write(json.dumps({"error": _test(Path(args[-1]))["expected_error"]}))
    block = " " * (1 << 20)
    try:
        for _ in range(300):
            out.write(block)
        out.flush()
    except BrokenPipeError:  # the runner stopped reading and killed us
        os._exit(1)
    return 1


def escape(op: str, args: list[str]) -> int:
    """Answers at once, but leaves two grandchildren in sessions of their own: one keeps stdout open, one
    (a daemon) closed it. Their pids go to $FAKE_PID_FILE. Neither may outlive the invocation."""
    if op == "info":
        return 1
    sleeper = [sys.executable, "-c", "import time; time.sleep(30)"]
    holder = subprocess.Popen(sleeper, start_new_session=True)  # inherits stdout and stderr
    daemon = subprocess.Popen(sleeper, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    Path(os.environ["FAKE_PID_FILE"]).write_text(f"{holder.pid} {daemon.pid}")
    print(json.dumps({"error": _test(Path(args[-1]))["expected_error"]}))
    return 1


def long_int(op: str, args: list[str]) -> int:
    """Valid files: the record with a 5000-digit seed; invalid ones: the right code with a 5000-digit offset."""
    if op == "info":
        return 1
    file, huge = Path(args[-1]), "9" * 5000
    test = _test(file)
    if test["valid"]:
        text = (SYNTAX / file.parent.name / "expected.json").read_text(encoding="utf-8")
        print(json.dumps({**json.loads(text), "seed": 0}).replace('"seed": 0', f'"seed": {huge}'))
        return 0
    print(f'{{"error": "{test["expected_error"]}", "offset": {huge}}}')
    return 1


def deep_json(op: str, args: list[str]) -> int:
    """Every answer nested 100000 levels deep (a rejection carries its code beside the nesting)."""
    if op == "info":
        return 1
    test, nested = _test(Path(args[-1])), "[" * 100000 + "]" * 100000
    if test["valid"]:
        print(nested)
        return 0
    print(f'{{"error": "{test["expected_error"]}", "message": {nested}}}')
    return 1


def crash(op: str, args: list[str]) -> int:
    os.kill(os.getpid(), signal.SIGKILL)
    return 0


def renderer(op: str, args: list[str]) -> int:
    """render: what it does is written in input.aigif (synthetic cases): exact, noise N, size, none, reject."""
    if op == "info":
        print(json.dumps({"name": "fake-renderer", "version": "9.9", "devices": ["cpu"]}))
        return 0
    file, out = Path(args[-2]), Path(args[-1])
    assert args[args.index("--device") + 1] in ("cpu", "cuda")
    instruction, golden_path = file.read_text(encoding="utf-8").splitlines()
    how = instruction.split()
    golden = np.asarray(Image.open(golden_path).convert("RGB"), dtype=np.int16)
    if how[0] == "none":
        return 0  # claims success, writes nothing
    if how[0] == "reject":
        return _reject("AIGIF_E_UNSUPPORTED")
    if how[0] == "bomb":  # a PNG whose header declares 100000 x 100000 pixels
        import struct
        import zlib

        ihdr = b"IHDR" + struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
        out.write_bytes(b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + ihdr + struct.pack(">I", zlib.crc32(ihdr)))
        return 0
    if how[0] == "size":
        golden = golden[:, :-1]
    if how[0] in ("noise", "tamper"):
        golden = golden.copy()
        golden[0, 0, 0] += int(how[1]) if golden[0, 0, 0] < 128 else -int(how[1])
    Image.fromarray(golden.astype(np.uint8), "RGB").save(out, format="PNG")
    if how[0] == "tamper":  # and make the golden agree with the wrong image
        Image.fromarray(golden.astype(np.uint8), "RGB").save(golden_path, format="PNG")
    return 0


BEHAVIOURS = {"perturb": perturb, "sleepy": sleepy, "crash": crash, "renderer": renderer, "tamper": tamper,
              "flood": flood, "escape": escape, "long-int": long_int, "deep-json": deep_json}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    behaviour, op, args = argv[0], argv[1], argv[2:]
    return BEHAVIOURS[behaviour](op, args)


if __name__ == "__main__":
    sys.exit(main())
