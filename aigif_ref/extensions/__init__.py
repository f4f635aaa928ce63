"""Extension record types, one module each, registered here (the only list of them).

Adding a type: a module with one ExtensionType subclass, its line in TYPES, and its entry in
registry.json "extension_types" (tests/test_registry.py checks the two agree).
"""
from __future__ import annotations

from aigif_ref.extensions.base import CodedPayload, ExtensionType, UnknownExtension
from aigif_ref.extensions.model import Model
from aigif_ref.extensions.pixel_digest import PixelDigest
from aigif_ref.extensions.pixels import Pixels
from aigif_ref.extensions.model_file import ModelFile
from aigif_ref.extensions.adapters import Adapters
from aigif_ref.extensions.stages import Stages
from aigif_ref.extensions.prompt_dialect import PromptDialect
from aigif_ref.extensions.software import Software
from aigif_ref.extensions.source_metadata import SourceMetadata
from aigif_ref.extensions.slots import SlotExtension

TYPES: dict[int, type[ExtensionType]] = {cls.code: cls for cls in (Pixels, Model, PixelDigest, ModelFile, Adapters, Stages, PromptDialect,
                                                          Software, SourceMetadata)}

# The types a v1.0 reader decodes; every other type (reserved ones included) is unknown to it.
DECODED: dict[int, type[ExtensionType]] = {code: cls for code, cls in TYPES.items() if cls.defined}


def type_of(code: int) -> type[ExtensionType]:
    """The class that reads records of this type: its own, or UnknownExtension."""
    return DECODED.get(code, UnknownExtension)


def enum_fields() -> dict[str, str]:
    """Every JSON field of a coded-payload body (data after one code) that holds a registry code -> its enumeration."""
    return {field: enum for cls in DECODED.values() if not issubclass(cls, SlotExtension) for field, enum in cls.enums.items()}


def extension_field_schemas() -> dict[str, dict]:
    """JSON Schemas of the extension body fields that are neither enumerations nor data (e.g. the model's payload sha256)."""
    return {field: schema for cls in DECODED.values() for field, schema in cls.json_schema.items()}


__all__ = ["TYPES", "DECODED", "type_of", "enum_fields", "extension_field_schemas", "ExtensionType", "CodedPayload",
           "UnknownExtension", "Pixels", "Model", "PixelDigest",
           "ModelFile", "Adapters", "Stages", "PromptDialect", "Software", "SourceMetadata", "SlotExtension"]
