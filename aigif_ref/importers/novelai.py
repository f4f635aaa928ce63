"""NovelAI: `Software` = "NovelAI", `Source` (the model), `Description` (the prompt) and `Comment` (JSON settings).

Comment keys as NovelAI writes them: prompt (newer images), steps, height, width (older images leave the
size to the image), scale, uncond_scale, cfg_rescale, seed, n_samples, noise_schedule, sampler, sm /
sm_dyn (SMEA), dynamic_thresholding, skip_cfg_above_sigma, uc (the negative prompt), request_type,
strength / noise (image-to-image only), v4_prompt. NovelAI also hides the same text chunks in the
alpha channel's low bits ("stealth_pngcomp"), which files.py reads. NovelAI's models are not public,
so the model is always reported; so are its {emphasis} and [de-emphasis] brackets, which no registry
dialect describes.
"""
from __future__ import annotations

import re
from typing import Any

from aigif_ref.importers import samplers
from aigif_ref.importers.common import (Imported, as_dict, base_record, fail, get_float, get_int, get_str, load_json,
                                        resolve_checkpoint, software)
from aigif_ref.registry import Registry

KEYS = ("Comment", "Software", "Source", "Description")
TOOL = "NovelAI"
EMPHASIS = re.compile(r"[{}\[\]]|::")
REPORTED_WHEN_SET = ("sm", "sm_dyn", "dynamic_thresholding", "skip_cfg_above_sigma", "skip_cfg_below_sigma",
                     "controlnet_model", "reference_image", "reference_image_multiple", "legacy_v3_extend")


def detect(texts: dict[str, str]) -> bool:
    return texts.get("Software", "").startswith("NovelAI") and "Comment" in texts


def to_record(texts: dict[str, str], registry: Registry, overlay: list[dict[str, Any]], size: tuple[int, int]) -> Imported:
    what = "NovelAI Comment"
    meta = as_dict(load_json(texts["Comment"], "NovelAI `Comment`"), what)
    unmapped: list[str] = []
    prompt = meta.get("prompt", texts.get("Description", ""))
    if not isinstance(prompt, str):
        raise fail(f"{what}: 'prompt' must be text")
    negative = meta.get("uc")
    if negative is not None and not isinstance(negative, str):
        raise fail(f"{what}: 'uc' must be text")
    record = base_record(prompt=prompt, negative=negative, seed=get_int(meta, "seed", what), steps=get_int(meta, "steps", what),
                         guidance=get_float(meta, "scale", what, 5.0), width=get_int(meta, "width", what, size[0]),
                         height=get_int(meta, "height", what, size[1]))
    schedule = get_str(meta, "noise_schedule", what, "native")
    extra = samplers.NOVELAI_SCHEDULES.get(schedule)
    if extra is None:
        unmapped.append(f"NovelAI noise_schedule {schedule}: no diffusers scheduler config equivalent; native recorded")
    record["scheduler"], record["scheduler_config"] = samplers.named(
        samplers.NOVELAI, get_str(meta, "sampler", what, "k_euler_ancestral"), registry, unmapped, TOOL, extra)
    rescale = get_float(meta, "cfg_rescale", what, 0.0)
    if rescale:
        record["params"]["guidance_rescale"] = rescale
    if get_float(meta, "uncond_scale", what, 1.0) != 1.0:
        unmapped.append(f"uncond_scale {meta['uncond_scale']}: the negative prompt's strength; not represented")
    for key in REPORTED_WHEN_SET:
        if meta.get(key):
            unmapped.append(f"{key}: {str(meta[key])[:100]}; not represented")
    if meta.get("request_type") not in (None, "PromptGenerateRequest"):
        unmapped.append(f"request_type {meta['request_type']}: starts from an image; not represented")
    v4 = meta.get("v4_prompt")
    captions = v4.get("caption") if isinstance(v4, dict) else None
    if isinstance(captions, dict) and captions.get("char_captions"):
        unmapped.append("v4_prompt character captions (regional prompts): not represented")
    if get_int(meta, "n_samples", what, 1) > 1:
        unmapped.append(f"n_samples {meta['n_samples']}: which image of the batch this is is not recorded")
    if any(EMPHASIS.search(p or "") for p in (prompt, negative)):
        unmapped.append("NovelAI {emphasis} / [de-emphasis] brackets: no registry prompt dialect; the prompt is kept as text")
    source = texts.get("Source", "")
    family = "sd1" if re.fullmatch(r"Stable Diffusion [0-9A-F]{8}", source) else "sdxl"
    unmapped.append(f"model {source or 'unknown'}: NovelAI's models are not public; the {family} base model recorded")
    record["model_id"], extensions = resolve_checkpoint("", registry, [], [], family)
    extensions += software("NovelAI", source)
    record["extensions"] = extensions
    return Imported(record, unmapped, TOOL)
