"""Reads exp codes of any length (the limit is 64 bytes)."""
from aigif_ref.grammar import limits
from conformance.mutants.base import Mutant


class ExpCodeLimit(Mutant):
    flaw = "reads exp codes longer than the 64-byte limit"

    def install(self) -> None:
        limits.MAX_EXP_CODE_BYTES = 1 << 16  # read at each call by primitives.read_exp_code
