"""Model store: resolve a registry model ID to a verified diffusers model folder (no torch here).

Places, in order (the first folder that exists is the model; see below):

1. the ``models_dir`` argument (the CLI's ``--models DIR``), else each folder of ``$AIGIF_MODELS``
   (``os.pathsep``-separated): ``DIR/<model name>/``, then ``DIR/<hf_repo>/`` (``DIR/org/name/``);
2. the Hugging Face cache, local files only: ``$HF_HUB_CACHE``, else ``$HF_HOME/hub``, else
   ``$XDG_CACHE_HOME/huggingface/hub``, else ``~/.cache/huggingface/hub`` (huggingface_hub's own
   order); ``models--{org}--{name}/snapshots/{revision}/``, the registry's pinned revision, else
   the commit that ``refs/main`` names;
3. the folder embedded in this repository (registry ``source.embedded``).

Before returning, every file that the registry's ``files`` lists is checked against its sha256, and
the folder must hold no weights that cannot be loaded safely: a folder with pickle-format weights
(.bin, .ckpt, .pt, .pth, .pkl) and no safetensors file, a listed file in a pickle format, or a
safetensors file (or shard index) the registry does not pin, which diffusers could load in place of
the pinned one.

A folder found in an earlier place that fails verification is an error; the store does not fall
through to a later place. The user pointed at those weights (or put them in the cache): silently
rendering with other weights would give a different image and hide the tampering or corruption.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from aigif_ref.errors import AigifError
from aigif_ref.registry import REPO_ROOT, Registry, default_registry

PICKLE_SUFFIXES = (".bin", ".ckpt", ".pt", ".pth", ".pkl")
# Files diffusers and transformers read weights from when loading with use_safetensors=True.
SAFETENSORS_SUFFIXES = (".safetensors", ".safetensors.index.json")
_CHUNK = 1 << 20

# (resolved path, size, mtime_ns) -> sha256: rendering many files with one model hashes it once.
_digest_cache: dict[tuple[str, int, int], str] = {}


@dataclass(frozen=True)
class ResolvedModel:
    model_id: int
    name: str
    family: str          # registry family name
    path: Path           # a diffusers save_pretrained folder
    source: str          # "models-dir" | "hf-cache" | "embedded"


@dataclass(frozen=True)
class _Place:
    source: str
    label: str
    path: Path | None  # None: nothing to look at (the note says why)
    note: str = ""


def hf_cache_root() -> Path:
    """The Hugging Face hub cache folder, found as huggingface_hub finds it."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    cache = os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    return Path(cache).expanduser() / "huggingface" / "hub"


def _models_dir_places(model: dict, models_dir: str | os.PathLike | None) -> list[_Place]:
    if models_dir is not None:
        dirs, label = [Path(models_dir)], "--models"
    else:
        dirs = [Path(d) for d in os.environ.get("AIGIF_MODELS", "").split(os.pathsep) if d]
        label = "AIGIF_MODELS"
    if not dirs:
        return [_Place("models-dir", "--models DIR / AIGIF_MODELS", None, "not given")]
    hf_repo = model["source"].get("hf_repo")
    names = [model["name"], *([hf_repo] if hf_repo and hf_repo != model["name"] else [])]
    return [_Place("models-dir", label, d / name, "" if d.is_dir() else f"{d} does not exist")
            for d in dirs for name in names]


def _hf_cache_place(model: dict) -> _Place:
    hf_repo = model["source"].get("hf_repo")
    if not hf_repo:
        return _Place("hf-cache", "Hugging Face cache", None, "the registry names no Hugging Face repository")
    repo = hf_cache_root() / ("models--" + hf_repo.replace("/", "--"))
    revision = model["source"].get("revision")
    if revision is None:
        ref = repo / "refs" / "main"
        try:
            revision = ref.read_text(encoding="utf-8").strip()
        except OSError:
            return _Place("hf-cache", "Hugging Face cache", ref, "no such file")
    return _Place("hf-cache", "Hugging Face cache", repo / "snapshots" / revision)


def _embedded_place(model: dict) -> _Place:
    embedded = model["source"].get("embedded")
    if not embedded:
        return _Place("embedded", "embedded", None, "none for this model")
    return _Place("embedded", "embedded", REPO_ROOT / embedded)


def _missing_message(model: dict, places: list[_Place]) -> str:
    lines = [f"model {model['id']} ({model['name']}) was not found. Looked in:"]
    for place in places:
        where = str(place.path) if place.path is not None else ""
        note = place.note or "no such folder"
        lines.append(f"  - {place.label}: {where + ' ' if where else ''}({note})")
    source = model["source"]
    how = (f"Provide it in diffusers save_pretrained layout with --models DIR or AIGIF_MODELS=DIR "
           f"(as DIR/{model['name']}/" + (f" or DIR/{source['hf_repo']}/" if source.get("hf_repo") else "") + ")")
    if source.get("hf_repo"):
        revision = source.get("revision")
        how += (f", or in the Hugging Face cache: `hf download {source['hf_repo']}"
                + (f" --revision {revision}`" if revision else "` (revision not pinned: refs/main is used)"))
    if source.get("embedded"):
        how += (f"; the embedded copy ships with the repository at {source['embedded']} "
                "(rebuild it with `python3 vectors/models/build_models.py`)")
    lines.append(how + ".")
    return "\n".join(lines)


def sha256_file(path: Path) -> str:
    """sha256 of a file, streamed; cached per (path, size, mtime_ns) within the process."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    digest = _digest_cache.get(key)
    if digest is None:
        hasher = hashlib.sha256()
        with path.open("rb") as stream:
            while chunk := stream.read(_CHUNK):
                hasher.update(chunk)
        digest = _digest_cache[key] = hasher.hexdigest()
    return digest


def _folder_files(folder: Path) -> list[str]:
    return sorted((Path(root) / name).relative_to(folder).as_posix()
                  for root, _, names in os.walk(folder) for name in names)


def _check_safe(model: dict, folder: Path, present: list[str]) -> None:
    label = f"model {model['id']} ({model['name']}) at {folder}"
    by_dir: dict[str, list[str]] = {}
    for rel in present:
        by_dir.setdefault(rel.rpartition("/")[0], []).append(rel)
    for directory, names in sorted(by_dir.items()):
        pickles = [n for n in names if n.endswith(PICKLE_SUFFIXES)]
        if pickles and not any(n.endswith(".safetensors") for n in names):
            raise AigifError("AIGIF_E_MODEL_UNSAFE",
                             f"{label}: {', '.join(pickles)} are pickle-format weights with no safetensors file "
                             f"beside them in {directory or 'the model folder'}; only safetensors weights are loaded "
                             "(convert them, or use a folder that has .safetensors files)")
    pinned = model["files"]
    for rel in sorted(pinned):
        if rel.endswith(PICKLE_SUFFIXES):
            raise AigifError("AIGIF_E_MODEL_UNSAFE", f"{label}: the registry lists {rel}, a pickle-format weight file; "
                                                     "only safetensors weights are loaded")
    if pinned:
        unpinned = [rel for rel in present if rel.endswith(SAFETENSORS_SUFFIXES) and rel not in pinned]
        if unpinned:
            raise AigifError("AIGIF_E_MODEL_UNSAFE",
                             f"{label}: {', '.join(unpinned)} are weight files the registry does not pin "
                             "(diffusers could load them instead of the verified ones); remove them")


def _verify(model: dict, folder: Path, allow_unpinned: bool) -> None:
    _check_safe(model, folder, _folder_files(folder))
    pinned = model["files"]
    if not pinned:
        if allow_unpinned:
            return
        raise AigifError("AIGIF_E_MODEL_UNPINNED",
                         f"model {model['id']} ({model['name']}) found at {folder}, but the registry pins no sha256 for "
                         "its files, so its weights cannot be verified; refusing it (allow unverified weights "
                         "explicitly with allow_unpinned=True to load it anyway)")
    for rel, expected in sorted(pinned.items()):
        path = folder / rel
        if not path.is_file():
            raise AigifError("AIGIF_E_MODEL_MISSING",
                             f"model {model['id']} ({model['name']}) at {folder} lacks {rel}, which the registry lists")
        actual = sha256_file(path)
        if actual != expected:
            raise AigifError("AIGIF_E_MODEL_HASH",
                             f"model {model['id']} ({model['name']}): {path} has sha256 {actual}, "
                             f"the registry expects {expected}; the file is corrupt or was modified")


def resolve_model(model_id: int, registry: Registry | None = None, models_dir: str | os.PathLike | None = None,
                  allow_unpinned: bool = False) -> ResolvedModel:
    """Find model_id's folder (models dir, Hugging Face cache, embedded) and verify it against the registry."""
    registry = registry or default_registry()
    model = registry.models.get(model_id)
    if model is None:
        raise AigifError("AIGIF_E_UNKNOWN_CODE", f"model ID {model_id} is not in the registry")
    places = [*_models_dir_places(model, models_dir), _hf_cache_place(model), _embedded_place(model)]
    for place in places:
        if place.path is not None and not place.note and place.path.is_dir():
            _verify(model, place.path, allow_unpinned)
            return ResolvedModel(model_id, model["name"], model["family"], place.path, place.source)
    raise AigifError("AIGIF_E_MODEL_MISSING", _missing_message(model, places))
