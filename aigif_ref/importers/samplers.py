"""Each tool's sampler and noise-schedule names -> a registry scheduler and scheduler_config changes.

One table per naming scheme; the registry scheduler is named (registry.json `schedulers`), never coded.
k-diffusion names are ComfyUI's (comfy/samplers.py KSAMPLER_NAMES), which SwarmUI and Fooocus reuse;
InvokeAI's are its diffusers SCHEDULER_MAP (invokeai/backend/stable_diffusion/schedulers/schedulers.py),
so they map exactly. A name not in its table is reported, never guessed.
"""
from __future__ import annotations

from typing import Any

from aigif_ref.registry import Registry

Mapping = tuple[str, dict[str, Any]]  # (registry scheduler name, scheduler_config changes)

KDIFFUSION: dict[str, Mapping] = {
    "euler": ("Euler", {}), "euler_ancestral": ("Euler a", {}), "heun": ("Heun", {}), "dpm_2": ("DPM2", {}),
    "dpm_2_ancestral": ("DPM2 a", {}), "lms": ("LMS", {}), "dpmpp_2m": ("DPM++ 2M", {}), "dpmpp_sde": ("DPM++ SDE", {}),
    "dpmpp_sde_gpu": ("DPM++ SDE", {}), "dpmpp_2m_sde": ("DPM++ 2M SDE", {}), "dpmpp_2m_sde_gpu": ("DPM++ 2M SDE", {}),
    "ddim": ("DDIM", {}), "uni_pc": ("UniPC", {}), "lcm": ("LCM", {}), "deis": ("DEIS", {}),
}
# ComfyUI's noise schedules (comfy/samplers.py SCHEDULER_NAMES) that a diffusers scheduler config expresses.
KDIFFUSION_SCHEDULES: dict[str, dict[str, Any]] = {
    "normal": {}, "karras": {"use_karras_sigmas": True}, "exponential": {"use_exponential_sigmas": True},
    "beta": {"use_beta_sigmas": True}, "sgm_uniform": {"timestep_spacing": "trailing"},
}

# A1111 / Forge "Schedule type" labels (modules/sd_schedulers.py, web UI 1.9+) -> the ComfyUI schedule above that
# computes the same sigmas (A1111 took these functions from ComfyUI); None: no diffusers scheduler config draws them,
# so the importer refuses the label by name. "Automatic" is the sampler's own default (no change).
A1111_SCHEDULES: dict[str, str | None] = {
    "Automatic": "normal", "Uniform": "normal", "Normal": "normal", "Karras": "karras", "Exponential": "exponential",
    "SGM Uniform": "sgm_uniform", "SGMUniform": "sgm_uniform", "Beta": "beta",
    "Polyexponential": None, "KL Optimal": None, "Align Your Steps": None, "Align Your Steps GITS": None,
    "Align Your Steps 11": None, "Align Your Steps 32": None, "Simple": None, "DDIM": None, "Turbo": None,
    "Karras Exponential": None,
}
# diffusers' beta sigmas use the Beta(0.6, 0.6) distribution; A1111's defaults for "Beta schedule alpha/beta" agree.
BETA_DEFAULTS = {"Beta schedule alpha": 0.6, "Beta schedule beta": 0.6}
SIGMA_FLAGS = ("use_karras_sigmas", "use_exponential_sigmas", "use_beta_sigmas")
# What each diffusers scheduler class (registry `schedulers` diffusers_class) accepts, as diffusers 0.42 declares it:
# the noise-schedule flags of its __init__ (a flag it lacks is ignored by from_config: other sigmas, silently) and
# whether its step() takes eta. tests/test_import_a1111_settings.py checks this table against diffusers itself.
_ALL_SIGMAS = SIGMA_FLAGS
DIFFUSERS_SIGMA_SCHEDULES: dict[str, tuple[str, ...]] = {
    "DDIMScheduler": (), "PNDMScheduler": (), "EulerAncestralDiscreteScheduler": (), "LCMScheduler": (),
    "EulerDiscreteScheduler": _ALL_SIGMAS, "DPMSolverMultistepScheduler": _ALL_SIGMAS, "DPMSolverSDEScheduler": _ALL_SIGMAS,
    "UniPCMultistepScheduler": _ALL_SIGMAS, "FlowMatchEulerDiscreteScheduler": _ALL_SIGMAS,
    "HeunDiscreteScheduler": _ALL_SIGMAS, "LMSDiscreteScheduler": _ALL_SIGMAS, "KDPM2DiscreteScheduler": _ALL_SIGMAS,
    "KDPM2AncestralDiscreteScheduler": _ALL_SIGMAS, "DEISMultistepScheduler": _ALL_SIGMAS,
}
DIFFUSERS_STEP_ETA = frozenset({"DDIMScheduler"})

INVOKEAI: dict[str, Mapping] = {
    "ddim": ("DDIM", {}), "pndm": ("PNDM", {}), "euler_a": ("Euler a", {}), "lcm": ("LCM", {}),
    **{f"{name}{suffix}": (scheduler, {**config, **({"use_karras_sigmas": True} if suffix else {})})
       for name, (scheduler, config) in {
           "deis": ("DEIS", {}), "lms": ("LMS", {}), "heun": ("Heun", {}), "euler": ("Euler", {}), "kdpm_2": ("DPM2", {}),
           "kdpm_2_a": ("DPM2 a", {}), "dpmpp_2m": ("DPM++ 2M", {}), "dpmpp_2m_sde": ("DPM++ 2M SDE", {}),
           "dpmpp_3m": ("DPM++ 2M", {"solver_order": 3}), "dpmpp_sde": ("DPM++ SDE", {}), "unipc": ("UniPC", {}),
       }.items() for suffix in ("", "_k")},
}
# InvokeAI 2.x (sd-metadata / Dream `-A`): k-diffusion samplers by its own names.
INVOKEAI_LEGACY: dict[str, Mapping] = {
    "ddim": ("DDIM", {}), "plms": ("PNDM", {}), "k_lms": ("LMS", {}), "k_euler": ("Euler", {}), "k_euler_a": ("Euler a", {}),
    "k_heun": ("Heun", {}), "k_dpm_2": ("DPM2", {}), "k_dpm_2_a": ("DPM2 a", {}), "k_dpmpp_2": ("DPM++ 2M", {}),
}
NOVELAI: dict[str, Mapping] = {
    "k_euler": ("Euler", {}), "k_euler_ancestral": ("Euler a", {}), "k_dpmpp_2m": ("DPM++ 2M", {}),
    "k_dpmpp_sde": ("DPM++ SDE", {}), "k_dpm_2": ("DPM2", {}), "k_dpm_2_ancestral": ("DPM2 a", {}), "k_lms": ("LMS", {}),
    "ddim": ("DDIM", {}), "ddim_v3": ("DDIM", {}), "plms": ("PNDM", {}),
}
NOVELAI_SCHEDULES: dict[str, dict[str, Any]] = {
    "native": {}, "karras": {"use_karras_sigmas": True}, "exponential": {"use_exponential_sigmas": True},
}
# Draw Things' SamplerType (its FlatBuffers config schema), in enum order: the v2 configuration stores the number,
# the top-level "sampler" the display name.
DRAW_THINGS_SAMPLER_TYPES: tuple[str, ...] = (
    "DPM++ 2M Karras", "Euler A", "DDIM", "PLMS", "DPM++ SDE Karras", "UniPC", "LCM", "Euler A Substep",
    "DPM++ SDE Substep", "TCD", "Euler A Trailing", "DPM++ SDE Trailing", "DPM++ 2M AYS", "Euler A AYS",
    "DPM++ SDE AYS", "DPM++ 2M Trailing", "DDIM Trailing", "UniPC Trailing", "UniPC AYS", "TCD Trailing",
)
# Display name -> registry scheduler. Not mapped (reported by name): the Substep samplers (Draw Things' own
# sub-stepping), TCD (no registry scheduler) and Align Your Steps (fixed sigma tables diffusers does not draw).
DRAW_THINGS: dict[str, Mapping] = {
    "DPM++ 2M Karras": ("DPM++ 2M Karras", {}), "Euler A": ("Euler a", {}), "Euler Ancestral": ("Euler a", {}),
    "DDIM": ("DDIM", {}), "PLMS": ("PNDM", {}), "DPM++ SDE Karras": ("DPM++ SDE Karras", {}), "UniPC": ("UniPC", {}),
    "LCM": ("LCM", {}), "Euler A Trailing": ("Euler a", {"timestep_spacing": "trailing"}),
    "DPM++ SDE Trailing": ("DPM++ SDE", {"timestep_spacing": "trailing"}),
    "DPM++ 2M Trailing": ("DPM++ 2M", {"timestep_spacing": "trailing"}), "DDIM Trailing": ("DDIM", {"timestep_spacing": "trailing"}),
    "UniPC Trailing": ("UniPC", {"timestep_spacing": "trailing"}),
}


def draw_things_sampler_name(value: Any) -> str | None:
    """A Draw Things sampler (display name, or the v2 configuration's SamplerType number) as its display name;
    None for a number outside the enum."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return DRAW_THINGS_SAMPLER_TYPES[value] if 0 <= value < len(DRAW_THINGS_SAMPLER_TYPES) else None
    return value if isinstance(value, str) else None


def scheduler_entry(name: str, registry: Registry) -> dict[str, Any]:
    return next(e for e in registry.enum("schedulers").values() if e["name"] == name)


def unsupported_schedule(scheduler: str, config: dict[str, Any], registry: Registry) -> list[str]:
    """The noise-schedule flags of ``config`` that the registry scheduler's diffusers class does not accept
    (:data:`DIFFUSERS_SIGMA_SCHEDULES`): diffusers would ignore them and draw other sigmas."""
    accepted = DIFFUSERS_SIGMA_SCHEDULES.get(scheduler_entry(scheduler, registry)["diffusers_class"], ())
    return [k for k in SIGMA_FLAGS if config.get(k) and k not in accepted]


def takes_eta(scheduler: str, registry: Registry) -> bool:
    """Whether the registry scheduler's diffusers step() takes eta (so params.eta changes its pixels)."""
    return scheduler_entry(scheduler, registry)["diffusers_class"] in DIFFUSERS_STEP_ETA


def scheduler_fields(mapping: Mapping, extra: dict[str, Any], registry: Registry,
                     unmapped: list[str] | None = None, tool: str = "") -> tuple[str, dict[str, Any]]:
    """(registry scheduler name, scheduler_config) of a mapping plus schedule changes, folded into presets
    ("DPM++ 2M" + Karras sigmas -> "DPM++ 2M Karras") and without what the preset already sets. A schedule the
    scheduler cannot take is dropped and reported in ``unmapped``."""
    scheduler, config = mapping[0], {**mapping[1], **extra}
    for flag in unsupported_schedule(scheduler, config, registry):
        del config[flag]
        if unmapped is not None:
            unmapped.append(f"{tool} {flag.removeprefix('use_').replace('_', ' ')} on {scheduler}: its diffusers scheduler "
                            "draws no such schedule; not represented")
    presets = {e["name"]: e["config"] for e in registry.enum("schedulers").values()}
    if config.get("use_karras_sigmas") and scheduler + " Karras" in presets:
        scheduler = scheduler + " Karras"
    return scheduler, {k: v for k, v in config.items() if presets[scheduler].get(k) != v}


def kdiffusion(sampler: str, schedule: str, registry: Registry, unmapped: list[str], tool: str) -> tuple[str, dict[str, Any]]:
    """ComfyUI-style (sampler_name, scheduler) -> registry fields; what has no equivalent is reported."""
    name = sampler.removeprefix("sample_")  # ComfyUI before 2023-03 wrote "sample_dpmpp_2m"
    mapping = KDIFFUSION.get(name)
    if mapping is None:
        unmapped.append(f"{tool} sampler {sampler}: no registry scheduler; Euler recorded")
        mapping = KDIFFUSION["euler"]
    extra = KDIFFUSION_SCHEDULES.get(schedule)
    if extra is None:
        unmapped.append(f"{tool} noise schedule {schedule}: no diffusers scheduler config equivalent; normal recorded")
        extra = {}
    return scheduler_fields(mapping, extra, registry, unmapped, tool)


def named(table: dict[str, Mapping], name: str, registry: Registry, unmapped: list[str], tool: str,
          extra: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
    mapping = table.get(name)
    if mapping is None:
        fallback = next(iter(table.values()))
        unmapped.append(f"{tool} sampler {name}: no registry scheduler; {fallback[0]} recorded")
        mapping = fallback
    return scheduler_fields(mapping, extra or {}, registry, unmapped, tool)
