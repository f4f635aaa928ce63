"""What every importer shares: bounded JSON, typed reads of untrusted metadata, model and LoRA lookup, dialects.

Metadata comes from files a user did not write, so every read is checked: a value of the wrong type,
a missing key, JSON that does not parse or is too large or too deep each raise one AigifError with a
stable code (AIGIF_E_IMPORT, AIGIF_E_LIMIT) and a message naming the key, never Python's own text.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

from aigif_ref.errors import AigifError
from aigif_ref.registry import Registry

MAX_METADATA_CHARS = 8 * 1024 * 1024  # one metadata item (a ComfyUI workflow of a few hundred nodes is ~1 MB)
MAX_JSON_DEPTH = 64  # nesting; real tool metadata is under 10 levels deep


@dataclass
class Imported:
    """One importer's result: a JSON record without pixels, and what it could not represent (one line each)."""

    record: dict[str, Any]
    unmapped: list[str] = field(default_factory=list)
    tool: str = ""


def fail(message: str) -> AigifError:
    return AigifError("AIGIF_E_IMPORT", message)


def load_json(text: str, what: str) -> Any:
    """JSON metadata, bounded in size and depth, or AIGIF_E_LIMIT / AIGIF_E_IMPORT with a message of our own."""
    if len(text) > MAX_METADATA_CHARS:
        raise AigifError("AIGIF_E_LIMIT", f"{what}: {len(text)} characters of metadata, above the importer's bound of "
                                          f"{MAX_METADATA_CHARS}")
    depth = deepest = 0
    in_string = escaped = False
    for char in text:  # the depth before parsing: json would recurse as deep as the text nests
        if in_string:
            escaped, in_string = (False, True) if escaped else (char == "\\", char != '"')
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    if deepest > MAX_JSON_DEPTH:
        raise AigifError("AIGIF_E_LIMIT", f"{what}: JSON nested {deepest} levels deep, above the importer's bound of {MAX_JSON_DEPTH}")
    try:
        return json.loads(text, parse_constant=_no_constant)
    except (json.JSONDecodeError, ValueError) as exc:
        where = f" at character {exc.pos}" if isinstance(exc, json.JSONDecodeError) else ""
        raise fail(f"{what} is not valid JSON{where} (truncated or damaged metadata)") from None


def _no_constant(name: str) -> Any:
    raise ValueError(name)  # NaN / Infinity are not JSON


def as_dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise fail(f"{what} must be a JSON object, not {_kind(value)}")
    return value


def as_list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise fail(f"{what} must be a JSON array, not {_kind(value)}")
    return value


def get_str(obj: dict[str, Any], key: str, what: str, default: str | None = None) -> str:
    value = obj.get(key, default)
    if not isinstance(value, str):
        raise fail(f"{what}: {key!r} must be text, not {_kind(value)}")
    return value


def get_int(obj: dict[str, Any], key: str, what: str, default: int | None = None) -> int:
    """An integer, also from a numeric string ("6952411511246973023": Fooocus writes seeds so) or an integral float."""
    value = obj.get(key, default)
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,20}", value.strip()):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(f"{what}: {key!r} must be an integer, not {_kind(value)}")
    return value


def get_float(obj: dict[str, Any], key: str, what: str, default: float | None = None) -> float:
    value = obj.get(key, default)
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise fail(f"{what}: {key!r} must be a finite number, not {_kind(value)}")
    return float(value)


def _kind(value: Any) -> str:
    if value is None:
        return "missing or null"
    return {bool: "true/false", int: "an integer", float: "a number", str: "text", list: "an array",
            dict: "an object"}.get(type(value), type(value).__name__)


MODEL_SUFFIXES = (".safetensors", ".sft", ".ckpt", ".pt", ".pth", ".bin", ".gguf")


def stem(name: str) -> str:
    """A model's name without folders or file extension, whichever OS wrote it ("SDXL\\x.safetensors" -> "x")."""
    base = PurePosixPath(PureWindowsPath(name).as_posix()).name
    for suffix in MODEL_SUFFIXES:
        if base.lower().endswith(suffix):
            return base[: -len(suffix)]
    return base


def registry_model_named(name: str, registry: Registry) -> dict[str, Any] | None:
    """The registry model whose name the tool's model name is (file stem compared), or None."""
    key = stem(name)
    return next((m for m in registry.models.values() if m["name"] == key), None)


def default_model(family: str, registry: Registry) -> dict[str, Any]:
    return next(m for m in registry.models.values() if m["family"] == family and m["status"] == "active")


def resolve_checkpoint(name: str, registry: Registry, overlay: list[dict[str, Any]], unmapped: list[str],
                       family_hint: str, hashes: dict[str, str] | None = None) -> tuple[int, list[dict[str, Any]]]:
    """(model_id, extensions) for a tool's checkpoint: a registry model by name, else an overlay file (by hash, then
    name) as a type 4 record, else a short-hash hint; otherwise the family's base model, reported as unmapped."""
    model = registry_model_named(name, registry) if name else None
    if model is not None:
        return model["id"], []
    hashes = {k: v.lower() for k, v in (hashes or {}).items() if isinstance(v, str) and v}
    entry = None
    for algorithm, digest in hashes.items():
        entry = entry or next((e for e in overlay if e.get(algorithm) == digest and e.get("kind") == "checkpoint"), None)
    if entry is None and name:
        entry = next((e for e in overlay if e.get("kind") == "checkpoint" and e.get("name") == stem(name)), None)
    family = (entry or {}).get("family") or family_hint
    model_id = default_model(family, registry)["id"]
    if entry is not None:
        return model_id, [{"type": 4, "hash_algorithm": "sha256", "digest": entry["sha256"], "name": (name or entry["name"])[:255]}]
    if re.fullmatch(r"[0-9a-f]{64}", hashes.get("sha256", "")):
        return model_id, [{"type": 4, "hash_algorithm": "sha256", "digest": hashes["sha256"], "name": name[:255]}]
    if re.fullmatch(r"[0-9a-f]{10}", hashes.get("autov2", "")):
        return model_id, [{"type": 4, "hash_algorithm": "AutoV2", "digest": hashes["autov2"], "name": name[:255]}]
    if name:
        unmapped.append(f"checkpoint {name}: not a registry model and not in the user overlay (`aigif models add` its "
                        f"file to record it by hash); the {family} base model recorded")
    else:
        unmapped.append(f"checkpoint: the metadata names none; the {family} base model recorded")
    return model_id, []


def adapter_entry(kind: str, name: str, overlay: list[dict[str, Any]], unmapped: list[str], unet: float = 1.0,
                  text_encoder: float = 1.0, sha256: str | None = None, autov2: str | None = None) -> dict[str, Any] | None:
    """An adapters (type 5) entry for a LoRA, embedding or VAE the tool names, found by hash or by name in the
    user overlay (or a full sha256 the tool wrote), or None with the reason reported."""
    key = stem(name)
    candidates = [e for e in overlay if e.get("kind") == kind]
    entry = next((e for e in candidates if sha256 and e.get("sha256") == sha256.lower()), None) \
        or next((e for e in candidates if autov2 and e.get("autov2") == autov2.lower()), None) \
        or next((e for e in candidates if e.get("name") == key), None)
    digest = entry["sha256"] if entry else (sha256.lower() if sha256 and re.fullmatch(r"[0-9a-fA-F]{64}", sha256) else None)
    if digest is None:
        weight = f" (weight {unet:g})" if kind == "lora" else ""
        unmapped.append(f"{kind} {name}{weight}: not in the user overlay (`aigif models add` its file to record it by hash)")
        return None
    return {"kind": kind, "hash_algorithm": "sha256", "digest": digest, "name": key[:255],
            "unet_scale": float(unet), "text_encoder_scale": float(text_encoder)}


def lora_entry(name: str, unet: float, text_encoder: float, overlay: list[dict[str, Any]], unmapped: list[str],
               sha256: str | None = None, autov2: str | None = None) -> dict[str, Any] | None:
    return adapter_entry("lora", name, overlay, unmapped, unet, text_encoder, sha256, autov2)


def adapters_extension(entries: list[dict[str, Any] | None]) -> list[dict[str, Any]]:
    found = [e for e in entries if e]
    return [{"type": 5, "adapters": found}] if found else []


# Characters that make a prompt mean something else to the tool than plain text to diffusers, per dialect.
DIALECT_SYNTAX = {"A1111": re.compile(r"[()\[\]<>:]|\bBREAK\b"), "ComfyUI": re.compile(r"[()\\]|embedding:"),
                  "compel": re.compile(r"[()]|[+\-](?=[\s,]|$)|\.(and|blend)\(")}
PLAIN_LENGTH = 75  # a prompt of at most 75 characters has at most 75 CLIP tokens: no chunking in any dialect


def dialect_extensions(dialect: str, prompts: list[str | None]) -> list[dict[str, Any]]:
    """A prompt-dialect record (type 7) unless every prompt reads the same as plain text (no syntax, no chunking)."""
    syntax = DIALECT_SYNTAX[dialect]
    if all(p is None or (len(p) <= PLAIN_LENGTH and not syntax.search(p)) for p in prompts):
        return []
    return [{"type": 7, "dialect": dialect}]


def software(name: str, version: str | None) -> list[dict[str, Any]]:
    return [{"type": 8, "name": name[:255], "version": (version or "")[:255]}]


def base_record(*, prompt: str, negative: str | None, seed: int, steps: int, guidance: float, width: int,
                height: int) -> dict[str, Any]:
    return {"prompt": prompt, "negative_prompt": negative, "seed": seed, "steps": steps, "guidance_scale": guidance,
            "width": width, "height": height, "scheduler_config": {}, "params": {}, "platform": {}, "extensions": []}


def family_for_size(width: int, height: int) -> str:
    """A guess when the metadata names no known model: SDXL sizes are around a megapixel."""
    return "sdxl" if width * height >= 768 * 768 else "sd1"
