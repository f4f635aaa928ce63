"""A record -> A1111 infotext (what `aigif export --a1111` prints).

An imported file's own infotext is printed as it was (source metadata, key ``parameters``);
otherwise the text is formatted from the record.
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
    registry = registry or default_registry()
    lines = [record["prompt"]]
    if record.get("negative_prompt") is not None:
        lines.append("Negative prompt: " + record["negative_prompt"])
    settings = [("Steps", record["steps"]), ("Sampler", registry.enum_name("schedulers", record["scheduler"])),
                ("CFG scale", record["guidance_scale"]), ("Seed", record["seed"]), ("Size", f"{record['width']}x{record['height']}"),
                ("Model", registry.models[record["model_id"]]["name"])]
    if "clip_skip" in record.get("params", {}):
        settings.append(("Clip skip", record["params"]["clip_skip"] + 1))
    lines.append(", ".join(f"{k}: {v}" for k, v in settings))
    return "\n".join(lines)
