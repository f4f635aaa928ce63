"""Structured extension bodies declared as a list of slots (issue 12's types 4-9).

A slot is one field of a body: its JSON name, its wire form and what it holds. One declaration gives
the body codec (parse/build with the canonical primitives of aigif_ref.grammar.primitives), the JSON
form, the JSON Schema and the spec's table of the body; nothing about a body is written twice.

Wire forms:
  enum     exp code, a registry enumeration (``enum``); JSON: code, or name on input
  uvarint  uvarint within [min, max]
  size8    image size in units of 8 pixels (as the core height/width); JSON: pixels
  cfloat   compact float32 (as guidance_scale)
  string   uvarint byte length (at most ``max``) + UTF-8
  digest   the bytes of the digest the ``hash_algorithm`` slot before it names; JSON: lowercase hex
  list     uvarint count (1..``max``) + that many entries of the ``items`` slots; JSON: array of objects
  model    exp code, a registry model ID (as the core model_id); JSON: ID, or model name on input
A body must end exactly after its last slot (else AIGIF_E_EXTENSION).

Layouts: an enum slot may declare ``layouts``, the codes whose entry layout this grammar knows (any other
code is AIGIF_E_UNKNOWN_CODE where it is read, since what follows cannot be framed); a later slot with
``when = (that slot, code)`` is on the wire, and in JSON, only when the entry's value of that slot is ``code``.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, ClassVar

from aigif_ref.errors import AigifError
from aigif_ref.extensions.base import ExtensionType
from aigif_ref.grammar import limits
from aigif_ref.grammar.primitives import (
    encode_cfloat,
    encode_exp_code,
    encode_uvarint,
    float32_repr,
    read_cfloat,
    read_exact,
    read_exp_code,
    read_uvarint,
    to_float32,
)
from aigif_ref.grammar.wire import CODE_OR_NAME

# hash_algorithms code -> digest bytes (sha256; AutoV2 = the first 10 hex digits of the sha256; AutoV1 = 8 hex
# digits of the sha256 of the 64 KiB at offset 1 MiB). The names are registry.json's.
DIGEST_BYTES: dict[int, int] = {0: 32, 1: 5, 2: 4}


@dataclass(frozen=True)
class Slot:
    name: str
    wire: str
    doc: str
    enum: str | None = None
    min: int = 0
    max: int = (1 << 64) - 1
    items: tuple["Slot", ...] = ()
    layouts: tuple[int, ...] = ()  # enum slots that select the layout of the rest of their entry: the known codes
    when: tuple[str, int] | None = None  # (earlier slot of the entry, code): present only when it holds that code

    def present(self, entry: dict[str, Any]) -> bool:
        """Whether this slot is part of ``entry`` (whose earlier slots are known)."""
        return self.when is None or entry.get(self.when[0]) == self.when[1]

    def check_layout(self, code: Any, what: str, offset: int | None = None) -> None:
        if self.layouts and code not in self.layouts:
            raise AigifError("AIGIF_E_UNKNOWN_CODE", f"{what} = {code}: this reader knows the layout of "
                                                     f"{', '.join(map(str, self.layouts))} only ({self.enum})", offset)

    # -- codec --------------------------------------------------------------------------------
    def read(self, stream, out: dict[str, Any], where: str) -> Any:
        what = f"{where}.{self.name}"
        if self.wire == "enum":
            start = stream.tell()
            code = read_exp_code(stream, what)
            self.check_layout(code, what, start)
            return code
        if self.wire == "model":
            return read_exp_code(stream, what)
        if self.wire in ("uvarint", "size8"):
            start = stream.tell()
            value = read_uvarint(stream, what)
            low, high = (limits.MIN_SIZE_UNITS, limits.MAX_SIZE_UNITS) if self.wire == "size8" else (self.min, self.max)
            if not low <= value <= high:
                raise AigifError("AIGIF_E_RANGE", f"{what} = {value} outside {low}..{high}", start)
            return value * limits.SIZE_UNIT if self.wire == "size8" else value
        if self.wire == "cfloat":
            return read_cfloat(stream, what)
        if self.wire == "string":
            start = stream.tell()
            length = read_uvarint(stream, what)
            if length > self.max:
                raise AigifError("AIGIF_E_LIMIT", f"{what}: {length} bytes exceeds {self.max}", start)
            raw = read_exact(stream, length, what)
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise AigifError("AIGIF_E_UTF8", f"{what}: {exc.reason}", start) from None
        if self.wire == "digest":
            size = DIGEST_BYTES.get(out.get("hash_algorithm", -1))
            if size is None:
                raise AigifError("AIGIF_E_UNKNOWN_CODE", f"{where}: hash algorithm {out.get('hash_algorithm')} is not known",
                                 stream.tell())
            return read_exact(stream, size, what).hex()
        if self.wire == "list":
            start = stream.tell()
            count = read_uvarint(stream, what)
            if not 1 <= count <= self.max:
                raise AigifError("AIGIF_E_RANGE", f"{what}: {count} entries outside 1..{self.max}", start)
            return [read_slots(self.items, stream, f"{what}[{i}]") for i in range(count)]
        raise AssertionError(self.wire)

    def write(self, value: Any, entry: dict[str, Any], where: str) -> bytes:
        what = f"{where}.{self.name}"
        if self.wire == "enum":
            self.check_layout(_int(value, what), what)
            return encode_exp_code(value)
        if self.wire == "model":
            return encode_exp_code(_int(value, what))
        if self.wire in ("uvarint", "size8"):
            value = _int(value, what)
            if self.wire == "size8":
                if value % limits.SIZE_UNIT or not limits.MIN_SIZE_UNITS <= value // limits.SIZE_UNIT <= limits.MAX_SIZE_UNITS:
                    raise AigifError("AIGIF_E_RANGE", f"{what} = {value} is not a multiple of 8 in 8..16384")
                return encode_uvarint(value // limits.SIZE_UNIT)
            if not self.min <= value <= self.max:
                raise AigifError("AIGIF_E_RANGE", f"{what} = {value} outside {self.min}..{self.max}")
            return encode_uvarint(value)
        if self.wire == "cfloat":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise AigifError("AIGIF_E_RECORD", f"{what} must be a number, not {value!r}")
            return encode_cfloat(value)
        if self.wire == "string":
            if not isinstance(value, str):
                raise AigifError("AIGIF_E_RECORD", f"{what} must be a string")
            raw = value.encode("utf-8")
            if len(raw) > self.max:
                raise AigifError("AIGIF_E_LIMIT", f"{what}: {len(raw)} UTF-8 bytes exceeds {self.max}")
            return encode_uvarint(len(raw)) + raw
        if self.wire == "digest":
            size = DIGEST_BYTES.get(entry.get("hash_algorithm", -1))
            if size is None:
                raise AigifError("AIGIF_E_UNKNOWN_CODE", f"{where}: hash algorithm {entry.get('hash_algorithm')} is not known")
            try:
                raw = bytes.fromhex(value)
            except (TypeError, ValueError):
                raise AigifError("AIGIF_E_RECORD", f"{what} must be hex digits") from None
            if len(raw) != size or value != raw.hex():
                raise AigifError("AIGIF_E_RECORD", f"{what} must be {2 * size} lowercase hex digits for this hash algorithm")
            return raw
        if self.wire == "list":
            if not isinstance(value, list) or not 1 <= len(value) <= self.max:
                raise AigifError("AIGIF_E_RECORD", f"{what} must be a list of 1..{self.max} entries")
            return encode_uvarint(len(value)) + b"".join(write_slots(self.items, v, f"{what}[{i}]") for i, v in enumerate(value))
        raise AssertionError(self.wire)

    # -- JSON ---------------------------------------------------------------------------------
    def schema(self) -> dict[str, Any]:
        if self.wire == "enum":
            return {**CODE_OR_NAME, "description": f"registry enumeration {self.enum}"}
        if self.wire == "model":
            return {**CODE_OR_NAME, "description": f"{self.doc}: registry model ID (or model name on input)"}
        if self.wire == "uvarint":
            return {"type": "integer", "minimum": self.min, "maximum": self.max, "description": self.doc}
        if self.wire == "size8":
            return {"type": "integer", "minimum": limits.MIN_SIZE_UNITS * limits.SIZE_UNIT,
                    "maximum": limits.MAX_SIZE_UNITS * limits.SIZE_UNIT, "multipleOf": limits.SIZE_UNIT}
        if self.wire == "cfloat":
            return {"type": "number", "description": f"{self.doc} (float32)"}
        if self.wire == "string":
            return {"type": "string", "description": self.doc}
        if self.wire == "digest":
            return {"type": "string", "pattern": "^([0-9a-f]{2})+$", "description": self.doc}
        return {"type": "array", "minItems": 1, "maxItems": self.max, "items": slots_schema(self.items)}

    def from_json(self, value: Any, resolve, where: str) -> Any:
        if self.wire in ("enum", "model", "uvarint", "size8") and isinstance(value, float) and value.is_integer():
            value = getattr(value, "exact", int(value))  # JSON Schema's "integer" accepts 490.0: the same as 490
        if self.wire == "enum":
            return resolve(value, self.enum, f"{where}.{self.name}")
        if self.wire == "model":
            return resolve(value, MODELS, f"{where}.{self.name}")
        if self.wire == "cfloat" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return to_float32(value)
        if self.wire == "list" and isinstance(value, list):
            return [{s.name: s.from_json(v[s.name], resolve, where) if s.name in v else None for s in self.items}
                    if isinstance(v, dict) else v for v in value]
        return value

    def sample(self, size: int) -> Any:
        """A valid JSON value of this slot (vectors and tests): the lowest code, bound or count; `size` in pixels."""
        if self.wire == "list":
            entry: dict[str, Any] = {}
            for s in self.items:
                if s.present(entry):
                    entry[s.name] = s.sample(size)
            return [entry]
        return {"enum": 0, "model": 0, "uvarint": self.min, "size8": size, "cfloat": 1.0, "string": self.name,
                "digest": bytes(DIGEST_BYTES[0]).hex()}[self.wire]

    def from_kaitai(self, parsed: Any) -> Any:
        """This slot's value in an object the Kaitai parser made of the body (spec/aigif.ksy, tools/gen_ksy.py)."""
        value = getattr(parsed, self.name)
        if self.wire in ("size8", "string"):
            return value  # pixels (an instance of the units) / decoded text
        if self.wire == "digest":
            return bytes(value).hex()
        if self.wire == "list":
            return [{s.name: s.from_kaitai(entry) for s in self.items if getattr(entry, s.name, None) is not None}
                    for entry in value]
        return value.value

    def to_json(self, value: Any) -> Any:
        if self.wire == "cfloat":
            return float32_repr(value)
        if self.wire == "list":
            return [{s.name: s.to_json(v[s.name]) for s in self.items if v.get(s.name) is not None} for v in value]
        return value


MODELS = "models"  # what a "model" slot resolves a name against: the registry's models, not an enumeration


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise AigifError("AIGIF_E_RECORD", f"{what} must be an integer, not {value!r}")
    return value


def read_slots(slots: tuple[Slot, ...], stream, where: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for slot in slots:
        if slot.present(out):
            out[slot.name] = slot.read(stream, out, where)
    return out


def write_slots(slots: tuple[Slot, ...], entry: Any, where: str) -> bytes:
    if not isinstance(entry, dict):
        raise AigifError("AIGIF_E_RECORD", f"{where} must be an object")
    wanted = [slot for slot in slots if slot.present(entry)]
    missing = [slot for slot in wanted if entry.get(slot.name) is None]
    if missing:
        notes = {_layout_note(slot, entry) for slot in missing}
        raise AigifError("AIGIF_E_RECORD", f"{where} needs {', '.join(s.name for s in missing)}" + "".join(sorted(notes)))
    for slot in slots:
        if slot not in wanted and entry.get(slot.name) is not None:
            raise AigifError("AIGIF_E_RECORD", f"{where}.{slot.name}" + _layout_note(slot, entry, absent=True))
    return b"".join(slot.write(entry[slot.name], entry, where) for slot in wanted)


def _layout_note(slot: Slot, entry: dict[str, Any], absent: bool = False) -> str:
    if slot.when is None:
        return ""
    other, code = slot.when
    if absent:
        return f" belongs to entries whose {other} is {code} only; this one's is {entry.get(other)}: leave it out"
    return f" (the fields of an entry whose {other} is {code})"


def slots_schema(slots: tuple[Slot, ...]) -> dict[str, Any]:
    """Slots present in every entry are required; those of one layout (``when``) are optional here and
    required or refused by the writer according to the entry's layout."""
    return {"type": "object", "additionalProperties": False, "required": [s.name for s in slots if s.when is None],
            "properties": {s.name: s.schema() for s in slots}}


def enum_slots(slots: tuple[Slot, ...]) -> dict[str, str]:
    """Every enumeration slot, nested ones included: name -> enumeration."""
    out: dict[str, str] = {}
    for slot in slots:
        if slot.wire == "enum":
            out[slot.name] = slot.enum
        out.update(enum_slots(slot.items))
    return out


def enum_values(slots: tuple[Slot, ...], fields: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(where, enumeration, code) of every enumeration value and model ID (enumeration MODELS) in a parsed body
    (for the registry check)."""
    out = []
    for slot in slots:
        if fields.get(slot.name) is None:  # a slot the entry's layout leaves out
            continue
        value = fields.get(slot.name)
        if slot.wire in ("enum", "model"):
            out.append((slot.name, slot.enum or MODELS, value))
        elif slot.wire == "list":
            for i, entry in enumerate(value or []):
                out += [(f"{slot.name}[{i}].{w}", e, c) for w, e, c in enum_values(slot.items, entry)]
    return out


class SlotExtension(ExtensionType):
    """An extension whose body is the concatenation of its ``slots``; JSON: one property per slot."""

    slots: ClassVar[tuple[Slot, ...]] = ()

    @classmethod
    def parse(cls, body: bytes, context: Any) -> dict[str, Any]:
        stream = io.BytesIO(body)
        fields = read_slots(cls.slots, stream, cls.name)
        if stream.tell() != len(body):
            raise AigifError("AIGIF_E_EXTENSION", f"{cls.name}: {len(body) - stream.tell()} bytes after the last field",
                             stream.tell())
        cls.check_fields(fields, context)
        return fields

    @classmethod
    def build(cls, record: dict[str, Any], context: Any) -> bytes:
        fields = {s.name: record.get(s.name) for s in cls.slots}
        body = write_slots(cls.slots, fields, cls.name)
        cls.check_fields(fields, context)
        return body

    @classmethod
    def check_fields(cls, fields: dict[str, Any], context: Any) -> None:
        """What follows the body's syntax (spec 9.4): the enumeration codes against the registry, in slot order
        (AIGIF_E_UNKNOWN_CODE), then the rules across slots (AIGIF_E_EXTENSION)."""
        _check_codes(cls, fields, context)
        cls.check(fields, context)

    @classmethod
    def sample(cls, size: int) -> dict[str, Any]:
        """A valid JSON record of this type, every slot at its sample value, for a size x size image (vectors, tests)."""
        return {"type": cls.code, **{s.name: s.sample(size) for s in cls.slots}}

    @classmethod
    def check(cls, fields: dict[str, Any], context: Any) -> None:
        """Rules across slots (beyond each slot's own bounds); raise AIGIF_E_EXTENSION."""

    @classmethod
    def to_json(cls, fields: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in fields.items() if k in ("type", "must_understand")}
        out.update({s.name: s.to_json(fields[s.name]) for s in cls.slots})
        return out

    @classmethod
    def from_json(cls, ext: dict[str, Any], resolve) -> dict[str, Any]:
        out = {k: v for k, v in ext.items() if k in ("type", "must_understand")}
        for slot in cls.slots:
            if slot.name in ext:
                out[slot.name] = slot.from_json(ext[slot.name], resolve, cls.name)
        return out

    @classmethod
    def schema(cls) -> dict[str, Any]:
        """The JSON Schema of this type's extension record."""
        body = slots_schema(cls.slots)
        body["properties"] = {"type": {"const": cls.code}, "must_understand": {"type": "boolean"}, **body["properties"]}
        body["required"] = ["type", *body["required"]]
        return body

    @classmethod
    def body_rows(cls) -> list[tuple[str, str, str]]:
        """(field, wire form, meaning) for the spec's table of this body, nested list items indented."""
        return _rows(cls.slots, "")


def _check_codes(cls: type[SlotExtension], fields: dict[str, Any], context: Any) -> None:
    from aigif_ref.grammar.aigif import registry_of  # the grammar imports this package
    from aigif_ref.registry import default_registry

    registry = registry_of(context) or default_registry()
    for where, enum, code in enum_values(cls.slots, fields):
        if enum == MODELS:
            if code not in registry.models:
                raise AigifError("AIGIF_E_UNKNOWN_CODE", f"{cls.name}.{where} = {code}: model ID {code} is not in the registry")
            continue
        if code not in registry.enum(enum):
            raise AigifError("AIGIF_E_UNKNOWN_CODE", f"{cls.name}.{where} = {code} is not in registry enumeration {enum}")


def _rows(slots: tuple[Slot, ...], prefix: str) -> list[tuple[str, str, str]]:
    rows = []
    for slot in slots:
        wire = {"enum": f"exp code ({slot.enum})", "model": "exp code (registry model ID)", "size8": "uvarint (pixels / 8)", "cfloat": "compact float32",
                "string": f"uvarint length (≤ {slot.max}) + UTF-8", "digest": "digest bytes (length by hash_algorithm)",
                "list": f"uvarint count (1..{slot.max}) + entries", "uvarint": f"uvarint {slot.min}..{slot.max}"}[slot.wire]
        if slot.when is not None:
            wire += f"; only when {slot.when[0]} = {slot.when[1]}"
        rows.append((prefix + slot.name, wire, slot.doc))
        rows += _rows(slot.items, prefix + slot.name + "[]." )
    return rows
