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
COMPRESSOR_CODES = {"None": 0, "png": 1, "jxl": 2}  # the lossless ones encode_pixels writes
DIFFC_CODE = 3  # registry pixel_compressors "diffc": written by `aigif compress --diffc`
_PIL_FORMATS = {1: "PNG", 2: "JXL"}


def _numpy():
    try:
        import numpy
    except ImportError:
        raise AigifError("AIGIF_E_DEPENDENCY", "pixels need numpy and Pillow: pip install numpy Pillow "
                                               "(both come with the render extra)") from None
    return numpy


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
    np = _numpy()

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


def decode_pixels(record: dict[str, Any], max_pixels: int | None = None) -> "np.ndarray | None":
    """The record's embedded pixels as uint8 height x width x 3, or None without a pixels record.

    The payload is untrusted (spec 15.1): its size is checked against ``max_pixels`` before anything is
    decoded (``AIGIF_E_DECODER_LIMIT``), and whatever the image library raises on a corrupt payload
    becomes ``AIGIF_E_EXTENSION``.
    """
    ext = find_extension(record, PIXELS_EXTENSION_TYPE)
    if ext is None:
        return None
    height, width, code = record["height"], record["width"], ext["pixel_compressor"]
    if max_pixels is not None and height * width > max_pixels:  # the grammar checked the payload declares this size
        raise AigifError("AIGIF_E_DECODER_LIMIT", f"the embedded pixels are {width}x{height}, above this decoder's limit "
                                                  f"of {max_pixels} pixels; raise it with --max-pixels if the machine "
                                                  "has the memory")
    if code == DIFFC_CODE:  # lossy, decoded through its model (spec/diffc.md); needs the render extra
        from aigif_ref.diffc.files import decode_record

        return decode_record(record).rgb8
    np = _numpy()
    data = base64.b64decode(ext["data"])
    if code == 0:
        return np.frombuffer(data, dtype=np.uint8).reshape(height, width, 3).copy()
    Image = _imaging(code)
    name = _PIL_FORMATS.get(code, f"compressor {code}")
    try:
        with Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[code]]) as image:
            array = np.asarray(image.convert("RGB"))
    except Image.DecompressionBombError as exc:
        raise AigifError("AIGIF_E_DECODER_LIMIT", f"embedded {name} pixels declare more pixels than Pillow's "
                                                  f"decompression-bomb bound ({Image.MAX_IMAGE_PIXELS}); the record says "
                                                  f"{width}x{height}, so the image data is not what the record describes") from exc
    except MemoryError:
        raise AigifError("AIGIF_E_DECODER_LIMIT", f"embedded {name} pixels ({width}x{height}) do not fit in memory; "
                                                  "lower --max-pixels") from None
    except Exception as exc:  # noqa: BLE001  untrusted bytes: Pillow and its plugins raise anything (RuntimeError, ...)
        raise AigifError("AIGIF_E_EXTENSION", f"embedded {name} pixels do not decode: the image data is damaged or is "
                                              f"not {name}; the file's other fields are still readable (aigif inspect), "
                                              "or render it to regenerate the pixels") from exc
    if array.shape[:2] != (height, width):
        raise AigifError("AIGIF_E_EXTENSION", f"embedded pixels are {array.shape[1]}x{array.shape[0]}, "
                                              f"record says {width}x{height}")
    return array
