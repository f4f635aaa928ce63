"""Type 2, model: the paper's "saving model" with its model compressor, as a quantized model payload.

The payload (a safetensors file of quantized tensors, aigif_ref/quant/payload.py, spec/quantized.md) is
either embedded in the record or referenced by its sha256, so many images share one payload file.
A quantized model is its own identity: base model ID (the file's model_id), compressor, payload sha256.
"""
from __future__ import annotations

import hashlib
import io
from typing import Any, ClassVar

from aigif_ref.errors import AigifError
from aigif_ref.extensions.base import ExtensionType
from aigif_ref.grammar.primitives import encode_exp_code, encode_uvarint, read_exact, read_exp_code, read_uvarint
from aigif_ref.quant.compressors import COMPRESSORS, MAX_PAYLOAD_BYTES


class Model(ExtensionType):
    """Body: model compressor (exp code), storage (exp code: 0 embedded, 1 referenced), the payload's
    sha256 (32 bytes), its size in bytes (uvarint), then, when embedded, the payload itself (exactly that
    many bytes, with that sha256); when referenced, nothing.
    """

    code = 2
    name = "model"
    must_understand = True  # a reader that cannot load the model cannot render the file
    enums = {"model_compressor": "model_compressors", "storage": "model_payload_storage"}
    summary = "model compressor and storage (exp codes), payload sha256 and size, then the payload when embedded"
    json_form = {"model_compressor": "registry code of `model_compressors` (a name on input)",
                 "storage": "registry code of `model_payload_storage`: 0 embedded, 1 referenced (a name on input)",
                 "payload_sha256": "lowercase hex sha256 of the payload file",
                 "payload_size": "size of the payload file in bytes",
                 "data": "base64 of the embedded payload; empty when referenced (may be left out on input)"}
    json_schema = {"payload_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                   "payload_size": {"type": "integer", "minimum": 0, "maximum": 2**64 - 1}}
    ksy_fields = {"model_compressor": "compressor", "storage": "storage", "payload_sha256": "payload_sha256",
                  "payload_size": "payload_size", "data": "payload"}
    STORAGE: ClassVar[dict[int, str]] = {0: "embedded", 1: "referenced"}

    @classmethod
    def parse(cls, body: bytes, context: Any) -> dict[str, Any]:
        stream = io.BytesIO(body)
        compressor = read_exp_code(stream, "model compressor")
        storage = read_exp_code(stream, "model payload storage")
        digest = read_exact(stream, 32, "model payload sha256")
        size_at = stream.tell()
        size = read_uvarint(stream, "model payload size")
        data = body[stream.tell():]
        fields = {"model_compressor": compressor, "storage": storage, "payload_sha256": digest, "payload_size": size}
        try:
            cls.check(fields, data)
        except AigifError as exc:
            raise AigifError(exc.code, exc.message, size_at if exc.code == "AIGIF_E_LIMIT" else None) from None
        return {**fields, "data": data}

    @classmethod
    def build(cls, record: dict[str, Any], context: Any) -> bytes:
        data = bytes(record.get("data") or b"")
        fields = {k: record[k] for k in ("model_compressor", "storage", "payload_sha256", "payload_size")}
        cls.check(fields, data)
        return (encode_exp_code(fields["model_compressor"]) + encode_exp_code(fields["storage"])
                + bytes(fields["payload_sha256"]) + encode_uvarint(fields["payload_size"]) + data)

    @classmethod
    def check(cls, fields: dict[str, Any], data: bytes) -> None:
        if fields["model_compressor"] not in COMPRESSORS:
            raise AigifError("AIGIF_E_UNKNOWN_CODE", f"model compressor {fields['model_compressor']} is not known")
        storage = fields["storage"]
        if storage not in cls.STORAGE:
            raise AigifError("AIGIF_E_UNKNOWN_CODE", f"model payload storage {storage} is not known")
        digest = bytes(fields["payload_sha256"])
        if len(digest) != 32:
            raise AigifError("AIGIF_E_RECORD", "payload_sha256 must be 32 bytes (64 hex digits in JSON)")
        size = fields["payload_size"]
        if size > MAX_PAYLOAD_BYTES:
            raise AigifError("AIGIF_E_LIMIT", f"model payload of {size} bytes exceeds {MAX_PAYLOAD_BYTES}")
        if cls.STORAGE[storage] == "referenced":
            if data:
                raise AigifError("AIGIF_E_EXTENSION", f"model record: {len(data)} bytes after a referenced payload's size")
            return
        if len(data) != size:
            raise AigifError("AIGIF_E_EXTENSION", f"model record: embedded payload of {len(data)} bytes, size says {size}")
        if hashlib.sha256(data).digest() != digest:
            raise AigifError("AIGIF_E_EXTENSION", "model record: the embedded payload's sha256 differs from the one it names")

    @classmethod
    def to_json(cls, fields: dict[str, Any]) -> dict[str, Any]:
        out = super().to_json({k: v for k, v in fields.items() if k != "payload_sha256"})
        return {**out, "payload_sha256": bytes(fields["payload_sha256"]).hex()}

    @classmethod
    def from_json(cls, ext: dict[str, Any], resolve) -> dict[str, Any]:
        out = super().from_json({"data": "", **ext}, resolve)
        try:
            out["payload_sha256"] = bytes.fromhex(ext["payload_sha256"])
        except KeyError:
            raise AigifError("AIGIF_E_RECORD", "extension 2 needs the field payload_sha256") from None
        except (ValueError, TypeError):
            raise AigifError("AIGIF_E_RECORD", "extension 2: payload_sha256 must be 64 hex digits") from None
        return out
