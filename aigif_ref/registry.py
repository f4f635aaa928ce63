"""registry.json: model IDs, model families and every enumeration.

The registry is normative data (spec/registry.md). It is validated against
spec/schema/registry.schema.json when loaded; lookups go through :class:`Registry`.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from aigif_ref.errors import AigifError

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REGISTRY = REPO_ROOT / "registry.json"
REGISTRY_SCHEMA = REPO_ROOT / "spec" / "schema" / "registry.schema.json"
COMMIT = re.compile(r"^[0-9a-f]{40}$")  # a pinned Hugging Face revision: a full commit hash, never a branch


@dataclass
class Registry:
    data: dict[str, Any]
    path: Path | None = None
    _enum_index: dict[str, dict[int, dict]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._enum_index = {
            name: {entry["code"]: entry for entry in entries}
            for name, entries in self.data["enumerations"].items()
        }
        self.models = {m["id"]: m for m in self.data["models"]}
        self.families = {f["name"]: f for f in self.data["families"]}

    def enum(self, name: str) -> dict[int, dict]:
        return self._enum_index[name]

    def enum_name(self, enum: str, code: int) -> str:
        entry = self._enum_index[enum].get(code)
        return entry["name"] if entry else f"unknown ({code})"

    def enum_code(self, enum: str, name: str) -> int:
        for code, entry in self._enum_index[enum].items():
            if entry["name"] == name:
                return code
        known = ", ".join(repr(e["name"]) for e in self._enum_index[enum].values())
        raise AigifError("AIGIF_E_UNKNOWN_CODE", f"{name!r} is not in registry enumeration {enum} ({known})")

    def model_code(self, name: str) -> int:
        for model in self.models.values():
            if model["name"] == name:
                return model["id"]
        raise AigifError("AIGIF_E_UNKNOWN_CODE", f"model {name!r} is not in the registry")

    def family_of(self, model_id: int) -> dict:
        model = self.models.get(model_id)
        if model is None:
            raise AigifError("AIGIF_E_UNKNOWN_CODE", f"model ID {model_id} is not in the registry")
        return self.families[model["family"]]


def read_registry_file(path: Path) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        hint = ""
        if Path(path) == DEFAULT_REGISTRY:
            hint = " (the package reads registry.json from its checkout: install with `pip install -e .`, or set AIGIF_REGISTRY)"
        raise AigifError("AIGIF_E_IO", f"cannot read registry {path}: {exc.strerror}{hint}") from None
    except json.JSONDecodeError as exc:
        raise AigifError("AIGIF_E_REGISTRY", f"registry {path} is not JSON (line {exc.lineno}, column {exc.colno}); "
                                             "fix it (aigif registry check) or point AIGIF_REGISTRY at a valid one") from exc
    except UnicodeDecodeError as exc:
        raise AigifError("AIGIF_E_REGISTRY", f"registry {path} is not UTF-8 text (byte {exc.start}); fix it (aigif "
                                             "registry check) or point AIGIF_REGISTRY at a valid one") from exc


@lru_cache(maxsize=1)
def schema_validator():
    """The JSON Schema validator of spec/schema/registry.schema.json."""
    import jsonschema

    return jsonschema.Draft202012Validator(json.loads(REGISTRY_SCHEMA.read_text(encoding="utf-8")))


def schema_errors(data: dict[str, Any]) -> list[str]:
    """Messages for every way data fails the registry JSON Schema."""
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
        for e in sorted(schema_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    ]


def is_inside_path(value: Any) -> bool:
    """Whether value is a relative `/`-separated path that cannot leave the folder it is resolved in."""
    return (isinstance(value, str) and bool(value) and not value.startswith("/") and "\\" not in value
            and not re.match(r"^[A-Za-z]:", value) and all(part not in ("", ".", "..") for part in value.split("/")))


def model_location_problems(model: dict[str, Any]) -> list[str]:
    """Ways a model entry's paths could lead the model store out of its folders (files, source.*).

    Checked when a registry is loaded and again by the model store before it builds any path, so a
    registry given with --registry or AIGIF_REGISTRY (or built in code) never names a file elsewhere.
    """
    label = f"model {model.get('id')} ({model.get('name')})"
    problems = [f"{label}: file {name!r} must be a relative path inside the model folder (no /, \\, . or .. parts)"
                for name in model.get("files") or {} if not is_inside_path(name)]
    source = model.get("source") or {}
    for key in ("file", "embedded"):
        if source.get(key) is not None and not is_inside_path(source[key]):
            problems.append(f"{label}: source.{key} {source[key]!r} must be a relative path without . or .. parts")
    hf_repo = source.get("hf_repo")
    if hf_repo is not None and not (is_inside_path(hf_repo) and hf_repo.count("/") == 1):
        problems.append(f"{label}: source.hf_repo {hf_repo!r} must be ORG/NAME")
    revision = source.get("revision")
    if revision is not None and not (isinstance(revision, str) and COMMIT.match(revision)):
        problems.append(f"{label}: source.revision {revision!r} must be a 40-hex-digit commit hash, or null")
    name = model.get("name")
    if not is_inside_path(name) or "/" in name:
        problems.append(f"{label}: the name must be one path part (it names a folder under --models)")
    return problems


def load_registry(path: str | os.PathLike | None = None, validate: bool = True) -> Registry:
    path = Path(path or os.environ.get("AIGIF_REGISTRY") or DEFAULT_REGISTRY)
    data = read_registry_file(path)
    if validate:
        problems = schema_errors(data) or [p for model in data["models"] for p in model_location_problems(model)]
        if problems:
            raise AigifError("AIGIF_E_REGISTRY", f"registry {path} is invalid: " + "; ".join(problems[:5]))
    return Registry(data, path)


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    return load_registry()
