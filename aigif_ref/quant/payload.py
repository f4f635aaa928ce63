"""The model-payload container: a safetensors file whose metadata names each tensor's format.

Layout (normative: spec/quantized.md, "Payload"): u64 little-endian header length N, N bytes of
JSON (the safetensors header), then the tensor data. Float tensors are stored as safetensors
F32/F16/BF16 with their own shape; quantized tensors as U8 of shape [stored bytes]. The header's
``__metadata__`` holds one key, ``aigif.model_payload``: canonical JSON of the payload version, the
base model ID, the model compressor code and, per tensor, its format and logical shape (the
per-tensor map that makes "mixed" possible). Every size is checked against the bounds below and
against the data before any tensor is touched.
"""
from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass, field
from math import prod
from typing import Any

from aigif_ref.errors import AigifError
from aigif_ref.quant.compressors import COMPRESSORS, MAX_PAYLOAD_BYTES
from aigif_ref.quant.formats import FORMATS, dequantize

METADATA_KEY = "aigif.model_payload"
PAYLOAD_VERSION = 1
MAX_HEADER_BYTES = 16 * 1024 * 1024  # the JSON header (SDXL's UNet needs about 0.5 MiB)
MAX_TENSORS = 65536
MAX_RANK = 8
MAX_ELEMENTS = 1 << 36  # one tensor
_STORAGE_DTYPES = {f.storage_dtype for f in FORMATS.values()}


@dataclass
class TensorEntry:
    name: str  # "component/parameter", e.g. "unet/conv_in.weight"
    format: str
    shape: tuple[int, ...]
    data: bytes


@dataclass
class Payload:
    base_model: int
    compressor: int  # registry model_compressors code
    tensors: dict[str, TensorEntry] = field(default_factory=dict)
    sha256: str | None = None  # of the payload file, once verified (loader.load_payload, loader.load_into)
    size: int | None = None

    @property
    def compressor_name(self) -> str:
        return COMPRESSORS[self.compressor][0]

    def dequantized(self, name: str):
        entry = self.tensors[name]
        return dequantize(entry.format, entry.data, entry.shape, name)

    def components(self) -> set[str]:
        return {name.split("/", 1)[0] for name in self.tensors}


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# ---------------------------------------------------------------- writing
def build(payload: Payload) -> bytes:
    """The canonical payload bytes: tensors in name order, compact sorted-key JSON padded with spaces to 8 bytes."""
    header: dict[str, Any] = {}
    offset = 0
    chunks = []
    table = {}
    for name in sorted(payload.tensors):
        entry = payload.tensors[name]
        fmt = FORMATS[entry.format]
        expected = fmt.nbytes(entry.shape)
        if expected != len(entry.data):
            raise AigifError("AIGIF_E_PAYLOAD", f"tensor {name}: {len(entry.data)} bytes, format {entry.format} "
                                                f"of shape {list(entry.shape)} needs {expected}")
        stored_shape = [len(entry.data)] if fmt.quantized else list(entry.shape)
        header[name] = {"dtype": fmt.storage_dtype, "shape": stored_shape, "data_offsets": [offset, offset + len(entry.data)]}
        table[name] = {"format": entry.format, "shape": list(entry.shape)}
        offset += len(entry.data)
        chunks.append(entry.data)
    meta = {"payload_version": PAYLOAD_VERSION, "base_model": payload.base_model,
            "model_compressor": payload.compressor, "tensors": table}
    header["__metadata__"] = {METADATA_KEY: _canonical_json(meta)}
    text = _canonical_json(header).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


# ---------------------------------------------------------------- reading
def _bad(message: str) -> AigifError:
    return AigifError("AIGIF_E_PAYLOAD", message)


def _shape(value: Any, where: str) -> tuple[int, ...]:
    if not isinstance(value, list) or len(value) > MAX_RANK or not all(type(d) is int and 0 <= d < 1 << 40 for d in value):
        raise _bad(f"{where}: shape must be a list of at most {MAX_RANK} non-negative integers")
    if prod(value) > MAX_ELEMENTS:
        raise AigifError("AIGIF_E_LIMIT", f"{where}: {prod(value)} elements exceed {MAX_ELEMENTS}")
    return tuple(value)


def read_header(data: bytes) -> tuple[dict[str, Any], int]:
    """(the JSON header, where the data starts), with its length bounded before it is read."""
    if len(data) > MAX_PAYLOAD_BYTES:
        raise AigifError("AIGIF_E_LIMIT", f"payload of {len(data)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    if len(data) < 8:
        raise AigifError("AIGIF_E_TRUNCATED", f"payload of {len(data)} bytes ends inside its header length")
    (length,) = struct.unpack_from("<Q", data)
    if length > MAX_HEADER_BYTES:
        raise AigifError("AIGIF_E_LIMIT", f"payload header of {length} bytes exceeds {MAX_HEADER_BYTES}")
    if len(data) < 8 + length:
        raise AigifError("AIGIF_E_TRUNCATED", f"payload ends inside its {length}-byte header")
    try:
        header = json.loads(data[8:8 + length].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _bad("payload header is not UTF-8 JSON") from None
    if not isinstance(header, dict):
        raise _bad("payload header is not a JSON object")
    return header, 8 + length


def parse(data: bytes) -> Payload:
    """Read and check a payload: bounds, tensor table, data offsets, formats, compressor (not yet scales: see check_scales)."""
    header, start = read_header(data)
    body = len(data) - start
    metadata = header.pop("__metadata__", None)
    if not isinstance(metadata, dict) or not isinstance(metadata.get(METADATA_KEY), str):
        raise _bad(f"payload header has no __metadata__.{METADATA_KEY}: not an AIGIF model payload")
    try:
        meta = json.loads(metadata[METADATA_KEY])
    except ValueError:
        raise _bad(f"__metadata__.{METADATA_KEY} is not JSON") from None
    if not isinstance(meta, dict) or set(meta) != {"payload_version", "base_model", "model_compressor", "tensors"}:
        raise _bad(f"{METADATA_KEY} must hold exactly payload_version, base_model, model_compressor, tensors")
    if meta["payload_version"] != PAYLOAD_VERSION:
        raise AigifError("AIGIF_E_VERSION", f"payload version {meta['payload_version']!r}; this reader knows {PAYLOAD_VERSION}")
    compressor = meta["model_compressor"]
    if type(compressor) is not int or compressor not in COMPRESSORS:
        raise AigifError("AIGIF_E_UNKNOWN_CODE", f"model compressor {compressor!r} is not known (registry model_compressors)")
    compressor_name, allowed = COMPRESSORS[compressor]
    base = meta["base_model"]
    if type(base) is not int or base < 0:
        raise _bad("base_model must be a registry model ID")
    table = meta["tensors"]
    if not isinstance(table, dict) or len(table) > MAX_TENSORS or len(header) > MAX_TENSORS:
        raise AigifError("AIGIF_E_LIMIT", f"a payload holds at most {MAX_TENSORS} tensors")
    if set(table) != set(header):
        raise _bad(f"the tensor table and the safetensors header name different tensors: "
                   f"{sorted(set(table) ^ set(header))[:3]}")
    spans = []
    tensors: dict[str, TensorEntry] = {}
    for name in sorted(header):
        stored, entry = header[name], table[name]
        if not isinstance(stored, dict) or not isinstance(entry, dict) or "/" not in name:
            raise _bad(f"tensor {name!r}: names are component/parameter, entries objects")
        fmt = FORMATS.get(entry.get("format"))
        if fmt is None:
            raise AigifError("AIGIF_E_UNKNOWN_CODE", f"tensor {name}: format {entry.get('format')!r} is not defined")
        if fmt.quantized and fmt.name not in allowed:
            raise _bad(f"tensor {name}: format {fmt.name} is not one compressor {compressor_name} allows")
        shape = _shape(entry.get("shape"), name)
        expected = fmt.nbytes(shape)
        if expected is None:
            raise _bad(f"tensor {name}: format {fmt.name} cannot hold shape {list(shape)}")
        offsets = stored.get("data_offsets")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(type(o) is int for o in offsets) and 0 <= offsets[0] <= offsets[1]):
            raise _bad(f"tensor {name}: data_offsets must be two ordered non-negative integers")
        if stored.get("dtype") != fmt.storage_dtype or stored.get("dtype") not in _STORAGE_DTYPES:
            raise _bad(f"tensor {name}: stored as {stored.get('dtype')!r}, format {fmt.name} is stored as {fmt.storage_dtype}")
        stored_shape = _shape(stored.get("shape"), name)
        if stored_shape != ((expected,) if fmt.quantized else shape) or offsets[1] - offsets[0] != expected:
            raise _bad(f"tensor {name}: {offsets[1] - offsets[0]} bytes stored as {list(stored_shape)}; format {fmt.name} "
                       f"of shape {list(shape)} needs {expected} bytes (a wrong block count)")
        spans.append((offsets[0], offsets[1], name))
        tensors[name] = TensorEntry(name, fmt.name, shape, b"")
    end = 0
    for begin, stop, name in sorted(spans):
        if begin != end:
            raise _bad(f"tensor {name}: data starts at {begin}, expected {end} (tensors must tile the data, no gaps or overlaps)")
        end = stop
    if end > body:
        raise AigifError("AIGIF_E_TRUNCATED", f"payload data is {body} bytes, its tensors need {end}")
    if end != body:
        raise _bad(f"payload has {body - end} bytes after its last tensor")
    for begin, stop, name in spans:
        tensors[name].data = data[start + begin:start + stop]
    return Payload(base, compressor, tensors)


def check_scales(payload: Payload) -> None:
    """Dequantize every tensor once (refusing NaN/inf scales) without keeping the results."""
    for name in payload.tensors:
        payload.dequantized(name)
