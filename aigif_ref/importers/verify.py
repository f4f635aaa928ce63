"""`aigif import --verify-regeneration`: render each imported file and drop its pixels where the render reproduces them.

The reference decoder renders the record (without its pixels); the result is compared with the
original pixels the file holds. Bit-exact (or, with --min-psnr, at least that PSNR) -> the file is
rewritten without its pixels (the digest stays, so `aigif render --verify` can check later renders);
otherwise the pixels stay. A file the decoder cannot render here (model missing, a setting it does
not implement) keeps its pixels; the reason is reported with its code.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from aigif_ref.errors import AigifError
from aigif_ref.registry import Registry

PIXELS_TYPE = 1


class Verifier:
    """One renderer for the whole run (pipelines loaded once), made on first use."""

    def __init__(self, registry: Registry, min_psnr: float | None = None, models_dir: str | None = None,
                 device: str = "auto") -> None:
        self.registry, self.min_psnr, self.models_dir, self.device = registry, min_psnr, models_dir, device
        self.renderer: Any = None

    def _renderer(self) -> Any:
        if self.renderer is None:
            from aigif_ref.regen.deps import require

            require()
            from aigif_ref.regen.render import Renderer

            self.renderer = Renderer(self.device, self.models_dir, registry=self.registry)
        return self.renderer

    def verify(self, target: Path) -> dict[str, Any]:
        """{status, psnr, pixels: kept|dropped, bytes, message} for one imported file (rewritten when pixels drop)."""
        from aigif_ref.api import decode, encode, read_bytes, write_atomic
        from aigif_ref.codecs.pixels import decode_pixels
        from aigif_ref.pixel_digest import psnr

        record = decode(read_bytes(target), self.registry)
        original = decode_pixels(record)
        if original is None:
            return {"status": "no-pixels", "pixels": "none", "message": "the file holds no pixels (verified before)"}
        bare = {**record, "extensions": [e for e in record["extensions"] if e["type"] != PIXELS_TYPE]}
        try:
            rendered = self._renderer().render(bare, decoded=True).rgb
        except AigifError as exc:
            return {"status": "not-rendered", "pixels": "kept", "error_code": exc.code, "message": exc.message}
        value = psnr(rendered, original) if rendered.shape == original.shape else 0.0
        exact = math.isinf(value)
        good = exact or (self.min_psnr is not None and value >= self.min_psnr)
        result = {"status": "bit-exact" if exact else ("close" if good else "mismatch"),
                  "psnr": None if exact else round(value, 2), "pixels": "dropped" if good else "kept"}
        if good:
            data = encode(bare, self.registry)
            write_atomic(target, data)
            result["bytes"] = len(data)
        result["message"] = ("bit-exact: the render equals the original pixels; pixels dropped" if exact else
                             f"PSNR {value:.2f} dB " + (f">= {self.min_psnr:g}: pixels dropped" if good else
                                                        "below the threshold: pixels kept"))
        return result
