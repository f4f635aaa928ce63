"""`aigif models add`, `aigif import`, `aigif export --a1111` and `aigif thumbnail` (issue 12): existing images and models in, views out."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from aigif_ref.errors import AigifError


def folder_jobs() -> int:
    from aigif_ref.importers.folder import default_jobs

    return default_jobs()


def cmd_models_add(args: argparse.Namespace) -> int:
    from aigif_ref.user_models import add, overlay_path

    for entry in add([Path(p) for p in args.paths], args.family):
        print(f"{entry['kind']:<18} {entry['sha256']}  autov2 {entry['autov2']}  {entry['path']}")
    print(f"overlay: {overlay_path()}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from aigif_ref.api import write_atomic
    from aigif_ref.importers import folder

    if args.min_psnr is not None and not args.verify_regeneration:
        raise AigifError("AIGIF_E_IO", "--min-psnr needs --verify-regeneration")
    outdir = Path(args.output)
    if outdir.exists() and not outdir.is_dir():
        raise AigifError("AIGIF_E_IO", f"{outdir} exists and is not a folder (the output is a folder: -o OUTDIR/)")
    options = folder.Options(outdir, max(1, args.jobs), args.force, args.verify_regeneration, args.min_psnr, args.models)
    console = Console(stderr=True)
    with Progress(TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console,
                  disable=not folder.is_terminal()) as progress:
        task = progress.add_task("import", total=None)
        results = folder.run([Path(p) for p in args.paths], options,
                             lambda done, total: progress.update(task, completed=done, total=total))
    folder.print_summary(results, console)
    report = Path(args.report) if args.report else outdir / "import-report.json"
    write_atomic(report, (json.dumps(results, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    failed = sum(r["status"] == "error" for r in results)
    print(f"imported {len(results) - failed} of {len(results)} files; report: {report}")
    return 1 if failed else 0


def cmd_thumbnail(args: argparse.Namespace) -> int:
    from aigif_ref.api import write_atomic
    from aigif_ref.pillow import thumbnail_png

    if args.size < 1:
        raise AigifError("AIGIF_E_RANGE", "--size must be at least 1 pixel")
    write_atomic(args.output, thumbnail_png(args.file, args.size, render=not args.no_render), inputs=[args.file])
    print(f"wrote {args.output}")
    return 0


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
    p = sub.add_parser("import", help="existing images (A1111/Forge, ComfyUI, InvokeAI, Fooocus, NovelAI, SwarmUI, "
                                      "Draw Things) -> .aigif",
                       description="Convert AI-generated images with their tool's metadata into AIGIF files that keep the "
                                   "original pixels (PNG or lossless JPEG XL, the smaller) and their digest. Folders are "
                                   "searched recursively; outputs mirror their layout; a rerun skips outputs that exist "
                                   "and match. What a file's settings hold that AIGIF cannot represent is reported per "
                                   "file and kept verbatim in the output.")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR")
    p.add_argument("--jobs", "-j", type=int, default=folder_jobs(), metavar="N", help="parallel workers (default: %(default)s)")
    p.add_argument("--force", action="store_true", help="import again even where a matching output exists")
    p.add_argument("--report", metavar="FILE", help="JSON report (default OUTDIR/import-report.json)")
    p.add_argument("--verify-regeneration", action="store_true",
                   help="render each imported file with the reference decoder; drop its pixels where the render is bit-exact")
    p.add_argument("--min-psnr", type=float, metavar="DB", help="with --verify-regeneration: also drop pixels where the "
                                                                "render's PSNR against them is at least DB")
    p.add_argument("--models", metavar="DIR", help="model folder for --verify-regeneration (as for aigif render)")
    p.set_defaults(func=cmd_import)
    p = sub.add_parser("thumbnail", help="a PNG thumbnail of a .aigif (for file managers)",
                       description="Write a PNG thumbnail of an AIGIF file: its embedded pixels, or a render through the "
                                   "reference decoder when it holds none.")
    p.add_argument("file", metavar="FILE.aigif")
    p.add_argument("-o", "--output", required=True, metavar="OUT.png")
    p.add_argument("--size", type=int, default=256, metavar="N", help="longest side in pixels (default 256)")
    p.add_argument("--no-render", action="store_true", help="fail (AIGIF_E_NO_PIXELS) instead of rendering a file without pixels")
    p.set_defaults(func=cmd_thumbnail)
    p = sub.add_parser("export", help="print a file's settings in another tool's format")
    p.add_argument("--a1111", action="store_true", required=True, help="A1111 infotext")
    p.add_argument("file")
    p.set_defaults(func=cmd_export)
