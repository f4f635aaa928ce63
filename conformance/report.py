"""Reports of a run: the results document (results.schema.json), Markdown and self-contained HTML."""
from __future__ import annotations

import html
import json
import os
import platform
import re
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
# Libraries whose versions a render golden records (test.json "platform"); read from installed metadata, never imported.
PLATFORM_LIBRARIES = ("torch", "diffusers", "transformers")
NOT_PASSED_ORDER = ("fail", "error", "timeout", "skipped")
DIFF_IMAGE_NOTE = "difference image in the HTML report"
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
                "runner_python": platform.python_version(), "runner_platform": platform.platform(),
                "runner_machine": runner_machine()},
        "results": results,
    }


def runner_machine() -> dict[str, str]:
    """The machine the run was on: CPU model and flags that change float kernels, and the versions of the
    libraries a render golden records, as installed in the runner's Python (metadata only: nothing imported)."""
    from importlib import metadata

    machine = {"os": platform.platform(), "cpu_count": str(os.cpu_count() or "unknown")}
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        cpuinfo = ""
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    machine["cpu"] = model.group(1).strip() if model else (platform.processor() or platform.machine())
    flags = re.search(r"^flags\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    if flags:
        machine["avx512"] = "yes" if "avx512f" in flags.group(1).split() else "no"
    for name in PLATFORM_LIBRARIES:
        try:
            machine[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            machine[name] = "not installed"
    return machine


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
        lines.append(f"expected error {d['expected_error']}"
                     + (f", got {d['got_error'] or 'no error code'}" if "got_error" in d else ""))
    if "first_difference" in d:
        after = d.get("first_difference_after_crc")
        lines.append(f"first difference at byte {d['first_difference']}"
                     + (f" (CRC-32; next at byte {after})" if after is not None else "")
                     + f"; expected {d['expected_length']} bytes, "
                     f"got {d['got_length']}; from byte {d['window_start']}: expected [{d['expected_bytes']}], "
                     f"got [{d['got_bytes']}]")
    if "max_abs_error" in d and "tolerance" in d:
        psnr = "infinite (identical)" if d.get("psnr") is None else f"{d['psnr']} dB"
        samples = d.get("differing_samples", 0)
        lines.append(f"max abs error {d['max_abs_error']}, PSNR {psnr}, {samples} sample{'' if samples == 1 else 's'} "
                     f"differ{'s' if samples == 1 else ''}; allowed: {tolerance_text(d['tolerance'])}")
    if "diff_image" in d:
        lines.append(DIFF_IMAGE_NOTE)
    if "output_limit" in d:
        lines.append(f"output limit {d['output_limit']} bytes per stream")
    for key in ("exit_code", "error", "stderr"):
        if d.get(key) not in (None, ""):
            lines.append(f"{key}: {str(d[key]).strip()[:300]}")
    return lines


def tolerance_text(tolerance: dict[str, Any]) -> str:
    """A render case's tolerance in words ("bit-exact", "max abs error 2, PSNR at least 50.0 dB")."""
    max_abs, min_psnr = tolerance.get("max_abs_error"), tolerance.get("min_psnr")
    if max_abs == 0:
        return "bit-exact (max abs error 0)"
    text = f"max abs error {max_abs}"
    return text + (", no PSNR bound" if min_psnr is None else f", PSNR at least {min_psnr} dB")


def platform_rows(result: dict[str, Any], doc: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(key, golden, here) for a render case: where the golden was made against where this run rendered
    (what the implementation's `info` reported, else the runner's machine it ran on)."""
    golden = result["details"].get("golden_platform") or {}
    reported = doc["implementation"].get("platform") or {}
    machine = doc["run"].get("runner_machine") or {}
    here_device = next((d for d in doc["implementation"]["devices"] if d == golden.get("device")), None)
    keys = [*golden, *(k for k in reported if k not in golden), *(k for k in ("cpu", "avx512") if k not in golden)]

    def shown(value: Any, absent: str) -> str:
        return absent if value is None or value == "" else str(value)

    rows = []
    for key in keys:
        here = reported.get(key, machine.get(key))
        if key == "device" and here is None:
            here = here_device
        rows.append((key, shown(golden.get(key), "not recorded"), shown(here, "not reported")))
    return rows


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
table.platform{width:auto;font-size:.9em}tr.differs td{background:#fff3cd;font-weight:600}
figure{margin:.5rem 0}figure img{image-rendering:pixelated;width:256px;border:1px solid #999;background:#000}
figcaption{font-size:.85em;color:#555}
"""


def _h(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _evidence_html(result: dict[str, Any], doc: dict[str, Any]) -> str:
    lines = [line for line in evidence(result) if line != DIFF_IMAGE_NOTE]  # the page shows the image itself
    out = f"<ul>{''.join(f'<li>{_h(line)}</li>' for line in lines)}</ul>" if lines else ""
    diff = result["details"].get("diff_image")
    if diff:
        block = f", each pixel the largest of a {diff['block']}x{diff['block']} block" if diff["block"] > 1 else ""
        out += (f"<figure><img alt='difference image' src='data:image/png;base64,{_h(diff['png_base64'])}'>"
                f"<figcaption>|here − golden|, largest over R, G, B, amplified {diff['amplification']}× "
                f"(white = {diff['max_abs_error']}, black = identical){block}</figcaption></figure>")
    if result["level"] == "render" and result["status"] == "fail" and "golden_platform" in result["details"]:
        rows = "".join(f"<tr class='{'differs' if golden != here else 'same'}'><th>{_h(key)}</th><td>{_h(golden)}</td>"
                       f"<td>{_h(here)}</td></tr>" for key, golden, here in platform_rows(result, doc))
        out += (f"<table class='platform'><tr><th></th><th>golden made on</th><th>rendered here</th></tr>{rows}</table>")
    return out


def _case_rows(results: list[dict[str, Any]], doc: dict[str, Any]) -> str:
    return "".join(
        f"<tr class='row-{_h(r['status'])}'><td>{_h(r['level'])}</td><td><code>{_h(r['id'])}</code></td>"
        f"<td class='{_h(r['status'])}'>{_h(r['status'])}</td><td>{_h(r['reason'])}{_evidence_html(r, doc)}</td>"
        f"<td class='n'>{r['duration_s']:.3f}</td></tr>" for r in results)


def not_passed(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The cases that did not pass, failures first, then errors, timeouts and not-applicable cases."""
    return sorted((r for r in doc["results"] if r["status"] != "pass"), key=lambda r: NOT_PASSED_ORDER.index(r["status"]))


def html_report(doc: dict[str, Any]) -> str:
    """One self-contained page: inline CSS and images (data URIs), no script, no external resource.
    The cases that did not pass come first; in the list of all cases the passed ones are hidden by default."""
    summary = doc["summary"]
    rows = "".join(f"<tr><th>{_h(k)}</th><td>{_h(v)}</td></tr>" for k, v in _header_rows(doc))
    levels = "".join(
        f"<tr class='{_h(level['verdict'])}'><td>{_h(level['name'])}</td><td>{_h(level['verdict'])}</td>"
        + "".join(f"<td class='n'>{level['counts'][k]}</td>" for k in ("cases", *STATUSES))
        + f"<td>{_h(level['description'])}</td></tr>" for level in doc["levels"])
    head = "<tr><th>level</th><th>case</th><th>status</th><th>reason and evidence</th><th>seconds</th></tr>"
    bad = not_passed(doc)
    bad_section = (f"<table id='not-passed'>{head}{_case_rows(bad, doc)}</table>" if bad
                   else "<p id='not-passed'>Every case passed.</p>")
    title = f"AIGIF conformance: {doc['implementation']['name']} {doc['implementation']['version']}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_h(title)}</title><style>{_CSS}</style></head>
<body>
<h1>{_h(title)}</h1>
<p class="{_h(summary['verdict'])}"><strong>{_h(summary['verdict'].upper())}</strong></p>
<table>{rows}</table>
<h2>Not passed ({len(bad)})</h2>
{bad_section}
<h2>Levels</h2>
<table><tr><th>level</th><th>verdict</th><th>cases</th>{''.join(f'<th>{s}</th>' for s in STATUSES)}<th>what it tests</th></tr>{levels}</table>
<h2>All cases ({len(doc['results'])})</h2>
<input type="checkbox" id="only-bad" checked><label for="only-bad"> show only cases that did not pass</label>
<table id="all-cases">{head}{_case_rows(doc['results'], doc)}</table>
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
