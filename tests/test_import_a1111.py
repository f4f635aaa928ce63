"""`aigif import` of AUTOMATIC1111/Forge images and `aigif export --a1111`.

Fixtures are written here in A1111's documented infotext format (PNG `parameters` text chunk, JPEG EXIF
UserComment as A1111 writes it: b"UNICODE\\0" + UTF-16-BE); they are this project's own (its licence).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from aigif_ref.api import decode, read_bytes
from aigif_ref.codecs.pixels import decode_pixels
from aigif_ref.record import find_extension
from aigif_ref.registry import default_registry

Image = pytest.importorskip("PIL.Image")
PngInfo = pytest.importorskip("PIL.PngImagePlugin").PngInfo

INFOTEXT = ("masterpiece, (red fox:1.2), [forest], <lora:detail:0.8>\n"
            "Negative prompt: worst quality, blurry\n"
            "Steps: 24, Sampler: DPM++ 2M SDE Karras, CFG scale: 6.5, Seed: 3141592653, Size: 32x24, "
            "Model hash: 6ce0161689, Model: dreamshaper_8, Denoising strength: 0.45, Clip skip: 2, "
            "Hires upscale: 2, Hires steps: 12, Hires upscaler: Latent, ENSD: 31337, "
            'Lora hashes: "detail: 0123456789ab", Version: v1.10.1')


def pixels(height: int, width: int) -> np.ndarray:
    return (np.arange(height * width * 3, dtype=np.uint32) * 37 % 251).astype(np.uint8).reshape(height, width, 3)


def write_png(path: Path, text: str, rgb: np.ndarray) -> None:
    info = PngInfo()
    info.add_text("parameters", text)
    Image.fromarray(rgb).save(path, pnginfo=info)


def write_jpeg(path: Path, text: str, rgb: np.ndarray) -> None:
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\0" + text.encode("utf-16-be")
    Image.fromarray(rgb).save(path, quality=95, exif=exif)


def run(*args: str, home: Path) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, "AIGIF_HOME": str(home), "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return subprocess.run([sys.executable, "-m", "aigif_ref", *args], capture_output=True, text=True, env=env)


def test_a1111_png_and_jpeg_folder_import(tmp_path):
    source = tmp_path / "in" / "sub"
    source.mkdir(parents=True)
    rgb = pixels(48, 64)
    write_png(source / "fox.png", INFOTEXT, rgb)
    write_jpeg(source / "fox-jpeg.jpg", INFOTEXT.replace("Seed: 3141592653", "Seed: 5"), rgb)
    (source / "plain.png").write_bytes((source / "fox.png").read_bytes()[:8])  # not an image: reported, the rest goes on
    result = run("import", str(tmp_path / "in"), "-o", str(tmp_path / "out"), home=tmp_path / "home")
    assert result.returncode == 1, result.stderr  # one file failed
    report = json.loads((tmp_path / "out" / "import-report.json").read_text())
    status = {Path(r["source"]).name: r for r in report}
    assert status["plain.png"]["status"] == "error" and status["plain.png"]["error_code"] == "AIGIF_E_IO"
    registry = default_registry()
    record = decode(read_bytes(tmp_path / "out" / "sub" / "fox.aigif"))  # the input folder's layout, mirrored
    assert record["prompt"] == "masterpiece, (red fox:1.2), [forest], <lora:detail:0.8>"
    assert record["negative_prompt"] == "worst quality, blurry"
    assert (record["seed"], record["steps"], record["guidance_scale"]) == (3141592653, 24, 6.5)
    assert (record["width"], record["height"]) == (64, 48)  # Size 32x24, hires upscale 2
    assert record["params"]["clip_skip"] == 1  # A1111's Clip skip 2
    assert registry.enum_name("schedulers", record["scheduler"]) == "DPM++ 2M SDE"
    assert record["scheduler_config"]["use_karras_sigmas"] is True
    stages = find_extension(record, 6)
    assert (stages["base_width"], stages["base_height"], stages["stages"][0]["steps"]) == (32, 24, 12)
    assert stages["stages"][0]["denoising_strength"] == pytest.approx(0.45)
    model = find_extension(record, 4)
    assert (registry.enum_name("hash_algorithms", model["hash_algorithm"]), model["digest"]) == ("AutoV2", "6ce0161689")
    assert registry.enum_name("prompt_dialects", find_extension(record, 7)["dialect"]) == "A1111"
    assert find_extension(record, 8)["version"] == "v1.10.1"
    kept = find_extension(record, 9)
    assert kept["entries"] == [{"key": "parameters", "text": INFOTEXT}]
    assert "ENSD: 31337" in kept["unmapped"] and "LoRA detail" in kept["unmapped"]
    assert np.array_equal(decode_pixels(record), rgb)  # the original pixels, losslessly
    assert find_extension(record, 3) is not None
    jpeg = decode(read_bytes(tmp_path / "out" / "sub" / "fox-jpeg.aigif"))
    assert jpeg["seed"] == 5
    with Image.open(source / "fox-jpeg.jpg") as image:
        assert np.array_equal(decode_pixels(jpeg), np.asarray(image.convert("RGB")))  # the decoded JPEG, kept exactly
    exported = run("export", "--a1111", str(tmp_path / "out" / "sub" / "fox.aigif"), home=tmp_path / "home")
    assert exported.stdout.rstrip("\n") == INFOTEXT


def test_lora_in_the_overlay_is_recorded_by_hash(tmp_path):
    adapters = Path(__file__).resolve().parents[1] / "vectors" / "adapters"
    lora = tmp_path / "detail.safetensors"
    lora.write_bytes((adapters / "lora-tiny.safetensors").read_bytes())
    added = run("models", "add", str(lora), home=tmp_path / "home")
    assert added.returncode == 0, added.stderr
    write_png(tmp_path / "a.png", INFOTEXT, pixels(48, 64))
    assert run("import", str(tmp_path / "a.png"), "-o", str(tmp_path / "out"), home=tmp_path / "home").returncode == 0
    record = decode(read_bytes(tmp_path / "out" / "a.aigif"))
    entry = find_extension(record, 5)["adapters"][0]
    import hashlib

    assert entry["digest"] == hashlib.sha256(lora.read_bytes()).hexdigest()
    assert (entry["unet_scale"], entry["text_encoder_scale"]) == (0.8, 0.8)


def test_records_in_a_dialect_the_renderer_lacks_are_refused_with_a_code(tmp_path):
    pytest.importorskip("diffusers")
    from aigif_ref.errors import AigifError
    from aigif_ref.regen.render import Renderer

    tiny = next(m for m in default_registry().models.values() if m["name"] == "aigif-tiny-sd15")
    record = {"model_id": tiny["id"], "prompt": "(fox:1.2)", "height": 64, "width": 64, "seed": 1, "steps": 2,
              "guidance_scale": 5.0, "extensions": [{"type": 7, "dialect": "ComfyUI"}]}
    with pytest.raises(AigifError) as err:
        Renderer("cpu").render(record)
    assert err.value.code == "AIGIF_E_PLATFORM" and "ComfyUI" in err.value.message  # A1111 renders (test_prompt_weighting)
