"""User-facing AIGIF_E_* messages say what went wrong in words, never a raw Python exception's text.

The underlying exception stays available as the error's __cause__ (for a traceback or a bug report). Each
test feeds a failure whose raw text the old messages interpolated ("(header size)", "Expecting value: ...",
"('files')", "Error(s) in loading state_dict ...", "No module named ...") and checks it is gone.
"""
from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from aigif_ref import adapters, user_models
from aigif_ref.errors import AigifError
from aigif_ref.quant import formats, loader
from aigif_ref.quant.payload import Payload, TensorEntry
from aigif_ref.registry import default_registry

RAW = ("Expecting value", "header size", "('files')", "KeyError", "Error(s) in loading", "No module named",
       "Traceback", "raw diffusers detail")


def no_raw_text(error: AigifError) -> None:
    assert not [r for r in RAW if r in error.message], error.message


def test_a_file_that_is_not_safetensors(tmp_path: Path):
    too_big = tmp_path / "huge-header.safetensors"
    too_big.write_bytes((1 << 40).to_bytes(8, "little") + b"{}")
    with pytest.raises(AigifError) as err:
        user_models.tensor_names(too_big)
    assert err.value.code == "AIGIF_E_MODEL_UNSAFE" and "is not a safetensors file (an 8-byte header length" in err.value.message
    no_raw_text(err.value)

    not_json = tmp_path / "not-json.safetensors"
    not_json.write_bytes((5).to_bytes(8, "little") + b"notjs")
    with pytest.raises(AigifError) as err:
        user_models.tensor_names(not_json)
    assert err.value.code == "AIGIF_E_MODEL_UNSAFE"
    no_raw_text(err.value)
    assert isinstance(err.value.__cause__, ValueError)  # the detail is kept, out of the message


@pytest.mark.parametrize("content,says", [
    ("{not json", "is not JSON (line 1, column 2)"),
    (json.dumps({"entries": []}), '"files" is a list of objects with "sha256" and "path"'),
    (json.dumps({"files": [{"sha256": "ab"}]}), '"files" is a list of objects with "sha256" and "path"'),
    (json.dumps([1, 2]), "it must be a JSON object"),
])
def test_a_broken_user_model_overlay(tmp_path: Path, content: str, says: str):
    overlay = tmp_path / "models.json"
    overlay.write_text(content, encoding="utf-8")
    with pytest.raises(AigifError) as err:
        user_models.load_overlay(overlay)
    assert err.value.code == "AIGIF_E_REGISTRY" and says in err.value.message
    assert "run `aigif models add` again" in err.value.message
    no_raw_text(err.value)


def test_a_payload_that_does_not_fit_its_module():
    torch = pytest.importorskip("torch")
    pipe = SimpleNamespace(unet=torch.nn.Linear(2, 2))
    tensors = {name: TensorEntry(name, "f32", shape, formats.quantize("f32", np.zeros(shape, np.float32)))
               for name, shape in (("unet/weight", (3, 3)), ("unet/bias", (2,)), ("unet/extra", (1,)))}
    with pytest.raises(AigifError) as err:
        loader.apply(pipe, Payload(490, 2, tensors), "float32")
    assert err.value.code == "AIGIF_E_PAYLOAD_SHAPE"
    assert err.value.message == ("the payload's unet does not fit the pipeline's Linear: 1 it does not have (e.g. extra); "
                                 "1 of another shape (e.g. weight: payload [3, 3], model [2, 2])")
    no_raw_text(err.value)


class RefusingPipe:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def load_lora_weights(self, *args, **kwargs):
        raise self.exc


@pytest.mark.parametrize("exc,code,says", [
    (ImportError("No module named 'peft'", name="peft"), "AIGIF_E_DEPENDENCY", "needs the package peft, which is not installed"),
    (ValueError("raw diffusers detail"), "AIGIF_E_MODEL", "diffusers refused it"),
])
def test_an_adapter_diffusers_refuses(monkeypatch, tmp_path: Path, exc: Exception, code: str, says: str):
    found = SimpleNamespace(path=tmp_path / "lora.safetensors", sha256="ab" * 32)
    monkeypatch.setattr(user_models, "find", lambda *args, **kwargs: found)
    registry = default_registry()
    record = {"extensions": [{"type": adapters.ADAPTERS_TYPE, "adapters": [
        {"kind": registry.enum_code("adapter_kinds", "lora"), "hash_algorithm": 0, "digest": "ab" * 32, "name": "detail",
         "unet_scale": 1.0, "text_encoder_scale": 1.0}]}]}
    with pytest.raises(AigifError) as err:
        adapters.apply_adapters(RefusingPipe(exc), record, registry)
    assert err.value.code == code and says in err.value.message
    assert err.value.__cause__ is exc
    no_raw_text(err.value)
