"""Hostile or broken inputs around the parser (issue 9, section 3): model folders, pixel payloads, bounds.

Each test is a class of defect the security review found; every failure must be a stable AIGIF_E_* code,
a multi-file render goes on after one, and memory stays bounded.
"""
from __future__ import annotations

import base64
import copy
import io
import json
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from aigif_ref.api import encode
from aigif_ref.cli import main
from aigif_ref.codecs.pixels import decode_pixels, encode_pixels
from aigif_ref.codecs.png import PNG_SIGNATURE
from aigif_ref.errors import AigifError
from aigif_ref.registry import REPO_ROOT, Registry
from tests.regen_support import record

pytestmark = pytest.mark.usefixtures("pinned_threads")  # fixtures in tests/conftest.py

SD15 = 490
TINY_SD15 = REPO_ROOT / "vectors" / "models" / "aigif-tiny-sd15"


@pytest.fixture(autouse=True)
def isolated_places(tmp_path, monkeypatch):
    monkeypatch.delenv("AIGIF_MODELS", raising=False)
    monkeypatch.delenv("HF_HOME", raising=False)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))


def pixels(height: int = 64, width: int = 64, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def aigif_with(rec: dict, *extensions: dict) -> bytes:
    return encode(dict(rec, extensions=list(extensions)))


def with_payload(ext: dict, data: bytes) -> dict:
    return dict(ext, data=base64.b64encode(data).decode("ascii"))


def png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header declares width x height (the decompression-bomb shape)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    idat = zlib.compress(bytes(64 * 1024), 9)
    return PNG_SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) + \
        chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def corrupt_jxl(rgb: np.ndarray) -> dict:
    ext = encode_pixels(rgb, "jxl")
    data = bytearray(base64.b64decode(ext["data"]))
    data[20:] = bytes(len(data) - 20)  # the size header survives, the image does not
    return with_payload(ext, bytes(data))


def code_of(call) -> str:
    with pytest.raises(AigifError) as info:
        call()
    return info.value.code


# ------------------------------------------------------------------ model folders: only pinned files are read
def test_a_tokenizer_json_beside_the_pinned_tokenizer_changes_nothing(tmp_path):
    """The review's attack: a tokenizer.json the registry does not pin swaps two token ids."""
    from transformers import CLIPTokenizer

    from aigif_ref.regen.render import Renderer

    folder = tmp_path / "models" / TINY_SD15.name
    shutil.copytree(TINY_SD15, folder)
    honest = CLIPTokenizer.from_pretrained(folder / "tokenizer")
    saved = tmp_path / "saved-tokenizer"
    honest.save_pretrained(saved)
    tokenizer = json.loads((saved / "tokenizer.json").read_text(encoding="utf-8"))
    vocab = tokenizer["model"]["vocab"]
    vocab["red</w>"], vocab["cat</w>"] = vocab["cat</w>"], vocab["red</w>"]
    (folder / "tokenizer" / "tokenizer.json").write_text(json.dumps(tokenizer), encoding="utf-8")
    tampered = CLIPTokenizer.from_pretrained(folder / "tokenizer")
    assert tampered("a red cat").input_ids != honest("a red cat").input_ids  # the attack works on a bare load

    rec = record("sd1")
    expected = Renderer("cpu").render(rec).array  # the embedded, untouched model
    rendered = Renderer("cpu", models_dir=tmp_path / "models").render(rec)
    assert rendered.model.path == folder and rendered.model.source == "models-dir"
    assert np.array_equal(rendered.array, expected)


def unpinned_registry(registry: Registry) -> Registry:
    data = copy.deepcopy(registry.data)
    next(m for m in data["models"] if m["id"] == SD15)["files"] = {}
    return Registry(data)


def test_a_malformed_safetensors_header_is_a_model_error_and_the_pixels_stand_in(registry, tmp_path, capsys):
    from aigif_ref.regen.render import Renderer

    folder = tmp_path / "models" / TINY_SD15.name
    shutil.copytree(TINY_SD15, folder)
    weights = folder / "text_encoder" / "model.safetensors"
    weights.write_bytes(struct.pack("<Q", 40) + b'{"not": "a safetensors header"' + weights.read_bytes()[48:])
    unpinned = unpinned_registry(registry)  # pinned, the hash check would catch it first
    renderer = Renderer("cpu", models_dir=tmp_path / "models", allow_unpinned=True, registry=unpinned)
    assert code_of(lambda: renderer.render(record("sd1"))) == "AIGIF_E_MODEL"

    (tmp_path / "registry.json").write_text(json.dumps(unpinned.data))
    rgb = pixels()
    (tmp_path / "cat.aigif").write_bytes(aigif_with(record("sd1"), encode_pixels(rgb, "png")))
    status = main(["--registry", str(tmp_path / "registry.json"), "render", str(tmp_path / "cat.aigif"), "-o",
                   str(tmp_path / "cat.png"), "--device", "cpu", "--models", str(tmp_path / "models"), "--allow-unpinned"])
    out = capsys.readouterr().out
    assert status == 0 and "cannot regenerate (AIGIF_E_MODEL:" in out and "took the embedded pixels" in out


# ------------------------------------------------------------------ pixel payloads: coded errors only
def test_a_corrupt_jpeg_xl_payload_is_an_extension_error():
    rgb = pixels()
    rec = dict(record("sd1"), extensions=[corrupt_jxl(rgb)])
    assert code_of(lambda: decode_pixels(rec)) == "AIGIF_E_EXTENSION"


def test_a_png_declaring_a_huge_image_is_refused_before_it_is_decoded():
    data = png_claiming(16384, 16384)
    assert len(data) < 1024
    rec = dict(record("sd1", model_id=0, height=16384, width=16384), extensions=[
        with_payload(encode_pixels(pixels(8, 8), "png"), data)])
    encode(rec)  # a valid file: the header matches the record
    assert code_of(lambda: decode_pixels(rec, max_pixels=2048 * 2048)) == "AIGIF_E_DECODER_LIMIT"
    assert code_of(lambda: decode_pixels(rec)) == "AIGIF_E_DECODER_LIMIT"  # no limit given: Pillow's own refusal, coded
    small = dict(record("sd1"), extensions=[encode_pixels(pixels(72, 64), "None")], height=72)
    assert code_of(lambda: decode_pixels(small, max_pixels=64 * 64)) == "AIGIF_E_DECODER_LIMIT"
    assert decode_pixels(small, max_pixels=72 * 64).shape == (72, 64, 3)


def test_a_many_file_render_reports_each_bad_payload_and_goes_on(tmp_path, capsys):
    rgb = pixels()
    missing_model = record("sd1", model_id=0)  # no weights here: each file falls back to its pixels
    files = {
        "jxl": aigif_with(missing_model, corrupt_jxl(rgb)),
        "bomb": aigif_with(dict(missing_model, height=16384, width=16384),
                           with_payload(encode_pixels(pixels(8, 8), "png"), png_claiming(16384, 16384))),
        "good": aigif_with(missing_model, encode_pixels(rgb, "png")),
    }
    for name, data in files.items():
        (tmp_path / f"{name}.aigif").write_bytes(data)
    status = main(["render", *(str(tmp_path / f"{n}.aigif") for n in files), "-o", str(tmp_path / "out") + "/",
                   "--device", "cpu", "--max-pixels", str(16384 * 16384)])
    err = capsys.readouterr().err
    assert status == 1
    assert "jxl.aigif: AIGIF_E_EXTENSION" in err and "bomb.aigif: AIGIF_E_DECODER_LIMIT" in err
    assert "please report" not in err
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["good.png"]


def test_embedded_pixels_respect_max_pixels(tmp_path, capsys):
    rgb = pixels(72, 64)
    (tmp_path / "a.aigif").write_bytes(aigif_with(record("sd1", height=72), encode_pixels(rgb, "png")))
    assert main(["render", str(tmp_path / "a.aigif"), "-o", str(tmp_path / "a.png"), "--prefer-pixels",
                 "--max-pixels", str(64 * 64)]) == 1
    assert "error: AIGIF_E_DECODER_LIMIT" in capsys.readouterr().err and not (tmp_path / "a.png").exists()


def test_pixel_fallback_without_numpy_is_a_dependency_error(tmp_path):
    """The core install + Pillow: no torch, no numpy. A clear AIGIF_E_DEPENDENCY, not an internal error."""
    (tmp_path / "a.aigif").write_bytes(aigif_with(record("sd1"), encode_pixels(pixels(), "None")))
    code = ("import sys; sys.modules.update(numpy=None, torch=None); from aigif_ref.cli import main; "
            f"sys.exit(main(['render', {str(tmp_path / 'a.aigif')!r}, '-o', {str(tmp_path / 'a.png')!r}]))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "AIGIF_E_DEPENDENCY" in done.stderr and "numpy" in done.stderr and "internal error" not in done.stderr
    assert not (tmp_path / "a.png").exists()


# ------------------------------------------------------------------ bounds that apply
def test_reading_a_device_that_never_ends_is_bounded():
    """/dev/zero reports size 0 and never ends: it is refused before a byte is read (it used to be read up to the
    256 MiB limit), within a 2 GiB address space."""
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30)); "
            "from aigif_ref.cli import main; sys.exit(main(['validate', '/dev/zero']))")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "INVALID AIGIF_E_IO" in done.stdout and "a character device, not a regular file" in done.stdout


def test_max_steps_refuses_before_loading(tmp_path, capsys):
    from aigif_ref.regen.render import Renderer

    renderer = Renderer("cpu", max_steps=2)
    with pytest.raises(AigifError) as info:
        renderer.render(record("sd1", steps=3))
    assert info.value.code == "AIGIF_E_DECODER_LIMIT" and "--max-steps" in info.value.message
    assert not renderer.cache._held  # nothing was loaded
    assert Renderer("cpu", max_steps=3).render(record("sd1", steps=3)).rgb.shape == (64, 64, 3)
    (tmp_path / "a.aigif").write_bytes(encode(record("sd1", steps=3)))
    assert main(["render", str(tmp_path / "a.aigif"), "-o", str(tmp_path / "a.png"), "--device", "cpu", "--max-steps", "2"]) == 1
    assert "error: AIGIF_E_DECODER_LIMIT" in capsys.readouterr().err and not (tmp_path / "a.png").exists()


# ------------------------------------------------------------------ --verify without a digest
def test_verify_compares_with_embedded_pixels_when_there_is_no_digest(renderer, tmp_path, capsys):
    rec = record("sd1")
    rgb = renderer.render(rec).rgb
    nudged = rgb.copy()
    nudged[0, 0, 0] ^= 1
    for label, embedded, status, words in [("same", rgb, 0, "verify: bit-exact: the pixels equal the file's embedded pixels"),
                                           ("near", nudged, 0, "verify: close: not bit-exact; PSNR"),
                                           ("other", pixels(), 1, "verify: mismatch")]:
        (tmp_path / f"{label}.aigif").write_bytes(aigif_with(rec, encode_pixels(embedded, "png")))
        assert main(["render", str(tmp_path / f"{label}.aigif"), "-o", str(tmp_path / f"{label}.png"), "--device", "cpu",
                     "--verify"]) == status, label
        assert words in capsys.readouterr().out, label
