"""Adapters (extension type 5) applied by the reference decoder on the tiny model 490: LoRA and an embedding."""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from aigif_ref.errors import AigifError
from aigif_ref.registry import default_registry

pytest.importorskip("diffusers")
pytest.importorskip("peft")

ROOT = Path(__file__).resolve().parents[1]
ADAPTERS = ROOT / "vectors" / "adapters"
TINY = next(m for m in default_registry().models.values() if m["name"] == "aigif-tiny-sd15")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def overlay(tmp_path, monkeypatch):
    from aigif_ref.user_models import add

    monkeypatch.setenv("AIGIF_HOME", str(tmp_path))
    add([ADAPTERS])
    return tmp_path


def record(prompt: str = "a red fox", adapters: list | None = None) -> dict:
    from aigif_ref.extensions import Adapters

    rec = {"model_id": TINY["id"], "prompt": prompt, "height": 64, "width": 64, "seed": 7, "steps": 4,
           "guidance_scale": 5.0, "scheduler": "Euler", "device": "CPU"}
    if adapters:
        rec["extensions"] = [{"type": Adapters.code, "adapters": adapters}]
    return rec


def lora(scale: float = 1.0, te: float = 1.0) -> dict:
    return {"kind": "lora", "hash_algorithm": "sha256", "digest": sha(ADAPTERS / "lora-tiny.safetensors"), "name": "tiny",
            "unet_scale": scale, "text_encoder_scale": te}


def test_lora_changes_pixels_repeatably_and_scale_matters(overlay):
    from aigif_ref.regen.render import Renderer

    renderer = Renderer("cpu")
    plain = renderer.render(record()).rgb
    with_lora = renderer.render(record(adapters=[lora()])).rgb
    again = Renderer("cpu").render(record(adapters=[lora()])).rgb
    half = renderer.render(record(adapters=[lora(0.5)])).rgb
    assert not np.array_equal(plain, with_lora)
    assert np.array_equal(with_lora, again)
    assert not np.array_equal(with_lora, half)
    assert np.array_equal(renderer.render(record()).rgb, plain)  # the LoRA did not leak into the cached plain pipeline


def test_embedding_token_changes_pixels(overlay):
    from aigif_ref.regen.render import Renderer

    ti = {"kind": "textual_inversion", "hash_algorithm": "AutoV2", "digest": sha(ADAPTERS / "ti-tiny.safetensors")[:10],
          "name": "<tiny-token>", "unet_scale": 1, "text_encoder_scale": 1}
    renderer = Renderer("cpu")
    without = renderer.render(record("a red fox <tiny-token>")).rgb
    with_ti = renderer.render(record("a red fox <tiny-token>", [ti])).rgb
    assert not np.array_equal(without, with_ti)
    assert np.array_equal(with_ti, Renderer("cpu").render(record("a red fox <tiny-token>", [ti])).rgb)


def test_missing_or_changed_adapter_is_refused_with_a_code(overlay, tmp_path, monkeypatch):
    from aigif_ref.regen.render import Renderer

    with pytest.raises(AigifError) as err:
        Renderer("cpu").render(record(adapters=[dict(lora(), digest="00" * 32)]))
    assert err.value.code == "AIGIF_E_MODEL_MISSING"
    from aigif_ref.user_models import add

    monkeypatch.setenv("AIGIF_HOME", str(tmp_path / "other-home"))
    copy = tmp_path / "copy.safetensors"
    copy.write_bytes((ADAPTERS / "lora-tiny.safetensors").read_bytes())
    add([copy])
    copy.write_bytes(copy.read_bytes()[:-1] + b" ")  # same size, other bytes
    import os
    os.utime(copy, ns=(1, 1))
    with pytest.raises(AigifError) as err:
        Renderer("cpu").render(record(adapters=[dict(lora(), hash_algorithm="sha256", digest=sha(ADAPTERS / "lora-tiny.safetensors"))]))
    assert err.value.code == "AIGIF_E_MODEL_HASH"


def test_adapters_are_committed_by_their_script():
    import subprocess
    import sys

    result = subprocess.run([sys.executable, str(ADAPTERS / "build_adapters.py"), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
