"""Type 1, pixels: the original image (the paper's Table I "saving pixels" = 1, with its pixel compressor)."""
from __future__ import annotations

from typing import Any, ClassVar

from aigif_ref.codecs.jxl import JXL_CONTAINER_SIGNATURE, jxl_size
from aigif_ref.codecs.png import png_size
from aigif_ref.errors import AigifError
from aigif_ref.extensions.base import CodedPayload
from aigif_ref.grammar.versions import V1_0


def _raw(data: bytes, height: int, width: int) -> None:
    if len(data) != height * width * 3:
        raise AigifError("AIGIF_E_EXTENSION", f"raw pixels: {len(data)} bytes, expected {height}x{width}x3")


def _png(data: bytes, height: int, width: int) -> None:
    size = png_size(data)
    if size is None:
        raise AigifError("AIGIF_E_EXTENSION", "pixels: not a PNG stream")
    png_width, png_height = size
    if (png_height, png_width) != (height, width):
        raise AigifError("AIGIF_E_EXTENSION", f"pixels: PNG is {png_width}x{png_height}, record says {width}x{height}")


def _jxl(data: bytes, height: int, width: int) -> None:
    if data.startswith(JXL_CONTAINER_SIGNATURE):
        raise AigifError("AIGIF_E_EXTENSION", "pixels: JPEG XL container; AIGIF stores the bare codestream")
    size = jxl_size(data)
    if size is None:
        raise AigifError("AIGIF_E_EXTENSION", "pixels: not a JPEG XL codestream")
    jxl_width, jxl_height = size
    if (jxl_height, jxl_width) != (height, width):
        raise AigifError("AIGIF_E_EXTENSION", f"pixels: JPEG XL is {jxl_width}x{jxl_height}, record says {width}x{height}")


class Pixels(CodedPayload):
    code = 1
    name = "pixels"
    since = V1_0  # defined by 1.0
    code_field = "pixel_compressor"
    enums = {"pixel_compressor": "pixel_compressors"}
    summary = "pixel compressor (exp code), then the image it announces"
    json_form = {"pixel_compressor": "registry code of `pixel_compressors` (a name on input)",
                 "data": "base64 of the image bytes after the compressor code"}
    ksy_fields = {"pixel_compressor": "compressor", "data": "_raw_data"}
    # Pixel compressor code -> (payload check, what the spec says the data is).
    PAYLOADS: ClassVar[dict[int, tuple[Any, str]]] = {
        0: (_raw, "raw RGB, 8 bits per sample, rows top to bottom: exactly height × width × 3 bytes"),
        1: (_png, "a PNG stream whose IHDR width and height equal the record's"),
        2: (_jxl, "a bare JPEG XL codestream (`FF 0A`, not the container) whose SizeHeader equals the record's size"),
    }

    @classmethod
    def check(cls, compressor: int, data: bytes, context: Any) -> None:
        payload = cls.PAYLOADS.get(compressor)
        if payload is None:
            raise AigifError("AIGIF_E_UNKNOWN_CODE", f"pixel compressor {compressor} is not known")
        payload[0](data, context.height, context.width)
