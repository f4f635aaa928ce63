"""Reads extension records in any order."""
from aigif_ref.grammar.aigif import ExtensionLoop
from conformance.mutants import _extensions
from conformance.mutants.base import Mutant


class AnyOrder(ExtensionLoop):
    def check_order(self, ext_type: int, previous: int, start: int) -> None:
        pass  # the flaw: no increasing-type check


class ExtensionOrder(Mutant):
    flaw = "accepts extension records out of increasing type order (and repeated types)"

    def install(self) -> None:
        _extensions.install(AnyOrder())
