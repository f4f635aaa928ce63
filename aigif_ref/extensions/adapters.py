"""Type 5, adapters: LoRA, textual-inversion embeddings and VAE overrides, each by content hash with its weights.

Applied in the order listed: LoRAs (at their UNet and text-encoder scales), embeddings (their token is
``name``; the scales must be 1), a VAE (replaces the model's; the scales must be 1).
"""
from __future__ import annotations

from typing import Any

from aigif_ref.errors import AigifError
from aigif_ref.extensions.model_file import HASH_SLOTS
from aigif_ref.extensions.slots import Slot, SlotExtension

MAX_ADAPTERS = 64


class Adapters(SlotExtension):
    code = 5
    name = "adapters"
    must_understand = True
    summary = "LoRA / textual-inversion / VAE files by content hash, with UNet and text-encoder scales"
    slots = (Slot("adapters", "list", "the adapters, in the order they are applied", max=MAX_ADAPTERS, items=(
        Slot("kind", "enum", "what the file is", enum="adapter_kinds"),
        *HASH_SLOTS,
        Slot("name", "string", "LoRA: its name; embedding: the token the prompt uses; VAE: its name", max=255),
        Slot("unet_scale", "cfloat", "LoRA scale on the UNet (1 for other kinds)"),
        Slot("text_encoder_scale", "cfloat", "LoRA scale on the text encoder(s) (1 for other kinds)"),
    )),)
    json_form = {"adapters": "array of {kind, hash_algorithm, digest, name, unet_scale, text_encoder_scale}"}
    enums = {"kind": "adapter_kinds", "hash_algorithm": "hash_algorithms"}

    @classmethod
    def check(cls, fields: dict[str, Any], context: Any) -> None:
        for i, entry in enumerate(fields["adapters"]):
            if entry["kind"] != 0 and (entry["unet_scale"] != 1 or entry["text_encoder_scale"] != 1):
                raise AigifError("AIGIF_E_EXTENSION", f"adapters[{i}]: only a LoRA (kind 0) has scales other than 1")
            if entry["kind"] == 1 and not entry["name"]:
                raise AigifError("AIGIF_E_EXTENSION", f"adapters[{i}]: an embedding needs its token as name")
        if sum(1 for e in fields["adapters"] if e["kind"] == 2) > 1:
            raise AigifError("AIGIF_E_EXTENSION", "adapters: at most one VAE")
