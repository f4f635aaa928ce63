"""Bitstream versions, and the version each feature needs (spec/bitstream.md, section 3).

A feature added after 1.0 (a group field, an extension type) declares the version that added it
once, as ``since`` on its FieldSpec (aigif_ref/grammar/fields.py) or its ExtensionType class
(aigif_ref/extensions/); everything else is derived from those declarations: the version byte a
writer writes (the lowest version whose features the file uses), the reader's checks, the Kaitai
grammar's checks (tools/gen_ksy.py) and the spec's tables.
"""
from __future__ import annotations

from dataclasses import dataclass

from aigif_ref.grammar import limits


@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int

    @property
    def byte(self) -> int:
        """The version byte: major << 4 | minor."""
        return self.major << 4 | self.minor

    @classmethod
    def of_byte(cls, byte: int) -> "Version":
        return cls(byte >> 4, byte & 0x0F)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


V1_0 = Version(1, 0)
V1_1 = Version(1, 1)
NEWEST = Version(limits.MAJOR_VERSION, limits.MINOR_VERSION)  # the newest version this implementation reads and writes
