"""Accepts an optional enumeration written explicitly as code 0 (canonical form: omitted)."""
from aigif_ref.grammar import aigif
from aigif_ref.grammar.primitives import read_exp_code
from conformance.mutants.base import Mutant, replace_everywhere


class ZeroEnum(Mutant):
    flaw = "accepts a present zero-default exp code of 0 (dtype, scheduler, device, gpu, cuda), which must be omitted"

    def install(self) -> None:
        replace_everywhere(aigif.read_zero_default, read_exp_code)
