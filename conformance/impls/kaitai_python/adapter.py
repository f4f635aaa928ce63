"""A second AIGIF reader built on the Kaitai Struct grammar (spec/aigif.ksy).

parse_with_kaitai returns the same canonical JSON record as aigif_ref.api.decode
and fails with the same error codes, without touching the construct grammar:
the conformance suite runs it through the contract
(`python3 -m conformance.impls.kaitai_python parse FILE`) and tests/test_kaitai.py
compares it with the reference on the same bytes.

Kaitai Struct checks syntax, canonical form and limits (each `valid:` check in
the .ksy names its error code; tools/build_kaitai.py collects them into
spec/generated/aigif-checks.json). This module adds what Kaitai cannot express,
in the reference reader's order: the text block is decoded right after the
core fields, then the CRC-32 (which wins over any body error but truncation),
then the registry checks. Whatever the parse level
needs beyond that belongs in the .ksy, never in a special case here.
"""
from __future__ import annotations

import importlib.util
import json
import sys
import zlib
from functools import lru_cache
from types import ModuleType
from pathlib import Path
from typing import Any, Sequence

import kaitaistruct
from kaitaistruct import BytesIO, KaitaiStream

from aigif_ref.codecs.text import decode_text
from aigif_ref.errors import AigifError
from aigif_ref.extensions import DECODED, SlotExtension
from aigif_ref.grammar import limits
from aigif_ref.grammar.fields import GROUPS
from aigif_ref.record import syntax_to_json
from aigif_ref.registry import REPO_ROOT, Registry, default_registry
from aigif_ref.record_rules import check_record_rules
from conformance.impls.adapter_cli import Unsupported, run_adapter

GENERATED = REPO_ROOT / "spec" / "generated"
PARSER = GENERATED / "python" / "aigif.py"
CHECKS = GENERATED / "aigif-checks.json"
_MODULE_NAME = "conformance.impls.kaitai_python._generated"  # not "aigif": that is the distribution's name

# Everything a Kaitai-generated parser raises for bad input (a `type: str, encoding: UTF-8` field raises
# UnicodeDecodeError while it is read, in stream order).
KAITAI_ERRORS = (kaitaistruct.KaitaiStructError, EOFError, UnicodeDecodeError)


@lru_cache(maxsize=1)
def kaitai_module() -> ModuleType:
    """The generated parser, loaded from spec/generated/python/aigif.py."""
    spec = importlib.util.spec_from_file_location(_MODULE_NAME, PARSER)
    module = importlib.util.module_from_spec(spec)
    sys.modules[_MODULE_NAME] = module
    spec.loader.exec_module(module)
    return module


@lru_cache(maxsize=1)
def _checks() -> dict[str, dict[str, str]]:
    return json.loads(CHECKS.read_text(encoding="utf-8"))


def error_for(exc: BaseException) -> AigifError:
    """The AigifError a Kaitai parse failure stands for."""
    if isinstance(exc, kaitaistruct.ValidationFailedError):
        check = _checks().get(exc.src_path)
        if check is None:
            # The table and the parser were generated from different .ksy files.
            raise LookupError(f"no error code for Kaitai check {exc.src_path}; run python tools/regen.py") from exc
        return AigifError(check["code"], f"{check['field']} failed ({exc})")
    if isinstance(exc, EOFError):
        return AigifError("AIGIF_E_TRUNCATED", f"file ends inside a field ({exc})")
    if isinstance(exc, UnicodeDecodeError):
        return AigifError("AIGIF_E_UTF8", f"a string is not UTF-8 ({exc.reason})")
    raise TypeError(f"not a Kaitai parse error: {exc!r}") from exc


def _text(core, registry: Registry | None = None) -> dict[str, Any]:
    """Decode the text block (Kaitai exposes only the compressed bytes)."""
    n_strings = 2 if core.has_negative_prompt else 1
    strings = decode_text(core.text.compressor.value, core.text.data, n_strings, registry)
    try:
        texts = [s.decode("utf-8") for s in strings]
    except UnicodeDecodeError as exc:
        raise AigifError("AIGIF_E_UTF8", f"text block: {exc.reason}") from None
    return {
        "text_compressor": core.text.compressor.value,
        "prompt": texts[0],
        "negative_prompt": texts[1] if n_strings == 2 else None,
    }


def _raise_text_error_first(data: bytes, registry: Registry | None = None) -> None:
    """Raise the text block's error if the block was read before Kaitai failed.

    Kaitai parses the whole file before this module can decode the text block,
    but the reference reader decodes it in stream order, so a bad text block
    wins over any failure after it.
    """
    aigif = kaitai_module().Aigif
    try:
        aigif.Header(KaitaiStream(BytesIO(data)))
        core = aigif.Core(KaitaiStream(BytesIO(data[limits.HEADER_SIZE:])))
    except KAITAI_ERRORS:
        return  # Kaitai failed in the header or the core: its own error stands
    _text(core, registry)


def _code(holder, name: str) -> int:
    """A zero-default enumeration: absent means code 0."""
    field = getattr(holder, name, None)
    return 0 if field is None else field.value


def _extension(ext, context: dict[str, Any]) -> dict[str, Any]:
    record = {"type": ext.ext_type, "must_understand": ext.must_understand}
    kind = DECODED.get(ext.ext_type)
    if kind is None:
        return {**record, "data": ext.body.data}
    if issubclass(kind, SlotExtension):
        # Types 4-9: Kaitai parsed and checked every slot (types generated from the declarations); what it
        # cannot do is the registry check of the codes and the rules across slots, which follow the syntax
        # (REFERENCE_ONLY_CHECKS in tests/test_kaitai.py).
        fields = {slot.name: slot.from_kaitai(ext.body) for slot in kind.slots}
        kind.check_fields(fields, context)
        return {**record, **fields}
    # Which body attribute holds each JSON field is the extension type's declaration (ksy_fields).
    values = {field: getattr(ext.body, attr) for field, attr in kind.ksy_fields.items()}
    return {**record, **{k: v if isinstance(v, (bytes, bytearray)) else v.value for k, v in values.items()}}


def _syntax(root, registry: Registry | None = None) -> dict[str, Any]:
    """The syntax record (as aigif_ref.grammar.aigif.parse_file returns it) of a parsed file."""
    body, core = root.body, root.body.core
    syntax: dict[str, Any] = {
        "version": f"{root.header.version_major}.{root.header.version_minor}",
        "model_id": core.model_id.value,
        "dtype": _code(core, "dtype"),
        "scheduler": _code(core, "scheduler"),
        "steps": core.steps.value,
        "guidance_scale": core.guidance_scale.value,
        "seed": core.seed.value,
        "height": core.height,
        "width": core.width,
        "text": _text(core, registry),
        "device": _code(body, "device"),
        "gpu": _code(body, "gpu"),
        "cuda": _code(body, "cuda"),
    }
    for group, specs in GROUPS.items():
        fields = getattr(body, group, None)
        # Which fields are present is Kaitai's decision (its `if:`), not fields.py's bit table.
        syntax[group] = {} if fields is None else {
            s.name: s.wire_type.from_kaitai(getattr(fields, s.name)) for s in specs if getattr(fields, s.name, None) is not None
        }
    # What a slot body's rules read from around it: the record's size (pixels) and the registry in use.
    context = {"height": core.height, "width": core.width, "_": {"registry": registry}}
    syntax["extensions"] = [_extension(ext, context) for ext in body.extensions]
    return syntax


def _stored_crc_differs(data: bytes) -> bool:
    """Whether a file with a complete, supported header carries a wrong CRC-32 (bytes 5..8)."""
    if not limits.HEADER_SIZE <= len(data) <= limits.MAX_FILE_BYTES or data[:4] != limits.SIGNATURE \
            or data[4] >> 4 != limits.MAJOR_VERSION:
        return False  # a header error: reported as it is, before any CRC
    computed = zlib.crc32(data[limits.HEADER_SIZE:], zlib.crc32(data[: limits.HEADER_SIZE - 4]))
    return computed != int.from_bytes(data[5:9], "little")


def parse_with_kaitai(data: bytes, registry: Registry | None = None) -> dict[str, Any]:
    """Parse and validate AIGIF bytes with the Kaitai grammar; return the canonical JSON record."""
    try:
        try:
            root = kaitai_module().Aigif.from_bytes(data)
        except KAITAI_ERRORS as exc:
            error = error_for(exc)
            _raise_text_error_first(data, registry)
            raise error from None
        syntax = _syntax(root, registry)
    except AigifError as exc:
        # Spec 1.1, 11.2: a wrong CRC wins over every body syntax error except truncation.
        if exc.code != "AIGIF_E_TRUNCATED" and _stored_crc_differs(data):
            raise AigifError("AIGIF_E_CRC", "CRC-32 mismatch", 5) from None
        raise
    if _stored_crc_differs(data):
        raise AigifError("AIGIF_E_CRC", "CRC-32 mismatch", 5)
    check_record_rules(syntax, registry or default_registry())
    return syntax_to_json(syntax)


class KaitaiAdapter:
    """The Kaitai reader through the contract: parse only (Kaitai Struct generates readers, not writers)."""

    name = "aigif-kaitai-python"
    version = f"kaitaistruct {kaitaistruct.__version__}"

    def devices(self) -> list[str]:
        return ["cpu"]

    def parse(self, data: bytes, registry: Registry) -> dict[str, Any]:
        return parse_with_kaitai(data, registry)

    def build(self, record: Any, registry: Registry) -> bytes:
        raise Unsupported("the Kaitai Struct implementation only reads files")

    def render(self, data: bytes, out: Path, device: str, registry: Registry) -> None:
        raise Unsupported("the Kaitai Struct implementation only reads files")


def main(argv: Sequence[str] | None = None) -> int:
    return run_adapter(KaitaiAdapter(), argv)
