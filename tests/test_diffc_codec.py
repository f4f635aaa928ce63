"""DiffC codec: partition, PFR search, arithmetic coder, payload bounds and errors, encoder/decoder agreement."""

from __future__ import annotations

import base64
import math
import random

import numpy as np
import pytest

from aigif_ref.api import decode, encode
from aigif_ref.diffc import codec, entropy, gaussian, partition, pfr, philox
from aigif_ref.diffc.model import alphas_cumprod
from aigif_ref.diffc.payload import PAYLOAD_VERSION, DiffcPayload, build_payload, parse_payload
from aigif_ref.diffc.profile import get_profile, profiles
from aigif_ref.errors import AigifError
from aigif_ref.grammar.primitives import encode_uvarint
from aigif_ref.registry import default_registry

REGISTRY = default_registry()
PROFILE = next(iter(profiles(REGISTRY).values()))
SIZE = 8 * PROFILE.latent_downscale  # a small image size the profile accepts


def test_permutation_is_the_sort_of_the_permutation_stream():
    order = partition.permutation(99, 3, 1000)
    assert sorted(order.tolist()) == list(range(1000))
    keys = philox.stream_words(99, philox.DOMAIN_PERMUTATION, 3, 0, 0, 1000)
    assert order.tolist() == sorted(range(1000), key=lambda i: (int(keys[i]), i))
    assert partition.permutation(99, 4, 1000).tolist() != order.tolist()


def test_chunks_are_balanced_and_cover_every_element_once():
    chunks = partition.chunk_elements(5, 0, 103, 7)
    assert [len(c) for c in chunks] == [(c + 1) * 103 // 7 - c * 103 // 7 for c in range(7)]
    assert sorted(np.concatenate(chunks).tolist()) == list(range(103))
    with pytest.raises(ValueError):
        partition.chunk_bounds(3, 4)


def brute_force_index(delta, seed, step, chunk, log2n):
    """PFR straight from the spec's words, one candidate at a time (float32 by Python scalars)."""
    n = 1 << log2n
    log_t = pfr.arrival_log_times(seed, step, chunk, n)
    best, best_score = 0, None
    for index in range(n):
        z = gaussian.stream_normals(seed, philox.DOMAIN_CANDIDATE, step, chunk, index, len(delta))
        acc = np.float32(0)
        for d, v in zip(delta, z):
            acc = np.float32(acc + np.float32(d * v))
        score = np.float32(acc - log_t[index])
        if best_score is None or score > best_score:
            best, best_score = index, score
    return best


def test_candidate_search_equals_the_specified_brute_force():
    rng = np.random.default_rng(2)
    for chunk in range(3):
        delta = (rng.standard_normal(9) * 0.8).astype(np.float32)
        assert pfr.candidate_search(delta, 77, 1, chunk, 8) == brute_force_index(delta, 77, 1, chunk, 8)


def test_arrival_times_are_an_exact_fixed_point_sum():
    words = philox.stream_words(3, philox.DOMAIN_ARRIVAL, 0, 0, 0, 64)
    e = gaussian.exponentials_from_words(words).astype(np.float64)
    fixed = np.cumsum(np.floor(e * 2**20).astype(np.int64))
    expected = gaussian.ln_f32((fixed.astype(np.float32) * np.float32(2**-20)).astype(np.float32))
    assert pfr.arrival_log_times(3, 0, 0, 64).view(np.uint32).tolist() == expected.view(np.uint32).tolist()


def test_pfr_samples_follow_the_target():
    delta = np.array([1.5, -1.0, 0.5, 0.0], dtype=np.float32)
    picks = np.array([pfr.candidate_noise(8, 0, c, pfr.candidate_search(delta, 8, 0, c, 9), 4) for c in range(300)])
    assert np.all(np.abs(picks.mean(0) - delta) < 0.25)   # 300 samples: standard error about 0.06
    assert np.all(np.abs(picks.std(0) - 1) < 0.2)


def test_backend_hook_is_used():
    calls = []

    def fake(delta, seed, step, chunk, candidates):
        calls.append(candidates)
        out = np.zeros(candidates, dtype=np.float32)
        out[5] = 1e6
        return out

    pfr.register_backend("test-fake", fake)
    try:
        assert pfr.candidate_search(np.ones(3, np.float32), 1, 0, 0, 6, backend="test-fake") == 5
        assert calls == [64]
    finally:
        del pfr.SCORE_BACKENDS["test-fake"]


def test_arithmetic_coder_round_trips():
    rnd = random.Random(4)
    for _ in range(200):
        steps = [[min(65535, int(2 ** rnd.uniform(0, 16))) for _ in range(rnd.choice([1, 2, 3, 9, 40]))]
                 for _ in range(rnd.randint(1, 12))]
        data = entropy.encode_indices(steps)
        assert entropy.decode_indices(data, len(steps), 64) == steps


def test_arithmetic_coder_is_integer_only_and_adaptive():
    # 100 zero indices cost far less than 100 bits once the model has adapted; 16-bit uniform ones about 16 bits each
    assert len(entropy.encode_indices([[0]] * 100)) * 8 < 60
    rnd = random.Random(5)
    noise = [[rnd.randrange(1 << 16)] for _ in range(200)]
    assert 15.5 * 200 < len(entropy.encode_indices(noise)) * 8 < 17.5 * 200


def test_index_stream_must_be_canonical():
    data = entropy.encode_indices([[3, 4], [1000]])
    with pytest.raises(AigifError) as err:
        entropy.decode_indices(data + b"\x00", 2, 64)
    assert err.value.code == "AIGIF_E_DIFFC"
    with pytest.raises(AigifError) as err:
        entropy.decode_indices(data, 2, 1)  # a step with more chunks than the latent allows
    assert err.value.code == "AIGIF_E_DIFFC"


def test_corrupt_streams_fail_with_a_code_or_decode_to_something_canonical():
    data = bytearray(entropy.encode_indices([[7, 70, 700], [5]]))
    for position in range(len(data) * 8):
        bad = bytearray(data)
        bad[position // 8] ^= 0x80 >> position % 8
        try:
            out = entropy.decode_indices(bytes(bad), 2, 64)
        except AigifError as exc:
            assert exc.code == "AIGIF_E_DIFFC"
        else:
            assert entropy.encode_indices(out) == bytes(bad)


def payload_bytes(profile=PROFILE.code, steps=2, indices=((1,), (2, 3))) -> bytes:
    return bytes([PAYLOAD_VERSION]) + encode_uvarint(profile) + encode_uvarint(steps) + \
        entropy.encode_indices([list(s) for s in indices])


@pytest.mark.parametrize("data, code", [
    (b"", "AIGIF_E_DIFFC"),
    (bytes([2]) + payload_bytes()[1:], "AIGIF_E_DIFFC"),
    (bytes([1, 0x80]), "AIGIF_E_DIFFC"),                                      # truncated uvarint
    (payload_bytes(profile=9999), "AIGIF_E_DIFFC_PROFILE"),
    (payload_bytes(steps=0, indices=()), "AIGIF_E_DIFFC"),
    (payload_bytes(steps=len(PROFILE.timesteps) + 1, indices=[[0]] * (len(PROFILE.timesteps) + 1)), "AIGIF_E_DIFFC"),
    (payload_bytes() + b"\x01", "AIGIF_E_DIFFC"),
])
def test_bad_payloads_have_stable_codes(data, code):
    with pytest.raises(AigifError) as err:
        parse_payload(data, SIZE, SIZE, PROFILE.model_id, REGISTRY)
    assert err.value.code == code


def test_payload_bounds_come_from_the_profile_and_the_record():
    good = payload_bytes()
    assert parse_payload(good, SIZE, SIZE, PROFILE.model_id, REGISTRY)[0].indices == ((1,), (2, 3))
    with pytest.raises(AigifError) as err:
        parse_payload(good, SIZE + 1, SIZE, PROFILE.model_id, REGISTRY)
    assert err.value.code == "AIGIF_E_DIFFC"
    with pytest.raises(AigifError) as err:
        parse_payload(good, SIZE, SIZE, PROFILE.model_id + 1, REGISTRY)
    assert err.value.code == "AIGIF_E_DIFFC_PROFILE"
    many = payload_bytes(steps=1, indices=[[0] * (PROFILE.latent_channels * 64 + 1)])  # 8x8 image: channels * 4 elements
    with pytest.raises(AigifError) as err:
        parse_payload(many, 8 * PROFILE.latent_downscale // 4, 8 * PROFILE.latent_downscale // 4 * 4, PROFILE.model_id, REGISTRY)
    assert err.value.code == "AIGIF_E_DIFFC"


def test_profile_is_bound_to_the_registry_pins():
    data = REGISTRY.data
    model = next(m for m in data["models"] if m["id"] == PROFILE.model_id)
    path = next(iter(PROFILE.model_files))
    original = model["files"][path]
    model["files"][path] = "0" * 64
    try:
        with pytest.raises(AigifError) as err:
            get_profile(PROFILE.code, REGISTRY)
        assert err.value.code == "AIGIF_E_DIFFC_PROFILE"
    finally:
        model["files"][path] = original


def file_with(payload: bytes, height=SIZE, width=SIZE, model_id=None) -> bytes:
    from aigif_ref.diffc.files import make_record

    record = make_record(payload, model_id or PROFILE.model_id, 12345678901234567890, height, width, PROFILE, REGISTRY)
    return encode(record, REGISTRY)


def test_files_carry_the_payload_and_readers_check_it():
    good = file_with(payload_bytes())
    record = decode(good, REGISTRY)
    assert base64.b64decode(record["extensions"][0]["data"]) == payload_bytes()
    assert record["seed"] == 12345678901234567890
    with pytest.raises(AigifError) as err:  # a writer refuses a record no file can hold (spec 10.1)
        file_with(payload_bytes(profile=9999))
    assert err.value.code == "AIGIF_E_RECORD"
    # a reader refuses the file: the payload of the valid file replaced by one naming an unknown profile
    bad = good.replace(payload_bytes(), payload_bytes(profile=99))
    from aigif_ref.grammar.aigif import with_crc

    with pytest.raises(AigifError) as err:
        decode(with_crc(bad), REGISTRY)
    assert err.value.code == "AIGIF_E_DIFFC_PROFILE"


class StubModel:
    """A deterministic stand-in for the UNet: eps = 0.3 * x (float32)."""

    alpha_bar = alphas_cumprod({"beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012})

    def eps(self, latent, timestep):
        return (np.float32(0.3) * latent).astype(np.float32)


def test_decoder_reproduces_the_encoders_latents_bit_for_bit():
    model = StubModel()
    shape = (PROFILE.latent_channels, 3, 5)
    target = (np.random.default_rng(0).standard_normal(shape) * 0.8).astype(np.float32)
    steps = 4
    result = codec.encode_latent(model, target, 42, PROFILE, steps, kl_bits_per_chunk=4.0)
    assert len(result.indices) == steps and any(len(s) > 1 for s in result.indices)
    decoded = codec.decode_noisy_latent(model, result.indices, 42, PROFILE, shape)
    assert decoded.tobytes() == result.latents[-1].tobytes()
    for step, indices in enumerate(result.indices):
        assert codec.step_noise(42, step, int(np.prod(shape)), indices).tobytes() == result.noise[step].tobytes()
    assert codec.initial_latent(42, shape).tobytes() == gaussian.stream_normals(
        42, philox.DOMAIN_INITIAL_LATENT, 0, 0, 0, int(np.prod(shape))).reshape(shape).tobytes()


def test_encoding_moves_the_latent_towards_the_target():
    model = StubModel()
    shape = (PROFILE.latent_channels, 4, 4)
    target = (np.random.default_rng(1).standard_normal(shape)).astype(np.float32)
    result = codec.encode_latent(model, target, 3, PROFILE, len(PROFILE.timesteps), kl_bits_per_chunk=10.0)
    t = PROFILE.timesteps[-1]
    expected = math.sqrt(model.alpha_bar[t]) * target
    # x_t ~ q(x_t | x_0): close to sqrt(alpha_bar) x_0 up to noise of variance 1 - alpha_bar
    residual = (result.latents[-1] - expected) / math.sqrt(1 - model.alpha_bar[t])
    assert abs(float(residual.std()) - 1) < 0.35 and abs(float(residual.mean())) < 0.35


def test_loading_the_model_leaves_autograd_as_it_was():
    """load_model once switched autograd off for the whole process, which broke later training code."""
    torch = pytest.importorskip("torch")
    from aigif_ref.diffc.model import load_model

    assert torch.is_grad_enabled()
    model = load_model(492, device="cpu")
    assert torch.is_grad_enabled()
    latent = model.encode_image(np.zeros((64, 64, 3), dtype=np.uint8))  # model calls run without building a graph
    assert latent.shape[0] == model.latent_channels


class OverflowingModel(StubModel):
    """A model whose prediction overflows (what a huge guidance scale can make of a real one)."""

    def eps(self, latent, timestep):
        return np.full_like(latent, np.inf)


def test_a_prediction_that_is_not_finite_is_refused_with_a_code():
    shape = (PROFILE.latent_channels, 2, 2)
    with pytest.raises(AigifError) as err:
        codec.encode_latent(OverflowingModel(), np.zeros(shape, np.float32), 1, PROFILE, 1, kl_bits_per_chunk=4.0)
    assert err.value.code == "AIGIF_E_DIFFC" and "not finite" in str(err.value)


@pytest.mark.parametrize("guidance", [math.nan, math.inf])
def test_a_guidance_the_record_cannot_hold_is_refused_before_the_model_runs(guidance):
    from aigif_ref.diffc.files import compress

    class Untouchable:
        def __getattr__(self, name):
            raise AssertionError(f"the model was used ({name}) before the guidance was checked")

    with pytest.raises(AigifError) as err:
        compress(np.zeros((SIZE, SIZE, 3), np.uint8), Untouchable(), PROFILE.model_id, seed=0, registry=REGISTRY,
                 profile_code=PROFILE.code, guidance=guidance)
    assert err.value.code == "AIGIF_E_RECORD"
