"""Draw Things: an XMP packet (PNG iTXt `XML:com.adobe.xmp`) whose exif:UserComment holds the settings as JSON.

The JSON's keys as Draw Things writes them: c (prompt), uc (negative prompt), seed, steps, scale,
sampler (its display name; the v2 configuration's "sampler" is its SamplerType number), model (the file
name), size "WxH", strength (1 for text-to-image),
seed_mode, lora [{file, weight}], and v2 (the full configuration: clipSkip, hiresFix, sharpness,
shift, refinerModel, ...). seed_mode says how noise is drawn: only "Torch CPU Compatible" and
"NVIDIA GPU Compatible" are torch generators; the others are Draw Things' own and are reported.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from typing import Any

from aigif_ref.importers import samplers
from aigif_ref.importers.common import (Imported, adapter_entry, adapters_extension, as_dict, as_list, base_record,
                                        dialect_extensions, fail, family_for_size, get_float, get_int, get_str, load_json,
                                        resolve_checkpoint, software)
from aigif_ref.registry import Registry

XMP_KEY = "XML:com.adobe.xmp"
KEYS = (XMP_KEY,)
TOOL = "Draw Things"
EXIF_NS = "{http://ns.adobe.com/exif/1.0/}"
SEED_MODES = {"Torch CPU Compatible": "cpu", "NVIDIA GPU Compatible": "cuda"}
V2_REPORTED = ("hiresFix", "refinerModel", "tiledDiffusion", "faceRestoration", "upscaler", "controls", "cfgZeroStar")


def detect(texts: dict[str, str]) -> bool:
    xmp = texts.get(XMP_KEY, "")
    return "UserComment" in xmp and ("Draw Things" in xmp or '"c"' in xmp)


def user_comment(xmp: str) -> str:
    """The exif:UserComment text of an XMP packet (plain, or in an rdf:Alt list); DTDs refused (entity expansion)."""
    if re.search(r"<!(DOCTYPE|ENTITY)", xmp):
        raise fail("Draw Things XMP declares a DTD or entities; refused (XMP needs none)")
    try:
        root = ElementTree.fromstring(xmp.strip().encode("utf-8"))
    except ElementTree.ParseError:
        raise fail("Draw Things XMP is not well-formed XML (truncated or damaged metadata)") from None
    for element in root.iter(f"{EXIF_NS}UserComment"):
        text = "".join(element.itertext()).strip()
        if text:
            return text
    raise fail("Draw Things XMP has no exif:UserComment text")


def to_record(texts: dict[str, str], registry: Registry, overlay: list[dict[str, Any]], size: tuple[int, int]) -> Imported:
    what = "Draw Things settings"
    meta = as_dict(load_json(user_comment(texts[XMP_KEY]), "Draw Things exif:UserComment"), what)
    v2 = as_dict(meta.get("v2", {}), f"{what} v2")
    unmapped: list[str] = []
    width, height = size
    if "size" in meta:
        match = re.fullmatch(r"([0-9]{1,6})x([0-9]{1,6})", get_str(meta, "size", what).strip())
        if match is None:
            raise fail(f"{what}: size must be WIDTHxHEIGHT")
        width, height = int(match[1]), int(match[2])
    record = base_record(prompt=get_str(meta, "c", what, ""), negative=get_str(meta, "uc", what, "") or None,
                         seed=get_int(meta, "seed", what), steps=get_int(meta, "steps", what),
                         guidance=get_float(meta, "scale", what, 7.0), width=width, height=height)
    raw_sampler = meta.get("sampler", v2.get("sampler", 0))  # v2 alone: the SamplerType number (0: DPM++ 2M Karras)
    sampler = samplers.draw_things_sampler_name(raw_sampler)
    if sampler is None:
        raise fail(f"{what}: sampler must be a Draw Things sampler name or a SamplerType number "
                   f"0..{len(samplers.DRAW_THINGS_SAMPLER_TYPES) - 1}")
    if "sampler" in meta and "sampler" in v2 and samplers.draw_things_sampler_name(v2["sampler"]) not in (None, sampler):
        unmapped.append(f"v2 sampler {v2['sampler']} differs from sampler {sampler}; {sampler} recorded")
    record["scheduler"], record["scheduler_config"] = samplers.named(samplers.DRAW_THINGS, sampler, registry, unmapped, TOOL)
    seed_mode = get_str(meta, "seed_mode", what, "Legacy")
    if seed_mode in SEED_MODES:
        record["platform"]["generator_device"] = SEED_MODES[seed_mode]
    else:
        unmapped.append(f"seed_mode {seed_mode}: Draw Things' own noise generator; not represented")
    if get_float(meta, "strength", what, 1.0) != 1.0:
        unmapped.append(f"strength {meta['strength']}: starts from an image; not represented")
    clip_skip = get_int(v2, "clipSkip", f"{what} v2", 1)
    if clip_skip > 1:
        record["params"]["clip_skip"] = clip_skip - 1
    if get_float(v2, "sharpness", f"{what} v2", 0.0):
        unmapped.append(f"sharpness {v2['sharpness']}: not represented")
    if get_float(v2, "shift", f"{what} v2", 1.0) != 1.0:
        unmapped.append(f"shift {v2['shift']}: not represented")
    for key in V2_REPORTED:
        if v2.get(key):
            unmapped.append(f"{key}: {str(v2[key])[:100]}; not represented")
    record["model_id"], extensions = resolve_checkpoint(get_str(meta, "model", what, ""), registry, overlay, unmapped,
                                                        family_for_size(width, height))
    entries = []
    for i, lora in enumerate(as_list(meta.get("lora", v2.get("loras", [])), f"{what} lora")):
        lora = as_dict(lora, f"{what} lora[{i}]")
        weight = get_float(lora, "weight", f"{what} lora[{i}]", 1.0)
        entries.append(adapter_entry("lora", get_str(lora, "file", f"{what} lora[{i}]"), overlay, unmapped, weight, weight))
    extensions += adapters_extension(entries)
    extensions += dialect_extensions("A1111", [record["prompt"], record["negative_prompt"]])
    extensions += software("Draw Things", None)
    record["extensions"] = extensions
    return Imported(record, unmapped, TOOL)
