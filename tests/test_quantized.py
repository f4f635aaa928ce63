"""Quantized models (spec/quantized.md): formats, payload, model record, loader, vectors, GGUF compatibility."""
from __future__ import annotations

import os
import base64
import json
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load as load_safetensors

from aigif_ref.api import decode, encode
from aigif_ref.errors import AigifError
from aigif_ref.extensions import Model
from aigif_ref.quant import formats, loader
from aigif_ref.quant.payload import Payload, TensorEntry, build, check_scales, parse, sha256_hex
from tests import independent_dequant as spec
from vectors.quantized.generate import generate

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "quantized"
MANIFEST = json.loads((VECTORS / "manifest.json").read_text(encoding="utf-8"))
VALID = [c for c in MANIFEST["cases"] if c["valid"]]
INVALID = [c for c in MANIFEST["cases"] if not c["valid"]]
RNG = np.random.default_rng(11)


def bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a).view(np.uint8)


def weights(shape, scale_spread=True) -> np.ndarray:
    w = RNG.standard_normal(shape).astype(np.float32)
    if scale_spread:
        w *= RNG.choice(np.array([1e-6, 1e-2, 1.0, 300.0], np.float32), size=(shape[0],) + (1,) * (len(shape) - 1))
    return w


# ---------------------------------------------------------------- facts agree with the registry
def test_compressor_and_storage_tables_match_the_registry(registry):
    assert {c: name for c, (name, _) in formats.COMPRESSORS.items()} == {c: e["name"] for c, e in registry.enum("model_compressors").items()}
    assert Model.STORAGE == {c: e["name"] for c, e in registry.enum("model_payload_storage").items()}
    assert all(f in formats.FORMATS and formats.FORMATS[f].quantized for _, fs in formats.COMPRESSORS.values() for f in fs)


def test_spec_page_names_every_format_and_compressor():
    text = (Path(__file__).resolve().parents[1] / "spec" / "quantized.md").read_text(encoding="utf-8")
    for name in formats.FORMATS:
        assert f"| `{name}` |" in text, name
    for code, (name, _) in formats.COMPRESSORS.items():
        assert f"| {code} | {name} |" in text, name


# ---------------------------------------------------------------- golden vectors
def test_vectors_are_what_the_generator_makes(tmp_path):
    level = tmp_path / "quantized.txt"
    generate(tmp_path / "set", level)
    made = sorted(p.relative_to(tmp_path / "set") for p in (tmp_path / "set").rglob("*") if p.is_file())
    shipped = sorted(p.relative_to(VECTORS) for p in VECTORS.rglob("*") if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts)
    assert made == shipped
    for rel in made:
        assert (tmp_path / "set" / rel).read_bytes() == (VECTORS / rel).read_bytes(), rel
    assert level.read_bytes() == (VECTORS.parent / "levels" / "quantized.txt").read_bytes()


def expected_tensors(case_id: str) -> dict[str, np.ndarray]:
    """expected.safetensors of a case as NumPy arrays (bfloat16 as its uint16 bits), read by the judge's reader."""
    from conformance.compare import read_tensor_file
    kinds = {"F32": "<f4", "F16": "<f2", "BF16": "<u2"}
    return {name: np.frombuffer(raw, kinds[dtype]).reshape(shape)
            for name, (dtype, shape, raw) in read_tensor_file((VECTORS / case_id / "expected.safetensors").read_bytes()).items()}


@pytest.mark.parametrize("case", VALID, ids=lambda c: c["id"])
def test_dequantization_vectors_bit_exact_in_both_implementations(case):
    data = (VECTORS / case["id"] / "payload.safetensors").read_bytes()
    assert sha256_hex(data) == case["sha256"]
    expected = expected_tensors(case["id"])
    payload = parse(data)
    meta, raw = spec.read_payload(data)
    assert set(expected) == set(meta["tensors"])
    for name, entry in meta["tensors"].items():
        independent = spec.dequantize(entry["format"], raw[name], entry["shape"])
        reference = payload.dequantized(name)
        assert np.array_equal(bits(independent), bits(reference)), name
        cast_bits = {"float32": lambda y: y.view(np.uint32), "float16": spec.to_float16_bits, "bfloat16": spec.to_bfloat16_bits}
        assert np.array_equal(cast_bits[case["dtype"]](independent), expected[name].view(cast_bits[case["dtype"]](independent).dtype)), name
        assert np.array_equal(bits(formats.cast(reference, case["dtype"])), bits(expected[name])), name


def test_edge_values_are_what_the_vectors_say():
    def values(name, dtype="float32"):
        return expected_tensors(f"{name}.{dtype}")["unet/w"].reshape(-1)
    assert np.array_equal(values("q8_0-scale-one"), np.arange(-128, 128, dtype=np.float32))
    neg_zero = values("q8_0-scale-negative-zero")
    assert (neg_zero == 0).all() and np.signbit(neg_zero[np.arange(-128, 128) > 0]).all() and not np.signbit(neg_zero[:128]).any()
    assert values("q8_0-scale-subnormal-min")[-1] == np.float32(127 * 2.0**-24)  # exact, not flushed
    assert np.array_equal(values("q4_0-scale-one"), np.tile(np.arange(-8, 8, dtype=np.float32), 2))
    assert np.array_equal(values("q4_0-nibble-order"), np.concatenate([np.arange(-8, 8), np.arange(7, -9, -1)]).astype(np.float32))
    assert np.isinf(values("int8-rows", "float16").reshape(8, 256)[3]).sum() > 0  # float32-max scale overflows float16 ...
    assert np.isfinite(values("int8-rows").reshape(8, 256)[3]).all()  # ... but not binary32


@pytest.mark.parametrize("case", INVALID, ids=lambda c: c["id"])
def test_invalid_payloads_are_refused_with_their_code(case):
    data = (VECTORS / case["id"] / "payload.safetensors").read_bytes()
    with pytest.raises(AigifError) as err:
        check_scales(parse(data))
    assert err.value.code == case["expected_error"], err.value.message


def test_every_payload_error_code_has_an_invalid_vector():
    codes = {c["expected_error"] for c in INVALID}
    assert {"AIGIF_E_TRUNCATED", "AIGIF_E_PAYLOAD", "AIGIF_E_PAYLOAD_SCALE", "AIGIF_E_UNKNOWN_CODE", "AIGIF_E_LIMIT"} <= codes


# ---------------------------------------------------------------- round trips: quantize -> payload -> dequantize
@pytest.mark.parametrize("fmt,shape", [("int8", (48, 40)), ("int8", (8, 4, 3, 3)), ("q8_0", (24, 64)), ("q8_0", (8, 4, 3, 3)),
                                       ("q4_0", (24, 64)), ("q4_0", (64,)), ("f16", (5, 7)), ("bf16", (3, 9)), ("f32", (2, 2))])
def test_round_trip_agrees_with_the_independent_implementation(fmt, shape):
    w = weights(shape)
    w.reshape(-1)[:32] = 0.0  # a zero block / row start
    payload = Payload(490, 4 if formats.FORMATS[fmt].quantized else 0,
                      {"unet/w": TensorEntry("unet/w", fmt, shape, formats.quantize(fmt, w))})
    data = build(payload)
    meta, raw = spec.read_payload(data)
    ours = parse(data).dequantized("unet/w")
    assert np.array_equal(bits(ours), bits(spec.dequantize(fmt, raw["unet/w"], list(shape))))
    tolerance = {"int8": 1 / 254, "q8_0": 1 / 254 + 1e-3, "q4_0": 1 / 8 + 1e-3, "f16": 1e-3, "bf16": 1e-2, "f32": 0}[fmt]
    group = 32 if fmt in ("q8_0", "q4_0") else int(np.prod(shape)) // shape[0]  # what one scale covers: a block or a row
    amax = np.abs(w).reshape(-1, group).max(axis=1).repeat(group).reshape(shape)
    half_scale_quantum = 128 * 2.0**-25 if fmt in ("q8_0", "q4_0") else 0  # binary16 scales are multiples of 2**-24
    assert (np.abs(ours - w) <= tolerance * amax * (1 if fmt != "q4_0" else 2) + half_scale_quantum).all()


def test_int8_quantizer_is_the_papers_uniform_quantizer():
    w = weights((6, 33))
    data = formats.quantize("int8", w)
    s = np.frombuffer(data[:24], "<f4")
    q = np.frombuffer(data[24:], np.int8).reshape(6, 33)
    assert np.array_equal(s, (np.abs(w).max(axis=1) / np.float32(127)).astype(np.float32))
    assert np.array_equal(q, np.clip(np.rint(w / s[:, None]), -127, 127))  # z = 0, qmin = -127, qmax = 127


def test_block_formats_are_ggufs_byte_for_byte():
    quants = pytest.importorskip("gguf.quants", reason="the gguf package (test extra) checks GGUF compatibility")
    from gguf import GGMLQuantizationType
    w = weights((16, 96))
    for fmt, kind in (("q8_0", GGMLQuantizationType.Q8_0), ("q4_0", GGMLQuantizationType.Q4_0)):
        ours = formats.quantize(fmt, w)
        theirs = quants.quantize(w, kind)
        assert ours == theirs.tobytes(), fmt
        gguf_values = quants.dequantize(theirs, kind)
        assert np.array_equal(bits(gguf_values.astype(np.float32)), bits(formats.dequantize(fmt, ours, w.shape))), fmt


def test_gguf_file_tensor_imports_and_exports_without_loss(tmp_path):
    gguf = pytest.importorskip("gguf", reason="the gguf package (test extra) checks GGUF compatibility")
    w = weights((8, 64))
    blob = formats.quantize("q4_0", w)
    path = tmp_path / "m.gguf"
    writer = gguf.GGUFWriter(str(path), "sd1")
    writer.add_tensor("w", np.frombuffer(blob, np.uint8).reshape(8, -1), raw_shape=(8, 36), raw_dtype=gguf.GGMLQuantizationType.Q4_0)  # bytes per row
    writer.write_header_to_file(); writer.write_kv_data_to_file(); writer.write_tensors_to_file(); writer.close()
    tensor = gguf.GGUFReader(str(path)).tensors[0]
    imported = bytes(np.asarray(tensor.data).tobytes())
    assert imported == blob  # GGUF -> payload: the same bytes
    payload = parse(build(Payload(490, 3, {"unet/w": TensorEntry("unet/w", "q4_0", (8, 64), imported)})))
    assert payload.tensors["unet/w"].data == blob  # payload -> GGUF: the same bytes


def test_float16_dequantization_like_diffusers_differs_for_float32_records():
    """Why the spec says binary32: a float16 multiply (diffusers' GGUF path) loses bits a float32 record keeps."""
    w = weights((64, 256))
    blob = formats.quantize("q8_0", w)
    exact = formats.dequantize("q8_0", blob, w.shape)
    blocks = np.frombuffer(blob, np.uint8).reshape(-1, 34)
    half = (blocks[:, :2].copy().view(np.float16) * blocks[:, 2:].copy().view(np.int8).astype(np.float16)).reshape(w.shape)
    assert np.array_equal(half.view(np.uint16), formats.cast(exact, "float16").view(np.uint16))  # float16 records: same
    assert (half.astype(np.float32) != exact).mean() > 0.5  # float32 records: most values differ


# ---------------------------------------------------------------- the model record (extension type 2)
def small_payload() -> bytes:
    w = weights((4, 32))
    return build(Payload(490, 2, {"unet/w": TensorEntry("unet/w", "q8_0", (4, 32), formats.quantize("q8_0", w))}))


def record_with(ext: dict) -> dict:
    return {"model_id": 490, "prompt": "a fox", "height": 64, "width": 64, "seed": 1, "steps": 2, "guidance_scale": 7.5,
            "extensions": [ext]}


def model_ext(data: bytes, storage: str, **over) -> dict:
    ext = {"type": 2, "model_compressor": "q8_0", "storage": storage, "payload_sha256": sha256_hex(data), "payload_size": len(data)}
    if storage == "embedded":
        ext["data"] = base64.b64encode(data).decode()
    return {**ext, **over}


@pytest.mark.parametrize("storage", ["embedded", "referenced"])
def test_model_record_round_trips_and_kaitai_agrees(storage):
    from conformance.impls.kaitai_python.adapter import parse_with_kaitai
    from aigif_ref.grammar.aigif import parse_file
    data = small_payload()
    file = encode(record_with(model_ext(data, storage)))
    record = decode(file)
    assert encode(record) == file
    ext = record["extensions"][0]
    assert ext["must_understand"] is True and ext["payload_sha256"] == sha256_hex(data) and ext["payload_size"] == len(data)
    assert base64.b64decode(ext["data"]) == (data if storage == "embedded" else b"")
    assert parse_with_kaitai(file)["extensions"] == record["extensions"]


@pytest.mark.parametrize("change,code", [
    # a record no valid file can hold is a bad record (spec 10.1); readers give the file codes (test below)
    (lambda d: {"payload_sha256": "00" * 32}, "AIGIF_E_RECORD"),  # embedded bytes do not have the named sha256
    (lambda d: {"payload_size": len(d) + 1}, "AIGIF_E_RECORD"),
    (lambda d: {"model_compressor": 9}, "AIGIF_E_UNKNOWN_CODE"),
    (lambda d: {"storage": 2}, "AIGIF_E_UNKNOWN_CODE"),
    (lambda d: {"payload_size": 2**36 + 1}, "AIGIF_E_RECORD"),
])
def test_model_record_checks(change, code):
    data = small_payload()
    with pytest.raises(AigifError) as err:
        encode(record_with({**model_ext(data, "embedded"), **change(data)}))
    assert err.value.code == code


@pytest.mark.parametrize("tamper,code", [
    ("payload-byte", "AIGIF_E_EXTENSION"),  # sha256 no longer matches: the reference checks it (Kaitai cannot hash)
    ("referenced-trailing", "AIGIF_E_EXTENSION"),
    ("must-understand-0", "AIGIF_E_NONCANONICAL"),
])
def test_model_record_errors_on_reading(tamper, code):
    from conformance.impls.kaitai_python.adapter import parse_with_kaitai
    from aigif_ref.grammar.aigif import parse_file, with_crc
    from aigif_ref.grammar.primitives import encode_uvarint
    data = small_payload()
    storage = "referenced" if tamper == "referenced-trailing" else "embedded"
    good = parse_file(encode(record_with(model_ext(data, storage))))
    body = Model.build(good["extensions"][0], None)
    plain = encode({k: v for k, v in record_with({}).items() if k != "extensions"})
    plain = plain[:4] + bytes([Model.since.byte]) + plain[5:]  # a file with a model record has its version (spec 3)
    header = 2 << 1 | (tamper != "must-understand-0")
    if tamper == "payload-byte":
        body = body[:-1] + bytes([body[-1] ^ 1])
    if tamper == "referenced-trailing":
        body += b"x"
    file = with_crc(plain + encode_uvarint(header) + encode_uvarint(len(body)) + body)
    with pytest.raises(AigifError) as err:
        parse_file(file)
    assert err.value.code == code
    if tamper != "payload-byte":
        with pytest.raises(AigifError) as kaitai_err:
            parse_with_kaitai(file)
        assert kaitai_err.value.code == code


# ---------------------------------------------------------------- the loader
def test_referenced_payload_hash_size_and_missing(tmp_path):
    data = small_payload()
    record = decode(encode(record_with(model_ext(data, "referenced"))))
    with pytest.raises(AigifError) as err:
        loader.load_payload(record, [tmp_path])
    assert err.value.code == "AIGIF_E_PAYLOAD_MISSING"
    target = tmp_path / f"{sha256_hex(data)}.safetensors"
    target.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # same size, other bytes
    with pytest.raises(AigifError) as err:
        loader.load_payload(record, [tmp_path])
    assert err.value.code == "AIGIF_E_PAYLOAD_HASH"
    target.write_bytes(data + b"\0")
    with pytest.raises(AigifError) as err:
        loader.load_payload(record, [tmp_path])
    assert err.value.code == "AIGIF_E_PAYLOAD_HASH"
    target.write_bytes(data)
    assert loader.load_payload(record, [tmp_path]).tensors["unet/w"].data == parse(data).tensors["unet/w"].data


@pytest.fixture(scope="module")
def tiny_unet_payload(tiny_models):
    from aigif_ref.quant.quantizer import quantize_model
    return quantize_model(tiny_models["sd1"].path, 490, "q8_0")


def test_payload_matches_the_base_model(tiny_models, tiny_unet_payload):
    loader.check_against_base(tiny_unet_payload, tiny_models["sd1"].path)


@pytest.mark.parametrize("damage", ["shape", "missing", "extra"])
def test_shape_mismatch_is_refused(tiny_models, tiny_unet_payload, damage):
    tensors = dict(tiny_unet_payload.tensors)
    name = sorted(tensors)[0]
    entry = tensors[name]
    if damage == "shape":
        tensors[name] = TensorEntry(name, "f32", (1,) * len(entry.shape), formats.quantize("f32", np.zeros((1,) * len(entry.shape), np.float32)))
    elif damage == "missing":
        del tensors[name]
    else:
        tensors["unet/not_a_layer.weight"] = TensorEntry("unet/not_a_layer.weight", "f32", (1,), b"\0\0\0\0")
    with pytest.raises(AigifError) as err:
        loader.check_against_base(Payload(490, 2, tensors), tiny_models["sd1"].path)
    assert err.value.code == "AIGIF_E_PAYLOAD_SHAPE"


def test_payload_for_another_base_model_is_refused(tiny_unet_payload):
    data = build(tiny_unet_payload)
    record = decode(encode({**record_with(model_ext(data, "embedded")), "model_id": 491}))
    with pytest.raises(AigifError) as err:
        loader.load_payload(record)
    assert err.value.code == "AIGIF_E_PAYLOAD_SHAPE"


def test_quantize_keeps_and_mixes(tiny_models):
    from aigif_ref.quant.quantizer import quantize_model
    mixed = quantize_model(tiny_models["sd1"].path, 490, "mixed", keep=["unet/conv_in"])
    assert mixed.tensors["unet/conv_in.weight"].format == "q8_0"
    assert {e.format for e in mixed.tensors.values()} >= {"q4_0", "q8_0"}
    kept = quantize_model(tiny_models["sd1"].path, 490, "int8", keep=["unet/conv_in"])
    assert not formats.FORMATS[kept.tensors["unet/conv_in.weight"].format].quantized
    with pytest.raises(AigifError):
        quantize_model(tiny_models["sd1"].path, 490, "int8", keep=["unet/nope"])


def test_embedded_and_referenced_payloads_render_the_quantized_model(tmp_path, tiny_models, tiny_unet_payload, pinned_threads):
    from aigif_ref.regen.render import Renderer
    data = build(tiny_unet_payload)
    (tmp_path / f"{sha256_hex(data)}.safetensors").write_bytes(data)
    base = {"model_id": 490, "prompt": "a red fox", "height": 64, "width": 64, "seed": 42, "steps": 2, "guidance_scale": 7.5, "device": "CPU"}
    images = {}
    for storage in ("embedded", "referenced", None):
        record = decode(encode({**base, "extensions": [model_ext(data, storage)]} if storage else base))
        images[storage] = Renderer("cpu", payloads=[tmp_path]).render(record, decoded=True).rgb
    assert np.array_equal(images["embedded"], images["referenced"])
    assert not np.array_equal(images["embedded"], images[None])  # the payload's weights were used


def test_model_payload_ksy_reads_the_vectors():
    import shutil
    import subprocess
    from kaitaistruct import KaitaiStream
    from io import BytesIO
    root = Path(__file__).resolve().parents[1]
    if not shutil.which("node") or not (root / "tools" / "node_modules" / "kaitai-struct-compiler").is_dir():
        pytest.skip("needs node and the pinned Kaitai compiler (python tools/build_kaitai.py installs it)")
    out = subprocess.run(["node", str(root / "tools" / "ksc_compile.js"), str(root / "spec" / "model_payload.ksy"), "python"],
                         capture_output=True, text=True, check=True).stdout
    namespace: dict = {}
    exec(next(iter(json.loads(out)["files"]["python"].values())), namespace)
    grammar = namespace["ModelPayload"]
    for case in (c for c in VALID if c["dtype"] == "float32"):
        data = (VECTORS / case["id"] / "payload.safetensors").read_bytes()
        parsed = grammar(KaitaiStream(BytesIO(data)))
        meta, raw = spec.read_payload(data)
        assert parsed.header_length + 8 + len(parsed.data) == len(data)
        for name, entry in meta["tensors"].items():
            if entry["format"] == "q8_0":
                block = grammar.Q80Block(KaitaiStream(BytesIO(raw[name][:34])))
                assert block.d_bits.to_bytes(2, "little") == raw[name][:2] and bytes(b & 0xFF for b in block.q) == raw[name][2:34]


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_encode_refuses_a_payload_that_is_not_a_regular_file(tmp_path, capsys, special):
    """--model-payload /dev/zero once read until memory ran out: only regular files are read, bounded."""
    from aigif_ref.cli import main as aigif_main

    CAT = Path(__file__).resolve().parents[1] / "examples" / "cat.json"

    if special == "fifo":
        special = tmp_path / "payload.safetensors"
        os.mkfifo(special)
        held = os.open(special, os.O_RDWR)  # a writer holds it open: a plain read would wait forever
        try:
            code = aigif_main(["encode", str(CAT), "-o", str(tmp_path / "x.aigif"), "--model-payload", str(special)])
        finally:
            os.close(held)
    else:
        code = aigif_main(["encode", str(CAT), "-o", str(tmp_path / "x.aigif"), "--model-payload", special])
    assert code != 0 and "AIGIF_E_IO" in capsys.readouterr().err and not (tmp_path / "x.aigif").exists()


def test_encode_reads_a_regular_payload_file(tmp_path):
    """read_bytes once asked read() for limit + 1 bytes at once: 64 GiB for a payload, a MemoryError on every file."""
    from aigif_ref.api import read_bytes
    from aigif_ref.cli import main as aigif_main
    payload = next(VECTORS.glob("mixed.float32/payload.safetensors"))
    assert read_bytes(payload, 1 << 40, "a model payload") == payload.read_bytes()
    cat = Path(__file__).resolve().parents[1] / "examples" / "cat.json"
    assert aigif_main(["encode", str(cat), "-o", str(tmp_path / "x.aigif"), "--model-payload", str(payload), "--embed-payload"]) == 0
    assert decode((tmp_path / "x.aigif").read_bytes())["extensions"][0]["payload_sha256"] == sha256_hex(payload.read_bytes())
