"""Loses the negative prompt."""
from conformance.mutants.base import Mutant


class DropNegative(Mutant):
    flaw = "drops the negative prompt (reads it as absent, writes files without it)"

    def parse(self, data, registry):
        return {**super().parse(data, registry), "negative_prompt": None}

    def build(self, record, registry):
        return super().build({**record, "negative_prompt": None}, registry)
