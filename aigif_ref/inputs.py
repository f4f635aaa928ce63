"""Opening the files a user names: regular files only, read within a bound.

Every input path of the library and the CLI goes through :func:`open_regular` (or :func:`read_bytes`,
built on it), so that /dev/zero, a FIFO, a folder or a link to one of them is refused at once, before a
byte is read: /dev/zero never ends, and opening a FIFO waits for a writer that may never come.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from aigif_ref.errors import AigifError
from aigif_ref.grammar import limits

READ_CHUNK = 16 << 20


def kind_of_file(mode: int) -> str:
    """A file type in words ("a FIFO", "a folder", ...)."""
    for test, name in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def open_regular(path: str | os.PathLike, what: str = "a file") -> BinaryIO:
    """``path`` open for reading in binary, if it is a regular file (a symbolic link is followed to one);
    AIGIF_E_IO at once for anything else, and for a file that cannot be opened.

    The file is opened non-blocking (a FIFO would otherwise block the open itself) and checked with fstat
    on the descriptor, so what is read is what was checked.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise AigifError("AIGIF_E_IO", f"cannot read {path}: {exc.strerror or 'it cannot be opened'}") from exc
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise AigifError("AIGIF_E_IO", f"{path} is {kind_of_file(mode)}, not a regular file; give {what}")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: str | os.PathLike, limit: int = limits.MAX_FILE_BYTES, what: str = "an AIGIF file") -> bytes:
    """The bytes of the regular file at ``path`` (see :func:`open_regular`); AIGIF_E_LIMIT past ``limit`` bytes,
    reading at most one byte more whatever size the file reports (a file may grow while it is read)."""
    path = Path(path)
    with open_regular(path, what) as stream:
        try:
            size = os.fstat(stream.fileno()).st_size
            if size > limit:
                raise AigifError("AIGIF_E_LIMIT", f"{path}: {size} bytes exceeds {limit} ({what} is at most {limit})")
            data = _read_at_most(stream, limit + 1)
        except OSError as exc:
            raise AigifError("AIGIF_E_IO", f"cannot read {path}: {exc.strerror or 'read error'}") from exc
    if len(data) > limit:
        raise AigifError("AIGIF_E_LIMIT", f"{path}: more than {limit} bytes ({what} is at most {limit})")
    return data


def _read_at_most(stream: BinaryIO, size: int) -> bytes:
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
