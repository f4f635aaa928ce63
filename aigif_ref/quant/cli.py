"""`aigif quantize` and the payload side of `aigif encode` (registered by aigif_ref/cli.py)."""
from __future__ import annotations

import argparse
import base64
from pathlib import Path
from typing import Any

from aigif_ref.api import read_bytes
from aigif_ref.errors import AigifError
from aigif_ref.quant.compressors import COMPRESSORS, MAX_PAYLOAD_BYTES

DEFAULT_COMPONENTS = "unet"  # as aigif_ref.quant.quantizer.DEFAULT_COMPONENTS (imported late: NumPy)


def add_parser(sub: Any) -> None:
    p = sub.add_parser("quantize", help="model in the store (or a GGUF file) -> quantized model payload",
                       description="Quantize a model from the model store into a model payload (spec/quantized.md), or import "
                                   "a GGUF file of it without loss (--from-gguf). Files reference it with `aigif encode --model-payload`.")
    p.add_argument("model", metavar="MODEL", help="registry model name or ID (the base model)")
    p.add_argument("--compressor", choices=[name for name, _ in COMPRESSORS.values() if name != "None"],
                   help="required unless --from-gguf")
    p.add_argument("--from-gguf", metavar="FILE.gguf", help="import this GGUF file's tensors (F32, F16, BF16, Q8_0, Q4_0) byte for "
                                                           "byte instead of quantizing; checked against MODEL's tensor names and shapes")
    p.add_argument("--keep", action="append", default=[], metavar="LAYERS",
                   help="tensor name prefix kept at higher precision (float; q8_0 under mixed), e.g. unet/conv_in; repeatable")
    p.add_argument("--components", default=DEFAULT_COMPONENTS, help="comma-separated components to quantize (default: unet)")
    p.add_argument("--models", metavar="DIR", help="folder holding model folders (also $AIGIF_MODELS)")
    p.add_argument("-o", "--output", required=True, metavar="OUT.safetensors")
    p.set_defaults(func=cmd_quantize)
    g = sub.add_parser("export-gguf", help="model payload -> GGUF file (q8_0, q4_0 and float tensors, bytes unchanged)",
                       description="Write a model payload as a GGUF file, every tensor's bytes unchanged (spec/quantized.md §9).")
    g.add_argument("payload", metavar="PAYLOAD.safetensors")
    g.add_argument("-o", "--output", required=True, metavar="OUT.gguf")
    g.set_defaults(func=cmd_export_gguf)


def cmd_export_gguf(args: argparse.Namespace) -> int:
    from aigif_ref.api import write_atomic
    from aigif_ref.quant.gguf_io import export_gguf
    from aigif_ref.quant.payload import check_scales, parse
    payload = parse(read_bytes(args.payload, MAX_PAYLOAD_BYTES, "a model payload"))
    check_scales(payload)
    data = export_gguf(payload)
    write_atomic(args.output, data, inputs=[args.payload])
    print(f"wrote {args.output} ({len(data)} bytes): {len(payload.tensors)} tensors of model {payload.base_model}")
    return 0


def cmd_quantize(args: argparse.Namespace) -> int:
    from aigif_ref.api import write_atomic
    from aigif_ref.model_store import resolve_model, staged
    from aigif_ref.quant.payload import build, sha256_hex
    from aigif_ref.quant.quantizer import quantize_model
    from aigif_ref.registry import default_registry, load_registry
    registry = load_registry(args.registry) if getattr(args, "registry", None) else default_registry()
    model_id = int(args.model) if args.model.isdigit() else registry.model_code(args.model)
    model = resolve_model(model_id, registry, args.models)
    keep = [k.strip() for item in args.keep for k in item.split(",") if k.strip()]
    if args.from_gguf:
        from aigif_ref.quant.gguf_io import import_gguf
        from aigif_ref.quant.loader import check_against_base
        from aigif_ref.quant.payload import check_scales
        if keep or args.compressor:
            raise AigifError("AIGIF_E_RECORD", "--from-gguf imports the file's own formats: leave out --compressor and --keep")
        payload = import_gguf(args.from_gguf, model_id, args.components.split(",")[0])
        check_scales(payload)
        with staged(model) as folder:
            check_against_base(payload, folder)
    elif not args.compressor:
        raise AigifError("AIGIF_E_RECORD", "give --compressor int8|q8_0|q4_0|mixed, or --from-gguf FILE.gguf")
    else:
        with staged(model) as folder:
            payload = quantize_model(folder, model_id, args.compressor, keep, [c for c in args.components.split(",") if c])
    data = build(payload)
    write_atomic(args.output, data, inputs=[args.from_gguf] if args.from_gguf else [])
    formats: dict[str, int] = {}
    for entry in payload.tensors.values():
        formats[entry.format] = formats.get(entry.format, 0) + 1
    print(f"wrote {args.output} ({len(data)} bytes, sha256 {sha256_hex(data)}): model {model.name}, compressor {payload.compressor_name}, "
          + ", ".join(f"{n} {f}" for f, n in sorted(formats.items())))
    return 0


def model_extension(path: str | Path, embed: bool) -> dict[str, Any]:
    """The JSON form of a model record (type 2) naming the payload file at ``path``, embedded or referenced."""
    from aigif_ref.quant.payload import parse, sha256_hex
    data = read_bytes(path, MAX_PAYLOAD_BYTES, "a model payload")  # never /dev/zero or a FIFO
    return extension_of(data, embed)


def extension_of(data: bytes, embed: bool) -> dict[str, Any]:
    """The JSON form of a model record (type 2) for the payload bytes `data`, embedded or referenced."""
    from aigif_ref.quant.payload import parse, sha256_hex
    payload = parse(data)  # refuse to name a malformed payload
    ext = {"type": 2, "must_understand": True, "model_compressor": payload.compressor, "storage": "embedded" if embed else "referenced",
           "payload_sha256": sha256_hex(data), "payload_size": len(data)}
    if embed:
        ext["data"] = base64.b64encode(data).decode("ascii")
    return ext


def with_model_payload(record: dict[str, Any], path: str | Path, embed: bool) -> dict[str, Any]:
    ext = model_extension(path, embed)
    others = [e for e in record.get("extensions") or [] if e.get("type") != 2]
    return {**record, "extensions": sorted([*others, ext], key=lambda e: e["type"])}
