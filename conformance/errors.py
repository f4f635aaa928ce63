"""The runner's own failures (bad usage, missing or tampered vectors), each with its exit status."""
from __future__ import annotations

# Exit statuses of `aigif-conformance run` (spec/conformance.md, "Running the suite").
EXIT_PASS = 0  # every claimed, applicable case passed
EXIT_FAIL = 1  # at least one claimed case did not pass
EXIT_USAGE = 2  # bad command line (argparse uses 2 as well)
EXIT_VECTORS = 3  # vectors missing, malformed or not matching their manifest
EXIT_NOTHING_RAN = 4  # the claimed levels hold no applicable case: nothing was tested


class SuiteError(Exception):
    """A failure of the run itself, not of the implementation under test."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class UsageError(SuiteError):
    def __init__(self, message: str) -> None:
        super().__init__(message, EXIT_USAGE)


class VectorsError(SuiteError):
    def __init__(self, message: str) -> None:
        super().__init__(message, EXIT_VECTORS)
