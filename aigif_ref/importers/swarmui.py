"""SwarmUI: `parameters` JSON {"sui_image_params": {...}, "sui_extra_data": {...}, "sui_models": [...]}.

Parameter IDs are SwarmUI's parameter names lower-cased with everything but letters removed
(T2IParamTypes.CleanTypeName): prompt, negativeprompt, model, seed, steps, cfgscale, width, height,
sampler, scheduler (ComfyUI names: SwarmUI renders through ComfyUI), loras, loraweights,
loratencweights, clipstopatlayer, vae, ... sui_models hashes are "0x" + the sha256 of a safetensors
file's tensor data (after its header), not of the file, so models are found by name in the overlay.
A parameter the importer does not know is reported, since SwarmUI lists only parameters that were used.
"""
from __future__ import annotations

from typing import Any

from aigif_ref.importers import samplers
from aigif_ref.importers.common import (Imported, adapter_entry, adapters_extension, as_dict, as_list, base_record,
                                        dialect_extensions, family_for_size, fail, get_float, get_int, get_str, load_json,
                                        resolve_checkpoint, software)
from aigif_ref.registry import Registry

KEYS = ("parameters", "exif:UserComment")
TOOL = "SwarmUI"
HANDLED = {"prompt", "negativeprompt", "model", "seed", "steps", "cfgscale", "width", "height", "sampler", "scheduler",
           "loras", "loraweights", "loratencweights", "clipstopatlayer", "vae", "rescalecfgmultiplier"}
INFORMATIONAL = {"aspectratio", "swarm_version", "date", "generation_time", "original_prompt", "original_negativeprompt",
                 "used_wildcards", "wildcardseed", "nopreviews", "imageformat", "automaticvae", "personalnote",
                 "donotsave", "images", "batchsize", "sidelength", "presets", "used_embeddings"}


def _parameters(texts: dict[str, str]) -> str | None:
    """The JSON: PNG `parameters`, or the EXIF UserComment of a JPEG / WebP."""
    return next((texts[k] for k in ("parameters", "exif:UserComment") if '"sui_image_params"' in texts.get(k, "")[:4096]), None)


def detect(texts: dict[str, str]) -> bool:
    return _parameters(texts) is not None


def to_record(texts: dict[str, str], registry: Registry, overlay: list[dict[str, Any]]) -> Imported:
    top = as_dict(load_json(_parameters(texts) or "", "SwarmUI `parameters`"), "SwarmUI parameters")
    what = "SwarmUI sui_image_params"
    params = as_dict(top.get("sui_image_params"), what)
    unmapped: list[str] = []
    width, height = get_int(params, "width", what, 512), get_int(params, "height", what, 512)
    record = base_record(prompt=get_str(params, "prompt", what, ""), negative=get_str(params, "negativeprompt", what, "") or None,
                         seed=get_int(params, "seed", what), steps=get_int(params, "steps", what, 20),
                         guidance=get_float(params, "cfgscale", what, 7.0), width=width, height=height)
    record["scheduler"], record["scheduler_config"] = samplers.kdiffusion(
        get_str(params, "sampler", what, "euler"), get_str(params, "scheduler", what, "normal"), registry, unmapped, TOOL)
    record["platform"]["generator_device"] = "cpu"  # ComfyUI's noise
    layer = get_int(params, "clipstopatlayer", what, -1)
    if layer < -1:
        record["params"]["clip_skip"] = -layer - 1
    rescale = get_float(params, "rescalecfgmultiplier", what, 0.0)
    if rescale:
        record["params"]["guidance_rescale"] = rescale
    for key, value in params.items():
        if key not in HANDLED and key not in INFORMATIONAL:
            unmapped.append(f"{key}: {str(value)[:100]}; not represented")
    if any("<" in (p or "") for p in (record["prompt"], record["negative_prompt"])):
        unmapped.append("SwarmUI <...> prompt syntax (LoRA, wildcard, segment tags): no registry dialect; kept as text")
    record["model_id"], extensions = resolve_checkpoint(get_str(params, "model", what, ""), registry, overlay, unmapped,
                                                        family_for_size(width, height))
    names = [get_str({"n": n}, "n", f"{what} loras") for n in as_list(params.get("loras", []), f"{what} loras")]
    weights = as_list(params.get("loraweights", ["1"] * len(names)), f"{what} loraweights")
    tenc = as_list(params.get("loratencweights", weights), f"{what} loratencweights")
    if not len(names) == len(weights) == len(tenc):
        raise fail(f"{what}: loras, loraweights and loratencweights have different lengths")
    entries = [adapter_entry("lora", name, overlay, unmapped, get_float({"w": w}, "w", f"{what} loraweights"),
                             get_float({"w": t}, "w", f"{what} loratencweights")) for name, w, t in zip(names, weights, tenc)]
    vae = params.get("vae")
    if isinstance(vae, str) and vae not in ("", "None", "Automatic"):
        entries.append(adapter_entry("vae", vae, overlay, unmapped))
    extensions += adapters_extension(entries)
    extensions += dialect_extensions("ComfyUI", [record["prompt"], record["negative_prompt"]])
    version = params.get("swarm_version")
    extensions += software("SwarmUI", version if isinstance(version, str) else None)
    record["extensions"] = extensions
    return Imported(record, unmapped, TOOL)
