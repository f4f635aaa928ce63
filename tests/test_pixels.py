"""Pixel payloads (type 1: raw, PNG, JPEG XL) and the pixel digest (type 3)."""
from __future__ import annotations

import base64
import io
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aigif_ref.api import decode, encode
from aigif_ref.codecs.jxl import jxl_size
from aigif_ref.codecs.pixels import decode_pixels, encode_pixels
from aigif_ref.errors import AigifError
from aigif_ref.pixel_digest import compute_digest, luma_signature, verify
from vectors.syntax_gen.payloads import pixel_digest as reference_digest
from vectors.syntax_gen.payloads import raw_pixels

import pillow_jxl  # noqa: F401,E402  (registers JPEG XL with Pillow; the test extra installs it)
from PIL import Image  # noqa: E402

BASE = {"model_id": 0, "steps": 1, "guidance_scale": 0.0, "seed": 0, "prompt": "x"}


def image(height: int, width: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def record_with(rgb: np.ndarray, *extensions: dict) -> dict:
    return decode(encode(dict(BASE, height=rgb.shape[0], width=rgb.shape[1], extensions=list(extensions))))


@pytest.mark.parametrize("compressor", ["None", "png", "jxl"])
def test_pixels_round_trip_losslessly_through_a_file(compressor):
    rgb = image(24, 40)
    record = record_with(rgb, encode_pixels(rgb, compressor))
    assert np.array_equal(decode_pixels(record), rgb)


def test_a_record_without_pixels_decodes_to_none():
    assert decode_pixels(dict(BASE, height=8, width=8, extensions=[])) is None


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40))
def test_jxl_size_reads_what_libjxl_writes(h8, w8):
    height, width = h8 * 8, w8 * 8
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((height, width, 3), np.uint8)).save(buffer, format="JXL", lossless=True)
    assert jxl_size(buffer.getvalue()) == (width, height)


@pytest.mark.parametrize("height,width", [(8, 8), (1080, 1920), (768, 512), (600, 800)])
def test_jxl_size_covers_the_ratio_codes(height, width):
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((height, width, 3), np.uint8)).save(buffer, format="JXL", lossless=True)
    assert jxl_size(buffer.getvalue()) == (width, height)


def test_embedded_pixels_that_do_not_decode_are_an_extension_error():
    rgb = image(8, 8)
    ext = encode_pixels(rgb, "png")
    data = bytearray(base64.b64decode(ext["data"]))
    data[40:60] = bytes(20)  # inside IDAT: the header still matches, the image does not decode
    record = record_with(rgb, dict(ext, data=base64.b64encode(bytes(data)).decode()))
    with pytest.raises(AigifError) as failure:
        decode_pixels(record)
    assert failure.value.code == "AIGIF_E_EXTENSION"


def test_digest_matches_the_spec_definition_computed_independently():
    rgb = np.frombuffer(raw_pixels(16, 24), np.uint8).reshape(16, 24, 3)
    assert base64.b64decode(compute_digest(rgb)["data"]) == reference_digest(16, 24)


def test_luma_signature_of_flat_images():
    assert luma_signature(np.full((16, 16, 3), 255, np.uint8)) == bytes([255] * 64)
    assert luma_signature(np.zeros((16, 16, 3), np.uint8)) == bytes(64)
    grey = np.full((8, 8, 3), 100, np.uint8)
    assert luma_signature(grey) == bytes([100] * 64)  # 77 + 150 + 29 = 256: grey keeps its value


def test_verify_reports_bit_exact_close_and_mismatch():
    rgb = image(64, 64, 1)
    record = record_with(rgb, encode_pixels(rgb, "png"), compute_digest(rgb))
    exact = verify(record, rgb)
    assert exact.status == "bit-exact" and exact.psnr == math.inf
    nudged = rgb.copy()
    nudged[::3, ::5, 1] ^= 1
    close = verify(record, nudged, original=decode_pixels(record))
    assert close.status == "close" and close.psnr_basis == "pixels" and 40 < close.psnr < math.inf
    signature_only = verify(record_with(rgb, compute_digest(rgb)), nudged)
    assert signature_only.status == "close" and signature_only.psnr_basis == "signature"
    other = verify(record, image(64, 64, 2))
    assert other.status == "mismatch" and other.max_signature_error > 2


def test_verify_without_a_digest_says_so():
    rgb = image(8, 8)
    assert verify(record_with(rgb), rgb).status == "no-digest"


def test_digest_rejects_arrays_that_are_not_rgb8():
    with pytest.raises(AigifError):
        compute_digest(np.zeros((8, 8, 4), np.uint8))
    with pytest.raises(AigifError):
        compute_digest(np.zeros((8, 12, 3), np.uint8))
