"""Generate the render-level golden vectors (vectors/render/) with bare diffusers calls.

Each case is an AIGIF record for a shipped tiny model and the diffusers call that the
record means, written out by hand here (scheduler built with from_config, explicit
call arguments, a CPU generator seeded with the record's seed). The expected pixels
come from that bare call, not from aigif_ref's renderer, so the vectors check the
renderer's reading of the record against diffusers itself. Then the reference
renderer must reproduce every case exactly, or the script fails.

Every file carries the pixel digest extension (type 3) of its expected image, so
`aigif render --verify` on it reports bit-exact on the same platform.

    python vectors/generate_render.py [--device cpu|cuda] [--check]

--device cpu (default): CPU goldens, one thread (the platform group records
num_threads 1; the float output changes at about 1e-6 with the thread count), run with the
GOLDEN_CPU_ENV variables set (every kernel library held to AVX2; the script refuses otherwise).
--device cuda: GPU goldens, recorded with the GPU model; used only where a GPU is.
--check: regenerate into a temporary folder and compare with the committed cases
(pixels exactly) instead of writing.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from aigif_ref.api import decode, encode  # noqa: E402
from aigif_ref.codecs.png import encode_png_rgb8  # noqa: E402
from aigif_ref.model_store import resolve_model  # noqa: E402
from aigif_ref.pixel_digest import compute_digest  # noqa: E402
from aigif_ref.regen.platform import KERNEL_ENVIRONMENTS  # noqa: E402
from aigif_ref.registry import REPO_ROOT, default_registry  # noqa: E402

RENDER = REPO_ROOT / "vectors" / "render"
LEVEL = REPO_ROOT / "vectors" / "levels" / "render.txt"
SUITE_VERSION = "3.0.0"  # 2.0.0: the CPU cases record platform.cpu_capability (spec 1.1); no pixel changed; 3.0.0: so their
# version byte is 0x11 (a writer writes the lowest version its features need); no pixel changed
SPEC_VERSION = "1.1"  # bitstream spec the cases are read under
SIZE = 64
STEPS = 4
CUDA_TOLERANCE = {"max_abs_error": 2, "min_psnr": 50.0}
CPU_TOLERANCE = {"max_abs_error": 1, "min_psnr": 80.0}
# The CPU goldens are made (and re-checked) with every kernel library held to AVX2, which any x86-64 CPU
# with AVX2 (AVX-512 ones included) can run: the same pixels on every such machine.
# The files record it (platform.cpu_capability), so a renderer holds its kernels to it too.
CPU_KERNELS = "avx2"
GOLDEN_CPU_ENV = KERNEL_ENVIRONMENTS[CPU_KERNELS]


@dataclass
class Case:
    id: str
    description: str
    model: str  # registry name of a shipped tiny model
    record: dict[str, Any]  # everything but model, size, platform and device fields
    scheduler: tuple[str, dict[str, Any]]  # diffusers class, from_config overrides
    call: dict[str, Any]  # bare pipeline call arguments (no generator, no output type)
    features: list[str] = field(default_factory=list)
    batch_index: int = 0
    embeddings: Callable[..., dict[str, Any]] | None = None  # replaces prompt arguments, if set
    steps: int = STEPS
    devices: tuple[str, ...] = ("cpu", "cuda")  # where goldens of this case are made


def clip_skip_embeddings(pipe, prompt: str, clip_skip: int) -> dict[str, Any]:
    """Prompt embeddings with clip_skip computed as diffusers means them, without diffusers' code path.

    diffusers 0.42.1's own path crashes with transformers >= 5.6 (issue 14124): the hidden state
    clip_skip + 1 layers from the end, through the encoder's final layer norm. diffusers applies
    clip_skip to the prompt only; the negative prompt keeps the last layer.
    """
    import torch

    ids = pipe.tokenizer(prompt, padding="max_length", max_length=pipe.tokenizer.model_max_length,
                         truncation=True, return_tensors="pt").input_ids.to(pipe.text_encoder.device)
    with torch.no_grad():
        out = pipe.text_encoder(ids, output_hidden_states=True)
        return {"prompt_embeds": pipe.text_encoder.final_layer_norm(out.hidden_states[-(clip_skip + 1)])}


def cases() -> list[Case]:
    ddim = ("DDIMScheduler", {})
    return [
        Case("render-sd15-ddim", "Tiny SD 1.5, DDIM, a negative prompt.", "aigif-tiny-sd15",
             {"scheduler": "DDIM", "prompt": "a red fox in the snow", "negative_prompt": "blurry", "guidance_scale": 7.5,
              "seed": 1234},
             ddim, {"prompt": "a red fox in the snow", "negative_prompt": "blurry", "guidance_scale": 7.5},
             ["scheduler", "negative-prompt"]),
        Case("render-sd15-euler-a-no-negative", "Tiny SD 1.5, Euler ancestral (noise drawn at every step), no negative prompt.",
             "aigif-tiny-sd15",
             {"scheduler": "Euler a", "prompt": "a lighthouse at dusk", "guidance_scale": 5.0, "seed": 2**40 + 7},
             ("EulerAncestralDiscreteScheduler", {}), {"prompt": "a lighthouse at dusk", "guidance_scale": 5.0},
             ["scheduler", "seed-64-bit"]),
        Case("render-sd15-dpmpp-karras-clip-skip", "Tiny SD 1.5, DPM++ 2M Karras (registry preset), clip_skip 1.",
             "aigif-tiny-sd15",
             {"scheduler": "DPM++ 2M Karras", "prompt": "an oil painting of a harbour", "negative_prompt": "",
              "guidance_scale": 6.5, "seed": 99, "params": {"clip_skip": 1}},
             ("DPMSolverMultistepScheduler", {"use_karras_sigmas": True}), {"negative_prompt": "", "guidance_scale": 6.5},
             ["scheduler", "params", "clip-skip"],
             embeddings=lambda pipe: clip_skip_embeddings(pipe, "an oil painting of a harbour", 1)),
        Case("render-sd15-ddim-eta-trailing", "Tiny SD 1.5, DDIM with eta 0.5 and trailing timestep spacing.",
             "aigif-tiny-sd15",
             {"scheduler": "DDIM", "prompt": "a bowl of lemons", "guidance_scale": 7.5, "seed": 5,
              "params": {"eta": 0.5}, "scheduler_config": {"timestep_spacing": "trailing"}},
             ("DDIMScheduler", {"timestep_spacing": "trailing"}), {"prompt": "a bowl of lemons", "guidance_scale": 7.5, "eta": 0.5},
             ["scheduler-config", "params"]),
        Case("render-sd15-batch-row-1", "Tiny SD 1.5, the second image of a batch of 2 (differs from a batch of 1).",
             "aigif-tiny-sd15",
             {"scheduler": "DDIM", "prompt": "a paper boat", "guidance_scale": 7.5, "seed": 42,
              "platform": {"batch_size": 2, "batch_index": 1}},
             ddim, {"prompt": "a paper boat", "guidance_scale": 7.5, "num_images_per_prompt": 2},
             ["platform", "batch"], batch_index=1),
        Case("render-sd15-no-cfg", "Tiny SD 1.5 with guidance 1 (classifier-free guidance off).", "aigif-tiny-sd15",
             {"scheduler": "Euler", "prompt": "a mountain lake", "guidance_scale": 1.0, "seed": 7},
             ("EulerDiscreteScheduler", {}), {"prompt": "a mountain lake", "guidance_scale": 1.0},
             ["guidance"]),
        Case("render-sdxl-ddim-empty-negative", "Tiny SDXL, DDIM, an empty (not absent) negative prompt.", "aigif-tiny-sdxl",
             {"scheduler": "DDIM", "prompt": "a glass teapot", "negative_prompt": "", "guidance_scale": 5.0, "seed": 31337},
             ddim, {"prompt": "a glass teapot", "negative_prompt": "", "guidance_scale": 5.0},
             ["sdxl", "negative-prompt"]),
        Case("render-sdxl-micro-conditioning", "Tiny SDXL with original_size, target_size and crops_coords_top_left.",
             "aigif-tiny-sdxl",
             {"scheduler": "Euler", "prompt": "a city street in the rain", "guidance_scale": 6.0, "seed": 2024,
              "params": {"original_size": [128, 128], "target_size": [64, 64], "crops_coords_top_left": [8, 16]}},
             ("EulerDiscreteScheduler", {}),
             {"prompt": "a city street in the rain", "guidance_scale": 6.0, "original_size": (128, 128),
              "target_size": (64, 64), "crops_coords_top_left": (8, 16)},
             ["sdxl", "params"]),
        Case("render-shapes-ddim", "aigif-shapes (trained), DDIM 20 steps, guidance 7.5: a recognisable picture.",
             "aigif-shapes",
             {"scheduler": "DDIM", "prompt": "a red circle on a white background", "guidance_scale": 7.5, "seed": 4242},
             ddim, {"prompt": "a red circle on a white background", "guidance_scale": 7.5},
             ["scheduler", "trained-model"], steps=20, devices=("cpu",)),
    ]


def platform_group(device: str) -> dict[str, Any]:
    import diffusers
    import torch
    import transformers

    from aigif_ref.regen.platform import release

    group = {"torch_version": release(torch.__version__), "diffusers_version": release(diffusers.__version__),
             "transformers_version": release(transformers.__version__)}
    if device == "cpu":
        group["num_threads"] = 1
        group["cpu_capability"] = default_registry().enum_code("cpu_capabilities", CPU_KERNELS)
    return group


def bare_render(case: Case, device: str, dtype) -> np.ndarray:
    """The case's image from a bare diffusers call: float32 height x width x 3 in [0, 1]."""
    import diffusers
    import torch

    model = resolve_model(default_registry().model_code(case.model))
    cls = getattr(diffusers, default_registry().family_of(model.model_id)["pipeline"])
    pipe = cls.from_pretrained(model.path, use_safetensors=True, local_files_only=True, dtype=dtype).to(device)
    pipe.set_progress_bar_config(disable=True)
    name, overrides = case.scheduler
    pipe.scheduler = getattr(diffusers, name).from_config(pipe.scheduler.config, **overrides)
    call = dict(case.call, height=SIZE, width=SIZE, num_inference_steps=case.steps, output_type="np",
                generator=torch.Generator("cpu").manual_seed(case.record["seed"]))
    if case.embeddings is not None:
        call.update(case.embeddings(pipe))
    return np.asarray(pipe(**call).images[case.batch_index], dtype=np.float32)


def record_of(case: Case, device: str) -> dict[str, Any]:
    record = {"model_id": case.model, "dtype": "float32" if device == "cpu" else "float16", "steps": case.steps,
              "height": SIZE, "width": SIZE, **case.record}
    record["platform"] = {**platform_group(device), **case.record.get("platform", {})}
    if device == "cuda":
        from aigif_ref.regen.platform import current_platform

        info = current_platform("cuda", default_registry(), "cpu")
        record.update(device=info.device, gpu=info.gpu, cuda=info.cuda)
        record["platform"] = {**info.platform, **case.record.get("platform", {})}
    return record


def png_bytes(rgb: np.ndarray) -> bytes:
    return encode_png_rgb8(rgb.shape[1], rgb.shape[0], rgb.tobytes())


def write_case(case: Case, dest: Path, device: str) -> list[str]:
    import torch

    from aigif_ref.regen.render import Renderer, to_rgb8

    torch.set_num_threads(1) if device == "cpu" else None
    dtype = torch.float32 if device == "cpu" else torch.float16
    array = bare_render(case, device, dtype)
    rgb = to_rgb8(array)
    record = record_of(case, device)
    record["extensions"] = [compute_digest(rgb)]
    data = encode(record)
    problems = []
    result = Renderer(device=device).render(decode(data))
    if not np.array_equal(result.rgb, rgb):
        diff = int(np.abs(result.rgb.astype(int) - rgb.astype(int)).max())
        problems.append(f"{case.id}: the reference renderer differs from the bare diffusers call (max {diff})")
    folder = dest / (case.id if device == "cpu" else f"{case.id}-cuda")
    folder.mkdir(parents=True, exist_ok=True)
    npy = io.BytesIO()
    np.save(npy, array)
    files = {"input.aigif": data, "expected.png": png_bytes(rgb), "expected.npy": npy.getvalue()}
    for name, content in files.items():
        (folder / name).write_bytes(content)
    info = platform_group(device)
    test = {
        "id": folder.name, "level": "render", "description": case.description, "features": case.features,
        "requires": device,
        # CPU: bit-exact in the pinned environment. CUDA: a render in a fresh process on the same GPU model
        # differed from the golden by 1/255 in two of eight cases (kernel choices vary between processes).
        # CPU: bit-exact only with the same kernel instruction set, thread count and oneDNN setting (exact_when);
        # any other gave at most 1/255 and at least 86 dB (benchmarks/cpu_determinism.py), hence the tolerance.
        "tolerance": CPU_TOLERANCE if device == "cpu" else CUDA_TOLERANCE,
        "exact_when": ({"cpu_kernels": CPU_KERNELS, "environment": GOLDEN_CPU_ENV, "num_threads": 1, "mkldnn": True}
                       if device == "cpu" else None),
        "platform": {"device": device, "gpu": torch.cuda.get_device_name() if device == "cuda" else None,
                     "torch": torch.__version__, "diffusers": info["diffusers_version"],
                     "transformers": info["transformers_version"], "num_threads": 1 if device == "cpu" else None},
        "how": f"bare {default_registry().family_of(default_registry().model_code(case.model))['pipeline']} call: "
               f"{case.scheduler[0]}.from_config(model config, **{case.scheduler[1]}), {json.dumps(sorted(case.call))} "
               f"at {SIZE}x{SIZE}, {case.steps} steps, torch.Generator('cpu').manual_seed(seed), output_type='np', "
               f"row {case.batch_index}; expected.png = round(x * 255)",
        "generator": "vectors/generate_render.py",
        "files": {name: hashlib.sha256(content).hexdigest() for name, content in sorted(files.items())},
    }
    (folder / "test.json").write_text(json.dumps(test, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return problems


def write_manifest(dest: Path) -> None:
    ids = sorted(p.name for p in dest.iterdir() if (p / "test.json").is_file())
    manifest = {"suite": "aigif-render-vectors", "version": SUITE_VERSION, "spec_version": SPEC_VERSION, "cases": []}
    for case_id in ids:
        test = json.loads((dest / case_id / "test.json").read_text(encoding="utf-8"))
        manifest["cases"].append({"id": case_id, "requires": test["requires"],
                                  "sha256": test["files"]["input.aigif"], "files": test["files"]})
    (dest / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--check", action="store_true", help="compare with the committed cases instead of writing")
    parser.add_argument("--out", type=Path, default=RENDER, help="where to write (default vectors/render)")
    args = parser.parse_args(argv)
    if args.device == "cpu":
        import torch

        from aigif_ref.regen.platform import current_cpu_capability

        if current_cpu_capability(torch) != CPU_KERNELS:
            env = " ".join(f"{k}={v}" for k, v in GOLDEN_CPU_ENV.items())
            print(f"error: CPU goldens are made with {CPU_KERNELS} kernels only; run: {env} python3 {' '.join(sys.argv)}", file=sys.stderr)
            return 2
    suffix = "" if args.device == "cpu" else "-cuda"
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        dest = Path(tmp) if args.check else args.out
        for case in (c for c in cases() if args.device in c.devices):
            problems += write_case(case, dest, args.device)
            print(f"{case.id}{suffix}: {'checked' if args.check else 'written'}", flush=True)
        if args.check:
            for case in (c for c in cases() if args.device in c.devices):
                new, old = dest / f"{case.id}{suffix}", RENDER / f"{case.id}{suffix}"
                for name in ("input.aigif", "expected.png"):
                    if not (old / name).is_file() or (old / name).read_bytes() != (new / name).read_bytes():
                        problems.append(f"{case.id}{suffix}/{name} differs from the committed file")
        else:
            write_manifest(dest)
            level = sorted(p.name for p in dest.iterdir() if (p / "test.json").is_file())
            LEVEL.write_text("".join(f"{i}\n" for i in level), encoding="utf-8")
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
