"""aigif_ref through the contract: `python3 -m conformance.impls.reference parse|build|render ...`."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from aigif_ref import __version__
from aigif_ref.api import decode, encode, write_atomic
from aigif_ref.errors import AigifError
from aigif_ref.registry import Registry
from conformance.impls.adapter_cli import run_adapter


class ReferenceAdapter:
    """The reference decoder and encoder; conformance/mutants/ subclass it to break one thing each."""

    name = "aigif_ref"
    version = __version__

    def __init__(self) -> None:
        self._renderers: dict[tuple[str, int], Any] = {}  # loaded pipelines live on across cases in one process

    def devices(self) -> list[str]:
        from aigif_ref.regen.deps import require

        try:
            torch, _ = require()
        except AigifError:
            return []  # no render extra installed: no device to render on
        return ["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"]

    def parse(self, data: bytes, registry: Registry) -> dict[str, Any]:
        return decode(data, registry)

    def build(self, record: Any, registry: Registry) -> bytes:
        return encode(record, registry)

    def diffc(self, data: bytes, registry: Registry) -> bytes:
        from aigif_ref.diffc.files import noise_bytes

        return noise_bytes(decode(data, registry), registry)

    def render(self, data: bytes, out: Path, device: str, registry: Registry) -> None:
        from aigif_ref.cli_render import png_bytes
        from aigif_ref.regen.deps import require

        require()
        from aigif_ref.regen.render import Renderer

        key = (device, id(registry))
        if key not in self._renderers:
            self._renderers[key] = Renderer(device, registry=registry)
        write_atomic(out, png_bytes(self._renderers[key].render(decode(data, registry), decoded=True).rgb))

    def dequantize(self, data: bytes, dtype: str) -> bytes:
        from aigif_ref.quant.tensorfile import dequantized_file  # NumPy: only this operation needs it

        return dequantized_file(data, dtype)


def main(argv: Sequence[str] | None = None) -> int:
    return run_adapter(ReferenceAdapter(), argv)
