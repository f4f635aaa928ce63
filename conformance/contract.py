"""The command-line contract between the runner and an implementation (spec/conformance.md).

    IMPL info
    IMPL parse  [--registry REGISTRY.json] FILE.aigif
    IMPL build  [--registry REGISTRY.json] RECORD.json OUT.aigif
    IMPL render [--registry REGISTRY.json] --device cpu|cuda FILE.aigif OUT.png

IMPL is a command prefix, split like a POSIX shell would (shlex) and run
without a shell. Success is exit status 0; a rejection is any other status with
one JSON object {"error": "AIGIF_E_..."} on stdout.
"""
from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, Sequence

from conformance.errors import UsageError

MAX_OUTPUT_BYTES = 64 << 20  # an implementation printing more than this is cut off (and then fails)
DEFAULT_DEVICES = ("cpu",)


@dataclass
class Outcome:
    """What one invocation did."""

    argv: list[str]
    exit_code: int | None = None  # None: it did not exit by itself (timeout) or never started
    stdout: bytes = b""
    stderr: bytes = b""
    duration: float = 0.0
    timed_out: bool = False
    start_error: str | None = None  # why the command could not be started

    @property
    def crashed(self) -> bool:
        """Killed by a signal (a negative status from subprocess): not a rejection, a crash."""
        return self.exit_code is not None and self.exit_code < 0


class Implementation(Protocol):
    def invoke(self, args: Sequence[str], timeout: float) -> Outcome: ...

    def describe(self) -> str: ...

    def close(self) -> None: ...


def parse_args(file: Path, registry: Path | None) -> list[str]:
    return ["parse", *_registry(registry), str(file)]


def build_args(record: Path, out: Path, registry: Path | None) -> list[str]:
    return ["build", *_registry(registry), str(record), str(out)]


def render_args(file: Path, out: Path, device: str, registry: Path | None) -> list[str]:
    return ["render", *_registry(registry), "--device", device, str(file), str(out)]


INFO_ARGS = ["info"]


def _registry(registry: Path | None) -> list[str]:
    return [] if registry is None else ["--registry", str(registry)]


def error_code(stdout: bytes) -> str | None:
    """The "error" of a rejection's JSON object on stdout, or None if there is none."""
    try:
        data = json.loads(stdout.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    code = data.get("error") if isinstance(data, dict) else None
    return code if isinstance(code, str) else None


def excerpt(data: bytes, limit: int = 2000) -> str:
    """Printable start of an output stream, for reports."""
    text = data[:limit].decode("utf-8", errors="replace")
    return text + (f"... ({len(data)} bytes)" if len(data) > limit else "")


class CommandImplementation:
    """An implementation run as a new process per invocation: the normative way."""

    def __init__(self, prefix: str | Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
        try:
            self.prefix = shlex.split(prefix) if isinstance(prefix, str) else list(prefix)
        except ValueError as exc:
            raise UsageError(f"--impl {prefix!r}: {exc}") from None
        if not self.prefix:
            raise UsageError("--impl is empty: give the command prefix of the implementation, e.g. --impl 'my-decoder'")
        program = self.prefix[0]
        if shutil.which(program) is None:
            raise UsageError(f"--impl: command {program!r} not found or not executable")
        self.cwd = cwd
        self.env = None if env is None else {**os.environ, **env}

    def describe(self) -> str:
        return shlex.join(self.prefix)

    def invoke(self, args: Sequence[str], timeout: float) -> Outcome:
        argv = [*self.prefix, *args]
        outcome = Outcome(argv)
        start = time.monotonic()
        try:
            # A session of its own, so a timeout kills the whole process group (wrappers, workers).
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    cwd=self.cwd, env=self.env, start_new_session=True)
        except OSError as exc:
            outcome.start_error = f"cannot start {argv[0]}: {exc.strerror or exc}"
            return outcome
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
            outcome.exit_code = proc.returncode
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            stdout, stderr = proc.communicate()
            outcome.timed_out = True
        outcome.duration = time.monotonic() - start
        outcome.stdout, outcome.stderr = stdout[:MAX_OUTPUT_BYTES], stderr[:MAX_OUTPUT_BYTES]
        return outcome

    def close(self) -> None:
        pass


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (AttributeError, ProcessLookupError, PermissionError):
        proc.kill()


@dataclass
class Info:
    """What `IMPL info` says about the implementation (each part may be overridden on the command line)."""

    name: str = "unknown"
    version: str = "unknown"
    devices: list[str] = field(default_factory=lambda: list(DEFAULT_DEVICES))
    reported: bool = False  # whether `info` answered at all

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "devices": self.devices, "info_reported": self.reported}


def read_info(impl: Implementation, timeout: float) -> Info:
    """Ask `IMPL info`; an implementation without it is "unknown", CPU only."""
    outcome = impl.invoke(INFO_ARGS, timeout)
    info = Info()
    if outcome.exit_code != 0:
        return info
    try:
        data = json.loads(outcome.stdout.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return info
    if not isinstance(data, dict):
        return info
    info.reported = True
    for key in ("name", "version"):
        if isinstance(data.get(key), str) and data[key]:
            setattr(info, key, data[key])
    devices = data.get("devices")
    if isinstance(devices, list) and devices and all(isinstance(d, str) for d in devices):
        info.devices = sorted(set(devices))
    return info
