"""`aigif import PATH... -o OUTDIR/`: files and folders (recursive), in parallel, resumable, with a report.

Outputs mirror each input folder's layout under OUTDIR (a/b/x.png -> OUTDIR/b/x.aigif for the input
folder a), so equal names in different folders never collide; x.png beside x.jpg become x.png.aigif
and x.jpg.aigif. Workers are processes, at most --jobs of them; each reads, converts and writes one
file at a time, so memory stays bounded by --jobs images. A rerun skips outputs that exist and match
(same metadata, same pixel digest). --verify-regeneration then renders the imported files in this
process, one renderer for all.
"""
from __future__ import annotations

import os
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from aigif_ref.errors import AigifError
from aigif_ref.inputs import open_regular

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".avif")


@dataclass(frozen=True)
class Options:
    outdir: Path
    jobs: int = 1
    force: bool = False
    verify: bool = False
    min_psnr: float | None = None
    models_dir: str | None = None


def _walk(folder: Path) -> Iterator[Path]:
    """Image files under a folder, symbolic links not followed (a link can point outside it)."""
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs.sort()
        for name in sorted(files):
            path = Path(root) / name
            if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file() and not path.is_symlink():
                yield path


def plan(paths: list[Path], outdir: Path) -> list[tuple[Path, Path]]:
    """(source, target) pairs; a target is always inside outdir."""
    pairs: list[tuple[Path, Path]] = []
    for path in paths:
        if path.is_dir():
            pairs += [(p, Path(path.name) / p.relative_to(path)) for p in _walk(path)]
        else:
            open_regular(path, "an image or a folder of images").close()  # /dev/zero, a FIFO: refused now
            pairs.append((path, Path(path.name)))
    stems: dict[Path, int] = {}
    for _, rel in pairs:
        stems[rel.with_suffix("")] = stems.get(rel.with_suffix(""), 0) + 1
    out = []
    for source, rel in pairs:
        name = rel.with_suffix(".aigif") if stems[rel.with_suffix("")] == 1 else rel.with_name(rel.name + ".aigif")
        if len(paths) == 1 and paths[0].is_dir():
            name = Path(*name.parts[1:])  # one folder: its contents straight into OUTDIR
        out.append((source, outdir / name))
    return out


def _import_one(source: str, target: str, force: bool) -> dict[str, Any]:
    """A worker's job (a top-level function, so that a process pool can pickle it)."""
    from aigif_ref.importers.files import import_file
    from aigif_ref.registry import default_registry
    from aigif_ref.user_models import load_overlay

    try:
        return import_file(Path(source), Path(target), default_registry(), load_overlay(), force)
    except AigifError as exc:  # the overlay itself is broken
        return _failed(source, target, exc.code, exc.message)
    except Exception as exc:  # a bug must cost this file, not the run; the type names it for the report
        return _failed(source, target, "AIGIF_E_IMPORT", f"internal error in the importer ({type(exc).__name__}); "
                                                         "please report it with this file")


def _failed(source: str, target: str, code: str, message: str) -> dict[str, Any]:
    return {"source": source, "output": target, "status": "error", "error_code": code, "error": message}


def run(paths: list[Path], options: Options, progress: Any = None) -> list[dict[str, Any]]:
    """Import every file; results in input order. ``progress(done, total)`` is called as files finish."""
    pairs = plan(paths, options.outdir)
    results: list[dict[str, Any] | None] = [None] * len(pairs)
    if options.jobs <= 1 or len(pairs) < 2:
        for i, (source, target) in enumerate(pairs):
            results[i] = _import_one(str(source), str(target), options.force)
            if progress:
                progress(i + 1, len(pairs))
    else:
        with ProcessPoolExecutor(max_workers=options.jobs) as pool:
            futures = {pool.submit(_import_one, str(s), str(t), options.force): i for i, (s, t) in enumerate(pairs)}
            for done, future in enumerate(as_completed(futures), 1):
                i = futures[future]
                try:
                    results[i] = future.result()
                except BrokenProcessPool:  # a worker died (out of memory, killed): that file failed, say so
                    results[i] = _failed(str(pairs[i][0]), str(pairs[i][1]), "AIGIF_E_IMPORT",
                                         "the worker importing this file stopped (out of memory or killed)")
                if progress:
                    progress(done, len(pairs))
    if options.verify:
        from aigif_ref.importers.verify import Verifier
        from aigif_ref.registry import default_registry

        verifier = Verifier(default_registry(), options.min_psnr, options.models_dir)
        for result in results:
            if result["status"] in ("ok", "skipped"):
                try:
                    result["verify"] = verifier.verify(Path(result["output"]))
                except AigifError as exc:
                    result["verify"] = {"status": "error", "pixels": "kept", "error_code": exc.code, "message": exc.message}
                if "bytes" in result["verify"]:
                    result["bytes"] = result["verify"]["bytes"]
    return results  # type: ignore[return-value]


def print_summary(results: list[dict[str, Any]], console: Any) -> None:
    """Per-file problems, then a table per tool: files, every setting represented, settings coverage, sizes."""
    from rich.table import Table

    from aigif_ref.importers.coverage import summarize

    for r in results:
        if r["status"] == "error":
            console.print(f"[red]error[/red] {r['source']}: {r['error_code']}: {r['error']}", markup=True, highlight=False)
        for line in r.get("unmapped", []):
            console.print(f"note {r['source']}: {line}", markup=False, highlight=False)
        if "verify" in r:
            console.print(f"verify {r['source']}: {r['verify']['message']}", markup=False, highlight=False)
    table = Table("tool", "files", "all settings kept", "settings coverage", "bytes in", "bytes out", "median out/in",
                  title="aigif import")
    for tool, row in summarize(results).items():
        table.add_row(tool, str(row["files"]), str(row["lossless_files"]), f"{100 * row['settings_coverage']:.1f}%",
                      str(row["source_bytes"]), str(row["bytes"]), f"{row['median_size_ratio']:.3f}")
    counts = {s: sum(r["status"] == s for r in results) for s in ("ok", "skipped", "error")}
    table.caption = f"{counts['ok']} imported, {counts['skipped']} already imported (skipped), {counts['error']} failed"
    console.print(table)


def default_jobs() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def is_terminal() -> bool:
    return sys.stderr.isatty()
