"""Hires fix (extension type 6) and the A1111 dialect rendered by the reference decoder: goldens and A1111's rules.

The goldens in vectors/stages/ come from vectors/generate_stages.py (bare diffusers computations written out
from A1111's definitions). The renderer must reproduce them within each case's stated tolerance (bit-exact
under the kernels the case names); the generator's --check re-derives them from scratch.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from aigif_ref.errors import AigifError
from aigif_ref.regen import stages
from aigif_ref.registry import default_registry

ROOT = Path(__file__).resolve().parents[1]
GOLDENS = sorted(p for p in (ROOT / "vectors" / "stages").iterdir() if (p / "test.json").is_file())


@pytest.mark.parametrize("steps,strength,total", [
    (10, 0.5, 20), (3, 0.6, 5),  # 3 / 0.6 = 5.000000000000001 in double (a float32 0.6 would give 4)
    (20, 1.0, 20),  # A1111 divides by min(strength, 0.999): int(20.02)
    (7, 0.7, 10), (15, 0.35, 42), (1, 0.05, 20),
])
def test_schedule_length_is_a1111s_fixed_steps_rule(steps, strength, total):
    assert stages.schedule_length(steps, strength) == total


def test_diffusers_runs_exactly_the_recorded_steps():
    for steps in range(1, 60):
        for strength in (0.05, 0.2, 0.3, 0.333, 0.5, 0.55, 0.7, 0.75, 0.9, 0.999, 1.0):
            total = stages.schedule_length(steps, strength)
            assert min(int(total * stages.diffusers_strength(steps, total)), total) == steps


def test_every_upscaler_the_decoder_knows_is_a_registry_name_and_the_rest_are_refused_as_networks():
    registry = default_registry()
    names = {e["name"] for e in registry.enum("upscalers").values()}
    assert set(stages.UPSCALERS) <= names
    networks = names - set(stages.UPSCALERS)
    assert networks and all(stages.upscaler_of(registry.enum_code("upscalers", n), registry)["space"] == "network"
                            for n in networks)


def test_pixel_resizing_follows_a1111s_resize_image():
    from PIL import Image

    rng = np.random.default_rng(0)
    image = Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8))
    nearest, lanczos = stages.UPSCALERS["Nearest"], Image.Resampling.LANCZOS
    # x1.5: the upscaler's own resize lands on the target (a multiple of 8).
    assert np.array_equal(np.asarray(stages.resize_pixels(image, 96, 96, nearest)),
                          np.asarray(image.resize((96, 96), Image.Resampling.NEAREST)))
    # 88x80 from 64x64: scale max(1.375, 1.25) -> the upscaler makes 88x88, then Lanczos to 88x80.
    want = image.resize((88, 88), Image.Resampling.NEAREST).resize((88, 80), resample=lanczos)
    assert np.array_equal(np.asarray(stages.resize_pixels(image, 88, 80, nearest)), np.asarray(want))
    # 83x83 from 64 (A1111 keeps int(w * scale)): the upscaler makes 83x83, Lanczos to the multiple of 8 below
    # (80x80), then Lanczos to the target.
    want = image.resize((83, 83), Image.Resampling.NEAREST).resize((80, 80), resample=lanczos).resize((83, 83), resample=lanczos)
    assert np.array_equal(np.asarray(stages.resize_pixels(image, 83, 83, nearest)), np.asarray(want))


def test_first_pass_pixels_are_truncated_as_a1111_does():
    assert stages.to_a1111_rgb8(np.array([[0.999, 0.5, 1.0]], dtype=np.float32)).tolist() == [[254, 127, 255]]


torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from tests.regen_support import record  # noqa: E402


@pytest.fixture(scope="module")
def renderer(pinned_threads):
    from aigif_ref.regen.render import Renderer

    return Renderer(device="cpu")


def hires(rec, upscaler="Latent", height=96, width=96, steps=2, strength=0.5, **extra):
    stage = {"kind": "hires_fix", "upscaler": upscaler, "height": height, "width": width, "steps": steps,
             "denoising_strength": strength, "scheduler": "DDIM"}
    return dict(rec, height=height, width=width, extensions=[{"type": 6, "base_height": 64, "base_width": 64,
                                                              "stages": [stage]}], **extra)


@pytest.mark.parametrize("case", GOLDENS, ids=lambda p: p.name)
def test_goldens_render_within_their_tolerance(renderer, case):
    from aigif_ref.api import decode, read_bytes
    from PIL import Image

    test = json.loads((case / "test.json").read_text(encoding="utf-8"))
    expected = np.asarray(Image.open(case / "expected.png").convert("RGB"))
    got = renderer.render(decode(read_bytes(case / "input.aigif")), decoded=True).rgb
    diff = np.abs(got.astype(int) - expected.reshape(got.shape).astype(int))
    mse = float((diff.astype(float) ** 2).mean())
    psnr = float("inf") if mse == 0 else 10 * np.log10(255 ** 2 / mse)
    assert diff.max() <= test["tolerance"]["max_abs_error"] and psnr >= test["tolerance"]["min_psnr"], (diff.max(), psnr)


def test_goldens_equal_the_bare_computations():
    from vectors.generate_render import GOLDEN_CPU_ENV

    done = subprocess.run([sys.executable, "vectors/generate_stages.py", "--check"], cwd=ROOT,
                          env=dict(os.environ, **GOLDEN_CPU_ENV, PYTHONPATH=str(ROOT)), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def test_every_latent_mode_renders_and_the_mode_matters(renderer):
    base = record("sd1", scheduler="DDIM", negative_prompt="blurry")
    images = {name: renderer.render(hires(base, name)).rgb for name, up in stages.UPSCALERS.items()}
    assert all(image.shape == (96, 96, 3) for image in images.values())
    assert np.array_equal(images["Latent"], images["Latent (bilinear)"])  # the same A1111 mode
    assert not np.array_equal(images["Latent"], images["Latent (nearest)"])
    assert not np.array_equal(images["Latent"], images["Lanczos"])


def test_a_batch_row_of_a_hires_fix_renders(renderer):
    rec = hires(record("sd1", scheduler="DDIM", platform=dict(record("sd1")["platform"], batch_size=2, batch_index=1)))
    assert renderer.render(rec).rgb.shape == (96, 96, 3)


def test_hires_fix_and_a1111_prompts_render_together(renderer):
    rec = hires(dict(record("sd1", scheduler="DDIM"), prompt="a (red:1.2) cat BREAK snow"), "Lanczos")
    rec["extensions"].append({"type": 7, "dialect": "A1111"})
    assert renderer.render(rec).rgb.shape == (96, 96, 3)


def test_network_upscalers_are_refused_by_name(renderer):
    with pytest.raises(AigifError) as err:
        renderer.render(hires(record("sd1"), "R-ESRGAN 4x+"))
    assert err.value.code == "AIGIF_E_PLATFORM" and "R-ESRGAN 4x+" in err.value.message


def test_a_schedule_beyond_the_step_limit_is_refused_before_loading(renderer):
    with pytest.raises(AigifError) as err:
        renderer.render(hires(record("sd1"), steps=10, strength=0.001))
    assert err.value.code == "AIGIF_E_DECODER_LIMIT" and "10000" in err.value.message


def test_infotext_of_a_hires_record_reads_back_through_the_importer():
    # Rendered PNGs carry A1111 infotext (aigif_ref/a1111.py): the web UI's Size is the first pass, Clip skip counts
    # the last layer as 1, Karras/Exponential schedules are a "Schedule type"; the importer must read them back.
    from aigif_ref import a1111
    from aigif_ref.api import decode, encode
    from aigif_ref.importers.a1111 import to_record

    registry = default_registry()
    rec = decode(encode(hires(dict(record("sd1", scheduler="Euler"), params={"clip_skip": 1},
                                   scheduler_config={"use_karras_sigmas": True}), "Latent (bicubic)", height=128,
                              width=128, steps=5, strength=0.45)))
    text = a1111.infotext(rec, registry)
    assert "Size: 64x64" in text and "Clip skip: 2" in text and "Schedule type: Karras" in text
    back, _ = to_record(text, registry)
    assert back["params"]["clip_skip"] == 1 and back["scheduler_config"] == {"use_karras_sigmas": True}
    stage = next(e for e in back["extensions"] if e["type"] == 6)
    assert (stage["base_width"], stage["base_height"]) == (64, 64)
    assert {k: stage["stages"][0][k] for k in ("upscaler", "height", "width", "steps", "denoising_strength")} == \
        {"upscaler": "Latent (bicubic)", "height": 128, "width": 128, "steps": 5, "denoising_strength": 0.45}


# -- SDXL base + refiner --------------------------------------------------------------------------

def refined(rec, model="aigif-tiny-sdxl-refiner", start=0.5, steps=4, scheduler="Euler", **extra):
    stage = {"kind": "refiner", "steps": steps, "scheduler": scheduler, "model_id": model, "denoising_start": start}
    return dict(rec, extensions=[{"type": 6, "base_height": rec["height"], "base_width": rec["width"],
                                  "stages": [stage]}], **extra)


def test_an_sdxl_base_as_its_own_refiner_equals_diffusers_from_pipe(renderer):
    # One model for both passes: the pipeline cache holds one pipeline, which the refiner must not reconfigure
    # (its scheduler is DDIM here, the first pass's Euler).
    import diffusers

    from aigif_ref.model_store import resolve_model
    from tests.regen_support import load_bare

    rec = record("sdxl", scheduler="Euler", steps=4, params={"denoising_end": 0.5})
    got = renderer.render(refined(rec, model="aigif-tiny-sdxl", scheduler="DDIM")).rgb
    base = load_bare(resolve_model(rec["model_id"]), add_watermarker=False)
    base.scheduler = diffusers.EulerDiscreteScheduler.from_config(base.scheduler.config)
    latents = base(prompt="a red cat", height=64, width=64, num_inference_steps=4, guidance_scale=7.5, denoising_end=0.5,
                   output_type="latent", generator=torch.Generator("cpu").manual_seed(rec["seed"])).images
    refiner = diffusers.StableDiffusionXLImg2ImgPipeline.from_pipe(base)
    refiner.scheduler = diffusers.DDIMScheduler.from_config(base.scheduler.config)
    want = refiner(prompt="a red cat", image=latents, num_inference_steps=4, guidance_scale=7.5, denoising_start=0.5,
                   output_type="np", generator=torch.Generator("cpu").manual_seed(rec["seed"])).images[0]
    from aigif_ref.regen.render import to_rgb8

    assert np.array_equal(got, to_rgb8(want))
    # and the first pass alone is set up again afterwards: the plain record still renders as before
    plain = record("sdxl", scheduler="Euler", steps=4)
    assert np.array_equal(renderer.render(plain).rgb, renderer.render(dict(plain)).rgb)


def test_the_handover_point_and_the_refiner_model_matter(renderer):
    rec = record("sdxl", scheduler="Euler", steps=4, params={"denoising_end": 0.5})
    images = {key: renderer.render(refined(rec, **kw)).rgb for key, kw in {
        "tiny refiner": {}, "later": {"start": 0.75}, "base as refiner": {"model": "aigif-tiny-sdxl"}}.items()}
    assert not np.array_equal(images["tiny refiner"], images["later"])
    assert not np.array_equal(images["tiny refiner"], images["base as refiner"])


def test_a_refiner_whose_model_files_are_missing_is_refused_naming_it(renderer):
    # stable-diffusion-xl-refiner-1.0 is in the registry but nowhere on this machine (nor pinned)
    rec = refined(record("sdxl", params={"denoising_end": 0.5}), model="stable-diffusion-xl-refiner-1.0")
    with pytest.raises(AigifError) as err:
        renderer.render(rec)
    assert err.value.code.startswith("AIGIF_E_MODEL") and "stable-diffusion-xl-refiner-1.0" in err.value.message


@pytest.mark.parametrize("change,code,words", [
    ({"model": "aigif-tiny-sd15"}, "AIGIF_E_RECORD", "family 'sd1'"),  # written: refused as a record
    ({"start": 1.0}, "AIGIF_E_RECORD", "(0, 1)"),
    ({"model": 515}, "AIGIF_E_UNKNOWN_CODE", "515"),
])
def test_bad_refiner_stages_are_refused_with_their_codes(renderer, change, code, words):
    with pytest.raises(AigifError) as err:
        renderer.render(refined(record("sdxl"), **change))
    assert err.value.code == code and words in err.value.message


def test_a_refiner_after_an_sd1_first_pass_is_a_stage_model_error_in_a_file():
    from aigif_ref.api import decode, read_bytes

    case = ROOT / "vectors" / "syntax" / "invalid-stages-refiner-model-family"
    with pytest.raises(AigifError) as err:
        decode(read_bytes(case / "input.aigif"))
    assert err.value.code == "AIGIF_E_STAGE_MODEL" and "sdxl-refiner" in err.value.message


def test_a1111_prompts_with_a_refiner_are_refused(renderer):
    rec = refined(record("sdxl", prompt="a (red:1.2) cat"))
    rec["extensions"].append({"type": 7, "dialect": "A1111"})
    with pytest.raises(AigifError) as err:
        renderer.render(rec)
    assert err.value.code == "AIGIF_E_PLATFORM" and "refiner" in err.value.message


def test_a_refiner_schedule_beyond_the_renderers_step_limit_is_refused_before_loading():
    from aigif_ref.regen.render import Renderer

    with pytest.raises(AigifError) as err:
        Renderer(device="cpu", max_steps=10).render(refined(record("sdxl"), steps=11))
    assert err.value.code == "AIGIF_E_DECODER_LIMIT"


SDXL_INFOTEXT = ("a fox in the snow\nNegative prompt: blurry\nSteps: 30, Sampler: DPM++ 2M, Schedule type: Karras, "
                 "CFG scale: 7, Seed: 5, Size: 1024x1024, Model hash: 31e35c80fc, Model: sd_xl_base_1.0, {refiner}"
                 "Version: v1.10.1")


def test_a1111_refiner_maps_to_the_handover_and_a_refiner_stage():
    from aigif_ref.api import decode, encode
    from aigif_ref.importers.a1111 import to_record

    registry = default_registry()
    rec, unmapped = to_record(SDXL_INFOTEXT.format(refiner="Refiner: sd_xl_refiner_1.0 [7440042bbd], "
                                                           "Refiner switch at: 0.8, "), registry)
    back = decode(encode(rec, registry), registry)
    stage = stages.stages_of(back)["stages"][0]
    refiner = registry.models[stage["model_id"]]
    assert refiner["family"] == "sdxl-refiner" and registry.family_of(back["model_id"])["name"] == "sdxl"
    assert back["params"]["denoising_end"] == stage["denoising_start"] == pytest.approx(0.8)
    assert (stage["steps"], stage["scheduler"]) == (back["steps"], back["scheduler"])
    assert [u for u in unmapped if u.startswith("Refiner")] == [
        f"Refiner hash: 7440042bbd (sd_xl_refiner_1.0): recorded as registry model {refiner['name']} "
        "(a stage names registry models, not files by hash)"]


@pytest.mark.parametrize("refiner", [
    "Refiner: some_sdxl_finetune [0123456789], Refiner switch at: 0.8, ",  # a checkpoint that is no SDXL refiner
    "Refiner: sd_xl_refiner_1.0 [7440042bbd], Refiner switch at: 1.0, ",  # no hand-over inside the schedule
])
def test_a1111_refiners_a_stage_cannot_hold_are_reported(refiner):
    from aigif_ref.importers.a1111 import to_record

    rec, unmapped = to_record(SDXL_INFOTEXT.format(refiner=refiner), default_registry())
    assert stages.stages_of(rec) is None and "denoising_end" not in rec["params"]
    assert any(u.startswith("Refiner: ") and "not represented" in u for u in unmapped)


def test_infotext_of_a_refiner_record_names_the_refiner_and_the_switch():
    from aigif_ref import a1111
    from aigif_ref.api import decode, read_bytes

    text = a1111.infotext(decode(read_bytes(ROOT / "vectors/stages/stages-tiny-sdxl-refiner/input.aigif")), default_registry())
    assert "Refiner: aigif-tiny-sdxl-refiner, Refiner switch at: 0.75" in text and "Hires" not in text
