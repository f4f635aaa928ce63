"""Record fields <-> diffusers pipeline settings, as tables (torch-free).

Every record field that changes pixels has exactly one entry here saying where it goes in diffusers:
an argument of the pipeline call, an argument of ``from_pretrained`` (a component or flag fixed at
load time), or a setting of the VAE. The renderer reads the tables forwards (record -> diffusers);
capture reads them backwards (a pipeline call -> record). Which ``params`` a model accepts is registry
data (``families[].params``), so nothing here depends on the model family.
"""
from __future__ import annotations

from typing import Any

from aigif_ref.grammar.fields import PARAMS, Diffusers

# Core record field -> pipeline call argument.
CORE_ARGUMENTS: dict[str, str] = {
    "prompt": "prompt",
    "negative_prompt": "negative_prompt",  # None (absent) and "" differ: see spec/bitstream.md 6.1
    "height": "height",
    "width": "width",
    "steps": "num_inference_steps",
    "guidance_scale": "guidance_scale",
}


# Where each params field goes: declared on the field (aigif_ref/grammar/fields.py, FieldSpec.diffusers).
Setting = Diffusers
PARAM_SETTINGS: dict[str, Setting] = {spec.name: spec.diffusers for spec in PARAMS}
_UNMAPPED = [name for name, setting in PARAM_SETTINGS.items() if setting is None]
if _UNMAPPED:  # a declaration error, caught by any test that imports the renderer
    raise ImportError(f"params {', '.join(_UNMAPPED)} declare no diffusers mapping (aigif_ref/grammar/fields.py)")
_SPECS = {spec.name: spec for spec in PARAMS}


def to_diffusers(name: str, value: Any) -> Any:
    """A params value as diffusers wants it (e.g. pairs are tuples: diffusers concatenates them)."""
    return _SPECS[name].wire_type.to_diffusers(value)


def from_diffusers(name: str, value: Any) -> Any:
    """A diffusers value as the record stores it (e.g. pairs are JSON arrays)."""
    return _SPECS[name].wire_type.from_diffusers(value)


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
