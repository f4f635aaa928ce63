"""Render many AIGIF files on a Ray cluster (`aigif render FILES_OR_DIRS... -o OUTDIR/ --ray [ADDRESS]`).

The driver decodes every file (a file that does not decode is reported here, with its code), skips those
whose output already holds their render, and groups the rest by what their pipeline's weights depend on
(:func:`aigif_ref.regen.pipelines.pipeline_key`: model, quantization payload, dtype, load-time settings,
adapters, model file). Each group is cut into batches of a few files; a Ray Data pipeline hands the
batches, group after group, to a fixed pool of worker actors (one GPU each), so a worker loads each
pipeline once and keeps it for the group's later batches (the renderer's pipeline cache).

A worker renders a file with the plain renderer's own per-file function (:func:`aigif_ref.cli_render._one`),
so the PNG bytes are those of `aigif render` without --ray on the same machine; it writes the outputs
itself (OUTDIR must be a folder every worker sees: a shared file system on a cluster of several machines).
A file that fails is a result row with its AIGIF_E_* code, never an exception that stops the run.
Ctrl-C, SIGTERM and SIGHUP stop the run as they stop the plain renderer (ray.init's own SIGTERM handler is
undone): the cluster it started is stopped, temporaries of outputs being written are removed, outputs are whole.

Ray is imported by :func:`import_ray` only: `aigif` without --ray never loads it.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from aigif_ref.api import TEMPORARY_NAME, decode, read_bytes
from aigif_ref.errors import AigifError
from aigif_ref.registry import Registry, default_registry, load_registry

RAY_INSTALL_HINT = 'pip install "aigif[ray]"  (from a checkout: pip install -e ".[ray]")'
# The driver's settings a worker needs as they are here: where models, payloads and the registry are, and the
# CPU thread variables (Ray sets OMP_NUM_THREADS in its workers; CPU pixels depend on the thread count).
DRIVER_ENVIRONMENT = ("AIGIF_", "HF_", "HUGGINGFACE_")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")
RESULT_FIELDS = ("file", "output", "status", "code", "message", "seconds", "finished", "worker", "log")


@dataclass
class FileResult:
    """What happened to one input file."""

    file: str
    output: str
    status: str  # rendered | mismatch (rendered; --verify found a mismatch) | skipped (already rendered) | failed
    code: str = ""  # the AIGIF_E_* code of a failure
    message: str = ""
    seconds: float = 0.0  # the worker's time on the file (loading its pipeline included)
    finished: float = 0.0  # time.time() when it was done
    worker: str = ""  # host:pid (GPU ids) of the worker that rendered it
    log: str = ""  # what the per-file renderer printed (fidelity forecast, model, verify)


@dataclass
class RenderSummary:
    results: list[FileResult]
    seconds: float  # the whole run, start-up and shut-down included
    workers: int
    gpus_per_worker: float
    batches: int
    groups: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(r.status in ("rendered", "skipped") for r in self.results)


def import_ray() -> Any:
    """The ray module with Ray Data, or AIGIF_E_DEPENDENCY with the install command."""
    try:
        import ray
        import ray.data  # noqa: F401  (the extra installs ray[data]; plain ray lacks pyarrow and pandas)
    except ImportError as exc:
        raise AigifError("AIGIF_E_DEPENDENCY", f"--ray needs Ray Data ({exc.name or 'ray'} is not installed): "
                                               f"{RAY_INSTALL_HINT}") from None
    return ray


def render_options(files: Sequence[str | os.PathLike], output: str | os.PathLike, **options: Any) -> argparse.Namespace:
    """The options of `aigif render FILES -o OUTPUT --ray`, with the command's own defaults for what is not given
    (``device``, ``models``, ``payloads``, ``allow_unpinned``, ``max_pixels``, ``max_steps``, ``save_array``,
    ``verify``, ``prefer_pixels``, ``workers``, ``batch_files``, ``rerender``, ``registry``)."""
    from aigif_ref.cli_render import add_parser

    parser = argparse.ArgumentParser()
    parser.add_argument("--registry")
    add_parser(parser.add_subparsers(dest="command"))
    folder = os.path.join(str(output), "")  # a trailing separator: a folder, whatever the number of files
    args = parser.parse_args(["render", *map(str, files), "-o", folder, "--ray="])
    for name, value in options.items():
        if not hasattr(args, name):
            raise TypeError(f"render_options: unknown option {name!r}")
        setattr(args, name, value)
    return args


def render_many(files: Sequence[str | os.PathLike], output: str | os.PathLike, *, address: str | None = None,
                on_result: Callable[[FileResult], None] | None = None, **options: Any) -> RenderSummary:
    """Render ``files`` (folders stand for their .aigif files) into the folder ``output`` on a Ray cluster.

    ``address``: a running cluster (as for ``ray.init``); None joins the one this process is connected to, or
    $RAY_ADDRESS's, or starts a local one (stopped again at the end). ``options``: see :func:`render_options`.
    ``on_result`` is called in the driver as each file's result arrives. Failures are results, not exceptions;
    an AigifError is raised only for what stops the whole run (Ray missing, an output that cannot be written).
    """
    from aigif_ref.cli_render import expand_inputs

    args = render_options(expand_inputs([str(f) for f in files]), output, **options)
    args.ray = address or ""
    return _run(args, on_result or (lambda result: None))


def cmd_render_ray(args: argparse.Namespace) -> int:
    """`aigif render ... --ray`: per-file lines as results arrive, a progress bar on a terminal, a summary table."""
    from aigif_ref.cli_render import _progress

    with _progress() as progress:
        task = progress.add_task("files", total=None)

        def report(result: FileResult) -> None:
            for line in result.log.splitlines():  # the per-file lines of the plain renderer, from the worker
                print(line)
            if result.status == "failed":
                print(f"error: {result.file}: {result.code}: {result.message}", file=sys.stderr)
            elif result.status == "skipped":
                print(f"{result.file}: skipped: {result.output} already holds its render (--rerender renders it again)")
            progress.advance(task)

        summary = _run(args, report, lambda total: progress.update(task, total=total))
    print_summary(summary, args.output)
    return 0 if summary.ok else 1


def _run(args: argparse.Namespace, on_result: Callable[[FileResult], None],
         on_total: Callable[[int], None] = lambda total: None) -> RenderSummary:
    from aigif_ref.cli_render import check_targets

    start = time.perf_counter()
    ray = import_ray()  # before any work: --ray without Ray fails at once
    if args.workers is not None and args.workers < 1:
        raise AigifError("AIGIF_E_IO", f"--workers {args.workers}: give at least 1")
    if args.batch_files < 1:
        raise AigifError("AIGIF_E_IO", f"--batch-files {args.batch_files}: give at least 1")
    registry = load_registry(args.registry) if args.registry else default_registry()
    targets = check_targets(args)
    on_total(len(targets))
    results: list[FileResult] = []
    pending: dict[str, list[tuple[str, str, str | None]]] = {}  # group key -> its files, in input order

    def done(result: FileResult) -> None:
        results.append(result)
        on_result(result)

    for name, png, array in targets:
        try:
            record = decode(read_bytes(name), registry)
            if not args.rerender and already_rendered(record, png, array, registry):
                done(FileResult(name, str(png), "skipped", finished=time.time()))
                continue
            key = _group_key(record, registry)
        except AigifError as exc:
            done(FileResult(name, str(png), "failed", exc.code, exc.message, finished=time.time()))
            continue
        pending.setdefault(key, []).append((name, str(png), str(array) if array is not None else None))
    batches = [json.dumps(group[i:i + args.batch_files]) for group in pending.values()
               for i in range(0, len(group), args.batch_files)]
    workers, gpus = 0, 0.0
    if batches:
        started = _connect(ray, args.ray)
        try:
            workers, gpus = _pool(ray, args)
            _execute(ray, args, batches, workers, gpus, done)
        finally:
            if started:
                ray.shutdown()
            # A worker stopped mid-write (the run interrupted, a worker killed) leaves write_atomic's temporary
            # file beside its output, never a half output: remove those of this run's outputs.
            remove_temporaries([path for _, png, array in targets for path in (png, array) if path is not None])
    seen = {r.file for r in results}
    for group in pending.values():  # a worker that died (killed, out of memory) takes its batch's results with it
        for name, png, _ in group:
            if name not in seen:
                done(FileResult(name, png, "failed", "AIGIF_E_RENDER", "its Ray worker stopped before reporting it "
                                                                       "(see the Ray logs); run again to retry it",
                                finished=time.time()))
    order = {name: i for i, (name, _, _) in enumerate(targets)}
    results.sort(key=lambda r: order[r.file])
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    return RenderSummary(results, time.perf_counter() - start, workers, gpus, len(batches), len(pending), counts)


def _group_key(record: dict[str, Any], registry: Registry) -> str:
    from aigif_ref.regen.pipelines import pipeline_key

    return repr(pipeline_key(record, registry))


def already_rendered(record: dict[str, Any], png: Path, array: Path | None, registry: Registry) -> bool:
    """Whether ``png`` is a complete PNG that carries exactly this record (so it was rendered from this file), and
    the float array is there too when one is asked for. Outputs are written whole or not at all (write_atomic)."""
    from PIL import Image

    from aigif_ref.cli_render import PNG_RECORD_KEY, png_record
    from aigif_ref.record import dumps

    if not png.is_file() or (array is not None and not array.is_file()):
        return False
    try:
        with Image.open(png) as image:
            image.load()  # reads every pixel: a damaged PNG is rendered again
            stored = image.text.get(PNG_RECORD_KEY)
    except Exception:  # not a PNG, damaged: render it again
        return False
    return stored == dumps(png_record(record))


def _connect(ray: Any, address: str) -> bool:
    """Join or start a cluster; True when this call started it (so it is stopped at the end)."""
    if ray.is_initialized():
        return False
    try:
        with _signal_handlers_kept():
            ray.init(address=address or None, include_dashboard=False, logging_level=logging.WARNING,
                     log_to_driver=False, configure_logging=True)
    except ConnectionError as exc:
        raise AigifError("AIGIF_E_IO", f"--ray {address or os.environ.get('RAY_ADDRESS', '')}: no Ray cluster answers "
                                       "there; start one with `ray start --head` or leave ADDRESS out") from exc
    return True


@contextlib.contextmanager
def _signal_handlers_kept() -> Any:
    """ray.init() makes SIGTERM a bare SystemExit in the driver; keep the handlers the command had (the CLI's turn
    SIGTERM and SIGHUP into :class:`aigif_ref.console.Terminated`: the run stops its cluster, removes temporary
    files and says "terminated")."""
    names = ("SIGTERM", "SIGHUP", "SIGINT")
    kept = {getattr(signal, n): signal.getsignal(getattr(signal, n)) for n in names if hasattr(signal, n)} \
        if threading.current_thread() is threading.main_thread() else {}
    try:
        yield
    finally:
        for signum, handler in kept.items():
            if handler is not None:  # None: set outside Python, cannot be put back
                signal.signal(signum, handler)


def remove_temporaries(outputs: Sequence[Path]) -> int:
    """Remove the temporary files write_atomic leaves beside ``outputs`` when its process is killed mid-write
    (``.NAME.<12 hex digits>.tmp``); returns how many were removed. Nothing else is touched."""
    by_folder: dict[Path, set[str]] = {}
    for output in outputs:
        by_folder.setdefault(Path(output).parent, set()).add(Path(output).name)
    removed = 0
    for folder, names in by_folder.items():
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            match = TEMPORARY_NAME.fullmatch(entry.name)
            if match and match.group(1) in names and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed += 1
    return removed



def _pool(ray: Any, args: argparse.Namespace) -> tuple[int, float]:
    """(workers, GPUs per worker): one GPU each when the cluster has GPUs and --device allows them."""
    resources = ray.cluster_resources()
    gpus = int(resources.get("GPU", 0))
    use_gpu = gpus > 0 and args.device not in ("cpu", "mps")
    workers = args.workers or (gpus if use_gpu else 1)
    if use_gpu and workers > gpus:
        raise AigifError("AIGIF_E_PLATFORM", f"--workers {workers}: the Ray cluster has {gpus} GPU(s), one per worker")
    return workers, 1.0 if use_gpu else 0.0


def _execute(ray: Any, args: argparse.Namespace, batches: list[str], workers: int, gpus: float,
             done: Callable[[FileResult], None]) -> None:
    logging.getLogger("ray.data").setLevel(logging.ERROR)  # its notices are about Ray, not the files
    context = ray.data.DataContext.get_current()
    saved = context.enable_progress_bars, context.max_errored_blocks
    context.enable_progress_bars = False  # the command draws its own
    context.max_errored_blocks = -1  # a dead worker costs its batch (reported), not the run
    try:
        _stream(ray, args, batches, workers, gpus, done)
    finally:
        context.enable_progress_bars, context.max_errored_blocks = saved


def _stream(ray: Any, args: argparse.Namespace, batches: list[str], workers: int, gpus: float,
            done: Callable[[FileResult], None]) -> None:
    options = {name: getattr(args, name) for name in ("device", "models", "payloads", "allow_unpinned", "max_pixels",
                                                      "max_steps", "verify", "prefer_pixels", "registry", "save_array")}
    environment = {k: v for k, v in os.environ.items() if k.startswith(DRIVER_ENVIRONMENT)}
    threads = {k: os.environ.get(k) for k in THREAD_VARIABLES}
    dataset = ray.data.from_items([{"batch": batch} for batch in batches], override_num_blocks=len(batches))
    # One batch per block, so that batches reach the workers one by one; a worker runs one batch at a time
    # (Ray Data's default for actors), so its pipelines are never used by two renders at once.
    dataset = dataset.map_batches(RenderWorker, batch_size=1, batch_format="numpy",
                                  compute=ray.data.ActorPoolStrategy(size=workers), num_gpus=gpus, num_cpus=1,
                                  fn_constructor_kwargs={"options": options, "environment": environment,
                                                         "threads": threads})
    for row in dataset.iter_rows():
        done(FileResult(**{name: float(row[name]) if name in ("seconds", "finished") else str(row[name])
                           for name in RESULT_FIELDS}))


class RenderWorker:
    """A Ray Data worker (one per GPU): the plain renderer's per-file function over batches of files, its pipelines
    kept between batches."""

    def __init__(self, options: dict[str, Any], environment: dict[str, str], threads: dict[str, str | None]) -> None:
        os.environ.update(environment)
        for name, value in threads.items():  # the driver's thread settings, not the ones Ray gives its workers
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        from aigif_ref.cli_render import _progress, _Renderers

        self.args = argparse.Namespace(**options, files=[], output="")
        self.registry = load_registry(self.args.registry) if self.args.registry else default_registry()
        self.renderers = _Renderers(self.args, self.registry)
        self.progress = _progress()
        self.progress.disable = True  # nobody watches a worker's terminal
        self.name = socket.gethostname() + f":{os.getpid()}"

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        rows: dict[str, list] = {name: [] for name in RESULT_FIELDS}
        for encoded in batch["batch"]:
            files = json.loads(str(encoded))
            for name, png, array in files:
                self.args.files = [f[0] for f in files]  # the inputs no output may replace
                for key, value in asdict(self.render(name, png, array)).items():
                    rows[key].append(value)
        return rows

    def render(self, name: str, png: str, array: str | None) -> FileResult:
        from aigif_ref.cli_render import _one

        if not self.name.endswith(")"):  # the GPU ids are known once the actor runs
            import ray

            ids = ray.get_gpu_ids()
            self.name += f" (GPU {','.join(map(str, ids))})" if ids else " (CPU)"
        log = io.StringIO()
        start = time.perf_counter()
        status, code, message = "rendered", "", ""
        try:
            with contextlib.redirect_stdout(log):
                if _one(name, Path(png), Path(array) if array else None, self.renderers, self.args, self.registry,
                        self.progress):
                    status, message = "mismatch", "--verify: the image does not match the file's pixel digest"
        except AigifError as exc:
            status, code, message = "failed", exc.code, exc.message
        except Exception as exc:  # a bug on one file must not cost the others their renders
            status, code, message = "failed", "AIGIF_E_RENDER", f"unexpected {type(exc).__name__}: {exc} (please report)"
        return FileResult(name, png, status, code, message, time.perf_counter() - start, time.time(), self.name,
                          log.getvalue())


def print_summary(summary: RenderSummary, output: str) -> None:
    """The table at the end of a run: files by outcome, failures by code, workers and throughput."""
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False, soft_wrap=True)
    rendered = [r for r in summary.results if r.status in ("rendered", "mismatch")]
    table = Table(title=f"aigif render --ray: {len(summary.results)} file(s) into {output}")
    table.add_column("outcome")
    table.add_column("files", justify="right")
    for status in ("rendered", "mismatch", "skipped", "failed"):
        if summary.counts.get(status):
            table.add_row(status, str(summary.counts[status]))
    codes: dict[str, int] = {}
    for result in summary.results:
        if result.status == "failed":
            codes[result.code] = codes.get(result.code, 0) + 1
    for code, count in sorted(codes.items()):
        table.add_row(f"  failed: {code}", str(count))
    console.print(table)
    workers = f"{summary.workers} worker(s), {'1 GPU' if summary.gpus_per_worker else 'CPU'} each" if summary.workers \
        else "no worker needed"
    rate = f"; {len(rendered) / summary.seconds:.2f} files/s overall" if rendered and summary.seconds > 0 else ""
    console.print(f"{workers}; {summary.groups} pipeline group(s) in {summary.batches} batch(es); "
                  f"{summary.seconds:.1f} s{rate}")


__all__ = ["FileResult", "RenderSummary", "RenderWorker", "already_rendered", "cmd_render_ray", "import_ray",
           "print_summary", "remove_temporaries", "render_many", "render_options"]
