"""Writes one byte too many."""
from conformance.mutants.base import Mutant


class ExtraByte(Mutant):
    flaw = "appends one zero byte to every file it writes"

    def build(self, record, registry):
        return super().build(record, registry) + b"\x00"
