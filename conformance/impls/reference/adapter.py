"""aigif_ref through the contract: `python3 -m conformance.impls.reference parse|build|render ...`."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from aigif_ref import __version__
from aigif_ref.api import decode, encode
from aigif_ref.registry import Registry
from conformance.impls.adapter_cli import Unsupported, run_adapter


class ReferenceAdapter:
    """The reference decoder and encoder; conformance/mutants/ subclass it to break one thing each."""

    name = "aigif_ref"
    version = __version__

    def devices(self) -> list[str]:
        # Rendering is not wired yet (see render); once it is, report "cuda" here when torch sees a GPU.
        return ["cpu"]

    def parse(self, data: bytes, registry: Registry) -> dict[str, Any]:
        return decode(data, registry)

    def build(self, record: Any, registry: Registry) -> bytes:
        return encode(record, registry)

    def render(self, data: bytes, out: Path, device: str, registry: Registry) -> None:
        # The reference decoder (issue "reference decoder") plugs in here: decode, render on `device`,
        # write `out` as PNG with aigif_ref.api.write_atomic; raise AigifError for a file it refuses.
        raise Unsupported("aigif_ref cannot render yet (the reference decoder is not part of this build)")


def main(argv: Sequence[str] | None = None) -> int:
    return run_adapter(ReferenceAdapter(), argv)
