"""Reports of a run: the results document (results.schema.json), Markdown and self-contained HTML."""
from __future__ import annotations

import html
import json
import os
import platform
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from conformance import SUITE_NAME, SUITE_VERSION
from conformance.cases import schema_validator
from conformance.errors import EXIT_FAIL, EXIT_NOTHING_RAN, EXIT_PASS, UsageError
from conformance.levels import LEVELS, STATUSES
from conformance.runner import Run

RESULTS_SCHEMA = "results.schema.json"
EXIT_BY_VERDICT = {"pass": EXIT_PASS, "fail": EXIT_FAIL, "nothing-ran": EXIT_NOTHING_RAN}


def counts(results: list[dict[str, Any]]) -> dict[str, int]:
    tally = Counter(r["status"] for r in results)
    return {"cases": len(results), **{status: tally[status] for status in STATUSES}}


def level_verdict(tally: dict[str, int]) -> str:
    if tally["cases"] == 0:
        return "empty"
    if tally["fail"] or tally["error"] or tally["timeout"]:
        return "fail"
    return "pass" if tally["pass"] else "not-applicable"  # skipped cases never make a pass


def results_document(run: Run) -> dict[str, Any]:
    results = [r.as_json() for r in run.results]
    levels = []
    for name in run.levels:
        tally = counts([r for r in results if r["level"] == name])
        levels.append({"name": name, "description": LEVELS[name].description, "verdict": level_verdict(tally),
                       "counts": tally})
    verdicts = {level["verdict"] for level in levels}
    verdict = "fail" if "fail" in verdicts else "pass" if "pass" in verdicts else "nothing-ran"
    return {
        "report_format": 1,
        "spec_version": run.suite.spec_version,
        "suite": {"name": SUITE_NAME, "version": SUITE_VERSION},
        "vectors": {name: s.describe() for name, s in sorted(run.suite.sets.items())},
        "implementation": {**run.implementation.as_json(), "command": run.command},
        "levels": levels,
        "summary": {"verdict": verdict, "counts": counts(results)},
        "run": {"started": run.started, "duration_s": round(run.duration, 3), **run.settings,
                "runner_python": platform.python_version(), "runner_platform": platform.platform()},
        "results": results,
    }


def schema_errors(document: Any) -> list[str]:
    """Where a document breaks results.schema.json (empty when it is valid)."""
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top level)'}: {e.message}"
            for e in schema_validator(RESULTS_SCHEMA).iter_errors(document)]


def exit_code(document: dict[str, Any]) -> int:
    return EXIT_BY_VERDICT[document["summary"]["verdict"]]


# -- text forms --------------------------------------------------------------------------------------

def evidence(result: dict[str, Any]) -> list[str]:
    """The details of a result as short lines (the same lines in Markdown and HTML)."""
    d = result["details"]
    lines = [f"{x['pointer'] or '(record)'}: expected {json.dumps(x['expected'], ensure_ascii=False)}, "
             f"got {json.dumps(x['got'], ensure_ascii=False)}" for x in d.get("differences", [])]
    if "expected_error" in d:
        lines.append(f"expected error {d['expected_error']}" + (f", got {d.get('got_error')}" if "got_error" in d else ""))
    if "first_difference" in d:
        after = d.get("first_difference_after_crc")
        lines.append(f"first difference at byte {d['first_difference']}"
                     + (f" (CRC-32; next at byte {after})" if after is not None else "")
                     + f"; expected {d['expected_length']} bytes, "
                     f"got {d['got_length']}; from byte {d['window_start']}: expected [{d['expected_bytes']}], "
                     f"got [{d['got_bytes']}]")
    if "max_abs_error" in d and "tolerance" in d:
        lines.append(f"max abs error {d['max_abs_error']}, PSNR {d['psnr'] if d['psnr'] is not None else 'inf'} dB; "
                     f"tolerance {d['tolerance']['max_abs_error']}, {d['tolerance']['min_psnr']} dB")
    for key in ("exit_code", "error", "stderr"):
        if d.get(key) not in (None, ""):
            lines.append(f"{key}: {str(d[key]).strip()[:300]}")
    return lines


def _md(text: Any) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _header_rows(doc: dict[str, Any]) -> list[tuple[str, str]]:
    impl, summary = doc["implementation"], doc["summary"]
    c = summary["counts"]
    vectors = "; ".join(f"{name}: {v['suite']} {v['version']}" for name, v in doc["vectors"].items()) or "(none read)"
    return [
        ("Implementation", f"{impl['name']} {impl['version']}"),
        ("Command", impl["command"]),
        ("Devices", ", ".join(impl["devices"])),
        ("Spec version", doc["spec_version"] or "(no vectors read)"),
        ("Suite", f"{doc['suite']['name']} {doc['suite']['version']}"),
        ("Vectors", vectors),
        ("Levels", ", ".join(level["name"] for level in doc["levels"])),
        ("Verdict", f"{summary['verdict'].upper()}: {c['pass']} of {c['cases']} passed, {c['fail']} failed, "
                    f"{c['error']} errors, {c['timeout']} timeouts, {c['skipped']} not applicable"),
        ("Started", f"{doc['run']['started']} ({doc['run']['duration_s']} s, {doc['run']['jobs']} jobs)"),
    ]


def markdown(doc: dict[str, Any]) -> str:
    out = ["# AIGIF conformance report", "", "| | |", "|---|---|"]
    out += [f"| {key} | {_md(value)} |" for key, value in _header_rows(doc)]
    out += ["", "## Levels", "", "| level | verdict | cases | pass | fail | error | timeout | not applicable |",
            "|---|---|---:|---:|---:|---:|---:|---:|"]
    for level in doc["levels"]:
        c = level["counts"]
        out.append(f"| {level['name']} | {level['verdict']} | {c['cases']} | {c['pass']} | {c['fail']} | {c['error']} "
                   f"| {c['timeout']} | {c['skipped']} |")
    bad = [r for r in doc["results"] if r["status"] != "pass"]
    out += ["", f"## Cases not passed ({len(bad)})", ""]
    if bad:
        out += ["| level | case | status | reason | details |", "|---|---|---|---|---|"]
        out += [f"| {r['level']} | `{r['id']}` | {r['status']} | {_md(r['reason'])} | "
                f"{'<br>'.join(_md(line) for line in evidence(r))} |" for r in bad]
    else:
        out.append("None.")
    out += ["", "## All cases", "", "| level | case | status | reason | seconds |", "|---|---|---|---|---:|"]
    out += [f"| {r['level']} | `{r['id']}` | {r['status']} | {_md(r['reason'])} | {r['duration_s']:.3f} |"
            for r in doc["results"]]
    return "\n".join(out) + "\n"


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1b1b1b;max-width:80rem}
table{border-collapse:collapse;margin:1rem 0;width:100%}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.n{text-align:right}code{font-size:.9em;white-space:nowrap}
.pass{background:#e6f4ea}.fail{background:#fce8e6}.error{background:#fde7d4}.timeout{background:#fef7e0}
.skipped,.empty,.not-applicable,.nothing-ran{background:#eceff1}ul{margin:.2rem 0;padding-left:1.2rem}
#only-bad:checked ~ table tr.row-pass{display:none}
"""


def _h(text: Any) -> str:
    return html.escape(str(text), quote=True)


def html_report(doc: dict[str, Any]) -> str:
    """One self-contained page: inline CSS, no script, no external resource."""
    summary = doc["summary"]
    rows = "".join(f"<tr><th>{_h(k)}</th><td>{_h(v)}</td></tr>" for k, v in _header_rows(doc))
    levels = "".join(
        f"<tr class='{_h(level['verdict'])}'><td>{_h(level['name'])}</td><td>{_h(level['verdict'])}</td>"
        + "".join(f"<td class='n'>{level['counts'][k]}</td>" for k in ("cases", *STATUSES))
        + f"<td>{_h(level['description'])}</td></tr>" for level in doc["levels"])
    cases = "".join(
        f"<tr class='row-{_h(r['status'])}'><td>{_h(r['level'])}</td><td><code>{_h(r['id'])}</code></td>"
        f"<td class='{_h(r['status'])}'>{_h(r['status'])}</td><td>{_h(r['reason'])}"
        + (f"<ul>{''.join(f'<li>{_h(line)}</li>' for line in evidence(r))}</ul>" if evidence(r) else "")
        + f"</td><td class='n'>{r['duration_s']:.3f}</td></tr>" for r in doc["results"])
    title = f"AIGIF conformance: {doc['implementation']['name']} {doc['implementation']['version']}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_h(title)}</title><style>{_CSS}</style></head>
<body>
<h1>{_h(title)}</h1>
<p class="{_h(summary['verdict'])}"><strong>{_h(summary['verdict'].upper())}</strong></p>
<table>{rows}</table>
<h2>Levels</h2>
<table><tr><th>level</th><th>verdict</th><th>cases</th>{''.join(f'<th>{s}</th>' for s in STATUSES)}<th>what it tests</th></tr>{levels}</table>
<h2>Cases</h2>
<input type="checkbox" id="only-bad"><label for="only-bad"> show only cases that did not pass</label>
<table><tr><th>level</th><th>case</th><th>status</th><th>reason and evidence</th><th>seconds</th></tr>{cases}</table>
</body></html>
"""


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder and rename: a report is whole or absent."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None


def write_reports(doc: dict[str, Any], json_path: Path | None, markdown_path: Path | None, html_path: Path | None) -> None:
    if json_path is not None:
        write_atomic(json_path, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    if markdown_path is not None:
        write_atomic(markdown_path, markdown(doc))
    if html_path is not None:
        write_atomic(html_path, html_report(doc))


def console_summary(doc: dict[str, Any], out=sys.stdout) -> None:
    """A few lines for the terminal: per level, then the cases that did not pass (at most 20)."""
    for level in doc["levels"]:
        c = level["counts"]
        print(f"{level['name']:>8}: {level['verdict']:<14} {c['pass']}/{c['cases']} passed"
              + "".join(f", {c[k]} {k}" for k in ("fail", "error", "timeout", "skipped") if c[k]), file=out)
    bad = [r for r in doc["results"] if r["status"] not in ("pass", "skipped")]
    for r in bad[:20]:
        print(f"  {r['status']:<7} {r['level']}/{r['id']}: {r['reason']}", file=out)
    if len(bad) > 20:
        print(f"  ... and {len(bad) - 20} more (see the report)", file=out)
    c = doc["summary"]["counts"]
    print(f"{doc['summary']['verdict'].upper()}: {doc['implementation']['name']} {doc['implementation']['version']}, "
          f"spec {doc['spec_version']}, suite {SUITE_VERSION}: {c['pass']} of {c['cases']} cases passed", file=out)
