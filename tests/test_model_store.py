"""Model store: where models are found, and which folders are refused (no torch needed)."""
from __future__ import annotations

import copy
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aigif_ref.errors import AigifError
from aigif_ref.model_store import ResolvedModel, resolve_model
from aigif_ref.registry import REPO_ROOT, Registry, schema_errors

SD15, SDXL = 490, 491
EMBEDDED = REPO_ROOT / "vectors" / "models"


@pytest.fixture(autouse=True)
def isolated_places(tmp_path, monkeypatch):
    """No AIGIF_MODELS and an empty Hugging Face cache, whatever the machine has."""
    monkeypatch.delenv("AIGIF_MODELS", raising=False)
    monkeypatch.delenv("HF_HOME", raising=False)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))


def registry_with(registry: Registry, model_id: int, **changes) -> Registry:
    data = copy.deepcopy(registry.data)
    model = next(m for m in data["models"] if m["id"] == model_id)
    model.update(changes)
    assert schema_errors(data) == []
    return Registry(data)


def copy_model(name: str, dest: Path) -> Path:
    shutil.copytree(EMBEDDED / name, dest / name)
    return dest / name


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def error_of(*args, **kwargs) -> AigifError:
    with pytest.raises(AigifError) as info:
        resolve_model(*args, **kwargs)
    return info.value


def test_embedded_models_resolve_and_verify(registry):
    for model_id, name, family in ((SD15, "aigif-tiny-sd15", "sd1"), (SDXL, "aigif-tiny-sdxl", "sdxl")):
        resolved = resolve_model(model_id, registry)
        assert resolved == ResolvedModel(model_id, name, family, EMBEDDED / name, "embedded")
        pinned = registry.models[model_id]["files"]
        assert any(p.endswith(".safetensors") for p in pinned) and (resolved.path / "model_index.json").is_file()
        # Every file of the folder is pinned, and the digests in the registry are the files' digests.
        files = sorted(p.relative_to(resolved.path).as_posix() for p in resolved.path.rglob("*") if p.is_file())
        assert files == sorted(pinned)
        assert all(hashlib.sha256((resolved.path / p).read_bytes()).hexdigest() == d for p, d in pinned.items())


def test_models_dir_comes_first_by_name_or_by_repo(registry, tmp_path, monkeypatch):
    folder = copy_model("aigif-tiny-sd15", tmp_path / "models")
    assert resolve_model(SD15, registry, models_dir=tmp_path / "models") == ResolvedModel(
        SD15, "aigif-tiny-sd15", "sd1", folder, "models-dir")
    monkeypatch.setenv("AIGIF_MODELS", os.pathsep.join([str(tmp_path / "absent"), str(tmp_path / "models")]))
    assert resolve_model(SD15, registry).path == folder
    # DIR/<hf_repo>/ for a model with a Hugging Face repository.
    with_repo = registry_with(registry, SD15, source={"hf_repo": "aigif/tiny-sd15", "revision": None})
    nested = tmp_path / "by-repo" / "aigif" / "tiny-sd15"
    shutil.copytree(folder, nested)
    assert resolve_model(SD15, with_repo, models_dir=tmp_path / "by-repo").path == nested


def test_tampered_weight_is_refused_and_not_skipped_for_the_embedded_copy(registry, tmp_path):
    folder = copy_model("aigif-tiny-sd15", tmp_path)
    weights = folder / "unet" / "diffusion_pytorch_model.safetensors"
    assert resolve_model(SD15, registry, models_dir=tmp_path).path == folder  # verified and cached
    flip_byte(weights, weights.stat().st_size // 2)
    os.utime(weights, ns=(0, 1))  # a different mtime even on a coarse clock: the cache must not answer
    error = error_of(SD15, registry, models_dir=tmp_path)
    expected = registry.models[SD15]["files"]["unet/diffusion_pytorch_model.safetensors"]
    actual = hashlib.sha256(weights.read_bytes()).hexdigest()
    assert error.code == "AIGIF_E_MODEL_HASH"
    assert str(weights) in error.message and expected in error.message and actual in error.message


def test_tampered_config_is_refused(registry, tmp_path):
    folder = copy_model("aigif-tiny-sdxl", tmp_path)
    config = folder / "scheduler" / "scheduler_config.json"
    config.write_text(config.read_text().replace('"leading"', '"trailing"'))
    error = error_of(SDXL, registry, models_dir=tmp_path)
    assert error.code == "AIGIF_E_MODEL_HASH" and "scheduler/scheduler_config.json" in error.message


def test_missing_file_is_named(registry, tmp_path):
    folder = copy_model("aigif-tiny-sdxl", tmp_path)
    (folder / "text_encoder_2" / "model.safetensors").unlink()
    error = error_of(SDXL, registry, models_dir=tmp_path)
    assert error.code == "AIGIF_E_MODEL_MISSING" and "text_encoder_2/model.safetensors" in error.message


def test_pickle_only_component_is_refused(registry, tmp_path):
    folder = copy_model("aigif-tiny-sd15", tmp_path)
    weights = folder / "vae" / "diffusion_pytorch_model.safetensors"
    weights.rename(weights.with_suffix(".bin"))
    error = error_of(SD15, registry, models_dir=tmp_path)
    assert error.code == "AIGIF_E_MODEL_UNSAFE" and "vae/diffusion_pytorch_model.bin" in error.message
    # Even for an unpinned model, allowed explicitly: pickle weights are never an option.
    unpinned = registry_with(registry, SD15, files={})
    assert error_of(SD15, unpinned, models_dir=tmp_path, allow_unpinned=True).code == "AIGIF_E_MODEL_UNSAFE"


def test_pickle_beside_safetensors_is_ignored_but_unpinned_safetensors_are_refused(registry, tmp_path):
    folder = copy_model("aigif-tiny-sd15", tmp_path)
    (folder / "unet" / "diffusion_pytorch_model.bin").write_bytes(b"never loaded")
    assert resolve_model(SD15, registry, models_dir=tmp_path).path == folder
    (folder / "unet" / "diffusion_pytorch_model.safetensors.index.json").write_text("{}")
    error = error_of(SD15, registry, models_dir=tmp_path)
    assert error.code == "AIGIF_E_MODEL_UNSAFE" and "unet/diffusion_pytorch_model.safetensors.index.json" in error.message


def test_missing_model_lists_every_place_and_how_to_provide_it(registry, tmp_path):
    error = error_of(0, registry, models_dir=tmp_path / "models")
    message = error.message
    assert error.code == "AIGIF_E_MODEL_MISSING" and "model 0 (stable-diffusion-v1-5)" in message
    for place in (tmp_path / "models" / "stable-diffusion-v1-5",
                  tmp_path / "models" / "stable-diffusion-v1-5" / "stable-diffusion-v1-5",
                  tmp_path / "hf-cache" / "models--stable-diffusion-v1-5--stable-diffusion-v1-5" / "refs" / "main"):
        assert str(place) in message
    assert "embedded: (none for this model)" in message
    assert "--models DIR" in message and "AIGIF_MODELS" in message and "hf download stable-diffusion-v1-5/stable-diffusion-v1-5" in message


def test_missing_embedded_model_lists_every_place(registry, tmp_path):
    gone = registry_with(registry, SDXL, source={"embedded": "vectors/models/not-built"})
    message = error_of(SDXL, gone).message
    assert "--models DIR / AIGIF_MODELS: (not given)" in message
    assert "Hugging Face cache: (the registry names no Hugging Face repository)" in message
    assert str(REPO_ROOT / "vectors" / "models" / "not-built") in message and "build_models.py" in message


def make_hf_snapshot(cache: Path, repo: str, revision: str, with_ref: bool) -> Path:
    """huggingface_hub's layout: snapshot files are symlinks to content-addressed blobs."""
    base = cache / ("models--" + repo.replace("/", "--"))
    snapshot = base / "snapshots" / revision
    (base / "blobs").mkdir(parents=True, exist_ok=True)
    for source in sorted(p for p in (EMBEDDED / "aigif-tiny-sd15").rglob("*") if p.is_file()):
        data = source.read_bytes()
        blob = base / "blobs" / hashlib.sha256(data).hexdigest()
        blob.write_bytes(data)
        link = snapshot / source.relative_to(EMBEDDED / "aigif-tiny-sd15")
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    if with_ref:
        (base / "refs").mkdir()
        (base / "refs" / "main").write_text(revision)
    return snapshot


def test_hugging_face_cache_layout(registry, tmp_path, monkeypatch):
    cache = tmp_path / "hf-cache"
    snapshot = make_hf_snapshot(cache, "aigif/tiny-sd15", "a" * 40, with_ref=True)
    old = make_hf_snapshot(cache, "aigif/tiny-sd15", "b" * 40, with_ref=False)
    unpinned_revision = registry_with(registry, SD15, source={"hf_repo": "aigif/tiny-sd15", "revision": None})
    assert resolve_model(SD15, unpinned_revision) == ResolvedModel(SD15, "aigif-tiny-sd15", "sd1", snapshot, "hf-cache")
    pinned_revision = registry_with(registry, SD15, source={"hf_repo": "aigif/tiny-sd15", "revision": "b" * 40})
    assert resolve_model(SD15, pinned_revision).path == old
    # HF_HOME/hub when HF_HUB_CACHE is not set.
    monkeypatch.delenv("HF_HUB_CACHE")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    shutil.copytree(cache, tmp_path / "hf-home" / "hub", symlinks=True)
    assert resolve_model(SD15, pinned_revision).path == tmp_path / "hf-home" / "hub" / old.relative_to(cache)
    # A models dir still comes first.
    folder = copy_model("aigif-tiny-sd15", tmp_path / "models")
    assert resolve_model(SD15, pinned_revision, models_dir=tmp_path / "models").path == folder


def test_unpinned_model_is_refused_unless_allowed(registry, tmp_path):
    snapshot = make_hf_snapshot(tmp_path / "hf-cache", "stable-diffusion-v1-5/stable-diffusion-v1-5", "c" * 40, with_ref=True)
    error = error_of(0, registry)
    assert error.code == "AIGIF_E_MODEL_UNPINNED" and "stable-diffusion-v1-5" in error.message
    assert "allow_unpinned" in error.message and str(snapshot) in error.message
    assert resolve_model(0, registry, allow_unpinned=True) == ResolvedModel(
        0, "stable-diffusion-v1-5", "sd1", snapshot, "hf-cache")


def test_unknown_model_id(registry):
    error = error_of(7, registry)
    assert error.code == "AIGIF_E_UNKNOWN_CODE" and "7" in error.message


def test_verified_files_are_hashed_once(registry, tmp_path, monkeypatch):
    folder = copy_model("aigif-tiny-sdxl", tmp_path)
    resolve_model(SDXL, registry, models_dir=tmp_path)
    opened = []
    real_open = Path.open
    monkeypatch.setattr(Path, "open", lambda self, *a, **k: opened.append(self) or real_open(self, *a, **k))
    resolve_model(SDXL, registry, models_dir=tmp_path)
    assert opened == []
    (folder / "vae" / "config.json").touch()
    os.utime(folder / "vae" / "config.json", ns=(0, 2))
    resolve_model(SDXL, registry, models_dir=tmp_path)
    assert opened == [folder / "vae" / "config.json"]


def test_model_store_imports_without_torch():
    code = "import sys, aigif_ref.model_store; sys.exit('torch' in sys.modules or 'diffusers' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT).returncode == 0
