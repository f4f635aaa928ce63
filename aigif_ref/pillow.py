"""A Pillow plugin for .aigif files: ``import aigif_ref.pillow`` and ``Image.open("x.aigif")`` works.

Opening reads and validates the file and knows its size and mode (RGB) without rendering;
``image.info["aigif"]`` is the canonical JSON record. ``load()`` (and everything that needs pixels)
gives the file's embedded pixels. A file without pixels raises AIGIF_E_NO_PIXELS, which says how to
render it, unless ``register(render=True)`` was called: then it is regenerated on first use through
one renderer for the whole process (pipelines loaded once), as ``aigif render`` would.
"""
from __future__ import annotations

import io
import mimetypes
import threading
from typing import IO, Any

from PIL import Image, ImageFile

from aigif_ref.errors import AigifError
from aigif_ref.grammar import limits

FORMAT = "AIGIF"
EXTENSION = limits.FILE_EXTENSION
MEDIA_TYPE = limits.MEDIA_TYPE
SIGNATURE = limits.SIGNATURE  # the file's first four bytes (spec/bitstream.md, file header)

_render_on_load = False
_renderer: Any = None
_renderer_lock = threading.Lock()


def _accept(prefix: bytes) -> bool:
    return prefix[:4] == SIGNATURE


class AigifImageFile(ImageFile.ImageFile):
    format = FORMAT
    format_description = "AIGIF AI-generated image (generation syntax, optional pixels)"

    def _open(self) -> None:
        from aigif_ref.api import decode

        assert self.fp is not None
        data = self.fp.read(limits.MAX_FILE_BYTES + 1)
        if not data.startswith(SIGNATURE):
            raise SyntaxError("not an AIGIF file")
        if len(data) > limits.MAX_FILE_BYTES:
            raise AigifError("AIGIF_E_LIMIT", f"the file is larger than {limits.MAX_FILE_BYTES} bytes")
        record = decode(data)  # AigifError with its code for a damaged file
        self._size = (record["width"], record["height"])
        self._mode = "RGB"
        self.info["aigif"] = record
        self.tile = []

    def load(self) -> Any:
        if self._im is None:
            rgb = pixels_of(self.info["aigif"], getattr(self, "filename", "") or "the file")
            self.im = Image.frombuffer("RGB", self.size, rgb.tobytes(), "raw", "RGB", 0, 1).im
        return Image.Image.load(self)


def pixels_of(record: dict[str, Any], name: str = "the file", render: bool | None = None) -> Any:
    """RGB8 pixels of a record: embedded, else rendered (when asked), else AIGIF_E_NO_PIXELS."""
    from aigif_ref.codecs.pixels import decode_pixels

    rgb = decode_pixels(record)
    if rgb is not None:
        return rgb
    if not (_render_on_load if render is None else render):
        raise AigifError("AIGIF_E_NO_PIXELS", f"{name} holds its generation settings but no pixels; render it "
                                              f"(`aigif render {name} -o OUT.png`), or call "
                                              "aigif_ref.pillow.register(render=True) to regenerate on load")
    return _shared_renderer().render(record, decoded=True).rgb


def _shared_renderer() -> Any:
    global _renderer
    with _renderer_lock:
        if _renderer is None:
            from aigif_ref.regen.deps import require

            require()
            from aigif_ref.regen.render import Renderer

            _renderer = Renderer()
        return _renderer


def register(render: bool = False) -> None:
    """Register the format with Pillow (done on import); ``render=True`` regenerates files without pixels on load."""
    global _render_on_load
    _render_on_load = render
    Image.register_open(FORMAT, AigifImageFile, _accept)
    Image.register_extension(FORMAT, EXTENSION)
    Image.register_mime(FORMAT, MEDIA_TYPE)
    mimetypes.add_type(MEDIA_TYPE, EXTENSION)  # Python's own table: mimetypes.guess_type("x.aigif")


def thumbnail_png(path: str, size: int = 256, render: bool = True) -> bytes:
    """PNG bytes of a file's picture scaled to fit size x size (for file managers)."""
    from aigif_ref.api import decode, read_bytes

    record = decode(read_bytes(path))
    image = Image.fromarray(pixels_of(record, str(path), render), "RGB")
    image.thumbnail((size, size), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def open_aigif(fp: str | IO[bytes]) -> Image.Image:
    """Image.open restricted to AIGIF (no other format is tried)."""
    return Image.open(fp, formats=[FORMAT])


register()
