"""Build the tiny adapters for the tiny model 490 (aigif-tiny-sd15): a LoRA and a textual-inversion embedding.

Both are random but fixed (values from SHAKE-256 of a name, as vectors/models/build_models.py does), saved
as safetensors in the formats diffusers reads: the LoRA in diffusers' PEFT layout (keys
``unet.<module>.lora_A.weight`` / ``lora_B.weight`` on every UNet attention projection, rank 4), the
embedding as ``{"emb_params": [1, 32]}`` (A1111's safetensors layout). They do not make meaningful
images; tests use them to check that the reference decoder applies them (pixels change, repeatably).

    python3 vectors/adapters/build_adapters.py          # write lora-tiny.safetensors, ti-tiny.safetensors
    python3 vectors/adapters/build_adapters.py --check  # rebuild in memory and compare bytes
"""
from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
MODEL = ROOT / "vectors" / "models" / "aigif-tiny-sd15"
RANK = 4
SCALE = 0.5  # of the random values; large enough that the LoRA visibly changes the tiny model's output
PROJECTIONS = ("to_q", "to_k", "to_v", "to_out.0")


def values(name: str, shape: tuple[int, ...]) -> np.ndarray:
    """Values in [-SCALE, SCALE) from SHAKE-256(name), rounded to float16 (exact in float32)."""
    count = int(np.prod(shape))
    raw = np.frombuffer(hashlib.shake_256(name.encode()).digest(2 * count), dtype="<u2").astype(np.float32)
    return ((raw / 65536.0 * 2 - 1) * SCALE).astype(np.float16).reshape(shape)


def lora_tensors() -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    unet = load_file(str(MODEL / "unet" / "diffusion_pytorch_model.safetensors"))
    out = {}
    for key in sorted(unet):
        module, _, leaf = key.rpartition(".")
        if leaf != "weight" or ".attn" not in module or not module.endswith(PROJECTIONS):
            continue
        out_features, in_features = unet[key].shape
        out[f"unet.{module}.lora_A.weight"] = values(f"lora A {module}", (RANK, in_features))
        out[f"unet.{module}.lora_B.weight"] = values(f"lora B {module}", (out_features, RANK))
    return out


def embedding_tensors() -> dict[str, np.ndarray]:
    import json

    hidden = json.loads((MODEL / "text_encoder" / "config.json").read_text())["hidden_size"]
    return {"emb_params": values("embedding tiny-token", (1, hidden)) * 8}  # token embeddings are larger


def build() -> dict[str, bytes]:
    from safetensors.numpy import save

    return {"lora-tiny.safetensors": save(lora_tensors()), "ti-tiny.safetensors": save(embedding_tensors())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    stale = []
    for name, data in build().items():
        path = HERE / name
        if args.check:
            if not path.is_file() or path.read_bytes() != data:
                stale.append(name)
        else:
            path.write_bytes(data)
            print(f"wrote {path.relative_to(ROOT)} ({len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()})")
    if stale:
        print("stale: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
