"""AUTOMATIC1111 / Forge infotext ("parameters" PNG text, or the EXIF UserComment of JPEG/WebP) -> record.

Infotext is three parts: the prompt, a "Negative prompt: " line, and a last line of comma-separated
``Key: value`` settings (values with commas are double-quoted). Settings map to AIGIF fields as the
table below says; every other setting is returned as unmapped (the caller reports it and keeps the
whole infotext in the source-metadata extension).
"""
from __future__ import annotations

import json
import re
from typing import Any

from aigif_ref.importers.common import dialect_extensions
from aigif_ref.registry import Registry

SETTING = re.compile(r'\s*([\w][\w \-/+]*?):\s*("(?:\\.|[^\\"])*"|[^,]*)(?:,|$)')
# A1111 sampler name -> (registry scheduler name, scheduler_config changes). " Karras" / " Exponential"
# suffixes (and, from 1.9, "Schedule type") become use_karras_sigmas / use_exponential_sigmas.
SAMPLERS: dict[str, tuple[str, dict[str, Any]]] = {
    "Euler a": ("Euler a", {}), "Euler": ("Euler", {}), "DDIM": ("DDIM", {}), "PLMS": ("PNDM", {}),
    "UniPC": ("UniPC", {}), "LCM": ("LCM", {}), "Heun": ("Heun", {}), "LMS": ("LMS", {}), "DPM2": ("DPM2", {}),
    "DPM2 a": ("DPM2 a", {}), "DPM++ 2M": ("DPM++ 2M", {}), "DPM++ SDE": ("DPM++ SDE", {}),
    "DPM++ 2M SDE": ("DPM++ 2M SDE", {}), "DEIS": ("DEIS", {}),
}
SIGMA_SUFFIXES = {"Karras": "use_karras_sigmas", "Exponential": "use_exponential_sigmas"}
RNG = {"CPU": "cpu", "GPU": "cuda"}  # "NV" (A1111's own Philox on CPU) has no diffusers generator
HANDLED = {"Steps", "Sampler", "Schedule type", "CFG scale", "Seed", "Size", "Model hash", "Model", "Clip skip",
           "Eta", "Version", "RNG", "Denoising strength", "Hires upscale", "Hires resize", "Hires steps",
           "Hires upscaler", "Hires sampler", "ENSD", "Eta noise seed delta", "Refiner", "Refiner switch at"}
INFORMATIONAL = {"Model", "Version", "Lora hashes", "TI hashes", "Emphasis", "Hashes"}  # kept verbatim only
SOFTWARE = "AUTOMATIC1111 stable-diffusion-webui"


def split_infotext(text: str) -> tuple[str, str | None, dict[str, str]]:
    """(prompt, negative prompt or None, settings) of an infotext."""
    lines = text.strip().split("\n")
    settings: dict[str, str] = {}
    if lines and len(SETTING.findall(lines[-1])) >= 3:
        for key, value in SETTING.findall(lines.pop()):
            if value.startswith('"') and value.endswith('"'):
                try:
                    value = json.loads(value)
                except json.JSONDecodeError:
                    value = value[1:-1]
            settings[key.strip()] = value.strip()
    prompt, negative, into_negative = [], None, False
    for line in lines:
        if line.startswith("Negative prompt:"):
            into_negative, negative = True, [line[len("Negative prompt:"):].strip()]
        elif into_negative:
            negative.append(line)
        else:
            prompt.append(line)
    return "\n".join(prompt), None if negative is None else "\n".join(negative), settings


def _size(value: str) -> tuple[int, int]:
    width, height = value.lower().split("x")
    return int(width), int(height)


def to_record(text: str, registry: Registry, overlay: list[dict[str, Any]] | None = None) -> tuple[dict[str, Any], list[str]]:
    """(JSON record without pixels, unmapped settings) of an A1111 infotext."""
    prompt, negative, s = split_infotext(text)
    unmapped: list[str] = []
    if not {"Steps", "Seed", "Size"} <= set(s):
        raise ValueError("not A1111 infotext: no Steps, Seed and Size settings")
    width, height = _size(s["Size"])
    sampler = s.get("Sampler", "Euler a")
    sampler_config: dict[str, Any] = {}
    schedule = s.get("Schedule type")
    for suffix, flag in SIGMA_SUFFIXES.items():
        if sampler.endswith(" " + suffix):
            sampler, schedule = sampler[: -len(suffix) - 1], suffix
    if schedule in SIGMA_SUFFIXES:
        sampler_config[SIGMA_SUFFIXES[schedule]] = True
    elif schedule not in (None, "Automatic"):
        unmapped.append(f"Schedule type: {schedule}")
    if sampler not in SAMPLERS:
        unmapped.append(f"Sampler: {sampler} (no registry scheduler; Euler a used)")
        sampler = "Euler a"
    scheduler, preset = SAMPLERS[sampler]
    known = {e["name"]: e for e in registry.enum("schedulers").values()}
    for key in list(sampler_config):
        if known[scheduler]["config"].get(key) is True:
            del sampler_config[key]  # the registry preset already says it (DPM++ 2M Karras)
    if sampler_config and scheduler + " Karras" in known and sampler_config == {"use_karras_sigmas": True}:
        scheduler, sampler_config = scheduler + " Karras", {}
    record: dict[str, Any] = {
        "prompt": prompt, "negative_prompt": negative, "seed": int(s["Seed"]), "steps": int(s["Steps"]),
        "guidance_scale": float(s.get("CFG scale", 7)), "scheduler": scheduler,
        "scheduler_config": {**preset, **sampler_config}, "params": {}, "platform": {},
    }
    if int(s.get("Clip skip", 1)) > 1:
        record["params"]["clip_skip"] = int(s["Clip skip"]) - 1  # A1111 counts the last layer as 1
    if "Eta" in s:
        record["params"]["eta"] = float(s["Eta"])
    ensd = s.get("ENSD") or s.get("Eta noise seed delta")
    if ensd not in (None, "0"):
        unmapped.append(f"ENSD: {ensd} (A1111 offsets the ancestral noise seed; diffusers has no equivalent)")
    rng = s.get("RNG", "GPU")
    if rng in RNG:
        record["platform"]["generator_device"] = RNG[rng]
    else:
        unmapped.append(f"RNG: {rng}")
    extensions: list[dict[str, Any]] = []
    model_entry = None
    short = s.get("Model hash", "").lower()
    if short:
        field, algorithm = ("autov2", "AutoV2") if len(short) == 10 else ("autov1", "AutoV1")
        model_entry = next((e for e in overlay or [] if e.get(field) == short and e.get("kind") == "checkpoint"), None)
        if model_entry:
            extensions.append({"type": 4, "hash_algorithm": "sha256", "digest": model_entry["sha256"],
                               "name": s.get("Model", model_entry["name"])[:255]})
        elif re.fullmatch(r"[0-9a-f]{8}|[0-9a-f]{10}", short):
            extensions.append({"type": 4, "hash_algorithm": algorithm, "digest": short, "name": s.get("Model", "")[:255]})
        else:
            unmapped.append(f"Model hash: {short}")
    family = (model_entry or {}).get("family") or ("sdxl" if max(width, height) >= 1024 and "Hires upscale" not in s else "sd1")
    record["model_id"] = next(m["id"] for m in registry.models.values() if m["family"] == family and m["status"] == "active")
    adapters = _loras(prompt, overlay or [], unmapped)
    if adapters:
        extensions.append({"type": 5, "adapters": adapters})
    final_w, final_h = width, height
    if "Hires upscale" in s or "Hires resize" in s:
        if "Hires resize" in s:
            final_w, final_h = _size(s["Hires resize"])
        else:
            scale = float(s["Hires upscale"])
            final_w, final_h = int(width * scale) // 8 * 8, int(height * scale) // 8 * 8
        upscaler = s.get("Hires upscaler", "Latent")
        if upscaler not in {e["name"] for e in registry.enum("upscalers").values()}:
            unmapped.append(f"Hires upscaler: {upscaler} (an upscaling network; Lanczos recorded)")
            upscaler = "Lanczos"
        hires_sampler = s.get("Hires sampler", "Use same sampler")
        if hires_sampler not in ("Use same sampler", sampler, s.get("Sampler")):
            unmapped.append(f"Hires sampler: {hires_sampler} (the first pass's scheduler recorded)")
        steps = int(s.get("Hires steps", 0)) or record["steps"]
        extensions.append({"type": 6, "base_height": height, "base_width": width, "stages": [{
            "kind": "hires_fix", "upscaler": upscaler, "height": final_h, "width": final_w, "steps": steps,
            "denoising_strength": float(s.get("Denoising strength", 0.7)), "scheduler": scheduler}]})
    record["height"], record["width"] = final_h, final_w
    if "Refiner" in s:  # (h-sdxl) SDXL base + refiner: the only stage after a first pass without hires fix
        stage = _refiner_stage(s, registry, family, scheduler, record, unmapped)
        if stage is not None and any(e["type"] == 6 for e in extensions):
            unmapped.append(f"Refiner: {s['Refiner']} with hires fix (A1111 refines inside the first pass; a refiner "
                            "stage is the last stage); the hires fix recorded without it")
        elif stage is not None:
            extensions.append({"type": 6, "base_height": height, "base_width": width, "stages": [stage]})
    extensions += dialect_extensions("A1111", [prompt, negative])
    if "Version" in s:
        extensions.append({"type": 8, "name": SOFTWARE if not s["Version"].startswith("f") else "Forge",
                           "version": s["Version"][:255]})
    unmapped += [f"{k}: {v}" for k, v in s.items() if k not in HANDLED and k not in INFORMATIONAL]
    record["extensions"] = extensions
    return record, unmapped


REFINER = re.compile(r"(.*?)\s*(?:\[([0-9a-fA-F]{8,10})\])?")


def _refiner_stage(s: dict[str, str], registry: Registry, family: str, scheduler: str, record: dict[str, Any],
                   unmapped: list[str]) -> dict[str, Any] | None:
    """(h-sdxl) "Refiner: NAME [hash], Refiner switch at: f" as diffusers' hand-over (spec/reference-decoder.md,
    "Stages"): params.denoising_end = f and a refiner stage with denoising_start = f, the same steps and scheduler.
    A stage names a registry model: an SDXL refiner checkpoint is the registry's SDXL refiner (its hash kept in
    the unmapped list); any other checkpoint as refiner is not represented."""
    name, short = REFINER.fullmatch(s["Refiner"].strip()).groups()
    try:
        switch = float(s.get("Refiner switch at", "0.8"))
    except ValueError:
        switch = -1.0
    refiners = [m for m in registry.models.values() if m["family"] == "sdxl-refiner" and m["status"] == "active"]
    if family != "sdxl" or not 0 < switch < 1 or "refiner" not in name.lower() or not refiners:
        unmapped.append(f"Refiner: {s['Refiner']}, switch at {s.get('Refiner switch at', '0.8')} (a refiner stage needs an "
                        "SDXL first pass, a switch in (0, 1) and an SDXL refiner checkpoint); not represented")
        return None
    if short:
        unmapped.append(f"Refiner hash: {short.lower()} ({name}): recorded as registry model {refiners[0]['name']} "
                        "(a stage names registry models, not files by hash)")
    record["params"]["denoising_end"] = switch
    return {"kind": "refiner", "steps": record["steps"], "scheduler": scheduler, "model_id": refiners[0]["id"],
            "denoising_start": switch}


LORA = re.compile(r"<lora:([^:>]+)(?::([0-9.]+))?(?::([0-9.]+))?>")


def _loras(prompt: str, overlay: list[dict[str, Any]], unmapped: list[str]) -> list[dict[str, Any]]:
    """LoRAs the prompt names (<lora:name:unet[:te]>), found by name in the user overlay."""
    out = []
    for name, unet, te in LORA.findall(prompt):
        entry = next((e for e in overlay if e.get("kind") == "lora" and e.get("name") == name), None)
        if entry is None:
            unmapped.append(f"LoRA {name}: not in the user overlay (`aigif models add` its file to record it by hash)")
            continue
        out.append({"kind": "lora", "hash_algorithm": "sha256", "digest": entry["sha256"], "name": name,
                    "unet_scale": float(unet or 1), "text_encoder_scale": float(te or unet or 1)})
    return out
