"""The `aigif` command: encode, inspect, validate and render AIGIF files; check the registry.

Every failure a user can cause prints `error: CODE: message` and exits 1; usage
errors exit 2. No command leaves a partial output file behind.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import re
import sys
from pathlib import Path
from typing import Any, Sequence

from aigif_ref import __version__, cli_real, cli_render
from aigif_ref.console import run_entry_point, stdout_console
from aigif_ref.api import decode, encode, read_bytes, write_atomic
from aigif_ref.errors import AigifError
from aigif_ref.extensions import Model
from aigif_ref.quant import cli as quant_cli
from aigif_ref.diffc import cli as diffc_cli
from aigif_ref.codecs.pixels import PIXELS_EXTENSION_TYPE
from aigif_ref.grammar.fields import GROUPS
from aigif_ref.grammar.versions import NEWEST
from aigif_ref.record import dumps, find_extension, load_json, parse_json, read_text_input
from aigif_ref.registry import Registry, default_registry, load_registry
from aigif_ref.table_one import TABLE_ONE


def _registry(args: argparse.Namespace) -> Registry:
    return load_registry(args.registry) if args.registry else default_registry()


def _progress(total: int, description: str):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn(description), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=_stderr_console(), disable=total < 2 or not sys.stderr.isatty(),
    )


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def _is_folder(output: str) -> bool:
    """A trailing slash means a folder, whether or not it exists yet."""
    return output.endswith(("/", os.sep)) or Path(output).is_dir()


def _write_stdout(data: bytes) -> None:
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def cmd_encode(args: argparse.Namespace) -> int:
    registry = _registry(args)
    if args.jsonl or args.record.endswith(".jsonl"):
        return _encode_many(args, registry)
    record = load_json(args.record)
    if not isinstance(record, dict):
        raise AigifError("AIGIF_E_RECORD", f"{args.record}: expected one JSON object (use .jsonl or --jsonl for many)")
    if args.model_payload:  # a quantized model: name its payload (spec/quantized.md §7)
        record = quant_cli.with_model_payload(record, args.model_payload, args.embed_payload)
    data = encode(record, registry)
    if args.output == "-":
        _write_stdout(data)
        return 0
    output = Path(args.output)
    if _is_folder(args.output):
        if args.record == "-":
            raise AigifError("AIGIF_E_IO", f"{output}: a record from standard input has no name; give -o FILE.aigif")
        output = output / (Path(args.record).stem + ".aigif")
    write_atomic(output, data, inputs=[args.record])
    print(f"wrote {output} ({len(data)} bytes)")
    return 0


_NUMBERED = re.compile(r"^[0-9]+\.aigif$")


def _encode_many(args: argparse.Namespace, registry: Registry) -> int:
    """One file per line of JSON Lines, named by line number (line 1 -> 000001.aigif), so that a failed
    line is a visible gap with the same number as its error, and a rerun rewrites exactly the same names."""
    source, outdir = args.record, Path(args.output)
    if args.output == "-":
        raise AigifError("AIGIF_E_IO", "many records need -o OUTDIR/, not standard output")
    text = read_text_input(source)
    if outdir.exists() and not outdir.is_dir():
        raise AigifError("AIGIF_E_IO", f"{outdir} exists and is not a folder (many records need -o OUTDIR/)")
    before = sorted(p.name for p in outdir.iterdir()) if outdir.is_dir() else []
    if before and not args.force:
        raise AigifError("AIGIF_E_IO", f"{outdir} is not empty ({len(before)} entries, e.g. {before[0]}); files of an "
                                       "earlier run would mix with this one's: use an empty folder, or --force to "
                                       "overwrite the names this run writes")
    where = "standard input" if source == "-" else source
    try:
        lines = text.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise AigifError("AIGIF_E_RECORD", f"{where} is not UTF-8: {exc}") from None
    numbered = [(n, line) for n, line in enumerate(lines, 1) if line.strip()]
    width = max(6, len(str(len(lines))))
    written: list[str] = []
    failed: list[int] = []
    with _progress(len(numbered), "encoding") as progress:
        task = progress.add_task("encode", total=len(numbered))
        for line_no, line in numbered:
            name = f"{line_no:0{width}d}.aigif"
            try:
                record = parse_json(line, f"{where}:{line_no}")
                if not isinstance(record, dict):
                    raise AigifError("AIGIF_E_RECORD", "expected a JSON object")
                write_atomic(outdir / name, encode(record, registry), inputs=[source])
                written.append(name)
            except AigifError as exc:
                failed.append(line_no)
                print(f"error: {where}:{line_no}: {exc}", file=sys.stderr)
            progress.advance(task)
    summary = f"wrote {len(written)} file(s) to {outdir}"
    if written:
        summary += f" ({_span(written)}, named by line number)"
    if failed:
        summary += f"; {len(failed)} line(s) failed, no file for line(s) {', '.join(map(str, failed))}"
    print(summary)
    stale = [name for name in before if _NUMBERED.match(name) and name not in written]
    if stale:
        print(f"note: {len(stale)} file(s) in {outdir} are from before this run, not from {where}: "
              f"{', '.join(stale[:10])}{', ...' if len(stale) > 10 else ''}", file=sys.stderr)
    return 1 if failed else 0


def _span(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{names[0]} ... {names[-1]}"


def _table_rows(record: dict[str, Any], registry: Registry) -> list[tuple[str, str]]:
    """Table I of the paper, in its order, with registry names resolved."""
    e = registry.enum_name
    pixels = find_extension(record, PIXELS_EXTENSION_TYPE)
    model_ext = find_extension(record, Model.code)
    model = registry.models.get(record["model_id"])
    model_name = f"{model['name']} (family {model['family']})" if model else "unknown"
    values = {  # keyed by the Table I row names of aigif_ref/table_one.py, shown in the paper's order
        "saving pixels": "1=Yes" if pixels else "0=No",
        "pixel compressor": f"{pixels['pixel_compressor']}={e('pixel_compressors', pixels['pixel_compressor'])}" if pixels else "-",
        "saving model": "1=Yes" if model_ext else "0=No",
        "model compressor": f"{model_ext['model_compressor']}={e('model_compressors', model_ext['model_compressor'])}" if model_ext else "-",
        "text compressor": f"{record['text_compressor']}={e('text_compressors', record['text_compressor'])}",
        "device": f"{record['device']}={e('devices', record['device'])}",
        "gpu": f"{record['gpu']}={e('gpus', record['gpu'])}",
        "cuda": f"{record['cuda']}={e('cuda_versions', record['cuda'])}",
        "model ID": f"{record['model_id']}={model_name}",
        "data type": f"{record['dtype']}={e('dtypes', record['dtype'])}",
        "scheduler": f"{record['scheduler']}={e('schedulers', record['scheduler'])}",
        "prompt": json.dumps(record["prompt"], ensure_ascii=False),
        "negative prompt": "(none)" if record["negative_prompt"] is None else json.dumps(record["negative_prompt"], ensure_ascii=False),
        "height": str(record["height"]),
        "width": str(record["width"]),
        "seed": str(record["seed"]),
        "diffusion steps": str(record["steps"]),
        "guidance scale": repr(record["guidance_scale"]),
    }
    rows = [(row.name, values[row.name]) for row in TABLE_ONE if row.name in values]
    for group in GROUPS:
        rows += [(f"{group}.{k}", json.dumps(v)) for k, v in record[group].items()]
    known_types = registry.enum("extension_types")
    for ext in record["extensions"]:
        name = known_types[ext["type"]]["name"] if ext["type"] in known_types else "unknown"
        if "data" in ext:
            detail = f"algorithm {ext['digest_algorithm']}={e('digest_algorithms', ext['digest_algorithm'])}, " \
                if "digest_algorithm" in ext else ""
            detail += f"{len(base64.b64decode(ext['data']))} bytes"
        else:  # a body declared as slots (types 4-9): its fields, as the JSON record has them
            detail = json.dumps({k: v for k, v in ext.items() if k not in ("type", "must_understand")}, ensure_ascii=False)
        rows.append((f"extension {ext['type']} ({name})", f"{'must-understand, ' if ext['must_understand'] else ''}{detail}"))
    return rows


def cmd_inspect(args: argparse.Namespace) -> int:
    registry = _registry(args)
    status = 0
    for name in args.files:
        try:
            data = read_bytes(name)
            record = decode(data, registry)
        except AigifError as exc:
            print(f"error: {name}: {exc}", file=sys.stderr)
            status = 1
            continue
        if args.json:
            # One file: the record itself (it encodes back as is); several: say which file each line is.
            print(dumps(record) if len(args.files) == 1 else dumps({"file": name, "record": record}))
            continue
        from rich.table import Table

        table = Table(title=f"{name} — AIGIF {record['aigif_version']}, {len(data)} bytes", show_lines=False)
        table.add_column("field")
        table.add_column("value", overflow="fold")
        for field, value in _table_rows(record, registry):
            table.add_row(field, value)
        stdout_console().print(table)
    return status


def cmd_validate(args: argparse.Namespace) -> int:
    registry = _registry(args)
    status = 0
    for name in args.files:
        try:
            decode(read_bytes(name), registry)
            result = {"file": name, "valid": True, "error": None, "offset": None}
        except AigifError as exc:
            result = {"file": name, "valid": False, "error": exc.code, "offset": exc.offset, "message": exc.message}
            status = 1
        if args.json:
            print(json.dumps(result, ensure_ascii=False))
        elif result["valid"]:
            print(f"{name}: valid")
        else:
            where = f" at byte {result['offset']}" if result["offset"] is not None else ""
            print(f"{name}: INVALID {result['error']}{where}: {result['message']}")
    return status


def cmd_registry_check(args: argparse.Namespace) -> int:
    from aigif_ref.registry import DEFAULT_REGISTRY
    from aigif_ref.registry_lint import check_registry

    path = args.check_registry or args.registry or os.environ.get("AIGIF_REGISTRY") or DEFAULT_REGISTRY
    report = check_registry(path, args.base)
    print(json.dumps([p.as_dict() for p in report.problems], indent=2, ensure_ascii=False) if args.json else report.text())
    return 0 if report.ok else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aigif",
        description="Encode, inspect, validate and render AIGIF files (AI-generated images stored as their generation syntax).",
    )
    parser.add_argument("--version", action="version", version=f"aigif {__version__} (format {NEWEST}: reads and writes 1.0-{NEWEST})")
    parser.add_argument("--registry", metavar="PATH", help="registry.json to use (default: the shipped one, or $AIGIF_REGISTRY)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "encode", help="JSON record(s) -> .aigif",
        description="Encode a JSON record (RECORD.json -> FILE.aigif, or OUTDIR/RECORD.aigif) or many (RECORDS.jsonl "
                    "-> OUTDIR/, one file per line named by its line number: line 1 -> 000001.aigif). \"-\" reads "
                    "standard input; -o - writes one file to standard output. Outputs are new regular files with "
                    "the umask's mode (a replaced file keeps its mode); a symbolic link, FIFO or device at the "
                    "output path, or the input itself, is refused.")
    p.add_argument("record", metavar="RECORD.json|RECORDS.jsonl|-")
    p.add_argument("-o", "--output", required=True, metavar="FILE.aigif|OUTDIR/|-",
                   help="a file, a folder (a trailing slash or an existing folder), or - for standard output")
    p.add_argument("--jsonl", action="store_true", help="read JSON Lines (the default for names ending .jsonl)")
    p.add_argument("--force", action="store_true", help="JSON Lines into a folder that is not empty: overwrite the "
                                                         "names this run writes (other files are listed, not removed)")
    p.add_argument("--model-payload", metavar="PAYLOAD.safetensors", help="reference this quantized model payload (by sha256) from the file")
    p.add_argument("--embed-payload", action="store_true", help="with --model-payload: carry the payload inside the file")
    p.set_defaults(func=cmd_encode)

    p = sub.add_parser("inspect", help="show a file's fields", description="Show the fields of AIGIF files as a table (Table I order) or as canonical JSON records.")
    p.add_argument("files", nargs="+", metavar="FILE.aigif")
    p.add_argument("--json", action="store_true", help='print the canonical JSON record; for several files one '
                                                          '{"file", "record"} object per line')
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser("validate", help="check files; exit 0 only if all are valid", description="Validate AIGIF files: syntax, canonical form, limits, CRC and registry codes.")
    p.add_argument("files", nargs="+", metavar="FILE.aigif")
    p.add_argument("--json", action="store_true", help='one JSON object per file: {"file", "valid", "error", "offset", "message"}')
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("registry", help="registry maintenance", description="Registry maintenance (spec/registry.md).")
    p = p.add_subparsers(dest="registry_command", required=True, metavar="SUBCOMMAND").add_parser(
        "check", help="check registry.json (and a change to it); exit 0 only if it is accepted",
        description="Check a registry.json against the rules of spec/registry.md and, with --base, the change from a git "
                    "revision (append-only). Every problem is reported; exit 1 if there is any. See spec/contributing.md.")
    p.add_argument("--base", metavar="GIT_REF", help="check the change from this revision's registry.json, e.g. origin/main")
    p.add_argument("--registry", dest="check_registry", metavar="PATH", help="registry.json to check (default: as for `aigif --registry`)")
    p.add_argument("--json", action="store_true", help='print a JSON list of problems: [{"code", "kind", "path", "message"}]')
    p.set_defaults(func=cmd_registry_check)

    cli_render.add_parser(sub)  # torch-free until it runs
    quant_cli.add_parser(sub)
    cli_real.add_parsers(sub)  # models add, import, export (issue 12)
    diffc_cli.add_parser(sub)  # compress --diffc (issue 15)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_entry_point(lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    try:
        return args.func(args)
    except AigifError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        raise  # the reader closed the pipe: run_entry_point ends quietly
    except Exception as exc:  # a bug, not bad input: say so instead of a traceback
        print(f"error: internal error in aigif {__version__}: {type(exc).__name__}: {exc} (please report)", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
