"""A record -> A1111 infotext (what `aigif export --a1111` prints).

An imported file's own infotext is printed as it was (source metadata, key ``parameters``);
otherwise aigif_ref.a1111 formats it from the record.
"""
from __future__ import annotations

from typing import Any

from aigif_ref.record import find_extension
from aigif_ref.registry import Registry, default_registry

SOURCE_METADATA_TYPE = 9


def a1111_infotext(record: dict[str, Any], registry: Registry | None = None) -> str:
    source = find_extension(record, SOURCE_METADATA_TYPE)
    for entry in (source or {}).get("entries", []):
        if entry["key"] in ("parameters", "exif:UserComment"):
            return entry["text"]
    from aigif_ref.a1111 import infotext

    return infotext(record, registry or default_registry())
