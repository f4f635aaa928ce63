"""DiffC on torch and Triton: the generator, the normals and the candidate search are bit-identical to
the NumPy reference (aigif_ref.diffc). The torch path runs here on CPU; the CUDA and Triton parts run
where a GPU is (they are skipped, and reported as skipped, elsewhere)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch

from aigif_ref.diffc import gaussian, philox
from aigif_ref.diffc.gpu import gaussian_torch, philox_torch

ROOT = Path(__file__).resolve().parents[1]
VECTORS = json.loads((ROOT / "vectors/diffc/generator.json").read_text(encoding="utf-8"))
HAS_CUDA = torch.cuda.is_available()
HAS_TRITON = importlib.util.find_spec("triton") is not None
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not HAS_CUDA, reason="no CUDA device"))]
needs_triton_gpu = pytest.mark.skipif(not (HAS_CUDA and HAS_TRITON), reason="needs Triton and a CUDA device")


def hex_words(hex_list: list[str]) -> list[int]:
    return [int(h, 16) for h in hex_list]


def f32_bits(t: torch.Tensor) -> list[int]:
    return t.detach().cpu().contiguous().view(torch.int32).to(torch.int64).bitwise_and(0xFFFFFFFF).reshape(-1).tolist()


def np_bits(a: np.ndarray) -> list[int]:
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).reshape(-1).tolist()


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", VECTORS["philox4x32_10_random123"])
def test_torch_philox_random123_known_answers(case, device):
    counter = tuple(torch.tensor([w], device=device) for w in hex_words(case["counter"]))
    key = hex_words(case["key"])
    got = philox_torch.philox4x32_10(counter, (key[0], key[1]))
    assert [int(w) for w in got] == hex_words(case["output"])


@pytest.mark.parametrize("device", DEVICES)
def test_torch_philox_equals_reference_on_random_counters(device):
    rng = np.random.default_rng(15)
    counters = rng.integers(0, 2**32, size=(4096, 4), dtype=np.uint64).astype(np.uint32)
    counters[:8] = [0xFFFFFFFF, 0, 0xFFFFFFFF, 0x80000000]  # carries through every 16-bit split
    key = (0xFFFFFFFF, 0x80000001)
    expected = philox.philox4x32_10(counters, key)
    got = philox_torch.philox4x32_10(tuple(torch.from_numpy(counters[:, i].astype(np.int64)).to(device)
                                           for i in range(4)), key)
    assert torch.equal(torch.stack(got, -1).cpu(), torch.from_numpy(expected.astype(np.int64)))


@pytest.mark.parametrize("device", DEVICES)
def test_torch_streams_match_vectors(device):
    for s in VECTORS["streams"]:
        args = (int(s["seed"]), s["domain"], s["step"], s["chunk"], s["candidate"], len(s["words"]))
        words = philox_torch.stream_words(*args, device=device)
        assert words.cpu().tolist() == hex_words(s["words"])
        assert f32_bits(gaussian_torch.stream_normals(*args, device=device)) == hex_words(s["normals_f32"])
        assert f32_bits(gaussian_torch.exponentials_from_words(words)) == hex_words(s["exponentials_f32"])


@pytest.mark.parametrize("device", DEVICES)
def test_torch_word_transforms_and_ln_match_vectors(device):
    table = VECTORS["word_transforms"]
    words = torch.tensor(hex_words(table["words"]), device=device)
    uniform = gaussian_torch.uniform_open_closed(words)
    assert f32_bits(uniform) == hex_words(table["uniform_f32"])
    assert f32_bits(gaussian_torch.ln_f32(uniform)) == hex_words(table["ln_uniform_f32"])
    cos, sin = gaussian_torch.cos_sin_turn(words)
    assert f32_bits(cos) == hex_words(table["cos_f32"])
    assert f32_bits(sin) == hex_words(table["sin_f32"])
    inputs = torch.tensor(hex_words(VECTORS["ln_f32"]["inputs_f32"]), dtype=torch.int64).to(torch.int32)
    assert f32_bits(gaussian_torch.ln_f32(inputs.view(torch.float32).to(device))) == \
        hex_words(VECTORS["ln_f32"]["outputs_f32"])


@pytest.mark.parametrize("device", DEVICES)
def test_torch_transform_equals_reference_across_the_word_range(device):
    # Radius and angle depend on the top 24 bits of a word only; every 61st value plus both ends of
    # that range (the bench checks all 2**24 on the GPU).
    boundaries = (np.arange(4)[:, None] * (1 << 22) + np.arange(-3, 4)[None, :]).ravel() % (1 << 24)  # x = +-0
    tops = np.unique(np.concatenate([np.arange(0, 1 << 24, 61), np.arange(256), (1 << 24) - 1 - np.arange(256),
                                     boundaries]))
    words_np = (tops.astype(np.uint32) << np.uint32(8)) | np.uint32(0xA5)
    words = torch.from_numpy(words_np.astype(np.int64)).to(device)
    radius_ref = gaussian.sqrt_rn(np.multiply(gaussian.ln_f32(gaussian.uniform_open_closed(words_np)),
                                              gaussian.MINUS_TWO, dtype=np.float32))
    radius = gaussian_torch.sqrt_rn(gaussian_torch.ln_f32(gaussian_torch.uniform_open_closed(words))
                                    * gaussian_torch.MINUS_TWO)
    assert f32_bits(radius) == np_bits(radius_ref)
    cos_ref, sin_ref = gaussian.cos_sin_turn(words_np)
    cos, sin = gaussian_torch.cos_sin_turn(words)
    assert f32_bits(cos) == np_bits(cos_ref)
    assert f32_bits(sin) == np_bits(sin_ref)


@pytest.mark.parametrize("device", DEVICES)
def test_torch_stream_normals_equal_reference(device):
    # Odd count (a partial last element block), candidate indices near 2**32, a seed above 2**63.
    seed, candidates = 2**63 + 12345, np.concatenate([np.arange(64), 2**32 - 1 - np.arange(64)])
    expected = gaussian.stream_normals(seed, philox.DOMAIN_CANDIDATE, 5, 17, candidates, 203)
    got = gaussian_torch.stream_normals(seed, philox.DOMAIN_CANDIDATE, 5, 17, torch.from_numpy(candidates), 203,
                                        device=device)
    assert got.shape == expected.shape
    assert f32_bits(got) == np_bits(expected)


def test_torch_sqrt_is_correctly_rounded():
    # Exact check with rationals: r = sqrt_rn(x) iff x lies between the squares of the midpoints to r's
    # neighbours. (torch's own CPU binary32 sqrt fails this on AVX-512 machines.)
    x = np.random.default_rng(9).uniform(0.0, 34.0, 600).astype(np.float32)  # the radii's range
    r = gaussian_torch.sqrt_rn(torch.from_numpy(x)).numpy()
    for xi, ri in zip(x, r):
        below, above = np.nextafter(ri, np.float32(0)), np.nextafter(ri, np.float32(np.inf))
        low, high = (Fraction(float(below)) + Fraction(float(ri))) / 2, (Fraction(float(ri)) + Fraction(float(above))) / 2
        assert low * low <= Fraction(float(xi)) <= high * high
    assert np_bits(r) == np_bits(gaussian.sqrt_rn(x))


@pytest.mark.skipif(not HAS_CUDA, reason="no CUDA device")
def test_cuda_bulk_normals_match_vector_sha256():
    bulk = VECTORS["bulk"]
    normals = gaussian_torch.stream_normals(int(bulk["seed"]), bulk["domain"], bulk["step"], bulk["chunk"],
                                            torch.arange(bulk["candidates"]), bulk["count"], device="cuda")
    assert hashlib.sha256(normals.cpu().numpy().astype("<f4").tobytes()).hexdigest() == bulk["sha256"]


@needs_triton_gpu
@pytest.mark.parametrize("case", VECTORS["philox4x32_10_random123"])
def test_triton_philox_random123_known_answers(case):
    from aigif_ref.diffc.gpu import triton_kernels

    got = triton_kernels.philox_words(tuple(hex_words(case["counter"])), tuple(hex_words(case["key"])), 1)
    assert got[0].tolist() == hex_words(case["output"])


@needs_triton_gpu
def test_triton_bulk_normals_match_vector_sha256():
    from aigif_ref.diffc.gpu import triton_kernels

    bulk = VECTORS["bulk"]
    normals = triton_kernels.stream_normals(int(bulk["seed"]), bulk["domain"], bulk["step"], bulk["chunk"],
                                            torch.arange(bulk["candidates"]), bulk["count"])
    assert hashlib.sha256(normals.cpu().numpy().astype("<f4").tobytes()).hexdigest() == bulk["sha256"]


@pytest.mark.skipif(not HAS_TRITON, reason="Triton is not installed")
def test_triton_kernels_in_interpreter_mode():
    """The Triton kernels' logic on CPU (TRITON_INTERPRET=1, NumPy semantics): words, normals, log-weights."""
    env = dict(os.environ, TRITON_INTERPRET="1", PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    script = ROOT / "tests" / "diffc_triton_interpreter_check.py"
    result = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


def kl_scaled_delta(rng: np.random.Generator, dims: int, kl_bits: float) -> np.ndarray:
    """A chunk delta carrying about kl_bits of KL (|delta|^2 / 2 / ln 2), as the encoder sizes chunks."""
    delta = rng.standard_normal(dims)
    return (delta * np.sqrt(2 * np.log(2) * kl_bits / np.sum(delta ** 2))).astype(np.float32)


@pytest.mark.parametrize("device", DEVICES)
def test_torch_arrival_log_times_equal_reference(device):
    from aigif_ref.diffc import pfr
    from aigif_ref.diffc.gpu import search

    expected = pfr.arrival_log_times(2**64 - 3, 17, 250, 5000)
    assert f32_bits(search.arrival_log_times_torch(2**64 - 3, 17, 250, 5000, device)) == np_bits(expected)


@pytest.mark.parametrize("device", DEVICES)
def test_torch_candidate_search_equals_reference(device):
    from aigif_ref.diffc import pfr
    from aigif_ref.diffc.gpu import search

    rng = np.random.default_rng(5)
    winners = set()
    for dims, log2 in ((1, 6), (5, 9), (23, 11), (64, 10), (3, 0)):
        delta = kl_scaled_delta(rng, dims, max(1, log2 - 4))
        seed, step, chunk = int(rng.integers(0, 2**63)), int(rng.integers(0, 100)), int(rng.integers(0, 100))
        expected_scores = pfr.SCORE_BACKENDS["numpy"](delta, seed, step, chunk, 1 << log2)
        got_scores = search.log_weights_torch(seed, step, chunk, 1 << log2, torch.from_numpy(delta).to(device))
        assert f32_bits(got_scores) == np_bits(expected_scores)
        expected = pfr.candidate_search(delta, seed, step, chunk, log2)
        assert search.candidate_search(delta, seed, step, chunk, log2, backend="torch", device=device) == expected
        winners.add(expected)
    assert len(winners) > 2  # the cases really search (not always candidate 0)


def test_importing_gpu_registers_backends_with_pfr():
    from aigif_ref.diffc import pfr
    from aigif_ref.diffc.gpu import BACKENDS, backend

    assert "torch" in BACKENDS and pfr.SEARCH_BACKENDS["torch"] is backend.torch_search
    assert pfr.SCORE_BACKENDS["torch"] is backend.torch_scores
    assert ("triton" in BACKENDS) == (HAS_CUDA and HAS_TRITON)
    delta = kl_scaled_delta(np.random.default_rng(8), 12, 8)
    for name in BACKENDS:  # through pfr's own entry point, as the encoder calls it
        assert pfr.candidate_search(delta, 77, 3, 4, 12, backend=name) == pfr.candidate_search(delta, 77, 3, 4, 12)


@needs_triton_gpu
def test_triton_candidate_search_equals_reference():
    from aigif_ref.diffc import pfr, philox as reference_philox
    from aigif_ref.diffc.gpu import triton_kernels

    rng = np.random.default_rng(6)
    for dims, log2 in ((1, 6), (7, 12), (64, 16), (203, 13), (3, 0)):
        delta = kl_scaled_delta(rng, dims, max(1, log2 - 4))
        seed, step, chunk = int(rng.integers(0, 2**64, dtype=np.uint64)), int(rng.integers(0, 100)), 9
        weights = torch.from_numpy(delta).cuda()
        expected_scores = pfr.SCORE_BACKENDS["numpy"](delta, seed, step, chunk, 1 << log2)
        got_scores = triton_kernels.candidate_log_weights(seed, reference_philox.DOMAIN_CANDIDATE, step, chunk,
                                                          1 << log2, weights)
        assert f32_bits(got_scores) == np_bits(expected_scores)
        assert triton_kernels.candidate_search(weights, seed, step, chunk, log2) == \
            pfr.candidate_search(delta, seed, step, chunk, log2)


@pytest.mark.parametrize("device", DEVICES)
def test_candidate_noise_is_the_reference_winner(device):
    from aigif_ref.diffc import pfr
    from aigif_ref.diffc.gpu import search

    expected = pfr.candidate_noise(2**40 + 7, 6, 3, 40_000, 77)
    assert f32_bits(search.candidate_noise(2**40 + 7, 6, 3, 40_000, 77, device=device)) == np_bits(expected)


# The decoder's noise hook: aigif_ref.diffc.model picks the GPU generator for a CUDA model.

def test_noise_source_is_the_gpu_generator_for_cuda_only(monkeypatch):
    from aigif_ref.diffc.gpu.noise import TorchNoise
    from aigif_ref.diffc.model import NumpyNoise, noise_source

    assert isinstance(noise_source("cpu"), NumpyNoise)
    for device in ("cuda", "cuda:1"):
        chosen = noise_source(device)
        assert isinstance(chosen, TorchNoise) and chosen.device == torch.device(device)
    monkeypatch.setitem(sys.modules, "aigif_ref.diffc.gpu.noise", None)  # a reader without the gpu package
    assert isinstance(noise_source("cuda"), NumpyNoise)


class RecordingNoise:
    """Delegates to a noise source and keeps what it drew, in order."""

    def __init__(self, inner):
        self.inner, self.drawn = inner, []

    def initial_latent(self, seed, shape):
        self.drawn.append(("initial", 0, self.inner.initial_latent(seed, shape)))
        return self.drawn[-1][2]

    def step_noise(self, seed, step, dims, indices):
        self.drawn.append(("step", step, self.inner.step_noise(seed, step, dims, indices)))
        return self.drawn[-1][2]

    def noise_bytes(self) -> bytes:
        return b"".join(values.astype("<f4").tobytes() for _, _, values in self.drawn)


def test_decode_record_draws_its_noise_from_the_models_source():
    from aigif_ref.api import decode
    from aigif_ref.diffc import files
    from aigif_ref.diffc.model import NumpyNoise

    class FakeModel:  # zero noise prediction, blank VAE: only the noise path matters here
        noise = RecordingNoise(NumpyNoise())
        alpha_bar = np.cumprod(1 - np.linspace(1e-4, 0.02, 1000))

        def set_prompt(self, *conditioning):
            pass

        def eps(self, latent, timestep):
            return np.zeros_like(latent)

        def decode_latent(self, latent):
            return np.zeros((8, 8, 3), dtype=np.float32)

    record = decode((ROOT / "vectors/diffc/diffc-synthetic-small/input.aigif").read_bytes())
    model = FakeModel()
    decoded = files.decode_record(record, model=model)
    assert [(kind, step) for kind, step, _ in model.noise.drawn] == \
        [("initial", 0)] + [("step", s) for s in range(decoded.payload.steps)]
    assert model.noise.noise_bytes() == files.noise_bytes(record)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dims, chunks", [(1, 1), (7, 3), (203, 17), (64, 64), (1024, 5), (4 * 32 * 32, 300)])
def test_torch_noise_equals_the_reference_decoder_noise(device, dims, chunks):
    from aigif_ref.diffc import codec, partition
    from aigif_ref.diffc.gpu.noise import TorchNoise

    rng = np.random.default_rng(dims * 1000 + chunks)
    seed, step = int(rng.integers(0, 2**64, dtype=np.uint64)), int(rng.integers(0, 20))
    indices = rng.integers(0, 1 << 16, size=chunks).tolist()
    indices[0] = (1 << 16) - 1
    source = TorchNoise(device)
    assert source.permutation(seed, step, dims).cpu().tolist() == partition.permutation(seed, step, dims).tolist()
    assert np_bits(source.step_noise(seed, step, dims, indices)) == np_bits(codec.step_noise(seed, step, dims, indices))
    shape = (1, 1, dims)
    assert np_bits(source.initial_latent(seed, shape)) == np_bits(codec.initial_latent(seed, shape))


@pytest.mark.skipif(not HAS_CUDA, reason="no CUDA device")
def test_cpu_and_cuda_decodes_draw_identical_noise():
    """`aigif render` of a DiffC file on CUDA: the model's generator is the GPU one, and its x_T and step noise are
    the CPU decoder's bit for bit (and the conformance noise dump's)."""
    pytest.importorskip("diffusers")
    from aigif_ref.api import decode
    from aigif_ref.diffc import files
    from aigif_ref.diffc.gpu.noise import TorchNoise
    from aigif_ref.diffc.model import load_model

    record = decode((ROOT / "vectors/diffc/diffc-shapes-t19/input.aigif").read_bytes())
    drawn = {}
    for device in ("cpu", "cuda"):
        model = load_model(record["model_id"], device)
        source = model.noise
        recorder = model.noise = RecordingNoise(source)
        try:
            files.decode_record(record, model=model)
        finally:
            model.noise = source  # the model is cached per process
        drawn[device] = recorder.noise_bytes()
        assert isinstance(source, TorchNoise) == (device == "cuda")
    assert drawn["cuda"] == drawn["cpu"] == files.noise_bytes(record)
