"""Ignores whatever follows the last extension record it can read."""
from aigif_ref.errors import AigifError
from aigif_ref.grammar.aigif import ExtensionLoop
from conformance.mutants import _extensions
from conformance.mutants.base import Mutant


class StopAtGarbage(ExtensionLoop):
    def read_all(self, stream, context):
        self.kept: list = []
        try:
            return super().read_all(stream, context)
        except AigifError:  # the flaw: whatever does not read as a record is ignored
            stream.seek(0, 2)
            return self.kept

    def read_record(self, stream, context, start, previous, count):
        record = super().read_record(stream, context, start, previous, count)
        self.kept.append(record)
        return record


class TrailingGarbage(Mutant):
    flaw = "accepts trailing garbage: bytes that do not read as an extension record are ignored"

    def install(self) -> None:
        _extensions.install(StopAtGarbage())
