"""Messages of failures a user or a hostile file causes: words that say what is wrong and what to do, never a
Python exception's own text or type name; that exception stays the error's __cause__ (AIGIF_DEBUG=1 prints it).

Each test makes one site fail with the exception whose text the old message quoted, and checks the text is gone.
"""
from __future__ import annotations

import base64
import json
import re
import zlib
from pathlib import Path

import numpy as np
import pytest

from aigif_ref.api import decode, encode
from aigif_ref.cli import main
from aigif_ref.codecs import text
from aigif_ref.codecs.phrase_huffman import PhraseHuffmanModel
from aigif_ref.codecs.pixels import decode_pixels, encode_pixels
from aigif_ref.codecs.tag_context import TagContextModel
from aigif_ref.codecs.tag_lookup import TagLookupModel
from aigif_ref.codecs.tag_prefix import TagPrefixModel
from aigif_ref.errors import AigifError
from aigif_ref.record import parse_json
from aigif_ref.regen.render import render_failure
from aigif_ref.registry import read_registry_file

TEXT_MODELS = [PhraseHuffmanModel, TagContextModel, TagLookupModel, TagPrefixModel]  # the model-file text coders
BASE = {"model_id": 0, "steps": 1, "guidance_scale": 0.0, "seed": 0, "prompt": "x"}
# What the library exceptions behind these sites say: their class names and their typical words.
PYTHON_WORDS = re.compile(r"Error\b|Exception\b|Expecting|codec can't|invalid (start|continuation) byte|"
                          r"Traceback|cannot identify image|broken data stream|incorrect header check|"
                          r"exceeds limit of|decompression bomb DOS|maximum recursion|errno|\[Errno")


def in_words(error: AigifError, cause: type[BaseException] = BaseException) -> None:
    assert not PYTHON_WORDS.search(error.message), error.message
    assert isinstance(error.__cause__, cause), (error.message, error.__cause__)


def raised(action) -> AigifError:
    with pytest.raises(AigifError) as failure:
        action()
    return failure.value


def record_with_pixels(data: bytes, rgb: np.ndarray) -> dict:
    ext = dict(encode_pixels(rgb, "png"), data=base64.b64encode(data).decode())
    return decode(encode(dict(BASE, height=rgb.shape[0], width=rgb.shape[1], extensions=[ext])))


def test_embedded_pixels_that_do_not_decode():
    rgb = np.zeros((8, 8, 3), np.uint8)
    png = bytearray(base64.b64decode(encode_pixels(rgb, "png")["data"]))
    png[40:60] = bytes(20)
    error = raised(lambda: decode_pixels(record_with_pixels(bytes(png), rgb)))
    assert error.code == "AIGIF_E_EXTENSION" and "damaged" in error.message
    in_words(error, Exception)


def test_embedded_pixels_past_pillows_bomb_bound(monkeypatch):
    from PIL import Image

    rgb = np.zeros((16, 16, 3), np.uint8)
    record = record_with_pixels(base64.b64decode(encode_pixels(rgb, "png")["data"]), rgb)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 256 pixels > 2 x 100: Pillow raises its bomb error
    error = raised(lambda: decode_pixels(record))
    assert error.code == "AIGIF_E_DECODER_LIMIT" and "decompression-bomb bound" in error.message
    in_words(error, Image.DecompressionBombError)


@pytest.mark.parametrize("content,says", [(b"{not json", "line 1, column 2"), (b"\xff\xfe{}", "not UTF-8 text")])
def test_a_registry_that_is_not_json(tmp_path: Path, content: bytes, says: str):
    path = tmp_path / "registry.json"
    path.write_bytes(content)
    error = raised(lambda: read_registry_file(path))
    assert error.code == "AIGIF_E_REGISTRY" and says in error.message and "AIGIF_REGISTRY" in error.message
    in_words(error, ValueError)


@pytest.mark.parametrize("model", TEXT_MODELS)
@pytest.mark.parametrize("content,says,cause", [
    (b"{not json", "not JSON (line 1, column 2)", ValueError),
    (b"\xff{}", "not UTF-8 text (byte 0)", ValueError),
    (b"[" * 100_000, "nested deeper than a model file is", RecursionError),
])
def test_a_text_model_file_that_is_not_json(model, content: bytes, says: str, cause):
    error = raised(lambda: model.from_json(content))
    assert error.code == "AIGIF_E_REGISTRY" and says in error.message
    in_words(error, cause)


@pytest.mark.parametrize("model", TEXT_MODELS)
def test_a_text_model_file_that_cannot_be_read(model, tmp_path: Path):
    error = raised(lambda: model.load(tmp_path / "absent.json"))
    assert error.code == "AIGIF_E_IO" and "No such file or directory" in error.message  # strerror: words, not a repr
    assert "Errno" not in error.message
    error = raised(lambda: model.load(tmp_path))
    assert error.code == "AIGIF_E_IO" and "a folder, not a regular file" in error.message


def test_a_text_model_file_must_match_its_pin(tmp_path: Path):
    from aigif_ref.codecs.model_file import read_model_file

    path = tmp_path / "model.json"
    path.write_bytes(b"{}")
    error = raised(lambda: read_model_file(path, "tag-context", "0" * 64))
    assert error.code == "AIGIF_E_REGISTRY" and "does not match the sha256 in the registry" in error.message
    assert read_model_file(path, "tag-context", __import__("hashlib").sha256(b"{}").hexdigest()) == b"{}"


@pytest.mark.parametrize("content,says", [(b'{"a": }', "line 1, column 7"), (b'{"a": "\xff"}', "not UTF-8 text (byte 7)")])
def test_a_record_that_is_not_json(content: bytes, says: str):
    error = raised(lambda: parse_json(content, "record.json"))
    assert error.code == "AIGIF_E_RECORD" and says in error.message
    in_words(error, ValueError)


def test_json_lines_that_are_not_utf8(tmp_path: Path, capsys):
    source = tmp_path / "many.jsonl"
    source.write_bytes(b'{"model_id": 0}\n\xff\n')
    assert main(["encode", "--jsonl", str(source), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "AIGIF_E_RECORD" in err and "is not UTF-8 text (byte 16)" in err and not PYTHON_WORDS.search(err), err


def test_a_zlib_text_block_that_does_not_inflate():
    error = raised(lambda: text.decode_text(text.ZLIB_CODE, b"\x00garbage", 1))
    assert error.code == "AIGIF_E_DECOMPRESS" and "not a valid zlib stream" in error.message
    in_words(error, zlib.error)


@pytest.mark.parametrize("exc,says", [
    (MemoryError(), "ran out of memory"),
    (RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"), "ran out of memory"),
    (ValueError("raw diffusers detail"), "AIGIF_DEBUG=1"),
])
def test_a_pipeline_failure_in_words(exc: BaseException, says: str):
    words = render_failure(exc)
    assert says in words and "raw diffusers detail" not in words and "CUDA" not in words


def test_aigif_debug_prints_the_cause(tmp_path: Path, capsys, monkeypatch):
    bad = tmp_path / "registry.json"
    bad.write_text("{not json", encoding="utf-8")
    args = ["--registry", str(bad), "validate", str(tmp_path / "x.aigif")]
    monkeypatch.delenv("AIGIF_DEBUG", raising=False)
    assert main(args) == 1
    quiet = capsys.readouterr().err
    assert "AIGIF_E_REGISTRY" in quiet and "Traceback" not in quiet and "JSONDecodeError" not in quiet
    monkeypatch.setenv("AIGIF_DEBUG", "1")
    assert main(args) == 1
    loud = capsys.readouterr().err
    assert loud.startswith(quiet.strip()) and "JSONDecodeError: Expecting property name" in loud


def test_an_impl_prefix_with_an_open_quote():
    from conformance.contract import CommandImplementation, UsageError

    with pytest.raises(UsageError) as failure:
        CommandImplementation("my-decoder 'unclosed")
    assert "a quote left open?" in str(failure.value) and "No closing quotation" not in str(failure.value)
    assert isinstance(failure.value.__cause__, ValueError)
