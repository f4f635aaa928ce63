"""`aigif models add`, `aigif import` and `aigif export --a1111` (issue 12): bring existing images and models."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from aigif_ref.errors import AigifError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


def cmd_models_add(args: argparse.Namespace) -> int:
    from aigif_ref.user_models import add, overlay_path

    for entry in add([Path(p) for p in args.paths], args.family):
        print(f"{entry['kind']:<18} {entry['sha256']}  autov2 {entry['autov2']}  {entry['path']}")
    print(f"overlay: {overlay_path()}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from aigif_ref.importers.files import import_file
    from aigif_ref.registry import default_registry
    from aigif_ref.user_models import load_overlay

    registry, overlay = default_registry(), load_overlay()
    sources: list[Path] = []
    for path in map(Path, args.paths):
        sources += sorted(p for p in path.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES) if path.is_dir() else [path]
    outdir = Path(args.output)
    outdir.mkdir(parents=True, exist_ok=True)
    results: list[dict[str, Any]] = []
    from rich.console import Console
    from rich.progress import track
    from rich.table import Table

    console = Console(stderr=True)
    for source in track(sources, description="importing", console=console, disable=len(sources) < 2 or not sys.stderr.isatty()):
        results.append(import_file(source, outdir, registry, overlay))
    table = Table("file", "status", "bytes in", "bytes out", "unmapped")
    for r in results:
        table.add_row(r["source"], r["status"], str(r.get("source_bytes", "")), str(r.get("bytes", "")),
                      "; ".join(r.get("unmapped", [])) or r.get("error", ""))
    console.print(table)
    report = outdir / "import-report.json"
    from aigif_ref.api import write_atomic

    write_atomic(report, (json.dumps(results, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    failed = sum(r["status"] == "error" for r in results)
    print(f"imported {len(results) - failed} of {len(results)} files; report: {report}")
    return 1 if failed else 0


def cmd_export(args: argparse.Namespace) -> int:
    from aigif_ref.api import decode, read_bytes
    from aigif_ref.importers.export import a1111_infotext

    print(a1111_infotext(decode(read_bytes(args.file))))
    return 0


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("models", help="the user model overlay", description="Models named by content hash, outside the registry.")
    p = p.add_subparsers(dest="models_command", required=True, metavar="SUBCOMMAND").add_parser(
        "add", help="hash .safetensors files and add them to the user overlay",
        description="Hash .safetensors files (a file, or every one under a folder) and record them in "
                    "$AIGIF_HOME/models.json (default ~/.config/aigif/models.json).")
    p.add_argument("paths", nargs="+", metavar="DIR|FILE")
    p.add_argument("--family", help="registry model family of checkpoints (sd1, sdxl, ...)")
    p.set_defaults(func=cmd_models_add)
    p = sub.add_parser("import", help="existing images (A1111/Forge PNG, JPEG, WebP) -> .aigif",
                       description="Convert AI-generated images with their tool's metadata into AIGIF files that keep the "
                                   "original pixels (PNG or lossless JPEG XL, the smaller) and their digest.")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR")
    p.set_defaults(func=cmd_import)
    p = sub.add_parser("export", help="print a file's settings in another tool's format")
    p.add_argument("--a1111", action="store_true", required=True, help="A1111 infotext")
    p.add_argument("file")
    p.set_defaults(func=cmd_export)
