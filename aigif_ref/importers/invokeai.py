"""InvokeAI: `invokeai_metadata` (3.x and later, CoreMetadataInvocation's fields), legacy `sd-metadata` and `Dream` (2.x).

InvokeAI runs diffusers, so its scheduler names map exactly (samplers.INVOKEAI). Its prompts are compel
syntax (recorded as the compel dialect when they use it). 2.x wrote the negative prompt inside the
prompt in square brackets ("a cat [blurry]"), and a Dream line of command-line switches beside (or
instead of) the sd-metadata JSON. Post-processing (face restoration, upscaling), variations, img2img,
seamless tiling, IP-Adapters and ControlNets change the pixels and are reported.
"""
from __future__ import annotations

import re
import shlex
from typing import Any

from aigif_ref.importers import samplers
from aigif_ref.importers.common import (Imported, adapter_entry, adapters_extension, as_dict, as_list, base_record,
                                        dialect_extensions, fail, get_float, get_int, get_str, load_json,
                                        resolve_checkpoint, software)
from aigif_ref.registry import Registry

KEYS = ("invokeai_metadata", "sd-metadata", "Dream")
TOOL = "InvokeAI"
BASES = {"sd-1": "sd1", "sd-2": "sd2", "sdxl": "sdxl", "sdxl-refiner": "sdxl-refiner", "flux": "flux"}  # base -> registry family
TXT2IMG = ("txt2img", "sdxl_txt2img", "flux_txt2img")
UNUSED_WHEN_FALSY = ("seamless_x", "seamless_y", "hrf_enabled", "ipAdapters", "ip_adapters", "controlnets", "t2iAdapters",
                     "refiner_model", "init_image")


def detect(texts: dict[str, str]) -> bool:
    return any(k in texts for k in KEYS)


def to_record(texts: dict[str, str], registry: Registry, overlay: list[dict[str, Any]]) -> Imported:
    if "invokeai_metadata" in texts:
        return _current(as_dict(load_json(texts["invokeai_metadata"], "InvokeAI `invokeai_metadata`"), "invokeai_metadata"),
                        registry, overlay)
    if "sd-metadata" in texts:
        return _legacy(as_dict(load_json(texts["sd-metadata"], "InvokeAI `sd-metadata`"), "sd-metadata"), registry, overlay)
    return _dream(texts["Dream"], registry, overlay)


def _model_name(model: Any, what: str) -> tuple[str, str]:
    """(name, base) of a model identifier: 4.x {key, hash, name, base, type}, 3.x {model_name, base_model, model_type}."""
    model = as_dict(model, what)
    name = model.get("name", model.get("model_name", ""))
    base = model.get("base", model.get("base_model", "sd-1"))
    if not isinstance(name, str) or not isinstance(base, str):
        raise fail(f"{what}: name and base must be text")
    return name, base


def _current(meta: dict[str, Any], registry: Registry, overlay: list[dict[str, Any]]) -> Imported:
    what = "InvokeAI metadata"
    unmapped: list[str] = []
    record = base_record(prompt=get_str(meta, "positive_prompt", what, ""), negative=meta.get("negative_prompt"),
                         seed=get_int(meta, "seed", what), steps=get_int(meta, "steps", what),
                         guidance=get_float(meta, "cfg_scale", what, 7.5), width=get_int(meta, "width", what),
                         height=get_int(meta, "height", what))
    if record["negative_prompt"] is not None and not isinstance(record["negative_prompt"], str):
        raise fail(f"{what}: 'negative_prompt' must be text")
    mode = get_str(meta, "generation_mode", what, "txt2img")
    if mode not in TXT2IMG:
        unmapped.append(f"generation_mode {mode}: starts from an image; not represented")
    record["scheduler"], record["scheduler_config"] = samplers.named(
        samplers.INVOKEAI, get_str(meta, "scheduler", what, "euler"), registry, unmapped, TOOL)
    device = get_str(meta, "rand_device", what, "cpu")
    if device in ("cpu", "cuda"):
        record["platform"]["generator_device"] = device
    else:
        unmapped.append(f"rand_device {device}: not a generator device the format knows")
    rescale = get_float(meta, "cfg_rescale_multiplier", what, 0.0)
    if rescale:
        record["params"]["guidance_rescale"] = rescale
    skip = get_int(meta, "clip_skip", what, 0)
    if skip:
        record["params"]["clip_skip"] = skip  # InvokeAI counts skipped layers, as diffusers does
    for key in ("positive_style_prompt", "negative_style_prompt"):
        style, own = meta.get(key), record["prompt" if key.startswith("positive") else "negative_prompt"]
        if isinstance(style, str) and style and style != own:
            unmapped.append(f"{key} (SDXL's second text encoder's prompt): not represented")
    for key in UNUSED_WHEN_FALSY:
        if meta.get(key):
            unmapped.append(f"{key}: set; not represented")
    name, base = _model_name(meta.get("model", {}), f"{what} model")
    family = BASES.get(base)
    if family is None:
        unmapped.append(f"model base {base}: no registry model family; sd1 recorded")
        family = "sd1"
    record["model_id"], extensions = resolve_checkpoint(name, registry, overlay, unmapped, family)
    entries = []
    for i, lora in enumerate(as_list(meta.get("loras", []), f"{what} loras")):
        lora = as_dict(lora, f"{what} loras[{i}]")
        lora_name, _ = _model_name(lora.get("model", lora.get("lora", {})), f"{what} loras[{i}]")
        weight = get_float(lora, "weight", f"{what} loras[{i}]", 1.0)
        entries.append(adapter_entry("lora", lora_name, overlay, unmapped, weight, weight))
    if meta.get("vae"):
        entries.append(adapter_entry("vae", _model_name(meta["vae"], f"{what} vae")[0], overlay, unmapped))
    extensions += adapters_extension(entries)
    extensions += dialect_extensions("compel", [record["prompt"], record["negative_prompt"]])
    extensions += software("InvokeAI", meta.get("app_version") if isinstance(meta.get("app_version"), str) else None)
    record["extensions"] = extensions
    return Imported(record, unmapped, TOOL)


NEGATIVE = re.compile(r"\[([^\[\]]*)\]")


def split_negative(prompt: str) -> tuple[str, str | None]:
    """InvokeAI 2.x: "a cat [blurry, dark]" -> ("a cat", "blurry, dark")."""
    negatives = NEGATIVE.findall(prompt)
    if not negatives:
        return prompt, None
    return re.sub(r"\s+", " ", NEGATIVE.sub("", prompt)).strip(), ", ".join(n.strip() for n in negatives)


def _legacy(meta: dict[str, Any], registry: Registry, overlay: list[dict[str, Any]]) -> Imported:
    what = "InvokeAI sd-metadata"
    unmapped: list[str] = []
    image = as_dict(meta.get("image"), f"{what} image")
    prompt = image.get("prompt", "")
    if isinstance(prompt, list):
        parts = [as_dict(p, f"{what} prompt entry") for p in prompt]
        if len(parts) != 1 or get_float(parts[0], "weight", what, 1.0) != 1.0:
            unmapped.append(f"{len(parts)} weighted prompts blended: only the first is recorded")
        prompt = get_str(parts[0], "prompt", what, "") if parts else ""
    if not isinstance(prompt, str):
        raise fail(f"{what}: the prompt must be text or a list of prompts")
    positive, negative = split_negative(prompt)
    record = base_record(prompt=positive, negative=negative, seed=get_int(image, "seed", what), steps=get_int(image, "steps", what),
                         guidance=get_float(image, "cfg_scale", what, 7.5), width=get_int(image, "width", what),
                         height=get_int(image, "height", what))
    record["scheduler"], record["scheduler_config"] = samplers.named(
        samplers.INVOKEAI_LEGACY, get_str(image, "sampler", what, "k_lms"), registry, unmapped, TOOL)
    _legacy_unmapped(image, unmapped)
    name = get_str(meta, "model_weights", what, "")
    model_hash = meta.get("model_hash") if isinstance(meta.get("model_hash"), str) else None
    record["model_id"], extensions = resolve_checkpoint(name, registry, overlay, unmapped, "sd1",
                                                        {"sha256": model_hash} if model_hash else None)
    extensions += dialect_extensions("compel", [record["prompt"], record["negative_prompt"]])
    extensions += software("InvokeAI", meta.get("app_version") if isinstance(meta.get("app_version"), str) else None)
    record["extensions"] = extensions
    return Imported(record, unmapped, TOOL)


def _legacy_unmapped(image: dict[str, Any], unmapped: list[str]) -> None:
    if image.get("type", "txt2img") != "txt2img":
        unmapped.append(f"type {image.get('type')}: starts from an image; not represented")
    for key in ("threshold", "perlin", "seamless", "hires_fix", "variations", "postprocessing", "strength", "init_image_path"):
        if image.get(key) and not (key == "strength" and image.get("type", "txt2img") == "txt2img"):
            unmapped.append(f"{key}: {str(image[key])[:200]}; not represented")


# Dream switches (InvokeAI 2.x ldm/invoke/args.py) -> sd-metadata keys.
DREAM_SWITCHES = {"-s": "steps", "-S": "seed", "-W": "width", "-H": "height", "-C": "cfg_scale", "-A": "sampler",
                  "-f": "strength", "-I": "init_image_path", "-G": "gfpgan_strength", "-U": "upscale", "-ft": "facetool",
                  "-cf": "codeformer_fidelity", "--seamless": "seamless", "--hires_fix": "hires_fix", "-V": "variations",
                  "-v": "variation_amount", "-t": "threshold", "--perlin": "perlin"}
FLAG_SWITCHES = {"--seamless", "--hires_fix"}


def _dream(text: str, registry: Registry, overlay: list[dict[str, Any]]) -> Imported:
    try:
        words = shlex.split(text)
    except ValueError:
        raise fail("InvokeAI `Dream`: unbalanced quotes (truncated or damaged metadata)") from None
    if not words:
        raise fail("InvokeAI `Dream` is empty")
    image: dict[str, Any] = {"prompt": words[0], "type": "txt2img", "sampler": "k_lms"}
    postprocessing: list[str] = []
    i = 1
    while i < len(words):
        switch = words[i]
        key = DREAM_SWITCHES.get(switch)
        if key is None:
            postprocessing.append(switch)
            i += 1
            continue
        if switch in FLAG_SWITCHES:
            image[key], i = True, i + 1
            continue
        values = []
        i += 1
        while i < len(words) and not (words[i].startswith("-") and not re.fullmatch(r"-?[0-9.]+", words[i])):
            values.append(words[i])
            i += 1
        image[key] = values[0] if len(values) == 1 else " ".join(values)
    if "init_image_path" in image:
        image["type"] = "img2img"
    for key in ("gfpgan_strength", "upscale", "facetool", "codeformer_fidelity", "variation_amount"):
        if key in image:
            postprocessing.append(f"{key} {image.pop(key)}")
    if postprocessing:
        image["postprocessing"] = ", ".join(postprocessing)
    for key in ("width", "height"):
        image.setdefault(key, "512")
    return _legacy({"image": image}, registry, overlay)
