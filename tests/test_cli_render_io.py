"""`aigif render` around the render: PNG metadata, A1111 infotext, progress, fast model errors, output checks."""
from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from aigif_ref import a1111
from aigif_ref.api import decode, encode, read_bytes
from aigif_ref.cli import main
from aigif_ref.cli_render import PNG_A1111_KEY, PNG_RECORD_KEY, png_bytes, png_record
from tests.conftest import typical_record

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "tiny-fox.aigif"

# The web UI's own infotext parser (modules/infotext_utils.py, parse_generation_parameters): its regex
# for the last line's "Key: value" pairs, and its unquote.
RE_PARAM = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')


def webui_parse(text: str) -> tuple[str, str, dict[str, str]]:
    *lines, last = text.split("\n")
    prompt, negative = [], []
    for line in lines:
        if line.startswith("Negative prompt:"):
            negative.append(line[16:].strip())
        elif negative:
            negative.append(line)
        else:
            prompt.append(line)
    values = {}
    for key, value in RE_PARAM.findall(last):
        values[key] = json.loads(value) if value.startswith('"') else value
    return "\n".join(prompt), "\n".join(negative), values


def test_infotext_reads_back_with_the_webui_parser(registry):
    record = decode(encode(typical_record(prompt="a fox, red: bright \"quoted\"", negative_prompt="blurry, low",
                                          guidance_scale=7.0, params={"clip_skip": 2})))
    text = a1111.infotext(record, registry)
    prompt, negative, values = webui_parse(text)
    assert prompt == record["prompt"] and negative == record["negative_prompt"]
    assert values["Steps"] == str(record["steps"]) and values["Seed"] == str(record["seed"])
    assert values["Size"] == f"{record['width']}x{record['height']}" and values["CFG scale"] == "7"
    assert values["Sampler"] == registry.enum_name("schedulers", record["scheduler"])
    assert values["Model"] == registry.models[record["model_id"]]["name"] and values["Clip skip"] == "3"  # diffusers' 2
    assert values["AIGIF model ID"] == str(record["model_id"])


def test_infotext_without_negative_prompt(registry):
    record = decode(encode(typical_record(negative_prompt=None)))
    assert "Negative prompt" not in a1111.infotext(record, registry)


def test_png_carries_the_record_and_the_infotext(registry):
    import numpy as np

    record = decode(read_bytes(EXAMPLE))
    data = png_bytes(np.zeros((16, 8, 3), dtype=np.uint8), record, registry)
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        assert json.loads(image.text[PNG_RECORD_KEY]) == png_record(record)
        assert image.text[PNG_A1111_KEY] == a1111.infotext(record, registry)
    stored = json.loads(Image.open(io.BytesIO(data)).text[PNG_RECORD_KEY])
    assert decode(encode(stored)) == stored  # the PNG's record encodes back to a valid file


def test_rendered_png_has_metadata_and_progress_on_a_terminal(tmp_path, monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    out = tmp_path / "fox.png"
    assert main(["render", str(EXAMPLE), "-o", str(out), "--device", "cpu"]) == 0
    record = decode(read_bytes(EXAMPLE))
    with Image.open(out) as image:
        assert json.loads(image.text[PNG_RECORD_KEY]) == png_record(record)
        assert image.text[PNG_A1111_KEY].startswith(record["prompt"])
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", terminal.getvalue())
    # Per-step progress with an ETA, to the pipeline's last step (PNDM's count is steps + 1: its own).
    assert re.search(r"fox\.aigif.* ([0-9]+)/\1 .*eta", shown), shown[-400:]


def test_no_progress_when_stderr_is_not_a_terminal(tmp_path):
    done = subprocess.run([sys.executable, "-m", "aigif_ref", "render", str(EXAMPLE), "-o", str(tmp_path / "f.png"),
                           "--device", "cpu"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_missing_model_is_reported_before_torch_is_imported(tmp_path):
    aigif = tmp_path / "sd15.aigif"
    aigif.write_bytes(encode(typical_record(model_id=0, height=64, width=64)))
    env = {k: v for k, v in os.environ.items() if k not in ("AIGIF_MODELS", "HF_HOME", "HF_HUB_CACHE")}
    env.update(HF_HUB_CACHE=str(tmp_path / "empty-cache"), PYTHONPATH=str(ROOT))
    code = ("import sys; from aigif_ref.cli import main; status = main(sys.argv[1:]); "
            "print('torch imported' if 'torch' in sys.modules else 'torch not imported'); sys.exit(status)")
    done = subprocess.run([sys.executable, "-c", code, "render", str(aigif), "-o", str(tmp_path / "a.png")],
                          capture_output=True, text=True, cwd=ROOT, env=env)
    assert done.returncode == 1 and "AIGIF_E_MODEL_MISSING" in done.stderr, done.stderr
    assert "torch not imported" in done.stdout


def test_render_output_equal_to_an_input_is_refused_before_rendering(tmp_path, capsys):
    disguised = tmp_path / "fox.png"  # an AIGIF file that happens to be named .png
    disguised.write_bytes(EXAMPLE.read_bytes())
    assert main(["render", str(disguised), "-o", str(disguised)]) == 1
    assert "is the input" in capsys.readouterr().err and disguised.read_bytes() == EXAMPLE.read_bytes()
    link = tmp_path / "link.png"
    link.symlink_to(tmp_path / "elsewhere.png")
    assert main(["render", str(EXAMPLE), "-o", str(link)]) == 1
    assert "symbolic link" in capsys.readouterr().err and link.is_symlink()
