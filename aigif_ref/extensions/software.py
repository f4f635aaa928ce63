"""Type 8, software: the program that generated the image and its version (information; pixels do not depend on it)."""
from __future__ import annotations

from aigif_ref.extensions.slots import Slot, SlotExtension


class Software(SlotExtension):
    code = 8
    name = "software"
    summary = "name and version of the generating program (e.g. AUTOMATIC1111 stable-diffusion-webui v1.10.1)"
    slots = (Slot("name", "string", "the program", max=255), Slot("version", "string", "its version as it prints it", max=255))
    json_form = {s.name: s.doc for s in slots}
