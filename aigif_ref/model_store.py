"""The model store: a registry model ID -> a verified local folder of diffusers weights (torch-free).

Where it looks, in order (spec/reference-decoder.md):

1. ``--models DIR`` (or ``$AIGIF_MODELS``): ``DIR/<model name>/`` or ``DIR/<org>/<repo>/``;
2. the Hugging Face cache, local files only: ``$HF_HUB_CACHE``, else ``$HF_HOME/hub``, else
   ``~/.cache/huggingface/hub``, as ``models--<org>--<repo>/snapshots/<revision>/`` (the registry's
   pinned revision, else the one ``refs/main`` names);
3. the tiny models embedded in this repository (``source.embedded``).

The first place that holds the model (a ``model_index.json``) is the one used: a folder that is
there but fails verification is an error, never a silent fall-through to a later place, so a
tampered copy cannot hide behind a good one. Verification, before anything is loaded: every file
the registry lists must exist with its sha256, and no component may hold pickle-format weights
(only safetensors are ever loaded). Hashes are checked once per process per file version.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from aigif_ref.errors import AigifError
from aigif_ref.registry import REPO_ROOT, Registry, default_registry

PICKLE_SUFFIXES = frozenset({".bin", ".ckpt", ".pt", ".pth", ".pkl", ".pickle"})
_CHUNK = 1 << 20
_verified: dict[tuple[str, int, int], str] = {}  # (path, size, mtime_ns) -> sha256


@dataclass(frozen=True)
class ResolvedModel:
    model_id: int
    name: str
    family: str  # registry family name
    path: Path  # a diffusers save_pretrained folder
    source: str  # "models-dir" | "hf-cache" | "embedded"


def file_sha256(path: Path) -> str:
    """sha256 of a file, streamed; remembered for this process while the file is unchanged."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _verified:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while block := handle.read(_CHUNK):
                digest.update(block)
        _verified[key] = digest.hexdigest()
    return _verified[key]


def hf_cache_root() -> Path:
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]) / "hub"
    return Path.home() / ".cache" / "huggingface" / "hub"


def _hf_snapshot(repo: str, revision: str | None) -> Path:
    root = hf_cache_root() / f"models--{repo.replace('/', '--')}"
    if revision is None:
        ref = root / "refs" / "main"
        revision = ref.read_text(encoding="utf-8").strip() if ref.is_file() else "<refs/main>"
    return root / "snapshots" / revision


def candidate_places(model: dict, models_dir: str | os.PathLike | None = None) -> list[tuple[str, Path]]:
    """(source, folder) in the order they are searched."""
    places: list[tuple[str, Path]] = []
    base = models_dir or os.environ.get("AIGIF_MODELS")
    source = model["source"]
    if base:
        places.append(("models-dir", Path(base) / model["name"]))
        if source.get("hf_repo"):
            places.append(("models-dir", Path(base) / source["hf_repo"]))
    if source.get("hf_repo"):
        places.append(("hf-cache", _hf_snapshot(source["hf_repo"], source.get("revision"))))
    if source.get("embedded"):
        places.append(("embedded", REPO_ROOT / source["embedded"]))
    return places


def _how_to_provide(model: dict) -> str:
    source = model["source"]
    ways = [f"put the diffusers folder at DIR/{model['name']} and pass --models DIR (or set AIGIF_MODELS=DIR)"]
    if source.get("hf_repo"):
        revision = f" --revision {source['revision']}" if source.get("revision") else ""
        ways.append(f"or download it into the Hugging Face cache: hf download {source['hf_repo']}{revision}")
    return "; ".join(ways)


def verify_folder(model: dict, path: Path, allow_unpinned: bool = False) -> None:
    """Raise unless every pinned file is present with its sha256 and no weights are pickles."""
    label = f"model {model['id']} ({model['name']}) at {path}"
    pickles = sorted(p.relative_to(path).as_posix() for p in path.rglob("*")
                     if p.is_file() and p.suffix.lower() in PICKLE_SUFFIXES)
    if pickles:
        raise AigifError("AIGIF_E_MODEL_UNSAFE", f"{label} holds pickle-format weights ({', '.join(pickles[:5])}); "
                                                 "only safetensors are loaded: convert them or remove them")
    files: dict[str, str] = model["files"]
    if not files:
        if allow_unpinned:
            return
        raise AigifError("AIGIF_E_MODEL_UNPINNED", f"{label}: the registry pins no sha256 for this model, so its "
                                                   "weights cannot be verified; pass --allow-unpinned to load them anyway")
    for name, expected in sorted(files.items()):
        file = path / name
        if not file.is_file():
            raise AigifError("AIGIF_E_MODEL_HASH", f"{label}: {name} is missing (the registry pins sha256 {expected})")
        actual = file_sha256(file)
        if actual != expected:
            raise AigifError("AIGIF_E_MODEL_HASH", f"{label}: {name} has sha256 {actual}, the registry pins {expected}; "
                                                   "the file is corrupt, tampered with or another version")


def resolve_model(model_id: int, registry: Registry | None = None, models_dir: str | os.PathLike | None = None,
                  allow_unpinned: bool = False) -> ResolvedModel:
    """The verified local folder of registry model ``model_id`` (see the module docstring for the order)."""
    registry = registry or default_registry()
    model = registry.models.get(model_id)
    if model is None:
        raise AigifError("AIGIF_E_UNKNOWN_CODE", f"model ID {model_id} is not in the registry")
    places = candidate_places(model, models_dir)
    for source, path in places:
        if (path / "model_index.json").is_file():
            verify_folder(model, path, allow_unpinned)
            return ResolvedModel(model_id, model["name"], model["family"], path, source)
    looked = "; ".join(f"{path} ({source})" for source, path in places) or "nowhere"
    raise AigifError("AIGIF_E_MODEL_MISSING", f"model {model_id} ({model['name']}) is not on this machine; looked in: "
                                              f"{looked}. To provide it: {_how_to_provide(model)}")
