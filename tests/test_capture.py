"""Capture: a diffusers call -> an AIGIF file -> a render with identical pixels, or a clear refusal."""
from __future__ import annotations

import diffusers
import numpy as np
import pytest
import torch

from aigif_ref.registry import default_registry
from aigif_ref.api import decode
from aigif_ref.capture import capture
from aigif_ref.errors import AigifError
from aigif_ref.regen.render import Renderer
from tests.regen_support import CAPTURED, MODEL_IDS, THREADS, load_bare

KARRAS = 5  # registry scheduler code "DPM++ 2M Karras"


pytestmark = pytest.mark.usefixtures("pinned_threads")  # fixtures in tests/conftest.py


@pytest.fixture
def pipes(tiny_models):
    """Fresh user pipelines (tests change their schedulers and settings)."""
    return lambda family: load_bare(tiny_models[family])


def _seed(n: int = 42):
    return torch.Generator("cpu").manual_seed(n)


def _read(path) -> dict:
    return decode(path.read_bytes())


# ------------------------------------------------------------------ round trips
@pytest.mark.parametrize("family", ["sd1", "sdxl"])
def test_capture_then_render_gives_identical_pixels(renderer, pipes, tmp_path, family):
    pipe = pipes(family)
    pipe.scheduler = diffusers.DPMSolverMultistepScheduler.from_config(pipe.scheduler.config, use_karras_sigmas=True)
    extra = {"original_size": (128, 128), "target_size": (64, 64)} if family == "sdxl" else {}
    out = tmp_path / "cat.aigif"
    images = capture(pipe, out, prompt="a red cat, oil painting", negative_prompt="", height=64, width=64,
                     num_inference_steps=3, guidance_scale=7.3, clip_skip=1, generator=_seed(), output_type="np", **extra).images
    rec = _read(out)
    assert out.stat().st_size < 100
    assert rec["model_id"] == MODEL_IDS[family] and rec["scheduler"] == KARRAS and rec["scheduler_config"] == {}
    assert rec["negative_prompt"] == "" and rec["seed"] == 42 and rec["steps"] == 3 and rec["guidance_scale"] == 7.3
    assert rec["params"]["clip_skip"] == 1 and rec["platform"] == CAPTURED and rec["device"] == 0
    if family == "sdxl":
        assert rec["params"]["original_size"] == [128, 128] and rec["params"]["target_size"] == [64, 64]
    result = renderer.render(rec)
    # Exact pixels below, and the forecast says so: capture recorded the kernels this process renders with
    # (unless they are a mix no cpu_capability names).
    assert result.fidelity.exact == ("cpu_capability" in CAPTURED), result.fidelity.reasons
    assert [r for r in result.fidelity.reasons if "instruction set" not in r] == []
    assert np.array_equal(result.array, images[0])
    assert np.array_equal(result.rgb, (images[0] * 255).round().astype(np.uint8))


def test_capture_returns_what_diffusers_returns(pipes, tmp_path):
    pipe = pipes("sd1")
    plain = pipe("a cat", height=64, width=64, num_inference_steps=3, generator=_seed()).images[0]
    captured = capture(pipe, tmp_path / "a.aigif", prompt="a cat", height=64, width=64, num_inference_steps=3, generator=_seed())
    assert np.array_equal(np.asarray(captured.images[0]), np.asarray(plain))  # PIL, as diffusers' default
    as_tuple = capture(pipe, tmp_path / "b.aigif", prompt="a cat", height=64, width=64, num_inference_steps=3,
                       generator=_seed(), output_type="pt", return_dict=False)
    assert isinstance(as_tuple, tuple) and as_tuple[0].shape == (1, 3, 64, 64)


def test_capture_records_scheduler_changes_and_settings(renderer, pipes, tmp_path):
    pipe = pipes("sd1")
    pipe.scheduler = diffusers.EulerDiscreteScheduler.from_config(pipe.scheduler.config, timestep_spacing="trailing")
    pipe.vae.enable_tiling()
    images = capture(pipe, tmp_path / "a.aigif", prompt="a cat", num_inference_steps=3, generator=_seed(7),
                     eta=0.0, guidance_rescale=0.7, output_type="np").images
    rec = _read(tmp_path / "a.aigif")
    assert rec["scheduler"] == 2 and rec["scheduler_config"] == {"timestep_spacing": 2}  # Euler, trailing
    assert rec["params"] == {"guidance_rescale": 0.7, "vae_tiling": True}  # eta=0.0 is the default: not recorded
    assert (rec["height"], rec["width"]) == images.shape[1:3]  # the pipeline's default size, made explicit
    assert np.array_equal(renderer.render(rec).array, images[0])


def test_capture_without_generator_seeds_one(renderer, pipes, tmp_path):
    images = capture(pipes("sd1"), tmp_path / "a.aigif", prompt="a cat", height=64, width=64, num_inference_steps=3, output_type="np").images
    rec = _read(tmp_path / "a.aigif")
    assert np.array_equal(renderer.render(rec).array, images[0])


def test_capture_a_batch_one_file_per_image(renderer, pipes, tmp_path):
    paths = [tmp_path / "0.aigif", tmp_path / "1.aigif"]
    images = capture(pipes("sdxl"), paths, prompt="a cat", height=64, width=64, num_inference_steps=3,
                     num_images_per_prompt=2, generator=_seed(), output_type="np").images
    for row, path in enumerate(paths):
        rec = _read(path)
        assert rec["platform"]["batch_size"] == 2 and rec["platform"].get("batch_index", 0) == row
        assert np.array_equal(renderer.render(rec).array, images[row])


def test_observing_callback_is_allowed(renderer, pipes, tmp_path):
    steps = []
    pipe = pipes("sd1")
    images = capture(pipe, tmp_path / "a.aigif", prompt="a cat", height=64, width=64, num_inference_steps=3,
                     generator=_seed(), output_type="np", callback_on_step_end=lambda p, i, t, kw: steps.append(i) or kw).images
    assert steps == list(range(len(pipe.scheduler.timesteps)))  # every step seen (PNDM: 3 steps, 4 timesteps)
    assert np.array_equal(renderer.render(_read(tmp_path / "a.aigif")).array, images[0])


# ------------------------------------------------------------------ refusals: nothing written
def _refused(pipe, tmp_path, match: str, **kwargs) -> None:
    out = tmp_path / "x.aigif"
    call = dict(prompt="a cat", height=64, width=64, num_inference_steps=2, generator=_seed())
    call.update(kwargs)
    with pytest.raises(AigifError) as error:
        capture(pipe, out, **call)
    assert error.value.code == "AIGIF_E_CAPTURE" and match in error.value.message, error.value.message
    assert not out.exists()


def test_refuses_inputs_a_file_cannot_hold(pipes, tmp_path):
    pipe = pipes("sd1")
    _refused(pipe, tmp_path, "latents=", latents=torch.zeros(1, 4, 32, 32))
    _refused(pipe, tmp_path, "prompt_embeds=", prompt=None, prompt_embeds=torch.zeros(1, 77, 32))
    _refused(pipe, tmp_path, "one string", prompt=["a cat", "a dog"])
    _refused(pipe, tmp_path, "list of generators", generator=[_seed(), _seed()])
    _refused(pipe, tmp_path, "output_type='latent'", output_type="latent")
    used = _seed()
    torch.randn(3, generator=used)
    _refused(pipe, tmp_path, "has drawn numbers since manual_seed(42)", generator=used)


def test_refuses_a_callback_that_changes_latents(pipes, tmp_path):
    def nudge(pipe, index, timestep, tensors):
        tensors["latents"] = tensors["latents"] * 1.01
        return tensors

    _refused(pipes("sd1"), tmp_path, "changed latents", callback_on_step_end=nudge)


def test_refuses_pipeline_changes_a_file_cannot_hold(pipes, tmp_path):
    pipe = pipes("sd1")
    registered = {e["diffusers_class"] for e in default_registry().enum("schedulers").values()}
    unregistered = next(name for name in ("IPNDMScheduler", "TCDScheduler", "EDMEulerScheduler",
                                          "HeunDiscreteScheduler") if name not in registered)
    pipe.scheduler = getattr(diffusers, unregistered).from_config(pipe.scheduler.config)
    _refused(pipe, tmp_path, f"{unregistered} is not in the registry")
    pipe.scheduler = diffusers.DDIMScheduler.from_config(pipe.scheduler.config, num_train_timesteps=500)
    _refused(pipe, tmp_path, "num_train_timesteps=500")
    pipe = pipes("sd1")
    pipe.enable_freeu(s1=0.9, s2=0.2, b1=1.2, b2=1.4)
    _refused(pipe, tmp_path, "FreeU")
    pipe = pipes("sd1")
    pipe.fuse_qkv_projections()
    _refused(pipe, tmp_path, "attention processors")
    pipe = pipes("sd1")
    pipe.unet.peft_config = {"default": object()}  # what loading a LoRA through PEFT leaves on a model
    _refused(pipe, tmp_path, "LoRA")


def test_model_identification(pipes, tmp_path, tiny_models):
    pipe = pipes("sd1")
    pipe.register_to_config(_name_or_path=str(tmp_path / "some-other-model"))
    _refused(pipe, tmp_path, "matches no registry model: pass model_id=")
    _refused(pipes("sd1"), tmp_path, "family 'sdxl'", model_id=MODEL_IDS["sdxl"])


# ------------------------------------------------------------------ pixels and digest in the file
@pytest.mark.parametrize("compressor", ["png", "jxl"])
def test_capture_stores_pixels_and_digest(pipes, tmp_path, compressor):
    from aigif_ref.codecs.pixels import decode_pixels
    from aigif_ref.pixel_digest import verify

    images = capture(pipes("sd1"), tmp_path / "a.aigif", prompt="a cat", height=64, width=64, num_inference_steps=2,
                     generator=_seed(), output_type="np", save_pixels=compressor, digest=True).images
    rec = _read(tmp_path / "a.aigif")
    rgb = (images[0] * 255).round().astype(np.uint8)
    assert [e["type"] for e in rec["extensions"]] == [1, 3]
    assert np.array_equal(decode_pixels(rec), rgb)
    assert verify(rec, rgb).status == "bit-exact"


def test_capture_records_a_pinned_attention_backend(renderer, pipes, tmp_path):
    from torch.nn.attention import SDPBackend, sdpa_kernel

    with sdpa_kernel(SDPBackend.MATH):
        images = capture(pipes("sd1"), tmp_path / "a.aigif", prompt="a cat", height=64, width=64, num_inference_steps=2,
                         generator=_seed(), output_type="np").images
        with sdpa_kernel([SDPBackend.MATH, SDPBackend.FLASH_ATTENTION]):
            _refused(pipes("sd1"), tmp_path, "several but not all SDPA backends")
    rec = _read(tmp_path / "a.aigif")
    assert rec["platform"]["attention_backend"] == 1  # math
    assert np.array_equal(renderer.render(rec).array, images[0])
