"""Where each field of a valid file lies, and one-defect edits (surgery) on a copy of it."""
from __future__ import annotations

from aigif_ref.grammar import limits
from aigif_ref.grammar.aigif import with_crc
from aigif_ref.grammar.primitives import encode_uvarint
from aigif_ref.grammar.spans import field_spans

def _show(data: bytes) -> str:
    return data.hex(" ") if len(data) <= 12 else f"{data[:6].hex(' ')} ... ({len(data)} bytes)"


class Surgery:
    """Edits on a copy of a valid encoding; each edit is logged for test.json's "how".

    Positions refer to the original file, so edits that change lengths are applied
    from the end of the file towards its start.
    """

    def __init__(self, source: "Case") -> None:
        self.data = bytearray(source.data)
        self.spans = field_spans(source.data)
        self.steps = [f"encode({source.id})"]
        self.stale_crc: str | None = None  # why the CRC is left as it was, for CRC cases

    def at(self, name: str) -> tuple[int, int]:
        return self.spans[name]

    def start(self, name: str) -> int:
        return self.spans[name][0]

    def replace(self, target: str | tuple[int, int], new: bytes, what: str | None = None) -> "Surgery":
        start, end = self.spans[target] if isinstance(target, str) else target
        where = f"byte {start}" if end - start == 1 else f"bytes {start}..{end - 1}"
        label = f"{target} ({where})" if isinstance(target, str) else where
        old = bytes(self.data[start:end])
        self.data[start:end] = new
        self.steps.append(f"{label} {_show(old) or '(empty)'} replaced by {what or _show(new)}")
        return self

    def replace_sized(self, prefix: str, new: bytes, what: str) -> int:
        """Replace the body of a length-prefixed block (prefix "text" or "ext<i>") and fix its length.

        Returns where the new body starts (the length uvarint may change size).
        """
        body, length = f"{prefix}_bytes" if prefix == "text" else f"{prefix}.body", \
            f"{prefix}_length" if prefix == "text" else f"{prefix}.length"
        self.replace(body, new, what)
        self.replace(length, encode_uvarint(len(new)), f"{_show(encode_uvarint(len(new)))} ({len(new)})")
        return self.start(length) + len(encode_uvarint(len(new)))

    def insert(self, pos: int, new: bytes, what: str) -> "Surgery":
        self.data[pos:pos] = new
        self.steps.append(f"{_show(new)} inserted at byte {pos} ({what})")
        return self

    def append(self, new: bytes, what: str) -> "Surgery":
        self.data += new
        self.steps.append(f"{_show(new)} appended ({what})")
        return self

    def truncate(self, pos: int, where: str) -> "Surgery":
        del self.data[pos:]
        self.steps.append(f"truncated to {pos} bytes ({where})")
        return self

    def cut_inside(self, name: str, keep: int = 1) -> "Surgery":
        """End the file `keep` bytes into field `name` (0 when the field is one byte long)."""
        start, end = self.spans[name]
        keep = min(keep, end - start - 1)
        where = f"{keep} byte(s) into" if keep else "where it reaches"
        return self.truncate(start + keep, f"ends {where} {name}, a field of {end - start} byte(s)")

    def keep_crc(self, why: str) -> "Surgery":
        self.stale_crc = why
        return self

    def done(self) -> tuple[bytes, str]:
        """(bytes, "how" line); the CRC is recomputed unless keep_crc() was called."""
        data = bytes(self.data)
        if len(data) < limits.HEADER_SIZE:
            note = "no CRC field left"
        elif self.stale_crc is None:
            data, note = with_crc(data), "CRC recomputed"
        else:
            note = f"CRC left stale ({self.stale_crc})"
        return data, "; ".join([*self.steps, note])
