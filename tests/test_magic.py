"""The file extension, media type and file(1)/libmagic magic of AIGIF (spec/bitstream.md section 3.1).

spec/magic/aigif.magic is generated from the grammar's constants (tools/gen_magic.py); this checks the committed
file is what the generator writes, that file(1) with it names every valid vector AIGIF (its version byte as
major.minor) and nothing else, and that the Pillow plugin registers the same names with Pillow and mimetypes.
"""
from __future__ import annotations

import json
import mimetypes
import shutil
import subprocess
from pathlib import Path

import pytest

from aigif_ref.grammar import limits

ROOT = Path(__file__).resolve().parents[1]
MAGIC = ROOT / "spec" / "magic" / "aigif.magic"
SYNTAX = ROOT / "vectors" / "syntax"


def test_the_committed_magic_is_generated_from_the_grammar_constants():
    import importlib.util

    spec = importlib.util.spec_from_file_location("gen_magic", ROOT / "tools" / "gen_magic.py")
    gen_magic = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen_magic)
    magic, magic_string = gen_magic.magic, gen_magic.magic_string

    assert MAGIC.read_text(encoding="utf-8") == magic()
    assert magic_string(limits.SIGNATURE) in magic() and limits.MEDIA_TYPE in magic()


def file_says(*args: str) -> str:
    if shutil.which("file") is None:
        pytest.skip("file(1) is not installed here (apt-get install file): the magic entry cannot be exercised")
    return subprocess.run(["file", "-b", "-m", str(MAGIC), *args], capture_output=True, text=True, check=True).stdout.strip()


def valid_vectors() -> list[Path]:
    """The valid syntax vectors, by the manifest (invalid ones may still start with the signature)."""
    manifest = json.loads((SYNTAX / "manifest.json").read_text(encoding="utf-8"))
    return [SYNTAX / case["id"] / "input.aigif" for case in manifest["cases"] if case["valid"]]


def test_file_names_aigif_its_version_media_type_and_extension():
    vectors = valid_vectors()
    assert vectors
    for path in vectors + [ROOT / "examples" / "tiny-fox.aigif"]:
        data = path.read_bytes()
        major, minor = data[len(limits.SIGNATURE)] >> 4, data[len(limits.SIGNATURE)] & 0x0F
        assert file_says(str(path)) == f"{limits.FORMAT_DESCRIPTION}, version {major}.{minor}", path
        assert file_says("--mime-type", str(path)) == limits.MEDIA_TYPE
        assert file_says("--extension", str(path)) == limits.FILE_EXTENSION.lstrip(".")


def test_file_does_not_claim_other_files(tmp_path):
    other = tmp_path / "x.png"
    other.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(32))
    assert limits.FORMAT_DESCRIPTION not in file_says(str(other))
    cut = tmp_path / "cut.aigif"
    cut.write_bytes(limits.SIGNATURE[:-1])  # three bytes of the signature are not the signature
    assert limits.FORMAT_DESCRIPTION not in file_says(str(cut))


def test_the_pillow_plugin_registers_the_extension_and_media_type():
    from PIL import Image

    from aigif_ref import pillow

    pillow.register()
    assert Image.registered_extensions()[limits.FILE_EXTENSION] == pillow.FORMAT
    assert Image.MIME[pillow.FORMAT] == limits.MEDIA_TYPE
    assert mimetypes.guess_type("picture" + limits.FILE_EXTENSION) == (limits.MEDIA_TYPE, None)
    assert mimetypes.guess_extension(limits.MEDIA_TYPE) == limits.FILE_EXTENSION
