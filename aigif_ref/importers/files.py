"""One image file -> one .aigif: metadata through its tool's importer, original pixels and their digest kept.

Pixels are stored losslessly: as PNG, or as JPEG XL when that is smaller (and the JXL codec is
installed). Nothing is dropped silently: the source metadata is kept verbatim (extension type 9) with
the settings the importer could not represent, which are also returned for the report. An existing
output is kept (status "skipped") when it matches: same metadata kept and same pixel digest.
"""
from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from aigif_ref.errors import AigifError
from aigif_ref.inputs import open_regular
from aigif_ref.importers.common import MAX_METADATA_CHARS, Imported, load_json
from aigif_ref.registry import Registry

EXIF_USER_COMMENT = 0x9286
EXIF_IFD = 0x8769
EXIF_TEXT_TAGS = {0x0131: "Software", 0x927C: "MakerNote"}  # IFD0 tags some tools write (Fooocus: its version, scheme)
XMP_KEY = "XML:com.adobe.xmp"
SOURCE_METADATA_TYPE = 9
PIXELS_TYPE = 1
DIGEST_TYPE = 3
MAX_ENTRIES = 64  # source_metadata's bound
MAX_SIDE = 16384  # the format's largest height / width


def metadata_texts(image: Any) -> dict[str, str]:
    """The text metadata an image carries: PNG text chunks, the EXIF UserComment (JPEG, WebP), XMP, and text hidden
    in the alpha channel's low bits (A1111's stealth pnginfo, NovelAI)."""
    texts = {k: v for k, v in image.info.items() if isinstance(v, str)}
    xmp = image.info.get("xmp")
    if isinstance(xmp, bytes) and XMP_KEY not in texts:
        texts[XMP_KEY] = xmp.decode("utf-8", errors="replace")
    ifd0 = image.getexif() if hasattr(image, "getexif") else {}
    exif = ifd0.get_ifd(EXIF_IFD).get(EXIF_USER_COMMENT) if ifd0 else None
    if exif is None:  # Fooocus writes its tags into IFD0 (modules/meta_parser.py get_exif)
        exif = ifd0.get(EXIF_USER_COMMENT)
    if exif is not None:
        texts["exif:UserComment"] = _user_comment(exif)
    for tag, name in EXIF_TEXT_TAGS.items():
        value = ifd0.get(tag) if ifd0 else None
        if isinstance(value, (str, bytes)) and value:
            texts[f"exif:{name}"] = (value.decode("utf-8", errors="replace") if isinstance(value, bytes) else value).rstrip("\0")
    for key, value in texts.items():
        if len(value) > MAX_METADATA_CHARS:
            raise AigifError("AIGIF_E_LIMIT", f"metadata item {key[:40]!r} has {len(value)} characters, above the "
                                              f"importer's bound of {MAX_METADATA_CHARS}")
    return texts


def _user_comment(value: Any) -> str:
    """EXIF UserComment text: an 8-byte charset header (UNICODE: UTF-16, big-endian as A1111 writes it; ASCII),
    or bare text."""
    if isinstance(value, str):
        return value.rstrip("\0")
    head, body = value[:8], value[8:]
    if head.startswith(b"UNICODE"):
        text = body.decode("utf-16-be", errors="replace")
    elif head.startswith(b"ASCII"):
        text = body.decode("utf-8", errors="replace")
    else:
        text = value.decode("utf-8", errors="replace")
    return text.rstrip("\0")


def _hidden(rgba: Any, texts: dict[str, str]) -> None:
    """Add alpha-LSB metadata: NovelAI's is a JSON object of its text chunks, A1111's its infotext."""
    from aigif_ref.importers.stealth import read_alpha

    text = read_alpha(rgba)
    if text is None:
        return
    if text.lstrip().startswith("{"):
        chunks = load_json(text, "hidden alpha-channel metadata")
        if isinstance(chunks, dict):
            for key, value in chunks.items():
                if isinstance(key, str) and key not in texts:
                    texts[key] = value if isinstance(value, str) else json.dumps(value)
            return
    texts.setdefault("stealth", text)


def read_image(source: Path) -> tuple[dict[str, str], Any, list[str]]:
    """(metadata texts, RGB8 pixels, notes) of an image file; AIGIF_E_IO / AIGIF_E_LIMIT for what Pillow cannot read."""
    import warnings

    import numpy as np
    from PIL import Image, UnidentifiedImageError

    notes: list[str] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with open_regular(source, "an image") as stream, Image.open(stream) as image:
                if max(image.size) > MAX_SIDE:
                    raise AigifError("AIGIF_E_LIMIT", f"{source}: {image.size[0]}x{image.size[1]} is larger than AIGIF's "
                                                      f"{MAX_SIDE} pixels a side")
                texts = metadata_texts(image)
                if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
                    rgba = np.asarray(image.convert("RGBA"))
                    if image.format == "PNG":
                        _hidden(rgba, texts)
                    if int(rgba[:, :, 3].min()) < 254:  # below 254: real transparency, not only hidden bits
                        notes.append("the image has transparency; AIGIF keeps RGB pixels, the alpha channel is not kept")
                    rgb = np.ascontiguousarray(rgba[:, :, :3])
                else:
                    rgb = np.asarray(image.convert("RGB"))
    except AigifError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise AigifError("AIGIF_E_LIMIT", f"{source}: more pixels than Pillow's decompression-bomb bound") from None
    except FileNotFoundError:
        raise AigifError("AIGIF_E_IO", f"{source}: no such file") from None
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError, EOFError):
        raise AigifError("AIGIF_E_IO", f"{source}: not an image Pillow reads (PNG, JPEG, WebP), or a damaged one") from None
    return texts, rgb, notes


def pixel_sha256(rgb: Any) -> str:
    import numpy as np

    return hashlib.sha256(np.ascontiguousarray(rgb, dtype=np.uint8).tobytes()).hexdigest()


def convert(texts: dict[str, str], rgb: Any, registry: Registry, overlay: list[dict[str, Any]],
            notes: list[str] | None = None) -> tuple[bytes, Imported]:
    """The .aigif bytes of an image (its metadata and RGB pixels) and what the importer returned."""
    from aigif_ref.api import encode
    from aigif_ref.codecs.pixels import encode_pixels
    from aigif_ref.importers.tools import import_metadata
    from aigif_ref.pixel_digest import compute_digest

    height, width = rgb.shape[:2]
    imported = import_metadata(texts, registry, overlay, (width, height))
    record, unmapped = imported.record, imported.unmapped
    unmapped += notes or []
    if (height, width) != (record["height"], record["width"]):
        unmapped.append(f"image is {width}x{height}, the settings say {record['width']}x{record['height']} (cropped or "
                        "resized after generation); the image's size recorded")
        record["height"], record["width"] = height, width
        record["extensions"] = [e for e in record["extensions"] if e["type"] != 6]
    if height % 8 or width % 8:
        raise AigifError("AIGIF_E_RANGE", f"{width}x{height} is not a multiple of 8, which AIGIF v1 sizes are")
    pixels = min((encode_pixels(rgb, c) for c in ("png", "jxl") if _available(c)), key=lambda p: len(p["data"]))
    kept = [{"key": k, "text": v} for k, v in sorted(texts.items())][:MAX_ENTRIES]
    if len(texts) > MAX_ENTRIES:
        unmapped.append(f"{len(texts) - MAX_ENTRIES} metadata items beyond the first {MAX_ENTRIES} are not kept")
    record["extensions"] = sorted([pixels, compute_digest(rgb), *record["extensions"],
                                   {"type": SOURCE_METADATA_TYPE, "entries": kept, "unmapped": "\n".join(unmapped)}],
                                  key=lambda e: e["type"])
    return encode(record, registry), imported


def matches(target: Path, texts: dict[str, str], rgb: Any, registry: Registry) -> bool:
    """Whether an existing output is this image's import: the same metadata kept and the same pixel digest."""
    from aigif_ref.api import decode, read_bytes
    from aigif_ref.record import find_extension

    try:
        record = decode(read_bytes(target), registry)
    except AigifError:
        return False
    source = find_extension(record, SOURCE_METADATA_TYPE)
    digest = find_extension(record, DIGEST_TYPE)
    if source is None or digest is None:
        return False
    kept = {e["key"]: e["text"] for e in source["entries"]}
    return kept == dict(sorted(texts.items())[:MAX_ENTRIES]) and \
        base64.b64decode(digest["data"])[:32].hex() == pixel_sha256(rgb)


def import_file(source: Path, target: Path, registry: Registry, overlay: list[dict[str, Any]], force: bool = False) -> dict[str, Any]:
    """Import one file to ``target``; a dict for the report (status ok, skipped or error, and what was not represented)."""
    from aigif_ref.api import write_atomic
    from aigif_ref.importers.coverage import represented_settings

    result: dict[str, Any] = {"source": str(source), "output": str(target), "status": "error"}
    try:
        result["source_bytes"] = source.stat().st_size
        texts, rgb, notes = read_image(source)
        result["pixel_sha256"] = pixel_sha256(rgb)
        if not force and target.exists() and matches(target, texts, rgb, registry):
            result.update(status="skipped", bytes=target.stat().st_size)
            return result
        data, imported = convert(texts, rgb, registry, overlay, notes)
        write_atomic(target, data)
        pixels = next(e for e in imported.record["extensions"] if e["type"] == PIXELS_TYPE)
        result.update(status="ok", tool=imported.tool, bytes=len(data), unmapped=imported.unmapped,
                      represented=represented_settings(imported.record),
                      pixel_codec=registry.enum_name("pixel_compressors", pixels["pixel_compressor"]))
    except AigifError as exc:
        result.update(error_code=exc.code, error=exc.message)
    except OSError as exc:  # stat of a file that went away, a folder we cannot list
        result.update(error_code="AIGIF_E_IO", error=f"cannot read {source}: {exc.strerror or 'I/O error'}")
    return result


def _available(compressor: str) -> bool:
    if compressor != "jxl":
        return True
    try:
        import pillow_jxl  # noqa: F401
        return True
    except ImportError:
        return False
