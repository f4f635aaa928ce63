"""Checks the must-understand flag on the first extension record only."""
from conformance.mutants import _extensions
from conformance.mutants.base import Mutant


class MustUnderstandFirstOnly(Mutant):
    flaw = "refuses an unknown must-understand extension only when it is the first extension record"

    def install(self) -> None:
        _extensions.install(must_understand_checked=1)
