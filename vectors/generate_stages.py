"""Generate the stage and prompt-dialect render goldens (vectors/stages/) with bare diffusers calls.

Each case is an AIGIF record and the computation the record means, written out by hand here, without
aigif_ref.regen. The hires fix and dialect cases use aigif-shapes (the trained model, ID 492: the A1111
emphasis rescale needs a text encoder whose outputs do not average to 0, which the random-weight tiny
models' do), from A1111's definitions: the hires fix as txt2img -> torch interpolate (or decode, truncate
to uint8, Pillow resize, VAE mean) -> StableDiffusionImg2ImgPipeline with A1111's schedule length; the
weighted prompt as the token runs written out by hand, encoded and rescaled as A1111's "Original"
emphasis does. The refiner case uses the tiny SDXL base and refiner (IDs 491 and 493) as diffusers
documents base + refiner: StableDiffusionXLPipeline with denoising_end and output_type="latent", then
StableDiffusionXLImg2ImgPipeline of the refiner with denoising_start on those latents.
The reference renderer must then reproduce every case exactly, or the script fails.

    python vectors/generate_stages.py [--check]

CPU only, one thread, every kernel library held to AVX2 (as vectors/generate_render.py; the script
refuses otherwise). --check regenerates into a temporary folder and compares with the committed files.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from aigif_ref.api import decode, encode  # noqa: E402
from aigif_ref.model_store import resolve_model  # noqa: E402
from aigif_ref.pixel_digest import compute_digest  # noqa: E402
from aigif_ref.registry import REPO_ROOT, default_registry  # noqa: E402
from vectors.generate_render import CPU_KERNELS, CPU_TOLERANCE, GOLDEN_CPU_ENV, platform_group, png_bytes  # noqa: E402

STAGES = REPO_ROOT / "vectors" / "stages"
LEVEL = REPO_ROOT / "vectors" / "levels" / "stages.txt"
SUITE, SUITE_VERSION, SPEC_VERSION = "aigif-stages-vectors", "1.0.0", "1.1"
MODEL = "aigif-shapes"
SEED = 4242
PROMPT = "a red circle on a white background"


@dataclass
class Case:
    id: str
    description: str
    record: dict[str, Any]  # on top of the model, seed, dtype and platform
    bare: Callable[[Any], np.ndarray]  # pipe -> float32 H x W x 3 in [0, 1]
    features: list[str]
    model: str = MODEL  # the first pass's model; the bare computation gets its pipeline
    pipeline: str = "StableDiffusionPipeline"
    level: str = "stages"  # the conformance level that judges it ("render": in the set, judged by no level yet)


def _generator():
    import torch

    return torch.Generator("cpu").manual_seed(SEED)


def hires_latent(pipe) -> np.ndarray:
    """First pass 64x64 DDIM 20 steps -> latents, bilinear x1.5 (A1111 "Latent"), img2img 10 steps at 0.5."""
    import diffusers
    import torch

    pipe.scheduler = diffusers.DDIMScheduler.from_config(pipe.scheduler.config)
    latents = pipe(prompt=PROMPT, height=64, width=64, num_inference_steps=20, guidance_scale=7.5, output_type="latent",
                   generator=_generator()).images
    factor = pipe.vae_scale_factor
    latents = torch.nn.functional.interpolate(latents, size=(96 // factor, 96 // factor), mode="bilinear", antialias=False)
    img2img = diffusers.StableDiffusionImg2ImgPipeline(**pipe.components)
    img2img.set_progress_bar_config(disable=True)
    total = int(10 / min(0.5, 0.999))  # A1111: int(hires steps / denoising strength) = 20, of which the last 10 run
    return img2img(prompt=PROMPT, image=latents, num_inference_steps=total, strength=10.5 / total, guidance_scale=7.5,
                   output_type="np", generator=_generator()).images[0]


def hires_lanczos(pipe) -> np.ndarray:
    """First pass 64x64 Euler 12 steps, decoded, uint8 by truncation, Lanczos to 128x128 (A1111's Upscaler.upscale:
    one Lanczos resize by the scale, already a multiple of 8), VAE mean, img2img DDIM 6 steps at 0.75."""
    import diffusers
    import torch
    from PIL import Image

    model_config = pipe.scheduler.config  # each pass builds its scheduler from the model's own config
    pipe.scheduler = diffusers.EulerDiscreteScheduler.from_config(model_config)
    first = pipe(prompt=PROMPT, height=64, width=64, num_inference_steps=12, guidance_scale=7.5, output_type="np",
                 generator=_generator()).images[0]
    image = Image.fromarray((255.0 * first).astype(np.uint8)).resize((128, 128), resample=Image.Resampling.LANCZOS)
    pixels = torch.from_numpy(np.asarray(image, dtype=np.float32) / 255.0).permute(2, 0, 1)[None].contiguous() * 2 - 1
    with torch.no_grad():
        latents = pipe.vae.encode(pixels).latent_dist.mode() * pipe.vae.config.scaling_factor
    img2img = diffusers.StableDiffusionImg2ImgPipeline(**pipe.components)
    img2img.scheduler = diffusers.DDIMScheduler.from_config(model_config)
    img2img.set_progress_bar_config(disable=True)
    total = int(6 / 0.75)  # 8
    return img2img(prompt=PROMPT, image=latents, num_inference_steps=total, strength=6.5 / total, guidance_scale=7.5,
                   output_type="np", generator=_generator()).images[0]


WEIGHTED = "a (red:1.4) circle on a [white] background"
NEGATIVE = "blue, green BREAK yellow"


def _encode_runs(pipe, runs: list[tuple[str, float]], breaks: list[int]) -> Any:
    """A1111 emphasis written out for short prompts: runs tokenized alone, packed (a new chunk after each index in
    ``breaks``), BOS + 75 + EOS per chunk, each chunk encoded, multiplied by its weights, mean restored."""
    import torch

    tok = pipe.tokenizer
    chunks: list[tuple[list[int], list[float]]] = [([], [])]
    for index, (text, weight) in enumerate(runs):
        ids = tok(text, add_special_tokens=False)["input_ids"]
        chunks[-1][0].extend(ids)
        chunks[-1][1].extend([weight] * len(ids))
        if index in breaks:
            chunks.append(([], []))
    out = []
    for ids, weights in chunks:
        pad = 75 - len(ids)
        ids = [tok.bos_token_id] + ids + [tok.eos_token_id] * pad + [tok.eos_token_id]
        weights = torch.tensor([[1.0] + weights + [1.0] * pad + [1.0]])
        with torch.no_grad():
            z = pipe.text_encoder(torch.tensor([ids]))[0]
            if bool((weights != 1).any()):
                mean = z.mean()
                z = z * weights[..., None]
                z = z * (mean / z.mean())
        out.append(z)
    return torch.cat(out, dim=1)


def weighted_prompt(pipe) -> np.ndarray:
    """(red:1.4) and [white] (1/1.1) in the prompt; a BREAK in the negative prompt (two chunks: 154 tokens), so
    the UNet sees prompt and negative prompt in separate calls, as A1111 runs them."""
    import diffusers
    import torch

    pipe.scheduler = diffusers.DDIMScheduler.from_config(pipe.scheduler.config)
    positive = _encode_runs(pipe, [("a ", 1.0), ("red", 1.4), (" circle on a ", 1.0), ("white", 1 / 1.1),
                                   (" background", 1.0)], [])
    negative = _encode_runs(pipe, [("blue, green", 1.0), ("yellow", 1.0)], [0])
    scheduler, unet, latents = pipe.scheduler, pipe.unet, None
    scheduler.set_timesteps(20)
    latents = torch.randn((1, unet.config.in_channels, 64 // pipe.vae_scale_factor, 64 // pipe.vae_scale_factor),
                          generator=_generator()) * scheduler.init_noise_sigma
    with torch.no_grad():
        for t in scheduler.timesteps:
            model_input = scheduler.scale_model_input(latents, t)
            uncond = unet(model_input, t, encoder_hidden_states=negative).sample
            cond = unet(model_input, t, encoder_hidden_states=positive).sample
            latents = scheduler.step(uncond + 7.5 * (cond - uncond), t, latents).prev_sample
        image = pipe.vae.decode(latents / pipe.vae.config.scaling_factor).sample
    return pipe.image_processor.postprocess(image, output_type="np")[0]


SDXL_BASE, SDXL_REFINER = "aigif-tiny-sdxl", "aigif-tiny-sdxl-refiner"
FOX, FOX_NEGATIVE = "a red fox in the snow", "blurry"


def sdxl_refiner(base) -> np.ndarray:
    """Base Euler, 12 steps to denoising_end 0.75 -> latents; the refiner, Euler a, the last quarter of 12 steps
    (denoising_start 0.75) on them, a CPU generator seeded again; guidance 5, 64x64."""
    import diffusers

    refiner = load_pipe(SDXL_REFINER, "StableDiffusionXLImg2ImgPipeline")
    base.scheduler = diffusers.EulerDiscreteScheduler.from_config(base.scheduler.config)
    latents = base(prompt=FOX, negative_prompt=FOX_NEGATIVE, height=64, width=64, num_inference_steps=12,
                   guidance_scale=5.0, denoising_end=0.75, output_type="latent", generator=_generator()).images
    refiner.scheduler = diffusers.EulerAncestralDiscreteScheduler.from_config(refiner.scheduler.config)
    return refiner(prompt=FOX, negative_prompt=FOX_NEGATIVE, image=latents, num_inference_steps=12, guidance_scale=5.0,
                   denoising_start=0.75, output_type="np", generator=_generator()).images[0]


def cases() -> list[Case]:
    stage = {"kind": "hires_fix", "scheduler": "DDIM"}
    return [
        Case("stages-shapes-hires-latent", "Hires fix: 64x64 first pass, A1111 'Latent' (bilinear) x1.5, 10 steps at 0.5.",
             {"prompt": PROMPT, "scheduler": "DDIM", "steps": 20, "height": 96, "width": 96, "extensions": [
                 {"type": 6, "base_height": 64, "base_width": 64, "stages": [
                     dict(stage, upscaler="Latent", height=96, width=96, steps=10, denoising_strength=0.5)]}]},
             hires_latent, ["stages", "hires-fix", "latent-upscaler"]),
        Case("stages-shapes-hires-lanczos", "Hires fix: 64x64 Euler first pass, Lanczos x2 in pixels, DDIM 6 steps at 0.75.",
             {"prompt": PROMPT, "scheduler": "Euler", "steps": 12, "height": 128, "width": 128, "extensions": [
                 {"type": 6, "base_height": 64, "base_width": 64, "stages": [
                     dict(stage, upscaler="Lanczos", height=128, width=128, steps=6, denoising_strength=0.75)]}]},
             hires_lanczos, ["stages", "hires-fix", "pixel-upscaler"]),
        Case("dialect-shapes-a1111-weights", "A1111 prompt dialect: (word:1.4), [word], BREAK in the negative prompt.",
             {"prompt": WEIGHTED, "negative_prompt": NEGATIVE, "scheduler": "DDIM", "steps": 20, "height": 64, "width": 64,
              "extensions": [{"type": 7, "dialect": "A1111"}]},
             weighted_prompt, ["prompt-dialect", "a1111-weights", "break"], level="render"),
        Case("stages-tiny-sdxl-refiner", "SDXL base + refiner: the tiny SDXL base (Euler, 12 steps, denoising_end "
             "0.75) hands its latents to the tiny SDXL refiner (Euler a, denoising_start 0.75).",
             {"prompt": FOX, "negative_prompt": FOX_NEGATIVE, "scheduler": "Euler", "steps": 12, "guidance_scale": 5.0,
              "height": 64, "width": 64, "params": {"denoising_end": 0.75}, "extensions": [
                  {"type": 6, "base_height": 64, "base_width": 64, "stages": [
                      {"kind": "refiner", "steps": 12, "scheduler": "Euler a", "model_id": SDXL_REFINER,
                       "denoising_start": 0.75}]}]},
             sdxl_refiner, ["stages", "refiner", "sdxl"], model=SDXL_BASE, pipeline="StableDiffusionXLPipeline"),
    ]


def record_of(case: Case) -> dict[str, Any]:
    return {"model_id": case.model, "dtype": "float32", "seed": SEED, "guidance_scale": 7.5, **case.record,
            "platform": platform_group("cpu")}


def load_pipe(name: str = MODEL, pipeline: str = "StableDiffusionPipeline"):
    import diffusers
    import torch

    model = resolve_model(default_registry().model_code(name))
    extra = {"add_watermarker": False} if "XL" in pipeline else {}  # the file's add_watermarker: absent = off
    pipe = getattr(diffusers, pipeline).from_pretrained(model.path, use_safetensors=True, local_files_only=True,
                                                        dtype=torch.float32, **extra)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def write_case(case: Case, dest: Path) -> list[str]:
    import torch

    from aigif_ref.regen.render import Renderer, to_rgb8

    torch.set_num_threads(1)
    array = np.asarray(case.bare(load_pipe(case.model, case.pipeline)), dtype=np.float32)
    rgb = to_rgb8(array)
    record = record_of(case)
    record["extensions"] = sorted(record["extensions"] + [compute_digest(rgb)], key=lambda ext: ext["type"])
    data = encode(record)
    problems = []
    result = Renderer(device="cpu").render(decode(data))
    if not np.array_equal(result.rgb, rgb):
        diff = int(np.abs(result.rgb.astype(int) - rgb.astype(int)).max())
        problems.append(f"{case.id}: the reference renderer differs from the bare computation (max {diff})")
    folder = dest / case.id
    folder.mkdir(parents=True, exist_ok=True)
    npy = io.BytesIO()
    np.save(npy, array)
    files = {"input.aigif": data, "expected.png": png_bytes(rgb), "expected.npy": npy.getvalue()}
    for name, content in files.items():
        (folder / name).write_bytes(content)
    info = platform_group("cpu")
    test = {
        "id": case.id, "level": case.level, "description": case.description, "features": case.features, "requires": "cpu",
        "tolerance": CPU_TOLERANCE,
        "exact_when": {"cpu_kernels": CPU_KERNELS, "environment": GOLDEN_CPU_ENV, "num_threads": 1, "mkldnn": True},
        "platform": {"device": "cpu", "torch": torch.__version__, "diffusers": info["diffusers_version"],
                     "transformers": info["transformers_version"], "num_threads": 1},
        "how": f"vectors/generate_stages.py {case.bare.__name__}: {case.bare.__doc__.split(chr(10))[0]}",
        "generator": "vectors/generate_stages.py",
        "files": {name: hashlib.sha256(content).hexdigest() for name, content in sorted(files.items())},
    }
    (folder / "test.json").write_text(json.dumps(test, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return problems


def manifest_and_level(dest: Path) -> tuple[str, str]:
    """The set's manifest.json (every case in dest) and levels/stages.txt (the cases the stages level judges)."""
    manifest = {"suite": SUITE, "version": SUITE_VERSION, "spec_version": SPEC_VERSION, "cases": []}
    judged = []
    for case in sorted(cases(), key=lambda c: c.id):
        test = json.loads((dest / case.id / "test.json").read_text(encoding="utf-8"))
        manifest["cases"].append({"id": case.id, "requires": test["requires"], "sha256": test["files"]["input.aigif"],
                                  "files": test["files"]})
        judged += [case.id] if case.level == "stages" else []
    level = ("# Multi-stage render goldens (vectors/stages/), written by vectors/generate_stages.py.\n"
             "# Not listed: the A1111 prompt-dialect golden of the same set (a dialect, not a stage).\n"
             + "".join(f"{i}\n" for i in judged))
    return json.dumps(manifest, indent=2, sort_keys=True) + "\n", level


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed cases instead of writing")
    args = parser.parse_args(argv)
    import torch

    from aigif_ref.regen.platform import current_cpu_capability

    if current_cpu_capability(torch) != CPU_KERNELS:
        env = " ".join(f"{k}={v}" for k, v in GOLDEN_CPU_ENV.items())
        print(f"error: the goldens are made with {CPU_KERNELS} kernels only; run: {env} python3 {' '.join(sys.argv)}",
              file=sys.stderr)
        return 2
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        dest = Path(tmp) if args.check else STAGES
        for case in cases():
            problems += write_case(case, dest)
            print(f"{case.id}: {'checked' if args.check else 'written'}", flush=True)
            if args.check:
                for name in ("input.aigif", "expected.png"):
                    old = STAGES / case.id / name
                    if not old.is_file() or old.read_bytes() != (dest / case.id / name).read_bytes():
                        problems.append(f"{case.id}/{name} differs from the committed file")
        manifest, level = manifest_and_level(dest)
        if not args.check:
            (STAGES / "manifest.json").write_text(manifest, encoding="utf-8")
            LEVEL.write_text(level, encoding="utf-8")
        for path, text in ((STAGES / "manifest.json", manifest), (LEVEL, level)):
            if args.check and (not path.is_file() or path.read_text(encoding="utf-8") != text):
                problems.append(f"{path.relative_to(REPO_ROOT)} differs from what the cases make")
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
