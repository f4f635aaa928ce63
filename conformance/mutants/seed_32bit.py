"""Keeps seeds in 32 bits."""
from conformance.mutants.base import Mutant

MASK = 0xFFFF_FFFF


class Seed32Bit(Mutant):
    flaw = "truncates 64-bit seeds to their low 32 bits (reading and writing)"

    def parse(self, data, registry):
        record = super().parse(data, registry)
        return {**record, "seed": record["seed"] & MASK}

    def build(self, record, registry):
        seed = record.get("seed")
        return super().build({**record, "seed": seed & MASK if isinstance(seed, int) else seed}, registry)
