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
    pairs: dict[str, Any] = {
        "Steps": record["steps"],
        "Sampler": registry.enum_name("schedulers", record["scheduler"]),
        "CFG scale": format_number(record["guidance_scale"]),
        "Seed": record["seed"],
        "Size": f"{record['width']}x{record['height']}",
        "Model": model["name"] if model else f"AIGIF model {record['model_id']}",
    }
    if "clip_skip" in params:
        pairs["Clip skip"] = params["clip_skip"]
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
