"""Ignores reserved bits of the presence bitmap."""
from aigif_ref.grammar import aigif
from aigif_ref.grammar.primitives import read_uvarint
from conformance.mutants.base import Mutant, replace_everywhere


def read_presence_masked(stream) -> int:
    return read_uvarint(stream, "presence bitmap") & aigif.PRESENCE_MASK


class ReservedBits(Mutant):
    flaw = "ignores reserved bits of the presence bitmap instead of rejecting them"

    def install(self) -> None:
        replace_everywhere(aigif.read_presence, read_presence_masked)
