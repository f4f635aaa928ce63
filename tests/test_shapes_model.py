"""aigif-shapes, the small trained model: pinned, small, described, trainable on CPU, and it draws its prompt."""
from __future__ import annotations

import importlib.util
import json
import sys

import pytest
import torch

from aigif_ref.registry import REPO_ROOT, default_registry

MODELS_DIR = REPO_ROOT / "vectors" / "models"
NAME = "aigif-shapes"
SIZE_BUDGET = 10_000_000  # bytes (issue 10)


def load(name: str):
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, MODELS_DIR / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="module")
def entry() -> dict:
    registry = json.loads((REPO_ROOT / "registry.json").read_text(encoding="utf-8"))
    return next(m for m in registry["models"] if m["name"] == NAME) | {"range": registry["test_model_ids"]}


def test_registry_entry_is_a_test_model_with_every_file_pinned(entry):
    assert entry["status"] == "test" and entry["family"] == "sd1"
    assert entry["range"]["first"] <= entry["id"] <= entry["range"]["last"]
    folder = REPO_ROOT / entry["source"]["embedded"]
    on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert on_disk == set(entry["files"])
    from aigif_ref.model_store import resolve_model

    assert resolve_model(entry["id"]).path == folder  # every sha256 verified


def test_folder_fits_the_budget_with_float32_safetensors_only(entry):
    from safetensors import safe_open

    folder = REPO_ROOT / entry["source"]["embedded"]
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) <= SIZE_BUDGET
    weights = [p for p in files if p.suffix in (".safetensors", ".bin", ".ckpt", ".pt", ".pth")]
    assert len(weights) == 3 and all(p.suffix == ".safetensors" for p in weights)
    for path in weights:
        with safe_open(path, "pt") as f:
            assert {f.get_slice(k).get_dtype() for k in f.keys()} == {"F32"}


def test_training_record_describes_the_shipped_weights(entry):
    record = json.loads((MODELS_DIR / f"{NAME}.TRAINING.json").read_text(encoding="utf-8"))
    assert record["files"] == entry["files"]
    assert record["script"] == "vectors/models/train_shapes.py" and record["command"].startswith("python3 vectors/models/train_shapes.py")
    assert record["device"] == "cuda" and record["device_name"] and record["date_utc"]
    assert {"torch", "diffusers", "transformers"} <= set(record["versions"])
    assert record["vae"]["final_reconstruction_loss"] > 0 and record["unet_and_text_encoder"]["final_loss_mean_of_last_1000_steps"] > 0
    assert record["caption_dropout"] > 0  # classifier-free guidance needs the unconditional prompt trained


def test_the_classifier_reads_every_drawn_image():
    language = load("shapes_language")
    batch = language.draw(64, 64, torch.Generator().manual_seed(1))
    classifier = language.Classifier(64)
    for i in range(64):
        reading = classifier((batch.images[i].permute(1, 2, 0) * 255).round().to(torch.uint8))
        assert (reading.foreground, reading.shape, reading.background) == (
            language.COLOURS[batch.foreground[i]], language.SHAPES[batch.shape[i]], language.COLOURS[batch.background[i]])


def test_the_language_has_224_prompts_with_two_different_colours():
    language = load("shapes_language")
    prompts = language.all_prompts()
    assert len(prompts) == len(set(prompts)) == 8 * 7 * 4 and all(fg != bg for fg, _, bg in prompts)


def test_the_shipped_example_renders_what_its_prompt_says():
    from aigif_ref.api import decode
    from aigif_ref.regen.render import Renderer

    record = decode((REPO_ROOT / "examples" / "shapes.aigif").read_bytes())
    assert record["model_id"] == default_registry().model_code(NAME)
    language = load("shapes_language")
    words = record["prompt"].removeprefix("a ").removesuffix(" background").split(" on a ")
    foreground, shape = words[0].split(" ")
    result = Renderer(device="cpu").render(record)
    reading = language.Classifier(record["width"])(result.rgb)
    assert (reading.foreground, reading.shape, reading.background) == (foreground, shape, words[1])


def test_training_runs_on_cpu_and_writes_a_loadable_pipeline(tmp_path):
    from diffusers import StableDiffusionPipeline

    train = load("train_shapes")
    assert train.main(["--device", "cpu", "--quick", "--vae-steps", "2", "--unet-steps", "2", "--threads", "1",
                       "--out", str(tmp_path)]) == 0
    record = json.loads((tmp_path / "TRAINING.json").read_text(encoding="utf-8"))
    assert record["quick"] and record["vae"]["steps"] == 2 and record["unet_and_text_encoder"]["steps"] == 2
    pipe = StableDiffusionPipeline.from_pretrained(tmp_path / NAME, use_safetensors=True, local_files_only=True)
    pipe.set_progress_bar_config(disable=True)
    image = pipe("a red circle on a blue background", height=64, width=64, num_inference_steps=2,
                 generator=torch.Generator("cpu").manual_seed(0), output_type="np").images[0]
    assert image.shape == (64, 64, 3)
