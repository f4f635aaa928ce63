"""Keeps unknown extensions marked must-understand instead of refusing the file."""
from conformance.mutants import _extensions
from conformance.mutants.base import Mutant


class IgnoreMustUnderstand(Mutant):
    flaw = "ignores the must-understand flag of unknown extension records"

    def install(self) -> None:
        _extensions.install(must_understand_checked=0)
