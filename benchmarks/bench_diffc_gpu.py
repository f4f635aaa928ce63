"""DiffC on the GPU: bit-identity of the torch and Triton generators with the NumPy reference, and the
time of one chunk's candidate search (fused Triton kernel against plain torch ops).

    PYTHONPATH=. python3 benchmarks/bench_diffc_gpu.py --out benchmarks/results/diffc_gpu.json
    PYTHONPATH=. python3 benchmarks/bench_diffc_gpu.py --sections sd15 --kl-from RD_RAW.json --out OUT.json
      (RD_RAW.json: `python -m benchmarks.bench_diffc_rd encode`'s output, for the shapes' KL split per step)

Needs a CUDA device and Triton (run on the GPU machine); each section records its own failure and the
run goes on, so one call of the device tool gives every figure. The encode/decode section times
the DiffC codec (aigif_ref.diffc.files) on the aigif-shapes model: CPU against GPU. The sd15 section times
the encoder and decoder on the SD-1.5 architecture with random weights (TIMING ONLY: see TimingOnlyModel).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import platform
import statistics
import sys
import time
import traceback
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aigif_ref.diffc import gaussian, pfr, philox  # noqa: E402
from aigif_ref.diffc.gpu import gaussian_torch, philox_torch, search  # noqa: E402

VECTORS = json.loads((ROOT / "vectors/diffc/generator.json").read_text(encoding="utf-8"))
CHUNK_CANDIDATES_LOG2 = 16
TIMING_DIMS = (16, 64, 256, 1024, 4096, 16384)
DEVICE = "cuda"
# --dry-run (CPU, TRITON_INTERPRET=1): the same code on small sizes, to catch mistakes before device time.
SCALE = {"stream_candidates_log2": 14, "exhaustive_log2": 24, "search_cases": ((1, 8), (7, 12), (64, 16), (203, 14), (1024, 12)),
         "sweep_dims": (256, 4096), "timing_dims": TIMING_DIMS, "reps": 1, "bulk": True,
         "candidates_log2": CHUNK_CANDIDATES_LOG2, "codec_t": None}
DRY_SCALE = {"stream_candidates_log2": 6, "exhaustive_log2": 12, "search_cases": ((1, 4), (7, 6), (9, 5)),
             "sweep_dims": (8,), "timing_dims": (5, 16), "reps": 0, "bulk": False,
             "candidates_log2": 8, "codec_t": 900}


def np_bits(a) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)


def torch_bits(t: torch.Tensor) -> np.ndarray:
    return np_bits(t.detach().cpu().numpy())


def differing(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.count_nonzero(np_bits(a) != np_bits(b))) if a.shape == b.shape else -1


def sync() -> None:
    if DEVICE == "cuda":
        torch.cuda.synchronize()


def wall_ms(fn, reps: int, warmup: int = 2) -> dict:
    """Median and min wall time of fn() (which synchronises itself) in ms."""
    reps, warmup = max(1, reps * SCALE["reps"]), warmup * SCALE["reps"]
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        sync()
        times.append((time.perf_counter() - start) * 1e3)
    return {"median_ms": round(statistics.median(times), 4), "min_ms": round(min(times), 4), "reps": reps}


def section_identity(tk) -> dict:
    out: dict = {}
    kats = VECTORS["philox4x32_10_random123"]
    ok_torch = ok_triton = True
    for case in kats:
        counter = [int(h, 16) for h in case["counter"]]
        key = [int(h, 16) for h in case["key"]]
        expected = [int(h, 16) for h in case["output"]]
        got = philox_torch.philox4x32_10(tuple(torch.tensor([w], device=DEVICE) for w in counter), (key[0], key[1]))
        ok_torch &= [int(w) for w in got] == expected
        ok_triton &= tk.philox_words(tuple(counter), tuple(key), 1, device=DEVICE)[0].tolist() == expected
    out["random123_kats"] = {"cases": len(kats), "torch_cuda": ok_torch, "triton": ok_triton}

    bulk = VECTORS["bulk"]
    if not SCALE["bulk"]:
        bulk = dict(bulk, candidates=1 << 6)
    args = (int(bulk["seed"]), bulk["domain"], bulk["step"], bulk["chunk"])
    ids = torch.arange(bulk["candidates"], device=DEVICE)
    sha = {}
    for name, fn in (("torch_cuda", gaussian_torch.stream_normals), ("triton", tk.stream_normals)):
        normals = fn(*args, ids, bulk["count"], device=DEVICE)
        sha[name] = hashlib.sha256(normals.cpu().numpy().astype("<f4").tobytes()).hexdigest() == bulk["sha256"]
        if not SCALE["bulk"]:  # dry run: compare the first candidates with NumPy instead of the hash
            sha[name] = differing(normals.cpu().numpy(), gaussian.stream_normals(*args, np.arange(64), bulk["count"])) == 0
    out["vector_bulk_sha256"] = {"values": bulk["candidates"] * bulk["count"], **sha}

    # 2^22 normals of another stream, candidate indices crossing 2^31, against NumPy computed here.
    seed, step, chunk, count = 0xFEDCBA9876543210, 3, 7, 256
    candidates = np.arange(1 << SCALE["stream_candidates_log2"], dtype=np.int64) + (1 << 31) - (1 << 13)
    start = time.perf_counter()
    expected = gaussian.stream_normals(seed, philox.DOMAIN_CANDIDATE, step, chunk, candidates, count)
    numpy_s = time.perf_counter() - start
    ids = torch.from_numpy(candidates).to(DEVICE)
    stream = {"values": int(expected.size), "numpy_s": round(numpy_s, 2)}
    for name, fn in (("torch_cuda", gaussian_torch.stream_normals), ("triton", tk.stream_normals)):
        stream[f"{name}_differing"] = differing(fn(seed, philox.DOMAIN_CANDIDATE, step, chunk, ids, count,
                                                   device=DEVICE).cpu().numpy(), expected)
    out["stream_vs_numpy"] = stream

    # Every one of the 2^24 inputs of the radius and of the angle (they read the top 24 bits of a word).
    tops = np.arange(0, 1 << 24, 1 << (24 - SCALE["exhaustive_log2"]), dtype=np.uint32)
    words_np = (tops << np.uint32(8)) | np.uint32(0x3C)
    radius_ref = gaussian.sqrt_rn(np.multiply(gaussian.ln_f32(gaussian.uniform_open_closed(words_np)),
                                              gaussian.MINUS_TWO, dtype=np.float32))
    cos_ref, sin_ref = gaussian.cos_sin_turn(words_np)
    words = torch.from_numpy(words_np.astype(np.int64)).to(DEVICE)
    radius_t = gaussian_torch.sqrt_rn(gaussian_torch.ln_f32(gaussian_torch.uniform_open_closed(words))
                                      * gaussian_torch.MINUS_TWO)
    cos_t, sin_t = gaussian_torch.cos_sin_turn(words)
    radius_k, cos_k, sin_k = tk.word_transforms(words)
    exhaustive = {"inputs": len(words_np)}
    for name, (r, c, s) in (("torch_cuda", (radius_t, cos_t, sin_t)), ("triton", (radius_k, cos_k, sin_k))):
        exhaustive[f"{name}_differing"] = {"radius": differing(r.cpu().numpy(), radius_ref),
                                           "cos": differing(c.cpu().numpy(), cos_ref),
                                           "sin": differing(s.cpu().numpy(), sin_ref)}
    # Why float64 sqrt: torch's own CUDA binary32 sqrt on the same radii.
    squared = gaussian_torch.ln_f32(gaussian_torch.uniform_open_closed(words)) * gaussian_torch.MINUS_TWO
    exhaustive["torch_cuda_f32_sqrt_differing"] = differing(torch.sqrt(squared).cpu().numpy(), radius_ref)
    # Why enable_fp_fusion=False: the same kernel with Triton's default contraction into FMAs.
    radius_f, cos_f, sin_f = tk.word_transforms(words, exact=False)
    exhaustive["triton_with_fp_fusion_differing"] = {"radius": differing(radius_f.cpu().numpy(), radius_ref),
                                                     "cos": differing(cos_f.cpu().numpy(), cos_ref),
                                                     "sin": differing(sin_f.cpu().numpy(), sin_ref)}
    out["transform_exhaustive"] = exhaustive

    # Candidate search: chunk dot products bit for bit, and the winning index, against the NumPy reference.
    searches = []
    rng = np.random.default_rng(2026)
    for dims, log2 in SCALE["search_cases"]:
        delta = rng.standard_normal(dims)  # about log2 - 4 bits of KL, as the encoder sizes a chunk
        delta = (delta * np.sqrt(2 * np.log(2) * max(1, log2 - 4) / np.sum(delta ** 2))).astype(np.float32)
        seed_s, step_s, chunk_s = int(rng.integers(0, 2**63)), int(rng.integers(0, 50)), int(rng.integers(0, 500))
        start = time.perf_counter()
        expected_scores = pfr.SCORE_BACKENDS["numpy"](delta, seed_s, step_s, chunk_s, 1 << log2)
        expected_index = pfr.candidate_search(delta, seed_s, step_s, chunk_s, log2)
        numpy_s = time.perf_counter() - start
        weights = torch.from_numpy(delta).to(DEVICE)
        row = {"dims": dims, "candidates_log2": log2, "numpy_index": expected_index, "numpy_s": round(numpy_s, 2),
               "triton_index": tk.candidate_search(weights, seed_s, step_s, chunk_s, log2),
               "triton_scores_differing": differing(tk.candidate_log_weights(
                   seed_s, philox.DOMAIN_CANDIDATE, step_s, chunk_s, 1 << log2, weights).cpu().numpy(), expected_scores)}
        if dims <= 256:
            row["torch_cuda_index"] = search.candidate_search(delta, seed_s, step_s, chunk_s, log2, backend="torch",
                                                              device=DEVICE)
        searches.append(row)
    out["candidate_search"] = searches
    return out


def section_timing(tk) -> dict:
    log2 = SCALE["candidates_log2"]
    out: dict = {"candidates": 1 << log2}
    rng = np.random.default_rng(7)
    seed, step, chunk = 123456789, 4, 11

    # Launch configuration sweep at two sizes; the best is used for every size below.
    sweep = []
    for dims in SCALE["sweep_dims"]:
        weights = torch.from_numpy((rng.standard_normal(dims) * 0.1).astype(np.float32)).to(DEVICE)
        for block_c, warps, unroll in ((32, 1, 1), (64, 2, 1), (128, 4, 1), (256, 8, 1), (64, 1, 1), (128, 2, 1),
                                       (128, 4, 2), (64, 2, 2), (256, 4, 1)):
            try:
                timing = wall_ms(lambda: tk.candidate_search(weights, seed, step, chunk, log2,
                                                             block_candidates=block_c, num_warps=warps,
                                                             unroll=unroll), reps=10)
                sweep.append({"dims": dims, "block_candidates": block_c, "num_warps": warps, "unroll": unroll, **timing})
            except Exception as error:  # noqa: BLE001 - a config that does not compile is recorded, not fatal
                sweep.append({"dims": dims, "block_candidates": block_c, "num_warps": warps, "unroll": unroll,
                              "error": repr(error)[:300]})
    out["config_sweep"] = sweep
    timed = [row for row in sweep if "median_ms" in row]
    largest = [row for row in timed if row["dims"] == max(row["dims"] for row in timed)]
    choice = min(largest, key=lambda row: row["median_ms"]) if largest else None
    config = {"block_candidates": choice["block_candidates"], "num_warps": choice["num_warps"],
              "unroll": choice["unroll"]} if choice else {}
    out["config"] = config

    rows = []
    for dims in SCALE["timing_dims"]:
        weights_np = (rng.standard_normal(dims) * 0.1).astype(np.float32)
        weights = torch.from_numpy(weights_np).to(DEVICE)
        row = {"dims": dims, "normals_per_chunk": dims << log2}
        row["triton_fused_search"] = wall_ms(
            lambda: tk.candidate_search(weights, seed, step, chunk, log2, **config), reps=20)
        if dims <= 1024:
            # Plain torch ops, as the paper's PyTorch version: materialise the normals, matrix-vector product.
            def plain():
                z = gaussian_torch.stream_normals(seed, philox.DOMAIN_CANDIDATE, step, chunk,
                                                  torch.arange(1 << log2, device=DEVICE), dims,
                                                  device=DEVICE)
                scores = z @ weights - search.arrival_log_times_torch(seed, step, chunk, 1 << log2,
                                                                      DEVICE)
                return int(torch.argmax(scores))
            row["torch_ops_matvec_search"] = wall_ms(plain, reps=5, warmup=1)
        if dims <= 64:
            # Plain torch ops with the normative in-order sum (same bits as the kernel), one op pair per element.
            row["torch_ops_exact_search"] = wall_ms(lambda: search.candidate_search(
                weights, seed, step, chunk, log2, backend="torch"), reps=3, warmup=1)
        rows.append(row)
    out["per_chunk"] = rows

    # The NumPy reference on this machine's CPU, one chunk of 64 elements, for scale.
    delta = (rng.standard_normal(64) * 0.1).astype(np.float32)
    start = time.perf_counter()
    pfr.candidate_search(delta, seed, step, chunk, log2)
    out["numpy_cpu_search_64_dims_ms"] = round((time.perf_counter() - start) * 1e3, 1)

    # Decoder side: only the winning candidate's normals.
    out["triton_winner_noise_64_dims"] = wall_ms(lambda: tk.stream_normals(seed, philox.DOMAIN_CANDIDATE, step, chunk,
                                                                           torch.tensor([12345], device=DEVICE), 64,
                                                                           device=DEVICE).sum().item(), reps=20)
    return out


def db(value: float) -> float | str:
    return "identical" if value == float("inf") else round(value, 2)


def section_codec() -> dict:
    """Compress and decode one aigif-shapes image with the DiffC codec on CPU (NumPy search) and on the GPU
    (Triton search; and the NumPy search on the GPU model, to separate the two), then decode each file on
    the other device too."""
    from aigif_ref.diffc import files, pfr
    from aigif_ref.diffc.gpu import BACKENDS
    from aigif_ref.diffc.model import load_model
    from aigif_ref.registry import default_registry, load_registry
    from benchmarks import shapes_common

    # An image of the model's own language (in-distribution), drawn by its committed drawing code.
    drawn = shapes_common.language().draw(1, shapes_common.SIZE, torch.Generator().manual_seed(20261130))
    rgb = (drawn.images[0].permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
    try:
        registry = default_registry()
    except ImportError:  # the GPU machine has no jsonschema: the shipped registry, unvalidated
        registry = load_registry(validate=False)
    model_id = registry.model_code(shapes_common.MODEL_NAME)
    searches: list[tuple[int, int, float]] = []
    reference_search = pfr.candidate_search

    def timed_search(delta, seed, step, chunk, candidates_log2, backend="numpy"):
        start = time.perf_counter()
        index = reference_search(delta, seed, step, chunk, candidates_log2, backend)
        searches.append((len(delta), candidates_log2, time.perf_counter() - start))
        return index

    pfr.candidate_search = timed_search  # count and time the encoder's chunk searches
    out: dict = {"image": "shapes language draw(seed 20261130), 64x64", "model_id": model_id, "backends": BACKENDS,
                 "cpu_threads": torch.get_num_threads(), "runs": []}
    models = {device: load_model(model_id, device, registry) for device in ("cpu", DEVICE)}
    encoded = {}
    try:
        gpu_backend = "triton" if "triton" in BACKENDS else "torch"  # torch: dry run without Triton
        for device, backend in (("cpu", "numpy"), (DEVICE, gpu_backend), (DEVICE, "numpy")):
            model = models[device]
            files.compress(rgb, model, model_id, seed=1, t=10**6, registry=registry, backend=backend)  # warm-up: 1 step
            searches.clear()
            result = files.compress(rgb, model, model_id, seed=1, t=SCALE["codec_t"], registry=registry, backend=backend)
            decoded = files.decode_record(result.record, model, registry)
            decoded_again = files.decode_record(result.record, model, registry)
            encoded[(device, backend)] = (result, decoded)
            out["runs"].append({
                "device": device, "search_backend": backend, "encode_s": round(result.seconds, 3),
                "search_s": round(sum(t for _, _, t in searches), 3), "chunks": len(searches),
                "chunks_2_16": sum(1 for _, log2, _ in searches if log2 == 16),
                "chunk_dims": sorted({d for d, _, _ in searches}),
                "decode_s": round(decoded.seconds, 3), "decode_again_s": round(decoded_again.seconds, 3),
                "payload_bytes": len(result.payload), "bpp": round(len(result.payload) * 8 / (64 * 64), 4),
                "steps": result.steps, "ideal_kl_bits": round(sum(result.kl_bits), 1),
                "psnr_vs_original_db": db(files.psnr(decoded.rgb8, rgb))})
    finally:
        pfr.candidate_search = reference_search
    gpu_result, gpu_decoded = encoded[(DEVICE, gpu_backend)]
    cpu_result, cpu_decoded = encoded[("cpu", "numpy")]
    numpy_on_gpu, _ = encoded[(DEVICE, "numpy")]
    on_cpu = files.decode_record(gpu_result.record, models["cpu"], registry)
    on_gpu = files.decode_record(cpu_result.record, models[DEVICE], registry)
    out["cross_device"] = {
        "gpu_encode_triton_vs_numpy_same_payload": gpu_result.payload == numpy_on_gpu.payload,
        "cpu_vs_gpu_encode_same_payload": cpu_result.payload == gpu_result.payload,
        "gpu_file_decoded_on_cpu_vs_gpu": {
            "noisy_latent_max_abs_diff": float(np.max(np.abs(on_cpu.noisy_latent - gpu_decoded.noisy_latent))),
            "pixels_psnr_float32_db": db(files.psnr(on_cpu.array, gpu_decoded.array)),
            "rgb8_max_diff": int(np.max(np.abs(on_cpu.rgb8.astype(int) - gpu_decoded.rgb8.astype(int))))},
        "cpu_file_decoded_on_gpu_vs_cpu": {
            "noisy_latent_max_abs_diff": float(np.max(np.abs(on_gpu.noisy_latent - cpu_decoded.noisy_latent))),
            "pixels_psnr_float32_db": db(files.psnr(on_gpu.array, cpu_decoded.array)),
            "rgb8_max_diff": int(np.max(np.abs(on_gpu.rgb8.astype(int) - cpu_decoded.rgb8.astype(int))))},
    }
    return out


SD15_SIZE = 512
SD15_BPP = (0.05, 0.1, 0.2)  # total payload budgets (ideal bits = bpp * 512 * 512) timed per image


class TimingOnlyModel:
    """TIMING ONLY, decodes nothing meaningful: the SD-1.5-architecture pipeline with random weights runs every
    UNet and VAE call a real SD 1.5 encode would (same cost), but its noise prediction is replaced by one whose
    x_0 estimate is the target plus a seeded error sized so that coded step s carries ``bits[s]`` of KL.
    A random-weight UNet predicts nothing, so its own KL would be unbounded and the RCC work unlike a real
    model's; this fixes the RCC work to a chosen rate instead. Not a profile of the registry."""

    def __init__(self, inner, profile, target, bits: list[float]):
        from aigif_ref.diffc.codec import posterior

        self.inner, self.alpha_bar, self.target = inner, inner.alpha_bar, target
        self.error_scale = {}
        t = profile.initial_timestep
        for t_next, step_bits in zip(profile.timesteps, bits):
            c0, _, var = posterior(inner.alpha_bar, t, t_next)
            self.error_scale[t] = math.sqrt(var) / c0 * math.sqrt(2 * math.log(2) * step_bits / target.size)
            t = t_next
        self.errors = np.random.default_rng(15).standard_normal(target.shape).astype(np.float32)

    def eps(self, latent, timestep):
        self.inner.eps(latent, timestep)  # the real-architecture UNet call: its cost, its output unused
        ab = float(self.alpha_bar[timestep])
        x0 = self.target + self.error_scale.get(timestep, 0.0) * self.errors
        return ((latent - math.sqrt(ab) * x0) / math.sqrt(1 - ab)).astype(np.float32)


def section_sd15(kl_from: Path | None) -> dict:
    """Encode and decode time per 512x512 image on the SD-1.5 architecture (random weights, float32), with the
    timestep schedule of profile 0 and a fixed rate (TimingOnlyModel)."""
    from dataclasses import replace

    from aigif_ref.diffc import codec, pfr
    from aigif_ref.diffc.gpu import BACKENDS
    from aigif_ref.diffc.model import DiffcModel, alphas_cumprod, noise_source
    from aigif_ref.diffc.payload import DiffcPayload, build_payload
    from aigif_ref.diffc.profile import profiles
    from benchmarks.architectures import build_pipeline

    import benchmarks.bench_diffc_rd as rd

    registry_profile = profiles(rd.registry_here())[0]
    # TIMING ONLY: profile 0's schedule on the SD-1.5 latent geometry, bound to no model, in no registry.
    profile = replace(registry_profile, code=-1, name="timing-only-sd15", model_id=-1, model_files={},
                      latent_downscale=8)
    start = time.perf_counter()
    pipe = build_pipeline("sd15", torch.float32, DEVICE)
    pipe.set_progress_bar_config(disable=True)
    build_s = time.perf_counter() - start
    inner = DiffcModel(-1, pipe, DEVICE, alphas_cumprod(dict(pipe.scheduler.config)), 4, 8, 0.18215, noise_source(DEVICE))
    inner.set_prompt(profile.prompt)
    try:
        import skimage.data

        rgb = skimage.data.astronaut()  # 512x512, public domain
        image = "skimage astronaut 512x512"
    except ImportError:
        rgb = np.random.default_rng(0).integers(0, 256, (SD15_SIZE, SD15_SIZE, 3), dtype=np.uint8)
        image = "uniform random pixels 512x512"
    # How a payload's bits fall over the steps: the in-domain shapes images' mean KL per step (the RD run), else even.
    fractions = np.ones(len(profile.timesteps))
    if kl_from and kl_from.exists():
        raw = json.loads(kl_from.read_text(encoding="utf-8"))
        per_step = [e["kl_bits_per_step"] for e in raw["images"] if e["group"] == "shapes"]
        if per_step and all(len(k) == len(profile.timesteps) for k in per_step):
            fractions = np.mean(np.array(per_step), axis=0)
    fractions = fractions / fractions.sum()
    backend = "triton" if "triton" in BACKENDS else "numpy"  # numpy: dry run on a CPU
    searches: list[float] = []
    reference_search = pfr.candidate_search

    def timed_search(*args, **kwargs):
        begin = time.perf_counter()
        index = reference_search(*args, **kwargs)
        searches.append(time.perf_counter() - begin)
        return index

    out: dict = {"label": "TIMING ONLY: SD-1.5 architecture, random weights (benchmarks/architectures.py), float32; "
                          "profile 0's timesteps on a 4x64x64 latent, not a registry profile; KL per step fixed by "
                          "TimingOnlyModel", "image": image, "backend": backend, "noise": repr(inner.noise),
                 "build_s": round(build_s, 1), "bits_fractions_per_step": [round(f, 4) for f in fractions],
                 "runs": []}
    pfr.candidate_search = timed_search
    try:
        target = inner.encode_image(rgb)  # also the warm-up of the VAE encoder
        for bpp in (SD15_BPP[0],) + SD15_BPP:  # the first run is a warm-up, not recorded
            bits = list(fractions * bpp * SD15_SIZE * SD15_SIZE)
            model = TimingOnlyModel(inner, profile, target, bits)
            searches.clear()
            sync()
            begin = time.perf_counter()
            encoded_target = inner.encode_image(rgb)
            result = codec.encode_latent(model, encoded_target, 1, profile, len(profile.timesteps), backend=backend)
            sync()
            encode_s = time.perf_counter() - begin
            begin = time.perf_counter()
            noisy = codec.decode_noisy_latent(model, result.indices, 1, profile, target.shape, noise=inner.noise)
            latent = codec.denoise(model, noisy, profile.timesteps[-1], profile)
            inner.decode_latent(latent)
            sync()
            decode_s = time.perf_counter() - begin
            # its size (code -1 is no uvarint; any code below 128 is one byte, like profile 0's)
            payload = build_payload(DiffcPayload(registry_profile.code, tuple(tuple(s) for s in result.indices)))
            chunks = sum(map(len, result.indices))
            out["runs"].append({
                "target_bpp_ideal": bpp, "ideal_bits": round(sum(result.kl_bits), 1), "payload_bytes": len(payload),
                "bpp": round(len(payload) * 8 / SD15_SIZE ** 2, 4), "steps": len(result.indices), "chunks": chunks,
                "encode_s": round(encode_s, 3), "search_s": round(sum(searches), 3),
                "search_ms_per_chunk": round(sum(searches) / max(1, chunks) * 1e3, 3),
                "model_calls_encode": len(profile.timesteps), "decode_s": round(decode_s, 3),
                "model_calls_decode": len(profile.timesteps) + len(profile.denoise_timesteps(profile.timesteps[-1])) + 1,
                "decoder_latent_equals_encoder": bool(np.array_equal(noisy, result.latents[-1]))})
        out["runs"] = out["runs"][1:]
    finally:
        pfr.candidate_search = reference_search
    # The model calls alone: one UNet call on the 4x64x64 latent, VAE encode and decode of 512x512.
    latent = np.zeros((4, 64, 64), dtype=np.float32)
    out["unet_call_ms"] = wall_ms(lambda: inner.eps(latent, 500), reps=10)
    out["vae_encode_ms"] = wall_ms(lambda: inner.encode_image(rgb), reps=3)
    out["vae_decode_ms"] = wall_ms(lambda: inner.decode_latent(latent), reps=3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--sections", default="identity,timing,codec,sd15")
    parser.add_argument("--kl-from", type=Path, help="bench_diffc_rd's raw JSON: the shapes KL per step, for sd15")
    parser.add_argument("--dry-run", action="store_true", help="CPU, small sizes (set TRITON_INTERPRET=1)")
    args = parser.parse_args()
    global DEVICE, SCALE
    if args.dry_run:
        DEVICE, SCALE = "cpu", DRY_SCALE
    import triton

    from aigif_ref.diffc.gpu import triton_kernels as tk

    result: dict = {
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
        "machine": "NVIDIA H200, device tool",
        "gpu": torch.cuda.get_device_name(0) if DEVICE == "cuda" else "none (dry run)",
        "python": platform.python_version(), "torch": torch.__version__, "triton": triton.__version__,
        "numpy": np.__version__,
        "cpu": platform.processor() or platform.machine(),
    }
    for name in args.sections.split(","):
        start = time.perf_counter()
        try:
            result[name] = {"identity": lambda: section_identity(tk), "timing": lambda: section_timing(tk),
                            "codec": section_codec, "sd15": lambda: section_sd15(args.kl_from)}[name]()
        except Exception:  # noqa: BLE001 - record and go on: one device call must give every figure it can
            result[name] = {"error": traceback.format_exc()[-3000:]}
        result[name + "_seconds"] = round(time.perf_counter() - start, 1)
        print(name, "done in", result[name + "_seconds"], "s", flush=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
