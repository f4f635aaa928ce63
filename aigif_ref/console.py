"""What every command-line entry point does around its command: a closed output pipe, termination signals.

`aigif inspect --json ... | head` closes the pipe early: that is the reader's choice, not an error, so
it ends quietly (exit 141, as a shell reports SIGPIPE) instead of in a BrokenPipeError traceback.
SIGTERM and SIGHUP become :class:`Terminated`, an exception, so that `finally` blocks and
:func:`aigif_ref.api.write_atomic` remove their temporary files before the process ends.
"""
from __future__ import annotations

import contextlib
import os
import signal
import sys
from typing import Callable, Iterator

EXIT_BROKEN_PIPE = 128 + 13  # 128 + SIGPIPE, what a shell shows for a writer killed by a closed pipe


class Terminated(BaseException):
    """A termination signal, raised where the program was (like KeyboardInterrupt for SIGINT)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


DEBUG_VARIABLE = "AIGIF_DEBUG"
DEBUG_HINT = f"run with {DEBUG_VARIABLE}=1 to see the library's own error"


def report_error(prefix: str, exc: BaseException) -> None:
    """Print an AIGIF_E_* error on stderr as ``prefix: CODE: message``; with AIGIF_DEBUG=1 in the environment,
    also the traceback of what caused it (a library's own exception, kept as __cause__ and out of the message)."""
    print(f"{prefix}: {exc}", file=sys.stderr)
    if os.environ.get(DEBUG_VARIABLE) and exc.__cause__ is not None:
        import traceback

        traceback.print_exception(exc.__cause__, file=sys.stderr)


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated(signum)


@contextlib.contextmanager
def _signals_as_exceptions() -> Iterator[None]:
    wanted = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = {}
    try:
        for signum in wanted:
            previous[signum] = signal.signal(signum, _raise_terminated)
    except ValueError:  # not the main thread (an embedding program): leave signals to it
        pass
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not raise again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def run_entry_point(command: Callable[[], int]) -> int:
    """Run ``command`` (returning an exit status) with the process-level behaviour described above.

    Interrupts exit 130 (SIGINT) or 128 + the signal number, after saying so on stderr.
    """
    try:
        with _signals_as_exceptions():
            status = command()
            sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at interpreter exit
            return status
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Terminated as exc:
        print(f"terminated ({exc})", file=sys.stderr)
        return 128 + exc.signum


def stdout_console() -> "rich.console.Console":  # noqa: F821
    """A rich Console on stdout whose closed pipe ends the command like any other write to stdout.

    (rich's own handling raises SystemExit(1), which would make `aigif inspect | head` exit 1.)
    """
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError(32, "Broken pipe")

    return _Console()
