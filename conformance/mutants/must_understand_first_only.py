"""Checks the must-understand flag on the first extension record only."""
from aigif_ref.grammar.aigif import ExtensionLoop
from conformance.mutants import _extensions
from conformance.mutants.base import Mutant


class FirstRecordOnly(ExtensionLoop):
    def check_must_understand(self, ext_type: int, must_understand: bool, start: int, count: int) -> None:
        if count == 0:  # the flaw: later records are never checked
            super().check_must_understand(ext_type, must_understand, start, count)


class MustUnderstandFirstOnly(Mutant):
    flaw = "refuses an unknown must-understand extension only when it is the first extension record"

    def install(self) -> None:
        _extensions.install(FirstRecordOnly())
