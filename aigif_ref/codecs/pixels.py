"""Pixel payloads of the pixels extension (type 1): RGB8 arrays <-> raw, PNG or JPEG XL bytes.

Pillow does PNG; the pillow-jxl-plugin adds JPEG XL (lossless, bare codestream).
Both are imported only when pixels are encoded or decoded, so the core grammar
and the inspect/validate tools need neither.
"""
from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING, Any

from aigif_ref.errors import AigifError
from aigif_ref.record import find_extension

if TYPE_CHECKING:
    import numpy as np

PIXELS_EXTENSION_TYPE = 1
COMPRESSOR_CODES = {"None": 0, "png": 1, "jxl": 2}
_PIL_FORMATS = {1: "PNG", 2: "JXL"}


def _imaging(compressor: int):
    try:
        from PIL import Image
    except ImportError:
        raise AigifError("AIGIF_E_DEPENDENCY", "pixels need Pillow: pip install Pillow") from None
    if compressor == 2:
        try:
            import pillow_jxl  # noqa: F401  (registers the JXL format with Pillow)
        except ImportError:
            raise AigifError("AIGIF_E_DEPENDENCY", "JPEG XL pixels need pillow-jxl-plugin: "
                                                   "pip install pillow-jxl-plugin") from None
    return Image


def encode_pixels(rgb: "np.ndarray", compressor: str | int = "png") -> dict[str, Any]:
    """A pixels extension record (JSON-record form) holding `rgb` losslessly."""
    import numpy as np

    code = COMPRESSOR_CODES.get(compressor, compressor) if isinstance(compressor, str) else compressor
    if code not in (0, 1, 2):
        raise AigifError("AIGIF_E_UNKNOWN_CODE", f"pixel compressor {compressor!r} is not known (None, png, jxl)")
    array = np.ascontiguousarray(rgb, dtype=np.uint8)
    if code == 0:
        data = array.tobytes()
    else:
        buffer = io.BytesIO()
        options = {"lossless": True} if code == 2 else {"optimize": True}
        _imaging(code).fromarray(array, "RGB").save(buffer, format=_PIL_FORMATS[code], **options)
        data = buffer.getvalue()
    return {"type": PIXELS_EXTENSION_TYPE, "must_understand": False, "pixel_compressor": code,
            "data": base64.b64encode(data).decode("ascii")}


def decode_pixels(record: dict[str, Any]) -> "np.ndarray | None":
    """The record's embedded pixels as uint8 height x width x 3, or None without a pixels record."""
    import numpy as np

    ext = find_extension(record, PIXELS_EXTENSION_TYPE)
    if ext is None:
        return None
    height, width, code = record["height"], record["width"], ext["pixel_compressor"]
    data = base64.b64decode(ext["data"])
    if code == 0:
        return np.frombuffer(data, dtype=np.uint8).reshape(height, width, 3).copy()
    Image = _imaging(code)
    try:
        with Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[code]]) as image:
            array = np.asarray(image.convert("RGB"))
    except (OSError, ValueError, SyntaxError) as exc:
        raise AigifError("AIGIF_E_EXTENSION", f"embedded {_PIL_FORMATS[code]} pixels do not decode: {exc}") from None
    if array.shape[:2] != (height, width):
        raise AigifError("AIGIF_E_EXTENSION", f"embedded pixels are {array.shape[1]}x{array.shape[0]}, "
                                              f"record says {width}x{height}")
    return array
