"""`aigif-conformance`: run the conformance levels against an implementation, list the levels.

    aigif-conformance run --impl "COMMAND PREFIX" [--level parse,build,render] [--jobs N] [--timeout S]
                          [--report results.json] [--markdown report.md] [--html report.html] [--vectors DIR]
                          [--impl-name NAME] [--impl-version V] [--device cpu|cuda]
    aigif-conformance list-levels [--vectors DIR] [--json]

Exit status of `run`: 0 every claimed applicable case passed; 1 some case did not; 2 bad usage;
3 vectors missing or not matching their manifest; 4 the claimed levels held no applicable case.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Sequence

from conformance import SUITE_NAME, SUITE_VERSION
from conformance.cases import DEFAULT_VECTORS, load_suite, read_level
from conformance.contract import CommandImplementation, read_info
from conformance.errors import SuiteError, UsageError, VectorsError
from conformance.levels import LEVELS
from conformance.report import console_summary, exit_code, results_document, write_reports
from conformance.runner import run_suite


def claimed_levels(values: Sequence[str] | None) -> list[str]:
    """--level values (repeatable, each a comma list) in order, without repeats; default: parse."""
    names = [n.strip() for value in values or ["parse"] for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in LEVELS]
    if unknown or not names:
        raise UsageError(f"unknown level {', '.join(unknown) or '(none)'}; levels: {', '.join(LEVELS)}")
    return list(dict.fromkeys(names))


def _vectors(args: argparse.Namespace) -> Path:
    return Path(args.vectors) if args.vectors else DEFAULT_VECTORS


def _progress(total: int):
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("[bold]conformance"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                    TimeElapsedColumn(), console=Console(stderr=True), transient=True,
                    disable=total == 0 or not sys.stderr.isatty())


def cmd_run(args: argparse.Namespace) -> int:
    levels = claimed_levels(args.level)
    if args.jobs < 1 or args.timeout <= 0:
        raise UsageError("--jobs must be at least 1 and --timeout above 0")
    suite = load_suite(_vectors(args), {name: LEVELS[name].vector_set for name in levels})
    impl = CommandImplementation(args.impl)
    info = read_info(impl, args.timeout)
    info.name = args.impl_name or info.name
    info.version = args.impl_version or info.version
    if args.device:
        info.devices = sorted(set(args.device))
    total = sum(len(suite.levels[name]) for name in levels)
    failed = 0
    with _progress(total) as progress:
        task = progress.add_task("", total=total)

        def on_result(result) -> None:
            nonlocal failed
            failed += result.status not in ("pass", "skipped")
            progress.update(task, advance=1, description=f"{failed} not passed" if failed else "")

        run = run_suite(impl, suite, levels, info, jobs=args.jobs, timeout=args.timeout, on_result=on_result)
    document = results_document(run)
    write_reports(document, args.report and Path(args.report), args.markdown and Path(args.markdown),
                  args.html and Path(args.html))
    console_summary(document)
    return exit_code(document)


def cmd_list_levels(args: argparse.Namespace) -> int:
    vectors = _vectors(args)
    if not (vectors / "levels").is_dir():
        raise VectorsError(f"{vectors} does not hold the conformance vectors (no levels/ folder); pass --vectors DIR")
    rows = [{"level": name, "cases": len(read_level(vectors, name)), "vectors": level.vector_set,
             "description": level.description} for name, level in LEVELS.items()]
    others = sorted(p.stem for p in (vectors / "levels").glob("*.txt") if p.stem not in LEVELS)
    if args.json:
        print(json.dumps({"levels": rows, "unsupported_level_files": others}, indent=2))
        return 0
    for row in rows:
        print(f"{row['level']:<8} {row['cases']:>4} case(s)  [{row['vectors']}]  {row['description']}")
    for name in others:
        print(f"{name:<8} levels/{name}.txt exists but this runner ({SUITE_VERSION}) does not know the level")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="aigif-conformance", description=__doc__.split("\n\n")[0],
                                     epilog="The implementation contract: spec/conformance.md")
    parser.add_argument("--version", action="version", version=f"{SUITE_NAME} {SUITE_VERSION}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run levels against an implementation")
    run.add_argument("--impl", required=True, metavar="PREFIX",
                     help="command prefix of the implementation, split like a shell would, e.g. 'python3 -m mydec'")
    run.add_argument("--level", action="append", metavar="LEVEL",
                     help=f"level to run ({', '.join(LEVELS)}); repeatable or a comma list; default parse")
    run.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1, help="cases run at once (default: CPUs)")
    run.add_argument("--timeout", type=float, default=60.0, metavar="S", help="seconds per case before it is killed")
    run.add_argument("--report", metavar="FILE", help="write the results JSON (conformance/schema/results.schema.json)")
    run.add_argument("--markdown", metavar="FILE", help="write a Markdown report")
    run.add_argument("--html", metavar="FILE", help="write a self-contained HTML report")
    run.add_argument("--vectors", metavar="DIR", help=f"vectors folder (default {DEFAULT_VECTORS})")
    run.add_argument("--impl-name", metavar="NAME", help="implementation name for the report (default: from IMPL info)")
    run.add_argument("--impl-version", metavar="V", help="implementation version for the report (default: from IMPL info)")
    run.add_argument("--device", action="append", choices=("cpu", "cuda"),
                     help="devices the implementation renders on (default: from IMPL info, else cpu)")
    run.set_defaults(func=cmd_run)
    levels = sub.add_parser("list-levels", help="the levels, their case counts and what they test")
    levels.add_argument("--vectors", metavar="DIR", help=f"vectors folder (default {DEFAULT_VECTORS})")
    levels.add_argument("--json", action="store_true", help="print JSON")
    levels.set_defaults(func=cmd_list_levels)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        try:
            return args.func(args)
        finally:
            sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
    except SuiteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # `aigif-conformance list-levels | head`: the reader chose to stop
        # (this package does not import aigif_ref, whose entry points do the same in aigif_ref/console.py)
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, as a shell reports a writer stopped by a closed pipe
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
