"""Load a model record's payload: find it, verify it, check it against the base model, dequantize into a pipeline.

spec/quantized.md §6-8. No torch at import time: only apply() needs it.
"""
from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
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
    payload.sha256, payload.size = sha, len(data)
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


PAYLOAD_TAG = "_aigif_model_payload"  # the attribute apply() sets on a pipeline (read by capture)
FINGERPRINT_VALUES = 4096  # values per parameter the fingerprint reads: an in-place change of a layer changes them


@dataclass(frozen=True)
class AppliedPayload:
    """Which payload a pipeline's weights came from, for capture (spec/quantized.md §8)."""

    sha256: str
    size: int
    compressor: int
    base_model: int
    components: tuple[str, ...]
    dtype: str  # torch dtype name of the weights when they were loaded
    fingerprint: str  # weights_fingerprint() right after loading
    path: str | None  # the payload file, when it was loaded from one (capture can embed it)


def weights_fingerprint(pipe: Any, components: Iterable[str]) -> str:
    """sha256 over each parameter's name, shape and first values (as float32 on the CPU): the same after moving the
    pipeline to another device, different after fusing, editing or reloading a layer."""
    import torch
    digest = hashlib.sha256()
    for component in sorted(components):
        for name, tensor in sorted(getattr(pipe, component).state_dict().items()):
            digest.update(f"{component}/{name}{list(tensor.shape)}".encode())
            digest.update(tensor.detach().reshape(-1)[:FINGERPRINT_VALUES].to("cpu", torch.float32).numpy().tobytes())
    return digest.hexdigest()


def _mismatch(missing: list[str], extra: list[str], reshaped: list[str], state: dict, expected: dict) -> str:
    """Which parameters differ, the first of each kind named (a clear message instead of torch's)."""
    parts = [f"{len(missing)} parameter(s) missing (e.g. {missing[0]})"] if missing else []
    parts += [f"{len(extra)} it does not have (e.g. {extra[0]})"] if extra else []
    if reshaped:
        name = reshaped[0]
        parts.append(f"{len(reshaped)} of another shape (e.g. {name}: payload {list(state[name].shape)}, "
                     f"model {list(expected[name].shape)})")
    return "; ".join(parts)


def apply(pipe: Any, payload: Payload, dtype: str, path: str | None = None) -> None:
    """Replace the weights of every component the payload covers (strict: every parameter, no other), and tag the
    pipeline with the payload it now runs (when the payload's sha256 is known)."""
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
    if payload.sha256 is not None:
        components = tuple(sorted(payload.components()))
        setattr(pipe, PAYLOAD_TAG, AppliedPayload(payload.sha256, payload.size, payload.compressor, payload.base_model,
                                                  components, dtype, weights_fingerprint(pipe, components), path))


def load_into(pipe: Any, path: str | os.PathLike) -> Payload:
    """Load the model payload file at `path` into a diffusers pipeline of its base model, in the pipeline's dtype:
    verified (bounded read, every scale), checked against the pipeline's own model folder when it has one, then
    applied (spec/quantized.md §8). `aigif_ref.capture.capture` then records the quantized model."""
    from aigif_ref.api import read_bytes
    from aigif_ref.quant.payload import check_scales
    data = read_bytes(path, MAX_PAYLOAD_BYTES, "a model payload")
    payload = parse(data)
    check_scales(payload)
    payload.sha256, payload.size = sha256_hex(data), len(data)
    folder = Path(str(getattr(pipe, "name_or_path", "") or ""))
    if folder.is_dir():
        check_against_base(payload, folder)
    dtype = str(pipe.dtype).removeprefix("torch.")
    if dtype not in ("float32", "float16", "bfloat16"):
        raise AigifError("AIGIF_E_PAYLOAD", f"the pipeline runs in {dtype}; payloads load into float32, float16 or bfloat16")
    apply(pipe, payload, dtype, str(Path(path).resolve()))
    return payload
