"""The version byte (spec 1.1, section 3): a writer that always writes 1.0, a reader that never checks it."""
from aigif_ref.grammar import aigif
from aigif_ref.grammar.versions import V1_0
from conformance.mutants.base import Mutant


class AlwaysVersion10(Mutant):
    flaw = "writes version byte 0x10 for every file, also when it uses a 1.1 feature (platform.cpu_capability, types 2, 4-9)"

    def build(self, record, registry):
        data = super().build(record, registry)
        return aigif.with_crc(data[:4] + bytes([V1_0.byte]) + data[5:])


class VersionUnchecked(Mutant):
    flaw = "reads any minor version without checking it against the features the file uses"

    def install(self) -> None:
        # Both are looked up when called: the group fields' and extension records' check, and parse_file's last one.
        aigif.check_feature_version = lambda *args: None
        aigif.check_version_not_higher = lambda *args: None
