"""Where each field of a valid file lies: one walk of the bitstream, driven by the grammar.

iter_fields(data) yields a FieldSpan per field in stream order: its name, byte span, value and
declaration (the FieldSpec of a group field, the construct of a core field, the extension class
of an extension body). Compound fields (the text block's bytes, an extension body) carry their
parts, so a caller can show them at either level. The syntax-vector generator aims its surgery
with it; the spec-table generator prints annotated hex dumps with it.

Names: "signature", "version", "crc32"; Body members ("presence", "model_id", "steps", ...);
"text_compressor", "text_length", "text_bytes" (parts "text.prompt_length", "text.prompt",
"text.negative_prompt" when the compressor is 0); "<group>.bitmap", "<group>.<field>";
"ext<i>.header", "ext<i>.length", "ext<i>.body" (parts "ext<i>.<code field>", "ext<i>.data").
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Iterator

from construct import Container

from aigif_ref.extensions import CodedPayload, type_of
from aigif_ref.grammar import limits
from aigif_ref.grammar.aigif import Body, Extensions, FieldGroup, TextBlock, parse_file
from aigif_ref.grammar.fields import PRESENCE_BITS
from aigif_ref.grammar.primitives import read_exp_code, read_uvarint


@dataclass(frozen=True)
class FieldSpan:
    name: str
    start: int
    end: int
    value: Any
    declaration: Any = None
    parts: tuple["FieldSpan", ...] = ()


class _Walker:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.stream = io.BytesIO(data)

    def span(self, name: str, read, declaration: Any = None) -> FieldSpan:
        start = self.stream.tell()
        value = read(self.stream)
        return FieldSpan(name, start, self.stream.tell(), value, declaration)

    def raw(self, name: str, length: int, declaration: Any = None, parts: tuple[FieldSpan, ...] = ()) -> FieldSpan:
        start = self.stream.tell()
        self.stream.seek(start + length)
        return FieldSpan(name, start, start + length, self.data[start:start + length], declaration, parts)


def _text_parts(data: bytes, start: int, end: int, has_negative: bool) -> tuple[FieldSpan, ...]:
    """The parts of a compressor-0 ("none") text block: [prompt length] prompt [negative prompt]."""
    if not has_negative:
        return (FieldSpan("text.prompt", start, end, data[start:end]),)
    stream = io.BytesIO(data[start:end])
    n = read_uvarint(stream, "prompt length")
    at = start + stream.tell()
    return (FieldSpan("text.prompt_length", start, at, n), FieldSpan("text.prompt", at, at + n, data[at:at + n]),
            FieldSpan("text.negative_prompt", at + n, end, data[at + n:end]))


def iter_fields(data: bytes, registry: Any = None) -> Iterator[FieldSpan]:
    """Every field of a valid file, in stream order; the spans tile the file. Raises AigifError if it is not valid."""
    parse_file(data, registry)  # only a valid file has a field layout to show
    walk = _Walker(data)
    sig = len(limits.SIGNATURE)
    yield walk.raw("signature", sig)
    yield walk.span("version", lambda s: (s.read(1)[0] >> 4, data[sig] & 0x0F))
    yield walk.span("crc32", lambda s: int.from_bytes(s.read(4), "little"))
    context = Container()
    for member in Body.subcons:
        name, field = member.name, member.subcon
        start = walk.stream.tell()
        if isinstance(field, TextBlock):
            compressor = walk.span("text_compressor", lambda s: read_exp_code(s, ""), field)
            length = walk.span("text_length", lambda s: read_uvarint(s, ""), field)
            at = walk.stream.tell()
            has_negative = bool(context.presence & 1)
            parts = _text_parts(data, at, at + length.value, has_negative) if compressor.value == 0 else ()
            yield compressor
            yield length
            yield walk.raw("text_bytes", length.value, field, parts)
            walk.stream.seek(start)
        elif isinstance(field, FieldGroup):
            if not context.presence >> PRESENCE_BITS[name] & 1:
                context[name] = {}
                continue
            bitmap = walk.span(f"{name}.bitmap", lambda s: read_uvarint(s, ""), field)
            yield bitmap
            for spec, sub in field.fields:
                if bitmap.value >> spec.bit & 1:
                    yield walk.span(f"{name}.{spec.name}", lambda s, sub=sub: sub._parse(s, context, ""), spec)
            walk.stream.seek(start)
        elif isinstance(field, Extensions):
            yield from _extension_spans(walk, context)
            return
        context[name] = value = member._parse(walk.stream, context, "")
        if not isinstance(field, (TextBlock, FieldGroup)) and walk.stream.tell() > start:  # absent fields take no bytes
            yield FieldSpan(name, start, walk.stream.tell(), value, field)


def _extension_spans(walk: _Walker, context: Container) -> Iterator[FieldSpan]:
    index = 0
    while walk.stream.tell() < len(walk.data):
        header = walk.span(f"ext{index}.header", lambda s: read_uvarint(s, ""))
        kind = type_of(header.value >> 1)
        yield FieldSpan(header.name, header.start, header.end, (header.value >> 1, bool(header.value & 1)), kind)
        length = walk.span(f"ext{index}.length", lambda s: read_uvarint(s, ""), kind)
        yield length
        at = walk.stream.tell()
        parts: tuple[FieldSpan, ...] = ()
        if isinstance(kind, type) and issubclass(kind, CodedPayload):
            code = walk.span(f"ext{index}.{kind.code_field}", lambda s: read_exp_code(s, ""), kind)
            end = at + length.value
            parts = (code, FieldSpan(f"ext{index}.data", code.end, end, walk.data[code.end:end], kind))
            walk.stream.seek(at)
        yield walk.raw(f"ext{index}.body", length.value, kind, parts)
        index += 1


def field_spans(data: bytes, registry: Any = None) -> dict[str, tuple[int, int]]:
    """{name: (start, end)} of every top-level field of a valid file (parts left out)."""
    return {f.name: (f.start, f.end) for f in iter_fields(data, registry)}
