"""A fast path for Python implementations: the same contract without a process start per case.

ModuleImplementation calls an adapter's `main(argv)` (the function behind its
`python3 -m ...` command line) inside long-lived worker processes, capturing
stdout, stderr and the exit status exactly as a process would report them.
Only process start-up is saved (about 0.2 s per case); each implementation still
runs in processes of its own, so a broken implementation (conformance/mutants/)
cannot affect the runner or another implementation. Timeouts kill and replace
the worker. CommandImplementation (conformance.contract) stays the normative path.
"""
from __future__ import annotations

import importlib
import io
import multiprocessing
import os
import queue
import sys
import time
import traceback
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Sequence

from conformance.contract import OUTPUT_SLACK_BYTES, Outcome


class _Capped(io.StringIO):
    """sys.stdout/stderr of a call: keeps at most `limit` characters and remembers that there were more
    (an implementation that prints without end must not fill the worker's memory, nor the runner's)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit, self.overflow = limit, False

    def write(self, text: str) -> int:
        room = self.limit - self.tell()
        if len(text) > room:
            self.overflow = True
            text = text[: max(0, room)]
        super().write(text)
        return len(text)


def _serve(conn, entry: str, cwd: str | None) -> None:
    """Worker loop: receive (argv, output limit), answer (exit status, stdout, stderr, overflowed stream);
    None ends it."""
    if cwd is not None:
        os.chdir(cwd)
    module, _, name = entry.partition(":")
    main = getattr(importlib.import_module(module), name or "main")
    while (request := conn.recv()) is not None:
        argv, limit = request
        out, err = _Capped(limit + 1), _Capped(limit + 1)
        with redirect_stdout(out), redirect_stderr(err):
            try:
                status = main(list(argv))
            except SystemExit as exc:  # as the interpreter maps sys.exit(x) to an exit status
                status = exc.code if isinstance(exc.code, int) or exc.code is None else 1
                if not isinstance(exc.code, int) and exc.code is not None:
                    print(exc.code, file=sys.stderr)
            except BaseException:  # noqa: BLE001 - an uncaught exception is exit status 1 with a traceback
                traceback.print_exc()
                status = 1
        stdout, stderr = (stream.getvalue().encode("utf-8", "replace") for stream in (out, err))
        overflow = next((what for what, data, stream in (("stdout", stdout, out), ("stderr", stderr, err))
                         if stream.overflow or len(data) > limit), None)
        conn.send((status or 0, stdout[:limit], stderr[:limit], overflow))


class _Worker:
    def __init__(self, context, entry: str, cwd: str | None) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, entry, cwd), daemon=True)
        self.process.start()
        child.close()

    def call(self, argv: list[str], timeout: float, limit: int) -> tuple[Outcome, bool]:
        """(outcome, whether the worker is still usable)."""
        outcome = Outcome(argv, output_limit=limit)
        start = time.monotonic()
        try:
            self.conn.send((argv, limit))
            if not self.conn.poll(timeout):
                outcome.timed_out, outcome.duration = True, time.monotonic() - start
                return outcome, False
            outcome.exit_code, outcome.stdout, outcome.stderr, outcome.overflow = self.conn.recv()
        except (EOFError, OSError):  # the worker died (or never started): report it as the process would
            self.process.join(5)
            outcome.exit_code = self.process.exitcode if self.process.exitcode is not None else -9
            outcome.duration = time.monotonic() - start
            return outcome, False
        outcome.duration = time.monotonic() - start
        return outcome, True

    def stop(self, graceful: bool) -> None:
        if graceful and self.process.is_alive():
            try:
                self.conn.send(None)
                self.process.join(5)
            except (OSError, BrokenPipeError):
                pass
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


class ModuleImplementation:
    """`python3 -m MODULE ARGS...` run as calls of ENTRY (\"package.module:function\") in `workers` processes."""

    def __init__(self, entry: str, args: Sequence[str] = (), workers: int = 1, cwd: str | None = None,
                 command: str | None = None) -> None:
        self.entry, self.args, self.cwd = entry, list(args), cwd
        self.command = command or f"{entry} {' '.join(self.args)}".strip()
        self._context = multiprocessing.get_context("spawn")  # a clean interpreter: nothing inherited
        self._idle: queue.Queue[_Worker] = queue.Queue()
        for _ in range(max(1, workers)):
            self._idle.put(_Worker(self._context, entry, cwd))

    def describe(self) -> str:
        return f"{self.command} (in-process fast path)"

    def invoke(self, args: Sequence[str], timeout: float, output_limit: int = OUTPUT_SLACK_BYTES,
               workdir: Path | None = None) -> Outcome:
        """As CommandImplementation.invoke; `workdir` is not used (the workers' environment is shared)."""
        worker = self._idle.get()
        try:
            outcome, usable = worker.call([*self.args, *args], timeout, output_limit)
            if not usable:
                worker.stop(graceful=False)
                worker = _Worker(self._context, self.entry, self.cwd)
            outcome.argv = [self.command, *args]
            return outcome
        finally:
            self._idle.put(worker)

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().stop(graceful=True)
            except queue.Empty:
                return

    def __enter__(self) -> "ModuleImplementation":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
