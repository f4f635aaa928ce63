"""Run the claimed levels' cases against an implementation, in parallel, with a per-case timeout."""
from __future__ import annotations

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

from conformance.cases import Case, Suite
from conformance.contract import OUTPUT_SLACK_BYTES, Implementation, Info
from conformance.levels import LEVELS, Verdict, judge


@dataclass
class CaseResult:
    id: str
    level: str
    status: str
    reason: str
    details: dict[str, Any]
    duration: float

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "level": self.level, "status": self.status, "reason": self.reason,
                "details": self.details, "duration_s": round(self.duration, 4)}


@dataclass
class Run:
    """Everything a report states: what ran, against what, and each case's result."""

    suite: Suite
    levels: list[str]
    implementation: Info
    command: str
    results: list[CaseResult]
    started: str
    duration: float
    settings: dict[str, Any] = field(default_factory=dict)


def output_limit(suite: Suite) -> int:
    """What the runner reads of each output stream: a few MiB over the largest legitimate output (a record's
    JSON escapes each byte of a string as at most 6 characters, so 8 x the largest case file is ample)."""
    return OUTPUT_SLACK_BYTES + 8 * suite.largest_file


def _run_case(impl: Implementation, case: Case, timeout: float, limit: int, scratch_root: Path) -> CaseResult:
    level = LEVELS[case.level]
    # The invocation's private folder (the run's root is mode 0700): private copies of its inputs, its output,
    # its temporary files. The case ID stays the folder name so that messages remain readable.
    scratch = scratch_root / case.level / case.id
    scratch.mkdir(parents=True, mode=0o700)
    outcome = impl.invoke(level.args(case, scratch), timeout, output_limit=limit, workdir=scratch)
    try:
        verdict = judge(level, case, outcome, scratch)
    except Exception as exc:  # noqa: BLE001 - one case's surprise must not end the run; it is reported
        verdict = Verdict("error", f"the runner could not judge this case: {type(exc).__name__}: {exc}")
    return CaseResult(case.id, case.level, verdict.status, verdict.reason, verdict.details, outcome.duration)


def _not_applicable(case: Case, devices: Sequence[str]) -> CaseResult | None:
    device = LEVELS[case.level].device(case)
    if device is None or device in devices:
        return None
    return CaseResult(case.id, case.level, "skipped",
                      f"not applicable: needs {device}, the implementation has {', '.join(devices) or 'no device'}",
                      {"requires": device, "devices": list(devices)}, 0.0)


def run_suite(impl: Implementation, suite: Suite, levels: Sequence[str], info: Info, *, jobs: int = 1,
              timeout: float = 60.0, on_result: Callable[[CaseResult], None] | None = None) -> Run:
    """Run every case of `levels` (already loaded and verified in `suite`); results in level-file order."""
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    clock = time.monotonic()
    cases = [case for level in levels for case in suite.levels[level]]
    results: list[CaseResult | None] = [None] * len(cases)
    limit = output_limit(suite)

    def done(index: int, result: CaseResult) -> None:
        results[index] = result
        if on_result is not None:
            on_result(result)

    with tempfile.TemporaryDirectory(prefix="aigif-conformance-") as tmp, \
            ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {}
        for index, case in enumerate(cases):
            skipped = _not_applicable(case, info.devices)
            if skipped is not None:
                done(index, skipped)
            else:
                futures[index] = pool.submit(_run_case, impl, case, timeout, limit, Path(tmp))
                futures[index].add_done_callback(lambda f, i=index: done(i, f.result()))
        for future in futures.values():
            future.result()
    return Run(suite, list(levels), info, impl.describe(), [r for r in results if r is not None], started,
               time.monotonic() - clock,
               {"jobs": jobs, "timeout_s": timeout, "output_limit_bytes": limit})
