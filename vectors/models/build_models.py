"""Build the tiny test models shipped in vectors/models/ (registry IDs 490, 491 and 493).

Three diffusers pipelines with random but fixed weights, for tests, vectors and the README's
main command; they do not make meaningful images:

- ``aigif-tiny-sd15``: StableDiffusionPipeline (family sd1): CLIPTextModel, UNet2DConditionModel,
  AutoencoderKL, PNDMScheduler with Stable Diffusion 1.5's scheduler config.
- ``aigif-tiny-sdxl``: StableDiffusionXLPipeline (family sdxl): CLIPTextModel and
  CLIPTextModelWithProjection, a UNet with the ``text_time`` addition embedding (micro-conditioning),
  AutoencoderKL with SDXL's scaling factor and force_upcast, EulerDiscreteScheduler with SDXL's config.
- ``aigif-tiny-sdxl-refiner``: StableDiffusionXLImg2ImgPipeline (family sdxl-refiner), laid out as
  stable-diffusion-xl-refiner-1.0: the second text encoder only, a UNet whose ``text_time`` embedding takes the
  refiner's micro-conditioning (original size, crop, aesthetic score), and the base's VAE and second text
  encoder byte for byte (``shared`` below), as the real refiner shares them with the real base: the base's
  latents are the refiner's (base + refiner goldens, vectors/generate_stages.py).

Determinism, independent of the torch version: every configuration file is written here from the
dicts below (with ``_diffusers_version`` pinned to the version the recipe was written for); weights
come from save_pretrained (safetensors only) after every randomly initialised tensor has been
overwritten with values derived from SHAKE-256 of (SEED, model, component, tensor name), rounded once
to WEIGHT_DTYPE (float16: in float32 the SDXL folder is 4.7 MB; float16 values are exact in float32,
so loading with either dtype gives the same weights). Tensors
whose initialisation is a constant (norm weights 1, biases 0) keep it; the build asserts they are
exactly 0 or 1, so torch's random number generator never reaches the output. The bytes then depend
only on the architecture (the tensor names and shapes) and the safetensors writer.

Tokenizer: the real CLIP BPE (OpenAI CLIP's bpe_simple_vocab_16e6.txt, MIT; taken from the
open_clip_torch 3.3.0 wheel), truncated to its first BPE_MERGES = 7678 merges, which makes a
vocabulary of exactly 8192 tokens (256 byte tokens, 256 end-of-word byte tokens, 7678 merges,
<|startoftext|>, <|endoftext|>). Token IDs below 8190 are the real CLIP IDs; the two special tokens
are 8190 and 8191 instead of 49406 and 49407. The full 49,408-token vocabulary does not fit the
4 MB budget: its token embedding alone is 49408 x 32 x 2 bytes = 3.2 MB per text encoder (SDXL has
two), and its vocab.json + merges.txt are about 1.4 MB per tokenizer. 8192 tokens keep common words
whole (a 40-token prompt in the real tokenizer takes 48 here) at 0.5 MB per embedding. The truncated merges
list is vendored as bpe/clip-bpe-merges.txt (with the licence), so the build needs no network;
``--bpe-from OPEN_CLIP_WHEEL`` re-derives it from the wheel and checks the original's sha256.

Usage (from the repository root):
    python3 vectors/models/build_models.py            # build both folders, update registry.json files
    python3 vectors/models/build_models.py --check    # rebuild in a temp dir, compare with registry.json
    python3 vectors/models/build_models.py --bpe-from open_clip_torch-3.3.0-py3-none-any.whl
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
REGISTRY = REPO_ROOT / "registry.json"
BUILD_RECORD = HERE / "BUILD.json"
SCRIPT = "vectors/models/build_models.py"

sys.path.insert(0, str(REPO_ROOT))
from aigif_ref.api import write_atomic  # noqa: E402

SEED = 0
# The configs below were written for these versions; they are pinned into the files so that the
# bytes do not change with the installed version (the loaders read these keys as information only).
DIFFUSERS_VERSION = "0.42.1"
TRANSFORMERS_VERSION = "5.23.0"
WEIGHT_DTYPE = "float16"  # see the module docstring

# -- the CLIP BPE vocabulary ----------------------------------------------------------------------

BPE_MERGES = 7678  # 512 byte tokens + 7678 merges + 2 special tokens = 8192
BPE_FILE = HERE / "bpe" / "clip-bpe-merges.txt"
BPE_FILE_SHA256 = "08821cd324b34f81874d41cbad2902c08a5d84afdba46ba15b39ae482c37d49f"
OPEN_CLIP_MEMBER = "open_clip/bpe_simple_vocab_16e6.txt.gz"
OPEN_CLIP_BPE_SHA256 = "924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a"
BOS, EOS = "<|startoftext|>", "<|endoftext|>"


def bpe_from_wheel(wheel: Path) -> None:
    """Write BPE_FILE: the first BPE_MERGES merge lines of open_clip's CLIP BPE file."""
    data = zipfile.ZipFile(wheel).read(OPEN_CLIP_MEMBER)
    digest = hashlib.sha256(data).hexdigest()
    if digest != OPEN_CLIP_BPE_SHA256:
        raise SystemExit(f"{OPEN_CLIP_MEMBER} in {wheel} has sha256 {digest}, expected {OPEN_CLIP_BPE_SHA256}")
    lines = gzip.decompress(data).decode("utf-8").split("\n")
    # The header of Hugging Face's merges.txt (the original's names its file); the file is then
    # byte-identical to the tokenizers' merges.txt.
    text = "#version: 0.2\n" + "".join(line + "\n" for line in lines[1:1 + BPE_MERGES])
    write_atomic(BPE_FILE, text.encode("utf-8"))
    print(f"wrote {BPE_FILE.relative_to(REPO_ROOT)} sha256 {hashlib.sha256(BPE_FILE.read_bytes()).hexdigest()}")


def bytes_to_unicode() -> list[str]:
    """CLIP's (and GPT-2's) byte -> printable character table, in byte-token order."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    rest = [b for b in range(256) if b not in printable]
    return [chr(b) for b in printable] + [chr(256 + i) for i in range(len(rest))]


def clip_bpe() -> tuple[dict[str, int], list[tuple[str, str]]]:
    data = BPE_FILE.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != BPE_FILE_SHA256:
        raise SystemExit(f"{BPE_FILE} has sha256 {digest}, expected {BPE_FILE_SHA256}")
    lines = data.decode("utf-8").splitlines()
    merges = [tuple(line.split(" ")) for line in lines[1:]]
    assert len(merges) == BPE_MERGES and all(len(m) == 2 for m in merges)
    byte_tokens = bytes_to_unicode()
    # CLIP's vocabulary order (open_clip SimpleTokenizer): bytes, bytes + </w>, merges, specials.
    tokens = [*byte_tokens, *(t + "</w>" for t in byte_tokens), *("".join(m) for m in merges), BOS, EOS]
    return {token: i for i, token in enumerate(tokens)}, merges


# -- configurations --------------------------------------------------------------------------------

VOCAB_SIZE = 2 * 256 + BPE_MERGES + 2
BOS_ID, EOS_ID = VOCAB_SIZE - 2, VOCAB_SIZE - 1


def text_encoder_config(architecture: str, hidden_act: str, pad_token_id: int, projection_dim: int | None = None) -> dict:
    config = {
        "architectures": [architecture], "model_type": "clip_text_model", "dtype": WEIGHT_DTYPE,
        "vocab_size": VOCAB_SIZE, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 5,
        "num_attention_heads": 4, "max_position_embeddings": 77, "hidden_act": hidden_act,
        "layer_norm_eps": 1e-05, "bos_token_id": BOS_ID, "eos_token_id": EOS_ID, "pad_token_id": pad_token_id,
    }
    if projection_dim is not None:
        config["projection_dim"] = projection_dim
    return config


def tokenizer_config(pad_token: str) -> dict:
    return {"tokenizer_class": "CLIPTokenizer", "model_max_length": 77, "bos_token": BOS, "eos_token": EOS,
            "unk_token": EOS, "pad_token": pad_token}


SD15_SCHEDULER = {  # stable-diffusion-v1-5's scheduler/scheduler_config.json
    "_class_name": "PNDMScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear", "beta_start": 0.00085,
    "clip_sample": False, "num_train_timesteps": 1000, "set_alpha_to_one": False, "skip_prk_steps": True,
    "steps_offset": 1, "trained_betas": None,
}
SDXL_SCHEDULER = {  # stable-diffusion-xl-base-1.0's scheduler/scheduler_config.json
    "_class_name": "EulerDiscreteScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear",
    "beta_start": 0.00085, "clip_sample": False, "interpolation_type": "linear", "num_train_timesteps": 1000,
    "prediction_type": "epsilon", "sample_max_value": 1.0, "set_alpha_to_one": False, "skip_prk_steps": True,
    "steps_offset": 1, "timestep_spacing": "leading", "trained_betas": None, "use_karras_sigmas": False,
}

# A two-level UNet and VAE (vae_scale_factor 2: a 64x64 image has 32x32 latents).
SD15_UNET = {
    "_class_name": "UNet2DConditionModel", "sample_size": 32, "in_channels": 4, "out_channels": 4,
    "block_out_channels": [16, 32], "layers_per_block": 1, "norm_num_groups": 8,
    "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"], "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
    "attention_head_dim": [2, 4], "cross_attention_dim": 32,
}
SDXL_UNET = {
    "_class_name": "UNet2DConditionModel", "sample_size": 32, "in_channels": 4, "out_channels": 4,
    "block_out_channels": [16, 32], "layers_per_block": 1, "norm_num_groups": 8,
    "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D"], "up_block_types": ["CrossAttnUpBlock2D", "UpBlock2D"],
    "attention_head_dim": [2, 4], "transformer_layers_per_block": [1, 1], "use_linear_projection": True,
    "cross_attention_dim": 64,  # text_encoder hidden 32 + text_encoder_2 hidden 32
    "addition_embed_type": "text_time", "addition_time_embed_dim": 8,
    "projection_class_embeddings_input_dim": 80,  # 6 micro-conditioning values x 8 + pooled text 32
}
SDXL_REFINER_UNET = {
    **SDXL_UNET,
    "cross_attention_dim": 32,  # text_encoder_2 only
    "projection_class_embeddings_input_dim": 72,  # 5 values (original size, crop, aesthetic score) x 8 + pooled text 32
}


def vae_config(scaling_factor: float, force_upcast: bool) -> dict:
    return {
        "_class_name": "AutoencoderKL", "sample_size": 64, "in_channels": 3, "out_channels": 3, "latent_channels": 4,
        "block_out_channels": [16, 32], "layers_per_block": 1, "norm_num_groups": 8,
        "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D"],
        "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D"],
        "scaling_factor": scaling_factor, "force_upcast": force_upcast,
    }


# model name -> {"model_index": the pipeline's model_index.json, component folder: its configuration}.
MODELS: dict[str, dict[str, Any]] = {
    "aigif-tiny-sd15": {
        "model_index": {
            "_class_name": "StableDiffusionPipeline", "feature_extractor": [None, None], "image_encoder": [None, None],
            "requires_safety_checker": False, "safety_checker": [None, None],
            "scheduler": ["diffusers", "PNDMScheduler"], "text_encoder": ["transformers", "CLIPTextModel"],
            "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "UNet2DConditionModel"],
            "vae": ["diffusers", "AutoencoderKL"],
        },
        "scheduler": SD15_SCHEDULER,
        "text_encoder": text_encoder_config("CLIPTextModel", "quick_gelu", pad_token_id=EOS_ID),
        "tokenizer": tokenizer_config(pad_token=EOS),
        "unet": SD15_UNET,
        "vae": vae_config(scaling_factor=0.18215, force_upcast=True),
    },
    "aigif-tiny-sdxl": {
        "model_index": {
            "_class_name": "StableDiffusionXLPipeline", "feature_extractor": [None, None],
            "force_zeros_for_empty_prompt": True, "image_encoder": [None, None],
            "scheduler": ["diffusers", "EulerDiscreteScheduler"], "text_encoder": ["transformers", "CLIPTextModel"],
            "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
            "tokenizer": ["transformers", "CLIPTokenizer"], "tokenizer_2": ["transformers", "CLIPTokenizer"],
            "unet": ["diffusers", "UNet2DConditionModel"], "vae": ["diffusers", "AutoencoderKL"],
        },
        "scheduler": SDXL_SCHEDULER,
        "text_encoder": text_encoder_config("CLIPTextModel", "quick_gelu", pad_token_id=EOS_ID),
        "text_encoder_2": text_encoder_config("CLIPTextModelWithProjection", "gelu", pad_token_id=0, projection_dim=32),
        "tokenizer": tokenizer_config(pad_token=EOS),
        "tokenizer_2": tokenizer_config(pad_token="!"),  # as in SDXL: the second tokenizer pads with "!" (ID 0)
        "unet": SDXL_UNET,
        "vae": vae_config(scaling_factor=0.13025, force_upcast=True),
    },
    "aigif-tiny-sdxl-refiner": {
        "model_index": {  # stable-diffusion-xl-refiner-1.0's model_index.json
            "_class_name": "StableDiffusionXLImg2ImgPipeline", "feature_extractor": [None, None],
            "force_zeros_for_empty_prompt": False, "image_encoder": [None, None], "requires_aesthetics_score": True,
            "scheduler": ["diffusers", "EulerDiscreteScheduler"], "text_encoder": [None, None],
            "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"], "tokenizer": [None, None],
            "tokenizer_2": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "UNet2DConditionModel"],
            "vae": ["diffusers", "AutoencoderKL"],
        },
        "scheduler": SDXL_SCHEDULER,  # the refiner's is the base's
        "text_encoder_2": text_encoder_config("CLIPTextModelWithProjection", "gelu", pad_token_id=0, projection_dim=32),
        "tokenizer_2": tokenizer_config(pad_token="!"),
        "unet": SDXL_REFINER_UNET,
        "vae": vae_config(scaling_factor=0.13025, force_upcast=True),
    },
}
# model -> {component: the model whose weights it takes}: the same SHAKE-256 key, so the same tensors.
SHARED_WEIGHTS = {"aigif-tiny-sdxl-refiner": {"text_encoder_2": "aigif-tiny-sdxl", "vae": "aigif-tiny-sdxl"}}


# -- writing ---------------------------------------------------------------------------------------

def json_bytes(obj: Any) -> bytes:
    return (json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def diffusers_config(config: dict) -> dict:
    return {**config, "_diffusers_version": DIFFUSERS_VERSION}


def fill_weights(module, key: str) -> None:
    """Overwrite every randomly initialised tensor with SHAKE-256-derived uniform values.

    Bound 1/sqrt(fan_in), torch's default for Linear and Conv (a bias takes its weight's fan_in).
    """
    import numpy as np
    import torch

    state = module.state_dict()
    with torch.no_grad():
        for name, tensor in state.items():
            if not tensor.is_floating_point():
                continue
            flat = tensor.reshape(-1)
            if bool((flat == flat[0]).all()):
                assert float(flat[0]) in (0.0, 1.0), f"{key}/{name}: constant init {float(flat[0])}"
                continue
            shape = tuple(tensor.shape)
            if len(shape) == 1 and name.endswith(".bias"):
                weight = state.get(name[: -len("bias")] + "weight")
                shape = tuple(weight.shape) if weight is not None and weight.dim() > 1 else shape
            fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
            words = np.frombuffer(hashlib.shake_256(f"{SEED}/{key}/{name}".encode()).digest(4 * flat.numel()), "<u4")
            values = ((words.astype(np.float64) + 0.5) / 2.0**31 - 1.0) / np.sqrt(fan_in)
            # Rounded once, straight to the stored dtype; the later cast to it is then exact.
            tensor.copy_(torch.from_numpy(values.astype(WEIGHT_DTYPE)).reshape(tensor.shape))


def build_component(component: str, config: dict):
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection

    if component.startswith("text_encoder"):
        kwargs = {k: v for k, v in config.items() if k not in ("architectures", "model_type", "dtype")}
        cls = {"CLIPTextModel": CLIPTextModel, "CLIPTextModelWithProjection": CLIPTextModelWithProjection}
        return cls[config["architectures"][0]](CLIPTextConfig(**kwargs))
    cls = {"UNet2DConditionModel": UNet2DConditionModel, "AutoencoderKL": AutoencoderKL}[config["_class_name"]]
    return cls(**{k: v for k, v in config.items() if not k.startswith("_")})


def write_tokenizer(folder: Path, config: dict) -> None:
    vocab, merges = clip_bpe()
    folder.mkdir()
    (folder / "vocab.json").write_bytes(
        (json.dumps(vocab, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8"))
    (folder / "merges.txt").write_bytes(("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges)).encode("utf-8"))
    (folder / "tokenizer_config.json").write_bytes(json_bytes(config))


def build_model(name: str, dest: Path) -> None:
    """Write the pipeline folder `name` into dest (which must not exist)."""
    import torch

    torch.manual_seed(SEED)  # constant inits only reach the files, but keep the build deterministic anyway
    spec = MODELS[name]
    dest.mkdir(parents=True)
    (dest / "model_index.json").write_bytes(json_bytes(diffusers_config(spec["model_index"])))
    for component, config in spec.items():
        if component == "model_index":
            continue
        folder = dest / component
        if component == "scheduler":
            folder.mkdir()
            (folder / "scheduler_config.json").write_bytes(json_bytes(diffusers_config(config)))
        elif component.startswith("tokenizer"):
            write_tokenizer(folder, config)
        else:
            model = build_component(component, config)
            owner = SHARED_WEIGHTS.get(name, {}).get(component, name)
            fill_weights(model, f"{owner}/{component}")
            model.to(getattr(torch, WEIGHT_DTYPE))
            if component.startswith("text_encoder"):
                model.save_pretrained(folder)
                config = {**config, "transformers_version": TRANSFORMERS_VERSION}
            else:
                model.save_pretrained(folder, safe_serialization=True)
                config = diffusers_config(config)
            (folder / "config.json").write_bytes(json_bytes(config))
            unexpected = {p.name for p in folder.iterdir()} - {"config.json", "model.safetensors",
                                                                  "diffusion_pytorch_model.safetensors"}
            assert not unexpected, f"{name}/{component}: save_pretrained wrote {sorted(unexpected)}"


def file_hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def versions() -> dict[str, str]:
    from importlib.metadata import version

    return {pkg: version(pkg) for pkg in ("torch", "diffusers", "transformers", "safetensors", "numpy")}


def registry_entry(registry: dict, name: str) -> dict:
    for model in registry["models"]:
        if model["name"] == name:
            return model
    raise SystemExit(f"registry.json has no model named {name!r}: add its entry first")


def quiet_libraries() -> None:
    """Progress bars and cast warnings from the libraries say nothing about this build."""
    from diffusers.utils import logging as diffusers_logging
    from transformers.utils import logging as transformers_logging

    diffusers_logging.set_verbosity_error()
    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()


def build_all(dest: Path) -> dict[str, dict[str, str]]:
    quiet_libraries()
    for name in MODELS:
        build_model(name, dest / name)
    return {name: file_hashes(dest / name) for name in MODELS}


def write(registry_path: Path | None = None) -> None:
    registry_path = registry_path or REGISTRY
    with tempfile.TemporaryDirectory(dir=HERE) as tmp:
        hashes = build_all(Path(tmp))
        for name in MODELS:
            target = HERE / name
            if target.exists():
                shutil.rmtree(target)
            os.replace(Path(tmp) / name, target)
    registry = json.loads(registry_path.read_text(encoding="utf-8"))
    for name, files in hashes.items():
        registry_entry(registry, name)["files"] = files
    write_atomic(registry_path, (json.dumps(registry, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    record = {"script": SCRIPT, "seed": SEED, "weight_dtype": WEIGHT_DTYPE, "bpe_merges": BPE_MERGES,
              "pinned_config_versions": {"diffusers": DIFFUSERS_VERSION, "transformers": TRANSFORMERS_VERSION},
              "built_with": versions()}
    write_atomic(BUILD_RECORD, json_bytes(record))
    for name, files in hashes.items():
        size = sum((HERE / name / f).stat().st_size for f in files)
        print(f"{name}: {len(files)} files, {size} bytes")


def check(registry_path: Path | None = None) -> list[str]:
    """Rebuild in a temporary folder; every difference from registry.json and the shipped folders."""
    registry_path = registry_path or REGISTRY
    registry = json.loads(registry_path.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        hashes = build_all(Path(tmp))
    problems = []
    for name, files in hashes.items():
        pinned = registry_entry(registry, name)["files"]
        shipped = file_hashes(HERE / name) if (HERE / name).is_dir() else {}
        for path in sorted(set(files) | set(pinned) | set(shipped)):
            got, want, have = files.get(path), pinned.get(path), shipped.get(path)
            if not got == want == have:
                problems.append(f"{name}/{path}: rebuilt {got}, registry {want}, shipped {have}")
    if problems:
        recorded = json.loads(BUILD_RECORD.read_text())["built_with"] if BUILD_RECORD.exists() else {}
        problems.append(f"built with {recorded}; installed {versions()}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="rebuild in a temp dir and compare with registry.json")
    parser.add_argument("--bpe-from", type=Path, metavar="WHEEL", help="re-derive bpe/ from the open_clip_torch wheel")
    args = parser.parse_args(argv)
    if args.bpe_from:
        bpe_from_wheel(args.bpe_from)
        return 0
    if args.check:
        problems = check()
        print("\n".join(problems) if problems else "models match registry.json")
        return 1 if problems else 0
    write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
