"""The one exception type of the library and its stable error codes.

Every failure a user can cause (a bad file, a bad record, a bad path) surfaces as
:class:`AigifError` with a code from :data:`ERROR_CODES`; the codes are part of the
spec (spec/bitstream.md, "Error codes") and never change meaning.
"""
from __future__ import annotations

# Codes a reader reports for a file's bytes: the conformance suite's invalid vectors use exactly these.
FILE_ERROR_CODES: dict[str, str] = {
    "AIGIF_E_SIGNATURE": "the file does not start with the AIGIF signature",
    "AIGIF_E_VERSION": "the file's major version is not supported",
    "AIGIF_E_TRUNCATED": "the file, or a length-delimited block inside it, ends inside a field",
    "AIGIF_E_CRC": "the CRC-32 over the file does not match",
    "AIGIF_E_NONCANONICAL": "a field is not in its canonical encoding",
    "AIGIF_E_RANGE": "a value is outside its allowed range",
    "AIGIF_E_LIMIT": "a declared or decompressed size exceeds its bound",
    "AIGIF_E_RESERVED": "a reserved bit or field is set",
    "AIGIF_E_UTF8": "a string is not valid UTF-8",
    "AIGIF_E_DECOMPRESS": "a compressed block does not decompress",
    "AIGIF_E_UNKNOWN_CODE": "an enumeration code is not in the registry",
    "AIGIF_E_PARAM_FAMILY": "a model-dependent parameter is not allowed for the model's family",
    "AIGIF_E_MUST_UNDERSTAND": "an unknown extension record is marked must-understand",
    "AIGIF_E_EXTENSION": "a known extension record is malformed",
    "AIGIF_E_DIFFC": "a DiffC pixel payload is malformed (version, step count, chunk counts, index stream) or does not fit the record's image size",
    "AIGIF_E_DIFFC_PROFILE": "a DiffC pixel payload names a profile the registry does not have, or one bound to another model",
    "AIGIF_E_STAGE_MODEL": "a stage names a model of a family that cannot run it (a refiner stage needs an SDXL first pass and an SDXL or SDXL-refiner model)",
}

# Codes of the tools around the format: records, registry, files, models, rendering.
TOOL_ERROR_CODES: dict[str, str] = {
    "AIGIF_E_RECORD": "a JSON record does not match the record schema",
    "AIGIF_E_REGISTRY": "the registry is invalid",
    "AIGIF_E_IO": "a file could not be read or written",
    "AIGIF_E_DEPENDENCY": "an optional package this operation needs is not installed",
    "AIGIF_E_PLATFORM": "this machine or its libraries cannot do what rendering the file needs (a device, a diffusers class)",
    "AIGIF_E_MODEL": "a model's files do not load as the pipeline its family names",
    "AIGIF_E_MODEL_MISSING": "a model is in none of the places the model store looks",
    "AIGIF_E_MODEL_HASH": "a model file is missing or its sha256 differs from the registry's",
    "AIGIF_E_MODEL_UNSAFE": "a model folder holds pickle-format weights; only safetensors are loaded",
    "AIGIF_E_MODEL_UNPINNED": "the registry pins no sha256 for a model, so it cannot be verified",
    "AIGIF_E_RENDER": "the diffusers pipeline failed while regenerating the image",
    "AIGIF_E_DECODER_LIMIT": "a valid file asks for more than this decoder is set to allow (--max-pixels, --max-steps)",
    "AIGIF_E_CAPTURE": "a pipeline call cannot be recorded faithfully in an AIGIF file",
    "AIGIF_E_PAYLOAD": "a model payload is malformed (header, tensor table, sizes, block count, formats its compressor does not allow)",
    "AIGIF_E_PAYLOAD_SCALE": "a model payload holds a NaN or infinite scale",
    "AIGIF_E_PAYLOAD_SHAPE": "a model payload's tensor names or shapes differ from its base model's",
    "AIGIF_E_PAYLOAD_HASH": "a model payload's sha256 differs from the one the file names",
    "AIGIF_E_PAYLOAD_MISSING": "a model payload the file references by sha256 is in none of the payload folders",
    "AIGIF_E_IMPORT": "an image's generation metadata is missing, malformed or of no tool the importers know",
    "AIGIF_E_NO_PIXELS": "a file holds no pixels and regenerating them was not asked for (render it first)",
    "AIGIF_E_GGUF": "a GGUF file cannot be converted without loss (unreadable, or a tensor type such as a K-quant with no payload format)",
}

ERROR_CODES: dict[str, str] = {**FILE_ERROR_CODES, **TOOL_ERROR_CODES}


class AigifError(Exception):
    """A failure with a stable code, a human message and, for files, a byte offset."""

    def __init__(self, code: str, message: str, offset: int | None = None) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.offset = offset

    def __str__(self) -> str:
        where = f" (at byte {self.offset})" if self.offset is not None else ""
        return f"{self.code}: {self.message}{where}"
