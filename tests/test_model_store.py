"""Model store: where models are found, and which folders are refused (no torch needed)."""
from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aigif_ref.errors import AigifError
from aigif_ref import model_store
from aigif_ref.model_store import ResolvedModel, resolve_model, staged
from aigif_ref.registry import REPO_ROOT, Registry, load_registry, schema_errors

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


def files_in(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


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


def test_files_the_registry_does_not_pin_are_never_loaded(registry, tmp_path):
    """diffusers and transformers read what a folder holds; only the pinned files reach them (issue 9)."""
    folder = copy_model("aigif-tiny-sd15", tmp_path)
    extras = {"unet/diffusion_pytorch_model.bin": b"never loaded",
              "unet/diffusion_pytorch_model.safetensors.index.json": b"{}",
              "tokenizer/tokenizer.json": b"{}", "tokenizer/added_tokens.json": b"{}"}
    for rel, data in extras.items():
        (folder / rel).write_bytes(data)
    resolved = resolve_model(SD15, registry, models_dir=tmp_path)
    assert resolved.path == folder
    with staged(resolved) as stage:
        assert stage != folder and not stage.is_relative_to(folder)
        assert files_in(stage) == sorted(registry.models[SD15]["files"])
        assert not any(p.is_symlink() for p in stage.rglob("*"))
        assert all(sha256(stage / rel) == digest for rel, digest in registry.models[SD15]["files"].items())
    assert not stage.exists()  # removed once loaded


def test_staging_copies_where_it_cannot_link(registry, tmp_path, monkeypatch):
    copy_model("aigif-tiny-sd15", tmp_path)
    resolved = resolve_model(SD15, registry, models_dir=tmp_path)

    def no_link(*args, **kwargs):
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_link)
    with staged(resolved) as stage:
        for rel, real, digest in resolved.files:
            assert os.stat(stage / rel).st_ino != os.stat(real).st_ino and sha256(stage / rel) == digest


def test_a_file_changed_after_verification_is_not_loaded(registry, tmp_path):
    folder = copy_model("aigif-tiny-sd15", tmp_path)
    resolved = resolve_model(SD15, registry, models_dir=tmp_path)
    flip_byte(folder / "vae" / "config.json", 10)  # in place: the same inode, so a hard link would see it
    os.utime(folder / "vae" / "config.json", ns=(0, 3))
    with pytest.raises(AigifError) as info:
        with staged(resolved):
            pass
    assert info.value.code == "AIGIF_E_MODEL_HASH" and "vae/config.json" in info.value.message


def test_symbolic_links_out_of_the_model_folder_are_refused(registry, tmp_path):
    folder = copy_model("aigif-tiny-sd15", tmp_path / "models")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (folder / "unet").rename(outside / "unet")
    (folder / "unet").symlink_to(outside / "unet", target_is_directory=True)  # a component folder that is a link
    (outside / "unet" / "diffusion_pytorch_model.safetensors.index.json").write_text("{}")
    error = error_of(SD15, registry, models_dir=tmp_path / "models")
    assert error.code == "AIGIF_E_MODEL_UNSAFE" and "unet is a symbolic link" in error.message and str(outside) in error.message
    # A single file linked out of the folder, and a link nowhere in particular that no pinned file uses.
    (folder / "unet").unlink()
    (outside / "unet").rename(folder / "unet")
    (folder / "unet" / "diffusion_pytorch_model.safetensors.index.json").unlink()
    config = folder / "vae" / "config.json"
    shutil.move(config, outside / "config.json")
    config.symlink_to(outside / "config.json")
    assert error_of(SD15, registry, models_dir=tmp_path / "models").code == "AIGIF_E_MODEL_UNSAFE"
    config.unlink()
    shutil.move(outside / "config.json", config)
    (folder / "notes").symlink_to("/etc")
    assert error_of(SD15, registry, models_dir=tmp_path / "models").code == "AIGIF_E_MODEL_UNSAFE"


def test_links_inside_the_model_folder_are_followed_and_staged_as_files(registry, tmp_path):
    folder = copy_model("aigif-tiny-sd15", tmp_path)
    (folder / "unet").rename(folder / ".unet-real")
    (folder / "unet").symlink_to(".unet-real", target_is_directory=True)
    (folder / ".unet-real" / "diffusion_pytorch_model.safetensors.index.json").write_text("{}")
    resolved = resolve_model(SD15, registry, models_dir=tmp_path)
    with staged(resolved) as stage:
        assert files_in(stage) == sorted(registry.models[SD15]["files"])
        assert (stage / "unet").is_dir() and not (stage / "unet").is_symlink()


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
    # Downloading it is not enough while the registry pins nothing: the message says so, and how to pin it.
    assert "will be refused" in message and "spec/contributing.md" in message and "--allow-unpinned" in message
    assert "will be refused" not in error_of(SDXL, registry_with(registry, SDXL, source={"embedded": "vectors/models/x"})).message


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
    assert str(snapshot) in error.message
    # The command-line flag, the Python argument, and how to pin the model instead.
    assert "--allow-unpinned" in error.message and "allow_unpinned=True" in error.message
    assert "spec/contributing.md" in error.message and "--registry" in error.message
    assert resolve_model(0, registry, allow_unpinned=True) == ResolvedModel(
        0, "stable-diffusion-v1-5", "sd1", snapshot, "hf-cache")


def test_unknown_model_id(registry):
    error = error_of(7, registry)
    assert error.code == "AIGIF_E_UNKNOWN_CODE" and "7" in error.message


def test_verified_files_are_hashed_once(registry, tmp_path, monkeypatch):
    folder = copy_model("aigif-tiny-sdxl", tmp_path)
    resolve_model(SDXL, registry, models_dir=tmp_path)
    opened = []
    real_open = model_store.open_regular
    monkeypatch.setattr(model_store, "open_regular", lambda path, *a, **k: opened.append(path) or real_open(path, *a, **k))
    resolve_model(SDXL, registry, models_dir=tmp_path)
    assert opened == []
    (folder / "vae" / "config.json").touch()
    os.utime(folder / "vae" / "config.json", ns=(0, 2))
    resolve_model(SDXL, registry, models_dir=tmp_path)
    assert opened == [folder / "vae" / "config.json"]


def test_model_store_imports_without_torch():
    code = "import sys, aigif_ref.model_store; sys.exit('torch' in sys.modules or 'diffusers' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT).returncode == 0


# ------------------------------------------------------------------ paths from data stay in their folders
SHA = "0" * 64


@pytest.mark.parametrize("changes", [
    {"files": {"../outside/config.json": SHA}},
    {"files": {"/etc/passwd": SHA}},
    {"files": {"unet/../../x.json": SHA}},
    {"source": {"embedded": "../../etc"}},
    {"source": {"hf_repo": "../..", "revision": None}},
    {"source": {"hf_repo": "org/name", "revision": "../../../elsewhere"}},
    {"source": {"hf_repo": "org/name", "revision": "/abs"}},
])
def test_registry_paths_that_leave_their_folder_are_refused(registry, tmp_path, monkeypatch, changes):
    data = copy.deepcopy(registry.data)
    model = next(m for m in data["models"] if m["id"] == SD15)
    model.update(changes)
    # Built in code (no schema check on the way): the store itself refuses before building a path.
    error = error_of(SD15, Registry(data), models_dir=tmp_path)
    assert error.code == "AIGIF_E_REGISTRY" and "aigif-tiny-sd15" in error.message
    # Given with --registry or AIGIF_REGISTRY: refused when loaded.
    path = tmp_path / "registry.json"
    path.write_text(json.dumps(data))
    for load in (lambda: load_registry(path), lambda: monkeypatch.setenv("AIGIF_REGISTRY", str(path)) or load_registry()):
        with pytest.raises(AigifError) as info:
            load()
        assert info.value.code == "AIGIF_E_REGISTRY"


def test_refs_main_is_used_only_when_it_holds_a_commit_hash(registry, tmp_path):
    cache = tmp_path / "hf-cache"
    make_hf_snapshot(cache, "other/repo", "d" * 40, with_ref=False)
    target = cache / "models--stable-diffusion-v1-5--stable-diffusion-v1-5"
    (target / "refs").mkdir(parents=True)
    (target / "refs" / "main").write_text("../../models--other--repo/snapshots/" + "d" * 40)
    error = error_of(0, registry, allow_unpinned=True)
    assert error.code == "AIGIF_E_MODEL_MISSING" and "not a 40-hex-digit commit hash" in error.message
    (target / "refs" / "main").write_text("e" * 40 + "\n")
    make_hf_snapshot(cache, "stable-diffusion-v1-5/stable-diffusion-v1-5", "e" * 40, with_ref=False)
    assert resolve_model(0, registry, allow_unpinned=True).path == target / "snapshots" / ("e" * 40)
