"""The reference's extension-record loop (aigif_ref.grammar.aigif.Extensions._parse), with switches.

Mutants each weaken one check here; with every switch on it reads
exactly like the reference. Kept as a copy so the reference itself stays untouched.
"""
from __future__ import annotations

from aigif_ref.errors import AigifError
from aigif_ref.grammar import aigif, limits
from aigif_ref.grammar.primitives import read_exact, read_uvarint


def extension_reader(check_order: bool = True, must_understand_checked: int | None = None, stop_at_garbage: bool = False):
    """must_understand_checked: how many leading records get the must-understand check (None: all)."""
    def _parse(self, stream, context, path):
        records = []
        previous = -1
        while True:
            start = stream.tell()
            if not stream.read(1):
                return records
            stream.seek(start)
            try:
                records.append(_record(stream, context, start, previous, len(records)))
            except AigifError:
                if stop_at_garbage:  # the flaw: whatever does not read as a record is ignored
                    stream.seek(0, 2)
                    return records
                raise
            previous = records[-1]["type"]

    def _record(stream, context, start, previous, count):
        header = read_uvarint(stream, "extension header")
        ext_type, must_understand = header >> 1, bool(header & 1)
        if ext_type == 0:
            raise AigifError("AIGIF_E_RESERVED", "extension type 0 is reserved", start)
        if count == limits.MAX_EXTENSION_RECORDS:
            raise AigifError("AIGIF_E_LIMIT", f"more than {limits.MAX_EXTENSION_RECORDS} extension records", start)
        if check_order and ext_type <= previous:
            raise AigifError("AIGIF_E_NONCANONICAL", f"extension type {ext_type} after {previous}", start)
        length_at = stream.tell()
        length = read_uvarint(stream, "extension length")
        if length > limits.MAX_EXTENSION_BYTES:
            raise AigifError("AIGIF_E_LIMIT", f"extension of {length} bytes", length_at)
        body_at = stream.tell()
        body = read_exact(stream, length, f"extension {ext_type}")
        codec = aigif.EXTENSION_CODECS.get(ext_type)
        if codec is None:
            if must_understand and (must_understand_checked is None or count < must_understand_checked):
                raise AigifError("AIGIF_E_MUST_UNDERSTAND", f"unknown must-understand extension type {ext_type}", start)
            return {"type": ext_type, "must_understand": must_understand, "data": body}
        if must_understand != codec.must_understand:
            raise AigifError("AIGIF_E_NONCANONICAL", f"extension {ext_type} must_understand", start)
        try:
            return {"type": ext_type, "must_understand": must_understand, **codec.parse(body, context)}
        except AigifError as exc:
            raise AigifError(exc.code, exc.message, body_at + (exc.offset or 0)) from None

    return _parse


def install(**switches: bool) -> None:
    aigif.Extensions._parse = extension_reader(**switches)
