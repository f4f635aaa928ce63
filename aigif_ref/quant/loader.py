"""Load a model record's payload: find it, verify it, check it against the base model, dequantize into a pipeline.

spec/quantized.md §6-8. No torch at import time: only apply() needs it.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, Iterable

import numpy as np

from aigif_ref.errors import AigifError
from aigif_ref.quant.formats import cast
from aigif_ref.quant.payload import MAX_PAYLOAD_BYTES, Payload, parse, sha256_hex
from aigif_ref.quant.quantizer import component_weights

MODEL_EXTENSION = 2
PAYLOADS_ENV = "AIGIF_PAYLOADS"


def model_extension(record: dict[str, Any]) -> dict[str, Any] | None:
    return next((e for e in record.get("extensions") or [] if e.get("type") == MODEL_EXTENSION), None)


def payload_key(record: dict[str, Any]) -> str | None:
    """What identifies the quantized model beyond the base model ID (None: the base model itself)."""
    ext = model_extension(record)
    return None if ext is None else _sha(ext)


def _sha(ext: dict[str, Any]) -> str:
    digest = ext["payload_sha256"]
    return digest.hex() if isinstance(digest, (bytes, bytearray)) else str(digest)


def payload_dirs(extra: Iterable[str | os.PathLike] = ()) -> list[Path]:
    dirs = [Path(d) for d in extra]
    env = os.environ.get(PAYLOADS_ENV)
    if env:
        dirs += [Path(d) for d in env.split(os.pathsep) if d]
    return dirs


def read_referenced(sha: str, size: int, dirs: Iterable[Path]) -> bytes:
    """The payload file SHA.safetensors from the first folder that has it, size checked before reading, sha256 after."""
    if size > MAX_PAYLOAD_BYTES:
        raise AigifError("AIGIF_E_LIMIT", f"model payload of {size} bytes exceeds {MAX_PAYLOAD_BYTES}")
    looked = []
    for folder in dirs:
        path = folder / f"{sha}.safetensors"
        looked.append(str(folder))
        try:
            info = path.lstat()
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode):
            raise AigifError("AIGIF_E_PAYLOAD_HASH", f"{path} is not a regular file (links are not followed)")
        if info.st_size != size:
            raise AigifError("AIGIF_E_PAYLOAD_HASH", f"{path} has {info.st_size} bytes, the file names a payload of {size}")
        with open(path, "rb") as f:
            data = f.read(size + 1)
        if len(data) != size or sha256_hex(data) != sha:
            raise AigifError("AIGIF_E_PAYLOAD_HASH", f"{path}: sha256 differs from {sha}; the payload file was changed "
                                                     "or is another model's")
        return data
    raise AigifError("AIGIF_E_PAYLOAD_MISSING", f"model payload {sha} is in none of the payload folders "
                                                f"({', '.join(looked) or 'none given'}); pass --payloads DIR or set {PAYLOADS_ENV}")


def load_payload(record: dict[str, Any], dirs: Iterable[Path] = ()) -> Payload | None:
    """The record's payload, verified and parsed (None when the record has no model extension)."""
    ext = model_extension(record)
    if ext is None:
        return None
    sha, storage = _sha(ext), ext["storage"]
    if storage == 0:
        data = ext["data"]
        data = data if isinstance(data, (bytes, bytearray)) else __import__("base64").b64decode(data)
        if sha256_hex(bytes(data)) != sha:
            raise AigifError("AIGIF_E_PAYLOAD_HASH", "the embedded model payload's sha256 differs from the one the record names")
    else:
        data = read_referenced(sha, ext["payload_size"], dirs)
    payload = parse(bytes(data))
    if payload.compressor != ext["model_compressor"]:
        raise AigifError("AIGIF_E_PAYLOAD", f"the payload's compressor is {payload.compressor}, the file says {ext['model_compressor']}")
    if payload.base_model != record["model_id"]:
        raise AigifError("AIGIF_E_PAYLOAD_SHAPE", f"the payload quantizes model {payload.base_model}, the file's model is {record['model_id']}")
    return payload


def check_against_base(payload: Payload, folder: Path) -> None:
    """Every covered component's tensor names and shapes equal the base model's (safetensors headers only)."""
    from safetensors import safe_open
    for component in sorted(payload.components()):
        try:
            weights = component_weights(folder, component)
        except AigifError:
            raise AigifError("AIGIF_E_PAYLOAD_SHAPE", f"the payload has tensors for {component}/, which the base model does not have") from None
        with safe_open(str(weights), framework="np") as f:
            base = {name: tuple(f.get_slice(name).get_shape()) for name in f.keys()}
        ours = {name.split("/", 1)[1]: entry.shape for name, entry in payload.tensors.items() if name.startswith(component + "/")}
        missing, extra = sorted(set(base) - set(ours)), sorted(set(ours) - set(base))
        if missing or extra:
            what = f"lacks {component}/{missing[0]}" if missing else f"has {component}/{extra[0]}, which the base model does not"
            raise AigifError("AIGIF_E_PAYLOAD_SHAPE", f"the payload {what} ({len(missing)} missing, {len(extra)} extra)")
        for name, shape in ours.items():
            if base[name] != shape:
                raise AigifError("AIGIF_E_PAYLOAD_SHAPE", f"{component}/{name}: payload shape {list(shape)}, base model {list(base[name])}")


def dequantized_tensors(payload: Payload, dtype: str) -> dict[str, dict[str, np.ndarray]]:
    """component -> parameter -> values in the record's dtype (bfloat16 as uint16 bit patterns)."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for name in sorted(payload.tensors):
        component, param = name.split("/", 1)
        out.setdefault(component, {})[param] = cast(payload.dequantized(name), dtype)
    return out


def _mismatch(missing: list[str], extra: list[str], reshaped: list[str], state: dict, expected: dict) -> str:
    """Which parameters differ, the first of each kind named (a clear message instead of torch's)."""
    parts = [f"{len(missing)} parameter(s) missing (e.g. {missing[0]})"] if missing else []
    parts += [f"{len(extra)} it does not have (e.g. {extra[0]})"] if extra else []
    if reshaped:
        name = reshaped[0]
        parts.append(f"{len(reshaped)} of another shape (e.g. {name}: payload {list(state[name].shape)}, "
                     f"model {list(expected[name].shape)})")
    return "; ".join(parts)


def apply(pipe: Any, payload: Payload, dtype: str) -> None:
    """Replace the weights of every component the payload covers (strict: every parameter, no other)."""
    import torch
    for component, tensors in dequantized_tensors(payload, dtype).items():
        module = getattr(pipe, component, None)
        if module is None:
            raise AigifError("AIGIF_E_PAYLOAD_SHAPE", f"the pipeline has no component {component}")
        state = {k: (torch.from_numpy(v.view(np.int16)).view(torch.bfloat16) if dtype == "bfloat16" else torch.from_numpy(v))
                 for k, v in tensors.items()}
        expected = module.state_dict()
        missing, extra = sorted(set(expected) - set(state)), sorted(set(state) - set(expected))
        reshaped = sorted(k for k in set(state) & set(expected) if tuple(state[k].shape) != tuple(expected[k].shape))
        if missing or extra or reshaped:
            raise AigifError("AIGIF_E_PAYLOAD_SHAPE", f"the payload's {component} does not fit the pipeline's "
                             f"{type(module).__name__}: {_mismatch(missing, extra, reshaped, state, expected)}")
        try:
            module.load_state_dict(state, strict=True)
        except RuntimeError as exc:  # names and shapes match, so torch refused something else (e.g. a dtype)
            raise AigifError("AIGIF_E_PAYLOAD_SHAPE", f"the payload's {component} does not load into the pipeline's "
                             f"{type(module).__name__}") from exc
