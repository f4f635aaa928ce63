"""Property tests: random records round-trip exactly; mutated files fail only with AigifError."""
from __future__ import annotations

import math
import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aigif_ref.api import decode, encode
from aigif_ref.codecs.text import TAG_PREFIX_CODE
from aigif_ref.errors import AigifError
from aigif_ref.grammar.fields import GROUPS
from aigif_ref.extensions import DECODED as EXTENSION_CODECS
from aigif_ref.registry import default_registry

REGISTRY = default_registry()
U64 = 2**64 - 1

float32s = st.floats(width=32, allow_nan=False, allow_infinity=False)
cfloats = st.one_of(st.sampled_from([0.0, 1.0, 3.5, 7.5, 12.0, 0.7, 0.3]), float32s)
texts = st.text(st.characters(codec="utf-8"), max_size=200)


def codes(enum: str):
    return st.sampled_from(sorted(REGISTRY.enum(enum)))


def value_for(spec):
    if spec.wire == "uvarint":
        return st.integers(spec.min or 0, U64 if spec.max is None else spec.max)
    if spec.wire == "cfloat":
        return cfloats
    if spec.wire == "bool":
        return st.booleans()
    if spec.wire == "enum":
        return codes(spec.enum)
    if spec.wire == "pair":
        return st.lists(st.integers(0, 2**20), min_size=2, max_size=2)
    if spec.wire == "version":
        return st.tuples(*[st.integers(0, 65535)] * 3).map(lambda t: "%d.%d.%d" % t)
    raise AssertionError(spec.wire)


def group(specs, allowed=None):
    chosen = [s for s in specs if allowed is None or s.name in allowed]
    return st.fixed_dictionaries({}, optional={s.name: value_for(s) for s in chosen})


@st.composite
def records(draw):
    model_id = draw(st.sampled_from(sorted(REGISTRY.models)))
    family = REGISTRY.family_of(model_id)
    platform = draw(group(GROUPS["platform"]))
    if "batch_index" in platform:
        platform["batch_size"] = max(platform.get("batch_size", 1), platform["batch_index"] + 1)
    size = st.integers(1, 2048).map(lambda u: u * 8)
    record = {
        "model_id": model_id,
        "dtype": draw(codes("dtypes")),
        "scheduler": draw(codes("schedulers")),
        "device": draw(codes("devices")),
        "gpu": draw(codes("gpus")),
        "cuda": draw(codes("cuda_versions")),
        "steps": draw(st.integers(1, 1000)),
        "guidance_scale": draw(cfloats),
        "seed": draw(st.integers(0, U64)),
        "height": draw(size),
        "width": draw(size),
        "prompt": draw(texts),
        "negative_prompt": draw(st.none() | texts),
        "text_compressor": draw(st.sampled_from([None, 0, 1, 2, TAG_PREFIX_CODE])),
        "params": draw(group(GROUPS["params"], set(family["params"]))),
        "scheduler_config": draw(group(GROUPS["scheduler_config"])),
        "platform": platform,
        "extensions": draw(st.lists(st.integers(2, 10**6).filter(lambda t: t not in EXTENSION_CODECS), max_size=3, unique=True).map(sorted).map(
            lambda types: [{"type": t, "must_understand": False, "data": ""} for t in types])),
    }
    return record


def same_float32(a: float, b: float) -> bool:
    return struct.pack("<f", a) == struct.pack("<f", b)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records())
def test_random_records_round_trip_exactly(record):
    data = encode(record)
    decoded = decode(data)
    # Every field comes back as given (floats as the same float32).
    for key in ("model_id", "dtype", "scheduler", "device", "gpu", "cuda", "steps", "seed", "height", "width",
                "prompt", "negative_prompt"):
        assert decoded[key] == record[key], key
    assert same_float32(decoded["guidance_scale"], record["guidance_scale"])
    for group in GROUPS:
        assert decoded[group].keys() == record[group].keys(), group
        for name, value in record[group].items():
            if isinstance(value, float):
                assert same_float32(decoded[group][name], value), f"{group}.{name}"
            else:
                assert decoded[group][name] == value, f"{group}.{name}"
    if record["text_compressor"] is not None:
        assert decoded["text_compressor"] == record["text_compressor"]
    assert [e["type"] for e in decoded["extensions"]] == [e["type"] for e in record["extensions"]]
    # Canonical: the decoded record re-encodes to the same bytes.
    assert encode(decoded) == data


@st.composite
def mutated_files(draw):
    data = bytearray(encode(draw(records())))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate"]))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set" and data:
            data[pos] = draw(st.sampled_from([0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF]))
        elif kind == "insert":
            data[pos:pos] = bytes([draw(st.integers(0, 255))])
        elif kind == "delete" and data:
            del data[pos]
        elif kind == "truncate":
            del data[pos:]
    return bytes(data)


@settings(max_examples=400, deadline=1000, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_files())
def test_mutations_fail_only_with_aigif_error(data):
    try:
        record = decode(data)
    except AigifError:
        return
    # A mutation that still decodes must be a canonical file of its own.
    assert encode(record) == data


def test_any_single_corrupted_byte_is_detected():
    from tests.conftest import typical_record

    data = encode(typical_record(text_compressor=0))
    for pos in range(len(data)):
        for value in (data[pos] ^ 0x01, data[pos] ^ 0x80, (data[pos] + 1) % 256):
            corrupted = data[:pos] + bytes([value]) + data[pos + 1:]
            try:
                decode(corrupted)
            except AigifError:
                continue
            raise AssertionError(f"corruption at byte {pos} ({data[pos]:#04x} -> {value:#04x}) not detected")


def test_float32_edge_values_round_trip_bit_exactly():
    from tests.conftest import typical_record

    for value in (0.0, -0.0, 7.5, 0.1, 1e-45, 3.4028234663852886e38, -2.5, 4194303.75, 4194304.0):
        decoded = decode(encode(typical_record(guidance_scale=value)))["guidance_scale"]
        assert same_float32(decoded, value) and math.copysign(1, decoded) == math.copysign(1, value)
