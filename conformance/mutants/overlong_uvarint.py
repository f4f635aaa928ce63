"""Accepts over-long (non-canonical) uvarints such as 80 00 for 0."""
from aigif_ref.errors import AigifError
from aigif_ref.grammar import limits, primitives
from conformance.mutants.base import Mutant, replace_everywhere


def read_uvarint_lenient(stream, what: str) -> int:
    """LEB128 as a textbook decoder reads it: no check for a redundant trailing zero group."""
    start, value = stream.tell(), 0
    for index in range(limits.MAX_UVARINT_BYTES):
        byte = stream.read(1)
        if not byte:
            raise AigifError("AIGIF_E_TRUNCATED", f"data ends inside {what}", stream.tell())
        value |= (byte[0] & 0x7F) << (7 * index)
        if byte[0] < 0x80:
            if value >> 64:
                raise AigifError("AIGIF_E_RANGE", f"{what}: uvarint exceeds 64 bits", start)
            return value
    raise AigifError("AIGIF_E_RANGE", f"{what}: uvarint longer than 10 bytes", start)


class OverlongUvarint(Mutant):
    flaw = "accepts over-long uvarints (a redundant trailing zero group, e.g. 80 00 for 0)"

    def install(self) -> None:
        replace_everywhere(primitives.read_uvarint, read_uvarint_lenient)
