"""The importers, declared once: which tool wrote an image's metadata, and the module that reads it.

Tried in order; the first whose detector accepts the metadata imports it. Specific formats come before
general ones: A1111 infotext is last, since several tools also write a `parameters` text.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from aigif_ref.importers import a1111, comfyui, drawthings, fooocus, invokeai, novelai, swarmui
from aigif_ref.importers.common import Imported, fail
from aigif_ref.registry import Registry

Size = tuple[int, int]  # (width, height) of the image


@dataclass(frozen=True)
class Tool:
    name: str
    keys: tuple[str, ...]  # the metadata items it reads
    detect: Callable[[dict[str, str]], bool]
    convert: Callable[[dict[str, str], Registry, list[dict[str, Any]], Size], Imported]


def _a1111_text(texts: dict[str, str]) -> str | None:
    return texts.get("parameters") or texts.get("exif:UserComment") or texts.get("stealth")


def _a1111(texts: dict[str, str], registry: Registry, overlay: list[dict[str, Any]], size: Size) -> Imported:
    try:
        record, unmapped = a1111.to_record(_a1111_text(texts) or "", registry, overlay)
    except (ValueError, KeyError, IndexError):  # a1111.to_record's own parse failures: say what, not Python's words
        raise fail("the metadata does not read as A1111 infotext (it needs Steps, Seed and Size settings with numbers)") from None
    return Imported(record, unmapped, "A1111")


def _sized(module: Any) -> Callable[..., Imported]:
    return lambda texts, registry, overlay, size: module.to_record(texts, registry, overlay, size)


def _unsized(module: Any) -> Callable[..., Imported]:
    return lambda texts, registry, overlay, size: module.to_record(texts, registry, overlay)


TOOLS: tuple[Tool, ...] = (
    Tool(comfyui.TOOL, comfyui.KEYS, comfyui.detect, _sized(comfyui)),
    Tool(invokeai.TOOL, invokeai.KEYS, invokeai.detect, _unsized(invokeai)),
    Tool(fooocus.TOOL, fooocus.KEYS, fooocus.detect, _unsized(fooocus)),
    Tool(swarmui.TOOL, swarmui.KEYS, swarmui.detect, _unsized(swarmui)),
    Tool(novelai.TOOL, novelai.KEYS, novelai.detect, _sized(novelai)),
    Tool(drawthings.TOOL, drawthings.KEYS, drawthings.detect, _sized(drawthings)),
    Tool("A1111", ("parameters", "exif:UserComment", "stealth"), lambda texts: bool(_a1111_text(texts)), _a1111),
)


def pick(texts: dict[str, str]) -> Tool | None:
    return next((tool for tool in TOOLS if tool.detect(texts)), None)


def import_metadata(texts: dict[str, str], registry: Registry, overlay: list[dict[str, Any]], size: Size) -> Imported:
    """The record of an image's metadata, by the importer of the tool that wrote it (AIGIF_E_IMPORT if none did)."""
    tool = pick(texts)
    if tool is None:
        found = ", ".join(sorted(texts)[:12]) or "no text metadata"
        raise fail(f"no generation metadata of a known tool ({', '.join(t.name for t in TOOLS)}); found {found}")
    imported = tool.convert(texts, registry, overlay, size)
    imported.tool = tool.name
    return imported
