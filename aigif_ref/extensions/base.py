"""What every extension record type declares: the base class of aigif_ref/extensions/*.

An extension type is one class: its type code and name (as in registry.json "extension_types"),
its must-understand rule, how its body is coded, the registry enumerations its body uses, the
checks its payload must pass, and its JSON form. The file layout around it (header, length,
order, limits) is aigif_ref.grammar.aigif's; adding a type is one class here plus its registry entry.
"""
from __future__ import annotations

import base64
import binascii
import io
from typing import Any, ClassVar

from aigif_ref.errors import AigifError
from aigif_ref.grammar.primitives import encode_exp_code, read_exp_code
from aigif_ref.grammar.versions import V1_1, Version


class ExtensionType:
    """One extension record type. Subclasses set the class attributes and implement the body codec."""

    code: ClassVar[int]
    name: ClassVar[str]  # registry.json extension_types[].name
    must_understand: ClassVar[bool] = False  # the one value its header flag may take
    defined: ClassVar[bool] = True  # False: the code is reserved, and a reader treats it as unknown
    # The bitstream version that defined this type (spec section 3): a file holding a record of it is written
    # with at least that version's byte. 1.0 defined types 1 and 3 only; a type added later declares its version.
    since: ClassVar[Version] = V1_1
    enums: ClassVar[dict[str, str]] = {}  # JSON field -> registry enumeration it holds
    summary: ClassVar[str] = ""  # one line for the spec's extension-types table
    json_form: ClassVar[dict[str, str]] = {}  # JSON field -> what it holds (the spec's JSON-form table)
    json_schema: ClassVar[dict[str, dict]] = {}  # JSON Schema of each body field that is neither an enumeration nor data
    ksy_fields: ClassVar[dict[str, str]] = {}  # JSON field -> attribute of its body type in spec/aigif.ksy

    # -- body codec: bytes <-> the record's fields other than type and must_understand ------------
    @classmethod
    def parse(cls, body: bytes, context: Any) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def build(cls, record: dict[str, Any], context: Any) -> bytes:
        raise NotImplementedError

    # -- JSON form -------------------------------------------------------------------------------
    @classmethod
    def to_json(cls, fields: dict[str, Any]) -> dict[str, Any]:
        """The record's fields as JSON (bytes as base64, RFC 4648 with padding)."""
        return {k: base64.b64encode(v).decode("ascii") if isinstance(v, (bytes, bytearray)) else v for k, v in fields.items()}

    @classmethod
    def from_json(cls, ext: dict[str, Any], resolve) -> dict[str, Any]:
        """A JSON extension record -> syntax form; resolve(value, enum, where) turns names into codes."""
        out = dict(ext)
        out["data"] = decode_base64(ext)
        for field, enum in cls.enums.items():
            if field in out:
                out[field] = resolve(out[field], enum, field)
        return out


def decode_base64(ext: dict[str, Any]) -> bytes:
    try:
        return base64.b64decode(ext["data"], validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise AigifError("AIGIF_E_RECORD", f"extension {ext.get('type')}: data is not base64") from None


class UnknownExtension(ExtensionType):
    """A type this reader does not define: its body is kept as opaque bytes."""

    name = "unknown"
    json_form = {"data": "base64 of the whole body, kept as read"}

    @classmethod
    def parse(cls, body: bytes, context: Any) -> dict[str, Any]:
        return {"data": body}

    @classmethod
    def build(cls, record: dict[str, Any], context: Any) -> bytes:
        return bytes(record["data"])


class CodedPayload(ExtensionType):
    """A body that is one exp code (a registry enumeration) followed by the data that code announces.

    Subclasses name the code's JSON field (code_field, with its enumeration in `enums`) and check the data.
    """

    code_field: ClassVar[str]

    @classmethod
    def parse(cls, body: bytes, context: Any) -> dict[str, Any]:
        stream = io.BytesIO(body)
        code = read_exp_code(stream, cls.code_field.replace("_", " "))
        data = body[stream.tell():]
        cls.check(code, data, context)
        return {cls.code_field: code, "data": data}

    @classmethod
    def build(cls, record: dict[str, Any], context: Any) -> bytes:
        cls.check(record[cls.code_field], record["data"], context)
        return encode_exp_code(record[cls.code_field]) + bytes(record["data"])

    @classmethod
    def check(cls, code: int, data: bytes, context: Any) -> None:
        raise NotImplementedError
