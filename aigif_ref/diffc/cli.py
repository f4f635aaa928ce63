"""`aigif compress IMAGE.png -o FILE.aigif --diffc --model NAME [--t T | --bits N]` (spec/diffc.md)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from aigif_ref.api import check_output, encode, read_bytes, write_atomic
from aigif_ref.errors import AigifError
from aigif_ref.registry import default_registry, load_registry

MAX_IMAGE_BYTES = 64 << 20


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "compress", help="compress an image into an .aigif (DiffC: the model is the codec)",
        description="Lossy-compress an image with a diffusion model the registry has a DiffC profile for "
                    "(spec/diffc.md): the file holds the model ID, a seed and a short payload of reverse-channel "
                    "coded chunk indices; `aigif render` decodes it. Needs the render extra (torch, diffusers).")
    p.add_argument("image", metavar="IMAGE.png")
    p.add_argument("-o", "--output", required=True, metavar="FILE.aigif")
    p.add_argument("--diffc", action="store_true", required=True, help="use the DiffC pixel compressor (the only one)")
    p.add_argument("--model", required=True, metavar="NAME|ID", help="registry model name or ID (e.g. aigif-shapes)")
    rate = p.add_mutually_exclusive_group()
    rate.add_argument("--t", type=int, metavar="T", help="code down to timestep T (lower: more bits, more detail)")
    rate.add_argument("--bits", type=int, metavar="N", help="the most steps whose payload fits in N bits")
    p.add_argument("--seed", type=lambda s: int(s, 0), default=0, metavar="S", help="64-bit generator key (default 0)")
    p.add_argument("--profile", type=int, metavar="CODE", help="DiffC profile code (default: the model's newest)")
    p.add_argument("--prompt", default="", help="prompt the model is conditioned on, stored in the record "
                   "(profiles with conditioning 'record'; a caption of the image lowers the rate)")
    p.add_argument("--guidance", type=float, default=1.0, metavar="G", help="classifier-free guidance (default 1: none)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--backend", default="auto",
                   help="candidate search: numpy, or another registered backend; auto = the GPU kernel when "
                        "present on a CUDA device, else numpy (all give the same indices)")
    p.add_argument("--models", metavar="DIR", help="folder holding model folders (also $AIGIF_MODELS)")
    p.add_argument("--allow-unpinned", action="store_true")
    p.set_defaults(func=cmd_compress)


def _model_id(name: str, registry: Any) -> int:
    if name.isdigit():
        return int(name)
    for model_id, model in registry.models.items():
        if model["name"] == name:
            return model_id
    raise AigifError("AIGIF_E_UNKNOWN_CODE", f"model {name!r} is not in the registry")


def _image(path: str):
    import io

    import numpy as np
    from PIL import Image

    data = read_bytes(path, MAX_IMAGE_BYTES, "an image", regular_only=True)
    try:
        with Image.open(io.BytesIO(data)) as image:
            return np.asarray(image.convert("RGB"))
    except Exception as exc:  # noqa: BLE001  untrusted bytes: Pillow raises many kinds
        raise AigifError("AIGIF_E_IO", f"{path}: not an image Pillow can read ({type(exc).__name__})") from None


def pick_backend(backend: str, device: str) -> str:
    from aigif_ref.diffc import pfr

    if backend != "auto":
        if backend not in pfr.SCORE_BACKENDS:
            raise AigifError("AIGIF_E_DEPENDENCY", f"candidate-search backend {backend!r} is not available "
                                                   f"(have: {', '.join(sorted(pfr.SCORE_BACKENDS))})")
        return backend
    if device == "cuda":
        try:
            import aigif_ref.diffc.gpu  # noqa: F401  (registers its backend when present)
        except ImportError:
            pass
    return next((b for b in ("triton", "torch") if b in pfr.SCORE_BACKENDS and device == "cuda"), "numpy")


def cmd_compress(args: argparse.Namespace) -> int:
    registry = load_registry(args.registry) if getattr(args, "registry", None) else default_registry()
    model_id = _model_id(args.model, registry)
    output = Path(args.output)
    check_output(output, [args.image])
    rgb = _image(args.image)
    from aigif_ref.diffc.files import compress
    from aigif_ref.diffc.model import load_model

    model = load_model(model_id, args.device, registry, args.models, args.allow_unpinned)
    result = compress(rgb, model, model_id, seed=args.seed, t=args.t, bits=args.bits, registry=registry,
                      backend=pick_backend(args.backend, model.device), profile_code=args.profile, prompt=args.prompt,
                      guidance=args.guidance)
    data = encode(result.record, registry)
    write_atomic(output, data, inputs=[args.image])
    height, width = rgb.shape[:2]
    print(f"wrote {output} ({len(data)} bytes; DiffC payload {len(result.payload)} bytes = "
          f"{len(result.payload) * 8 / (height * width):.4f} bpp, {result.steps} steps, "
          f"ideal {sum(result.kl_bits):.0f} bits; {result.seconds:.1f} s on {model.device})")
    return 0
