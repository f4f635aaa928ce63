"""Record fields <-> diffusers pipeline settings, as tables (torch-free).

Every record field that changes pixels has exactly one entry here saying where it goes in diffusers:
an argument of the pipeline call, an argument of ``from_pretrained`` (a component or flag fixed at
load time), or a setting of the VAE. The renderer reads the tables forwards (record -> diffusers);
capture reads them backwards (a pipeline call -> record). Which ``params`` a model accepts is registry
data (``families[].params``), so nothing here depends on the model family.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aigif_ref.grammar.fields import PARAMS

# Core record field -> pipeline call argument.
CORE_ARGUMENTS: dict[str, str] = {
    "prompt": "prompt",
    "negative_prompt": "negative_prompt",  # None (absent) and "" differ: see spec/bitstream.md 6.1
    "height": "height",
    "width": "width",
    "steps": "num_inference_steps",
    "guidance_scale": "guidance_scale",
}


@dataclass(frozen=True)
class Setting:
    """Where one ``params`` field goes.

    where: "call" (pipeline call argument), "load" (``from_pretrained`` argument: the pipeline is
    loaded, and cached, per value), "vae_attr" / "vae_config" (attribute / config key of the VAE).
    absent: the value the renderer uses when the record has no entry; ``None`` means the model's own
    config (or the pipeline call's default) applies. requires: the package a true value needs.
    """

    where: str
    target: str
    absent: Any = None
    requires: tuple[str, str] | None = None  # (module, pip package) needed when the setting is on


PARAM_SETTINGS: dict[str, Setting] = {
    "clip_skip": Setting("call", "clip_skip"),
    "eta": Setting("call", "eta"),
    "guidance_rescale": Setting("call", "guidance_rescale"),
    "original_size": Setting("call", "original_size"),
    "target_size": Setting("call", "target_size"),
    "crops_coords_top_left": Setting("call", "crops_coords_top_left"),
    "negative_original_size": Setting("call", "negative_original_size"),
    "negative_target_size": Setting("call", "negative_target_size"),
    "negative_crops_coords_top_left": Setting("call", "negative_crops_coords_top_left"),
    "aesthetic_score": Setting("call", "aesthetic_score"),
    "negative_aesthetic_score": Setting("call", "negative_aesthetic_score"),
    "max_sequence_length": Setting("call", "max_sequence_length"),
    "true_cfg_scale": Setting("call", "true_cfg_scale"),
    "denoising_end": Setting("call", "denoising_end"),
    "denoising_start": Setting("call", "denoising_start"),
    # The renderer's output must not depend on optional packages being installed, so the watermark
    # and the safety checker are off unless the file says they ran.
    "add_watermarker": Setting("load", "add_watermarker", absent=False, requires=("imwatermark", "invisible-watermark")),
    "safety_checker": Setting("load", "safety_checker", absent=False),
    "vae_tiling": Setting("vae_attr", "use_tiling", absent=False),
    "vae_upcast": Setting("vae_config", "force_upcast"),
}

_WIRE = {spec.name: spec.wire for spec in PARAMS}


def to_diffusers(name: str, value: Any) -> Any:
    """A params value as diffusers wants it (pairs are tuples: diffusers concatenates them)."""
    return tuple(value) if _WIRE[name] == "pair" else value


def from_diffusers(name: str, value: Any) -> Any:
    """A diffusers value as the record stores it (pairs are JSON arrays)."""
    return [int(v) for v in value] if _WIRE[name] == "pair" else value


def call_arguments(record: dict[str, Any]) -> dict[str, Any]:
    """The pipeline call arguments a record determines (no generator, batch or output type)."""
    kwargs = {target: record[field] for field, target in CORE_ARGUMENTS.items()}
    for name, value in record["params"].items():
        setting = PARAM_SETTINGS[name]
        if setting.where == "call":
            kwargs[setting.target] = to_diffusers(name, value)
    return kwargs


def load_arguments(record: dict[str, Any], family: dict[str, Any]) -> dict[str, Any]:
    """``from_pretrained`` arguments fixed by the record, for the params the family has."""
    return {
        s.target: bool(record["params"].get(name, s.absent))
        for name, s in PARAM_SETTINGS.items() if s.where == "load" and name in family["params"]
    }


def vae_settings(record: dict[str, Any], family: dict[str, Any]) -> dict[tuple[str, str], Any]:
    """{(where, target): value} for the VAE; None = the model's own value."""
    return {
        (s.where, s.target): record["params"].get(name, s.absent)
        for name, s in PARAM_SETTINGS.items() if s.where.startswith("vae_") and name in family["params"]
    }
