"""Type 4, model file: the weights named by their content (a community checkpoint, one .safetensors file).

The core model_id still names a registry model: its family gives the pipeline, and its files give the
configuration (diffusers' from_single_file ``config=``) of the checkpoint named here. A reader that does
not understand this record would render the registry model's own weights: a different image, so the
record is must-understand.
"""
from __future__ import annotations

from aigif_ref.extensions.slots import Slot, SlotExtension

HASH_SLOTS = (
    Slot("hash_algorithm", "enum", "how the digest was computed", enum="hash_algorithms"),
    Slot("digest", "digest", "the file's digest (lowercase hex in JSON)"),
)


class ModelFile(SlotExtension):
    code = 4
    name = "model_file"
    must_understand = True
    summary = "the checkpoint file by content hash (single-file weights); the core model_id gives family and config"
    slots = (*HASH_SLOTS,
             Slot("name", "string", "the file's name as its user knew it (a hint, not used to load)", max=255))
    json_form = {s.name: s.doc for s in slots}
    enums = {"hash_algorithm": "hash_algorithms"}
