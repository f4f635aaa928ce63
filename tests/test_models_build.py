"""The tiny shipped models: reproduced byte for byte by their build script, small, and loadable by diffusers."""
from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest
import torch
from diffusers import StableDiffusionPipeline, StableDiffusionXLImg2ImgPipeline, StableDiffusionXLPipeline
from transformers import CLIPTokenizer

from aigif_ref.registry import REPO_ROOT

MODELS_DIR = REPO_ROOT / "vectors" / "models"
PIPELINES = {"aigif-tiny-sd15": StableDiffusionPipeline, "aigif-tiny-sdxl": StableDiffusionXLPipeline,
             "aigif-tiny-sdxl-refiner": StableDiffusionXLImg2ImgPipeline}
SDXL = (StableDiffusionXLPipeline, StableDiffusionXLImg2ImgPipeline)
SIZE_BUDGET = 4_000_000  # bytes per model folder (issue 4)


@pytest.fixture(scope="module")
def build_models():
    spec = importlib.util.spec_from_file_location("build_models", MODELS_DIR / "build_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_rebuild_matches_the_registry_and_the_shipped_folders(build_models):
    # On a mismatch the problems end with the versions the models were built with and the installed ones.
    assert build_models.check() == []


def test_check_reports_a_stale_registry(build_models, tmp_path, monkeypatch, capsys):
    data = json.loads((REPO_ROOT / "registry.json").read_text())
    sdxl = next(m for m in data["models"] if m["name"] == "aigif-tiny-sdxl")
    sdxl["files"]["vae/config.json"] = "0" * 64
    del sdxl["files"]["tokenizer_2/merges.txt"]
    stale = tmp_path / "registry.json"
    stale.write_text(json.dumps(data))
    monkeypatch.setattr(build_models, "REGISTRY", stale)
    assert build_models.main(["--check"]) == 1
    report = capsys.readouterr().out
    assert "aigif-tiny-sdxl/vae/config.json: rebuilt" in report and "registry " + "0" * 64 in report
    assert "aigif-tiny-sdxl/tokenizer_2/merges.txt: rebuilt" in report and "registry None" in report
    assert "installed" in report and "aigif-tiny-sd15" not in report


def test_the_refiner_shares_the_tiny_sdxl_latent_space_and_second_text_encoder(build_models):
    # As the real refiner shares the real base's VAE and OpenCLIP encoder: the base's latents are the refiner's.
    refiner, base = (MODELS_DIR / n for n in ("aigif-tiny-sdxl-refiner", "aigif-tiny-sdxl"))
    shared = build_models.SHARED_WEIGHTS["aigif-tiny-sdxl-refiner"]
    assert shared == {"text_encoder_2": "aigif-tiny-sdxl", "vae": "aigif-tiny-sdxl"}
    for component in shared:
        assert [p.read_bytes() for p in sorted((refiner / component).iterdir())] == \
            [p.read_bytes() for p in sorted((base / component).iterdir())]
    assert (refiner / "unet" / "diffusion_pytorch_model.safetensors").read_bytes() != \
        (base / "unet" / "diffusion_pytorch_model.safetensors").read_bytes()


@pytest.mark.parametrize("name", PIPELINES)
def test_folder_fits_the_size_budget_and_holds_only_safetensors_weights(name):
    files = [p for p in (MODELS_DIR / name).rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) <= SIZE_BUDGET
    weights = [p for p in files if p.suffix in (".safetensors", ".bin", ".ckpt", ".pt", ".pth")]
    assert weights and all(p.suffix == ".safetensors" for p in weights)


def test_tokenizer_is_the_real_clip_bpe_truncated(build_models):
    tokenizer = CLIPTokenizer.from_pretrained(MODELS_DIR / "aigif-tiny-sd15" / "tokenizer", local_files_only=True)
    assert len(tokenizer) == build_models.VOCAB_SIZE == 8192
    # Real CLIP: "a photo of a cat" -> 49406, 320, 1125, 539, 320, 2368, 49407; only the two special IDs move.
    assert tokenizer("a photo of a cat").input_ids == [8190, 320, 1125, 539, 320, 2368, 8191]
    assert tokenizer("", padding="max_length").input_ids == [8190] + [8191] * 76
    tokenizer_2 = CLIPTokenizer.from_pretrained(MODELS_DIR / "aigif-tiny-sdxl" / "tokenizer_2", local_files_only=True)
    assert tokenizer_2("", padding="max_length").input_ids == [8190, 8191] + [0] * 75  # SDXL's second pads with "!"


@pytest.mark.parametrize("name", PIPELINES)
def test_pipeline_loads_in_both_dtypes_and_renders_on_cpu(name):
    path = MODELS_DIR / name
    extra = {"add_watermarker": False} if PIPELINES[name] in SDXL else {}
    half = PIPELINES[name].from_pretrained(path, use_safetensors=True, local_files_only=True, dtype=torch.float16, **extra)
    encoder = half.text_encoder if half.text_encoder is not None else half.text_encoder_2  # the refiner has the second only
    assert {half.unet.dtype, half.vae.dtype, encoder.dtype} == {torch.float16}
    pipe = PIPELINES[name].from_pretrained(path, use_safetensors=True, local_files_only=True, dtype=torch.float32, **extra)
    pipe.set_progress_bar_config(disable=True)
    refiner = PIPELINES[name] is StableDiffusionXLImg2ImgPipeline

    def render(prompt: str, seed: int) -> np.ndarray:
        if refiner:  # a refiner continues latents (the seed's): the second half of a schedule (Euler adds no noise)
            latents = torch.randn((1, 4, 32, 32), generator=torch.Generator("cpu").manual_seed(seed))
            return pipe(prompt, image=latents, num_inference_steps=4, denoising_start=0.5, output_type="np",
                        generator=torch.Generator("cpu").manual_seed(seed)).images[0]
        return pipe(prompt, num_inference_steps=2, height=64, width=64, output_type="np",
                    generator=torch.Generator("cpu").manual_seed(seed)).images[0]

    image = render("a photo of a cat", 0)
    assert image.shape == (64, 64, 3) and np.isfinite(image).all() and image.std() > 0.05
    assert np.array_equal(image, render("a photo of a cat", 0))
    assert not np.array_equal(image, render("a photo of a dog", 0))
    assert not np.array_equal(image, render("a photo of a cat", 1))
