"""Golden vectors of quantized models (spec/quantized.md): run `python vectors/quantized/generate.py`.

Writes the `quantized` conformance level (spec/conformance.md): vectors/levels/quantized.txt and vectors/quantized/:
  NAME.DTYPE/payload.safetensors     a payload (the same bytes for each of the three dtypes)
  NAME.DTYPE/expected.safetensors    every tensor dequantized (spec/quantized.md 4) and cast to DTYPE, as F32/F16/BF16
  invalid-NAME/payload.safetensors   a payload every decoder must refuse
  */test.json                        the case: valid, expected_error, dtype, sha256 of its files
  manifest.json                      every case's id and payload sha256 (conformance/schema/manifest.schema.json)
Payloads are built by the reference writer (aigif_ref.quant.payload.build) from hand-chosen integers and
scales, so the edge values (zero blocks, -128/127, nibbles 0 and 15, negative zero, subnormal scales) are
exactly the ones named. tests/test_quantized.py regenerates and compares, and checks the expected values
against an independent implementation written from the spec text.
"""
from __future__ import annotations

import hashlib
import json
import struct
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from aigif_ref.quant.payload import Payload, TensorEntry, build  # noqa: E402
from aigif_ref.quant.tensorfile import dequantized_file  # noqa: E402

OUT = Path(__file__).resolve().parent
LEVEL = ROOT / "vectors" / "levels" / "quantized.txt"
SUITE, SUITE_VERSION, SPEC_VERSION = "aigif-quantized-vectors", "1.0.0", "1.1"
DTYPES = ("float32", "float16", "bfloat16")
BASE = 490  # aigif-tiny-sd15; dequantization cases do not need its weights


def f16(values) -> bytes:
    return np.asarray(values, dtype="<f2").tobytes()


def f16_bits(bits) -> bytes:
    return np.asarray(bits, dtype="<u2").tobytes()


def q8_block(scale_bits: int, q) -> bytes:
    return f16_bits([scale_bits]) + np.asarray(q, dtype=np.int8).tobytes()


def q4_block(scale_bits: int, codes) -> bytes:
    codes = np.asarray(codes, dtype=np.uint8)
    return f16_bits([scale_bits]) + (codes[:16] | (codes[16:] << 4)).astype(np.uint8).tobytes()


RAMP = list(range(-128, 128))  # every int8
FULL_Q8 = [RAMP[i:i + 32] for i in range(0, 256, 32)]  # 8 blocks holding -128..127
NIBBLES = list(range(16)) * 2


def dequantize_cases() -> dict[str, tuple[str, Payload]]:
    t = {}
    # q8_0: every int8 under ordinary, negative, subnormal, smallest/largest, negative-zero and zero scales
    scales = {"one": 0x3C00, "minus-half": 0xB800, "subnormal-min": 0x0001, "subnormal-max": 0x03FF,
              "normal-min": 0x0400, "max-65504": 0x7BFF, "zero": 0x0000, "negative-zero": 0x8000, "third": 0x3555}
    for label, bits in scales.items():
        blob = b"".join(q8_block(bits, block) for block in FULL_Q8)
        t[f"q8_0-scale-{label}"] = (f"q8_0: every int8 -128..127 (8 blocks) with scale bits {bits:#06x}", [("unet/w", "q8_0", (8, 32), blob)])
    for label, bits in scales.items():
        blob = q4_block(bits, NIBBLES)
        t[f"q4_0-scale-{label}"] = (f"q4_0: every nibble 0..15 twice (low nibbles 0..15, high nibbles 0..15) with scale bits {bits:#06x}",
                                    [("unet/w", "q4_0", (32,), blob)])
    t["q4_0-nibble-order"] = ("q4_0: byte j holds element j (low nibble) and j+16 (high): codes 0..15 then 15..0",
                              [("unet/w", "q4_0", (1, 32), q4_block(0x3C00, list(range(16)) + list(range(15, -1, -1))))])
    t["q8_0-zero-blocks"] = ("q8_0: a zero scale with nonzero integers and a scale with all-zero integers",
                             [("unet/w", "q8_0", (2, 32), q8_block(0x0000, [5] * 32) + q8_block(0x3C00, [0] * 32))])
    t["q8_0-multi-dim"] = ("q8_0 over a 3x3 convolution weight [2, 16, 3, 3]: blocks run over C-order elements, not rows",
                           [("unet/w", "q8_0", (2, 16, 3, 3), b"".join(q8_block(0x2E66 + i, FULL_Q8[i % 8]) for i in range(9)))])
    # int8: binary32 scales per output channel, including rounding of the product and subnormals
    scales32 = np.array([1.0, -0.0, 0.1, 3.4028234663852886e38 / 128, 1e-45, 1.17549435e-38, 0.0, 1 / 3], dtype="<f4")
    t["int8-rows"] = ("int8: rows of every int8 value, scales 1, -0.0, 0.1 (rounded products), near the float32 maximum "
                      "(-128 x s overflows float16), the smallest subnormal, the smallest normal, 0, 1/3",
                      [("unet/w", "int8", (8, 256), scales32.tobytes() + np.tile(np.arange(-128, 128, dtype=np.int8), 8).tobytes())])
    # floats, and a mixed payload naming each tensor's format
    t["floats"] = ("f32, f16 and bf16 tensors: exact widening, then the casts (f32 values that round in float16 and bfloat16)",
                   [("unet/a", "f32", (4,), np.array([1 + 2**-11, 65520.0, -1e-8, 2**-24 * 1.5], dtype="<f4").tobytes()),
                    ("unet/b", "f16", (3,), f16([0.1, -0.0, 65504])),
                    ("unet/c", "bf16", (2,), f16_bits([0x3F80, 0x8001]))])
    t["mixed"] = ("mixed: one tensor each in int8, q8_0, q4_0 and f16, named by the payload's tensor table",
                  [("unet/i", "int8", (2, 32), np.array([0.5, 0.25], dtype="<f4").tobytes() + np.arange(-32, 32, dtype=np.int8).tobytes()),
                   ("unet/q8", "q8_0", (32,), q8_block(0x3800, FULL_Q8[3])),
                   ("unet/q4", "q4_0", (32,), q4_block(0xBC00, NIBBLES)),
                   ("unet/h", "f16", (2,), f16([1.5, -2.0]))])
    compressor_of = {"q8_0": 2, "q4_0": 3, "int8": 1, "floats": 0, "mixed": 4}
    out = {}
    for name, (what, tensors) in t.items():
        key = next(k for k in compressor_of if name.startswith(k))
        out[name] = (what, Payload(BASE, compressor_of[key], {n: TensorEntry(n, f, s, d) for n, f, s, d in tensors}))
    return out


def _header_edit(payload: bytes, edit) -> bytes:
    """A payload whose JSON header was changed by edit(header dict) (rewritten compactly, re-padded)."""
    (length,) = struct.unpack_from("<Q", payload)
    header = json.loads(payload[8:8 + length])
    edit(header)
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + payload[8 + length:]


def _meta_edit(edit):
    def apply(header):
        meta = json.loads(header["__metadata__"]["aigif.model_payload"])
        edit(meta)
        header["__metadata__"]["aigif.model_payload"] = json.dumps(meta, sort_keys=True, separators=(",", ":"))
    return apply


def _shift_second(header):
    """Move the second tensor (in data order) one byte back: it overlaps the first."""
    spans = sorted((v["data_offsets"], k) for k, v in header.items() if k != "__metadata__")
    (begin, end), name = spans[1]
    header[name]["data_offsets"] = [begin - 1, end - 1]


def invalid_cases(good: bytes, two: bytes) -> dict[str, tuple[str, bytes, str]]:
    nan_scale = build(Payload(BASE, 2, {"unet/w": TensorEntry("unet/w", "q8_0", (32,), q8_block(0x7E00, [1] * 32))}))
    inf_scale = build(Payload(BASE, 3, {"unet/w": TensorEntry("unet/w", "q4_0", (32,), q4_block(0x7C00, NIBBLES))}))
    inf32 = build(Payload(BASE, 1, {"unet/w": TensorEntry("unet/w", "int8", (1, 4), np.array([np.inf], "<f4").tobytes() + bytes(4))}))
    (length,) = struct.unpack_from("<Q", good)
    return {
        "truncated-length": ("only 5 bytes: the header length is cut", good[:5], "AIGIF_E_TRUNCATED"),
        "truncated-header": ("the file ends inside its JSON header", good[:8 + length // 2], "AIGIF_E_TRUNCATED"),
        "truncated-data": ("the last tensor's data is cut by one byte", good[:-1], "AIGIF_E_TRUNCATED"),
        "trailing-bytes": ("one byte after the last tensor", good + b"\0", "AIGIF_E_PAYLOAD"),
        "header-too-large": ("a header length of 2**40", struct.pack("<Q", 1 << 40) + good[8:], "AIGIF_E_LIMIT"),
        "header-not-json": ("the header is not JSON", struct.pack("<Q", 8) + b"{not js}" + good[8 + length:], "AIGIF_E_PAYLOAD"),
        "bad-block-count": ("a q8_0 tensor of logical shape [8, 32] declared [8, 33]: 8.25 blocks",
                            _header_edit(good, _meta_edit(lambda m: m["tensors"]["unet/w"].update(shape=[8, 33]))), "AIGIF_E_PAYLOAD"),
        "stored-size-mismatch": ("the table says [7, 32] (7 blocks) while 8 blocks are stored",
                                 _header_edit(good, _meta_edit(lambda m: m["tensors"]["unet/w"].update(shape=[7, 32]))), "AIGIF_E_PAYLOAD"),
        "nan-scale": ("a q8_0 block whose binary16 scale is NaN (0x7e00)", nan_scale, "AIGIF_E_PAYLOAD_SCALE"),
        "inf-scale": ("a q4_0 block whose binary16 scale is +infinity (0x7c00)", inf_scale, "AIGIF_E_PAYLOAD_SCALE"),
        "int8-inf-scale": ("an int8 row whose binary32 scale is +infinity", inf32, "AIGIF_E_PAYLOAD_SCALE"),
        "unknown-compressor": ("model compressor 99", _header_edit(good, _meta_edit(lambda m: m.update(model_compressor=99))),
                               "AIGIF_E_UNKNOWN_CODE"),
        "unknown-format": ("a tensor in format q5_0", _header_edit(good, _meta_edit(lambda m: m["tensors"]["unet/w"].update(format="q5_0"))),
                           "AIGIF_E_UNKNOWN_CODE"),
        "format-not-allowed": ("compressor q4_0 with a q8_0 tensor", _header_edit(good, _meta_edit(lambda m: m.update(model_compressor=3))),
                               "AIGIF_E_PAYLOAD"),
        "no-metadata": ("a plain safetensors file (no aigif.model_payload)", _header_edit(good, lambda h: h.pop("__metadata__")),
                        "AIGIF_E_PAYLOAD"),
        "overlapping-tensors": ("the second tensor's data starts one byte before the first one ends",
                                _header_edit(two, _shift_second), "AIGIF_E_PAYLOAD"),
    }


def write_case(out: Path, case_id: str, description: str, payload: bytes, dtype: str, error: str | None) -> dict:
    """One case folder: payload.safetensors, expected.safetensors (valid cases), test.json."""
    folder = out / case_id
    folder.mkdir(parents=True, exist_ok=True)
    files = {"payload.safetensors": payload}
    if error is None:
        files["expected.safetensors"] = dequantized_file(payload, dtype)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    test = {"id": case_id, "level": "quantized", "description": description, "valid": error is None, "expected_error": error,
            "dtype": dtype, "generator": "vectors/quantized/generate.py",
            "how": "payload built by aigif_ref.quant.payload.build from hand-chosen integers and scales"
                   + ("; expected.safetensors = every tensor dequantized (spec/quantized.md 4) and cast to dtype, by the reference, "
                      "checked against tests/independent_dequant.py" if error is None else ""),
            "files": {name: hashlib.sha256(content).hexdigest() for name, content in sorted(files.items())}}
    (folder / "test.json").write_text(json.dumps(test, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return {"id": case_id, "sha256": test["files"]["payload.safetensors"], "valid": error is None, "expected_error": error, "dtype": dtype}


def generate(out: Path = OUT, level_file: Path | None = LEVEL) -> dict:
    manifest = {"suite": SUITE, "version": SUITE_VERSION, "spec_version": SPEC_VERSION, "about": __doc__.splitlines()[0],
                "generator": "vectors/quantized/generate.py", "cases": []}
    cases = dequantize_cases()
    for name, (what, payload) in cases.items():
        data = build(payload)
        for dtype in DTYPES:
            manifest["cases"].append(write_case(out, f"{name}.{dtype}", f"{what}; cast to {dtype}", data, dtype, None))
    good = build(cases["q8_0-scale-one"][1])
    for name, (what, data, code) in invalid_cases(good, build(cases["mixed"][1])).items():
        manifest["cases"].append(write_case(out, f"invalid-{name}", what, data, "float32", code))
    manifest["cases"].sort(key=lambda c: c["id"])
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    if level_file is not None:
        level_file.write_text("".join(f"{c['id']}\n" for c in manifest["cases"]), encoding="utf-8")
    return manifest


if __name__ == "__main__":
    m = generate()
    valid = sum(c["valid"] for c in m["cases"])
    print(f"wrote {valid} dequantization and {len(m['cases']) - valid} invalid cases to {OUT.relative_to(ROOT)} "
          f"and {LEVEL.relative_to(ROOT)}")
