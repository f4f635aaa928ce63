"""GGUF files <-> model payloads, without changing a byte of any tensor (spec/quantized.md §9).

GGUF's F32, F16, BF16, Q8_0 and Q4_0 tensors are the payload formats f32, f16, bf16, q8_0 and q4_0 byte for
byte; every other GGUF type (Q4_1, Q5_x, the K-quants, the IQ types, ...) has no payload format and is refused
with AIGIF_E_GGUF naming the type. GGUF lists dimensions fastest first (ne[0] is the last PyTorch dimension);
a tensor whose logical shape GGUF cannot hold as such (a 3x3 convolution in blocks of 32, a rank-0 tensor)
carries its logical shape in the metadata key `aigif.logical_shape.NAME` (ComfyUI-GGUF's
`comfy.gguf.orig_shape.NAME` is read too). Needs the `gguf` package (pinned in constraints.txt).
"""
from __future__ import annotations

import os
import tempfile
from math import prod
from pathlib import Path

import numpy as np

from aigif_ref.errors import AigifError
from aigif_ref.inputs import open_regular
from aigif_ref.quant.compressors import COMPRESSORS, MAX_PAYLOAD_BYTES
from aigif_ref.quant.formats import BLOCK, FORMATS
from aigif_ref.quant.payload import Payload, TensorEntry

GGUF_FORMATS = {"F32": "f32", "F16": "f16", "BF16": "bf16", "Q8_0": "q8_0", "Q4_0": "q4_0"}  # GGML type name -> format
SHAPE_KEYS = ("aigif.logical_shape.", "comfy.gguf.orig_shape.")
ARCHITECTURE = "aigif"  # general.architecture of exported files
COMPONENT_KEY, BASE_MODEL_KEY, COMPRESSOR_KEY = "aigif.component", "aigif.base_model", "aigif.model_compressor"


def _gguf():
    try:
        import gguf
    except ImportError:
        raise AigifError("AIGIF_E_GGUF", "reading or writing GGUF needs the gguf package: pip install -c constraints.txt gguf") from None
    return gguf


def compressor_for(formats: set[str]) -> int:
    """The model compressor of a payload using `formats`: the one allowing exactly its quantized formats, else the
    mixed one (q8_0 and q4_0 together), 0 when every tensor is float."""
    quantized = {f for f in formats if FORMATS[f].quantized}
    if not quantized:
        return 0
    exact = [code for code, (_, allowed) in COMPRESSORS.items() if set(allowed) == quantized]
    return exact[0] if exact else max((len(allowed), code) for code, (_, allowed) in COMPRESSORS.items() if quantized <= set(allowed))[1]


def import_gguf(path: str | os.PathLike, base_model: int, component: str = "unet") -> Payload:
    """A payload holding every tensor of the GGUF file at `path`, its bytes unchanged."""
    gguf = _gguf()
    path = Path(path)
    with open_regular(path, "a .gguf file") as stream:  # the reader maps the file: a device or FIFO has no size
        size = os.fstat(stream.fileno()).st_size
    if size > MAX_PAYLOAD_BYTES:
        raise AigifError("AIGIF_E_LIMIT", f"{path}: {size} bytes exceeds the payload limit {MAX_PAYLOAD_BYTES}")
    try:
        reader = gguf.GGUFReader(str(path))
    except Exception as exc:  # noqa: BLE001 - the reader raises ValueError, struct.error, IndexError ... on a bad file
        raise AigifError("AIGIF_E_GGUF", f"{path} is not a readable GGUF file: its header or tensor table is not GGUF "
                                         "or is damaged") from exc
    fields = reader.fields
    if COMPONENT_KEY in fields:
        component = str(fields[COMPONENT_KEY].contents())
    payload_tensors: dict[str, TensorEntry] = {}
    for tensor in reader.tensors:
        kind = tensor.tensor_type
        fmt = GGUF_FORMATS.get(kind.name)
        if fmt is None:
            raise AigifError("AIGIF_E_GGUF", f"{path}: tensor {tensor.name} is {kind.name} (GGML type {int(kind)}), which no payload "
                                             f"format holds without loss; only {', '.join(GGUF_FORMATS)} import. Re-quantize the "
                                             "model to Q8_0 or Q4_0 (or F16) and import that file")
        shape = tuple(int(d) for d in reversed(tensor.shape))
        for key in SHAPE_KEYS:
            if key + tensor.name in fields:
                shape = tuple(int(d) for d in fields[key + tensor.name].contents())
        data = np.asarray(tensor.data).tobytes()
        if FORMATS[fmt].nbytes(shape) != len(data):
            raise AigifError("AIGIF_E_GGUF", f"{path}: tensor {tensor.name} has {len(data)} bytes of {kind.name}, its shape "
                                             f"{list(shape)} needs {FORMATS[fmt].nbytes(shape)}")
        name = tensor.name if "/" in tensor.name else f"{component}/{tensor.name}"
        if name in payload_tensors:
            raise AigifError("AIGIF_E_GGUF", f"{path}: tensor {name} appears twice")
        payload_tensors[name] = TensorEntry(name, fmt, shape, data)
    if not payload_tensors:
        raise AigifError("AIGIF_E_GGUF", f"{path} holds no tensors")
    return Payload(base_model, compressor_for({t.format for t in payload_tensors.values()}), payload_tensors)


def _byte_shape(entry: TensorEntry) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(the element shape GGUF gets, numpy order; the byte shape gguf-py's writer takes for it)."""
    fmt = FORMATS[entry.format]
    shape = entry.shape if entry.shape else (1,)
    if fmt.quantized:
        per_block = len(entry.data) // (prod(shape) // BLOCK)
        if shape[-1] % BLOCK:
            shape = (prod(shape) // BLOCK, BLOCK)  # blocks run over C-order elements: one block per GGUF row
        return shape, (*shape[:-1], shape[-1] // BLOCK * per_block)
    width = len(entry.data) // prod(shape)
    return shape, (*shape[:-1], shape[-1] * width)


def export_gguf(payload: Payload) -> bytes:
    """The GGUF file of a payload: every tensor's bytes unchanged, names without the component when there is one."""
    gguf = _gguf()
    kinds = {fmt: gguf.GGMLQuantizationType[name] for name, fmt in GGUF_FORMATS.items()}
    components = payload.components()
    single = next(iter(components)) if len(components) == 1 else None
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "out.gguf"
        writer = gguf.GGUFWriter(str(target), ARCHITECTURE)
        writer.add_uint64(BASE_MODEL_KEY, payload.base_model)
        writer.add_uint32(COMPRESSOR_KEY, payload.compressor)
        if single is not None:
            writer.add_string(COMPONENT_KEY, single)
        for name in sorted(payload.tensors):
            entry = payload.tensors[name]
            if entry.format not in kinds:
                raise AigifError("AIGIF_E_GGUF", f"tensor {name} is in format {entry.format} (per-row binary32 scales), which GGUF "
                                                 "has no type for; quantize with q8_0, q4_0 or mixed to export GGUF")
            gguf_name = name.split("/", 1)[1] if single is not None else name
            shape, byte_shape = _byte_shape(entry)
            if shape != entry.shape:
                writer.add_array(SHAPE_KEYS[0] + gguf_name, list(entry.shape))
            writer.add_tensor(gguf_name, np.frombuffer(entry.data, np.uint8).reshape(byte_shape), raw_shape=byte_shape,
                              raw_dtype=kinds[entry.format])
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        return target.read_bytes()
