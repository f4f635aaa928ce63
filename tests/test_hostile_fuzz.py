"""Mutated bytes of the real vectors, fed to the reader and every payload decoder: only AIGIF_E_* errors, in
bounded time, and no output file left when a command fails.

Hypothesis runs a fixed number of derandomized examples (the same inputs on every run, no example database),
so CI is deterministic and fast; raise FUZZ_EXAMPLES (and set FUZZ_RANDOM=1) for a longer local hunt. Half the
.aigif mutants get their CRC-32 fixed up, so the mutation reaches the grammar and payload decoders instead of
stopping at the CRC check.
"""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aigif_ref.api import decode
from aigif_ref.cli import main
from aigif_ref.codecs.pixels import PIXELS_EXTENSION_TYPE, decode_pixels
from aigif_ref.diffc.files import diffc_extension, record_payload
from aigif_ref.errors import ERROR_CODES, AigifError
from aigif_ref.grammar.aigif import with_crc
from aigif_ref.record import find_extension
from aigif_ref.regen.platform import DEFAULT_MAX_PIXELS
from aigif_ref.registry import default_registry

ROOT = Path(__file__).resolve().parents[1]
VECTORS = ROOT / "vectors"
AIGIF_SEEDS = sorted([*VECTORS.glob("syntax/valid-*/input.aigif"), *VECTORS.glob("diffc/*/input.aigif"),
                      *VECTORS.glob("stages/*/input.aigif"), *VECTORS.glob("quantized-render/*/input.aigif")])
PIXEL_SEEDS = sorted(VECTORS.glob("syntax/valid-pixels-*/input.aigif"))
PAYLOAD_SEEDS = sorted(VECTORS.glob("quantized/*/payload.safetensors"))
SEEDS = {"aigif": AIGIF_SEEDS, "pixels": PIXEL_SEEDS, "payload": PAYLOAD_SEEDS}
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0")) or None
CASE_SECONDS = 10  # per input; each takes milliseconds, the bound catches a decoder that loops or balloons
# FUZZ_RANDOM=1 draws new inputs on each run (a local hunt); CI always runs the same derandomized ones.
FUZZ = settings(deadline=None, derandomize=not os.environ.get("FUZZ_RANDOM"), database=None,
                suppress_health_check=list(HealthCheck))


def test_the_seeds_are_there():  # the fuzzers below are only as good as their seeds
    assert len(AIGIF_SEEDS) > 100 and len(PIXEL_SEEDS) >= 4 and len(PAYLOAD_SEEDS) > 20
    assert {p.parts[-3] for p in AIGIF_SEEDS} >= {"syntax", "diffc", "stages"}


@st.composite
def mutated(draw, seeds: str, fix_crc: bool = False) -> bytes:
    """A seed with 1..4 edits; with ``fix_crc`` (an .aigif) the edits spare the 9-byte header (signature,
    version, CRC) but for one mutant in eight, so that most reach the body."""
    paths = SEEDS[seeds]
    data = bytearray(paths[draw(st.integers(0, len(paths) - 1))].read_bytes())
    spared = 9 if fix_crc and draw(st.integers(0, 7)) else 0
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(min(spared, len(data)), max(spared, len(data) - 1)))
        kind = draw(st.sampled_from(["set", "flip", "cut", "insert", "delete", "copy"]))
        if kind == "set" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif kind == "flip" and at < len(data):
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "cut":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 16))]
        elif kind == "copy" and data and at <= len(data):  # a run of the file again elsewhere: lengths and counts that still parse
            start = draw(st.integers(0, len(data) - 1))
            data[at:at] = data[start:start + draw(st.integers(1, 64))]
    if fix_crc and draw(st.integers(0, 7)) and len(data) >= 9:  # one in eight keeps its damaged CRC
        data = bytearray(with_crc(bytes(data)))
    return bytes(data)


class _TooSlow(BaseException):
    pass


def bounded(action, *args):
    """action(*args) within CASE_SECONDS; AigifError with a known code is the only failure allowed."""
    def alarm(signum, frame):
        raise _TooSlow

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(CASE_SECONDS * 3)
    start = time.monotonic()
    try:
        action(*args)
    except AigifError as exc:
        assert exc.code in ERROR_CODES, exc
    except _TooSlow:
        pytest.fail(f"{action.__name__} still running after {CASE_SECONDS * 3} s")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert time.monotonic() - start < CASE_SECONDS


def read_everything(data: bytes) -> None:
    """What a viewer does with a file: the record, then its pixels (embedded, or the DiffC payload's indices)."""
    registry = default_registry()
    record = decode(data, registry)
    if diffc_extension(record, registry) is not None:
        record_payload(record, registry)
    elif find_extension(record, PIXELS_EXTENSION_TYPE) is not None:
        decode_pixels(record, DEFAULT_MAX_PIXELS)


def read_payload(data: bytes) -> None:
    """What `aigif dequantize` and the loader do with a model payload: parse, then every tensor's weights."""
    from aigif_ref.quant.tensorfile import dequantized_file

    dequantized_file(data, "float32")


@settings(FUZZ, max_examples=EXAMPLES or 400)
@given(mutated("aigif", fix_crc=True))
def test_the_reader_and_its_payload_decoders(data: bytes):
    bounded(read_everything, data)


@settings(FUZZ, max_examples=EXAMPLES or 150)
@given(mutated("pixels", fix_crc=True))
def test_embedded_pixel_decoders(data: bytes):
    bounded(read_everything, data)


@settings(FUZZ, max_examples=EXAMPLES or 200)
@given(mutated("payload"))
def test_model_payload_decoder(data: bytes):
    bounded(read_payload, data)


@settings(FUZZ, max_examples=EXAMPLES or 40)
@given(mutated("pixels", fix_crc=True))
def test_thumbnail_leaves_no_file_when_it_fails(tmp_path_factory, data: bytes):
    folder = tmp_path_factory.mktemp("thumb")
    source, out = folder / "in.aigif", folder / "out" / "thumb.png"
    source.write_bytes(data)
    out.parent.mkdir()
    status = main(["thumbnail", "--no-render", "-o", str(out), str(source)])
    assert status in (0, 1)
    assert sorted(p.name for p in out.parent.iterdir()) == (["thumb.png"] if status == 0 else [])
