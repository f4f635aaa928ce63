"""Rules a syntax record must meet against a registry: its codes exist, its parameters fit the model family.

(Not to be confused with aigif_ref.registry_lint, which checks registry.json itself.)
"""
from __future__ import annotations

from typing import Any

from aigif_ref.errors import AigifError
from aigif_ref.grammar.fields import GROUPS, ZERO_DEFAULT_ENUMS
from aigif_ref.registry import Registry


_GROUP_ENUMS = [(group, s.name, s.enum) for group, specs in GROUPS.items() for s in specs if s.enum]


def _known(registry: Registry, enum: str, code: int, where: str) -> None:
    if code not in registry.enum(enum):
        raise AigifError("AIGIF_E_UNKNOWN_CODE", f"{where} = {code} is not in registry enumeration {enum}")


def check_record_rules(syntax: dict[str, Any], registry: Registry) -> None:
    family = registry.family_of(syntax["model_id"])
    for name, enum in ZERO_DEFAULT_ENUMS.items():
        _known(registry, enum, syntax[name], name)
    for name in syntax["params"]:
        if name not in family["params"]:
            raise AigifError(
                "AIGIF_E_PARAM_FAMILY",
                f"params.{name} is not a parameter of family {family['name']!r} (model {syntax['model_id']});"
                f" allowed: {', '.join(family['params'])}",
            )
    for group, name, enum in _GROUP_ENUMS:
        if name in syntax[group]:
            _known(registry, enum, syntax[group][name], f"{group}.{name}")
    platform = syntax["platform"]
    if "batch_index" in platform and platform["batch_index"] >= platform.get("batch_size", 1):
        raise AigifError("AIGIF_E_RANGE", "platform.batch_index must be below platform.batch_size")
