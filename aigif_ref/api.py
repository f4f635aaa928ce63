"""Public Python API: bytes <-> canonical JSON record, and atomic file writes."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from aigif_ref.errors import AigifError
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
    syntax = json_to_syntax(record, registry)
    check_record_rules(syntax, registry)
    return build_file(syntax, registry)


def read_bytes(path: str | os.PathLike) -> bytes:
    """A file's bytes, reading at most one byte past the format's limit whatever size the file reports
    (/dev/zero, a FIFO or /proc files report 0 and never end)."""
    path = Path(path)
    limit = limits.MAX_FILE_BYTES
    try:
        with path.open("rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            if size > limit:
                raise AigifError("AIGIF_E_LIMIT", f"{path}: {size} bytes exceeds {limit}")
            data = stream.read(limit + 1)
    except OSError as exc:
        raise AigifError("AIGIF_E_IO", f"cannot read {path}: {exc.strerror}") from None
    if len(data) > limit:
        raise AigifError("AIGIF_E_LIMIT", f"{path}: more than {limit} bytes (an AIGIF file is at most {limit})")
    return data


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write via a temporary file in the same folder and rename: never a half file."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as exc:
        raise AigifError("AIGIF_E_IO", f"cannot write {path}: {exc.strerror}") from None
