"""Type 9, source metadata: the metadata an imported image carried, kept verbatim (text chunks, EXIF comment).

What the importer could not represent in AIGIF fields stays here, so nothing is lost; ``unmapped``
lists what it did not represent. Not must-understand: rendering does not read it.
"""
from __future__ import annotations

from aigif_ref.extensions.slots import Slot, SlotExtension
from aigif_ref.grammar import limits

MAX_ENTRIES = 64


class SourceMetadata(SlotExtension):
    code = 9
    name = "source_metadata"
    summary = "the imported file's metadata, verbatim (e.g. PNG `parameters`, ComfyUI `prompt` and `workflow`)"
    slots = (
        Slot("entries", "list", "one per metadata item of the source file", max=MAX_ENTRIES, items=(
            Slot("key", "string", "where it was: the PNG text key, or `exif:UserComment`", max=255),
            Slot("text", "string", "the item's text, verbatim", max=limits.MAX_EXTENSION_BYTES // 2),
        )),
        Slot("unmapped", "string", "settings the importer could not represent (one per line; empty: none)", max=65535),
    )
    json_form = {"entries": "array of {key, text}", "unmapped": "string"}
