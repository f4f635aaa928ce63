"""Syntax cases of the version byte (spec 1.1, section 3) and of extension types 2 and 4-9.

A writer writes the lowest version whose features the file uses. Every feature newer than 1.0 is read
off its declaration (FieldSpec.since, ExtensionType.since), so a new field or type gets its cases here
without an edit: a valid file that uses it (written with its version's byte) and the same file claiming
1.0 (AIGIF_E_NONCANONICAL where the feature is read). A 1.1 file that uses only 1.0 features is a second
encoding of a 1.0 record (AIGIF_E_NONCANONICAL at the version byte).
"""
from __future__ import annotations

from aigif_ref.extensions import (DECODED, Adapters, Model, ModelFile, PromptDialect, SlotExtension, Software,
                                   SourceMetadata, Stages)
from aigif_ref.grammar.fields import GROUPS
from aigif_ref.grammar.versions import V1_0, Version
from vectors.syntax_gen.cases import record_of

SIZE = 8  # record_of's height and width
SHA = "ab" * 32

# A record as the A1111 importer writes it: every structured type with realistic values (UTF-8, AutoV2 digests).
A1111_EXTENSIONS = [
    {"type": ModelFile.code, "hash_algorithm": "sha256", "digest": SHA, "name": "dreamshaper_8.safetensors"},
    {"type": Adapters.code, "adapters": [
        {"kind": "lora", "hash_algorithm": "AutoV2", "digest": "0123456789", "name": "detail_tweaker", "unet_scale": 0.8,
         "text_encoder_scale": 0.6},
        {"kind": "textual_inversion", "hash_algorithm": "sha256", "digest": SHA, "name": "easynegative",
         "unet_scale": 1, "text_encoder_scale": 1}]},
    {"type": Stages.code, "base_height": 512, "base_width": 384, "stages": [
        {"kind": "hires_fix", "upscaler": "Latent", "height": 1024, "width": 768, "steps": 10,
         "denoising_strength": 0.55, "scheduler": "DPM++ 2M Karras"}]},
    {"type": PromptDialect.code, "dialect": "A1111"},
    {"type": Software.code, "name": "AUTOMATIC1111", "version": "v1.10.1"},
    {"type": SourceMetadata.code, "entries": [{"key": "parameters", "text": "a cat in a café, (masterpiece:1.2)\nSteps: 20, Sampler: DPM++ 2M"}],
     "unmapped": "ENSD: 31337"},
]
MODEL_REFERENCED = {"type": Model.code, "model_compressor": 1, "storage": 1, "payload_sha256": SHA, "payload_size": 1000}


def _model_accepting(registry, group: str, name: str) -> int | None:
    """A model whose family accepts the field (params are per family, registry "families"); None: no family yet."""
    if group != "params":
        return 0
    families = {f["name"] for f in registry.data["families"] if name in f["params"]}
    return next((m["id"] for m in registry.data["models"] if m["family"] in families), None)


def _samples(registry) -> list[tuple[str, str, Version, dict, str]]:
    """(case id suffix, feature, its version, record, where the feature is read: a span name) of every feature after 1.0."""
    out = []
    for group, specs in GROUPS.items():
        for spec in specs:
            model = _model_accepting(registry, group, spec.name)
            if spec.since > V1_0 and model is not None:
                value = spec.wire_type.edge_values(spec)[0]
                out.append((f"{group}-{spec.name}".replace("_", "-"), f"{group}.{spec.name}", spec.since,
                            record_of(model_id=model, **{group: {spec.name: value}}), f"{group}.bitmap"))
    for cls in DECODED.values():
        if cls.since > V1_0:
            ext = cls.sample(SIZE) if issubclass(cls, SlotExtension) else MODEL_REFERENCED if cls is Model else None
            if ext is not None:
                out.append((f"extension-{cls.name}".replace("_", "-"), f"extension type {cls.code} ({cls.name})", cls.since,
                            record_of(extensions=[ext]), "ext0.header"))
    return out


def add_cases(b) -> None:
    for suffix, feature, since, record, where in _samples(b.registries[None]):
        tag = f"{since.major}-{since.minor}"
        case = b.valid(f"valid-version-{tag}-{suffix}", f"A file that uses {feature}, added in {since}, at its sample "
                       f"value: the version byte is {since.byte:02x}.", ["version", "extension" if where.startswith("ext")
                                                                         else "group", f"v{since}"], record)
        version = case.data[4]
        assert version == since.byte, (case.id, version)
        s = b.cut(case.id).replace((4, 5), bytes([V1_0.byte]), f"{V1_0.byte:02x} (version 1.0)")
        b.invalid(f"invalid-noncanonical-version-1-0-{suffix}",
                  f"valid-version-{tag}-{suffix} claiming version 1.0 (byte 10, not {version:02x}): {feature} needs a later version, so a "
                  "1.1 reader rejects the version byte where the feature is read (a 1.0 reader: RESERVED or MUST_UNDERSTAND, "
                  "or an unknown type kept as bytes).", ["version", "order-of-checks", "v1.1"], s.done(),
                  "AIGIF_E_NONCANONICAL", s.start(where))
    s = b.cut("valid-minimal").replace((4, 5), b"\x11", "11 (version 1.1)")
    b.invalid("invalid-noncanonical-version-1-1-unused", "The minimal file claiming version 1.1 although it uses only 1.0 "
              "features: a second encoding of a 1.0 record (checked after the last extension record).",
              ["version", "canonical", "v1.1"], s.done(), "AIGIF_E_NONCANONICAL", 4)
    b.valid("valid-extensions-a1111", "Extension types 4-9 as the A1111 importer writes them: a checkpoint, a LoRA and an "
            "embedding (AutoV2 and sha256 digests), a hires-fix stage, the A1111 prompt dialect, software, and the "
            "source's metadata with non-ASCII text.", ["extension", "v1.1"],
            record_of(height=1024, width=768, extensions=A1111_EXTENSIONS))
