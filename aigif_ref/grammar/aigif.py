"""The AIGIF v1 file grammar in construct (parse and build).

Layout (spec/bitstream.md): signature, version, CRC-32, then the body: a
presence bitmap, the core generation syntax, optional field groups and
extension records up to the end of the file. This module is bitstream only: it
checks syntax, canonical form and limits; registry meaning is checked by
aigif_ref.record_rules.
"""
from __future__ import annotations

import io
import zlib
from functools import lru_cache
from typing import Any

from construct import Construct, Struct

from aigif_ref.codecs.text import decode_text, encode_text, smallest
from aigif_ref.errors import AigifError
from aigif_ref.extensions import UnknownExtension, type_of
from aigif_ref.grammar import limits
from aigif_ref.grammar.fields import GROUPS, PRESENCE_BITS, ZERO_DEFAULT_ENUMS, FieldSpec
from aigif_ref.grammar.versions import NEWEST, V1_0, Version
from aigif_ref.grammar.primitives import (
    CompactFloat,
    ExpCode,
    Sized8,
    UVarint,
    encode_exp_code,
    encode_uvarint,
    read_exact,
    read_exp_code,
    read_uvarint,
)

PRESENCE_MASK = (1 << (max(PRESENCE_BITS.values()) + 1)) - 1


def registry_of(context) -> Any:
    """The registry passed to parse/build (parse_stream(..., registry=...)), or None for the shipped one."""
    parent = context.get("_") if context is not None else None
    return parent.get("registry") if parent is not None else None


def version_of(context) -> Version:
    """The version the file's header claims (parse_stream(..., version=...)); the newest when parsing a bare body."""
    parent = context.get("_") if context is not None else None
    version = parent.get("version") if parent is not None else None
    return NEWEST if version is None else version


def check_feature_version(feature: str, since: Version, version: Version, offset: int | None) -> None:
    """A feature newer than the version the file claims: the version byte is not the one its writer must write."""
    if since > version:
        raise AigifError("AIGIF_E_NONCANONICAL",
                         f"{feature} needs version {since}, but the file says {version} (byte {version.byte:#04x}): a writer "
                         f"writes the lowest version whose features the file uses, here at least {since.byte:#04x}", offset)


def _bit(context, name: str) -> bool:
    return context["presence"] >> PRESENCE_BITS[name] & 1 == 1


def read_presence(stream) -> int:
    value = read_uvarint(stream, "presence bitmap")
    if value & ~PRESENCE_MASK:
        raise AigifError("AIGIF_E_RESERVED", f"presence bitmap sets reserved bits {value & ~PRESENCE_MASK:#x}",
                         stream.tell() - len(encode_uvarint(value)))
    return value


class Presence(Construct):
    """The body's first uvarint: which optional top-level fields follow."""

    errors, registry_errors = ("TRUNCATED", "NONCANONICAL", "RANGE", "RESERVED"), ()

    def _parse(self, stream, context, path):
        return read_presence(stream)

    def _emitparse(self, code):
        code.append("from aigif_ref.grammar.aigif import read_presence")
        return "read_presence(io)"

    def _build(self, obj, stream, context, path):
        value = presence_of(context)
        stream.write(encode_uvarint(value))
        return value


def presence_of(record: Any) -> int:
    """The presence bitmap a record implies (used when building)."""
    bits = 0
    if record["text"]["negative_prompt"] is not None:
        bits |= 1 << PRESENCE_BITS["negative_prompt"]
    for name in ZERO_DEFAULT_ENUMS:
        if record[name]:
            bits |= 1 << PRESENCE_BITS[name]
    for name in GROUPS:
        if record[name]:
            bits |= 1 << PRESENCE_BITS[name]
    return bits


def read_zero_default(stream, what: str) -> int:
    value = read_exp_code(stream, what)
    if value == 0:
        raise AigifError("AIGIF_E_NONCANONICAL", f"{what} = 0 must be omitted (presence bit clear)", stream.tell() - 1)
    return value


class ZeroDefaultEnum(Construct):
    """An exp code present only when nonzero; absent means code 0."""

    errors, registry_errors = ("TRUNCATED", "LIMIT", "NONCANONICAL"), ("UNKNOWN_CODE",)

    def __init__(self, name: str) -> None:
        super().__init__()
        self.field = name

    def _parse(self, stream, context, path):
        return read_zero_default(stream, self.field) if _bit(context, self.field) else 0

    def _emitparse(self, code):
        code.append("from aigif_ref.grammar.aigif import read_zero_default")
        bit = PRESENCE_BITS[self.field]
        return f"(read_zero_default(io, {self.field!r}) if this['presence'] >> {bit} & 1 else 0)"

    def _build(self, obj, stream, context, path):
        if obj:
            stream.write(encode_exp_code(obj))
        return obj


def read_text_block(stream, has_negative: int, registry=None) -> dict[str, Any]:
    compressor = read_exp_code(stream, "text compressor")
    length = read_uvarint(stream, "text block length")
    if length > limits.MAX_TEXT_BLOCK_BYTES:
        raise AigifError("AIGIF_E_LIMIT", f"text block of {length} bytes exceeds {limits.MAX_TEXT_BLOCK_BYTES}",
                         stream.tell() - len(encode_uvarint(length)))
    block = read_exact(stream, length, "text block")
    try:
        strings = decode_text(compressor, block, 2 if has_negative else 1, registry)
        texts = [s.decode("utf-8") for s in strings]
    except AigifError as exc:
        block_start = stream.tell() - length
        raise AigifError(exc.code, f"text block: {exc.message}", block_start + (exc.offset or 0)) from None
    except UnicodeDecodeError as exc:
        raise AigifError("AIGIF_E_UTF8", f"text block: {exc.reason}", stream.tell() - length) from None
    return {"text_compressor": compressor, "prompt": texts[0], "negative_prompt": texts[1] if has_negative else None}


class TextBlock(Construct):
    """Text compressor (exp code), block length (uvarint), compressed strings."""

    errors = ("TRUNCATED", "NONCANONICAL", "RANGE", "LIMIT", "UNKNOWN_CODE", "DECOMPRESS", "UTF8")
    registry_errors = ()

    def _parse(self, stream, context, path):
        return read_text_block(stream, context["presence"] >> PRESENCE_BITS["negative_prompt"] & 1, registry_of(context))

    def _emitparse(self, code):
        code.append("from aigif_ref.grammar.aigif import read_text_block")
        return f"read_text_block(io, this['presence'] >> {PRESENCE_BITS['negative_prompt']} & 1, this['_'].get('registry'))"

    def _build(self, obj, stream, context, path):
        strings = [obj["prompt"].encode("utf-8")]
        if obj["negative_prompt"] is not None:
            strings.append(obj["negative_prompt"].encode("utf-8"))
        compressor = obj["text_compressor"]
        if compressor is None:
            compressor, block = smallest(strings, registry_of(context))
        else:
            block = encode_text(compressor, strings, registry_of(context))
        stream.write(encode_exp_code(compressor) + encode_uvarint(len(block)) + block)
        return obj


class FieldGroup(Construct):
    """An optional group: presence bit in the body bitmap, own bitmap, then values."""

    def __init__(self, name: str, specs: tuple[FieldSpec, ...]) -> None:
        super().__init__()
        self.group = name
        self.specs = specs
        self.mask = (1 << (max(s.bit for s in specs) + 1)) - 1
        self.fields = [(s, s.wire_type.make(s, f"{name}.{s.name}")) for s in specs]
        # bit -> (name, reader, reader args), for parsing only the bits that are set
        self.readers = {s.bit: (s.name, f.reader, f.reader_args()) for s, f in self.fields}
        # (mask of the bits, version) for each version after 1.0 that added fields to this group
        self.newer = [(sum(1 << s.bit for s in specs if s.since == since), since)
                      for since in sorted({s.since for s in specs if s.since > V1_0})]

    def _emitparse(self, code):
        # Skip the call entirely when the group is absent (the common case).
        code.linkedinstances[id(self)] = self
        bit = PRESENCE_BITS[self.group]
        return f"(linkedinstances[{id(self)}]._parse(io, this, None) if this['presence'] >> {bit} & 1 else {{}})"

    def _parse(self, stream, context, path):
        if not _bit(context, self.group):
            return {}
        bitmap = read_uvarint(stream, f"{self.group} bitmap")
        if bitmap == 0 or bitmap & ~self.mask:
            start = stream.tell() - len(encode_uvarint(bitmap))
            if bitmap == 0:
                raise AigifError("AIGIF_E_NONCANONICAL", f"{self.group}: empty group must be omitted", start)
            raise AigifError("AIGIF_E_RESERVED", f"{self.group}: reserved bits {bitmap & ~self.mask:#x}", start)
        for mask, since in self.newer:
            if bitmap & mask:
                name = next(s.name for s in self.specs if (bitmap & mask) >> s.bit & 1)
                check_feature_version(f"{self.group}.{name}", since, version_of(context), stream.tell() - len(encode_uvarint(bitmap)))
        values = {}
        readers = self.readers
        while bitmap:  # lowest set bit first: increasing bit order
            low = bitmap & -bitmap
            name, reader, args = readers[low.bit_length() - 1]
            values[name] = reader(stream, *args)
            bitmap ^= low
        return values

    def _build(self, obj, stream, context, path):
        if not obj:
            return obj
        by_name = {s.name: (s, f) for s, f in self.fields}
        unknown = sorted(set(obj) - set(by_name))
        if unknown:
            raise AigifError("AIGIF_E_RECORD", f"{self.group}: unknown field(s) {', '.join(unknown)}")
        bitmap = sum(1 << by_name[name][0].bit for name in obj)
        stream.write(encode_uvarint(bitmap))
        for spec, field in self.fields:
            if spec.name in obj:
                field._build(obj[spec.name], stream, context, path)
        return obj


class ExtensionLoop:
    """The reader's loop over extension records, one method per step, in the order of checks.

    Each record: uvarint (type << 1 | must_understand), uvarint length, body. Known types are
    decoded by their class in aigif_ref.extensions; unknown ones are kept as bytes, or rejected
    when marked must-understand. Conformance mutants subclass this and override one step.
    """

    def read_all(self, stream, context) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        previous = -1
        while True:
            start = stream.tell()
            if not stream.read(1):
                return records
            stream.seek(start)
            self.check_count(len(records), start)  # before the record's first byte is parsed
            records.append(self.read_record(stream, context, start, previous, len(records)))
            previous = records[-1]["type"]

    def read_record(self, stream, context, start: int, previous: int, count: int) -> dict[str, Any]:
        header = read_uvarint(stream, "extension header")
        ext_type, must_understand = header >> 1, bool(header & 1)
        self.check_type(ext_type, start)
        self.check_order(ext_type, previous, start)
        kind = type_of(ext_type)
        if kind is not UnknownExtension and kind.defined:
            self.check_version(kind, version_of(context), start)
        length_at = stream.tell()
        length = read_uvarint(stream, "extension length")
        if length > limits.MAX_EXTENSION_BYTES:
            raise AigifError("AIGIF_E_LIMIT", f"extension of {length} bytes exceeds {limits.MAX_EXTENSION_BYTES}", length_at)
        body_at = stream.tell()
        body = read_exact(stream, length, f"extension {ext_type}")
        if kind is UnknownExtension or not kind.defined:
            self.check_must_understand(ext_type, must_understand, start, count)
            return {"type": ext_type, "must_understand": must_understand, "data": body}
        if must_understand != kind.must_understand:
            raise AigifError("AIGIF_E_NONCANONICAL", f"extension {ext_type} must have must_understand={kind.must_understand}", start)
        return {"type": ext_type, "must_understand": must_understand, **self.decode_body(kind, body, body_at, context)}

    def check_type(self, ext_type: int, start: int) -> None:
        if ext_type == 0:
            raise AigifError("AIGIF_E_RESERVED", "extension type 0 is reserved", start)

    def check_version(self, kind, version: Version, start: int) -> None:
        """A known type defined after the version the file claims."""
        check_feature_version(f"extension type {kind.code} ({kind.name})", kind.since, version, start)

    def check_count(self, count: int, start: int) -> None:
        if count == limits.MAX_EXTENSION_RECORDS:
            raise AigifError("AIGIF_E_LIMIT", f"more than {limits.MAX_EXTENSION_RECORDS} extension records", start)

    def check_order(self, ext_type: int, previous: int, start: int) -> None:
        if ext_type <= previous:
            raise AigifError("AIGIF_E_NONCANONICAL", f"extension type {ext_type} after {previous}: types must increase", start)

    def check_must_understand(self, ext_type: int, must_understand: bool, start: int, count: int) -> None:
        """An unknown type: refused when marked must-understand."""
        if must_understand:
            raise AigifError("AIGIF_E_MUST_UNDERSTAND", f"unknown must-understand extension type {ext_type}", start)

    def decode_body(self, kind, body: bytes, body_at: int, context) -> dict[str, Any]:
        try:
            return kind.parse(body, context)
        except AigifError as exc:
            raise AigifError(exc.code, exc.message, body_at + (exc.offset or 0)) from None


class Extensions(Construct):
    """Extension records up to the end of the file, in strictly increasing type order (see ExtensionLoop)."""

    errors = ("TRUNCATED", "NONCANONICAL", "RANGE", "RESERVED", "LIMIT", "MUST_UNDERSTAND", "EXTENSION", "UNKNOWN_CODE")
    registry_errors = ()

    loop = ExtensionLoop()

    def _parse(self, stream, context, path):
        return self.loop.read_all(stream, context)

    def _build(self, obj, stream, context, path):
        if len(obj) > limits.MAX_EXTENSION_RECORDS:
            raise AigifError("AIGIF_E_LIMIT", f"more than {limits.MAX_EXTENSION_RECORDS} extension records")
        previous = -1
        for record in obj:
            ext_type = record["type"]
            if ext_type <= previous or ext_type == 0:
                raise AigifError("AIGIF_E_RECORD", "extension types must be nonzero and strictly increasing")
            previous = ext_type
            kind = type_of(ext_type)
            known = kind is not UnknownExtension and kind.defined
            must_understand = bool(record.get("must_understand", kind.must_understand if known else False))
            if known and must_understand != kind.must_understand:
                raise AigifError("AIGIF_E_RECORD", f"extension {ext_type} has must_understand={kind.must_understand}")
            if not known and must_understand:
                raise AigifError("AIGIF_E_MUST_UNDERSTAND", f"cannot write unknown must-understand extension {ext_type}")
            try:
                body = kind.build(record, context)
            except KeyError as missing:
                raise AigifError("AIGIF_E_RECORD", f"extension {ext_type} needs the field {missing}") from None
            if len(body) > limits.MAX_EXTENSION_BYTES:
                raise AigifError("AIGIF_E_LIMIT", f"extension of {len(body)} bytes exceeds {limits.MAX_EXTENSION_BYTES}")
            stream.write(encode_uvarint(ext_type << 1 | must_understand) + encode_uvarint(len(body)) + body)
        return obj


Body = Struct(
    "presence" / Presence(),
    "model_id" / ExpCode("model_id"),
    "dtype" / ZeroDefaultEnum("dtype"),
    "scheduler" / ZeroDefaultEnum("scheduler"),
    "steps" / UVarint("steps", limits.MIN_STEPS, limits.MAX_STEPS),
    "guidance_scale" / CompactFloat("guidance_scale"),
    "seed" / UVarint("seed"),
    "height" / Sized8("height"),
    "width" / Sized8("width"),
    "text" / TextBlock(),
    "device" / ZeroDefaultEnum("device"),
    "gpu" / ZeroDefaultEnum("gpu"),
    "cuda" / ZeroDefaultEnum("cuda"),
    *[name / FieldGroup(name, specs) for name, specs in GROUPS.items()],
    "extensions" / Extensions(),
)



@lru_cache(maxsize=1)
def _compiled_body():
    """construct's compiled form of Body: same semantics, about twice as fast to parse."""
    return Body.compile()


def features_after_1_0(syntax: dict[str, Any]) -> list[tuple[str, Version]]:
    """(feature, version that added it) for every feature of a syntax record that 1.0 did not have."""
    out = [(f"{group}.{spec.name}", spec.since) for group, specs in GROUPS.items()
           for spec in specs if spec.since > V1_0 and spec.name in (syntax.get(group) or {})]
    for ext in syntax.get("extensions") or []:
        kind = type_of(ext["type"])
        if kind is not UnknownExtension and kind.defined and kind.since > V1_0:
            out.append((f"extension type {kind.code} ({kind.name})", kind.since))
    return out


def required_version(syntax: dict[str, Any]) -> Version:
    """The lowest version whose features the record uses: the version a writer writes (spec section 3)."""
    return max([V1_0, *(since for _, since in features_after_1_0(syntax))])


def check_version_not_higher(syntax: dict[str, Any], version: Version) -> None:
    """A file of a version this reader knows claims a higher version than its features need: a second encoding."""
    if version <= NEWEST and version != required_version(syntax):
        needed = required_version(syntax)
        raise AigifError("AIGIF_E_NONCANONICAL", f"the file says version {version} (byte {version.byte:#04x}) but uses "
                         f"only features of {needed}: its canonical version byte is {needed.byte:#04x}", 4)


def check_header(data: bytes) -> tuple[int, int]:
    """Signature, then version, then header length; returns (major, minor)."""
    sig = limits.SIGNATURE
    if data[: len(sig)] != sig[: len(data)]:
        raise AigifError("AIGIF_E_SIGNATURE", "not an AIGIF file (bad signature)", 0)
    if len(data) <= len(sig):
        raise AigifError("AIGIF_E_TRUNCATED", "data ends inside the header", len(data))
    major, minor = data[4] >> 4, data[4] & 0x0F
    if major != limits.MAJOR_VERSION:
        raise AigifError("AIGIF_E_VERSION", f"AIGIF version {major}.{minor} is not supported (this reader: {limits.MAJOR_VERSION}.x)", 4)
    if len(data) < limits.HEADER_SIZE:
        raise AigifError("AIGIF_E_TRUNCATED", "data ends inside the header", len(data))
    return major, minor


def file_crc(data: bytes) -> int:
    """CRC-32 (ISO-HDLC, as zlib) over the file without its CRC field."""
    return zlib.crc32(data[9:], zlib.crc32(data[:5]))


def with_crc(data: bytes) -> bytes:
    """data with its CRC field (bytes 5..9) set to match the rest (for writers and test tools)."""
    return bytes(data[:5]) + file_crc(data).to_bytes(4, "little") + bytes(data[9:])


def parse_file(data: bytes, registry: Any = None) -> dict[str, Any]:
    """Bytes -> syntax record (a plain dict). Raises AigifError.

    registry: where registry-named codec data (the phrase model) comes from; None = the shipped one.
    """
    if len(data) > limits.MAX_FILE_BYTES:
        raise AigifError("AIGIF_E_LIMIT", f"file of {len(data)} bytes exceeds {limits.MAX_FILE_BYTES}")
    major, minor = check_header(data)
    stream = io.BytesIO(data)
    stream.seek(limits.HEADER_SIZE)
    version = Version(major, minor)
    try:
        body = _compiled_body().parse_stream(stream, registry=registry, version=version)
        check_version_not_higher(body, version)  # the last body check: it needs every feature read
        syntax_error = None
    except AigifError as exc:
        body, syntax_error = None, exc
    # The CRC decides before any syntax error but truncation (spec 11.2): a damaged byte is reported
    # as AIGIF_E_CRC, never as a code that blames the writer; a cut file is still reported where it ends.
    stored_crc = int.from_bytes(data[5:9], "little")
    if file_crc(data) != stored_crc and (syntax_error is None or syntax_error.code != "AIGIF_E_TRUNCATED"):
        raise AigifError("AIGIF_E_CRC", f"CRC-32 mismatch (stored {stored_crc:08x}, computed {file_crc(data):08x})", 5)
    if syntax_error is not None:
        raise syntax_error
    syntax = dict(body)  # the compiled parser's result holds only the named fields
    syntax["version"] = f"{major}.{minor}"
    return syntax


def build_file(record: dict[str, Any], registry: Any = None) -> bytes:
    """Syntax record (as parse_file returns) -> canonical bytes."""
    stream = io.BytesIO()
    stream.write(limits.SIGNATURE + bytes([required_version(record).byte]) + b"\0\0\0\0")
    Body.build_stream({**record, "presence": None}, stream, registry=registry)
    return with_crc(stream.getvalue())
