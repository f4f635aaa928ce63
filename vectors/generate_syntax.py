#!/usr/bin/env python3
"""Generate the golden syntax vectors: vectors/syntax/ and vectors/levels/{parse,build}.txt.

    python vectors/generate_syntax.py           # rewrite the vectors (stale case folders are deleted)
    python vectors/generate_syntax.py --check   # regenerate into a temp dir; exit 1 listing files that differ

Valid cases are encoded from JSON records by the reference encoder. Invalid cases
are made from those valid encodings by byte surgery that introduces exactly one
defect: the CRC is recomputed after every edit unless the case is about the CRC.
Each invalid case states its expected error code here; the generator refuses to
write anything if the reference decoder (aigif_ref.api.decode) disagrees.
Output is deterministic: no timestamps, sorted JSON keys, fixed inputs.
"""
from __future__ import annotations

import argparse
import base64
import filecmp
import hashlib
import io
import json
import shutil
import struct
import sys
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # runnable as a plain script from a checkout
    sys.path.insert(0, str(ROOT))

from aigif_ref.api import decode, encode  # noqa: E402
from aigif_ref.codecs.text import ZLIB_CODE  # noqa: E402
from aigif_ref.codecs.phrase_huffman import END, PhraseHuffmanModel, default_model  # noqa: E402
from aigif_ref.errors import AigifError  # noqa: E402
from aigif_ref.grammar import limits  # noqa: E402
from aigif_ref.codecs.png import encode_png_rgb8  # noqa: E402
from aigif_ref.grammar.aigif import build_file, parse_file, with_crc  # noqa: E402
from aigif_ref.grammar.fields import GROUPS, PRESENCE_BITS  # noqa: E402
from aigif_ref.grammar.primitives import encode_exp_code, encode_uvarint, read_exp_code, read_uvarint  # noqa: E402
from aigif_ref.record import dumps  # noqa: E402
from aigif_ref.registry import DEFAULT_REGISTRY, Registry, default_registry, load_registry  # noqa: E402

GENERATOR = "vectors/generate_syntax.py"
# major: cases changed meaning (zlib streams other than level 9 became valid in spec 1.1)
SUITE = {"suite": "aigif-syntax-vectors", "version": "2.0.0", "spec_version": "1.1"}
TEST_REGISTRY_NAME = "registry-test.json"
TEST_REGISTRY_PATH = f"vectors/syntax/{TEST_REGISTRY_NAME}"
# GPU codes the test registry adds: exp-code boundaries (1 byte max, 2 bytes min/max, 3 bytes, long, longest).
TEST_GPU_CODES = (254, 255, 509, 510, 5000, 255 * (limits.MAX_EXP_CODE_BYTES - 1) + 254)
LEVEL_FILES = ("parse.txt", "build.txt")
_F32 = struct.Struct("<f")


def json_text(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- where each field of a valid file lies (to aim the surgery) ------------------------------------

def _read_cfloat_bytes(stream) -> None:
    if read_uvarint(stream, "cfloat") == 1:
        stream.read(4)


_WIRE_READERS: dict[str, Callable[[Any], Any]] = {
    "uvarint": lambda s: read_uvarint(s, "uvarint"),
    "cfloat": _read_cfloat_bytes,
    "bool": lambda s: s.read(1),
    "enum": lambda s: read_exp_code(s, "enum"),
    "pair": lambda s: [read_uvarint(s, "pair") for _ in range(2)],
    "version": lambda s: [read_uvarint(s, "version") for _ in range(3)],
}


def field_spans(data: bytes) -> dict[str, tuple[int, int]]:
    """Byte range [start, end) of every field of a valid file, in stream order.

    Names: top-level fields ("steps"), "text_compressor" / "text_length" / "text_bytes",
    "<group>.bitmap" and "<group>.<field>", "ext<i>.header" / ".length" / ".body".
    """
    stream = io.BytesIO(data)
    stream.seek(limits.HEADER_SIZE)
    spans: dict[str, tuple[int, int]] = {}

    def mark(name: str, read: Callable[[Any], Any]) -> Any:
        start = stream.tell()
        value = read(stream)
        spans[name] = (start, stream.tell())
        return value

    uvarint = _WIRE_READERS["uvarint"]
    exp = _WIRE_READERS["enum"]
    presence = mark("presence", uvarint)
    present = {name: presence >> bit & 1 for name, bit in PRESENCE_BITS.items()}
    mark("model_id", exp)
    for name in ("dtype", "scheduler"):
        if present[name]:
            mark(name, exp)
    for name, read in (("steps", uvarint), ("guidance_scale", _read_cfloat_bytes), ("seed", uvarint),
                       ("height", uvarint), ("width", uvarint), ("text_compressor", exp)):
        mark(name, read)
    length = mark("text_length", uvarint)
    mark("text_bytes", lambda s: s.read(length))
    for name in ("device", "gpu", "cuda"):
        if present[name]:
            mark(name, exp)
    for group, specs in GROUPS.items():
        if present[group]:
            bitmap = mark(f"{group}.bitmap", uvarint)
            for spec in specs:
                if bitmap >> spec.bit & 1:
                    mark(f"{group}.{spec.name}", _WIRE_READERS[spec.wire])
    index = 0
    while stream.tell() < len(data):
        mark(f"ext{index}.header", uvarint)
        size = mark(f"ext{index}.length", uvarint)
        mark(f"ext{index}.body", lambda s: s.read(size))
        index += 1
    assert stream.tell() == len(data), "field_spans walked past the end"
    return spans


def _show(data: bytes) -> str:
    return data.hex(" ") if len(data) <= 12 else f"{data[:6].hex(' ')} ... ({len(data)} bytes)"


class Surgery:
    """Edits on a copy of a valid encoding; each edit is logged for test.json's "how".

    Positions refer to the original file, so edits that change lengths are applied
    from the end of the file towards its start.
    """

    def __init__(self, source: "Case") -> None:
        self.data = bytearray(source.data)
        self.spans = field_spans(source.data)
        self.steps = [f"encode({source.id})"]
        self.stale_crc: str | None = None  # why the CRC is left as it was, for CRC cases

    def at(self, name: str) -> tuple[int, int]:
        return self.spans[name]

    def start(self, name: str) -> int:
        return self.spans[name][0]

    def replace(self, target: str | tuple[int, int], new: bytes, what: str | None = None) -> "Surgery":
        start, end = self.spans[target] if isinstance(target, str) else target
        where = f"byte {start}" if end - start == 1 else f"bytes {start}..{end - 1}"
        label = f"{target} ({where})" if isinstance(target, str) else where
        old = bytes(self.data[start:end])
        self.data[start:end] = new
        self.steps.append(f"{label} {_show(old) or '(empty)'} replaced by {what or _show(new)}")
        return self

    def replace_sized(self, prefix: str, new: bytes, what: str) -> int:
        """Replace the body of a length-prefixed block (prefix "text" or "ext<i>") and fix its length.

        Returns where the new body starts (the length uvarint may change size).
        """
        body, length = f"{prefix}_bytes" if prefix == "text" else f"{prefix}.body", \
            f"{prefix}_length" if prefix == "text" else f"{prefix}.length"
        self.replace(body, new, what)
        self.replace(length, encode_uvarint(len(new)), f"{_show(encode_uvarint(len(new)))} ({len(new)})")
        return self.start(length) + len(encode_uvarint(len(new)))

    def insert(self, pos: int, new: bytes, what: str) -> "Surgery":
        self.data[pos:pos] = new
        self.steps.append(f"{_show(new)} inserted at byte {pos} ({what})")
        return self

    def append(self, new: bytes, what: str) -> "Surgery":
        self.data += new
        self.steps.append(f"{_show(new)} appended ({what})")
        return self

    def truncate(self, pos: int, where: str) -> "Surgery":
        del self.data[pos:]
        self.steps.append(f"truncated to {pos} bytes ({where})")
        return self

    def cut_inside(self, name: str, keep: int = 1) -> "Surgery":
        """End the file `keep` bytes into field `name` (0 when the field is one byte long)."""
        start, end = self.spans[name]
        keep = min(keep, end - start - 1)
        where = f"{keep} byte(s) into" if keep else "where it reaches"
        return self.truncate(start + keep, f"ends {where} {name}, a field of {end - start} byte(s)")

    def keep_crc(self, why: str) -> "Surgery":
        self.stale_crc = why
        return self

    def done(self) -> tuple[bytes, str]:
        """(bytes, "how" line); the CRC is recomputed unless keep_crc() was called."""
        data = bytes(self.data)
        if len(data) < limits.HEADER_SIZE:
            note = "no CRC field left"
        elif self.stale_crc is None:
            data, note = with_crc(data), "CRC recomputed"
        else:
            note = f"CRC left stale ({self.stale_crc})"
        return data, "; ".join([*self.steps, note])


# -- cases --------------------------------------------------------------------------------------

@dataclass
class Case:
    id: str
    description: str
    features: list[str]
    data: bytes
    how: str
    valid: bool
    expected_error: str | None = None
    expected_offset: int | None = None
    registry: str | None = None  # repository path of a registry other than the shipped one
    record: dict[str, Any] | None = None  # decoded canonical record (valid cases)
    reencodes: bool = True  # valid case whose record re-encodes to the same bytes


def record_of(**fields: Any) -> dict[str, Any]:
    """A record with the minimal file's values, overridden by `fields`."""
    base = {"model_id": 0, "steps": 1, "guidance_scale": 0.0, "seed": 0, "height": 8, "width": 8,
            "prompt": "", "text_compressor": 0}
    base.update(fields)
    return base


def tiny_png(height: int, width: int) -> bytes:
    """A valid RGB PNG with a gradient; stored deflate, so no zlib version shows in the bytes."""
    rgb = bytes((x * 32 + y * 4) % 256 for y in range(height) for x in range(width) for _ in range(3))
    return encode_png_rgb8(width, height, rgb)


def raw_pixels(height: int, width: int) -> bytes:
    return bytes((x * 29 + y * 7 + c * 85) % 256 for y in range(height) for x in range(width) for c in range(3))


# raw_pixels(8, 8) as a lossless JPEG XL codestream, written once by pillow-jxl-plugin 1.3.8
# (Image.save(format="JXL", lossless=True)) and kept as bytes so the vectors do not depend on a libjxl version.
JXL_8X8 = bytes.fromhex(
    "ff0a414024080001004c034b3840c52b7bc4a1307dd1f8b2c2782928282895125130e206218631101dad586c086363f06ec5"
    "18231a634860638c88c102b13178410c9e117d810002b4b51300b41b668b5ab484c1a256bde31be8bd20422f7a3b7555e4e5"
    "364591bcd5154532a14f14490f23b151c428a1aa2a9b5955aa5246b095aa142075a52a5581507a5632c49e95cf8067e50944"
    "89b7e287014a389010e23d4d8440a517a2f2fb3706a332861742a33206e39bbf3206a368fade97d528e010fb675c26b82b08"
    "e26cf0629520bff4980239cff4610911e30544405810")


def pixel_digest(height: int, width: int) -> bytes:
    """Digest algorithm 0 of raw_pixels(height, width), computed from its definition (spec 9.3)."""
    rgb = raw_pixels(height, width)
    signature = bytearray()
    bh, bw = height // 8, width // 8
    for gy in range(8):
        for gx in range(8):
            total = sum(77 * rgb[i] + 150 * rgb[i + 1] + 29 * rgb[i + 2]
                        for y in range(gy * bh, (gy + 1) * bh) for x in range(gx * bw, (gx + 1) * bw)
                        for i in [(y * width + x) * 3])
            n = bh * bw
            signature.append((total + 128 * n) // (256 * n))
    return hashlib.sha256(rgb).digest() + bytes(signature)


def huffman_block(model: PhraseHuffmanModel, strings: list[list[int]]) -> tuple[bytes, int]:
    """(block, padding bits) for the given symbols of each string, END appended to each.

    Lets a case write a token sequence the encoder never would (e.g. literals where a phrase matches).
    """
    bits = "".join(format(model.codes[sym], f"0{model.code_lengths[sym]}b") for syms in strings for sym in [*syms, END])
    pad = -len(bits) % 8
    return int(bits + "0" * pad, 2).to_bytes((len(bits) + pad) // 8, "big"), pad


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def registry_test_data() -> dict[str, Any]:
    """registry.json plus GPU entries at the exp-code boundaries (vectors only)."""
    data = json.loads(DEFAULT_REGISTRY.read_text(encoding="utf-8"))
    gpus = data["enumerations"]["gpus"]
    assert not {e["code"] for e in gpus} & set(TEST_GPU_CODES), "test GPU codes collide with the registry"
    gpus += [{"code": code, "name": f"test-gpu-{code}", "status": "test"} for code in TEST_GPU_CODES]
    return data


PH_PROMPT = "a photo of a cat, highly detailed"
LONG_PROMPT = ("a photograph of an astronaut riding a horse on the moon, highly detailed, dramatic lighting, "
               "volumetric fog, 35mm film grain, wide angle, golden hour, trending on artstation")

FULL_RECORD = {
    # Every presence bit set; many fields longer than one byte, so truncation can cut inside them.
    "model_id": 2, "dtype": 1, "scheduler": 4, "device": 1, "gpu": 6, "cuda": 3,
    "steps": 300, "guidance_scale": 100.0, "seed": 2**63, "height": 1024, "width": 1024,
    "prompt": LONG_PROMPT, "negative_prompt": "blurry, low quality", "text_compressor": 0,
    "params": {"clip_skip": 2, "original_size": [1024, 1024], "target_size": [1024, 1024],
               "crops_coords_top_left": [0, 0], "vae_tiling": True},
    "scheduler_config": {"timestep_spacing": 2, "use_karras_sigmas": True, "steps_offset": 1,
                         "beta_start": 0.00085, "beta_end": 0.012, "final_sigmas_type": 1},
    "platform": {"torch_version": "2.11.0", "diffusers_version": "0.42.1", "batch_size": 1},
    "extensions": [{"type": 1000, "must_understand": False, "data": b64(bytes(range(200)))}],
}


class Builder:
    """Collects cases; valid ones are encoded from records, invalid ones made by surgery on valid ones."""

    def __init__(self, registries: dict[str | None, Registry]) -> None:
        self.registries = registries
        self.cases: dict[str, Case] = {}

    def valid(self, case_id: str, description: str, features: list[str], record: dict[str, Any],
              registry: str | None = None) -> Case:
        data = encode(record, self.registries[registry])
        how = "aigif_ref.api.encode(record)" + (f" with {registry}" if registry else "")
        return self._add(Case(case_id, description, features, data, how, True, registry=registry))

    def valid_bytes(self, case_id: str, description: str, features: list[str], made: tuple[bytes, str],
                    reencodes: bool) -> Case:
        data, how = made
        return self._add(Case(case_id, description, features, data, how, True, reencodes=reencodes))

    def invalid(self, case_id: str, description: str, features: list[str], made: tuple[bytes, str],
                error: str, offset: int | None) -> Case:
        data, how = made
        return self._add(Case(case_id, description, features, data, how, False, error, offset))

    def _add(self, case: Case) -> Case:
        assert case.id not in self.cases, case.id
        assert case.id.startswith("valid-" if case.valid else "invalid-"), case.id
        self.cases[case.id] = case
        return case

    def cut(self, source: str) -> Surgery:
        return Surgery(self.cases[source])


def valid_cases(b: Builder, registry: Registry) -> None:
    b.valid("valid-minimal", "The smallest file: model 0, steps 1, guidance 0, seed 0, 8x8, empty prompt, every optional field absent.",
            ["minimal", "exp-code", "uvarint", "cfloat-compact", "text-none", "prompt-empty"], record_of())
    b.valid("valid-table1-example", "The paper's Table I example (SD 1.5, float16, DDIM, GPU, GTX 1080 Ti, cu121) with zlib text.",
            ["table1", "enum", "text-zlib", "negative-prompt"],
            {"model_id": 0, "dtype": 1, "scheduler": 0, "device": 1, "gpu": 1, "cuda": 1,
             "prompt": "A cute cat", "negative_prompt": "worst quality", "height": 1024, "width": 1024,
             "seed": 829557441, "steps": 25, "guidance_scale": 7.5, "text_compressor": 1})
    b.valid("valid-all-top-level-fields", "Every presence bit set: negative prompt, all zero-default enums, all three groups and an extension.",
            ["presence", "enum", "params", "scheduler_config", "platform", "extension", "negative-prompt"], FULL_RECORD)

    # Every code of every enumeration the body uses, several per file.
    enums = registry.data["enumerations"]
    group_enums = [(g, s.name, s.enum) for g, specs in GROUPS.items() for s in specs if s.wire == "enum"]
    top = {"dtype": "dtypes", "scheduler": "schedulers", "device": "devices", "gpu": "gpus", "cuda": "cuda_versions"}
    most = max(len(enums[e]) for e in [*top.values(), *(e for _, _, e in group_enums)])
    for code in range(most):
        record = record_of(model_id=code if code in registry.models else 0)
        for name, enum in top.items():
            if code in registry.enum(enum):
                record[name] = code
        for group, name, enum in group_enums:
            if code in registry.enum(enum):
                record.setdefault(group, {})[name] = code
        b.valid(f"valid-enum-codes-{code}", f"Code {code} of every registry enumeration (and model ID) that has it, top-level and in groups.",
                ["enum", "registry", *(g for g in GROUPS if g in record)], record)

    # Text block.
    b.valid("valid-text-zlib", "A prompt alone in a zlib (level 9) text block.", ["text-zlib"],
            record_of(prompt=LONG_PROMPT, text_compressor=1))
    b.valid("valid-negative-empty", "A negative prompt that is the empty string, not absent (presence bit 0 set).",
            ["negative-prompt", "text-none"], record_of(prompt="a cat", negative_prompt=""))
    b.valid("valid-negative-long", "A 2000-byte negative prompt next to a short prompt in a 'none' text block.",
            ["negative-prompt", "text-none", "uvarint"], record_of(prompt="a cat", negative_prompt=("ugly, blurry, " * 143)[:2000]))
    b.valid("valid-prompt-max-length", "A prompt of exactly 16384 UTF-8 bytes (the string limit) with text compressor 0.",
            ["limit", "text-none"], record_of(prompt="x" * limits.MAX_STRING_BYTES))
    b.valid("valid-text-max-both", "Prompt and negative prompt both at the 16384-byte limit in one 'none' text block.",
            ["limit", "text-none", "negative-prompt"],
            record_of(prompt="p" * limits.MAX_STRING_BYTES, negative_prompt="n" * limits.MAX_STRING_BYTES))
    for name, prompt, what in (
        ("cjk", "一只可爱的猫，水墨画风格", "CJK characters (3-byte UTF-8)"),
        ("emoji", "a cat 🐈 wearing a hat 🎩, 👩🏽‍🚀", "emoji (4-byte UTF-8, ZWJ sequence, skin tone modifier)"),
        ("combining", "cafe\u0301 e\u0301le\u0300ve Z\u0351\u0352\u0353", "combining characters, kept unnormalised"),
        ("nul", "before\u0000after", "a NUL byte inside it"),
    ):
        b.valid(f"valid-prompt-{name}", f"A prompt with {what}, stored as exact UTF-8 bytes.",
                ["utf8", "text-none"], record_of(prompt=prompt))

    for slug, fields, what in (
        ("prompt", {"prompt": PH_PROMPT}, "A typical prompt"),
        ("negative", {"prompt": PH_PROMPT, "negative_prompt": "blurry, low quality, worst quality"},
         "A prompt and a negative prompt"),
        ("empty", {"prompt": ""}, "An empty prompt (a lone END code)"),
        ("literals", {"prompt": "一只猫 🐈"}, "Non-ASCII text, coded as literal bytes"),
    ):
        b.valid(f"valid-text-phrase-huffman-{slug}", f"{what} in a phrase-Huffman v1 text block (text compressor 2).",
                ["text-phrase-huffman"], record_of(text_compressor=2, **fields))

    # Sizes, steps, seeds, guidance.
    b.valid("valid-size-steps-max", "Largest height and width (16384 px = 2048 units) and 1000 steps.",
            ["range", "uvarint"], record_of(height=16384, width=16384, steps=1000))
    for seed in (2**32 - 1, 2**32, 2**63, 2**64 - 1):
        b.valid(f"valid-seed-{seed}", f"Seed {seed} as a uvarint of {len(encode_uvarint(seed))} bytes.",
                ["seed", "uvarint"], record_of(seed=seed))
    for value in (15.75, 16.0, 4194303.75):
        b.valid(f"valid-guidance-compact-{value}", f"Guidance {value!r} in the compact form (even uvarint {len(encode_uvarint(int(value * 8)))} byte(s)).",
                ["cfloat-compact"], record_of(guidance_scale=value))
    for slug, value, why in (("0.1", 0.1, "not a multiple of 1/4"), ("minus-1.0", -1.0, "negative"),
                             ("minus-zero", -0.0, "negative zero"), ("float32-max", 3.4028234663852886e38, "the largest float32"),
                             ("denormal-min", 1e-45, "the smallest float32 denormal"),
                             ("4194304.0", 4194304.0, "2**22, the first value beyond the compact range")):
        b.valid(f"valid-guidance-raw-{slug}", f"Guidance {value!r} ({why}) as a raw float32 after u = 1.",
                ["cfloat-raw"], record_of(guidance_scale=value))

    # Groups: every field of every group.
    b.valid("valid-params-sd1", "Every params field of the SD 1.x family on model 0.", ["params", "cfloat-raw", "bool"],
            record_of(params={"clip_skip": 2, "eta": 0.3, "guidance_rescale": 0.7, "safety_checker": False,
                              "vae_tiling": True, "vae_upcast": True}))
    b.valid("valid-params-sdxl", "Every params field of the SDXL family (micro-conditioning pairs, denoising_end, watermarker) on model 2.",
            ["params", "pair", "bool"],
            record_of(model_id=2, height=1024, width=1024, params={
                "clip_skip": 1, "eta": 0.0, "guidance_rescale": 0.0, "original_size": [1024, 1024],
                "target_size": [1024, 1024], "crops_coords_top_left": [0, 0], "negative_original_size": [512, 512],
                "negative_target_size": [1024, 1024], "negative_crops_coords_top_left": [0, 127],
                "denoising_end": 0.8, "add_watermarker": False, "vae_tiling": False, "vae_upcast": True}))
    b.valid("valid-params-sdxl-refiner", "The refiner-only params (aesthetic scores, denoising_start) on model 3.",
            ["params", "cfloat-compact", "cfloat-raw"],
            record_of(model_id=3, height=1024, width=1024, params={
                "aesthetic_score": 6.0, "negative_aesthetic_score": 2.5, "denoising_start": 0.8}))
    b.valid("valid-params-flux", "Every params field of the FLUX family on model 6.", ["params"],
            record_of(model_id=6, height=1024, width=1024, guidance_scale=3.5, params={
                "max_sequence_length": 512, "true_cfg_scale": 1.0, "vae_tiling": True}))
    b.valid("valid-scheduler-config-all", "Every scheduler_config field in one group (bitmap of 20 bits).",
            ["scheduler_config", "bool", "cfloat-raw", "enum"],
            record_of(scheduler=4, scheduler_config={
                "timestep_spacing": 2, "use_karras_sigmas": True, "steps_offset": 1, "prediction_type": 1,
                "beta_schedule": 1, "beta_start": 0.00085, "beta_end": 0.012, "rescale_betas_zero_snr": True,
                "final_sigmas_type": 1, "algorithm_type": 0, "solver_order": 2, "use_exponential_sigmas": False,
                "use_beta_sigmas": False, "shift": 3.0, "use_dynamic_shifting": False, "clip_sample": False,
                "set_alpha_to_one": False, "lower_order_final": True, "euler_at_final": False, "thresholding": False}))
    b.valid("valid-platform-all", "Every platform field in one group, batch_index 3 of a batch of 4.",
            ["platform", "version", "bool", "enum"],
            record_of(platform={
                "torch_version": "2.11.0", "diffusers_version": "0.42.1", "transformers_version": "5.23.0",
                "matmul_tf32": False, "cudnn_tf32": False, "deterministic_algorithms": True, "cudnn_benchmark": False,
                "attention_backend": 1, "batch_size": 4, "batch_index": 3, "generator_device": 0, "num_threads": 16}))

    # Model IDs the per-code files above do not reach (the test models, 490..509).
    for model_id in sorted(m for m in registry.models if m >= most):
        b.valid(f"valid-model-id-{model_id}", f"Model ID {model_id} ({registry.models[model_id]['name']}), a "
                f"{len(encode_exp_code(model_id))}-byte exp code.", ["exp-code", "registry"], record_of(model_id=model_id))

    # Exp-code boundaries, on the gpu field of a vectors-only registry.
    for code in TEST_GPU_CODES:
        b.valid(f"valid-exp-code-{code}", f"An exp code of value {code} ({len(encode_exp_code(code))} byte(s)) in the gpu field; needs {TEST_REGISTRY_PATH}.",
                ["exp-code", "registry-test"], record_of(device=1, gpu=code), registry=TEST_REGISTRY_PATH)

    # Extensions.
    b.valid("valid-pixels-raw", "A pixels extension (type 1) with raw RGB8 data of 8x8x3 bytes.", ["extension", "pixels"],
            record_of(extensions=[{"type": 1, "pixel_compressor": 0, "data": b64(raw_pixels(8, 8))}]))
    b.valid("valid-pixels-png", "A pixels extension (type 1) holding a valid 8x8 RGB PNG.", ["extension", "pixels", "png"],
            record_of(extensions=[{"type": 1, "pixel_compressor": 1, "data": b64(tiny_png(8, 8))}]))
    b.valid("valid-pixels-jxl", "A pixels extension (type 1) holding a lossless 8x8 JPEG XL codestream.",
            ["extension", "pixels", "jxl"],
            record_of(extensions=[{"type": 1, "pixel_compressor": 2, "data": b64(JXL_8X8)}]))
    b.valid("valid-pixel-digest", "A pixel digest extension (type 3, algorithm 0) of the 8x8 raw_pixels image.",
            ["extension", "pixel-digest"],
            record_of(extensions=[{"type": 3, "digest_algorithm": 0, "data": b64(pixel_digest(8, 8))}]))
    b.valid("valid-pixels-and-digest", "Pixels (type 1, PNG) and their digest (type 3) in one file.",
            ["extension", "pixels", "png", "pixel-digest"],
            record_of(extensions=[{"type": 1, "pixel_compressor": 1, "data": b64(tiny_png(8, 8))},
                                  {"type": 3, "digest_algorithm": 0, "data": b64(pixel_digest(8, 8))}]))
    b.valid("valid-extension-unknown-5", "An unknown extension type 5 without must-understand: kept as bytes.",
            ["extension", "unknown-extension"],
            record_of(extensions=[{"type": 5, "must_understand": False, "data": b64(b"opaque extension body")}]))
    b.valid("valid-extension-unknown-1000-empty", "An unknown extension type 1000 (2-byte header) with an empty body.",
            ["extension", "unknown-extension"],
            record_of(extensions=[{"type": 1000, "must_understand": False, "data": ""}]))
    b.valid("valid-extension-type-2p62", "An unknown extension of type 2**62, whose header (type << 1) is a 10-byte uvarint.",
            ["extension", "unknown-extension", "uvarint"],
            record_of(extensions=[{"type": 2**62, "must_understand": False, "data": b64(b"x")}]))
    b.valid("valid-extensions-two", "Two extensions in increasing type order: pixels (1) then unknown type 1000.",
            ["extension", "pixels", "unknown-extension"],
            record_of(extensions=[{"type": 1, "pixel_compressor": 0, "data": b64(raw_pixels(8, 8))},
                                  {"type": 1000, "must_understand": False, "data": b64(b"\x00\x01\x02")}]))

    # A later minor version of major 1 is read; the encoder writes 1.0, so this one does not re-encode.
    s = b.cut("valid-minimal").replace((4, 5), bytes([limits.MAJOR_VERSION << 4 | 0x0F]), "1f (version 1.15)")
    b.valid_bytes("valid-future-minor-version", "Version byte 0x1F (1.15): a reader of 1.x accepts a later minor version.",
                  ["header", "version"], s.done(), reencodes=False)


def invalid_cases(b: Builder) -> None:
    T, E = "AIGIF_E_TRUNCATED", b.invalid

    # Header.
    minimal = b.cases["valid-minimal"].data
    E("invalid-empty-file", "A file of zero bytes.", ["header", "truncation"], (b"", "empty file"), T, 0)
    E("invalid-signature-prefix-only", "Only the first 3 bytes of the signature: a truncated header, not a foreign file.",
      ["header", "truncation"], (minimal[:3], "encode(valid-minimal) truncated to 3 bytes"), T, 3)
    s = b.cut("valid-minimal").truncate(8, "inside the CRC field")
    E("invalid-truncated-header", "Signature and version present but the file ends inside the CRC field.",
      ["header", "truncation"], s.done(), T, 8)
    s = b.cut("valid-minimal").replace((0, 4), b"\x89PNG", "89 50 4e 47 (a PNG signature)")
    E("invalid-signature", "A PNG signature instead of the AIGIF one.", ["header", "signature"], s.done(),
      "AIGIF_E_SIGNATURE", 0)
    E("invalid-signature-short", "Two bytes that are not a prefix of the signature.", ["header", "signature"],
      (b"GI", "the two bytes 47 49"), "AIGIF_E_SIGNATURE", 0)
    for major in (2, 0):
        s = b.cut("valid-minimal").replace((4, 5), bytes([major << 4]), f"{major << 4:02x} (version {major}.0)")
        E(f"invalid-version-major-{major}", f"Major version {major}, which this reader does not support.",
          ["header", "version"], s.done(), "AIGIF_E_VERSION", 4)
    E("invalid-version-major-2-short", "Signature and a version 2.0 byte only: the version is checked before the header length.",
      ["header", "version", "order"], (limits.SIGNATURE + b"\x20", "the signature and version byte 20"), "AIGIF_E_VERSION", 4)

    # Truncation inside every field (CRC recomputed so only the length is wrong).
    s = b.cut("valid-minimal").truncate(limits.HEADER_SIZE, "no body at all")
    E("invalid-truncated-body-empty", "A complete header and no body.", ["truncation"], s.done(), T, 9)
    full = "valid-all-top-level-fields"
    for name in ("presence", "dtype", "scheduler", "steps", "guidance_scale", "seed", "height", "width",
                 "text_compressor", "text_length", "text_bytes", "device", "gpu", "cuda",
                 "params.bitmap", "params.original_size", "scheduler_config.bitmap", "scheduler_config.beta_start",
                 "platform.bitmap", "platform.torch_version", "ext0.header", "ext0.length", "ext0.body"):
        s = b.cut(full)
        start, end = s.at(name)
        keep = 2 if name == "scheduler_config.beta_start" else 1  # inside the raw float32, past its u
        s.cut_inside(name, keep)
        data, how = s.done()
        slug = name.replace(".", "-").replace("_", "-")
        E(f"invalid-truncated-{slug}", f"The file ends inside {name}, a field of {end - start} byte(s).", ["truncation"],
          (data, how), T, len(data))
    s = b.cut("valid-guidance-raw-0.1").cut_inside("guidance_scale", 3)
    E("invalid-truncated-guidance-raw", "The file ends inside the raw float32 of the guidance scale.",
      ["truncation", "cfloat-raw"], s.done(), T, s.start("guidance_scale") + 3)
    s = b.cut("valid-pixels-raw")
    at = s.replace_sized("ext0", b"", "nothing (an empty body)")
    E("invalid-truncated-pixels-body-empty", "A pixels extension whose body is empty: it ends before its pixel compressor code.",
      ["truncation", "extension", "pixels"], s.done(), T, at)
    s = b.cut("valid-minimal")
    s.truncate(s.start("model_id"), "before model_id").append(b"\xff", "the first byte of a 2-byte exp code")
    E("invalid-truncated-model-id-exp-code", "The file ends after a 0xFF byte of the model ID's exp code.",
      ["truncation", "exp-code"], s.done(), T, s.start("model_id") + 1)
    s = b.cut("valid-table1-example")
    s.replace("text_length", encode_uvarint(100), "64 (a zlib block of 100 bytes)")
    data, how = s.done()
    E("invalid-truncated-zlib-block", "The text block length says 100 bytes but the file ends sooner.",
      ["truncation", "text-zlib"], (data, how), T, len(data))
    s = b.cut("valid-negative-empty")
    s.replace("text_bytes", encode_uvarint(9) + b"a cat", "09 61 20 63 61 74 (prompt length 9 but 5 bytes follow)")
    E("invalid-text-prompt-length-overrun", "Inside a 'none' text block, the prompt length runs past the end of the block.",
      ["truncation", "text-none", "negative-prompt"], s.done(), T, s.start("text_bytes"))

    s = b.cut("valid-negative-empty")
    at = s.start("text_bytes")
    s.replace((at, at + 1), b"\x85\x00", "85 00 (over-long prompt length 5)")
    s.replace("text_length", encode_uvarint(7), "07 (7)")
    E("invalid-noncanonical-prompt-length-overlong", "Inside a 'none' text block, the prompt length 5 written as the over-long uvarint 85 00.",
      ["uvarint", "text-none", "negative-prompt"], s.done(), "AIGIF_E_NONCANONICAL", at)

    # CRC.
    s = b.cut("valid-minimal").replace((5, 6), bytes([minimal[5] ^ 1]), f"{minimal[5] ^ 1:02x} (lowest bit flipped)")
    E("invalid-crc-bit-flip", "One bit of the stored CRC-32 flipped.", ["crc"], s.keep_crc("the defect").done(),
      "AIGIF_E_CRC", 5)
    s = b.cut(full)
    pos = s.start("text_bytes") + len(encode_uvarint(len(LONG_PROMPT))) + LONG_PROMPT.index("horse")
    s.replace((pos, pos + 1), b"m", "6d ('h' of 'horse' -> 'm')")
    E("invalid-crc-prompt-byte", "One prompt byte changed (still valid UTF-8) without updating the CRC.",
      ["crc", "text-none"], s.keep_crc("the defect").done(), "AIGIF_E_CRC", 5)
    s = b.cut("valid-minimal").replace((4, 5), b"\x11", "11 (version 1.1)")
    E("invalid-crc-version-byte", "The minor version changed to 1.1 without updating the CRC (the CRC covers byte 4).",
      ["crc", "header"], s.keep_crc("the defect").done(), "AIGIF_E_CRC", 5)

    s = b.cut("valid-extension-unknown-5")
    s.truncate(s.start("ext0.header"), "exactly where the extension records begin").keep_crc("the only trace of the cut")
    E("invalid-crc-cut-before-extensions", "A file cut exactly before its extension record parses completely; only the CRC catches it.",
      ["crc", "truncation", "extension"], s.done(), "AIGIF_E_CRC", 5)

    # Canonical form.
    N = "AIGIF_E_NONCANONICAL"
    s = b.cut("valid-minimal").replace("presence", b"\x80\x00", "80 00 (over-long 0)")
    E("invalid-noncanonical-presence-overlong", "The presence bitmap 0 written as the over-long uvarint 80 00.",
      ["uvarint", "presence"], s.done(), N, 9)
    s = b.cut("valid-table1-example").replace("steps", b"\x99\x00", "99 00 (over-long 25)")
    E("invalid-noncanonical-steps-overlong", "Steps 25 written as the over-long uvarint 99 00.", ["uvarint"], s.done(),
      N, s.start("steps"))
    s = b.cut("valid-minimal").replace("steps", b"\x80\x00", "80 00 (over-long 0)")
    E("invalid-noncanonical-steps-overlong-zero", "Steps written 80 00: over-long and out of range, and the canonical-form check comes first.",
      ["uvarint", "order-of-checks"], s.done(), N, s.start("steps"))
    s = b.cut("valid-seed-4294967295").replace("seed", b"\xff\xff\xff\xff\x8f\x80\x00", "ff ff ff ff 8f 80 00 (over-long 2**32-1)")
    E("invalid-noncanonical-seed-overlong", "Seed 2**32-1 written with two redundant trailing groups.", ["uvarint", "seed"],
      s.done(), N, s.start("seed"))
    s = b.cut("valid-minimal")
    s.insert(s.at("model_id")[1], b"\x00", "dtype = 0").replace("presence", b"\x02", "02 (dtype present)")
    E("invalid-noncanonical-dtype-zero", "dtype present with code 0, which must be written by omission.", ["enum", "presence"],
      s.done(), N, s.at("model_id")[1])
    s = b.cut("valid-enum-codes-1").replace("gpu", b"\x00", "00")
    E("invalid-noncanonical-gpu-zero", "gpu present with code 0, which must be written by omission.", ["enum"], s.done(),
      N, s.start("gpu"))
    s = b.cut("valid-minimal")
    s.append(b"\x00", "an empty params bitmap").replace("presence", b"\x40", "40 (params present)")
    E("invalid-noncanonical-empty-group", "The params group present with an empty bitmap.", ["params", "presence"], s.done(),
      N, len(minimal))
    s = b.cut("valid-table1-example").replace("guidance_scale", b"\x01" + _F32.pack(7.5), "01 + float32 7.5")
    E("invalid-noncanonical-guidance-raw-7.5", "Guidance 7.5 stored raw although the compact form represents it.",
      ["cfloat-raw"], s.done(), N, s.start("guidance_scale"))
    s = b.cut("valid-minimal").replace("guidance_scale", b"\x01" + _F32.pack(0.0), "01 + float32 0.0")
    E("invalid-noncanonical-guidance-raw-zero", "Guidance +0.0 stored raw although the compact form represents it.",
      ["cfloat-raw"], s.done(), N, s.start("guidance_scale"))
    payload = LONG_PROMPT.encode()  # (zlib streams other than level 9 are valid since 1.1: cases_v1_1.py)
    s = b.cut("valid-extensions-two")
    first, second = s.at("ext0.header")[0], s.at("ext1.header")[0]
    records = bytes(s.data[first:])
    s.replace((first, len(s.data)), records[second - first:] + records[:second - first], "the two extension records swapped")
    E("invalid-noncanonical-extension-order", "Extension type 1000 before type 1.", ["extension"], s.done(),
      N, first + len(records) - (second - first))
    s = b.cut("valid-extensions-two").replace("ext1.header", encode_uvarint(1 << 1), "02 (type 1 again)")
    E("invalid-noncanonical-extension-duplicate", "Extension type 1 twice (the second replaces type 1000).", ["extension"],
      s.done(), N, s.start("ext1.header"))
    s = b.cut("valid-pixels-raw").replace("ext0.header", b"\x03", "03 (type 1, must_understand 1)")
    E("invalid-noncanonical-pixels-must-understand", "The pixels extension flagged must-understand, which it never is.",
      ["extension", "pixels"], s.done(), N, s.start("ext0.header"))

    # Reserved bits and forms.
    R = "AIGIF_E_RESERVED"
    s = b.cut("valid-minimal").replace("guidance_scale", b"\x03", "03 (float form u = 3)")
    E("invalid-reserved-float-form", "A compact float with the reserved odd form u = 3.", ["cfloat-compact"], s.done(),
      R, s.start("guidance_scale"))
    s = b.cut("valid-minimal").replace("presence", encode_uvarint(1 << 9), "80 04 (bit 9)")
    E("invalid-reserved-presence-bit", "Presence bit 9, which is reserved.", ["presence"], s.done(), R, 9)
    s = b.cut(full)
    bitmap = read_uvarint(io.BytesIO(bytes(s.data[slice(*s.at("platform.bitmap"))])), "bitmap")
    s.replace("platform.bitmap", encode_uvarint(bitmap | 1 << 12), f"{_show(encode_uvarint(bitmap | 1 << 12))} (bit 12 added)")
    E("invalid-reserved-group-bit", "Platform bitmap bit 12, which is reserved.", ["platform"], s.done(), R,
      s.start("platform.bitmap"))
    s = b.cut("valid-minimal").append(b"\x00\x00", "extension header 0 (type 0), length 0")
    E("invalid-reserved-extension-type-0", "An extension record of reserved type 0.", ["extension"], s.done(), R, len(minimal))

    # Ranges.
    G = "AIGIF_E_RANGE"
    s = b.cut("valid-seed-18446744073709551615").replace("seed", b"\xff" * 9 + b"\x02", "ff x9 02 (2**64 + 2**63 - 1)")
    E("invalid-range-seed-65-bits", "A 10-byte uvarint whose value needs 65 bits.", ["uvarint", "seed"], s.done(), G,
      s.start("seed"))
    s = b.cut("valid-minimal").replace("seed", b"\x80" * 10 + b"\x00", "80 x10 00 (11 bytes)")
    E("invalid-range-uvarint-11-bytes", "A uvarint of 11 bytes (more than the 10 a 64-bit value needs).", ["uvarint", "seed"],
      s.done(), G, s.start("seed"))
    for steps in (0, 1001):
        s = b.cut("valid-minimal").replace("steps", encode_uvarint(steps), _show(encode_uvarint(steps)) + f" ({steps})")
        E(f"invalid-range-steps-{steps}", f"Steps {steps}, outside 1..1000.", ["range"], s.done(), G, s.start("steps"))
    s = b.cut("valid-minimal").replace("height", b"\x00", "00 (0 px)")
    E("invalid-range-height-0", "Height 0.", ["range"], s.done(), G, s.start("height"))
    s = b.cut("valid-minimal").replace("width", encode_uvarint(2049), "81 10 (2049 units = 16392 px)")
    E("invalid-range-width-2049-units", "Width 16392 px, one unit beyond the 16384 px limit.", ["range"], s.done(), G,
      s.start("width"))
    s = b.cut("valid-params-sd1").replace("params.vae_tiling", b"\x02", "02")
    E("invalid-range-bool-2", "A boolean byte 0x02 (params.vae_tiling).", ["bool", "params"], s.done(), G,
      s.start("params.vae_tiling"))
    s = b.cut("valid-params-sd1").replace("params.clip_skip", b"\x41", "41 (65)")
    E("invalid-range-clip-skip-65", "params.clip_skip 65, outside 1..64.", ["params", "range"], s.done(), G,
      s.start("params.clip_skip"))
    for name, f32 in (("nan", b"\x00\x00\xc0\x7f"), ("inf", b"\x00\x00\x80\x7f"), ("minus-inf", b"\x00\x00\x80\xff")):
        s = b.cut("valid-guidance-raw-0.1").replace("guidance_scale", b"\x01" + f32, f"01 {f32.hex(' ')} ({name})")
        E(f"invalid-range-guidance-{name}", f"A raw guidance scale that is {name.replace('-', ' ')}.", ["cfloat-raw", "range"],
          s.done(), G, s.start("guidance_scale"))
    u = limits.MAX_COMPACT_QUARTERS << 1
    s = b.cut("valid-minimal").replace("guidance_scale", encode_uvarint(u), f"{_show(encode_uvarint(u))} (u = 2**25)")
    E("invalid-range-guidance-compact-2p22", "A compact float of 2**22 (k = 2**24), beyond the exact compact range.",
      ["cfloat-compact", "range"], s.done(), G, s.start("guidance_scale"))
    s = b.cut("valid-platform-all").replace("platform.torch_version", encode_uvarint(70000) + b"\x0b\x00", "70000, 11, 0")
    E("invalid-range-version-component", "A platform version component 70000, above 65535.", ["platform", "version"],
      s.done(), G, s.start("platform.torch_version"))
    s = b.cut("valid-platform-all").replace("platform.batch_index", b"\x04", "04 (batch_index 4 = batch_size)")
    E("invalid-range-batch-index", "platform.batch_index 4 in a batch of 4 (must be below batch_size).", ["platform", "range"],
      s.done(), G, None)

    # Limits.
    L = "AIGIF_E_LIMIT"
    s = b.cut("valid-minimal").replace("model_id", b"\xff" * 64 + b"\x00", "ff x64 00 (65-byte exp code)")
    E("invalid-limit-exp-code-65-bytes", "A model ID exp code of 65 bytes (64 x 0xFF then 0x00).", ["exp-code", "limit"],
      s.done(), L, s.start("model_id"))
    s = b.cut("valid-minimal").replace("text_length", encode_uvarint(limits.MAX_TEXT_BLOCK_BYTES + 1), "81 80 04 (65537)")
    E("invalid-limit-text-block-65537", "A text block length of 65537, one above the limit (no block follows).",
      ["text-none", "limit"], s.done(), L, s.start("text_length"))
    s = b.cut("valid-prompt-max-length")
    at = s.replace_sized("text", b"x" * (limits.MAX_STRING_BYTES + 1), "16385 x 'x'")
    E("invalid-limit-string-16385", "A prompt of 16385 bytes, one above the string limit.", ["text-none", "limit"], s.done(),
      L, at)
    s = b.cut("valid-text-zlib")
    at = s.replace_sized("text", zlib.compress(b"a" * (1 << 20), 9), "zlib level 9 of 1 MiB of 'a'")
    E("invalid-limit-zlib-bomb", "A zlib text block that inflates to 1 MiB.", ["text-zlib", "limit"], s.done(), L, at)
    s = b.cut("valid-extension-unknown-5")
    s.replace("ext0.length", encode_uvarint(limits.MAX_EXTENSION_BYTES + 1), "81 80 80 20 (64 MiB + 1)")
    E("invalid-limit-extension-length", "An extension length of 64 MiB + 1 (the body is not there either).",
      ["extension", "limit"], s.done(), L, s.start("ext0.length"))

    # Decompression.
    D = "AIGIF_E_DECOMPRESS"
    good = zlib.compress(payload, 9)
    for name, block, what in (("garbage", b"not a zlib stream", "the 17 ASCII bytes 'not a zlib stream'"),
                              ("incomplete", good[:-8], "the level-9 stream without its last 8 bytes"),
                              ("trailing-bytes", good + b"\x00", "the level-9 stream plus one 00 byte")):
        s = b.cut("valid-text-zlib")
        at = s.replace_sized("text", block, what)
        E(f"invalid-decompress-zlib-{name}", f"A zlib text block that is {what}.", ["text-zlib"], s.done(), D, at)

    # phrase-Huffman v1 blocks, written with the codes of the shipped model.
    model = default_model()
    good, pad = huffman_block(model, [model.symbols(PH_PROMPT.encode())])
    assert good == model.encode([PH_PROMPT.encode()]) and pad > 0
    literals, _ = huffman_block(model, [list(PH_PROMPT.encode())])
    for slug, block, what, error in (
        ("truncated", good[:-1], "the valid block without its last byte", T),
        ("trailing-byte", good + b"\x00", "the valid block plus a 00 byte after the padding", N),
        ("padding-bits", good[:-1] + bytes([good[-1] | 1]), f"the valid block with its last padding bit (of {pad}) set", N),
        ("not-greedy", literals, "the prompt coded as literal bytes only, although phrases match", N),
        ("string-16385", model.encode([b"x" * (limits.MAX_STRING_BYTES + 1)]), "16385 literal 'x' bytes", L),
        ("utf8", model.encode([b"\xff"]), "the literal byte ff (not UTF-8)", "AIGIF_E_UTF8"),
    ):
        s = b.cut("valid-text-phrase-huffman-prompt")
        at = s.replace_sized("text", block, what)
        E(f"invalid-phrase-huffman-{slug}", f"A phrase-Huffman text block that is {what}.", ["text-phrase-huffman"],
          s.done(), error, at)

    # UTF-8.
    U = "AIGIF_E_UTF8"
    for name, bad, what in (("ff-byte", b"\xff", "the byte ff"), ("overlong", b"\xe0\x80\x80", "an over-long 3-byte form of U+0000"),
                            ("surrogate", b"\xed\xa0\x80", "the surrogate U+D800")):
        s = b.cut("valid-prompt-cjk")
        start = s.start("text_bytes")  # the 3-byte first character becomes the bad sequence, padded with spaces
        s.replace((start, start + 3), bad.ljust(3, b" "), f"{bad.ljust(3, b' ').hex(' ')} ({what})")
        E(f"invalid-utf8-prompt-{name}", f"A prompt with {what}, which is not valid UTF-8.", ["utf8", "text-none"],
          s.done(), U, start)
    s = b.cut("valid-negative-long")
    start = s.start("text_bytes") + 1 + len("a cat")  # after the prompt-length uvarint and the prompt
    s.replace((start, start + 2), b"\xc3\x28", "c3 28 (lead byte, then no continuation)")
    E("invalid-utf8-negative-prompt", "A negative prompt with a 2-byte lead byte not followed by a continuation byte.",
      ["utf8", "negative-prompt"], s.done(), U, s.start("text_bytes"))

    # Extensions.
    s = b.cut("valid-extension-unknown-5").replace("ext0.header", b"\x0b", "0b (type 5, must_understand 1)")
    E("invalid-must-understand-unknown-5", "Unknown extension type 5 flagged must-understand.", ["extension", "unknown-extension"],
      s.done(), "AIGIF_E_MUST_UNDERSTAND", s.start("ext0.header"))
    s = b.cut("valid-extensions-two").replace("ext1.header", encode_uvarint(1000 << 1 | 1), "d1 0f (type 1000, must_understand 1)")
    E("invalid-must-understand-second-record", "Unknown extension type 1000 flagged must-understand after a pixels extension: "
      "every record is checked, not only the first.", ["extension", "unknown-extension"], s.done(),
      "AIGIF_E_MUST_UNDERSTAND", s.start("ext1.header"))
    X = "AIGIF_E_EXTENSION"
    s = b.cut("valid-pixels-png").replace("height", b"\x02", "02 (16 px; the PNG stays 8x8)")
    E("invalid-extension-png-size", "A PNG of 8x8 while the record says 16x8.", ["extension", "pixels", "png"], s.done(), X,
      s.start("ext0.body"))
    s = b.cut("valid-pixels-png")
    start = s.start("ext0.body") + 1
    s.replace((start, start + 1), b"\x88", "88 (first PNG signature byte changed)")
    E("invalid-extension-not-png", "Pixel compressor 1 but the data does not start with the PNG signature.",
      ["extension", "pixels", "png"], s.done(), X, s.start("ext0.body"))
    s = b.cut("valid-pixels-raw")
    body = bytes(s.data[slice(*s.at("ext0.body"))])
    at = s.replace_sized("ext0", body[:-3], "the same body without its last pixel")
    E("invalid-extension-raw-pixel-count", "Raw pixels of 189 bytes for an 8x8x3 = 192-byte image.", ["extension", "pixels"],
      s.done(), X, at)
    s = b.cut("valid-pixels-jxl")
    start = s.start("ext0.body") + 3  # after the compressor code and FF 0A: the first SizeHeader byte
    s.replace((start, start + 1), b"\x43", "43 (small, height 16, ratio 1:1: a 16x16 codestream)")
    E("invalid-extension-jxl-size", "A JPEG XL codestream whose SizeHeader says 16x16 while the record says 8x8.",
      ["extension", "pixels", "jxl"], s.done(), X, s.start("ext0.body"))
    s = b.cut("valid-pixels-jxl")
    at = s.replace_sized("ext0", b"\x02" + b"\x00\x00\x00\x0cJXL \r\n\x87\n" + JXL_8X8,
                         "02, then the codestream wrapped in the JPEG XL container signature box")
    E("invalid-extension-jxl-container", "A JPEG XL file in the ISOBMFF container: AIGIF stores only the bare codestream.",
      ["extension", "pixels", "jxl"], s.done(), X, at)
    s = b.cut("valid-pixels-jxl")
    at = s.replace_sized("ext0", b"\x02" + JXL_8X8[:11], "02 and the first 11 bytes of the codestream")
    E("invalid-extension-jxl-short", "A JPEG XL payload of 11 bytes, shorter than a codestream header can be.",
      ["extension", "pixels", "jxl"], s.done(), X, at)
    s = b.cut("valid-pixel-digest")
    body = bytes(s.data[slice(*s.at("ext0.body"))])
    at = s.replace_sized("ext0", body[:-1], "the same body without its last signature byte")
    E("invalid-extension-digest-length", "A pixel digest of 95 bytes; algorithm 0 has exactly 96.",
      ["extension", "pixel-digest"], s.done(), X, at)
    s = b.cut("valid-pixel-digest").replace("ext0.header", b"\x07", "07 (type 3, must_understand 1)")
    E("invalid-noncanonical-digest-must-understand", "The pixel digest extension flagged must-understand, which it never is.",
      ["extension", "pixel-digest"], s.done(), "AIGIF_E_NONCANONICAL", s.start("ext0.header"))

    # Registry codes and families (syntax is fine; the registry rejects).
    K = "AIGIF_E_UNKNOWN_CODE"
    unknown = default_registry().data["unknown_model_ids"]["first"]  # never assigned, whatever models a registry adds
    s = b.cut("valid-minimal").replace("model_id", encode_exp_code(unknown), encode_exp_code(unknown).hex(" "))
    E("invalid-unknown-model-id", f"Model ID {unknown}, which no registry assigns (`unknown_model_ids`).",
      ["registry", "exp-code"], s.done(), K, None)
    s = b.cut("valid-enum-codes-9").replace("scheduler", b"\x0a", "0a")
    E("invalid-unknown-scheduler", "Scheduler code 10, not in the registry.", ["registry", "enum"], s.done(), K, None)
    s = b.cut("valid-enum-codes-7").replace("gpu", b"\x08", "08")
    E("invalid-unknown-gpu", "GPU code 8, not in the shipped registry.", ["registry", "enum"], s.done(), K, None)
    s = b.cut("valid-enum-codes-3").replace("scheduler_config.prediction_type", b"\x04", "04")
    E("invalid-unknown-prediction-type", "scheduler_config.prediction_type code 4, not in the registry.",
      ["registry", "scheduler_config"], s.done(), K, None)
    s = b.cut("valid-minimal").replace("text_compressor", b"\x03", "03")
    E("invalid-unknown-text-compressor", "Text compressor code 3, not known.", ["registry", "text-none"], s.done(), K,
      s.start("text_bytes"))
    s = b.cut("valid-pixels-raw")
    s.replace((s.start("ext0.body"), s.start("ext0.body") + 1), b"\x03", "03 (pixel compressor 3)")
    E("invalid-unknown-pixel-compressor", "Pixel compressor code 3, not known.", ["registry", "pixels", "extension"],
      s.done(), K, s.start("ext0.body"))
    s = b.cut("valid-pixel-digest")
    s.replace((s.start("ext0.body"), s.start("ext0.body") + 1), b"\x01", "01 (digest algorithm 1)")
    E("invalid-unknown-digest-algorithm", "Digest algorithm 1, not known.", ["registry", "pixel-digest", "extension"],
      s.done(), K, s.start("ext0.body"))
    s = b.cut("valid-exp-code-5000")
    E("invalid-unknown-gpu-5000-shipped-registry", "valid-exp-code-5000's bytes checked against the shipped registry, which lacks GPU 5000.",
      ["registry", "exp-code"], s.done(), K, None)

    P = "AIGIF_E_PARAM_FAMILY"
    s = b.cut("valid-params-sdxl").replace("model_id", b"\x00", "00 (SD 1.5)")
    E("invalid-param-family-original-size-on-sd1", "SDXL's original_size (and other SDXL params) on SD 1.5.",
      ["params", "registry"], s.done(), P, None)
    s = b.cut("valid-params-flux").replace("model_id", b"\x02", "02 (SDXL)")
    E("invalid-param-family-flux-on-sdxl", "FLUX's max_sequence_length on an SDXL model.", ["params", "registry"], s.done(),
      P, None)


def build_cases(registries: dict[str | None, Registry]) -> list[Case]:
    b = Builder(registries)
    valid_cases(b, registries[None])
    invalid_cases(b)
    from vectors.cases_v1_1 import add_cases  # spec 1.1's cases, declared in their own module
    add_cases(b)
    return [b.cases[k] for k in sorted(b.cases)]


def verify(cases: list[Case], registries: dict[str | None, Registry]) -> list[str]:
    """Decode every case with the reference; fill in records and return every disagreement."""
    problems = []
    for case in cases:
        registry = registries[case.registry]
        try:
            record = decode(case.data, registry)
        except AigifError as exc:
            if case.valid:
                problems.append(f"{case.id}: valid case rejected: {exc}")
            elif (exc.code, exc.offset) != (case.expected_error, case.expected_offset):
                problems.append(f"{case.id}: expected {case.expected_error} at {case.expected_offset}, "
                                f"reference says {exc.code} at {exc.offset}: {exc.message}")
            continue
        if not case.valid:
            problems.append(f"{case.id}: expected {case.expected_error}, reference accepts the file")
            continue
        case.record = record
        reencoded = build_file(parse_file(case.data)) == case.data and encode(record, registry) == case.data
        if reencoded != case.reencodes:
            problems.append(f"{case.id}: re-encodes byte for byte: {reencoded}, expected {case.reencodes}")
    return problems


def write_tree(dest: Path) -> None:
    """Write syntax/ and levels/{parse,build}.txt under dest (which holds nothing else of ours)."""
    test_data = registry_test_data()
    registries = {None: default_registry(), TEST_REGISTRY_PATH: load_registry_data(test_data)}
    cases = build_cases(registries)
    problems = verify(cases, registries)
    if problems:
        raise SystemExit("the reference disagrees with the stated expectations:\n  " + "\n  ".join(problems))
    syntax = dest / "syntax"
    syntax.mkdir(parents=True)
    (syntax / TEST_REGISTRY_NAME).write_text(json_text(test_data), encoding="utf-8")
    manifest = []
    for case in cases:
        folder = syntax / case.id
        folder.mkdir()
        files = {"input.aigif": case.data}
        if case.valid:
            files["expected.json"] = (dumps(case.record) + "\n").encode("utf-8")
        for name, content in files.items():
            (folder / name).write_bytes(content)
        test = {
            "id": case.id, "description": case.description, "features": case.features, "valid": case.valid,
            "expected_error": case.expected_error, "expected_offset": case.expected_offset,
            "files": {name: sha256(content) for name, content in files.items()},
            "generator": GENERATOR, "how": case.how, "registry": case.registry,
        }
        (folder / "test.json").write_text(json_text(test), encoding="utf-8")
        manifest.append({"id": case.id, "valid": case.valid, "expected_error": case.expected_error,
                         "sha256": sha256(case.data)})
    shared = {TEST_REGISTRY_NAME: sha256((syntax / TEST_REGISTRY_NAME).read_bytes())}
    (syntax / "manifest.json").write_text(json_text({**SUITE, "files": shared, "cases": manifest}), encoding="utf-8")
    levels = dest / "levels"
    levels.mkdir(parents=True, exist_ok=True)
    (levels / "parse.txt").write_text("".join(f"{c.id}\n" for c in cases), encoding="utf-8")
    # zlib blocks depend on the writer's deflate (spec 1.1), so zlib cases are read-only: parse level.
    build = [c for c in cases if c.valid and c.reencodes and c.record["text_compressor"] != ZLIB_CODE]
    (levels / "build.txt").write_text("".join(f"{c.id}\n" for c in build), encoding="utf-8")


def load_registry_data(data: dict[str, Any]) -> Registry:
    """A Registry from data, validated against the registry schema like a file would be."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / TEST_REGISTRY_NAME
        path.write_text(json_text(data), encoding="utf-8")
        return load_registry(path)


def our_files(vectors: Path) -> set[str]:
    """Paths (relative to vectors/) of everything this generator owns."""
    found = {p.relative_to(vectors).as_posix() for p in (vectors / "syntax").rglob("*") if p.is_file()}
    return found | {f"levels/{n}" for n in LEVEL_FILES if (vectors / "levels" / n).is_file()}


def check(vectors: Path) -> list[str]:
    """Regenerate into a temp dir; the files that are missing, extra or different."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        write_tree(fresh)
        want, have = our_files(fresh), our_files(vectors)
        report = [f"missing: {p}" for p in sorted(want - have)] + [f"stale: {p}" for p in sorted(have - want)]
        report += [f"differs: {p}" for p in sorted(want & have)
                   if not filecmp.cmp(fresh / p, vectors / p, shallow=False)]
        return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare a fresh generation with the committed files")
    args = parser.parse_args(argv)
    vectors = ROOT / "vectors"
    if args.check:
        report = check(vectors)
        for line in report:
            print(line)
        print(f"vectors/syntax: {'out of date' if report else 'up to date'}")
        return 1 if report else 0
    with tempfile.TemporaryDirectory() as tmp:  # build fully first: a failure leaves the old vectors intact
        write_tree(Path(tmp))
        shutil.rmtree(vectors / "syntax", ignore_errors=True)
        shutil.copytree(Path(tmp) / "syntax", vectors / "syntax")
        (vectors / "levels").mkdir(exist_ok=True)
        for name in LEVEL_FILES:
            shutil.copyfile(Path(tmp) / "levels" / name, vectors / "levels" / name)
    manifest = json.loads((vectors / "syntax" / "manifest.json").read_text(encoding="utf-8"))
    valid = sum(c["valid"] for c in manifest["cases"])
    print(f"wrote {len(manifest['cases'])} cases ({valid} valid, {len(manifest['cases']) - valid} invalid) to vectors/syntax/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
