"""Every writer of the `aigif` command writes through a temporary file in the output's folder and a rename:
a new output gets the mode the umask gives, a failure at the last step leaves neither the output nor a
temporary file (render PNG, encode, import, models add, thumbnail, quantize, quantize --from-gguf, export-gguf).
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest

from aigif_ref import api
from aigif_ref.cli import main

ROOT = Path(__file__).resolve().parents[1]
PIXELS_FILE = ROOT / "vectors" / "syntax" / "valid-pixels-png" / "input.aigif"
A1111_PNG = ROOT / "tests" / "data" / "import" / "sd-parsers" / "automatic1111_stealth.png"
UMASK = 0o027


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    """Inputs the writers need: a record, a model payload of the tiny SD 1.5 model and its GGUF, a LoRA-like file."""
    from safetensors.numpy import save_file

    from tests.conftest import typical_record

    folder = tmp_path_factory.mktemp("inputs")
    record = folder / "record.json"
    record.write_text(__import__("json").dumps(typical_record()), encoding="utf-8")
    payload, gguf = folder / "q.safetensors", folder / "q.gguf"
    assert main(["quantize", "aigif-tiny-sd15", "--compressor", "q8_0", "--keep", "unet/conv_in", "-o", str(payload)]) == 0
    assert main(["export-gguf", str(payload), "-o", str(gguf)]) == 0
    weights = folder / "lora.safetensors"
    save_file({"lora_unet_x.lora_down.weight": np.zeros((2, 2), np.float32)}, str(weights))
    return {"record": record, "payload": payload, "gguf": gguf, "weights": weights}


# writer -> (arguments with {out} for the output folder and {inputs[...]}, the file it writes, relative to {out})
WRITERS = {
    "encode": (["encode", "{record}", "-o", "{out}/x.aigif"], "x.aigif"),
    "render": (["render", "--prefer-pixels", str(PIXELS_FILE), "-o", "{out}/x.png"], "x.png"),
    "thumbnail": (["thumbnail", "--no-render", str(PIXELS_FILE), "-o", "{out}/x.png"], "x.png"),
    "import": (["import", "--jobs", "1", str(A1111_PNG), "-o", "{out}"], "automatic1111_stealth.aigif"),
    "models add": (["models", "add", "{weights}"], "home/models.json"),
    "quantize": (["quantize", "aigif-tiny-sd15", "--compressor", "q8_0", "-o", "{out}/x.safetensors"], "x.safetensors"),
    "quantize --from-gguf": (["quantize", "aigif-tiny-sd15", "--from-gguf", "{gguf}", "-o", "{out}/x.safetensors"],
                             "x.safetensors"),
    "export-gguf": (["export-gguf", "{payload}", "-o", "{out}/x.gguf"], "x.gguf"),
}


def _run(name: str, out: Path, inputs: dict[str, Path], monkeypatch) -> int:
    monkeypatch.setenv("AIGIF_HOME", str(out / "home"))
    words, _ = WRITERS[name]
    return main([w.format(out=out, **inputs) for w in words])


def _left(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_a_new_output_gets_the_umask_mode(name: str, tmp_path: Path, inputs, monkeypatch):
    old = os.umask(UMASK)
    try:
        assert _run(name, tmp_path, inputs, monkeypatch) == 0
    finally:
        os.umask(old)
    written = tmp_path / WRITERS[name][1]
    assert stat.S_IMODE(written.stat().st_mode) == 0o666 & ~UMASK
    assert not [p for p in _left(tmp_path) if p.endswith(".tmp")]


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_a_failed_rename_leaves_nothing(name: str, tmp_path: Path, inputs, monkeypatch, capsys):
    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(api.os, "replace", refuse)
    status = _run(name, tmp_path, inputs, monkeypatch)
    monkeypatch.undo()
    captured = capsys.readouterr()
    assert status == 1 and "AIGIF_E_IO" in captured.err + captured.out and "No space left on device" in captured.err + captured.out
    assert [p for p in _left(tmp_path) if p == WRITERS[name][1] or p.endswith(".tmp")] == []
