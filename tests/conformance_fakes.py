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
    if how[0] == "size":
        golden = golden[:, :-1]
    if how[0] == "noise":
        golden = golden.copy()
        golden[0, 0, 0] += int(how[1]) if golden[0, 0, 0] < 128 else -int(how[1])
    Image.fromarray(golden.astype(np.uint8), "RGB").save(out, format="PNG")
    return 0


BEHAVIOURS = {"perturb": perturb, "sleepy": sleepy, "crash": crash, "renderer": renderer}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    behaviour, op, args = argv[0], argv[1], argv[2:]
    return BEHAVIOURS[behaviour](op, args)


if __name__ == "__main__":
    sys.exit(main())
