"""Capture of a quantized pipeline: weights loaded from a model payload are recorded as that model (extension 2)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from aigif_ref.api import decode
from aigif_ref.capture import capture
from aigif_ref.errors import AigifError
from aigif_ref.quant.loader import load_into
from aigif_ref.quant.payload import build, sha256_hex
from tests.regen_support import load_bare

pytestmark = pytest.mark.usefixtures("pinned_threads")
CALL = {"prompt": "a red fox", "height": 64, "width": 64, "num_inference_steps": 2, "guidance_scale": 7.5, "output_type": "np"}


@pytest.fixture(scope="module")
def payload_file(tmp_path_factory, tiny_models):
    from aigif_ref.quant.quantizer import quantize_model
    data = build(quantize_model(tiny_models["sd1"].path, 490, "q4_0"))
    folder = tmp_path_factory.mktemp("payloads")
    path = folder / f"{sha256_hex(data)}.safetensors"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("embed", [False, True])
def test_capture_records_the_payload_and_the_render_matches(tiny_models, payload_file, tmp_path, embed):
    from aigif_ref.regen.render import Renderer
    pipe = load_bare(tiny_models["sd1"])
    load_into(pipe, payload_file)
    out = tmp_path / "fox.aigif"
    images = capture(pipe, out, generator=torch.Generator("cpu").manual_seed(7), embed_payload=embed, **CALL).images
    record = decode(out.read_bytes())
    ext = next(e for e in record["extensions"] if e["type"] == 2)
    assert ext["payload_sha256"] == payload_file.stem and ext["model_compressor"] == 3
    assert ext["storage"] == (0 if embed else 1) and record["model_id"] == 490
    folders = [] if embed else [payload_file.parent]  # an embedded payload needs no folder
    rendered = Renderer("cpu", payloads=folders).render(record, decoded=True)
    assert np.array_equal(rendered.array, images[0])
    plain = Renderer("cpu").render({k: v for k, v in record.items() if k != "extensions"}, decoded=True)
    assert not np.array_equal(plain.array, images[0])  # the base model draws something else: the record must name the payload


def test_capture_refuses_weights_changed_after_loading(tiny_models, payload_file, tmp_path):
    pipe = load_bare(tiny_models["sd1"])
    load_into(pipe, payload_file)
    with torch.no_grad():
        pipe.unet.conv_in.weight.mul_(1.01)
    with pytest.raises(AigifError) as err:
        capture(pipe, tmp_path / "x.aigif", generator=torch.Generator("cpu").manual_seed(7), **CALL)
    assert err.value.code == "AIGIF_E_CAPTURE" and "changed" in err.value.message and not (tmp_path / "x.aigif").exists()


def test_capture_refuses_embedding_without_a_payload(tiny_models, tmp_path):
    with pytest.raises(AigifError) as err:
        capture(load_bare(tiny_models["sd1"]), tmp_path / "x.aigif", generator=torch.Generator("cpu").manual_seed(7),
                embed_payload=True, **CALL)
    assert err.value.code == "AIGIF_E_CAPTURE"
