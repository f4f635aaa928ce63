"""Never checks the CRC-32."""
from aigif_ref.grammar.aigif import with_crc
from aigif_ref.grammar.limits import HEADER_SIZE
from conformance.mutants.base import Mutant


class IgnoreCrc(Mutant):
    flaw = "never compares the stored CRC-32 with the file's"

    def parse(self, data, registry):
        # Same as skipping the comparison: the stored CRC is replaced by the right one before reading.
        return super().parse(with_crc(data) if len(data) >= HEADER_SIZE else data, registry)
