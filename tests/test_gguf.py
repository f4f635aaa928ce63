"""GGUF import and export (spec/quantized.md §9): whole files, every tensor's bytes unchanged, K-quants refused."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

gguf = pytest.importorskip("gguf", reason="the gguf package (test extra, pinned in constraints.txt) reads and writes GGUF")
from gguf import GGMLQuantizationType as T  # noqa: E402
from gguf.quants import dequantize as gguf_dequantize, quantize as gguf_quantize  # noqa: E402

from aigif_ref.errors import AigifError  # noqa: E402
from aigif_ref.quant import formats  # noqa: E402
from aigif_ref.quant.gguf_io import export_gguf, import_gguf  # noqa: E402
from aigif_ref.quant.payload import Payload, TensorEntry, build, parse  # noqa: E402

RNG = np.random.default_rng(2026)


def write_gguf(path: Path, tensors: dict, metadata: dict | None = None) -> None:
    """tensors: name -> (GGML type, numpy values in logical shape) quantized by the gguf package itself."""
    writer = gguf.GGUFWriter(str(path), "sd1")
    for key, value in (metadata or {}).items():
        writer.add_array(key, value)
    for name, (kind, values) in tensors.items():
        data = gguf_quantize(values, kind) if kind in (T.Q8_0, T.Q4_0) else values
        if kind in (T.Q8_0, T.Q4_0):
            writer.add_tensor(name, data, raw_shape=data.shape, raw_dtype=kind)
        else:
            writer.add_tensor(name, data)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def tensors_of(path_or_bytes) -> dict[str, tuple[str, bytes]]:
    if isinstance(path_or_bytes, bytes):
        import tempfile
        with tempfile.NamedTemporaryFile(suffix=".gguf", delete=False) as f:
            f.write(path_or_bytes)
        path_or_bytes = f.name
    return {t.name: (t.tensor_type.name, np.asarray(t.data).tobytes()) for t in gguf.GGUFReader(str(path_or_bytes)).tensors}


def sample_file(tmp_path: Path) -> Path:
    conv = RNG.standard_normal((2, 16, 3, 3)).astype(np.float32)  # 288 elements, last dimension 3: blocks cross rows
    path = tmp_path / "model.gguf"
    write_gguf(path, {
        "conv_in.weight": (T.Q8_0, conv.reshape(-1, 32)),
        "conv_in.bias": (T.F32, RNG.standard_normal(16).astype(np.float32)),
        "proj.weight": (T.Q4_0, RNG.standard_normal((8, 64)).astype(np.float32)),
        "norm.weight": (T.F16, RNG.standard_normal((4, 8)).astype(np.float16)),
        "mid.weight": (T.Q8_0, (RNG.standard_normal((6, 96)) * 300).astype(np.float32)),
    }, {"comfy.gguf.orig_shape.conv_in.weight": [2, 16, 3, 3]})
    return path


def test_gguf_imports_and_exports_without_loss(tmp_path):
    path = sample_file(tmp_path)
    payload = import_gguf(path, 490)
    assert payload.compressor_name == "mixed"  # q8_0 and q4_0 together
    assert {n: e.format for n, e in payload.tensors.items()} == {
        "unet/conv_in.weight": "q8_0", "unet/conv_in.bias": "f32", "unet/proj.weight": "q4_0", "unet/norm.weight": "f16",
        "unet/mid.weight": "q8_0"}
    assert payload.tensors["unet/conv_in.weight"].shape == (2, 16, 3, 3)  # the logical shape from the metadata
    original = tensors_of(path)
    reread = parse(build(payload))
    for name, (kind, data) in original.items():
        entry = reread.tensors[f"unet/{name}"]
        assert entry.data == data, name  # GGUF -> payload: the same bytes
        block_bytes = {"Q8_0": 34, "Q4_0": 18}.get(kind)
        values = gguf_dequantize(np.frombuffer(data, np.uint8).reshape(-1, block_bytes), T[kind]) \
            if block_bytes else np.frombuffer(data, {"F32": "<f4", "F16": "<f2"}[kind])
        ours = reread.dequantized(f"unet/{name}").reshape(-1)
        assert np.array_equal(np.asarray(values, np.float32).reshape(-1).view(np.uint32), ours.view(np.uint32)), name
    exported = export_gguf(reread)
    assert tensors_of(exported) == original  # payload -> GGUF: the same types and bytes
    again = tmp_path / "again.gguf"
    again.write_bytes(exported)
    assert build(import_gguf(again, 490)) == build(payload)  # and back: the same payload


@pytest.mark.parametrize("kind,block", [(T.Q4_K, 144), (T.Q6_K, 210), (T.Q4_1, 20)])
def test_other_gguf_types_are_refused_naming_the_type(tmp_path, kind, block):
    path = tmp_path / "k.gguf"
    writer = gguf.GGUFWriter(str(path), "sd1")
    writer.add_tensor("blk.0.weight", np.zeros((2, block), np.uint8), raw_shape=(2, block), raw_dtype=kind)
    writer.write_header_to_file(); writer.write_kv_data_to_file(); writer.write_tensors_to_file(); writer.close()
    with pytest.raises(AigifError) as err:
        import_gguf(path, 490)
    assert err.value.code == "AIGIF_E_GGUF" and kind.name in err.value.message and "blk.0.weight" in err.value.message


def test_not_a_gguf_file_and_int8_export_are_refused(tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF\x03\x00\x00\x00" + b"\xff" * 40)
    with pytest.raises(AigifError) as err:
        import_gguf(bad, 490)
    assert err.value.code == "AIGIF_E_GGUF"
    w = RNG.standard_normal((4, 32)).astype(np.float32)
    int8 = Payload(490, 1, {"unet/w": TensorEntry("unet/w", "int8", (4, 32), formats.quantize("int8", w))})
    with pytest.raises(AigifError) as err:
        export_gguf(int8)
    assert err.value.code == "AIGIF_E_GGUF" and "int8" in err.value.message


def test_cli_round_trip_through_gguf_on_a_model(tmp_path, capsys):
    from aigif_ref.cli import main as aigif_main
    out = tmp_path / "q.safetensors"
    assert aigif_main(["quantize", "aigif-tiny-sd15", "--compressor", "mixed", "--keep", "unet/conv_in", "-o", str(out)]) == 0
    assert aigif_main(["export-gguf", str(out), "-o", str(tmp_path / "q.gguf")]) == 0
    assert aigif_main(["quantize", "aigif-tiny-sd15", "--from-gguf", str(tmp_path / "q.gguf"), "-o", str(tmp_path / "back.safetensors")]) == 0
    assert (tmp_path / "back.safetensors").read_bytes() == out.read_bytes()
    assert aigif_main(["quantize", "aigif-tiny-sdxl", "--from-gguf", str(tmp_path / "q.gguf"), "-o", str(tmp_path / "x.safetensors")]) != 0
    assert "AIGIF_E_PAYLOAD_SHAPE" in capsys.readouterr().err and not (tmp_path / "x.safetensors").exists()


@pytest.mark.parametrize("name, content, code", [("zero", None, "AIGIF_E_IO"), ("text.gguf", b"not gguf at all", "AIGIF_E_GGUF")])
def test_hostile_gguf_inputs_end_in_a_code_without_python_text(tmp_path, name, content, code):
    from aigif_ref.quant.gguf_io import import_gguf

    path = tmp_path / name
    if content is None:
        path.symlink_to("/dev/zero")  # a link to a device: refused before the reader maps it
    else:
        path.write_bytes(content)
    with pytest.raises(AigifError) as caught:
        import_gguf(path, 492)
    assert caught.value.code == code
    assert "Error" not in caught.value.message and "Errno" not in caught.value.message
