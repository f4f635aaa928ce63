"""Reads the syntax but never consults the registry."""
from aigif_ref.grammar.aigif import parse_file
from aigif_ref.record import syntax_to_json
from conformance.mutants.base import Mutant


class NoRegistryCheck(Mutant):
    flaw = "skips the registry checks (unknown codes, parameters outside the model family, batch_index)"

    def parse(self, data, registry):
        return syntax_to_json(parse_file(data))
