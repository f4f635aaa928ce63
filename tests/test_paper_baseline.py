"""The Table I baseline codec (benchmarks/paper_baseline.py): golden bytes, round trip, rejections."""
from __future__ import annotations

import dataclasses
import struct
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aigif_ref.api import decode as aigif_decode, encode as aigif_encode
from aigif_ref.table_one import EXAMPLE_RECORD
from benchmarks.paper_baseline import BaselineError, BaselineRecord, decode, encode, from_aigif_record
from tests.conftest import typical_record

# The paper's Table I example (aigif_ref/table_one.py), with its registry names resolved to codes.
TABLE_I = from_aigif_record(aigif_decode(aigif_encode(EXAMPLE_RECORD)))

# Hand-assembled: options 0|0000|0000|0|0000|0001 + 6 zero bits, gpu, cuda, model 0,
# dtype 1 / scheduler 0, raw strings behind 2-byte lengths, then the fixed-size tail.
GOLDEN_RAW = bytes.fromhex(
    "000040" "01" "01" "00" "10"
    "000a" + b"A cute cat".hex() + "000d" + b"worst quality".hex()
    + "00000400" "00000400" "31720ac1" "0019" "40f00000"
)


def test_golden_bytes_text_compressor_none():
    record = dataclasses.replace(TABLE_I, text_compressor=0)
    assert encode(record) == GOLDEN_RAW
    assert decode(GOLDEN_RAW) == record


def test_golden_bytes_zlib():
    prompt, negative = zlib.compress(b"A cute cat", 9), zlib.compress(b"worst quality", 9)
    expected = (
        bytes.fromhex("008040" "01" "01" "00" "10")  # text compressor 1 sets bit 8
        + struct.pack(">H", len(prompt)) + prompt
        + struct.pack(">H", len(negative)) + negative
        + bytes.fromhex("00000400" "00000400" "31720ac1" "0019" "40f00000")
    )
    assert encode(TABLE_I) == expected
    assert decode(expected) == TABLE_I


def test_every_packed_field_lands_in_its_bits():
    record = dataclasses.replace(
        TABLE_I, saving_pixels=1, pixel_compressor=0b1010, text_compressor=0,
        saving_model=1, model_compressor=0b0110, device=0b1001,
    )
    # 1 1010 0000 1 0110 1001 000000
    assert encode(record)[:3] == bytes([0b11010000, 0b01011010, 0b01000000])
    assert decode(encode(record)) == record


def test_exp_code_model_id():
    record = dataclasses.replace(TABLE_I, model_id=300)
    data = encode(record)
    assert data[5:8] == b"\xff\x2d\x10"  # 255 + 45, then the dtype/scheduler byte
    assert decode(data) == record


def test_from_aigif_record_matches_table_i():
    assert from_aigif_record(typical_record()) == TABLE_I
    assert from_aigif_record(typical_record(negative_prompt=None)).negative_prompt == ""


@pytest.mark.parametrize("field, value", [
    ("device", 16), ("pixel_compressor", -1), ("saving_pixels", 2), ("gpu", 256),
    ("dtype", 16), ("scheduler", 16), ("seed", 2**32), ("steps", 65536), ("height", 2**32),
    ("text_compressor", 2), ("guidance_scale", 1e39), ("model_id", -1),
])
def test_values_that_do_not_fit_are_rejected(field, value):
    with pytest.raises(BaselineError):
        encode(dataclasses.replace(TABLE_I, **{field: value}))


def test_string_longer_than_length_prefix_is_rejected():
    with pytest.raises(BaselineError, match="length prefix"):
        encode(dataclasses.replace(TABLE_I, text_compressor=0, prompt="x" * 65536))


@pytest.mark.parametrize("cut", range(len(GOLDEN_RAW)))
def test_every_truncation_is_rejected(cut):
    with pytest.raises(BaselineError, match="ends inside"):
        decode(GOLDEN_RAW[:cut])


@pytest.mark.parametrize("data, message", [
    (GOLDEN_RAW + b"\0", "trailing bytes"),
    (b"\x00\x00\x41" + GOLDEN_RAW[3:], "padding bits"),
    (b"\x01\x00\x40" + GOLDEN_RAW[3:], "text compressor 2"),
    (bytes.fromhex("008040010100100003") + b"abc" + GOLDEN_RAW[19:], "^prompt: Error"),  # not zlib
    (GOLDEN_RAW[:7] + b"\x00\x02\xff\xfe" + GOLDEN_RAW[19:], "not UTF-8"),
])
def test_malformed_files_are_rejected(data, message):
    with pytest.raises(BaselineError, match=message):
        decode(data)


float32s = st.floats(width=32, allow_nan=False, allow_infinity=False)


@given(st.builds(
    BaselineRecord,
    prompt=st.text(max_size=300), negative_prompt=st.text(max_size=300),
    height=st.integers(0, 2**32 - 1), width=st.integers(0, 2**32 - 1), seed=st.integers(0, 2**32 - 1),
    steps=st.integers(0, 65535), guidance_scale=float32s, model_id=st.integers(0, 5000),
    dtype=st.integers(0, 15), scheduler=st.integers(0, 15), device=st.integers(0, 15),
    gpu=st.integers(0, 255), cuda=st.integers(0, 255), saving_pixels=st.integers(0, 1),
    pixel_compressor=st.integers(0, 15), text_compressor=st.integers(0, 1),
    saving_model=st.integers(0, 1), model_compressor=st.integers(0, 15),
))
def test_round_trip(record):
    assert decode(encode(record)) == record


@given(st.binary(max_size=80))
def test_arbitrary_bytes_decode_or_raise_baseline_error(data):
    try:
        record = decode(data)
    except BaselineError:
        return
    # Raw strings have one encoding; zlib streams need not be level 9 and NaN payloads may change.
    if record.text_compressor == 0 and record.guidance_scale == record.guidance_scale:
        assert encode(record) == data
