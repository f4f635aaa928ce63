"""One image file -> one .aigif: metadata through its tool's importer, original pixels and their digest kept.

Pixels are stored losslessly: as PNG, or as JPEG XL when that is smaller. Nothing is dropped silently:
the source metadata is kept verbatim (extension type 9) with the settings the importer could not
represent, which are also returned for the report.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from aigif_ref.errors import AigifError
from aigif_ref.registry import Registry

EXIF_USER_COMMENT = 0x9286
EXIF_IFD = 0x8769


def metadata_texts(image: Any) -> dict[str, str]:
    """The text metadata an image carries: PNG text chunks, and the EXIF UserComment (JPEG, WebP)."""
    texts = {k: v for k, v in image.info.items() if isinstance(v, str)}
    exif = image.getexif().get_ifd(EXIF_IFD).get(EXIF_USER_COMMENT) if hasattr(image, "getexif") else None
    if isinstance(exif, bytes):
        head, body = exif[:8], exif[8:]
        texts["exif:UserComment"] = body.decode("utf-16-be" if head.startswith(b"UNICODE") else "utf-8", errors="replace") \
            if head.startswith((b"UNICODE", b"ASCII")) else exif.decode("utf-8", errors="replace")
        texts["exif:UserComment"] = texts["exif:UserComment"].rstrip("\0")
    elif isinstance(exif, str):
        texts["exif:UserComment"] = exif
    return texts


def import_file(source: Path, outdir: Path, registry: Registry, overlay: list[dict[str, Any]]) -> dict[str, Any]:
    """Import one file; a dict for the report (status ok or error, with what was not represented)."""
    result: dict[str, Any] = {"source": str(source), "status": "error"}
    try:
        data, unmapped = _convert(source, registry, overlay)
        target = outdir / (source.stem + ".aigif")
        from aigif_ref.api import write_atomic

        write_atomic(target, data)
        result.update(status="ok", output=str(target), bytes=len(data), source_bytes=source.stat().st_size, unmapped=unmapped)
    except AigifError as exc:
        result["error"] = str(exc)
    return result


def _convert(source: Path, registry: Registry, overlay: list[dict[str, Any]]) -> tuple[bytes, list[str]]:
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    from aigif_ref.api import encode
    from aigif_ref.codecs.pixels import encode_pixels
    from aigif_ref.importers import a1111
    from aigif_ref.pixel_digest import compute_digest

    try:
        with Image.open(source) as image:
            texts = metadata_texts(image)
            rgb = np.asarray(image.convert("RGB"))
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise AigifError("AIGIF_E_IO", f"{source}: not an image Pillow reads ({exc})") from None
    infotext = texts.get("parameters") or texts.get("exif:UserComment")
    if not infotext:
        raise AigifError("AIGIF_E_RECORD", f"{source}: no A1111/Forge metadata (PNG `parameters` or EXIF UserComment); "
                                           f"found {', '.join(sorted(texts)) or 'no text metadata'}")
    try:
        record, unmapped = a1111.to_record(infotext, registry, overlay)
    except (ValueError, KeyError) as exc:
        raise AigifError("AIGIF_E_RECORD", f"{source}: the metadata does not read as A1111 infotext ({exc})") from None
    height, width = rgb.shape[:2]
    if (height, width) != (record["height"], record["width"]):
        unmapped.append(f"image is {width}x{height}, the settings say {record['width']}x{record['height']}; the image's size recorded")
        record["height"], record["width"] = height, width
        record["extensions"] = [e for e in record["extensions"] if e["type"] != 6]
    if height % 8 or width % 8:
        raise AigifError("AIGIF_E_RANGE", f"{source}: {width}x{height} is not a multiple of 8, which AIGIF v1 sizes are")
    pixels = min((encode_pixels(rgb, c) for c in ("png", "jxl") if _available(c)), key=lambda p: len(p["data"]))
    kept = [{"key": k, "text": v} for k, v in sorted(texts.items())]
    record["extensions"] = sorted([pixels, compute_digest(rgb), *record["extensions"],
                                   {"type": 9, "entries": kept, "unmapped": "\n".join(unmapped)}], key=lambda e: e["type"])
    return encode(record, registry), unmapped


def _available(compressor: str) -> bool:
    if compressor != "jxl":
        return True
    try:
        import pillow_jxl  # noqa: F401
        return True
    except ImportError:
        return False
