"""Fooocus: `parameters` JSON with `fooocus_scheme` = "fooocus" (modules/meta_parser.py FooocusMetadataParser).

Keys as Fooocus writes them (modules/async_worker.py save_and_log): prompt, negative_prompt, styles,
performance, steps, resolution "(width, height)", guidance_scale, sharpness, adm_guidance, base_model,
base_model_hash (A1111's AutoV2), refiner_model, refiner_switch, sampler, scheduler (ComfyUI names),
seed (a string), loras [[name, weight, AutoV2]], vae, clip_skip, full_prompt / full_negative_prompt
(the styled and expanded prompts it actually encodes), version. With fooocus_scheme = "a1111" the
`parameters` text is A1111 infotext and the A1111 importer reads it.

Fooocus always samples through its own patches (sharpness, ADM guidance, adaptive CFG) and conditions
on the full prompts: those are reported for every file; the prompt recorded is the one the user typed.
"""
from __future__ import annotations

import re
from typing import Any

from aigif_ref.importers import samplers
from aigif_ref.importers.common import (Imported, adapter_entry, adapters_extension, as_dict, as_list, base_record,
                                        dialect_extensions, fail, get_float, get_int, get_str, load_json,
                                        resolve_checkpoint, software)
from aigif_ref.registry import Registry

KEYS = ("parameters", "fooocus_scheme", "exif:UserComment", "exif:MakerNote")
TOOL = "Fooocus"
RESOLUTION = re.compile(r"\(\s*([0-9]{1,6})\s*,\s*([0-9]{1,6})\s*\)")
PERFORMANCE_LORAS = ("Extreme Speed", "Lightning", "Hyper-SD")  # modules/flags.py PerformanceLoRA
DEFAULT_VAE = "Default (model)"


def _parameters(texts: dict[str, str]) -> str | None:
    """The JSON: PNG `parameters` beside `fooocus_scheme`, or (JPEG, WebP) EXIF UserComment beside MakerNote."""
    for text, scheme in (("parameters", "fooocus_scheme"), ("exif:UserComment", "exif:MakerNote")):
        if texts.get(scheme) == "fooocus" and texts.get(text, "").lstrip().startswith("{"):
            return texts[text]
    return None


def detect(texts: dict[str, str]) -> bool:
    return _parameters(texts) is not None


def to_record(texts: dict[str, str], registry: Registry, overlay: list[dict[str, Any]]) -> Imported:
    what = "Fooocus parameters"
    meta = as_dict(load_json(_parameters(texts) or "", "Fooocus `parameters`"), what)
    unmapped: list[str] = []
    size = RESOLUTION.fullmatch(get_str(meta, "resolution", what).strip())
    if size is None:
        raise fail(f"{what}: resolution {str(meta.get('resolution'))[:40]!r} is not \"(width, height)\"")
    record = base_record(prompt=get_str(meta, "prompt", what, ""), negative=get_str(meta, "negative_prompt", what, "") or None,
                         seed=get_int(meta, "seed", what), steps=get_int(meta, "steps", what),
                         guidance=get_float(meta, "guidance_scale", what, 4.0), width=int(size[1]), height=int(size[2]))
    record["scheduler"], record["scheduler_config"] = samplers.kdiffusion(
        get_str(meta, "sampler", what, "dpmpp_2m_sde_gpu"), get_str(meta, "scheduler", what, "karras"), registry, unmapped, TOOL)
    record["platform"]["generator_device"] = "cpu"
    clip_skip = get_int(meta, "clip_skip", what, 1)
    if clip_skip > 1:
        record["params"]["clip_skip"] = clip_skip - 1  # Fooocus counts as A1111 does
    full = [as_list(meta.get(k, []), f"{what} {k}") for k in ("full_prompt", "full_negative_prompt")]
    if full[0] != [record["prompt"]] or (full[1] and full[1] != [record["negative_prompt"] or ""]):
        unmapped.append(f"Fooocus encodes its full prompts ({len(full[0])} positive, {len(full[1])} negative parts: styles "
                        "and the V2 expansion), not the typed prompt alone; they are in the kept metadata")
    patches = {k: meta[k] for k in ("sharpness", "adm_guidance", "adaptive_cfg") if k in meta}
    unmapped.append(f"Fooocus sampling patches {patches or '(defaults)'}: not represented")
    for key in ("freeu", "overwrite_switch", "inpaint_method"):
        if key in meta:
            unmapped.append(f"{key}: {str(meta[key])[:100]}; not represented")
    performance = get_str(meta, "performance", what, "Speed")
    if performance in PERFORMANCE_LORAS:
        unmapped.append(f"performance {performance}: Fooocus adds its speed-up LoRA and changes the sampler; not represented")
    refiner = get_str(meta, "refiner_model", what, "None")
    if refiner not in ("None", ""):
        unmapped.append(f"refiner {refiner} from {get_float(meta, 'refiner_switch', what, 0.8):g} of the steps: not represented")
    base = get_str(meta, "base_model", what, "")
    base_hash = meta.get("base_model_hash") if isinstance(meta.get("base_model_hash"), str) else None
    record["model_id"], extensions = resolve_checkpoint(base, registry, overlay, unmapped, "sdxl",
                                                        {"autov2": base_hash} if base_hash else None)
    entries = []
    for i, lora in enumerate(as_list(meta.get("loras", []), f"{what} loras")):
        lora = as_list(lora, f"{what} loras[{i}]")
        if len(lora) < 2 or not isinstance(lora[0], str):
            raise fail(f"{what}: loras[{i}] must be [name, weight, hash]")
        weight = get_float({"weight": lora[1]}, "weight", f"{what} loras[{i}]")
        short = lora[2] if len(lora) > 2 and isinstance(lora[2], str) else None
        entries.append(adapter_entry("lora", lora[0], overlay, unmapped, weight, weight, autov2=short))
    vae = get_str(meta, "vae", what, DEFAULT_VAE)
    if vae not in (DEFAULT_VAE, "None", ""):
        entries.append(adapter_entry("vae", vae, overlay, unmapped))
    extensions += adapters_extension(entries)
    extensions += dialect_extensions("ComfyUI", [record["prompt"], record["negative_prompt"]])
    version = get_str(meta, "version", what, "")
    extensions += software("Fooocus", version.removeprefix("Fooocus ").removeprefix("v"))
    record["extensions"] = extensions
    return Imported(record, unmapped, TOOL)
