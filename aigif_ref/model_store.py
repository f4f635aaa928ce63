"""Model store: resolve a registry model ID to a verified diffusers model folder (no torch here).

Places, in order (the first folder that exists is the model; see below):

1. the ``models_dir`` argument (the CLI's ``--models DIR``), else each folder of ``$AIGIF_MODELS``
   (``os.pathsep``-separated): ``DIR/<model name>/``, then ``DIR/<hf_repo>/`` (``DIR/org/name/``);
2. the Hugging Face cache, local files only: ``$HF_HUB_CACHE``, else ``$HF_HOME/hub``, else
   ``$XDG_CACHE_HOME/huggingface/hub``, else ``~/.cache/huggingface/hub`` (huggingface_hub's own
   order); ``models--{org}--{name}/snapshots/{revision}/``, the registry's pinned revision, else
   the commit that ``refs/main`` names;
3. the folder embedded in this repository (registry ``source.embedded``).

Before returning, every file that the registry's ``files`` lists is checked against its sha256, and no
symbolic link in the folder may lead out of it (for the Hugging Face cache: out of the repository's
cache folder, whose snapshots link to its blobs). Diffusers and transformers read whatever a folder
holds (a shard index, a tokenizer.json beside the pinned tokenizer files), so a pinned model is never
loaded from its folder: :func:`staged` builds a private folder holding only the pinned, verified files
(hard links, or copies where a link cannot be made; never symbolic links) and the pipeline is loaded
from there. A model the registry pins no files for is refused unless unverified weights are allowed
explicitly; then the folder is loaded as it is. No folder may hold pickle-format weights (.bin, .ckpt,
.pt, .pth, .pkl) without a safetensors file beside them.

Paths come from the registry (``files``, ``source``) and from the cache's ``refs/main``; each is
checked (:func:`aigif_ref.registry.model_location_problems`, a commit hash for ``refs/main``) before
a path is built from it, so registry data never leads the store out of its folders.

A folder found in an earlier place that fails verification is an error; the store does not fall
through to a later place. The user pointed at those weights (or put them in the cache): silently
rendering with other weights would give a different image and hide the tampering or corruption.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from aigif_ref.errors import AigifError
from aigif_ref.inputs import open_regular
from aigif_ref.registry import COMMIT, REPO_ROOT, Registry, default_registry, model_location_problems

PICKLE_SUFFIXES = (".bin", ".ckpt", ".pt", ".pth", ".pkl")
_CHUNK = 1 << 20

# (device, inode, size, mtime_ns) -> sha256: rendering many files with one model hashes it once, and a
# staged hard link (the same inode) is known without reading it again.
_digest_cache: dict[tuple[int, int, int, int], str] = {}


@dataclass(frozen=True)
class ResolvedModel:
    model_id: int
    name: str
    family: str          # registry family name
    path: Path           # a diffusers save_pretrained folder
    source: str          # "models-dir" | "hf-cache" | "embedded"
    # (path in the folder, the real file, pinned sha256) of every verified file; empty for an unpinned model
    files: tuple[tuple[str, Path, str], ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True)
class _Place:
    source: str
    label: str
    path: Path | None  # None: nothing to look at (the note says why)
    note: str = ""
    root: Path | None = None  # the folder symbolic links may point into (default: path itself)


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
            revision = ref.read_text(encoding="utf-8", errors="replace")[:100].strip()
        except OSError:
            return _Place("hf-cache", "Hugging Face cache", ref, "no such file")
        if not COMMIT.match(revision):  # it becomes a path: a commit hash, nothing else
            return _Place("hf-cache", "Hugging Face cache", ref, f"it holds {revision[:50]!r}, not a 40-hex-digit commit hash")
    return _Place("hf-cache", "Hugging Face cache", repo / "snapshots" / revision, root=repo)


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
    if not model["files"]:
        lines.append(f"Note: this registry pins no sha256 for model {model['id']}'s files, so once downloaded it will "
                     f"be refused ({UNPINNED_HELP}).")
    return "\n".join(lines)


UNPINNED_HELP = ("pin it: download it at a fixed commit, hash every file and add the `files` map to a registry "
                 "you pass with --registry, as spec/contributing.md steps 3-6 describe (`aigif registry check` "
                 "checks the result); or load unverified weights anyway with `aigif render --allow-unpinned` "
                 "(Python: allow_unpinned=True)")


def _file_key(stat: os.stat_result) -> tuple[int, int, int, int]:
    return stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns


def sha256_file(path: Path) -> str:
    """sha256 of a file, streamed; cached per (device, inode, size, mtime_ns) within the process."""
    key = _file_key(path.stat())
    digest = _digest_cache.get(key)
    if digest is None:
        hasher = hashlib.sha256()
        with open_regular(path, "a model file") as stream:  # a FIFO or /dev/zero would never end
            while chunk := stream.read(_CHUNK):
                hasher.update(chunk)
        digest = _digest_cache[key] = hasher.hexdigest()
    return digest


def _label(model: dict, folder: Path) -> str:
    return f"model {model['id']} ({model['name']}) at {folder}"


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _check_links(model: dict, folder: Path, root: Path) -> None:
    """No symbolic link in the folder (file or component folder) may lead out of root."""
    for current, dirs, names in os.walk(folder):
        for name in sorted(dirs + names):
            path = Path(current) / name
            if path.is_symlink() and not _inside(path.resolve(), root):
                raise AigifError("AIGIF_E_MODEL_UNSAFE",
                                 f"{_label(model, folder)}: {path.relative_to(folder).as_posix()} is a symbolic link to "
                                 f"{path.resolve()}, outside the model folder; put the files themselves in the folder")


def _check_pickles(model: dict, folder: Path) -> None:
    """No component whose only weights are pickles (use_safetensors=True would fail on it, or worse)."""
    by_dir: dict[str, list[str]] = {}
    for current, _, names in os.walk(folder):
        rel = Path(current).relative_to(folder).as_posix()
        by_dir.setdefault("" if rel == "." else rel, []).extend(name if rel == "." else f"{rel}/{name}" for name in names)
    for directory, names in sorted(by_dir.items()):
        pickles = sorted(n for n in names if n.endswith(PICKLE_SUFFIXES))
        if pickles and not any(n.endswith(".safetensors") for n in names):
            raise AigifError("AIGIF_E_MODEL_UNSAFE",
                             f"{_label(model, folder)}: {', '.join(pickles)} are pickle-format weights with no safetensors "
                             f"file beside them in {directory or 'the model folder'}; only safetensors weights are loaded "
                             "(convert them, or use a folder that has .safetensors files)")


def _verify(model: dict, folder: Path, root: Path, allow_unpinned: bool) -> tuple[tuple[str, Path, str], ...]:
    """Check the folder; return (name, real file, sha256) of every pinned file."""
    folder, root = folder.resolve(), root.resolve()
    _check_links(model, folder, root)
    _check_pickles(model, folder)  # never loaded either way; saying so beats "lacks X.safetensors"
    pinned = model["files"]
    for rel in sorted(pinned):
        if rel.endswith(PICKLE_SUFFIXES):
            raise AigifError("AIGIF_E_MODEL_UNSAFE", f"{_label(model, folder)}: the registry lists {rel}, a pickle-format "
                                                     "weight file; only safetensors weights are loaded")
    if not pinned:
        if allow_unpinned:
            return ()
        raise AigifError("AIGIF_E_MODEL_UNPINNED",
                         f"model {model['id']} ({model['name']}) found at {folder}, but the registry pins no sha256 for "
                         f"its files, so its weights cannot be verified; refusing it. To use it, {UNPINNED_HELP}")
    verified = []
    for rel, expected in sorted(pinned.items()):
        path = folder / rel
        real = path.resolve()
        if not _inside(real, root):  # a path through a linked folder that leads out
            raise AigifError("AIGIF_E_MODEL_UNSAFE", f"{_label(model, folder)}: {rel} leads to {real}, outside the model folder")
        if not real.is_file():
            raise AigifError("AIGIF_E_MODEL_MISSING",
                             f"model {model['id']} ({model['name']}) at {folder} lacks {rel}, which the registry lists")
        actual = sha256_file(real)
        if actual != expected:
            raise AigifError("AIGIF_E_MODEL_HASH",
                             f"model {model['id']} ({model['name']}): {path} has sha256 {actual}, "
                             f"the registry expects {expected}; the file is corrupt or was modified")
        verified.append((rel, real, expected))
    return tuple(verified)


def _stage_file(source: Path, dest: Path) -> str:
    """Hard-link source at dest (or copy it where a link cannot be made); the sha256 of what dest holds."""
    try:
        os.link(source, dest)
        return sha256_file(dest)  # the same inode as the verified file: known unless it changed since
    except OSError:
        pass  # another file system, or a file this user may not link (fs.protected_hardlinks): copy it
    hasher = hashlib.sha256()
    with source.open("rb") as reader, open(dest, "xb") as writer:
        while chunk := reader.read(_CHUNK):
            hasher.update(chunk)
            writer.write(chunk)
    return hasher.hexdigest()


@contextlib.contextmanager
def staged(model: ResolvedModel) -> Iterator[Path]:
    """The folder to load ``model`` from: a private folder holding only its pinned, verified files.

    Hard links where the temporary folder ($TMPDIR) is on the model's file system, else copies; every
    staged file is checked against its pinned sha256 again, so a file swapped after verification is
    caught. The folder is removed afterwards. An unpinned model (allowed explicitly) loads from its folder.
    """
    if not model.files:
        yield model.path
        return
    stage = Path(tempfile.mkdtemp(prefix=f"aigif-{model.name}-"))
    try:
        for rel, real, expected in model.files:
            dest = stage / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                actual = _stage_file(real, dest)
            except OSError as exc:
                raise AigifError("AIGIF_E_IO", f"cannot stage {real} for loading in {stage}: {exc.strerror}") from None
            if actual != expected:
                raise AigifError("AIGIF_E_MODEL_HASH", f"model {model.model_id} ({model.name}): {real} changed after it "
                                                       f"was verified (sha256 now {actual}, the registry expects {expected})")
        yield stage
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def resolve_model(model_id: int, registry: Registry | None = None, models_dir: str | os.PathLike | None = None,
                  allow_unpinned: bool = False) -> ResolvedModel:
    """Find model_id's folder (models dir, Hugging Face cache, embedded) and verify it against the registry."""
    registry = registry or default_registry()
    model = registry.models.get(model_id)
    if model is None:
        raise AigifError("AIGIF_E_UNKNOWN_CODE", f"model ID {model_id} is not in the registry")
    problems = model_location_problems(model)  # before any path is built from the entry
    if problems:
        raise AigifError("AIGIF_E_REGISTRY", f"registry {registry.path or '(in memory)'}: " + "; ".join(problems))
    places = [*_models_dir_places(model, models_dir), _hf_cache_place(model), _embedded_place(model)]
    for place in places:
        if place.path is not None and not place.note and place.path.is_dir():
            files = _verify(model, place.path, place.root or place.path, allow_unpinned)
            return ResolvedModel(model_id, model["name"], model["family"], place.path, place.source, files)
    raise AigifError("AIGIF_E_MODEL_MISSING", _missing_message(model, places))
