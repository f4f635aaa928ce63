"""STAND-IN for the model store (another branch writes the real one; replace this file at merge).

Same interface: resolve a registry model ID to a local folder of weights in diffusers'
save_pretrained layout, looking in --models DIR / $AIGIF_MODELS (``DIR/<model name>/``), then the
embedded tiny models (``source.embedded`` in the registry), verifying every pinned sha256 and
refusing anything that is not safetensors. The Hugging Face cache is not searched here.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from aigif_ref.errors import AigifError
from aigif_ref.registry import REPO_ROOT, Registry, default_registry


@dataclass(frozen=True)
class ResolvedModel:
    model_id: int
    name: str
    family: str
    path: Path
    source: str  # "models-dir" | "hf-cache" | "embedded"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def resolve_model(model_id: int, registry: Registry | None = None, models_dir: str | os.PathLike | None = None,
                  allow_unpinned: bool = False) -> ResolvedModel:
    registry = registry or default_registry()
    model = registry.models.get(model_id)
    if model is None:
        raise AigifError("AIGIF_E_UNKNOWN_CODE", f"model ID {model_id} is not in the registry")
    places: list[tuple[str, Path]] = []
    base = models_dir or os.environ.get("AIGIF_MODELS")
    if base:
        places.append(("models-dir", Path(base) / model["name"]))
    if model["source"].get("embedded"):
        places.append(("embedded", REPO_ROOT / model["source"]["embedded"]))
    for source, path in places:
        if (path / "model_index.json").is_file():
            break
    else:
        looked = ", ".join(str(p) for _, p in places) or "nowhere (no --models DIR, no AIGIF_MODELS)"
        raise AigifError("AIGIF_E_MODEL", f"model {model_id} ({model['name']}) not found; looked in {looked}; "
                                          f"put it in a folder and pass --models DIR")
    if not model["files"] and not allow_unpinned:
        raise AigifError("AIGIF_E_MODEL", f"model {model_id} ({model['name']}) has no pinned sha256s; pass --allow-unpinned")
    for name, expected in model["files"].items():
        file = path / name
        if not file.is_file() or _sha256(file) != expected:
            raise AigifError("AIGIF_E_MODEL", f"model {model_id} ({model['name']}): {file} is missing or its sha256 does not match the registry")
    if any(p.suffix in {".bin", ".ckpt", ".pt", ".pth", ".pkl"} for p in path.rglob("*")):
        raise AigifError("AIGIF_E_MODEL", f"model {model_id} ({model['name']}): {path} holds non-safetensors weights")
    return ResolvedModel(model_id, model["name"], model["family"], path, source)
