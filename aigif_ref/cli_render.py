"""`aigif render`: regenerate images from AIGIF files (needs the `render` extra: torch, diffusers).

Kept apart from cli.py so that the torch-free commands never import the rendering stack: everything
heavy is imported when the command runs, and a missing package is an AIGIF_E_DEPENDENCY error
with the install command.
"""
from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path
from typing import Any

from aigif_ref.api import check_output, decode, read_bytes, write_atomic
from aigif_ref.errors import AigifError
from aigif_ref.regen.platform import DEFAULT_MAX_PIXELS, DEVICES, hold_cpu_kernels
from aigif_ref.registry import default_registry, load_registry


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "render", help="regenerate the image(s) of .aigif files",
        description="Regenerate images through diffusers: FILE.aigif -o OUT.png, or many files -o OUTDIR/ "
                    "(one PNG per input, named after it; loaded pipelines are reused). Says before each render "
                    "what fidelity to expect on this machine. Needs the render extra: pip install \"aigif[render]\", "
                    "except for files whose embedded pixels are used.")
    p.add_argument("files", nargs="+", metavar="FILE.aigif|DIR", help="files, or folders standing for the .aigif files in them")
    p.add_argument("-o", "--output", required=True, metavar="OUT.png|OUTDIR/")
    p.add_argument("--device", choices=DEVICES, default="auto",
                   help="auto (default): the recorded device kind when this machine has it, else CUDA if present, else CPU")
    p.add_argument("--models", metavar="DIR", help="folder holding model folders (also $AIGIF_MODELS); then the Hugging Face cache, then the shipped tiny models")
    p.add_argument("--payloads", metavar="DIR", action="append", default=[],
                   help="folder of model payloads SHA256.safetensors that files reference (repeatable; also $AIGIF_PAYLOADS)")
    p.add_argument("--allow-unpinned", action="store_true", help="load models whose weights the registry does not pin by sha256")
    p.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS, metavar="N",
                   help=f"refuse files that ask for more than N pixels (height x width x batch; default {DEFAULT_MAX_PIXELS})")
    p.add_argument("--max-steps", type=int, metavar="N",
                   help="refuse files that ask for more than N diffusion steps (default: no limit below the format's 1000)")
    p.add_argument("--save-array", metavar="OUT.npy|DIR/", help="also save the pipeline's float32 output (HxWx3 in [0,1]); a folder for many files")
    p.add_argument("--verify", action="store_true",
                   help="compare the image with the file's pixel digest: bit-exact, close (PSNR) or mismatch (exit 1)")
    p.add_argument("--prefer-pixels", action="store_true",
                   help="use the file's embedded pixels when it has them instead of regenerating (they are also used "
                        "when the model or torch is missing)")
    ray = p.add_argument_group("many GPUs or machines (Ray Data; needs the ray extra: pip install \"aigif[ray]\")")
    ray.add_argument("--ray", nargs="?", const="", metavar="ADDRESS",
                     help="render on a Ray cluster: one worker per GPU, each loading each pipeline once; a file that fails "
                          "is reported and the others render; files whose output already holds their render are skipped. "
                          "ADDRESS: a running cluster (auto, HOST:PORT, ray://HOST:PORT); without it, $RAY_ADDRESS or a "
                          "local one. Put --ray after the files, or write --ray=ADDRESS")
    ray.add_argument("--workers", type=int, metavar="N", help="with --ray: workers (default: the cluster's GPUs; 1 without GPUs)")
    ray.add_argument("--batch-files", type=int, default=4, metavar="N",
                     help="with --ray: files handed to a worker at a time, all sharing one pipeline (default 4)")
    ray.add_argument("--rerender", action="store_true", help="with --ray: render files whose output is already there too")
    p.set_defaults(func=cmd_render)


def expand_inputs(names: list[str]) -> list[str]:
    """Folders stand for the .aigif files directly in them (sorted by name); files are kept as given."""
    files: list[str] = []
    for name in names:
        if Path(name).is_dir():
            found = sorted(str(path) for path in Path(name).iterdir() if path.suffix == ".aigif" and path.is_file())
            if not found:
                raise AigifError("AIGIF_E_IO", f"{name}: the folder holds no .aigif files")
            files.extend(found)
        else:
            files.append(name)
    return files


def _many(args: argparse.Namespace) -> bool:
    return len(args.files) > 1 or args.output.endswith(("/", os.sep)) or Path(args.output).is_dir()


def _targets(args: argparse.Namespace) -> list[tuple[str, Path, Path | None]]:
    """(input, PNG path, array path or None) per input; refuses clashes and non-PNG names before any work."""
    if not _many(args):
        out = Path(args.output)
        if out.suffix.lower() != ".png":
            raise AigifError("AIGIF_E_IO", f"{out}: the output is written as PNG; name it .png (or give a folder)")
        return [(args.files[0], out, Path(args.save_array) if args.save_array else None)]
    outdir = Path(args.output)
    if outdir.exists() and not outdir.is_dir():
        raise AigifError("AIGIF_E_IO", f"{outdir} exists and is not a folder (many inputs need -o OUTDIR/)")
    arrays = Path(args.save_array) if args.save_array else None
    if arrays is not None and arrays.exists() and not arrays.is_dir():
        raise AigifError("AIGIF_E_IO", f"{arrays} exists and is not a folder (many inputs need --save-array DIR/)")
    stems = [Path(name).stem for name in args.files]
    if len(set(stems)) < len(stems):  # e.g. case folders that each hold an input.aigif: name by folder too
        stems = [f"{Path(name).resolve().parent.name}-{Path(name).stem}" for name in args.files]
    targets, seen = [], {}
    for name, stem in zip(args.files, stems):
        if stem in seen:
            raise AigifError("AIGIF_E_IO", f"{seen[stem]} and {name} would both be written as {stem}.png")
        seen[stem] = name
        targets.append((name, outdir / f"{stem}.png", arrays / f"{stem}.npy" if arrays else None))
    return targets


def _check_writable(path: Path, inputs: list[str]) -> None:
    """Fail before a render that may take minutes, not after it."""
    check_output(path, inputs)  # not a link, FIFO or device; not one of the inputs
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AigifError("AIGIF_E_IO", f"cannot write {path}: {exc.strerror}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise AigifError("AIGIF_E_IO", f"cannot write {path}: {folder} is not writable")


# PNG text keys: the canonical JSON record (iTXt), and AUTOMATIC1111's infotext that existing tools read.
PNG_RECORD_KEY = "aigif"
PNG_A1111_KEY = "parameters"


def png_record(record: dict[str, Any]) -> dict[str, Any]:
    """The record a rendered PNG carries: all of it but embedded pixels (the PNG is the pixels)."""
    from aigif_ref.codecs.pixels import PIXELS_EXTENSION_TYPE

    return {**record, "extensions": [e for e in record["extensions"] if e["type"] != PIXELS_EXTENSION_TYPE]}


def png_bytes(rgb: Any, record: dict[str, Any] | None = None, registry: Any = None) -> bytes:
    """PNG of RGB8 pixels; with a record, also its metadata (an `aigif` iTXt chunk and A1111 `parameters`)."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = None
    if record is not None:
        from aigif_ref import a1111
        from aigif_ref.record import dumps

        info = PngInfo()
        info.add_itxt(PNG_RECORD_KEY, dumps(png_record(record)))
        info.add_text(PNG_A1111_KEY, a1111.infotext(record, registry or default_registry()))  # iTXt if not Latin-1
    buffer = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def npy_bytes(array: Any) -> bytes:
    import numpy as np

    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _progress():
    """Per-step bars with elapsed time and an ETA on a terminal (stderr); nothing when stderr is not one."""
    from rich.console import Console
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TextColumn("eta"), TimeRemainingColumn(), console=Console(stderr=True), transient=True,
                    disable=not sys.stderr.isatty())


class _Renderers:
    """The one Renderer of a command, made on first use: files rendered from embedded pixels need no torch."""

    def __init__(self, args: argparse.Namespace, registry: Any) -> None:
        self.args, self.registry, self.renderer = args, registry, None

    def get(self) -> Any:
        if self.renderer is None:
            from aigif_ref.regen.deps import require

            require()  # a clear AIGIF_E_DEPENDENCY, with the install command, if the render extra is missing
            from aigif_ref.regen.render import Renderer  # the heavy imports happen here, not at `aigif` start-up

            self.renderer = Renderer(self.args.device, self.args.models, self.args.allow_unpinned, self.registry,
                                     max_pixels=self.args.max_pixels, max_steps=self.args.max_steps,
                                     payloads=self.args.payloads)
        return self.renderer


# Failures after which a file's embedded pixels stand in for a render: the model or the packages are missing.
# Also when the file asks for more than --max-pixels / --max-steps allow (its pixels are checked against the limit too).
FALL_BACK_ON = {"AIGIF_E_MODEL", "AIGIF_E_MODEL_MISSING", "AIGIF_E_MODEL_HASH", "AIGIF_E_MODEL_UNSAFE",
                "AIGIF_E_MODEL_UNPINNED", "AIGIF_E_DEPENDENCY", "AIGIF_E_DECODER_LIMIT"}


def _one(name: str, png: Path, array_path: Path | None, renderers: _Renderers, args: argparse.Namespace,
         registry: Any, progress: Any) -> int:
    """Render (or take the embedded pixels of) one file; returns 1 when --verify finds a mismatch."""
    from aigif_ref.codecs.pixels import PIXELS_EXTENSION_TYPE, decode_pixels
    from aigif_ref.pixel_digest import verify
    from aigif_ref.record import find_extension

    start = time.perf_counter()
    record = decode(read_bytes(name), registry)
    has_pixels = find_extension(record, PIXELS_EXTENSION_TYPE) is not None
    result = None
    diffc = _diffc_pixels(name, record, args, registry)  # a DiffC payload is the image: decode it, never regenerate
    if diffc is not None:
        rgb, how, diffc_array = diffc
        write_atomic(png, png_bytes(rgb, record, registry), inputs=args.files)
        if array_path is not None:
            write_atomic(array_path, npy_bytes(diffc_array), inputs=args.files)
        print(f"{name}: {how}; wrote {png}" + (f" and {array_path}" if array_path is not None else ""))
        return 0
    if args.prefer_pixels and has_pixels:
        rgb, how = decode_pixels(record, args.max_pixels), "took the embedded pixels (--prefer-pixels)"
    else:
        try:
            # The model first: a missing or unverifiable model is reported in well under a second, before
            # torch and diffusers take seconds to import (the renderer resolves it again from the hash cache).
            from aigif_ref.model_store import resolve_model

            resolve_model(record["model_id"], registry, args.models, args.allow_unpinned)
            hold_cpu_kernels(record, registry)  # before torch starts: the recorded CPU kernels, when this CPU runs them
            renderer = renderers.get()
            fidelity = renderer.check(record)
            print(f"{name}: {fidelity.statement}")
            for note in fidelity.notes:
                print(f"{name}: note: {note}")
            steps = progress.add_task(Path(name).name, total=record["steps"])
            result = renderer.render(record, on_step=lambda done, total: progress.update(steps, completed=done, total=total),
                                     decoded=True)
            progress.refresh()  # draw the last step before the bar goes (auto-refresh runs at 10 Hz)
            progress.remove_task(steps)
        except AigifError as exc:
            if exc.code not in FALL_BACK_ON or not has_pixels:
                raise
            print(f"{name}: cannot regenerate ({exc}); the file holds its pixels")
            rgb, how = decode_pixels(record, args.max_pixels), "took the embedded pixels"
        else:
            model = result.model
            rgb, how = result.rgb, (f"rendered with model {model.model_id} {model.name} ({model.source}: {model.path}) on "
                                    f"{result.device} in {result.seconds:.3f} s"
                                    + (f" (+{result.load_seconds:.2f} s loading)" if result.load_seconds else ""))
    write_atomic(png, png_bytes(rgb, record, registry), inputs=args.files)
    wrote = f"wrote {png}"
    if array_path is not None:
        if result is None:
            wrote += f" (no {array_path}: embedded pixels have no float array)"
        else:
            write_atomic(array_path, npy_bytes(result.array), inputs=args.files)
            wrote += f" and {array_path}"
    # The file's whole time (reading, forecast, pipeline call, PNG, writing): what the pipeline call leaves out.
    print(f"{name}: {how}; {wrote}; {time.perf_counter() - start:.3f} s for the file")
    if not args.verify:
        return 0
    check = verify(record, rgb, decode_pixels(record, args.max_pixels) if result is not None and has_pixels else None)
    print(f"{name}: verify: {check.message}")
    return 1 if check.status == "mismatch" else 0


PIXELS_EXTENSION_TYPE_DIFFC = 1  # the pixels extension, which carries DiffC payloads


def _diffc_pixels(name: str, record: dict[str, Any], args: argparse.Namespace, registry: Any) -> tuple | None:
    """(RGB8, what was done, float array) when the file's pixels are a DiffC payload, else None."""
    from aigif_ref.codecs.pixels import DIFFC_CODE
    from aigif_ref.record import find_extension

    pixels = find_extension(record, PIXELS_EXTENSION_TYPE_DIFFC)
    if pixels is None or pixels["pixel_compressor"] != DIFFC_CODE:
        return None  # checked before numpy is imported: files without DiffC need neither numpy nor torch
    from aigif_ref.diffc.files import decode_record
    if record["height"] * record["width"] > args.max_pixels:
        raise AigifError("AIGIF_E_DECODER_LIMIT", f"the DiffC image is {record['width']}x{record['height']}, above "
                                                  f"this decoder's limit of {args.max_pixels} pixels (--max-pixels)")
    from aigif_ref.regen.deps import require

    require()
    decoded = decode_record(record, registry=registry, device=args.device, models_dir=args.models,
                            allow_unpinned=args.allow_unpinned)
    payload = decoded.payload
    return decoded.rgb8, (f"decoded the DiffC payload ({payload.steps} steps, "
                          f"{sum(len(s) for s in payload.indices)} chunks) with model {record['model_id']} in "
                          f"{decoded.seconds:.2f} s"), decoded.array


def check_targets(args: argparse.Namespace) -> list[tuple[str, Path, Path | None]]:
    """The outputs of every input, each checked writable before any render starts."""
    targets = _targets(args)
    for _, png, array in targets:
        _check_writable(png, args.files)
        if array is not None:
            _check_writable(array, args.files)
    return targets


def cmd_render(args: argparse.Namespace) -> int:
    args.files = expand_inputs(args.files)
    if args.ray is not None:  # Ray is imported there, only when asked for
        from aigif_ref.scale.ray_render import cmd_render_ray

        return cmd_render_ray(args)
    registry = load_registry(args.registry) if args.registry else default_registry()
    targets = check_targets(args)
    renderers = _Renderers(args, registry)
    many = _many(args)
    status = failures = 0
    with _progress() as progress:
        files_task = progress.add_task("files", total=len(targets)) if many else None
        for name, png, array_path in targets:
            try:
                status |= _one(name, png, array_path, renderers, args, registry, progress)
            except AigifError as exc:
                if not many:
                    raise
                failures += 1
                print(f"error: {name}: {exc}", file=sys.stderr)
            except Exception as exc:  # a bug on one file must not cost the others their renders
                if not many:
                    raise
                failures += 1
                print(f"error: {name}: internal error: {type(exc).__name__}: {exc} (please report)", file=sys.stderr)
            if files_task is not None:
                progress.advance(files_task)
    if many:
        print(f"rendered {len(targets) - failures} of {len(targets)} file(s) into {args.output}")
    return 1 if failures or status else 0
