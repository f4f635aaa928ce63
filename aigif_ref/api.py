"""Public Python API: bytes <-> canonical JSON record, and atomic file writes."""
from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
from pathlib import Path
from typing import Any, Iterable

from aigif_ref.errors import FILE_ERROR_CODES, AigifError
from aigif_ref.grammar import limits
from aigif_ref.grammar.aigif import build_file, parse_file
from aigif_ref.record import json_to_syntax, syntax_to_json
from aigif_ref.registry import Registry, default_registry
from aigif_ref.record_rules import check_record_rules


def decode(data: bytes, registry: Registry | None = None) -> dict[str, Any]:
    """Parse and validate AIGIF bytes; return the canonical JSON record."""
    registry = registry or default_registry()
    syntax = parse_file(data, registry)
    check_record_rules(syntax, registry)
    return syntax_to_json(syntax)


def encode(record: dict[str, Any], registry: Registry | None = None) -> bytes:
    """Canonical AIGIF bytes for a JSON record (names or codes; text compressor chosen if absent)."""
    registry = registry or default_registry()
    try:
        syntax = json_to_syntax(record, registry)
        check_record_rules(syntax, registry)
        return build_file(syntax, registry)
    except AigifError as exc:
        # File codes describe bytes; a record no valid file can hold is a bad record (spec 10.1).
        # Registry verdicts stay as a reader would give them for the same record.
        if exc.code in FILE_ERROR_CODES and exc.code not in RECORD_REGISTRY_CODES:
            raise AigifError("AIGIF_E_RECORD", f"{exc.message} (fix the record: this value cannot be written)") from None
        raise


# Errors encode reports as a reader does: the record is well formed, the registry does not know it.
RECORD_REGISTRY_CODES = frozenset({"AIGIF_E_UNKNOWN_CODE", "AIGIF_E_PARAM_FAMILY"})


def read_bytes(path: str | os.PathLike, limit: int = limits.MAX_FILE_BYTES, what: str = "an AIGIF file",
               regular_only: bool = False) -> bytes:
    """A file's bytes, reading at most one byte past ``limit`` whatever size the file reports
    (/dev/zero, a FIFO or /proc files report 0 and never end). ``regular_only`` refuses anything but a
    regular file (for inputs whose size and hash a file records)."""
    path = Path(path)
    try:
        with path.open("rb") as stream:
            info = os.fstat(stream.fileno())
            if regular_only and not stat.S_ISREG(info.st_mode):
                raise AigifError("AIGIF_E_IO", f"{path} is {_kind(info.st_mode)}, not a regular file")
            if info.st_size > limit:
                raise AigifError("AIGIF_E_LIMIT", f"{path}: {info.st_size} bytes exceeds {limit}")
            data = _read_at_most(stream, limit + 1)
    except OSError as exc:
        raise AigifError("AIGIF_E_IO", f"cannot read {path}: {exc.strerror}") from None
    if len(data) > limit:
        raise AigifError("AIGIF_E_LIMIT", f"{path}: more than {limit} bytes ({what} is at most {limit})")
    return data


READ_CHUNK = 16 << 20


def _read_at_most(stream, size: int) -> bytes:
    """Up to `size` bytes, read in chunks: read(size) would allocate `size` bytes at once (MemoryError for a
    64 GiB payload limit on a file of a few bytes)."""
    chunks, total = [], 0
    while total < size:
        chunk = stream.read(min(READ_CHUNK, size - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def check_output(path: str | os.PathLike, inputs: Iterable[str | os.PathLike] = ()) -> os.stat_result | None:
    """Refuse an output that would replace something other than a regular file, or one of ``inputs``.

    Outputs are replaced by rename, so a symbolic link, FIFO or device at the path would itself be replaced
    by a regular file: that is refused (AIGIF_E_IO) rather than done silently. Returns the stat of the
    regular file being replaced, or None for a new file.
    """
    path = Path(path)
    try:
        existing = path.lstat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise AigifError("AIGIF_E_IO", f"cannot write {path}: {exc.strerror}") from None
    if not stat.S_ISREG(existing.st_mode):
        raise AigifError("AIGIF_E_IO", f"cannot write {path}: it exists and is {_kind(existing.st_mode)}; outputs "
                                       "are written as new regular files, so remove it or choose another name")
    for source in inputs:
        if str(source) == "-":
            continue
        try:
            same = os.path.samestat(existing, Path(source).stat())
        except OSError:
            continue
        if same:
            raise AigifError("AIGIF_E_IO", f"cannot write {path}: it is the input {source}; choose another output name")
    return existing


# write_atomic's temporary file beside PATH: .NAME.<12 hex digits>.tmp (a process killed mid-write leaves it).
TEMPORARY_HEX_BYTES = 6
TEMPORARY_NAME = re.compile(r"\.(.+)\.[0-9a-f]{%d}\.tmp" % (2 * TEMPORARY_HEX_BYTES))


def write_atomic(path: str | os.PathLike, data: bytes, *, inputs: Iterable[str | os.PathLike] = ()) -> None:
    """Write via a temporary file in the same folder and rename: never a half file.

    A new file gets the mode ``open()`` would give it (0o666 less the umask); a replaced file keeps its
    mode. See :func:`check_output` for what is refused. The temporary file is removed on any exception,
    KeyboardInterrupt included (the CLIs turn SIGTERM and SIGHUP into one).
    """
    path = Path(path)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(TEMPORARY_HEX_BYTES)}.tmp"
    try:
        existing = check_output(path, inputs)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # Named before it exists, so that an interrupt anywhere below still finds it to remove.
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o666)
            with os.fdopen(fd, "wb") as handle:
                if existing is not None:
                    os.fchmod(handle.fileno(), stat.S_IMODE(existing.st_mode))
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError as exc:
        raise AigifError("AIGIF_E_IO", f"cannot write {path}: {exc.strerror}") from None
