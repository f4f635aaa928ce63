"""The reference writer: a verified diffusers model folder -> a model payload (spec/quantized.md §5).

Reads each component's safetensors file (the model store has verified it), quantizes tensors of rank
>= 2 into the compressor's format and keeps the others (and --keep layers) in their own float format.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np

from aigif_ref.errors import AigifError
from aigif_ref.quant.formats import COMPRESSORS, FORMATS, quantize, to_bfloat16_bits
from aigif_ref.quant.payload import Payload, TensorEntry

WEIGHT_FILES = ("diffusion_pytorch_model.safetensors", "model.safetensors")  # diffusers / transformers names
DEFAULT_COMPONENTS = ("unet",)  # seed 001 quantizes the UNet; the VAE and text encoder stay as the base model's
_FLOAT_FORMAT = {"F32": "f32", "F16": "f16", "BF16": "bf16"}


def component_weights(folder: Path, component: str) -> Path:
    for name in WEIGHT_FILES:
        path = folder / component / name
        if path.is_file():
            return path
    raise AigifError("AIGIF_E_MODEL", f"{folder} has no {component}/ weights ({' or '.join(WEIGHT_FILES)})")


def read_component(path: Path) -> dict[str, tuple[str, np.ndarray]]:
    """name -> (stored float format, float32 values) of every tensor of one safetensors file (exact widening)."""
    from safetensors import safe_open
    out: dict[str, tuple[str, np.ndarray]] = {}
    with safe_open(str(path), framework="pt") as f:
        for name in f.keys():
            tensor = f.get_tensor(name)
            stored = str(tensor.dtype).replace("torch.", "")
            fmt = {"float32": "f32", "float16": "f16", "bfloat16": "bf16"}.get(stored)
            if fmt is None:
                raise AigifError("AIGIF_E_MODEL", f"{path}: tensor {name} is {stored}; only float tensors can be quantized")
            out[name] = (fmt, tensor.float().numpy())
    return out


def choose_format(compressor: str, name: str, values: np.ndarray, stored: str, keep: tuple[str, ...]) -> str:
    """The writer's rule (spec/quantized.md §5): which format this tensor gets."""
    kept = any(name == k or name.startswith(k.rstrip(".") + ".") for k in keep)
    allowed = dict(COMPRESSORS.values())[compressor]
    if not allowed or values.ndim < 2:
        return stored
    wanted = ("q8_0" if kept else "q4_0") if compressor == "mixed" else (stored if kept else allowed[0])
    return wanted if FORMATS[wanted].nbytes(tuple(values.shape)) is not None else stored


def _float_bytes(fmt: str, values: np.ndarray) -> bytes:
    if fmt == "bf16":  # widened from bfloat16, so this is exact
        return to_bfloat16_bits(values).astype("<u2").tobytes()
    return quantize(fmt, values)


def quantize_model(folder: Path, base_model: int, compressor: str, keep: Iterable[str] = (),
                   components: Iterable[str] = DEFAULT_COMPONENTS) -> Payload:
    codes = {name: code for code, (name, _) in COMPRESSORS.items()}
    if compressor not in codes:
        raise AigifError("AIGIF_E_UNKNOWN_CODE", f"model compressor {compressor!r}; known: {', '.join(codes)}")
    keep = tuple(keep)
    payload = Payload(base_model, codes[compressor])
    for component in components:
        for name, (stored, values) in sorted(read_component(component_weights(Path(folder), component)).items()):
            full = f"{component}/{name}"
            fmt = choose_format(compressor, full, values, stored, keep)
            data = quantize(fmt, values) if FORMATS[fmt].quantized else _float_bytes(fmt, values)
            payload.tensors[full] = TensorEntry(full, fmt, tuple(values.shape), data)
    unused = [k for k in keep if not any(n == k or n.startswith(k.rstrip(".") + ".") for n in payload.tensors)]
    if unused:
        raise AigifError("AIGIF_E_RECORD", f"--keep {unused[0]!r} names no tensor of the payload "
                                           f"(names look like {next(iter(payload.tensors), 'unet/conv_in')})")
    return payload
