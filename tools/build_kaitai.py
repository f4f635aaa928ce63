"""Compile spec/aigif.ksy with the pinned Kaitai Struct compiler.

Writes spec/generated/python/aigif.py (and, with --lang javascript,
spec/generated/javascript/Aigif.js, not committed: see JS_CAVEAT) plus
spec/generated/aigif-checks.json: the
stable error code of every `valid:`/`contents` check, keyed by the src_path a
Kaitai runtime reports when the check fails (taken from the checks' custom
`-aigif-error` keys). --check compares instead of writing and exits 1 on any
difference, so CI catches a grammar edited without regenerating.

The compiler comes from npm (tools/package.json pins exact versions); it is
installed into tools/node_modules on first use.
"""
from __future__ import annotations

import argparse
import difflib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "tools"
KSY = ROOT / "spec" / "aigif.ksy"
GENERATED = ROOT / "spec" / "generated"
CHECKS = GENERATED / "aigif-checks.json"
COMPILE_SCRIPT = TOOLS / "ksc_compile.js"
OUTPUT_DIRS = {"python": GENERATED / "python", "javascript": GENERATED / "javascript"}
ERROR_KEY = "-aigif-error"
JS_CAVEAT = ("note: Kaitai's JavaScript target computes <<, >>, &, | on 32-bit integers and numbers as doubles,"
             " so uvarints of 2**31 and above (seeds, large bitmaps) decode wrongly there; use it for browsing only")

sys.path.insert(0, str(ROOT))
from aigif_ref.errors import ERROR_CODES  # noqa: E402  (repo checkout, not an install)


def pinned_versions() -> dict[str, str]:
    return json.loads((TOOLS / "package.json").read_text(encoding="utf-8"))["dependencies"]


def installed_version(package: str) -> str | None:
    manifest = TOOLS / "node_modules" / package / "package.json"
    if not manifest.exists():
        return None
    return json.loads(manifest.read_text(encoding="utf-8"))["version"]


def ensure_compiler() -> None:
    """Install the pinned compiler unless exactly those versions are present."""
    if all(installed_version(p) == v for p, v in pinned_versions().items()):
        return
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("build_kaitai: npm is not installed (needed once to fetch kaitai-struct-compiler)")
    verb = "ci" if (TOOLS / "package-lock.json").exists() else "install"
    subprocess.run([npm, verb, "--prefix", str(TOOLS), "--no-audit", "--no-fund"], check=True)


def compile_ksy(langs: list[str]) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """(the .ksy as parsed by js-yaml, {lang: {filename: source}})."""
    node = shutil.which("node")
    if node is None:
        sys.exit("build_kaitai: node is not installed")
    result = subprocess.run(
        [node, str(COMPILE_SCRIPT), str(KSY), *langs],
        check=False, capture_output=True, text=True, encoding="utf-8",
    )
    if result.returncode != 0:
        sys.exit(f"build_kaitai: compiling {KSY.relative_to(ROOT)} failed:\n{result.stderr}")
    out = json.loads(result.stdout)
    return out["ksy"], out["files"]


def _checks_of(src_prefix: str, seq: list[dict[str, Any]], where: str) -> dict[str, dict[str, str]]:
    checks = {}
    for index, attr in enumerate(seq):
        validated = "valid" in attr or "contents" in attr
        code = attr.get(ERROR_KEY)
        name = f"{where}.{attr['id']}"
        if validated and code is None:
            sys.exit(f"build_kaitai: {name} is checked but has no {ERROR_KEY}")
        if code is None:
            continue
        if not validated:
            sys.exit(f"build_kaitai: {name} has {ERROR_KEY} but no valid:/contents check")
        if code not in ERROR_CODES:
            sys.exit(f"build_kaitai: {name}: unknown error code {code!r}")
        checks[f"{src_prefix}/seq/{index}"] = {"field": name, "code": code}
    return checks


def error_table(ksy: dict[str, Any]) -> dict[str, dict[str, str]]:
    """src_path -> {field, code} for every check (flat types only: /types/NAME/seq/N)."""
    table = _checks_of("", ksy.get("seq", []), ksy["meta"]["id"])
    for name, spec in ksy.get("types", {}).items():
        if "types" in spec:
            sys.exit(f"build_kaitai: nested types (in {name}) would need deeper src_paths")
        table.update(_checks_of(f"/types/{name}", spec.get("seq", []), name))
    return table


def outputs(langs: list[str]) -> dict[Path, str]:
    ksy, files = compile_ksy(langs)
    out = {CHECKS: json.dumps(error_table(ksy), indent=2, sort_keys=True) + "\n"}
    for lang in langs:
        for filename, source in files[lang].items():
            out[OUTPUT_DIRS[lang] / filename] = source
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the files on disk; exit 1 on difference")
    parser.add_argument("--lang", action="append", choices=sorted(OUTPUT_DIRS),
                        help="target language (repeatable; default python)")
    args = parser.parse_args(argv)
    langs = args.lang or ["python"]
    if "javascript" in langs:
        print(JS_CAVEAT, file=sys.stderr)
    ensure_compiler()
    stale = []
    for path, text in outputs(langs).items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        rel = path.relative_to(ROOT)
        if args.check:
            stale.append(rel)
            diff = difflib.unified_diff((current or "").splitlines(True), text.splitlines(True),
                                        f"{rel} (on disk)", f"{rel} (from spec/aigif.ksy)", n=2)
            sys.stdout.writelines(list(diff)[:60])
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="")
            print(f"wrote {rel}")
    if stale:
        rebuild = " ".join(["python tools/build_kaitai.py", *(f"--lang {lang}" for lang in langs)])
        print(f"\nout of date: {', '.join(map(str, stale))}; run python tools/regen.py (or {rebuild})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
