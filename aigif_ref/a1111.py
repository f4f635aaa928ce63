"""AUTOMATIC1111 "infotext": the `parameters` text that Stable Diffusion web UI writes into its PNGs.

Existing tools (the web UI's PNG Info tab, ComfyUI and InvokeAI importers, Civitai, exiftool users) read
generation settings from this text, so rendered PNGs carry it beside the AIGIF record. Its shape:

    <prompt>
    Negative prompt: <negative prompt>
    Steps: 20, Sampler: DPM++ 2M Karras, CFG scale: 7.5, Seed: 42, Size: 512x768, Model: name, ...

The last line is comma-separated ``Key: value`` pairs; a value holding a comma, colon or quote is
written as a JSON string (the web UI's ``quote``). The web UI has no AIGIF model IDs or registry
codes, so scheduler and model are written by their registry names; the web UI's "Model hash" is the
sha256 of one checkpoint file, which diffusers-format models do not have, so it is left out.
"""
from __future__ import annotations

import json
from typing import Any

from aigif_ref.registry import Registry

STAGES_TYPE = 6  # registry.json extension_types "stages"
SCHEDULE_TYPES = {"use_karras_sigmas": "Karras", "use_exponential_sigmas": "Exponential"}  # scheduler_config -> web UI


def quote(value: Any) -> str:
    """A value as the web UI writes it: plain, or a JSON string when it holds , : or "."""
    text = str(value)
    return json.dumps(text, ensure_ascii=False) if any(c in text for c in ',:"\n') else text


def format_number(value: float) -> str:
    """7.0 -> "7", 7.5 -> "7.5" (the web UI prints CFG scale like this)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def settings(record: dict[str, Any], registry: Registry) -> dict[str, str]:
    """The infotext's ``Key: value`` pairs for a canonical JSON record, in the web UI's order."""
    model = registry.models.get(record["model_id"])
    params = record.get("params") or {}
    sampler = registry.enum_name("schedulers", record["scheduler"])
    stages = next((e for e in record.get("extensions") or [] if e["type"] == STAGES_TYPE), None)
    height, width = (stages["base_height"], stages["base_width"]) if stages else (record["height"], record["width"])
    pairs: dict[str, Any] = {
        "Steps": record["steps"],
        "Sampler": sampler,
        "CFG scale": format_number(record["guidance_scale"]),
        "Seed": record["seed"],
        "Size": f"{width}x{height}",  # the web UI's Size is the first pass's
        "Model": model["name"] if model else f"AIGIF model {record['model_id']}",
    }
    config = record.get("scheduler_config") or {}
    for flag, schedule in SCHEDULE_TYPES.items():
        if config.get(flag) and not sampler.endswith(" " + schedule):
            pairs["Schedule type"] = schedule
    if "clip_skip" in params:
        pairs["Clip skip"] = params["clip_skip"] + 1  # diffusers skips N layers; the web UI counts the last layer as 1
    refiner = stages["stages"][-1] if stages and "denoising_start" in stages["stages"][-1] else None
    if refiner is not None:  # (h-sdxl) the web UI's refiner: the model and the switch (the importer's inverse)
        pairs["Refiner"] = registry.models.get(refiner["model_id"], {}).get("name", f"AIGIF model {refiner['model_id']}")
        pairs["Refiner switch at"] = format_number(refiner["denoising_start"])
    elif stages and len(stages["stages"]) == 1:
        stage = stages["stages"][0]
        pairs["Denoising strength"] = format_number(stage["denoising_strength"])
        pairs["Hires resize"] = f"{stage['width']}x{stage['height']}"
        pairs["Hires steps"] = stage["steps"]
        pairs["Hires upscaler"] = registry.enum_name("upscalers", stage["upscaler"])
        if stage["scheduler"] != record["scheduler"]:
            pairs["Hires sampler"] = registry.enum_name("schedulers", stage["scheduler"])
    if "eta" in params:
        pairs["Eta"] = format_number(params["eta"])
    if "guidance_rescale" in params:
        pairs["CFG rescale"] = format_number(params["guidance_rescale"])
    pairs["AIGIF model ID"] = record["model_id"]
    pairs["AIGIF version"] = record.get("aigif_version", "1.0")
    return {key: quote(value) for key, value in pairs.items()}


def infotext(record: dict[str, Any], registry: Registry) -> str:
    """The whole `parameters` text for a canonical JSON record."""
    lines = [record["prompt"]]
    if record.get("negative_prompt"):  # None (not given) and "" (given empty) both print nothing, as the web UI does
        lines.append(f"Negative prompt: {record['negative_prompt']}")
    lines.append(", ".join(f"{key}: {value}" for key, value in settings(record, registry).items()))
    return "\n".join(lines)
