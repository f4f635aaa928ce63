"""The command-line contract between the runner and an implementation (spec/conformance.md).

    IMPL info
    IMPL parse  [--registry REGISTRY.json] FILE.aigif
    IMPL build  [--registry REGISTRY.json] RECORD.json OUT.aigif
    IMPL render [--registry REGISTRY.json] --device cpu|cuda FILE.aigif OUT.png
    IMPL diffc  [--registry REGISTRY.json] FILE.aigif OUT.bin
    IMPL dequantize --dtype float32|float16|bfloat16 PAYLOAD.safetensors OUT.safetensors

IMPL is a command prefix, split like a POSIX shell would (shlex) and run
without a shell. Success is exit status 0; a rejection is any other status with
one JSON object {"error": "AIGIF_E_..."} on stdout.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import selectors
import shlex
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

from conformance.errors import UsageError

# What the runner reads of an implementation's stdout and of its stderr, each (spec/conformance.md, 2.1).
# The run's limit is this slack over the largest legitimate output of its cases (conformance.cases);
# one byte more and the process group is killed and the case fails: memory stays bounded whatever it prints.
OUTPUT_SLACK_BYTES = 4 << 20
DEFAULT_DEVICES = ("cpu",)
# Every process an invocation starts inherits this variable with a token of its own, so that descendants
# that left the process group (setsid, double fork) are still found and killed when the invocation ends.
CASE_TOKEN_ENV = "AIGIF_CONFORMANCE_INVOCATION"
# Implementation output is untrusted: JSON nested deeper, or integers longer, than any AIGIF record has
# are not parsed (json would raise RecursionError / ValueError on them).
MAX_JSON_DEPTH = 64
MAX_INT_DIGITS = 64  # seeds have at most 20 digits


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
    overflow: str | None = None  # "stdout" or "stderr": it printed more than the run's output limit (then killed)
    output_limit: int = 0  # the limit in bytes that applied

    @property
    def crashed(self) -> bool:
        """Killed by a signal (a negative status from subprocess): not a rejection, a crash."""
        return self.exit_code is not None and self.exit_code < 0


class Implementation(Protocol):
    def invoke(self, args: Sequence[str], timeout: float, output_limit: int = OUTPUT_SLACK_BYTES,
               workdir: Path | None = None) -> Outcome:
        """Run IMPL ARGS; `workdir` is the invocation's private folder (its temporary files go there)."""

    def describe(self) -> str: ...

    def close(self) -> None: ...


def parse_args(file: Path, registry: Path | None) -> list[str]:
    return ["parse", *_registry(registry), str(file)]


def diffc_args(file: Path, out: Path, registry: Path | None) -> list[str]:
    return ["diffc", *_registry(registry), str(file), str(out)]


def build_args(record: Path, out: Path, registry: Path | None) -> list[str]:
    return ["build", *_registry(registry), str(record), str(out)]


def render_args(file: Path, out: Path, device: str, registry: Path | None) -> list[str]:
    return ["render", *_registry(registry), "--device", device, str(file), str(out)]


def dequantize_args(payload: Path, out: Path, dtype: str) -> list[str]:
    return ["dequantize", "--dtype", dtype, str(payload), str(out)]


INFO_ARGS = ["info"]


def _registry(registry: Path | None) -> list[str]:
    return [] if registry is None else ["--registry", str(registry)]


class OutputError(ValueError):
    """Implementation output that is not JSON the runner reads (not UTF-8, not JSON, beyond the limits)."""


class LongInteger(str):
    """An integer of more than MAX_INT_DIGITS digits, kept as its description: it equals no expected value."""


_JSON_NESTING = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _parse_int(digits: str) -> int | LongInteger:
    if len(digits.lstrip("-")) > MAX_INT_DIGITS:
        return LongInteger(f"(an integer of {len(digits.lstrip('-'))} digits)")
    return int(digits)


def read_json(data: bytes, parse_float: Callable[[str], Any] | None = None) -> Any:
    """Parse an implementation's JSON output within bounded depth and integer size; OutputError otherwise.

    parse_float keeps each float's text where the caller compares it (compare.json_float)."""
    depth = 0
    for token in _JSON_NESTING.finditer(data):  # strings are skipped whole, so brackets in them do not count
        first = token.group()[:1]
        if first in b"[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise OutputError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        elif first in b"]}":
            depth -= 1
    try:
        return json.loads(data.decode("utf-8"), parse_int=_parse_int, parse_float=parse_float)
    except UnicodeDecodeError as exc:
        raise OutputError(f"not UTF-8 (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise OutputError(f"not JSON (line {exc.lineno}, column {exc.colno})") from exc
    except (ValueError, RecursionError) as exc:  # a backstop: the checks above should leave none
        raise OutputError(f"not readable JSON: {type(exc).__name__}") from None


def error_code(stdout: bytes) -> str | None:
    """The "error" of a rejection's JSON object on stdout, or None if there is none."""
    try:
        data = read_json(stdout)
    except OutputError:
        return None
    code = data.get("error") if isinstance(data, dict) else None
    return code if type(code) is str else None


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
            raise UsageError(f"--impl {prefix!r} does not split into words as a shell would (a quote left open?); "
                             "quote the command prefix once, e.g. --impl 'my-decoder --flag'") from exc
        if not self.prefix:
            raise UsageError("--impl is empty: give the command prefix of the implementation, e.g. --impl 'my-decoder'")
        program = self.prefix[0]
        if shutil.which(program) is None:
            raise UsageError(f"--impl: command {program!r} not found or not executable")
        self.cwd = cwd
        self.env = None if env is None else {**os.environ, **env}

    def describe(self) -> str:
        return shlex.join(self.prefix)

    def invoke(self, args: Sequence[str], timeout: float, output_limit: int = OUTPUT_SLACK_BYTES,
               workdir: Path | None = None) -> Outcome:
        argv = [*self.prefix, *args]
        outcome = Outcome(argv, output_limit=output_limit)
        token = secrets.token_hex(16)
        env = {**(self.env or os.environ), CASE_TOKEN_ENV: token}
        if workdir is not None:  # its temporary files go to the invocation's private folder
            env.update(TMPDIR=str(workdir), TMP=str(workdir), TEMP=str(workdir))
        start = time.monotonic()
        try:
            # A session of its own, so that a timeout kills the whole process group (wrappers, workers).
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    cwd=self.cwd, env=env, start_new_session=True)
        except OSError as exc:
            outcome.start_error = f"cannot start {argv[0]}: {exc.strerror or exc}"
            return outcome
        pipes = {os.fstat(proc.stdout.fileno()).st_ino, os.fstat(proc.stderr.fileno()).st_ino}
        try:
            outcome.stdout, outcome.stderr, outcome.overflow, ended = _read_bounded(proc, start + timeout, output_limit)
            if not ended:  # the deadline passed first: the process group and every straggler are killed
                outcome.timed_out = True
            if not ended or outcome.overflow:
                _kill_group(proc)
                _kill_descendants(token, pipes)
            try:
                proc.wait(timeout=max(0.0, start + timeout - time.monotonic()) + 5)
            except subprocess.TimeoutExpired:  # unkillable (uninterruptible sleep): report what is known
                outcome.timed_out = True
            outcome.exit_code = None if outcome.timed_out else proc.returncode
        finally:
            # Nothing an invocation started outlives it, not even a daemon that closed its output.
            _kill_descendants(token, set())
            proc.stdout.close()
            proc.stderr.close()
        outcome.duration = time.monotonic() - start
        return outcome

    def close(self) -> None:
        pass


def _read_bounded(proc: subprocess.Popen, deadline: float, limit: int) -> tuple[bytes, bytes, str | None, bool]:
    """Read stdout and stderr until both are closed and the process has exited, at most `limit` bytes each
    and no later than `deadline`. Returns (stdout, stderr, the stream that overflowed, whether it ended)."""
    buffers = {"stdout": bytearray(), "stderr": bytearray()}
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ, "stdout")
        selector.register(proc.stderr, selectors.EVENT_READ, "stderr")
        while selector.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return bytes(buffers["stdout"]), bytes(buffers["stderr"]), None, False
            for key, _ in selector.select(min(remaining, 1.0)):
                chunk = os.read(key.fd, 1 << 16)
                if not chunk:
                    selector.unregister(key.fileobj)
                    continue
                buffer = buffers[key.data]
                buffer += chunk[: limit + 1 - len(buffer)]
                if len(buffer) > limit:
                    del buffer[limit:]
                    return bytes(buffers["stdout"]), bytes(buffers["stderr"]), key.data, True
    try:  # both streams are closed; the process itself may still be running
        proc.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        return bytes(buffers["stdout"]), bytes(buffers["stderr"]), None, False
    return bytes(buffers["stdout"]), bytes(buffers["stderr"]), None, True


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (AttributeError, ProcessLookupError, PermissionError):
        try:
            proc.kill()
        except ProcessLookupError:
            pass


def _kill_descendants(token: str, pipes: set[int]) -> None:
    """SIGKILL every process (Linux /proc) that carries this invocation's token in its environment or holds
    one of its output pipes: the descendants that left the process group. Elsewhere the group kill is all."""
    proc_root = Path("/proc")
    if not proc_root.is_dir():
        return
    marker = f"{CASE_TOKEN_ENV}={token}".encode()
    targets = [f"pipe:[{inode}]" for inode in pipes]
    me = os.getpid()
    for entry in os.scandir(proc_root):
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            with open(f"{entry.path}/environ", "rb") as handle:
                found = marker in handle.read().split(b"\0")
            if not found:
                found = any(os.readlink(f"{entry.path}/fd/{fd}") in targets for fd in os.listdir(f"{entry.path}/fd"))
            if found:
                os.kill(int(entry.name), signal.SIGKILL)
        except (OSError, ValueError):  # gone, or another user's process: not ours to kill
            continue


@dataclass
class Info:
    """What `IMPL info` says about the implementation (each part may be overridden on the command line)."""

    name: str = "unknown"
    version: str = "unknown"
    devices: list[str] = field(default_factory=lambda: list(DEFAULT_DEVICES))
    reported: bool = False  # whether `info` answered at all
    platform: dict[str, str] = field(default_factory=dict)  # optional: where it renders (for render reports)

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "devices": self.devices, "info_reported": self.reported,
                **({"platform": self.platform} if self.platform else {})}


def read_info(impl: Implementation, timeout: float) -> Info:
    """Ask `IMPL info`; an implementation without it is "unknown", CPU only."""
    outcome = impl.invoke(INFO_ARGS, timeout)
    info = Info()
    if outcome.exit_code != 0 or outcome.overflow:
        return info
    try:
        data = read_json(outcome.stdout)
    except OutputError:
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
    platform = data.get("platform")
    if isinstance(platform, dict):
        info.platform = {str(k)[:64]: str(v)[:200] for k, v in list(platform.items())[:50]
                         if isinstance(v, (str, int, float, bool))}
    return info
