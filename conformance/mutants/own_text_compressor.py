"""Chooses its own text compressor when writing."""
from conformance.mutants.base import Mutant


class OwnTextCompressor(Mutant):
    flaw = "ignores the record's text_compressor when writing and picks the smallest block itself"

    def build(self, record, registry):
        return super().build({k: v for k, v in record.items() if k != "text_compressor"}, registry)
