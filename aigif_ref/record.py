"""The canonical JSON record: what `aigif inspect --json` prints and `aigif encode` reads.

Field names follow Table I in snake_case. Enumerations are registry codes
(integers); on input, registry names are accepted too and resolved. Floats are
float32 values written as the shortest decimal that reads back exactly.
Binary payloads are base64 (RFC 4648, with padding).
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from aigif_ref.errors import AigifError
from aigif_ref.extensions import type_of
from aigif_ref.grammar.fields import GROUPS, ZERO_DEFAULT_ENUMS
from aigif_ref.grammar.primitives import float32_repr, to_float32
from aigif_ref.registry import REPO_ROOT, Registry

RECORD_SCHEMA = REPO_ROOT / "spec" / "schema" / "record.schema.json"

_SPECS = {group: {s.name: s for s in specs} for group, specs in GROUPS.items()}

# Enumeration-valued fields outside the groups, and the registry enumeration each uses.
TOP_LEVEL_ENUMS: dict[str, str] = {**ZERO_DEFAULT_ENUMS, "text_compressor": "text_compressors"}




def syntax_to_json(syntax: dict[str, Any]) -> dict[str, Any]:
    """Flatten a parsed syntax record into the canonical JSON record."""
    text = syntax["text"]
    record: dict[str, Any] = {
        "aigif_version": syntax["version"],
        "model_id": syntax["model_id"],
        "dtype": syntax["dtype"],
        "scheduler": syntax["scheduler"],
        "steps": syntax["steps"],
        "guidance_scale": float32_repr(syntax["guidance_scale"]),
        "seed": syntax["seed"],
        "height": syntax["height"],
        "width": syntax["width"],
        "prompt": text["prompt"],
        "negative_prompt": text["negative_prompt"],
        "text_compressor": text["text_compressor"],
        "device": syntax["device"],
        "gpu": syntax["gpu"],
        "cuda": syntax["cuda"],
    }
    for group in GROUPS:
        values = syntax[group]
        by_name = _SPECS[group]
        record[group] = {k: by_name[k].wire_type.to_json(v) for k, v in values.items()} if values else {}
    record["extensions"] = [type_of(ext["type"]).to_json(ext) for ext in syntax["extensions"]]
    return record


def _resolve(value: Any, enum: str, registry: Registry, where: str) -> int:
    if isinstance(value, str):
        return registry.enum_code(enum, value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise AigifError("AIGIF_E_RECORD", f"{where} must be a registry code or name, not {value!r}")
    return value


def json_to_syntax(record: dict[str, Any], registry: Registry) -> dict[str, Any]:
    """A (possibly partial, possibly name-valued) JSON record -> syntax record for the grammar."""
    check_record_schema(record)
    model = record["model_id"]
    syntax: dict[str, Any] = {
        "model_id": registry.model_code(model) if isinstance(model, str) else model,
        "steps": record["steps"],
        "guidance_scale": to_float32(record["guidance_scale"]),
        "seed": record["seed"],
        "height": record["height"],
        "width": record["width"],
        "text": {
            "prompt": record["prompt"],
            "negative_prompt": record.get("negative_prompt"),
            "text_compressor": None if record.get("text_compressor") in (None, "auto")
            else _resolve(record["text_compressor"], "text_compressors", registry, "text_compressor"),
        },
    }
    for name, enum in ZERO_DEFAULT_ENUMS.items():
        syntax[name] = _resolve(record.get(name, 0), enum, registry, name)
    for group, specs in GROUPS.items():
        values = dict(record.get(group) or {})
        for spec in specs:
            if spec.name not in values:
                continue
            if spec.enum:
                values[spec.name] = _resolve(values[spec.name], spec.enum, registry, f"{group}.{spec.name}")
            else:
                values[spec.name] = spec.wire_type.from_json(values[spec.name])
        syntax[group] = values
    syntax["extensions"] = [_extension_from_json(ext, registry) for ext in record.get("extensions") or []]
    return syntax


def _extension_from_json(ext: dict[str, Any], registry: Registry) -> dict[str, Any]:
    return type_of(ext.get("type")).from_json(ext, lambda value, enum, where: _resolve(value, enum, registry, where))


@lru_cache(maxsize=1)
def _record_validator():
    import jsonschema

    return jsonschema.Draft202012Validator(json.loads(RECORD_SCHEMA.read_text(encoding="utf-8")))


def check_record_schema(record: Any) -> None:
    import jsonschema

    validator = _record_validator()
    if validator.is_valid(record):  # fast path; collect errors only for the message
        return
    error = jsonschema.exceptions.best_match(validator.iter_errors(record))
    if error is not None:
        where = "/".join(map(str, error.absolute_path)) or "(record)"
        raise AigifError("AIGIF_E_RECORD", f"{where}: {error.message}{_stale_schema_hint()}")


REGEN_COMMAND = "python tools/regen.py"


def _stale_schema_hint() -> str:
    """A note naming the regeneration command when the committed schema no longer matches the grammar."""
    from aigif_ref.record_schema import schema_text

    try:
        if RECORD_SCHEMA.read_text(encoding="utf-8") == schema_text():
            return ""
    except OSError:
        pass
    return (f" (note: {RECORD_SCHEMA.relative_to(REPO_ROOT)} is out of date with aigif_ref/grammar;"
            f" run `{REGEN_COMMAND}` and try again)")


def dumps(record: dict[str, Any]) -> str:
    """Canonical JSON text of a record (sorted keys, UTF-8, no insignificant space)."""
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def load_json(path: Path) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise AigifError("AIGIF_E_IO", f"cannot read {path}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AigifError("AIGIF_E_RECORD", f"{path} is not UTF-8 JSON: {exc}") from None


def find_extension(record: dict[str, Any], ext_type: int) -> dict[str, Any] | None:
    """The record's extension record of type ``ext_type`` (types are unique in a file), or None."""
    return next((e for e in record.get("extensions") or [] if e["type"] == ext_type), None)
