"""The model store: resolution order, sha256 verification, safetensors only, clear errors."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from aigif_ref import model_store
from aigif_ref.errors import AigifError
from aigif_ref.model_store import file_sha256, resolve_model
from aigif_ref.registry import REPO_ROOT, Registry, default_registry

TINY = "aigif-tiny-sd15"


def registry_with(**changes) -> Registry:
    """The shipped registry with model 490 changed (e.g. given an hf_repo)."""
    data = json.loads(json.dumps(default_registry().data))
    model = next(m for m in data["models"] if m["id"] == 490)
    for key, value in changes.items():
        model[key] = value
    return Registry(data)


def copy_tiny(dest: Path) -> Path:
    shutil.copytree(REPO_ROOT / "vectors" / "models" / TINY, dest)
    return dest


@pytest.fixture(autouse=True)
def no_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("AIGIF_MODELS", raising=False)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty-hf-cache"))


def test_embedded_models_resolve_and_verify():
    for model_id, family in ((490, "sd1"), (491, "sdxl")):
        model = resolve_model(model_id)
        assert model.source == "embedded" and model.family == family and (model.path / "model_index.json").is_file()
        pinned = default_registry().models[model_id]["files"]
        assert pinned and set(pinned) == {p.relative_to(model.path).as_posix() for p in model.path.rglob("*") if p.is_file()}


def test_models_dir_comes_first_and_env_works(tmp_path, monkeypatch):
    copy_tiny(tmp_path / "models" / TINY)
    assert resolve_model(490, models_dir=tmp_path / "models").source == "models-dir"
    monkeypatch.setenv("AIGIF_MODELS", str(tmp_path / "models"))
    model = resolve_model(490)
    assert model.source == "models-dir" and model.path == tmp_path / "models" / TINY


def test_a_tampered_weight_file_is_refused_naming_the_file(tmp_path):
    folder = copy_tiny(tmp_path / "models" / TINY)
    weights = folder / "unet" / "diffusion_pytorch_model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1
    weights.write_bytes(bytes(data))
    with pytest.raises(AigifError) as failure:
        resolve_model(490, models_dir=tmp_path / "models")
    assert failure.value.code == "AIGIF_E_MODEL_HASH"
    assert "unet/diffusion_pytorch_model.safetensors" in failure.value.message
    assert file_sha256(weights) in failure.value.message  # the actual hash, next to the pinned one


def test_a_bad_copy_does_not_fall_through_to_the_embedded_model(tmp_path):
    folder = copy_tiny(tmp_path / "models" / TINY)
    (folder / "vae" / "config.json").unlink()
    with pytest.raises(AigifError) as failure:
        resolve_model(490, models_dir=tmp_path / "models")
    assert failure.value.code == "AIGIF_E_MODEL_HASH" and "vae/config.json is missing" in failure.value.message


def test_pickle_weights_are_refused(tmp_path):
    folder = copy_tiny(tmp_path / "models" / TINY)
    (folder / "unet" / "diffusion_pytorch_model.bin").write_bytes(b"\x80\x04pickle")
    with pytest.raises(AigifError) as failure:
        resolve_model(490, models_dir=tmp_path / "models")
    assert failure.value.code == "AIGIF_E_MODEL_UNSAFE" and "diffusion_pytorch_model.bin" in failure.value.message


def test_a_missing_model_names_every_place_and_how_to_provide_it(tmp_path):
    with pytest.raises(AigifError) as failure:
        resolve_model(0, models_dir=tmp_path / "models")
    message = failure.value.message
    assert failure.value.code == "AIGIF_E_MODEL_MISSING" and "stable-diffusion-v1-5" in message
    assert str(tmp_path / "models" / "stable-diffusion-v1-5") in message
    assert str(tmp_path / "models" / "stable-diffusion-v1-5" / "stable-diffusion-v1-5") in message  # DIR/<hf_repo>
    assert "models--stable-diffusion-v1-5--stable-diffusion-v1-5" in message  # the Hugging Face cache
    assert "--models DIR" in message and "hf download stable-diffusion-v1-5/stable-diffusion-v1-5" in message


def test_hugging_face_cache_layout(tmp_path, monkeypatch):
    cache = tmp_path / "hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    files = default_registry().models[490]["files"]
    revision = "0123456789abcdef0123456789abcdef01234567"
    repo = cache / "models--example--tiny"
    copy_tiny(repo / "snapshots" / revision)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(revision)
    registry = registry_with(source={"hf_repo": "example/tiny", "revision": None}, files=files)
    model = resolve_model(490, registry)
    assert model.source == "hf-cache" and model.path == repo / "snapshots" / revision
    pinned_elsewhere = registry_with(source={"hf_repo": "example/tiny", "revision": "f" * 40}, files=files)
    with pytest.raises(AigifError) as failure:
        resolve_model(490, pinned_elsewhere)  # the pinned revision is not in the cache, and nothing else holds it
    assert failure.value.code == "AIGIF_E_MODEL_MISSING" and "f" * 40 in failure.value.message


def test_unpinned_models_are_refused_unless_allowed(tmp_path):
    copy_tiny(tmp_path / "models" / TINY)
    registry = registry_with(files={})
    with pytest.raises(AigifError) as failure:
        resolve_model(490, registry, models_dir=tmp_path / "models")
    assert failure.value.code == "AIGIF_E_MODEL_UNPINNED" and "--allow-unpinned" in failure.value.message
    assert resolve_model(490, registry, models_dir=tmp_path / "models", allow_unpinned=True).source == "models-dir"


def test_unknown_model_id():
    with pytest.raises(AigifError) as failure:
        resolve_model(12345)
    assert failure.value.code == "AIGIF_E_UNKNOWN_CODE"


def test_hashes_are_computed_once_per_file_version(tmp_path, monkeypatch):
    file = tmp_path / "w.safetensors"
    file.write_bytes(b"abc")
    first = file_sha256(file)
    calls = []
    real = model_store.hashlib.sha256
    monkeypatch.setattr(model_store.hashlib, "sha256", lambda *a: calls.append(1) or real(*a))
    assert file_sha256(file) == first and not calls
    file.write_bytes(b"abcd")  # a new size: hashed again
    assert file_sha256(file) != first and calls
