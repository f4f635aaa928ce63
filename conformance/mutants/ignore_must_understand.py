"""Keeps unknown extensions marked must-understand instead of refusing the file."""
from aigif_ref.grammar.aigif import ExtensionLoop
from conformance.mutants import _extensions
from conformance.mutants.base import Mutant


class NoMustUnderstand(ExtensionLoop):
    def check_must_understand(self, ext_type: int, must_understand: bool, start: int, count: int) -> None:
        pass  # the flaw: the flag is read and ignored


class IgnoreMustUnderstand(Mutant):
    flaw = "ignores the must-understand flag of unknown extension records"

    def install(self) -> None:
        _extensions.install(NoMustUnderstand())
