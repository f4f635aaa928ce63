"""`aigif import` of ComfyUI, InvokeAI, Fooocus, NovelAI, SwarmUI and Draw Things images (fixtures: tests/import_fixtures.py).

Each test writes a PNG whose metadata is shaped as the tool writes it, imports it, and checks the record
field by field against the values the fixture was built from, the settings reported as not represented,
the verbatim source metadata and the original pixels.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from aigif_ref.api import decode, read_bytes
from aigif_ref.codecs.pixels import decode_pixels
from aigif_ref.importers import files, samplers, tools
from aigif_ref.record import find_extension
from aigif_ref.registry import default_registry
from tests import import_fixtures as fx

pytest.importorskip("PIL.Image")

REGISTRY = default_registry()


def scheduler_name(record):
    return REGISTRY.enum_name("schedulers", record["scheduler"])


def imported(tmp_path: Path, texts: dict[str, str], size=(64, 48), overlay=None, itxt=()):
    """(record, report row) of importing one PNG carrying ``texts``."""
    rgb = fx.pixels(size[1], size[0])
    source = fx.write_png(tmp_path / "in.png", texts, rgb, itxt)
    result = files.import_file(source, tmp_path / "out.aigif", REGISTRY, overlay or [])
    assert result["status"] == "ok", result
    record = decode(read_bytes(tmp_path / "out.aigif"))
    assert np.array_equal(decode_pixels(record), rgb)  # the original pixels, losslessly
    kept = find_extension(record, 9)
    assert {e["key"]: e["text"] for e in kept["entries"]} == texts  # every metadata item, verbatim
    assert kept["unmapped"] == "\n".join(result["unmapped"])
    return record, result


def test_every_tool_is_declared_once_and_detected_by_its_own_importer():
    builders = {"ComfyUI": fx.comfyui_texts(fx.comfyui_graph()), "InvokeAI": fx.invokeai_texts(),
                "Fooocus": fx.fooocus_texts(), "NovelAI": fx.novelai_texts(), "SwarmUI": fx.swarmui_texts(),
                "Draw Things": fx.drawthings_texts(), "A1111": {"parameters": "a\nSteps: 2, Seed: 1, Size: 8x8"}}
    assert [t.name for t in tools.TOOLS] == list(dict.fromkeys(t.name for t in tools.TOOLS))
    assert set(builders) == {t.name for t in tools.TOOLS}
    for name, texts in builders.items():
        assert tools.pick(texts).name == name


def test_comfyui_default_graph_with_loras_clip_skip_and_hires_fix(tmp_path):
    lora = tmp_path / "detail.safetensors"
    lora.write_bytes((Path(__file__).parents[1] / "vectors" / "adapters" / "lora-tiny.safetensors").read_bytes())
    overlay = [{"kind": "lora", "name": "detail", "sha256": hashlib.sha256(lora.read_bytes()).hexdigest(), "path": str(lora)}]
    graph = fx.comfyui_graph(positive="a (red:1.2) fox", negative="blurry", seed=2**64 - 1, steps=24, cfg=6.5,
                             sampler="dpmpp_2m", scheduler="karras", width=32, height=24,
                             loras=(("detail.safetensors", 0.8, 0.6), ("missing.safetensors", 1.0, 1.0)), clip_layer=-2,
                             hires=(2.0, 10, 0.5))
    texts = fx.comfyui_texts(graph)
    record, result = imported(tmp_path, texts, overlay=overlay)
    assert result["tool"] == "ComfyUI"
    assert (record["prompt"], record["negative_prompt"]) == ("a (red:1.2) fox", "blurry")
    assert (record["seed"], record["steps"], record["guidance_scale"]) == (2**64 - 1, 24, 6.5)
    assert scheduler_name(record) == "DPM++ 2M Karras" and record["scheduler_config"] == {}
    assert record["params"]["clip_skip"] == 1  # stop_at_clip_layer -2
    assert REGISTRY.enum_name("generator_devices", record["platform"]["generator_device"]) == "cpu"
    assert (record["width"], record["height"]) == (64, 48)
    stages = find_extension(record, 6)
    assert (stages["base_width"], stages["base_height"]) == (32, 24)
    stage = stages["stages"][0]
    # ComfyUI runs 10 steps of a 10 / 0.5 = 20-step schedule: the stage's steps are the steps run (stages.py), 10
    assert (stage["width"], stage["height"], stage["steps"], stage["denoising_strength"]) == (64, 48, 10, 0.5)
    assert REGISTRY.enum_name("upscalers", stage["upscaler"]) == "Latent (nearest-exact)"
    adapters = find_extension(record, 5)["adapters"]
    assert [(a["name"], a["unet_scale"], a["text_encoder_scale"]) for a in adapters] == [("detail", 0.8, 0.6)]
    assert adapters[0]["digest"] == overlay[0]["sha256"]
    assert REGISTRY.enum_name("prompt_dialects", find_extension(record, 7)["dialect"]) == "ComfyUI"
    assert any("missing.safetensors" in line for line in result["unmapped"])
    assert any("v1-5-pruned-emaonly" in line for line in result["unmapped"])  # a checkpoint known by name only
    assert len(result["unmapped"]) == 2


def test_comfyui_checkpoint_named_like_a_registry_model_and_advanced_sampler(tmp_path):
    graph = fx.comfyui_graph(ckpt="aigif-shapes.safetensors", positive=fx.SHAPES_PROMPT, negative="", width=64, height=48)
    graph["3"]["class_type"] = "KSamplerAdvanced"
    inputs = graph["3"]["inputs"]
    inputs["noise_seed"] = inputs.pop("seed")
    inputs.update(add_noise="enable", start_at_step=0, end_at_step=10000, return_with_leftover_noise="disable")
    record, result = imported(tmp_path, fx.comfyui_texts(graph))
    assert REGISTRY.models[record["model_id"]]["name"] == "aigif-shapes"
    assert result["unmapped"] == [] and find_extension(record, 7) is None  # plain short prompts: no dialect
    inputs["start_at_step"] = 12
    _, partial = imported(tmp_path, fx.comfyui_texts(graph))
    assert any("partial schedule" in line for line in partial["unmapped"])


def test_comfyui_sd_parsers_graphs_report_what_they_cannot_represent(tmp_path):
    real = fx.sd_parsers_texts()
    _, img2img = imported(tmp_path, real["ComfyUI/img2img_cropped.png"])
    assert any("VAEEncode" in line and "image-to-image" in line for line in img2img["unmapped"])
    record, unclip = imported(tmp_path, real["ComfyUI/unclip_2pass_cropped.png"])
    assert any("uni_pc_bh2" in line for line in unclip["unmapped"])
    assert any("unCLIPConditioning" in line for line in unclip["unmapped"])
    assert record["seed"] == 1106257833005336 and record["steps"] == 26


def test_invokeai_current_metadata(tmp_path):
    texts = fx.invokeai_texts(prompt="a (lighthouse)1.2 on a cliff", negative="blurry", seed=2315457185, steps=30, cfg=7.5,
                              scheduler="dpmpp_2m_sde_k", clip_skip=1, width=64, height=48,
                              loras=(("add_detail", 0.6),), extra={"cfg_rescale_multiplier": 0.7, "seamless_x": True})
    record, result = imported(tmp_path, texts)
    assert result["tool"] == "InvokeAI"
    assert (record["prompt"], record["negative_prompt"], record["seed"], record["steps"]) == ("a (lighthouse)1.2 on a cliff", "blurry", 2315457185, 30)
    assert scheduler_name(record) == "DPM++ 2M SDE" and record["scheduler_config"] == {"use_karras_sigmas": True}
    assert record["params"] == {"clip_skip": 1, "guidance_rescale": 0.7}
    assert REGISTRY.enum_name("prompt_dialects", find_extension(record, 7)["dialect"]) == "compel"
    assert find_extension(record, 8) == {**find_extension(record, 8), "name": "InvokeAI", "version": "5.4.2"}
    assert any(line.startswith("seamless_x") for line in result["unmapped"])
    assert any("add_detail" in line for line in result["unmapped"])
    for scheduler, (name, config) in samplers.INVOKEAI.items():  # InvokeAI's diffusers map, applied exactly
        record, _ = imported(tmp_path, fx.invokeai_texts(scheduler=scheduler, width=64, height=48))
        expected = samplers.scheduler_fields((name, config), {}, REGISTRY)
        assert (scheduler_name(record), record["scheduler_config"]) == expected, scheduler


def test_invokeai_legacy_sd_metadata_and_dream(tmp_path):
    texts = fx.invokeai_legacy_texts(width=64, height=48, postprocessing=[{"type": "esrgan", "scale": 2, "strength": 0.8}])
    record, result = imported(tmp_path, texts)
    assert (record["prompt"], record["negative_prompt"]) == ("a red barn in the snow", "people, text")
    assert scheduler_name(record) == "LMS" and record["seed"] == 3532181913
    model = find_extension(record, 4)
    assert (REGISTRY.enum_name("hash_algorithms", model["hash_algorithm"]), model["digest"]) == \
        ("sha256", "cc6cb27103417325ff94f52b7a5d2dde45a7515b25c255d8e396c90014281516")
    assert any("esrgan" in line for line in result["unmapped"])
    dream_only = {"Dream": texts["Dream"]}
    record, result = imported(tmp_path, dream_only)
    assert (record["prompt"], record["negative_prompt"], record["steps"], record["guidance_scale"]) == \
        ("a red barn in the snow", "people, text", 50, 7.5)
    real = fx.sd_parsers_texts()["InvokeAI/invokeai_dream1.png"]
    record, result = imported(tmp_path, real)
    assert (record["seed"], record["steps"], record["guidance_scale"]) == (2980747362, 50, 5.0)
    assert any("gfpgan" in line for line in result["unmapped"]) and any("codeformer" in line for line in result["unmapped"])


def test_fooocus(tmp_path):
    texts = fx.fooocus_texts(prompt="a cozy cabin", seed=6952411511246973023, steps=30, cfg=4.0, width=64, height=48,
                             loras=(("sd_xl_offset_example-lora_1.0", 0.1, "4852686128"),))
    record, result = imported(tmp_path, texts)
    assert result["tool"] == "Fooocus"
    assert (record["prompt"], record["seed"], record["steps"], record["guidance_scale"]) == ("a cozy cabin", 6952411511246973023, 30, 4.0)
    assert scheduler_name(record) == "DPM++ 2M SDE" and record["scheduler_config"] == {"use_karras_sigmas": True}
    model = find_extension(record, 4)
    assert (REGISTRY.enum_name("hash_algorithms", model["hash_algorithm"]), model["digest"]) == ("AutoV2", "aeb7e9e689")
    assert any("full prompts" in line for line in result["unmapped"])
    assert any("sampling patches" in line for line in result["unmapped"])
    assert any("sd_xl_offset_example-lora_1.0" in line for line in result["unmapped"])
    assert find_extension(record, 8)["version"] == "2.5.5"
    real = fx.sd_parsers_texts()["Fooocus/fooocus1_cropped.png"]
    record, _ = imported(tmp_path, real)  # 768x1280 settings on a 64x48 image: reported, the image's size kept
    assert record["params"]["clip_skip"] == 1 and record["seed"] == 6952411511246973023


def test_novelai_including_its_hidden_alpha_metadata(tmp_path):
    texts = fx.novelai_texts(prompt="1girl, {best quality}", negative="lowres", seed=1634372510, steps=28, scale=5.0,
                             schedule="karras", width=64, height=48, sm=True)
    record, result = imported(tmp_path, texts)
    assert result["tool"] == "NovelAI"
    assert (record["prompt"], record["negative_prompt"], record["seed"], record["steps"], record["guidance_scale"]) == \
        ("1girl, {best quality}", "lowres", 1634372510, 28, 5.0)
    # diffusers' Euler a takes no Karras sigmas (registry sigma_schedules): dropped from the record and reported
    assert scheduler_name(record) == "Euler a" and record["scheduler_config"] == {}
    assert any("karras sigmas on Euler a" in line for line in result["unmapped"])
    assert any(line.startswith("sm:") for line in result["unmapped"])
    assert any("emphasis" in line for line in result["unmapped"])
    assert any("not public" in line for line in result["unmapped"])
    # NovelAI also hides its chunks, as gzip JSON, in the alpha channel's low bits: an image without text chunks
    from aigif_ref.importers.stealth import write_alpha

    rgba = np.concatenate([fx.pixels(128, 128), np.full((128, 128, 1), 255, np.uint8)], axis=2)
    hidden = write_alpha(rgba, json.dumps(texts))
    from PIL import Image

    Image.fromarray(hidden, "RGBA").save(tmp_path / "stealth.png")
    result = files.import_file(tmp_path / "stealth.png", tmp_path / "stealth.aigif", REGISTRY, [])
    assert result["status"] == "ok" and result["tool"] == "NovelAI", result
    assert decode(read_bytes(tmp_path / "stealth.aigif"))["seed"] == 1634372510


def test_a1111_stealth_pnginfo_from_sd_parsers(tmp_path):
    source = fx.SD_PARSERS_DIR / "automatic1111_stealth.png"
    result = files.import_file(source, tmp_path / "s.aigif", REGISTRY, [])
    assert result["status"] == "ok" and result["tool"] == "A1111", result
    record = decode(read_bytes(tmp_path / "s.aigif"))
    assert (record["prompt"], record["negative_prompt"], record["seed"], record["steps"]) == ("a circle", "a square", 2015833630, 20)
    assert find_extension(record, 9)["entries"][0]["key"] == "stealth"


def test_swarmui(tmp_path):
    texts = fx.swarmui_texts(prompt="a corgi <lora:fluffy>", negative="blurry", model="aigif-shapes", seed=1139221071, steps=20,
                             cfg=7.0, sampler="dpmpp_2m", scheduler="karras", width=64, height=48, clip_layer=-2,
                             loras=(("fluffy", "0.8"),), extra={"variationseed": 7, "variationseedstrength": 0.3})
    record, result = imported(tmp_path, texts)
    assert result["tool"] == "SwarmUI"
    assert (record["prompt"], record["negative_prompt"], record["seed"]) == ("a corgi <lora:fluffy>", "blurry", 1139221071)
    assert REGISTRY.models[record["model_id"]]["name"] == "aigif-shapes"
    assert scheduler_name(record) == "DPM++ 2M Karras" and record["params"]["clip_skip"] == 1
    assert any(line.startswith("variationseed:") for line in result["unmapped"])
    assert any("lora fluffy (weight 0.8)" in line for line in result["unmapped"])
    assert find_extension(record, 8)["version"] == "0.9.5.2"


def test_draw_things(tmp_path):
    texts = fx.drawthings_texts(prompt="a fox & a <hare>", negative="blurry", seed=3049812637, steps=20, scale=4.5,
                                sampler="DPM++ 2M Karras", width=64, height=48, clip_skip=2, loras=(("watercolor_lora_f16.ckpt", 0.6),))
    record, result = imported(tmp_path, texts, itxt=("XML:com.adobe.xmp",))
    assert result["tool"] == "Draw Things"
    assert (record["prompt"], record["negative_prompt"], record["seed"], record["steps"], record["guidance_scale"]) == \
        ("a fox & a <hare>", "blurry", 3049812637, 20, 4.5)
    assert scheduler_name(record) == "DPM++ 2M Karras" and record["params"]["clip_skip"] == 1
    assert REGISTRY.enum_name("generator_devices", record["platform"]["generator_device"]) == "cpu"
    assert any("watercolor_lora_f16" in line for line in result["unmapped"])
    _, own_noise = imported(tmp_path, fx.drawthings_texts(width=64, height=48, seed_mode="Scale Alike"))
    assert any("seed_mode Scale Alike" in line for line in own_noise["unmapped"])


@pytest.mark.parametrize("number", range(len(samplers.DRAW_THINGS_SAMPLER_TYPES)))
def test_draw_things_v2_sampler_numbers_map_to_registry_schedulers_or_are_reported(number):
    from aigif_ref.importers import drawthings

    name = samplers.DRAW_THINGS_SAMPLER_TYPES[number]
    texts = fx.drawthings_texts(sampler=None, v2_sampler=number, width=64, height=48)
    imported_ = drawthings.to_record(texts, REGISTRY, [], (64, 48))
    record, unmapped = imported_.record, imported_.unmapped
    if name in samplers.DRAW_THINGS:
        expected = samplers.scheduler_fields(samplers.DRAW_THINGS[name], {}, REGISTRY)
        assert (record["scheduler"], record["scheduler_config"]) == expected
        assert not any("sampler" in line for line in unmapped)
    else:
        assert any(line.startswith(f"Draw Things sampler {name}:") for line in unmapped)
    # the same sampler by display name (the top-level key) reads alike
    by_name = drawthings.to_record(fx.drawthings_texts(sampler=name, width=64, height=48), REGISTRY, [], (64, 48)).record
    assert (by_name["scheduler"], by_name["scheduler_config"]) == (record["scheduler"], record["scheduler_config"])


def test_draw_things_sampler_number_outside_the_enum_is_refused_with_a_code():
    from aigif_ref.errors import AigifError
    from aigif_ref.importers import drawthings

    texts = fx.drawthings_texts(sampler=None, v2_sampler=len(samplers.DRAW_THINGS_SAMPLER_TYPES))
    with pytest.raises(AigifError) as err:
        drawthings.to_record(texts, REGISTRY, [], (64, 48))
    assert err.value.code == "AIGIF_E_IMPORT" and "SamplerType" in err.value.message


def comfy_stage(**graph_args):
    from aigif_ref.importers import comfyui

    imported_ = comfyui.to_record(fx.comfyui_texts(fx.comfyui_graph(width=32, height=24, **graph_args)), REGISTRY, [], (64, 48))
    stages = next(e for e in imported_.record["extensions"] if e["type"] == 6)
    return imported_.record, stages, imported_.unmapped


def test_comfyui_pixel_space_hires_with_lanczos_is_the_lanczos_stage():
    record, stages, unmapped = comfy_stage(pixel_hires=("lanczos", 2.0, 12, 0.55))
    assert (stages["base_width"], stages["base_height"], record["width"], record["height"]) == (32, 24, 64, 48)
    stage = stages["stages"][0]
    assert (stage["upscaler"], stage["steps"], stage["denoising_strength"], stage["width"], stage["height"]) == \
        ("Lanczos", 12, 0.55, 64, 48)
    assert [line for line in unmapped if not line.startswith("checkpoint ")] == []  # the fixture's checkpoint is no registry model
    assert record["steps"] == 20  # the first pass: the fixture's default


@pytest.mark.parametrize("graph_args,why", [
    ({"pixel_hires": ("bicubic", 2.0, 12, 0.55)}, "bicubic resize of float pixels"),
    ({"pixel_hires": ("lanczos", 1.3, 12, 0.55)}, "that the Lanczos stage would reach in several steps"),
    ({"pixel_hires": ("lanczos", 0.5, 12, 0.55), "upscale_model": "4x-UltraSharp.pth"}, "upscaling network 4x-UltraSharp.pth"),
])
def test_comfyui_pixel_space_hires_without_stage_semantics_is_reported(graph_args, why):
    record, stages, unmapped = comfy_stage(**graph_args)
    assert stages["stages"][0]["upscaler"] == "Lanczos"
    assert any(why in line and "not exact" in line for line in unmapped), unmapped


def test_comfyui_second_pass_with_the_first_pass_schedule_needs_no_report():
    # the stage runs with the record's scheduler_config group (stages.py): the same Karras schedule is represented
    record, stages, unmapped = comfy_stage(sampler="euler", scheduler="karras", pixel_hires=("lanczos", 2.0, 12, 0.55))
    assert record["scheduler_config"] == {"use_karras_sigmas": True}
    assert not any("scheduler config" in line for line in unmapped), unmapped


def test_comfyui_image_to_image_from_a_loaded_image_is_not_a_stage():
    from aigif_ref.importers import comfyui

    graph = fx.comfyui_graph(width=32, height=24)
    graph["40"] = {"inputs": {"image": "photo.png"}, "class_type": "LoadImage"}
    graph["41"] = {"inputs": {"pixels": ["40", 0], "vae": ["4", 2]}, "class_type": "VAEEncode"}
    graph["3"]["inputs"]["latent_image"] = ["41", 0]
    imported_ = comfyui.to_record(fx.comfyui_texts(graph), REGISTRY, [], (64, 48))
    assert not any(e["type"] == 6 for e in imported_.record["extensions"])
    assert any("not an empty one" in line for line in imported_.unmapped)


def test_the_a1111_jpeg_and_png_of_sd_parsers(tmp_path):
    real = fx.sd_parsers_texts()
    for name in ("AUTOMATIC1111/automatic1111_cropped.png", "AUTOMATIC1111/automatic1111_cropped.jpg"):
        record, result = imported(tmp_path, real[name])
        assert (record["prompt"], record["negative_prompt"], record["seed"]) == ("photo of a duck", "monochrome", 235284042)
        assert scheduler_name(record) == "UniPC"


def test_fooocus_and_swarmui_jpegs_carry_their_json_in_exif(tmp_path):
    from PIL import Image

    rgb = fx.pixels(48, 64)
    texts = fx.fooocus_texts(prompt="a jpeg cabin", width=64, height=48)
    exif = Image.Exif()  # as Fooocus writes it (modules/meta_parser.py get_exif): IFD0 tags
    exif[0x9286] = texts["parameters"]
    exif[0x0131] = "Fooocus v2.5.5"
    exif[0x927C] = "fooocus"
    Image.fromarray(rgb).save(tmp_path / "f.jpg", quality=95, optimize=True, progressive=True, exif=exif)
    result = files.import_file(tmp_path / "f.jpg", tmp_path / "f.aigif", REGISTRY, [])
    assert result["status"] == "ok" and result["tool"] == "Fooocus", result
    assert decode(read_bytes(tmp_path / "f.aigif"))["prompt"] == "a jpeg cabin"
    swarm = Image.Exif()
    swarm.get_ifd(0x8769)[0x9286] = b"UNICODE\0" + fx.swarmui_texts(width=64, height=48, seed=99)["parameters"].encode("utf-16-be")
    Image.fromarray(rgb).save(tmp_path / "s.jpg", quality=95, exif=swarm)
    result = files.import_file(tmp_path / "s.jpg", tmp_path / "s.aigif", REGISTRY, [])
    assert result["status"] == "ok" and result["tool"] == "SwarmUI", result
    assert decode(read_bytes(tmp_path / "s.aigif"))["seed"] == 99


def test_comfyui_sdxl_text_encoder_and_its_size_conditioning(tmp_path):
    graph = fx.comfyui_graph(ckpt="sd_xl_base_1.0.safetensors", positive="a lake", negative="fog", width=64, height=48)
    for node, text in (("6", "a lake"), ("7", "fog")):  # ComfyUI's SDXL encoder, its default 1024x1024 sizes left as they are
        graph[node] = {"inputs": {"width": 1024, "height": 1024, "crop_w": 0, "crop_h": 0, "target_width": 1024,
                                  "target_height": 1024, "text_g": text, "text_l": text, "clip": ["4", 1]},
                       "class_type": "CLIPTextEncodeSDXL"}
    overlay = [{"kind": "checkpoint", "name": "sd_xl_base_1.0", "family": "sdxl", "sha256": "ab" * 32, "path": "/m/x.safetensors"}]
    record, result = imported(tmp_path, fx.comfyui_texts(graph), overlay=overlay)
    assert (record["prompt"], record["negative_prompt"]) == ("a lake", "fog") and result["unmapped"] == []
    assert REGISTRY.models[record["model_id"]]["family"] == "sdxl"
    assert record["params"] == {"original_size": [1024, 1024], "target_size": [1024, 1024]}  # not the 64x48 default
    graph["6"]["inputs"]["text_l"] = "a mountain lake"
    _, second_prompt = imported(tmp_path, fx.comfyui_texts(graph), overlay=overlay)
    assert any("text_l" in line for line in second_prompt["unmapped"])


def test_coverage_counts_represented_and_reported_settings():
    from aigif_ref.importers.coverage import CORE, STAGE_SETTINGS, represented_settings, summarize

    record = {"negative_prompt": "x", "scheduler_config": {"use_karras_sigmas": True}, "params": {"clip_skip": 1},
              "platform": {}, "extensions": [{"type": 5, "adapters": [{}, {}]}, {"type": 6, "stages": [{}]}, {"type": 8}]}
    assert represented_settings(record) == len(CORE) + 1 + 1 + 2 + 2 + STAGE_SETTINGS
    rows = [{"status": "ok", "tool": "T", "unmapped": ["a"] * u, "represented": 9, "source_bytes": 100, "bytes": b}
            for u, b in ((0, 50), (1, 60), (3, 90))] + [{"status": "error", "tool": "T"}]
    summary = summarize(rows)
    assert list(summary) == ["T", "all"]
    assert summary["T"]["files"] == 3 and summary["T"]["lossless_files"] == 1
    assert summary["T"]["settings_coverage"] == 27 / 31 and summary["T"]["median_size_ratio"] == 0.6
