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

from aigif_ref.importers import samplers
from aigif_ref.importers.common import dialect_extensions
from aigif_ref.regen.prompt_weighting import dialect_options
from aigif_ref.registry import Registry

SETTING = re.compile(r'\s*([\w][\w \-/+]*?):\s*("(?:\\.|[^\\"])*"|[^,]*)(?:,|$)')
# A1111 sampler name -> (registry scheduler name, scheduler_config changes). " Karras" / " Exponential"
# suffixes (and, from 1.9, "Schedule type": samplers.A1111_SCHEDULES) become scheduler_config flags.
SAMPLERS: dict[str, tuple[str, dict[str, Any]]] = {
    "Euler a": ("Euler a", {}), "Euler": ("Euler", {}), "DDIM": ("DDIM", {}), "PLMS": ("PNDM", {}),
    "UniPC": ("UniPC", {}), "LCM": ("LCM", {}), "Heun": ("Heun", {}), "LMS": ("LMS", {}), "DPM2": ("DPM2", {}),
    "DPM2 a": ("DPM2 a", {}), "DPM++ 2M": ("DPM++ 2M", {}), "DPM++ SDE": ("DPM++ SDE", {}),
    "DPM++ 2M SDE": ("DPM++ 2M SDE", {}), "DEIS": ("DEIS", {}),
}
SIGMA_SUFFIXES = ("Karras", "Exponential")  # sampler-name suffixes of web UI before 1.9
RNG = {"CPU": "cpu", "GPU": "cuda"}  # "NV" (A1111's own Philox on CPU) has no diffusers generator
HANDLED = {"Steps", "Sampler", "Schedule type", "CFG scale", "Seed", "Size", "Model hash", "Model", "Clip skip",
           "Eta", "Eta DDIM", "Version", "RNG", "Denoising strength", "Hires upscale", "Hires resize", "Hires steps",
           "Hires upscaler", "Hires sampler", "ENSD", "Eta noise seed delta", "Emphasis", "Pad conds",
           "Hires schedule type", "Refiner", "Refiner switch at", *samplers.BETA_DEFAULTS}
INFORMATIONAL = {"Model", "Version", "Lora hashes", "TI hashes", "Hashes"}  # kept verbatim only
# Families whose text encoding in the web UI ignores "Clip skip" (it still writes it): SDXL always reads the
# penultimate layer (modules/sd_hijack_clip.py), unless the non-default "sdxl_clip_l_skip" option is on, which
# the infotext does not record.
CLIP_SKIP_IGNORED = ("sdxl",)
# "Eta" (k-diffusion ancestral and SDE samplers, default 1) and "Eta DDIM" (DDIM/PLMS/UniPC, default 0): the web UI
# writes each only when it differs from its default (modules/sd_samplers_common.py).
ETA_DEFAULTS = {"Eta": 1.0, "Eta DDIM": 0.0}
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
    schedule = s.get("Schedule type", "Automatic")
    for suffix in SIGMA_SUFFIXES:  # before 1.9 the schedule was part of the name: "DPM++ 2M Karras"
        if sampler.endswith(" " + suffix):
            sampler, schedule = sampler[: -len(suffix) - 1], suffix
    if sampler not in SAMPLERS:
        unmapped.append(f"Sampler: {sampler} (no registry scheduler; Euler a used)")
        sampler = "Euler a"
    scheduler, scheduler_config = _schedule(SAMPLERS[sampler], schedule, s, registry, unmapped)
    if s.get("Hires schedule type", schedule) != schedule:
        unmapped.append(f"Hires schedule type: {s['Hires schedule type']} (the stage takes the first pass's schedule)")
    record: dict[str, Any] = {
        "prompt": prompt, "negative_prompt": negative, "seed": int(s["Seed"]), "steps": int(s["Steps"]),
        "guidance_scale": float(s.get("CFG scale", 7)), "scheduler": scheduler,
        "scheduler_config": scheduler_config, "params": {}, "platform": {},
    }
    clip_skip = int(s.get("Clip skip", 1))
    _eta(s, scheduler, record, registry, unmapped)
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
    if clip_skip > 1 and family not in CLIP_SKIP_IGNORED:
        record["params"]["clip_skip"] = clip_skip - 1  # A1111 counts the last layer as 1
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
        upscaler = _upscaler(s.get("Hires upscaler", "Latent"), (width, height), (final_w, final_h), registry, unmapped)
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
    extensions += _dialect(s, [prompt, negative], registry, unmapped)
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


def _schedule(mapping: samplers.Mapping, schedule: str, s: dict[str, str], registry: Registry,
              unmapped: list[str]) -> tuple[str, dict[str, Any]]:
    """(registry scheduler, scheduler_config) of a sampler and its "Schedule type"; what diffusers cannot draw is reported."""
    comfy = samplers.A1111_SCHEDULES.get(schedule)
    extra = samplers.KDIFFUSION_SCHEDULES[comfy] if comfy else {}
    if comfy is None:
        unmapped.append(f"Schedule type: {schedule} (no diffusers scheduler config draws these sigmas; the sampler's "
                        "default recorded)")
    elif comfy == "beta":
        for key, default in samplers.BETA_DEFAULTS.items():
            if key in s and float(s[key]) != default:
                unmapped.append(f"{key}: {s[key]} (diffusers' beta sigmas use {default}; not represented)")
    return samplers.scheduler_fields(mapping, extra, registry, unmapped, "Schedule type")


def _eta(s: dict[str, str], scheduler: str, record: dict[str, Any], registry: Registry, unmapped: list[str]) -> None:
    """Eta into params.eta where the registry scheduler's diffusers step() takes it (DDIM); else reported."""
    for key, default in ETA_DEFAULTS.items():
        if key not in s or float(s[key]) == default:
            continue
        if samplers.takes_eta(scheduler, registry):
            record["params"]["eta"] = float(s[key])
        else:
            unmapped.append(f"{key}: {s[key]} (the {scheduler} scheduler of diffusers has no eta; not represented)")


# Hires upscaler names the web UI writes that are another registry upscaler's semantics exactly.
def _upscaler(name: str, base: tuple[int, int], final: tuple[int, int], registry: Registry, unmapped: list[str]) -> str:
    """The registry upscaler of a "Hires upscaler" name; what the registry lacks is reported (Lanczos recorded).

    "None" resizes with one Lanczos call straight to the target size (modules/images.py resize_image); the
    "Lanczos" upscaler does the same when the scale maps the first pass exactly onto the (multiple of 8) target."""
    if name in {e["name"] for e in registry.enum("upscalers").values()}:
        return name
    (width, height), (final_w, final_h) = base, final
    scale = max(final_w / width, final_h / height)
    if name == "None" and (int(width * scale), int(height * scale)) == (final_w, final_h) and not (final_w % 8 or final_h % 8):
        return "Lanczos"
    unmapped.append(f"Hires upscaler: {name} (not a registry upscaler; Lanczos recorded)")
    return "Lanczos"


def _dialect(s: dict[str, str], prompts: list[str | None], registry: Registry, unmapped: list[str]) -> list[dict[str, Any]]:
    """The prompt-dialect record: the A1111 dialect entry (registry `prompt_dialects`, dialect_options) whose emphasis
    mode and "pad conds" option are the infotext's; plain prompts need none unless an option changes them."""
    wanted: dict[str, Any] = {}
    emphasis = s.get("Emphasis", "Original")
    if emphasis != "Original":
        wanted["emphasis"] = emphasis
    if s.get("Pad conds", "False") == "True":
        wanted["pad_conds"] = True
    plain = dialect_extensions("A1111", prompts)
    if not wanted and not plain:
        return []
    entry = next((e for e in registry.enum("prompt_dialects").values() if dialect_options(e) == wanted), None)
    if entry is None:
        options = ", ".join(f"{k}: {v}" for k, v in wanted.items())
        unmapped.append(f"prompt options {options} (no registry A1111 prompt dialect has them; emphasis Original, "
                        "no padding recorded)")
        entry = next(e for e in registry.enum("prompt_dialects").values() if dialect_options(e) == {})
    return [{"type": 7, "dialect": entry["name"]}]
