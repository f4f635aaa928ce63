"""DiffC payload version 2 (spec/diffc.md 3.5, profile aigif-shapes-v2): the compact stream, its shortest
termination, the profile's tables, prompt conditioning, and its vectors."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import numpy as np
import pytest

from aigif_ref.api import decode
from aigif_ref.diffc import codec, entropy
from aigif_ref.diffc.files import make_record
from aigif_ref.diffc.payload import PAYLOAD_VERSIONS, DiffcPayload, build_payload, parse_payload
from aigif_ref.diffc.profile import profiles
from aigif_ref.errors import AigifError
from aigif_ref.grammar.primitives import encode_uvarint
from aigif_ref.registry import default_registry

REGISTRY = default_registry()
V1 = min((p for p in profiles(REGISTRY).values() if p.payload_version == 1), key=lambda p: p.code)
V2 = min((p for p in profiles(REGISTRY).values() if p.payload_version == 2), key=lambda p: p.code)
TABLES = V2.stream_tables()
SIZE = 8 * V2.latent_downscale
DIMS = V2.latent_channels * 64
DIFFC = Path(__file__).resolve().parents[1] / "vectors" / "diffc"


def random_steps(rnd: random.Random) -> list[list[int]]:
    k = rnd.randint(1, len(V2.timesteps))
    return [[min(65535, int(2 ** rnd.uniform(0, 16))) for _ in range(max(1, V2.expected_chunks[s] + rnd.randint(-3, 4)))]
            for s in range(k)]


def test_profile_tables_are_well_formed():
    assert len(V2.expected_chunks) == len(V2.timesteps) and min(V2.expected_chunks) >= 1
    assert len(V2.count_prior) == entropy.COUNT_BUCKETS and len(V2.index_prior) == entropy.INDEX_BUCKETS
    assert V2.model_id == V1.model_id and V2.model_files == V1.model_files  # bound to the same pinned weights


def test_version2_stream_round_trips_and_ends_shortest():
    rnd = random.Random(15)
    for _ in range(300):
        steps = random_steps(rnd)
        data = entropy.encode_stream_v2(steps, TABLES)
        assert entropy.decode_stream_v2(data, TABLES, DIMS) == steps
        assert not data.endswith(b"\x00")  # trailing zero bits are implied, so never written
        if data:  # one byte less is another stream or none: the termination cannot be shortened
            try:
                assert entropy.decode_stream_v2(data[:-1], TABLES, DIMS) != steps
            except AigifError as exc:
                assert exc.code == "AIGIF_E_DIFFC"


def test_version2_costs_less_than_version1_on_the_same_indices():
    rnd = random.Random(16)
    old = new = 0
    for _ in range(100):
        steps = random_steps(rnd)
        old += len(build_payload(DiffcPayload(V1.code, tuple(map(tuple, steps))), REGISTRY))
        new += len(build_payload(DiffcPayload(V2.code, tuple(map(tuple, steps))), REGISTRY))
    assert new < old


def test_shortest_termination_saves_on_small_streams():
    """The version-1 finish spends 2 bits plus padding; the shortest one is never longer (same model state)."""
    rnd = random.Random(17)
    for _ in range(300):
        encoder_a, encoder_b = entropy.Encoder(), entropy.Encoder()
        for _ in range(rnd.randint(0, 6)):
            low = rnd.randrange(100)
            high = low + 1 + rnd.randrange(20)
            encoder_a.encode(low, high, 130)
            encoder_b.encode(low, high, 130)
        assert len(encoder_a.finish_shortest()) <= len(encoder_b.finish())


def test_corrupt_version2_streams_fail_with_a_code_or_decode_canonically():
    data = bytearray(entropy.encode_stream_v2([[7, 70, 700], [5]], TABLES))
    for position in range(len(data) * 8):
        bad = bytearray(data)
        bad[position // 8] ^= 0x80 >> position % 8
        try:
            out = entropy.decode_stream_v2(bytes(bad), TABLES, DIMS)
        except AigifError as exc:
            assert exc.code == "AIGIF_E_DIFFC"
        else:
            assert entropy.encode_stream_v2(out, TABLES) == bytes(bad)


def v2_payload(steps=((5,), (100, 7))) -> bytes:
    return build_payload(DiffcPayload(V2.code, steps), REGISTRY)


@pytest.mark.parametrize("data, code", [
    (bytes([max(PAYLOAD_VERSIONS) + 1]) + v2_payload()[1:], "AIGIF_E_DIFFC"),     # unknown version
    (bytes([1]) + v2_payload()[1:], "AIGIF_E_DIFFC"),                             # version 1 layout, version-2 profile
    (bytes([2]) + encode_uvarint(V1.code) + v2_payload()[1 + len(encode_uvarint(V2.code)):], "AIGIF_E_DIFFC"),
    (v2_payload() + b"\x00", "AIGIF_E_DIFFC"),                                    # not the shortest termination
    (v2_payload() + b"\x01", "AIGIF_E_DIFFC"),
    (bytes([2]) + encode_uvarint(V2.code) + entropy.encode_stream_v2([[0] * (DIMS + 1)], TABLES), "AIGIF_E_DIFFC"),
    (bytes([2, 0x80]), "AIGIF_E_DIFFC"),                                          # truncated profile uvarint
])
def test_bad_version2_payloads_have_stable_codes(data, code):
    with pytest.raises(AigifError) as err:
        parse_payload(data, SIZE, SIZE, V2.model_id, REGISTRY)
    assert err.value.code == code


def test_version2_payload_parses_to_its_indices():
    payload, profile = parse_payload(v2_payload(), SIZE, SIZE, V2.model_id, REGISTRY)
    assert payload.indices == ((5,), (100, 7)) and profile.code == V2.code


def test_conditioning_comes_from_the_record_only_where_the_profile_says():
    record = make_record(v2_payload(), V2.model_id, 1, SIZE, SIZE, V2, REGISTRY, "a red circle on a blue background", 2.5)
    assert (record["prompt"], record["guidance_scale"]) == ("a red circle on a blue background", 2.5)
    assert V2.conditioning_for(record) == ("a red circle on a blue background", 2.5)
    old = make_record(b"\x01", V1.model_id, 1, SIZE, SIZE, V1, REGISTRY, "ignored", 2.5)
    assert (old["prompt"], old["guidance_scale"]) == (V1.prompt, 1.0)
    assert V1.conditioning_for(record) == (V1.prompt, 1.0)


def test_encoder_settings_come_from_the_profile():
    assert codec.encoder_settings(V1) == (codec.DEFAULT_KL_BITS_PER_CHUNK, codec.CANDIDATE_MARGIN_BITS,
                                          codec.MIN_CANDIDATES_LOG2)
    bits, margin, least = codec.encoder_settings(V2)
    assert (bits, margin, least) == (V2.encoder["chunk_kl_bits"], V2.encoder["candidate_margin_bits"],
                                     V2.encoder["min_candidates_log2"])
    assert codec.candidates_log2(0.3, margin, least) == max(least, 1 + margin)
    assert codec.candidates_log2(bits, margin, least) == min(16, math.ceil(bits) + margin)


@pytest.mark.parametrize("case", json.loads((DIFFC / "entropy-v2.json").read_text())["cases"])
def test_version2_index_stream_vectors(case):
    data = bytes.fromhex(case["stream_hex"])
    assert entropy.encode_stream_v2(case["indices"], TABLES) == data
    assert entropy.decode_stream_v2(data, TABLES, 1 << 16) == case["indices"]


@pytest.mark.parametrize("case_id", sorted(p.name for p in DIFFC.glob("invalid-diffc*")))
def test_invalid_vectors_are_refused_with_their_code(case_id):
    test = json.loads((DIFFC / case_id / "test.json").read_text())
    with pytest.raises(AigifError) as err:
        decode((DIFFC / case_id / "input.aigif").read_bytes())
    assert err.value.code == test["expected_error"]


def test_prompt_conditioning_lowers_the_rate_on_the_shapes_model():
    """The record's prompt conditions the noise predictions: the first step's KL for an image of the shapes
    language is lower with its own prompt than with none or a wrong one, and guidance follows its formula."""
    pytest.importorskip("diffusers")
    from PIL import Image

    from aigif_ref.diffc.model import load_model

    model = load_model(V2.model_id, "cpu")
    image = np.asarray(Image.open(DIFFC / "diffc-shapes-t19" / "source.png").convert("RGB"))
    target = model.encode_image(image)
    fg, bg = image[32, 32], image[1, 1]

    def step_kl(prompt: str, guidance: float = 1.0) -> float:
        model.set_prompt(prompt, guidance)
        x = codec.initial_latent(0, target.shape)
        x0_pred, _ = codec.predict_x0(model, x, V2.initial_timestep)
        c0, _, var = codec.posterior(model.alpha_bar, V2.initial_timestep, V2.timesteps[1])
        return float(np.sum((c0 * (target - x0_pred)) ** 2) / (2 * var) / math.log(2))

    from vectors.models.shapes_language import COLOURS, PALETTE, SHAPES, prompt

    def nearest(rgb) -> str:
        return min(COLOURS, key=lambda c: sum((float(a) - 255 * float(b)) ** 2 for a, b in zip(rgb, PALETTE[c])))

    right_fg, right_bg = nearest(fg), nearest(bg)
    wrong_bg = next(c for c in COLOURS if c not in (right_fg, right_bg))
    best = min(step_kl(prompt(right_fg, shape, right_bg)) for shape in SHAPES)
    assert best < step_kl("") and best < step_kl(prompt(right_fg, SHAPES[0], wrong_bg))
    # guidance: eps = eps_u + g (eps_c - eps_u), one batch of two UNet calls
    x = codec.initial_latent(1, target.shape)
    model.set_prompt(prompt(right_fg, SHAPES[0], right_bg))
    cond = model.eps(x, 500)
    model.set_prompt("")
    uncond = model.eps(x, 500)
    model.set_prompt(prompt(right_fg, SHAPES[0], right_bg), 3.0)
    np.testing.assert_allclose(model.eps(x, 500), uncond + 3.0 * (cond - uncond), atol=1e-4)
    model.set_prompt("")


def test_a_version2_profile_with_malformed_tables_is_refused():
    from aigif_ref.diffc.profile import get_profile

    entry = next(e for e in REGISTRY.data["enumerations"]["diffc_profiles"] if e["code"] == V2.code)
    original = entry["index_prior"]
    try:
        for bad in ([1] * 16, [0] + [1] * 16, [1 << 16] * 17):
            entry["index_prior"] = bad
            with pytest.raises(AigifError) as err:
                get_profile(V2.code, REGISTRY)
            assert err.value.code == "AIGIF_E_DIFFC_PROFILE"
    finally:
        entry["index_prior"] = original
    assert get_profile(V2.code, REGISTRY).index_prior == tuple(original)
