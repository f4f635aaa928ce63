"""The Pillow plugin (aigif_ref.pillow) and `aigif thumbnail`."""
from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from aigif_ref.api import decode, encode
from aigif_ref.codecs.pixels import encode_pixels
from aigif_ref.errors import AigifError
from aigif_ref.pixel_digest import compute_digest
from tests import import_fixtures as fx

Image = pytest.importorskip("PIL.Image")
pillow = pytest.importorskip("aigif_ref.pillow")
ROOT = Path(__file__).resolve().parents[1]
RECORD = {"model_id": 492, "prompt": fx.SHAPES_PROMPT, "height": 48, "width": 64, "seed": 1, "steps": 4, "guidance_scale": 7.5}


def with_pixels(path: Path, rgb: np.ndarray) -> Path:
    path.write_bytes(encode({**RECORD, "extensions": [encode_pixels(rgb, "png"), compute_digest(rgb)]}))
    return path


def test_open_knows_size_mode_and_record_and_loads_embedded_pixels(tmp_path):
    rgb = fx.pixels(48, 64)
    path = with_pixels(tmp_path / "x.aigif", rgb)
    with Image.open(path) as image:
        assert (image.format, image.size, image.mode) == ("AIGIF", (64, 48), "RGB")
        assert image.info["aigif"]["prompt"] == fx.SHAPES_PROMPT and image.info["aigif"]["seed"] == 1
        assert np.array_equal(np.asarray(image), rgb)
        thumb = image.copy()
        thumb.thumbnail((16, 16))
        assert thumb.size == (16, 12)
    with open(path, "rb") as stream:  # file objects too, and the format is found by content, not by name
        assert Image.open(io.BytesIO(stream.read())).format == "AIGIF"
    assert Image.registered_extensions()[".aigif"] == "AIGIF" and Image.MIME["AIGIF"] == pillow.MEDIA_TYPE


def test_a_file_without_pixels_says_to_render_it(tmp_path):
    path = tmp_path / "bare.aigif"
    path.write_bytes(encode(RECORD))
    with Image.open(path) as image:
        assert image.size == (64, 48)  # known without rendering
        with pytest.raises(AigifError) as err:
            image.load()
    assert err.value.code == "AIGIF_E_NO_PIXELS" and "aigif render" in err.value.message


def test_a_damaged_file_gives_its_code(tmp_path):
    data = bytearray(encode(RECORD))
    data[-1] ^= 1
    (tmp_path / "bad.aigif").write_bytes(bytes(data))
    with pytest.raises(AigifError) as expected:
        decode(bytes(data))
    with pytest.raises(AigifError) as err:
        Image.open(tmp_path / "bad.aigif")
    assert err.value.code == expected.value.code  # the reader's own verdict, not Pillow's
    (tmp_path / "notes.aigif").write_text("hello")
    with pytest.raises(Image.UnidentifiedImageError):  # not AIGIF at all: Pillow's own answer, as for any format
        Image.open(tmp_path / "notes.aigif")


def test_thumbnail_command(tmp_path):
    rgb = fx.pixels(48, 64)
    path = with_pixels(tmp_path / "x.aigif", rgb)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "aigif_ref", "thumbnail", str(path), "-o", str(tmp_path / "t.png"),
                           "--size", "32"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    with Image.open(tmp_path / "t.png") as thumb:
        assert (thumb.format, thumb.size) == ("PNG", (32, 24))
    bare = tmp_path / "bare.aigif"
    bare.write_bytes(encode(RECORD))
    refused = subprocess.run([sys.executable, "-m", "aigif_ref", "thumbnail", str(bare), "-o", str(tmp_path / "u.png"),
                              "--no-render"], capture_output=True, text=True, env=env)
    assert refused.returncode == 1 and "AIGIF_E_NO_PIXELS" in refused.stderr and not (tmp_path / "u.png").exists()


def test_register_render_regenerates_on_load(tmp_path):
    pytest.importorskip("diffusers")
    from aigif_ref.regen.render import Renderer

    path = tmp_path / "bare.aigif"
    path.write_bytes(encode({**RECORD, "height": 64}))
    expected = Renderer("cpu").render({**RECORD, "height": 64}).rgb
    pillow.register(render=True)
    try:
        with Image.open(path) as image:
            assert np.array_equal(np.asarray(image), expected)
    finally:
        pillow.register(render=False)
