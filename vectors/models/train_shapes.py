"""Train aigif-shapes (registry test range): a small Stable Diffusion 1.x pipeline that draws
`a {colour} {shape} on a {colour} background` (vectors/models/shapes_language.py) at 64x64.

The dataset is drawn procedurally from a seeded generator (nothing is downloaded). Two phases, one run:

1. VAE: an AutoencoderKL (3 levels, 16x16x4 latents) trained to reconstruct the language's images
   (MSE + L1 + a small KL term); its scaling_factor is then set to 1 / std of the latents, as SD's.
2. UNet + text encoder, together, on the frozen VAE's latents: epsilon prediction with SD 1.5's noise
   schedule, offset noise (so flat colours reach their true brightness), caption dropout (10% empty
   prompts, for classifier-free guidance) and an EMA of the weights (the shipped weights).

The text encoder and tokenizer are the tiny CLIP of build_models.py (truncated real CLIP BPE, hidden
32); the scheduler is SD 1.5's PNDM config, as the other sd1 test model. Weights are float32
safetensors (the folder is under 10 MB). Configuration files are written by this script (sorted keys,
pinned library versions), as build_models.py does. TRAINING.json in the output folder's parent records
the command, device, time, library versions and final losses.

    python3 vectors/models/train_shapes.py --device cuda --vae-minutes 2 --unet-minutes 6   # the shipped weights
    python3 vectors/models/train_shapes.py --device cpu --quick                            # a small CPU run
    python3 vectors/models/train_shapes.py --install DIR   # copy a trained folder into vectors/models/aigif-shapes
                                                           # and pin its files in registry.json

A step count (--vae-steps, --unet-steps) fixes the schedule exactly; a time budget (--*-minutes) times
the first 50 steps and then fixes the step count (recorded in TRAINING.json, so a rerun with that count
repeats the schedule). Retraining need not reproduce the bytes (GPU kernels are not bit-deterministic);
the evaluation (benchmarks/bench_shapes.py) must hold for the shipped weights.
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import importlib.util
import json
import math
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
NAME = "aigif-shapes"
TARGET = HERE / NAME
TRAINING_RECORD = HERE / "aigif-shapes.TRAINING.json"
SCRIPT = "vectors/models/train_shapes.py"
SIZE = 64


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


build_models = _load("build_models")  # tokenizer, text encoder config, config writers
language = _load("shapes_language")

# -- configurations --------------------------------------------------------------------------------

TEXT_ENCODER = {**build_models.text_encoder_config("CLIPTextModel", "quick_gelu", pad_token_id=build_models.EOS_ID),
                "dtype": "float32"}
TOKENIZER = build_models.tokenizer_config(pad_token=build_models.EOS)
VAE = {
    "_class_name": "AutoencoderKL", "sample_size": SIZE, "in_channels": 3, "out_channels": 3, "latent_channels": 4,
    "block_out_channels": [16, 32, 32], "layers_per_block": 1, "norm_num_groups": 16,
    "down_block_types": ["DownEncoderBlock2D"] * 3, "up_block_types": ["UpDecoderBlock2D"] * 3,
    "scaling_factor": None,  # set after training: 1 / std of the latents
    "force_upcast": False,
}
UNET = {
    "_class_name": "UNet2DConditionModel", "sample_size": SIZE // 4, "in_channels": 4, "out_channels": 4,
    "block_out_channels": [32, 64, 64], "layers_per_block": 1, "norm_num_groups": 16,
    "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
    "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
    "attention_head_dim": 4, "cross_attention_dim": 32,
}
SCHEDULER = build_models.SD15_SCHEDULER
MODEL_INDEX = {**build_models.MODELS["aigif-tiny-sd15"]["model_index"]}

# Training settings (the CLI can override the step counts and budgets).
SEED = 20261129
CAPTION_DROPOUT = 0.1
OFFSET_NOISE = 0.1
EMA_DECAY = 0.999
FULL = {"vae_batch": 128, "vae_lr": 1e-3, "unet_batch": 256, "unet_lr": 5e-4}
QUICK = {"vae_batch": 8, "vae_lr": 1e-3, "unet_batch": 8, "unet_lr": 5e-4, "vae_steps": 30, "unet_steps": 30}


def lr_factor(step: int, total: int, warmup: int) -> float:
    """Linear warm-up, then cosine decay to 10%."""
    if step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))


class StepPlan:
    """A fixed step count, or one derived from a time budget after timing the first steps."""

    MEASURE = 50

    def __init__(self, steps: int | None, minutes: float | None, device) -> None:
        self.total = steps if steps else 10**9
        self.minutes = None if steps else minutes
        self.device = device
        self.start = time.perf_counter()

    def sync(self) -> None:
        import torch

        if self.device.type == "cuda":
            torch.cuda.synchronize()

    def after(self, step: int) -> None:
        if self.minutes and step + 1 == self.MEASURE:
            self.sync()
            per_step = (time.perf_counter() - self.start) / self.MEASURE
            self.total = max(self.MEASURE + 1, int(self.minutes * 60 / per_step))
            print(f"  {per_step * 1000:.1f} ms/step: {self.total} steps fit {self.minutes} min", flush=True)

    def elapsed(self) -> float:
        self.sync()
        return time.perf_counter() - self.start


def train_vae(args, settings: dict, device, log) -> tuple[Any, dict]:
    import torch
    from diffusers import AutoencoderKL

    vae = AutoencoderKL(**{k: v for k, v in VAE.items() if not k.startswith("_") and k != "scaling_factor"}).to(device)
    optimiser = torch.optim.AdamW(vae.parameters(), lr=settings["vae_lr"], weight_decay=0.0)
    data_gen = torch.Generator(device).manual_seed(SEED + 1)
    plan = StepPlan(args.vae_steps or settings.get("vae_steps"), args.vae_minutes, device)
    step = 0
    while step < plan.total:
        for group in optimiser.param_groups:
            group["lr"] = settings["vae_lr"] * lr_factor(step, plan.total, 100)
        images = language.draw(settings["vae_batch"], SIZE, data_gen, device).images * 2 - 1
        posterior = vae.encode(images).latent_dist
        recon = vae.decode(posterior.sample()).sample
        rec = torch.nn.functional.mse_loss(recon, images) + 0.1 * (recon - images).abs().mean()
        loss = rec + 1e-6 * posterior.kl().mean()
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        optimiser.step()
        plan.after(step)
        if step % 500 == 0 or step + 1 == plan.total:
            log(f"vae step {step + 1}/{plan.total} reconstruction loss {float(rec.detach()):.5f}")
        step += 1
    vae.eval()
    with torch.no_grad():
        images = language.draw(64 if args.quick else 512, SIZE, torch.Generator(device).manual_seed(SEED + 2), device).images * 2 - 1
        posterior = vae.encode(images).latent_dist
        recon = vae.decode(posterior.mode()).sample.clamp(-1, 1)
        psnr = float(10 * torch.log10(4 / torch.nn.functional.mse_loss(recon, images)))
        scaling = float(f"{1 / float(posterior.sample().std()):.5g}")
    vae.register_to_config(scaling_factor=scaling)
    stats = {"steps": step, "batch": settings["vae_batch"], "seconds": round(plan.elapsed(), 1),
             "final_reconstruction_loss": round(float(rec.detach()), 6), "held_out_psnr_db": round(psnr, 2),
             "scaling_factor": scaling}
    log(f"vae done: {stats}")
    return vae, stats


def train_unet(args, settings: dict, vae, device, log) -> tuple[Any, Any, dict]:
    import torch
    from diffusers import DDPMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    tokenizer = load_tokenizer()
    unet = UNet2DConditionModel(**{k: v for k, v in UNET.items() if not k.startswith("_")}).to(device)
    text_encoder = CLIPTextModel(CLIPTextConfig(**{k: v for k, v in TEXT_ENCODER.items()
                                                   if k not in ("architectures", "model_type", "dtype")})).to(device)
    noise_scheduler = DDPMScheduler.from_config({k: v for k, v in SCHEDULER.items() if k != "_class_name"})
    alphas = noise_scheduler.alphas_cumprod.to(device)
    combos = language.all_prompts()
    texts = [language.prompt(*c) for c in combos] + [""]  # the last one is the unconditional prompt
    ids = tokenizer(texts, padding="max_length", max_length=tokenizer.model_max_length, truncation=True,
                    return_tensors="pt").input_ids.to(device)
    index = {(language.COLOURS.index(fg), language.SHAPES.index(s), language.COLOURS.index(bg)): i
             for i, (fg, s, bg) in enumerate(combos)}
    lookup = torch.full((len(language.COLOURS), len(language.SHAPES), len(language.COLOURS)), len(texts) - 1,
                        dtype=torch.long, device=device)
    for (fg, s, bg), i in index.items():
        lookup[fg, s, bg] = i
    params = [*unet.parameters(), *text_encoder.parameters()]
    optimiser = torch.optim.AdamW(params, lr=settings["unet_lr"], weight_decay=1e-2)
    ema = {"unet": copy.deepcopy(unet).requires_grad_(False), "text_encoder": copy.deepcopy(text_encoder).requires_grad_(False)}
    gen = torch.Generator(device).manual_seed(SEED + 3)
    plan = StepPlan(args.unet_steps or settings.get("unet_steps"), args.unet_minutes, device)
    step, losses = 0, []
    vae.requires_grad_(False)
    while step < plan.total:
        for group in optimiser.param_groups:
            group["lr"] = settings["unet_lr"] * lr_factor(step, plan.total, 300)
        batch = language.draw(settings["unet_batch"], SIZE, gen, device)
        with torch.no_grad():
            latents = vae.encode(batch.images * 2 - 1).latent_dist.sample(gen) * vae.config.scaling_factor
        n = latents.shape[0]
        caption = lookup[batch.foreground, batch.shape, batch.background]
        dropped = torch.rand(n, generator=gen, device=device) < CAPTION_DROPOUT
        caption = torch.where(dropped, torch.full_like(caption, len(texts) - 1), caption)
        noise = torch.randn(latents.shape, generator=gen, device=device)
        noise = noise + OFFSET_NOISE * torch.randn((n, latents.shape[1], 1, 1), generator=gen, device=device)
        t = torch.randint(0, noise_scheduler.config.num_train_timesteps, (n,), generator=gen, device=device)
        a = alphas[t].view(-1, 1, 1, 1)
        noisy = a.sqrt() * latents + (1 - a).sqrt() * noise
        states = text_encoder(ids[caption])[0]
        loss = torch.nn.functional.mse_loss(unet(noisy, t, states).sample, noise)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimiser.step()
        decay = min(EMA_DECAY, (1 + step) / (10 + step))
        with torch.no_grad():
            for key, live in (("unet", unet), ("text_encoder", text_encoder)):
                torch._foreach_lerp_(list(ema[key].parameters()), list(live.parameters()), 1 - decay)
        losses.append(loss.detach())
        plan.after(step)
        if step % 1000 == 0 or step + 1 == plan.total:
            recent = float(torch.stack(losses[-200:]).mean())
            log(f"unet step {step + 1}/{plan.total} loss (mean of last 200) {recent:.5f}")
        step += 1
    stats = {"steps": step, "batch": settings["unet_batch"], "seconds": round(plan.elapsed(), 1),
             "final_loss_mean_of_last_1000_steps": round(float(torch.stack(losses[-1000:]).mean()), 6)}
    log(f"unet done: {stats}")
    return ema["unet"].eval(), ema["text_encoder"].eval(), stats


def load_tokenizer():
    from transformers import CLIPTokenizer

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "tokenizer"
        build_models.write_tokenizer(folder, TOKENIZER)
        return CLIPTokenizer.from_pretrained(folder)


def write_folder(dest: Path, vae, unet, text_encoder) -> None:
    """dest in diffusers' save_pretrained layout, float32 safetensors, configuration files written here."""
    import torch

    json_bytes, dconf = build_models.json_bytes, build_models.diffusers_config
    dest.mkdir(parents=True)
    (dest / "model_index.json").write_bytes(json_bytes(dconf(MODEL_INDEX)))
    (dest / "scheduler").mkdir()
    (dest / "scheduler" / "scheduler_config.json").write_bytes(json_bytes(dconf(SCHEDULER)))
    build_models.write_tokenizer(dest / "tokenizer", TOKENIZER)
    configs = {"vae": dconf({**VAE, "scaling_factor": vae.config.scaling_factor}), "unet": dconf(UNET),
               "text_encoder": {**TEXT_ENCODER, "transformers_version": build_models.TRANSFORMERS_VERSION}}
    for component, model in (("vae", vae), ("unet", unet), ("text_encoder", text_encoder)):
        model.to("cpu", torch.float32).save_pretrained(dest / component, safe_serialization=True)
        (dest / component / "config.json").write_bytes(json_bytes(configs[component]))
        unexpected = {p.name for p in (dest / component).iterdir()} - {
            "config.json", "model.safetensors", "diffusion_pytorch_model.safetensors"}
        assert not unexpected, f"{component}: save_pretrained wrote {sorted(unexpected)}"


def self_check(folder: Path, device, log, count: int) -> dict:
    """Render `count` prompts of the language (DDIM, 20 steps, guidance 7.5) and classify them."""
    import torch
    from diffusers import DDIMScheduler, StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained(folder, use_safetensors=True, local_files_only=True,
                                                   dtype=torch.float32).to(device)
    pipe.scheduler = DDIMScheduler.from_config(pipe.scheduler.config)
    pipe.set_progress_bar_config(disable=True)
    classifier = language.Classifier(SIZE)
    combos = language.all_prompts()
    right = {"foreground": 0, "background": 0, "shape": 0, "all": 0}
    images = []
    for i in range(count):
        fg, shape, bg = combos[(i * 37) % len(combos)]
        image = pipe(language.prompt(fg, shape, bg), height=SIZE, width=SIZE, num_inference_steps=20, guidance_scale=7.5,
                     generator=torch.Generator("cpu").manual_seed(900_000 + i), output_type="np").images[0]
        reading = classifier(image)
        hits = {"foreground": reading.foreground == fg, "background": reading.background == bg, "shape": reading.shape == shape}
        hits["all"] = all(hits.values())
        for key, hit in hits.items():
            right[key] += hit
        images.append(image)
    result = {key: round(value / count, 4) for key, value in right.items()} | {"images": count}
    save_grid(images[:32], folder.parent / "self-check.png")
    log(f"self-check ({count} prompts, DDIM 20 steps, guidance 7.5): {result}")
    return result


def save_grid(images: list, path: Path, columns: int = 8) -> None:
    """Float H x W x 3 images in [0, 1] as one PNG grid."""
    import numpy as np
    from PIL import Image

    rows = -(-len(images) // columns)
    size = images[0].shape[0]
    grid = np.ones((rows * size, columns * size, 3), dtype=np.float32)
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        grid[r * size:(r + 1) * size, c * size:(c + 1) * size] = image
    Image.fromarray((grid * 255).round().astype(np.uint8)).save(path)


def versions() -> dict[str, str]:
    from importlib.metadata import version

    return {pkg: version(pkg) for pkg in ("torch", "diffusers", "transformers", "safetensors", "numpy")}


def train(args) -> int:
    import torch

    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    diffusers_logging.set_verbosity_error()
    transformers_logging.set_verbosity_error()
    device = torch.device(args.device)
    torch.manual_seed(SEED)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    else:
        torch.set_num_threads(args.threads or torch.get_num_threads())
    settings = QUICK if args.quick else FULL
    lines: list[str] = []

    def log(text: str) -> None:
        lines.append(text)
        print(text, flush=True)

    started = time.time()
    vae, vae_stats = train_vae(args, settings, device, log)
    unet, text_encoder, unet_stats = train_unet(args, settings, vae, device, log)
    dest = args.out / NAME
    if dest.exists():
        shutil.rmtree(dest)
    write_folder(dest, vae, unet, text_encoder)
    files = build_models.file_hashes(dest)
    record = {
        "model": NAME, "script": SCRIPT, "command": "python3 " + " ".join([SCRIPT, *sys.argv[1:]]),
        "seed": SEED, "quick": args.quick, "settings": settings,
        "caption_dropout": CAPTION_DROPOUT, "offset_noise": OFFSET_NOISE, "ema_decay": EMA_DECAY,
        "device": str(device), "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else platform.processor() or platform.machine(),
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "seconds_total": round(time.time() - started, 1),
        "versions": versions(), "python": platform.python_version(),
        "vae": vae_stats, "unet_and_text_encoder": unet_stats,
        "parameters": {name: sum(p.numel() for p in m.parameters()) for name, m in
                       (("vae", vae), ("unet", unet), ("text_encoder", text_encoder))},
        "bytes": sum((dest / f).stat().st_size for f in files), "files": files,
    }
    if args.self_check:
        record["self_check"] = self_check(dest, device, log, args.self_check)
    (args.out / "TRAINING.json").write_bytes(build_models.json_bytes(record))
    (args.out / "train.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {dest} ({record['bytes']} bytes) and {args.out / 'TRAINING.json'}")
    return 0


def install(source: Path) -> int:
    """Copy a trained output folder (holding aigif-shapes/ and TRAINING.json) into vectors/models, pin it."""
    from aigif_ref.api import write_atomic

    record = json.loads((source / "TRAINING.json").read_text(encoding="utf-8"))
    files = build_models.file_hashes(source / NAME)
    if files != record["files"]:
        raise SystemExit(f"{source / NAME} does not match the sha256s in its TRAINING.json")
    if TARGET.exists():
        shutil.rmtree(TARGET)
    shutil.copytree(source / NAME, TARGET)
    write_atomic(TRAINING_RECORD, build_models.json_bytes(record))
    registry = json.loads(build_models.REGISTRY.read_text(encoding="utf-8"))
    build_models.registry_entry(registry, NAME)["files"] = files
    write_atomic(build_models.REGISTRY, (json.dumps(registry, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    print(f"installed {TARGET.relative_to(REPO_ROOT)} ({record['bytes']} bytes) and pinned {len(files)} files")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    parser.add_argument("--quick", action="store_true", help="small batches and 30 steps per phase (a CPU smoke run)")
    parser.add_argument("--vae-steps", type=int, help="VAE steps (overrides --vae-minutes)")
    parser.add_argument("--unet-steps", type=int, help="UNet steps (overrides --unet-minutes)")
    parser.add_argument("--vae-minutes", type=float, default=2.0, help="VAE time budget (default 2)")
    parser.add_argument("--unet-minutes", type=float, default=6.0, help="UNet time budget (default 6)")
    parser.add_argument("--threads", type=int, help="CPU threads")
    parser.add_argument("--self-check", type=int, default=0, metavar="N", help="render and classify N prompts at the end")
    parser.add_argument("--out", type=Path, default=Path("shapes-out"), help="output folder (default shapes-out/)")
    parser.add_argument("--install", type=Path, metavar="DIR", help="install a trained output folder instead of training")
    args = parser.parse_args(argv)
    if args.install:
        return install(args.install)
    args.out.mkdir(parents=True, exist_ok=True)
    return train(args)


if __name__ == "__main__":
    sys.exit(main())
