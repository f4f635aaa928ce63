"""The file header and the primitive encodings, with valid and invalid examples."""
from __future__ import annotations

import io
import json
import struct

from aigif_ref.grammar import limits
from aigif_ref.grammar.primitives import (CompactFloat, Sized8, encode_cfloat, encode_exp_code, encode_uvarint,
                                          read_exp_code, read_uvarint)
from aigif_ref.grammar.wire import MAX_CODE, WIRE_TYPES
from tools.spec_tables.common import error_of, hexs, table


def gen_header() -> str:
    versions = " or ".join(f"{limits.MAJOR_VERSION << 4 | minor:02X}" for minor in range(limits.MINOR_VERSION + 1))
    crc_at = len(limits.SIGNATURE) + 1
    rows = [
        (0, len(limits.SIGNATURE), "signature", hexs(limits.SIGNATURE) + '  ("\\x89AIG")'),
        (len(limits.SIGNATURE), 1, "version", f"{versions}  (major {limits.MAJOR_VERSION} << 4 | minor: the lowest version "
                                              "whose features the file uses, section 3)"),
        (crc_at, 4, "crc32", f"CRC-32 of bytes [0,{crc_at}) then [{limits.HEADER_SIZE},end), little-endian"),
        (limits.HEADER_SIZE, None, "body", "presence bitmap, core fields, text block, optional groups, extension records"),
    ]
    assert crc_at + 4 == limits.HEADER_SIZE
    lines = ["offset  size  field      content"]
    lines += [f"{o:<6}  {'…' if s is None else s:<4}  {name:<9}  {what}" for o, s, name, what in rows]
    return "```text\n" + "\n".join(lines) + "\n```\n"


def gen_uvarint_examples() -> str:
    valid = [0, 1, 127, 128, 300, 16383, 16384, 2**32 - 1, 2**63, 2**64 - 1]
    rows = [(v if v < 2**16 else f"{v} (2^{v.bit_length() - 1})" if v & (v - 1) == 0 else f"{v} (2^{v.bit_length()} − 1)", hexs(encode_uvarint(v)), len(encode_uvarint(v)))
            for v in valid]
    out = table(["value", "bytes", "length"], rows)
    invalid = [
        ("80 00", "over-long 0"),
        ("AC 82 00", "over-long 300"),
        ("FF FF FF FF FF FF FF FF FF 02", "2^64: more than 64 bits"),
        ("80 80 80 80 80 80 80 80 80 80 00", "11 bytes"),
        ("80", "the file ends after a continuation byte"),
    ]
    read = lambda s: read_uvarint(s, "uvarint")  # noqa: E731
    out += "\nInvalid forms and the error a reader MUST report:\n\n"
    out += table(["bytes", "what", "result"], [(b, w, error_of(read, bytes.fromhex(b))) for b, w in invalid])
    return out


def gen_exp_code_examples() -> str:
    rows = [(v, hexs(encode_exp_code(v)) if v < 1000 else f"FF × {v // 255}, {v % 255:02X}", len(encode_exp_code(v)))
            for v in (0, 1, 254, 255, 256, 509, 510, 765, MAX_CODE)]
    out = table(["value", "bytes", "length"], rows)
    read = lambda s: read_exp_code(s, "exp code")  # noqa: E731
    invalid = [("FF", "the file ends after an escape byte"),
               ("FF " * limits.MAX_EXP_CODE_BYTES, f"{limits.MAX_EXP_CODE_BYTES} escape bytes")]
    out += "\nInvalid forms:\n\n"
    out += table(["bytes", "what", "result"],
                 [(b.strip() if len(b) < 10 else f"FF × {limits.MAX_EXP_CODE_BYTES}", w, error_of(read, bytes.fromhex(b))) for b, w in invalid])
    return out


def _f32_hex(value: float) -> str:
    return hexs(struct.pack("<f", value))


def gen_cfloat_examples() -> str:
    values = [0.0, 0.25, 1.0, 3.5, 4.5, 7.5, 12.0, 32.0, 4194303.75, 4194304.0, 0.1, 0.7, -2.5, -0.0, 1e-45]
    rows = []
    for v in values:
        data = encode_cfloat(v)
        form = "compact" if data[0] != 1 else "raw"
        rows.append((repr(v), hexs(data), len(data), form))
    out = table(["value", "bytes", "length", "form"], rows)
    read = lambda s: CompactFloat("cfloat")._parse(s, None, "")  # noqa: E731
    too_big = encode_uvarint(limits.MAX_COMPACT_QUARTERS << 1)
    invalid = [
        ("01 " + _f32_hex(7.5), "7.5 in the raw form (compact is possible)"),
        ("01 " + _f32_hex(0.0), "+0.0 in the raw form"),
        ("03", "odd u other than 1 (reserved)"),
        ("01 00 00 C0 7F", "raw NaN"),
        ("01 00 00 80 7F", "raw +infinity"),
        (hexs(too_big), f"compact k = 2^{limits.MAX_COMPACT_QUARTERS.bit_length() - 1}"),
        ("01 00 00", "the file ends inside the raw float"),
    ]
    out += "\nInvalid forms:\n\n"
    out += table(["bytes", "what", "result"], [(b, w, error_of(read, bytes.fromhex(b))) for b, w in invalid])
    return out


def gen_other_primitive_examples() -> str:
    rows = []
    for wire, value, note in (("bool", False, ""), ("bool", True, ""), ("pair", [1024, 1024], "e.g. original_size"),
                              ("pair", [0, 0], "e.g. crops_coords_top_left"), ("version", "2.11.0", "e.g. torch_version"),
                              ("version", "0.42.1", "e.g. diffusers_version")):
        stream = io.BytesIO()
        WIRE_TYPES[wire].make(None, wire)._build(value, stream, None, "")
        rows.append((wire, json.dumps(value), hexs(stream.getvalue()), note))
    for px in (8, 512, 1024, 1216, limits.MAX_SIZE_UNITS * limits.SIZE_UNIT):
        stream = io.BytesIO()
        Sized8("size")._build(px, stream, None, "")
        rows.append(("size", px, hexs(stream.getvalue()), f"{px // limits.SIZE_UNIT} units of {limits.SIZE_UNIT} px"))
    out = table(["type", "value (JSON)", "bytes", "note"], rows)
    bad = [("bool", "02", "boolean byte 2"), ("size", "00", "0 units"),
           ("size", hexs(encode_uvarint(limits.MAX_SIZE_UNITS + 1)), f"{limits.MAX_SIZE_UNITS + 1} units"),
           ("version", "80 80 04 00 00", "component 65536")]
    parsers = {"bool": WIRE_TYPES["bool"].make(None, "bool"), "size": Sized8("size"), "version": WIRE_TYPES["version"].make(None, "version")}
    out += "\nInvalid forms:\n\n"
    out += table(["type", "bytes", "what", "result"],
                 [(t, b, w, error_of(lambda s, p=parsers[t]: p._parse(s, None, ""), bytes.fromhex(b))) for t, b, w in bad])
    return out


def gen_version_examples() -> str:
    """The version byte of live encodings: a 1.0 record, the same with a 1.1 field, and both with the other byte."""
    from aigif_ref.api import decode, encode
    from aigif_ref.errors import AigifError
    from aigif_ref.grammar.aigif import with_crc
    from aigif_ref.grammar.fields import GROUPS
    from aigif_ref.grammar.versions import V1_0

    # the first newer field that every model accepts (params depend on the model's family)
    group, spec = next((g, s) for g, specs in GROUPS.items() for s in specs if s.since > V1_0 and g != "params")
    minimal = {"model_id": 0, "steps": 1, "guidance_scale": 0.0, "seed": 0, "height": 8, "width": 8, "prompt": "",
               "text_compressor": 0}
    newer = dict(minimal, **{group: {spec.name: 1}})
    rows = []
    for label, record in (("the minimal record (1.0 features only)", minimal),
                          (f"the same with `{group}.{spec.name}` = 1 (since {spec.since})", newer)):
        data = encode(record)
        other = with_crc(data[:4] + bytes([(V1_0 if data[4] != V1_0.byte else spec.since).byte]) + data[5:])
        for what, file in (("as written", data), ("version byte changed, CRC recomputed", other)):
            try:
                result = f'valid, `aigif_version` "{decode(file)["aigif_version"]}"'
            except AigifError as exc:
                result = f"`{exc.code}` at offset {exc.offset}"
            rows.append((label, what, f"`{hexs(file)}`", result))
    return table(["record", "file", "bytes", "a 1.1 reader"], rows)
