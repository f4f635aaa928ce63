"""Regeneration: a record renders exactly what a bare diffusers call with the same settings gives.

Tiny shipped models (490 sd1, 491 sdxl), 64x64, 3 steps, one CPU thread: each render takes a
fraction of a second. The CLI and the torch-free parts are tested in subprocesses.
"""
from __future__ import annotations

import importlib.util
import io
import json
import subprocess
import sys
from pathlib import Path

import diffusers
import numpy as np
import pytest
import torch
import transformers
from PIL import Image

from aigif_ref.api import decode, encode
from aigif_ref.cli import main
from aigif_ref.errors import AigifError
from aigif_ref.grammar.fields import PARAMS, SCHEDULER_CONFIG
from aigif_ref.regen.arguments import PARAM_SETTINGS
from aigif_ref.regen.compat import clip_skip_compat
from aigif_ref.regen.determinism import FLAGS
from aigif_ref.regen.platform import PlatformInfo, compare, release
from aigif_ref.regen.render import Renderer
from aigif_ref.regen.scheduler import CONFIG_KEYS
from aigif_ref.registry import Registry
from tests.regen_support import HERE, THREADS, bare_call, load_bare, record

ROOT = Path(__file__).resolve().parents[1]


pytestmark = pytest.mark.usefixtures("pinned_threads")  # fixtures in tests/conftest.py


@pytest.fixture(scope="module")
def bare(tiny_models):
    return {family: load_bare(model) for family, model in tiny_models.items()}


# ------------------------------------------------------------------ the renderer adds nothing
@pytest.mark.parametrize("family, scheduler, diffusers_class", [
    ("sd1", 0, "DDIMScheduler"), ("sd1", 5, "DPMSolverMultistepScheduler"),
    ("sdxl", 2, "EulerDiscreteScheduler"), ("sdxl", 3, "EulerAncestralDiscreteScheduler"),
])
def test_render_equals_bare_diffusers_call(renderer, bare, family, scheduler, diffusers_class):
    rec = record(family, scheduler=scheduler, negative_prompt="blurry", guidance_scale=6.0, params={"guidance_rescale": 0.5})
    result = renderer.render(rec)
    changes = {"use_karras_sigmas": True} if scheduler == 5 else {}
    expected = bare_call(bare[family], diffusers_class, changes, negative_prompt="blurry", guidance_scale=6.0, guidance_rescale=0.5)[0]
    assert result.array.dtype == np.float32 and result.array.shape == (64, 64, 3)
    assert np.array_equal(result.array, expected)
    assert np.array_equal(result.rgb, (expected * 255).round().astype(np.uint8))
    assert result.rgb.std() > 0  # a real image, not a constant
    # Exact pixels here; the forecast cannot promise them: this record does not name the CPU kernels' instruction set.
    assert [r for r in result.fidelity.reasons if "instruction set" not in r] == [] and not result.fidelity.exact
    assert result.model.model_id == rec["model_id"]


def test_sdxl_micro_conditioning_and_eta_reach_the_pipeline(renderer, bare):
    params = {"original_size": [128, 96], "crops_coords_top_left": [8, 0], "target_size": [64, 64], "eta": 0.5}
    rendered = renderer.render(record("sdxl", scheduler=0, params=params)).array
    expected = bare_call(bare["sdxl"], "DDIMScheduler", original_size=(128, 96), crops_coords_top_left=(8, 0),
                         target_size=(64, 64), eta=0.5)[0]
    plain = renderer.render(record("sdxl", scheduler=0)).array
    assert np.array_equal(rendered, expected)
    assert not np.array_equal(rendered, plain)


def test_progress_callback_observes_only(renderer):
    rec = record("sd1")
    seen = []
    with_progress = renderer.render(rec, on_step=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert np.array_equal(with_progress.array, renderer.render(rec).array)


def test_pipelines_are_reused_across_files(renderer):
    renderer.render(record("sd1"))
    again = renderer.render(record("sd1", seed=99, scheduler=2))
    assert again.load_seconds == 0.0


# ------------------------------------------------------------------ hidden settings
def test_negative_prompt_absent_versus_empty(renderer, bare):
    """SDXL's force_zeros_for_empty_prompt: None gives zero negative embeddings, "" encodes the empty string."""
    assert bare["sdxl"].config.force_zeros_for_empty_prompt
    absent = renderer.render(record("sdxl", negative_prompt=None)).array
    empty = renderer.render(record("sdxl", negative_prompt="")).array
    assert not np.array_equal(absent, empty)
    assert np.array_equal(absent, bare_call(bare["sdxl"], "DDIMScheduler", negative_prompt=None)[0])
    assert np.array_equal(empty, bare_call(bare["sdxl"], "DDIMScheduler", negative_prompt="")[0])
    # SD 1.x encodes "" for a missing negative prompt: the two records give the same image there.
    assert np.array_equal(renderer.render(record("sd1", negative_prompt=None)).array,
                          renderer.render(record("sd1", negative_prompt="")).array)


def test_scheduler_config_is_applied(renderer):
    plain = renderer.render(record("sd1", scheduler=4)).array  # DPM++ 2M
    karras_preset = renderer.render(record("sd1", scheduler=5)).array  # DPM++ 2M Karras
    karras_field = renderer.render(record("sd1", scheduler=4, scheduler_config={"use_karras_sigmas": True})).array
    trailing = renderer.render(record("sd1", scheduler=4, scheduler_config={"timestep_spacing": 2})).array
    assert np.array_equal(karras_preset, karras_field)
    assert not np.array_equal(plain, karras_preset)
    assert not np.array_equal(plain, trailing)
    scheduler = renderer.cache.get(decode(encode(record("sd1", scheduler=4, scheduler_config={"timestep_spacing": 2}))), "cpu")[0].pipe.scheduler
    assert type(scheduler).__name__ == "DPMSolverMultistepScheduler" and scheduler.config.timestep_spacing == "trailing"
    assert scheduler.config.steps_offset == 1  # the model's own config underneath


def test_batch_index_takes_its_row_of_the_whole_batch(renderer, bare):
    rows = bare_call(bare["sd1"], "DDIMScheduler", num_images_per_prompt=2)
    second = renderer.render(record("sd1", platform=dict(HERE, batch_size=2, batch_index=1))).array
    first = renderer.render(record("sd1", platform=dict(HERE, batch_size=2))).array
    assert np.array_equal(second, rows[1]) and np.array_equal(first, rows[0])
    assert not np.array_equal(first, second)


@pytest.mark.parametrize("clip_skip", [1, 2])
def test_clip_skip_renders_and_equals_an_independent_computation(renderer, bare, clip_skip):
    pipe = bare["sd1"]
    # The bug the shim works around, reproduced with the pinned versions.
    if not hasattr(pipe.text_encoder, "text_model"):
        with pytest.raises(AttributeError, match="text_model"):
            bare_call(pipe, "DDIMScheduler", clip_skip=clip_skip)
    skipped = renderer.render(record("sd1", params={"clip_skip": clip_skip})).array
    assert not np.array_equal(skipped, renderer.render(record("sd1")).array)
    # What diffusers means by clip_skip, computed here by hand: the hidden state clip_skip layers
    # before the last, through the encoder's final layer norm; the negative prompt is encoded as usual.
    ids = pipe.tokenizer("a red cat", padding="max_length", max_length=pipe.tokenizer.model_max_length,
                         truncation=True, return_tensors="pt").input_ids
    with torch.no_grad():
        hidden = pipe.text_encoder(ids, output_hidden_states=True).hidden_states[-(clip_skip + 1)]
        embeds = pipe.text_encoder.final_layer_norm(hidden)
    expected = bare_call(pipe, "DDIMScheduler", prompt=None, prompt_embeds=embeds)[0]
    assert np.array_equal(skipped, expected)


def test_clip_skip_shim_leaves_the_model_as_it_was(bare):
    encoder = bare["sd1"].text_encoder
    if hasattr(encoder, "text_model"):
        pytest.skip("this transformers' CLIPTextModel has text_model: nothing to shim")
    keys = list(encoder.state_dict())
    with clip_skip_compat(bare["sd1"]) as patched:
        assert patched == ["text_encoder"] and encoder.text_model is encoder
        assert list(encoder.state_dict()) == keys  # an alias, not a registered submodule
    assert not hasattr(encoder, "text_model")
    assert list(encoder.state_dict()) == keys


def test_determinism_settings_are_applied_then_restored(renderer, monkeypatch):
    seen = {}
    real = diffusers.StableDiffusionPipeline.__call__

    def spy(self, *args, **kwargs):
        seen.update({name: flag.get(torch) for name, flag in FLAGS.items()}, threads=torch.get_num_threads(),
                    math_only=not torch.backends.cuda.flash_sdp_enabled() and torch.backends.cuda.math_sdp_enabled())
        return real(self, *args, **kwargs)

    monkeypatch.setattr(diffusers.StableDiffusionPipeline, "__call__", spy)
    before = {name: flag.get(torch) for name, flag in FLAGS.items()}
    platform = dict(HERE, num_threads=2, cudnn_tf32=False, cudnn_benchmark=True, attention_backend=1)  # 1 = math
    renderer.render(record("sd1", platform=platform))
    assert seen["threads"] == 2 and seen["cudnn_tf32"] is False and seen["cudnn_benchmark"] is True and seen["math_only"]
    assert seen["matmul_tf32"] is FLAGS["matmul_tf32"].default  # absent: torch's default
    assert {name: flag.get(torch) for name, flag in FLAGS.items()} == before
    assert torch.get_num_threads() == THREADS and torch.backends.cuda.flash_sdp_enabled()


# ------------------------------------------------------------------ tables cover the grammar
def test_every_params_field_has_a_diffusers_setting():
    assert set(PARAM_SETTINGS) == {spec.name for spec in PARAMS}
    assert set(CONFIG_KEYS) == {spec.name for spec in SCHEDULER_CONFIG}


# ------------------------------------------------------------------ errors
def test_cuda_requested_without_cuda(monkeypatch, tiny_models):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(AigifError) as error:
        Renderer("cuda").render(record("sd1"))
    assert error.value.code == "AIGIF_E_PLATFORM" and "--device cpu" in error.value.message


def test_unavailable_model_is_a_model_error(renderer):
    with pytest.raises(AigifError) as error:
        renderer.render(record("sd1", model_id=0))  # stable-diffusion-v1-5: no weights here
    assert error.value.code == "AIGIF_E_MODEL_MISSING" and "stable-diffusion-v1-5" in error.value.message


def test_unknown_pipeline_class(registry, tiny_models):
    data = json.loads(json.dumps(registry.data))
    next(f for f in data["families"] if f["name"] == "sd1")["pipeline"] = "NoSuchPipeline"
    with pytest.raises(AigifError) as error:
        Renderer("cpu", registry=Registry(data)).render(record("sd1"))
    assert error.value.code == "AIGIF_E_PLATFORM" and "NoSuchPipeline" in error.value.message


def test_pipeline_failure_is_a_render_error(renderer, bare):
    too_deep = bare["sd1"].text_encoder.config.num_hidden_layers + 1  # no hidden state that far back
    with pytest.raises(AigifError) as error:
        renderer.render(record("sd1", params={"clip_skip": too_deep}))
    assert error.value.code == "AIGIF_E_RENDER"


def test_settings_the_file_needs_but_this_machine_lacks(renderer):
    with pytest.raises(AigifError) as error:  # the tiny model ships no safety checker
        renderer.render(record("sd1", params={"safety_checker": True}))
    assert error.value.code == "AIGIF_E_MODEL" and "no safety_checker component" in error.value.message
    missing = {"imwatermark": ("sdxl", {"params": {"add_watermarker": True}}, "pip install invisible-watermark"),
               "xformers": ("sd1", {"platform": dict(HERE, attention_backend=5)}, "xformers")}
    for module, (family, fields, words) in missing.items():
        if importlib.util.find_spec(module) is None:
            with pytest.raises(AigifError) as error:
                renderer.render(record(family, **fields))
            assert error.value.code == "AIGIF_E_DEPENDENCY" and words in error.value.message, module


# ------------------------------------------------------------------ platform check (torch-free)
def _info(device=0, gpu=0, cuda=0, cpu_capability=None, **platform):
    return PlatformInfo(device, gpu, cuda, dict(HERE, **platform), cpu_capability=cpu_capability)


def test_fidelity_exact_on_the_same_cpu_platform_and_kernels(registry):
    rec = decode(encode(record("sd1", platform=dict(HERE, cpu_capability=registry.enum_code("cpu_capabilities", "avx2")))))
    fidelity = compare(rec, _info(cpu_capability="avx2"), registry)
    assert fidelity.exact and fidelity.reasons == [] and "exact" in fidelity.statement
    other = compare(rec, _info(cpu_capability="avx512"), registry)
    assert not other.exact and len(other.reasons) == 1
    assert other.reasons[0].startswith("the CPU instruction set of the kernels was avx2, here avx512")
    assert ": measured at least 86 dB PSNR, some renders bit-exact, at most 1/255 (torch 2.13, benchmarks/cpu_determinism.py" \
        in other.reasons[0]


def test_fidelity_never_promises_exact_when_the_cpu_kernels_are_not_recorded(registry):
    fidelity = compare(decode(encode(record("sd1"))), _info(cpu_capability="avx2"), registry)
    assert not fidelity.exact and len(fidelity.reasons) == 1
    assert fidelity.reasons[0].startswith("the CPU instruction set of the kernels is not recorded, here avx2: measured at least 86 dB")


def test_fidelity_gpu_record_rendered_on_cpu_quotes_measurements(registry):
    rec = decode(encode(record("sd1", device=1, gpu=2, cuda=1)))
    reason = compare(rec, _info(), registry).reasons[0]
    assert reason.startswith("recorded on NVIDIA GeForce RTX 3090, rendering on CPU: measured 65-67 dB PSNR (torch 2.11")
    half = decode(encode(record("sd1", device=1, gpu=2, cuda=1, dtype=1)))
    reason = compare(half, _info(), registry).reasons[0]
    assert "measured 57-58 dB PSNR (torch 2.11" in reason and "measured 13.7 dB PSNR (torch 2.13" in reason
    assert "Table V" not in reason


@pytest.mark.parametrize("scheduler, expect", [(0, "measured 58.44 dB PSNR (paper Table V"), (4, "measured 51.31 dB PSNR (paper Table V"),
                                               (2, "no measurement for this pair")])
def test_fidelity_across_gpu_models(registry, scheduler, expect):
    rec = decode(encode(record("sd1", device=1, gpu=2, cuda=5, dtype=1, scheduler=scheduler)))
    fidelity = compare(rec, _info(device=1, gpu=6, cuda=5), registry)
    assert len(fidelity.reasons) == 1 and "recorded on NVIDIA GeForce RTX 3090, rendering on NVIDIA H100 80GB HBM3" in fidelity.reasons[0]
    assert expect in fidelity.reasons[0]
    same = compare(rec, _info(device=1, gpu=2, cuda=5), registry)
    assert same.exact


def test_fidelity_reasons_versions_generator_threads(registry):
    rec = decode(encode(record("sd1", platform={"torch_version": "2.11.0", "generator_device": 1})))
    reasons = compare(rec, _info(), registry).reasons
    assert any("torch 2.11.0, rendering with " + HERE["torch_version"] in r for r in reasons)
    assert any("diffusers version is not recorded" in r for r in reasons)
    assert any("cuda generator" in r and "different image" in r for r in reasons)
    assert any("thread count is not recorded" in r for r in reasons)


def test_measurement_tables_are_validated_and_matched(tmp_path):
    from aigif_ref.regen.measurements import find, load_measurements

    rows = load_measurements()
    assert rows and all(m.row["source"] for m in rows)
    extra = tmp_path / "shapes.json"
    extra.write_text(json.dumps({"measurements": [{"from": {"device": "GPU", "dtype": "bfloat16"}, "to": {"device": "CPU", "dtype": "bfloat16"},
                                                   "psnr_db": {"min": 40.0, "max": 41.5}, "torch": "2.11", "source": "a benchmark",
                                                   "date": "2026-11-22"}]}), encoding="utf-8")
    table = load_measurements([extra])
    assert [m.text for m in find({"device": "GPU", "dtype": "bfloat16"}, {"device": "CPU", "dtype": "bfloat16"}, table)] == \
        ["measured 40-41.5 dB PSNR (torch 2.11, a benchmark)"]
    extra.write_text(json.dumps({"measurements": [{"from": {"device": "GPU"}}]}), encoding="utf-8")
    with pytest.raises(ValueError, match="not a fidelity-measurements table"):
        load_measurements([extra])


def test_cpu_capability_is_mixed_when_one_library_is_capped(monkeypatch):
    from aigif_ref.regen.platform import TORCH_CAPABILITY_NAMES, best_cpu_isa, current_cpu_capability

    here = torch.backends.cpu.get_cpu_capability()
    for variable in ("ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS"):
        monkeypatch.delenv(variable, raising=False)
    name = TORCH_CAPABILITY_NAMES.get(here, here.lower())  # the registry `cpu_capabilities` name
    assert current_cpu_capability(torch) == (name if best_cpu_isa() in (None, here) else None)
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "SSE41")
    assert current_cpu_capability(torch) is None


def test_version_release_numbers():
    assert release("2.13.0+cpu") == "2.13.0" and release("0.43.0.dev0") == "0.43.0" and release("5.23") == "5.23.0"
    assert release(torch.__version__) and release(diffusers.__version__) and release(transformers.__version__)


# ------------------------------------------------------------------ torch-free core, CLI
NO_TORCH = "import sys; [sys.modules.__setitem__(m, None) for m in ('torch', 'diffusers', 'transformers', 'numpy')]; "


def _python(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT)


def test_core_commands_and_platform_check_work_without_torch(tmp_path):
    aigif = tmp_path / "a.aigif"
    aigif.write_bytes(encode(record("sd1", device=1, gpu=2)))
    code = NO_TORCH + (
        "from aigif_ref.cli import main; from aigif_ref.regen.platform import compare, PlatformInfo; "
        "from aigif_ref.api import decode; from aigif_ref.registry import default_registry; "
        "rec = decode(open(sys.argv[1], 'rb').read()); "
        "print(compare(rec, PlatformInfo(0, 0, 0, {}), default_registry()).level); "
        "sys.exit(main(['validate', sys.argv[1]]) or main(['inspect', '--json', sys.argv[1]]))")
    done = _python(code, str(aigif))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "approximate" and "valid" in done.stdout


def test_render_without_torch_says_how_to_install(tmp_path):
    aigif = tmp_path / "a.aigif"
    aigif.write_bytes(encode(record("sd1")))
    done = _python(NO_TORCH + "from aigif_ref.cli import main; sys.exit(main(sys.argv[1:]))", "render", str(aigif), "-o", str(tmp_path / "a.png"))
    assert done.returncode == 1
    assert "error: AIGIF_E_DEPENDENCY" in done.stderr and 'pip install "aigif[render]"' in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "a.png").exists()


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aigif_ref", "render", *args], capture_output=True, text=True, cwd=ROOT)


def _png_pixels(path: Path) -> np.ndarray:
    with Image.open(io.BytesIO(path.read_bytes())) as image:
        assert image.mode == "RGB"
        return np.asarray(image)


def test_cli_renders_one_file(renderer, tmp_path):
    rec = record("sdxl", platform=dict(HERE))
    (tmp_path / "cat.aigif").write_bytes(encode(rec))
    done = _cli(str(tmp_path / "cat.aigif"), "-o", str(tmp_path / "out.png"), "--device", "cpu", "--save-array", str(tmp_path / "out.npy"))
    assert done.returncode == 0, done.stderr
    assert "fidelity: approximate" in done.stdout and "instruction set" in done.stdout and "model 491 aigif-tiny-sdxl" in done.stdout
    result = renderer.render(rec)
    assert np.array_equal(_png_pixels(tmp_path / "out.png"), result.rgb)
    assert np.array_equal(np.load(tmp_path / "out.npy", allow_pickle=False), result.array)


def test_cli_renders_many_files_into_a_folder(renderer, tmp_path):
    records = {"one": record("sd1", seed=1), "two": record("sdxl", seed=2), "three": record("sd1", seed=3, scheduler=2)}
    for name, rec in records.items():
        (tmp_path / f"{name}.aigif").write_bytes(encode(rec))
    done = _cli(*(str(tmp_path / f"{n}.aigif") for n in records), "-o", str(tmp_path / "out") + "/", "--device", "cpu")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["one.png", "three.png", "two.png"]
    for name, rec in records.items():
        assert np.array_equal(_png_pixels(tmp_path / "out" / f"{name}.png"), renderer.render(rec).rgb), name
    assert "rendered 3 of 3" in done.stdout


def test_cli_errors_are_codes_not_tracebacks(tmp_path, capsys, monkeypatch):
    good = tmp_path / "a.aigif"
    good.write_bytes(encode(record("sd1")))
    missing = tmp_path / "m.aigif"
    missing.write_bytes(encode(record("sd1", model_id=0)))
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    cases = [
        ((str(good), "-o", str(tmp_path / "file" / "a.png")), "AIGIF_E_IO"),  # the output folder is a file
        ((str(good), "-o", str(tmp_path / "a.jpg")), "AIGIF_E_IO"),
        ((str(missing), "-o", str(tmp_path / "m.png")), "AIGIF_E_MODEL_MISSING"),
        ((str(tmp_path / "nope.aigif"), "-o", str(tmp_path / "n.png")), "AIGIF_E_IO"),
        ((str(good), "-o", str(tmp_path / "c.png"), "--device", "cuda"), "AIGIF_E_PLATFORM"),
    ]
    for args, code in cases:
        assert main(["render", *args]) == 1, args
        assert f"error: {code}" in capsys.readouterr().err, args
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.aigif", "file", "m.aigif"]  # nothing half-written


def test_cli_many_files_go_on_after_a_failure(tmp_path, capsys):
    (tmp_path / "good.aigif").write_bytes(encode(record("sd1")))
    (tmp_path / "bad.aigif").write_bytes(b"\x89AIG not really")
    status = main(["render", str(tmp_path / "bad.aigif"), str(tmp_path / "good.aigif"), "-o", str(tmp_path / "out"), "--device", "cpu"])
    assert status == 1 and "error: " in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["good.png"]


# ------------------------------------------------------------------ --verify and the pixel fallback
def _with_extensions(rec: dict, rgb: np.ndarray, pixels: bool = False, digest_of: np.ndarray | None = None) -> bytes:
    from aigif_ref.codecs.pixels import encode_pixels
    from aigif_ref.pixel_digest import compute_digest

    extensions = ([encode_pixels(rgb, "png")] if pixels else []) + ([compute_digest(digest_of)] if digest_of is not None else [])
    return encode(dict(rec, extensions=extensions))


def test_cli_verify_reports_bit_exact_close_and_mismatch(renderer, tmp_path, capsys):
    rec = record("sd1")
    rgb = renderer.render(rec).rgb
    nudged = rgb.copy()
    nudged[0, 0, 0] ^= 1  # one value off by one: not bit-exact, but the luma signature agrees
    other = renderer.render(record("sd1", seed=777)).rgb
    for label, digest_of, status, words in [("exact", rgb, 0, "bit-exact"), ("close", nudged, 0, "close: not bit-exact; the 8x8 luma signature is identical"),
                                            ("other", other, 1, "mismatch")]:
        (tmp_path / f"{label}.aigif").write_bytes(_with_extensions(rec, rgb, digest_of=digest_of))
        assert main(["render", str(tmp_path / f"{label}.aigif"), "-o", str(tmp_path / f"{label}.png"), "--device", "cpu", "--verify"]) == status
        assert f"verify: {words}" in capsys.readouterr().out, label
        assert np.array_equal(_png_pixels(tmp_path / f"{label}.png"), rgb)  # the render is written either way


def test_cli_uses_embedded_pixels_when_asked_or_when_the_model_is_missing(tmp_path, capsys):
    pixels = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    (tmp_path / "asked.aigif").write_bytes(_with_extensions(record("sd1"), pixels, pixels=True, digest_of=pixels))
    (tmp_path / "missing.aigif").write_bytes(_with_extensions(record("sd1", model_id=0), pixels, pixels=True))
    assert main(["render", str(tmp_path / "asked.aigif"), "-o", str(tmp_path / "asked.png"), "--prefer-pixels", "--verify"]) == 0
    out = capsys.readouterr().out
    assert "took the embedded pixels (--prefer-pixels)" in out and "verify: bit-exact" in out and "fidelity" not in out
    assert main(["render", str(tmp_path / "missing.aigif"), "-o", str(tmp_path / "missing.png"), "--device", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "cannot regenerate (AIGIF_E_MODEL" in out and "took the embedded pixels" in out
    for name in ("asked", "missing"):
        assert np.array_equal(_png_pixels(tmp_path / f"{name}.png"), pixels)


def test_a_file_asking_for_more_pixels_than_the_limit_is_refused_before_loading(tmp_path):
    data = encode(record("sd1", height=4096, width=4096))
    path = tmp_path / "huge.aigif"
    path.write_bytes(data)
    assert main(["render", str(path), "-o", str(tmp_path / "huge.png"), "--device", "cpu"]) == 1
    with pytest.raises(AigifError) as error:
        Renderer("cpu", max_pixels=64 * 64).render(record("sd1", height=72, width=64))
    assert error.value.code == "AIGIF_E_DECODER_LIMIT" and "--max-pixels" in error.value.message
    assert not (tmp_path / "huge.png").exists()
