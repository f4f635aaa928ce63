"""The scheduler a record names <-> a diffusers scheduler (torch-free until a class is built).

A scheduler is rebuilt in three layers, later ones winning: the model's own scheduler config
(``scheduler/scheduler_config.json``), the registry preset of the record's ``scheduler`` code
(``enumerations.schedulers[].config``, e.g. DPM++ 2M Karras sets ``use_karras_sigmas``), then the
record's ``scheduler_config`` group. This is what spec/bitstream.md 8.3 defines and what diffusers
users write as ``Class.from_config(pipe.scheduler.config, **changes)``.

Capture runs the same construction backwards: it finds the registry code and the smallest
``scheduler_config`` group that rebuild the pipeline's scheduler exactly, and refuses otherwise.
"""
from __future__ import annotations

import inspect
import math
from typing import Any, Mapping

from aigif_ref.errors import AigifError
from aigif_ref.grammar.fields import SCHEDULER_CONFIG
from aigif_ref.registry import Registry

# Record field -> diffusers scheduler config key, as each field declares it (FieldSpec.diffusers); the
# registry names each enumeration value after the diffusers string.
CONFIG_KEYS: dict[str, str] = {spec.name: spec.diffusers.target for spec in SCHEDULER_CONFIG}
_SPECS = {spec.name: spec for spec in SCHEDULER_CONFIG}


def record_to_config(group: Mapping[str, Any], registry: Registry) -> dict[str, Any]:
    """The record's scheduler_config group as diffusers config entries."""
    out = {}
    for name, value in group.items():
        spec = _SPECS[name]
        out[CONFIG_KEYS[name]] = registry.enum_name(spec.enum, value) if spec.enum else spec.wire_type.to_diffusers(value)
    return out


def scheduler_spec(record: dict[str, Any], registry: Registry) -> tuple[str, dict[str, Any]]:
    """(diffusers class name, config changes over the model's own config) of the record's scheduler."""
    entry = registry.enum("schedulers")[record["scheduler"]]
    return entry["diffusers_class"], {**entry["config"], **record_to_config(record["scheduler_config"], registry)}


def scheduler_class(diffusers: Any, name: str) -> type:
    cls = getattr(diffusers, name, None)
    if cls is None:
        raise AigifError("AIGIF_E_PLATFORM", f"diffusers {diffusers.__version__} has no scheduler class {name}")
    return cls


def build_scheduler(diffusers: Any, record: dict[str, Any], registry: Registry, model_config: Mapping[str, Any]) -> Any:
    """``Class.from_config(model_config, **changes)``, exactly as a diffusers user writes it.

    The changes go in as keyword arguments, not merged into the config: a model config saved without
    a key (SD 1.5's has no timestep_spacing) lists it in ``_use_default_values``, and from_config
    then takes the class default for it, discarding a value merged into the dict.
    """
    name, changes = scheduler_spec(record, registry)
    return scheduler_class(diffusers, name).from_config(model_config, **changes)


# ------------------------------------------------------------------ capture: scheduler -> record
def _effective(cls: type, config: Mapping[str, Any]) -> dict[str, Any]:
    """The config entries the class's constructor reads (others are carried along but never used)."""
    accepted = inspect.signature(cls.__init__).parameters
    return {k: _plain(v) for k, v in config.items() if k in accepted}


def _plain(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def _to_record(name: str, value: Any, registry: Registry) -> Any:
    spec = _SPECS[name]
    if spec.enum:
        return registry.enum_code(spec.enum, value)
    return spec.wire_type.from_diffusers(value)  # e.g. a float as the float32 the file will hold


def config_to_record(scheduler: Any, registry: Registry, model_config: Mapping[str, Any]) -> tuple[int, dict[str, Any]]:
    """(scheduler code, scheduler_config group) that rebuild ``scheduler`` exactly.

    Among the registry codes of the scheduler's class, the one needing the fewest recorded fields
    wins (ties: the lowest code). Raises AIGIF_E_CAPTURE when the class is not registered or a
    config entry that changes the schedule cannot be expressed in the record.
    """
    cls = type(scheduler)
    actual = _effective(cls, scheduler.config)
    tried = []
    for code, entry in sorted(registry.enum("schedulers").items()):
        if entry["diffusers_class"] != cls.__name__:
            continue
        base = _effective(cls, cls.from_config({**model_config, **entry["config"]}).config)
        group: dict[str, Any] = {}
        try:
            for name, key in CONFIG_KEYS.items():
                if key in actual and not _same(actual[key], base.get(key)):
                    group[name] = _to_record(name, actual[key], registry)
        except AigifError as exc:
            tried.append((1, 0, code, {}, [exc.message]))
            continue
        rebuilt = _effective(cls, cls.from_config({**model_config, **entry["config"], **record_to_config(group, registry)}).config)
        left = [f"{k}={actual[k]!r}" for k in actual if not _same(actual[k], rebuilt.get(k))]
        tried.append((len(left), len(group), code, group, left))
    if not tried:
        classes = sorted({e["diffusers_class"] for e in registry.enum("schedulers").values()})
        raise AigifError("AIGIF_E_CAPTURE", f"scheduler class {cls.__name__} is not in the registry (known: {', '.join(classes)})")
    left_count, _, code, group, left = min(tried, key=lambda t: (t[0], t[1], t[2]))
    if left_count:
        raise AigifError("AIGIF_E_CAPTURE", f"{cls.__name__} config cannot be recorded: {', '.join(left)} "
                                            "(not a scheduler_config field, or not representable)")
    return code, group
