"""Reads extension records in any order."""
from conformance.mutants import _extensions
from conformance.mutants.base import Mutant


class ExtensionOrder(Mutant):
    flaw = "accepts extension records out of increasing type order (and repeated types)"

    def install(self) -> None:
        _extensions.install(check_order=False)
