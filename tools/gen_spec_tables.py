"""Generate the tables and worked examples of spec/*.md from the code and the registry.

Every region between `<!-- BEGIN GENERATED: name -->` and `<!-- END GENERATED: name -->`
is rewritten from aigif_ref/grammar (fields.py, limits.py, primitives, aigif.py),
aigif_ref/errors.py, aigif_ref/registry_check.py, registry.json, spec/schema/record.schema.json and live encodings
with aigif_ref.api; the prose around the regions is hand-written.

Run: python tools/gen_spec_tables.py [--check] [--dir SPEC_DIR]
--check exits 1 (and names the files) if any file would change; unknown region
names and unbalanced markers exit 2.
"""
from __future__ import annotations

import argparse
import ast
import base64
import io
import json
import re
import struct
import sys
import tokenize
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from construct import Container  # noqa: E402

from aigif_ref.api import decode, encode  # noqa: E402
from aigif_ref.codecs.png import encode_png_rgb8  # noqa: E402
from aigif_ref.codecs.text import CODECS  # noqa: E402
from aigif_ref.errors import ERROR_CODES, AigifError  # noqa: E402
from aigif_ref.grammar import limits  # noqa: E402
from aigif_ref.grammar.aigif import (  # noqa: E402
    EXTENSION_CODECS,
    PixelDigestExtension,
    Body,
    Extensions,
    FieldGroup,
    Presence,
    TextBlock,
    ZeroDefaultEnum,
)
from aigif_ref.grammar.fields import GROUPS, PARAMS, PRESENCE_BITS, ZERO_DEFAULT_ENUMS, FieldSpec  # noqa: E402
from aigif_ref.grammar.primitives import (  # noqa: E402
    CompactFloat,
    ExpCode,
    Sized8,
    UVarint,
    encode_cfloat,
    encode_exp_code,
    encode_uvarint,
    make_field,
    read_exp_code,
    read_uvarint,
)
from aigif_ref.record import RECORD_SCHEMA, TOP_LEVEL_ENUMS, dumps  # noqa: E402
from aigif_ref.registry import default_registry  # noqa: E402
from aigif_ref.registry_check import RULES  # noqa: E402

SPEC_DIR = ROOT / "spec"
REGION = re.compile(
    r"(<!-- BEGIN GENERATED: (?P<name>[a-z0-9-]+) -->\n)(?P<body>.*?)(<!-- END GENERATED: (?P=name) -->)",
    re.DOTALL,
)
MARKER = re.compile(r"<!-- (BEGIN|END) GENERATED: ([^ ]+) -->")
MAX_CODE = 255 * (limits.MAX_EXP_CODE_BYTES - 1) + 254
REG = default_registry()


# ---------------------------------------------------------------- formatting helpers
def hexs(data: bytes) -> str:
    return data.hex(" ").upper()


def cell(value: Any) -> str:
    """A Markdown table cell: pipes escaped, newlines flattened."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def error_of(parse: Callable[[io.BytesIO], Any], data: bytes) -> str:
    """What a primitive reader does with data: the value, or the error code it raises."""
    try:
        value = parse(io.BytesIO(data))
    except AigifError as exc:
        return f"`{exc.code}`"
    return f"value {value!r}"


def codes_summary(enum: str, limit: int = 4) -> str:
    entries = sorted(REG.enum(enum).values(), key=lambda e: e["code"])
    shown = "; ".join(f'{e["code"]}="{e["name"]}"' for e in entries[:limit])
    return shown + (f"; … ({len(entries)} codes)" if len(entries) > limit else "")


def models_summary(limit: int = 3) -> str:
    models = sorted(REG.models.values(), key=lambda m: m["id"])
    shown = "; ".join(f'{m["id"]}="{m["name"]}"' for m in models[:limit])
    return shown + (f"; … ({len(models)} models)" if len(models) > limit else "")


# ---------------------------------------------------------------- file layout and primitives
def gen_header() -> str:
    version = limits.MAJOR_VERSION << 4 | limits.MINOR_VERSION
    crc_at = len(limits.SIGNATURE) + 1
    rows = [
        (0, len(limits.SIGNATURE), "signature", hexs(limits.SIGNATURE) + '  ("\\x89AIG")'),
        (len(limits.SIGNATURE), 1, "version", f"{version:02X}  (major {limits.MAJOR_VERSION} << 4 | minor {limits.MINOR_VERSION})"),
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
        make_field(wire, wire)._build(value, stream, None, "")
        rows.append((wire, json.dumps(value), hexs(stream.getvalue()), note))
    for px in (8, 512, 1024, 1216, limits.MAX_SIZE_UNITS * limits.SIZE_UNIT):
        stream = io.BytesIO()
        Sized8("size")._build(px, stream, None, "")
        rows.append(("size", px, hexs(stream.getvalue()), f"{px // limits.SIZE_UNIT} units of {limits.SIZE_UNIT} px"))
    out = table(["type", "value (JSON)", "bytes", "note"], rows)
    bad = [("bool", "02", "boolean byte 2"), ("size", "00", "0 units"),
           ("size", hexs(encode_uvarint(limits.MAX_SIZE_UNITS + 1)), f"{limits.MAX_SIZE_UNITS + 1} units"),
           ("version", "80 80 04 00 00", "component 65536")]
    parsers = {"bool": make_field("bool", "bool"), "size": Sized8("size"), "version": make_field("version", "version")}
    out += "\nInvalid forms:\n\n"
    out += table(["type", "bytes", "what", "result"],
                 [(t, b, w, error_of(lambda s, p=parsers[t]: p._parse(s, None, ""), bytes.fromhex(b))) for t, b, w in bad])
    return out


# ---------------------------------------------------------------- Table I and the body
@dataclass(frozen=True)
class TableOneRow:
    description: str  # as printed in the paper's Table I
    paper_type: str
    paper_example: str
    field: str  # AIGIF v1 field (a Body member, "extensions" or a group list)
    aigif: str  # how v1 stores it
    enum: str | None = None  # registry enumeration ("models" for model IDs)
    paper_codes: tuple[tuple[int, str], ...] = ()  # the paper's value assignments, checked against the registry


TABLE_ONE: tuple[TableOneRow, ...] = (
    TableOneRow("saving pixels", "1 bit", "0=No; 1=Yes", "extensions", "an extension record of type 1 (pixels) is present"),
    TableOneRow("pixel compressor", "4 bits", "0=None; 1=png", "extensions", "first exp code of the pixels record body",
                "pixel_compressors", ((0, "None"), (1, "png"))),
    TableOneRow("text compressor", "4 bits", "0=None; 1=zlib", "text", "first exp code of the text block",
                "text_compressors", ((0, "None"), (1, "zlib"))),
    TableOneRow("saving model", "1 bit", "0=No; 1=Yes", "extensions", "extension type 2 (model): reserved, not defined in v1"),
    TableOneRow("model compressor", "4 bits", "0=None; 1=int8", "extensions", "reserved for the model record (type 2); not in v1 files",
                "model_compressors", ((0, "None"), (1, "int8"))),
    TableOneRow("device", "4 bits", '0="CPU"; 1="GPU"', "device", "exp code, presence bit", "devices", ((0, "CPU"), (1, "GPU"))),
    TableOneRow("gpu", "1 byte", '1="NVIDIA GeForce GTX 1080 Ti"', "gpu", "exp code, presence bit", "gpus",
                ((1, "NVIDIA GeForce GTX 1080 Ti"),)),
    TableOneRow("cuda", "1 byte", '1="cu121"', "cuda", "exp code, presence bit", "cuda_versions", ((1, "cu121"),)),
    TableOneRow("model ID", "exp code", '0="stable-diffusion-v1-5"', "model_id", "exp code", "models", ((0, "stable-diffusion-v1-5"),)),
    TableOneRow("data type", "4 bits", '0="float32"; 1="float16"', "dtype", "exp code, presence bit", "dtypes",
                ((0, "float32"), (1, "float16"))),
    TableOneRow("(scheduler)", "4 bits", "0=DDIM", "scheduler", "exp code, presence bit", "schedulers", ((0, "DDIM"),)),
    TableOneRow("prompt", "String", '"A cute cat"', "text", "first string of the text block (UTF-8)"),
    TableOneRow("negative prompt", "String", '"worst quality"', "text", "second string of the text block; presence bit 0"),
    TableOneRow("height", "4 bytes", "1024", "height", "uvarint, units of 8 px"),
    TableOneRow("width", "4 bytes", "1024", "width", "uvarint, units of 8 px"),
    TableOneRow("seed", "4 bytes", "829557441", "seed", "uvarint, 64-bit"),
    TableOneRow("(diffusion steps)", "2 bytes", "25", "steps", "uvarint"),
    TableOneRow("(guidance scale)", "4 bytes", "7.5", "guidance_scale", "compact float32"),
    TableOneRow("... (model-dependent, platform)", "Any", "...", ", ".join(GROUPS), "optional field groups (bitmap + values)"),
)


def _check_table_one() -> None:
    """The paper's value assignments are kept as registry codes; fail loudly if the registry drifts."""
    for row in TABLE_ONE:
        for code, name in row.paper_codes:
            got = REG.models[code]["name"] if row.enum == "models" else REG.enum_name(row.enum, code)
            if got != name:
                raise SystemExit(f"registry drift: Table I {row.description} {code}={name!r}, registry has {got!r}")


def gen_table1_mapping() -> str:
    _check_table_one()
    rows = []
    for row in TABLE_ONE:
        codes = models_summary() if row.enum == "models" else codes_summary(row.enum) if row.enum else ""
        registry = f"`{row.enum}`: {codes}" if row.enum else "—"
        rows.append((row.description, row.paper_type, row.paper_example, f"`{row.field}`", row.aigif, registry))
    return table(["Table I row", "Table I type", "Table I example", "AIGIF v1 field", "AIGIF v1 encoding", "registry codes"], rows)


# Error codes each grammar class can raise; registry-check codes follow the ";".
_BODY_ERRORS: dict[type, str] = {
    Presence: "TRUNCATED NONCANONICAL RANGE RESERVED",
    ExpCode: "TRUNCATED LIMIT ; UNKNOWN_CODE",
    ZeroDefaultEnum: "TRUNCATED LIMIT NONCANONICAL ; UNKNOWN_CODE",
    Sized8: "TRUNCATED NONCANONICAL RANGE",
    UVarint: "TRUNCATED NONCANONICAL RANGE",
    CompactFloat: "TRUNCATED NONCANONICAL RANGE RESERVED",
    TextBlock: "TRUNCATED NONCANONICAL RANGE LIMIT UNKNOWN_CODE DECOMPRESS UTF8",
    Extensions: "TRUNCATED NONCANONICAL RANGE RESERVED LIMIT MUST_UNDERSTAND EXTENSION UNKNOWN_CODE",
}
# Per wire type of a group field (the group bitmap itself: TRUNCATED NONCANONICAL RANGE RESERVED).
_WIRE_ERRORS: dict[str, str] = {
    "uvarint": "TRUNCATED NONCANONICAL RANGE", "cfloat": "TRUNCATED NONCANONICAL RANGE RESERVED",
    "bool": "TRUNCATED RANGE", "enum": "TRUNCATED LIMIT", "pair": "TRUNCATED NONCANONICAL RANGE",
    "version": "TRUNCATED NONCANONICAL RANGE",
}
_ERROR_ORDER = ("TRUNCATED", "NONCANONICAL", "RANGE", "RESERVED", "LIMIT", "UNKNOWN_CODE", "DECOMPRESS", "UTF8",
                "MUST_UNDERSTAND", "EXTENSION", "PARAM_FAMILY")


def _group_errors(name: str, field: FieldGroup) -> str:
    syntax = {"TRUNCATED", "NONCANONICAL", "RANGE", "RESERVED"}
    for spec in field.specs:
        syntax |= set(_WIRE_ERRORS[spec.wire].split())
    registry = ["UNKNOWN_CODE"] if any(s.wire == "enum" for s in field.specs) else []
    registry += ["PARAM_FAMILY"] if name == "params" else []
    registry += ["RANGE"] if {"batch_index", "batch_size"} <= {s.name for s in field.specs} else []
    return " ".join(sorted(syntax, key=_ERROR_ORDER.index)) + " ; " + " ".join(registry)


def _errors_cell(name: str, field: Any) -> str:
    spec = _group_errors(name, field) if isinstance(field, FieldGroup) else _BODY_ERRORS.get(type(field))
    if spec is None:
        raise SystemExit(f"gen_spec_tables: no error codes listed for grammar class {type(field).__name__} ({name})")
    syntax, _, registry = spec.partition(";")
    for code in spec.replace(";", " ").split():
        assert f"AIGIF_E_{code}" in ERROR_CODES, code
    out = ", ".join(syntax.split())
    return out + (f"; registry: {', '.join(registry.split())}" if registry.split() else "")


def _bit_condition(name: str) -> str:
    return f"presence bit {PRESENCE_BITS[name]}"


def _describe(name: str, field: Any) -> tuple[str, str, str]:
    """(encoding, present when, range) of one Body member, read off the grammar object."""
    kind = type(field)
    if kind is Presence:
        top = max(PRESENCE_BITS.values())
        return "uvarint bitmap", "always", f"bits 0..{top} (see presence bits); higher bits reserved"
    if kind is ExpCode:
        return "exp code", "always", f"0..{MAX_CODE}; registry `models`"
    if kind is ZeroDefaultEnum:
        return "exp code", _bit_condition(name) + "; absent = code 0", f"1..{MAX_CODE}; registry `{ZERO_DEFAULT_ENUMS[name]}`"
    if kind is Sized8:
        lo, hi = field.min, field.max
        return f"uvarint, units of {limits.SIZE_UNIT} px", "always", f"{lo}..{hi} units ({lo * limits.SIZE_UNIT}..{hi * limits.SIZE_UNIT} px)"
    if kind is UVarint:
        return "uvarint", "always", f"{field.min}..{field.max}" if field.max < 2**64 - 1 else f"{field.min}..2^64 − 1"
    if kind is CompactFloat:
        return "compact float", "always", "finite float32"
    if kind is TextBlock:
        return "text block", "always", f"block ≤ {limits.MAX_TEXT_BLOCK_BYTES} bytes; strings ≤ {limits.MAX_STRING_BYTES} bytes UTF-8"
    if kind is FieldGroup:
        return "uvarint bitmap + values", _bit_condition(name), f"bits 0..{field.mask.bit_length() - 1}; see the group's table"
    if kind is Extensions:
        return "extension records", "to the end of the file", f"body ≤ {limits.MAX_EXTENSION_BYTES} bytes each; types strictly increasing"
    raise SystemExit(f"gen_spec_tables: no description for grammar class {kind.__name__} ({name}); add one")


def gen_body_fields() -> str:
    rows = []
    for index, member in enumerate(Body.subcons, 1):
        field = member.subcon
        encoding, condition, value_range = _describe(member.name, field)
        table_one = ", ".join(r.description for r in TABLE_ONE if member.name in r.field.split(", ")) or "—"
        rows.append((index, f"`{member.name}`", encoding, condition, value_range, table_one, _errors_cell(member.name, field)))
    return table(["#", "field", "encoding", "present when", "range", "Table I row", "errors"], rows)


def gen_body_grammar() -> str:
    """The body as one line of pseudo-grammar, read off Body: [x] optional, *x repeated."""
    parts = []
    for member in Body.subcons:
        kind = type(member.subcon)
        parts.append(f"[{member.name}]" if kind in (ZeroDefaultEnum, FieldGroup)
                     else "*extension_record" if kind is Extensions else member.name)
    lines, line = [], "body = "
    for part in parts:
        if len(line) + len(part) > 88:
            lines.append(line.rstrip())
            line = " " * 7
        line += part + " "
    lines.append(line.rstrip())
    return "```text\nfile = signature version crc32 body\n" + "\n".join(lines) + "\n```\n"


def gen_presence_bits() -> str:
    rows = []
    for name, bit in sorted(PRESENCE_BITS.items(), key=lambda kv: kv[1]):
        if name == "negative_prompt":
            meaning = "the text block holds a second string, the negative prompt (may be empty)"
        elif name in ZERO_DEFAULT_ENUMS:
            meaning = f"`{name}` follows (exp code, nonzero); clear: code 0 = {REG.enum_name(ZERO_DEFAULT_ENUMS[name], 0)!r}"
        else:
            meaning = f"the `{name}` group follows (nonempty)"
        rows.append((bit, f"0x{1 << bit:03X}", f"`{name}`", meaning))
    top = max(PRESENCE_BITS.values())
    rows.append((f"{top + 1}..63", "", "reserved", "MUST be 0 (`AIGIF_E_RESERVED`)"))
    return table(["bit", "mask", "field", "set means"], rows)


# ---------------------------------------------------------------- groups, families, hidden settings
def _wire_cell(spec: FieldSpec) -> str:
    return {"uvarint": "uvarint", "cfloat": "compact float", "bool": "bool", "enum": "exp code",
            "pair": "pair", "version": "version"}[spec.wire]


def _range_cell(spec: FieldSpec) -> str:
    if spec.wire == "uvarint":
        return f"{0 if spec.min is None else spec.min}..{'2^64 − 1' if spec.max is None else spec.max}"
    if spec.wire == "enum":
        return f"registry `{spec.enum}`: {codes_summary(spec.enum, 3)}"
    return {"cfloat": "finite float32", "bool": "0 or 1", "pair": "2 × (0..2^64 − 1)", "version": "3 × (0..65535)"}[spec.wire]


# What the meaning column says where fields.py gives no doc string.
_UNDOCUMENTED = {"params": "—", "scheduler_config": "the diffusers scheduler config key of the same name", "platform": "see the text"}


def _group_table(group: str) -> str:
    specs = GROUPS[group]
    headers = ["bit", "name", "type", "range", "meaning"]
    if group == "params":
        headers.append("families")
    rows = []
    for spec in specs:
        row = [spec.bit, f"`{spec.name}`", _wire_cell(spec), _range_cell(spec), spec.doc or _UNDOCUMENTED[group]]
        if group == "params":
            row.append(", ".join(f["name"] for f in REG.data["families"] if spec.name in f["params"]) or "(none yet)")
        rows.append(row)
    return table(headers, rows)


def gen_group_params() -> str:
    return _group_table("params")


def gen_group_scheduler_config() -> str:
    return _group_table("scheduler_config")


def gen_group_platform() -> str:
    return _group_table("platform")


def gen_family_params() -> str:
    families = REG.data["families"]
    rows = [[f"`{spec.name}`"] + ["✓" if spec.name in f["params"] else "" for f in families] for spec in PARAMS]
    out = table(["param"] + [f"`{f['name']}`" for f in families], rows)
    out += "\n" + table(["family", "diffusers pipeline", "models (ID = name)"],
                        [(f"`{f['name']}`", f["pipeline"],
                          ", ".join(f"{m['id']} = {m['name']}" for m in sorted(REG.data["models"], key=lambda m: m["id"])
                                    if m["family"] == f["name"]) or "—")
                         for f in families])
    return out


# (setting that changes pixels, field paths that record it or () if v1 does not, note)
HIDDEN_SETTINGS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("scheduler class and preset", ("scheduler",), "registry `schedulers` gives the diffusers class and preset config"),
    ("timestep_spacing", ("scheduler_config.timestep_spacing",), "only when it differs from the model's scheduler config"),
    ("use_karras_sigmas", ("scheduler_config.use_karras_sigmas",), "also implied by presets such as DPM++ 2M Karras"),
    ("steps_offset", ("scheduler_config.steps_offset",), ""),
    ("other scheduler config keys", tuple(f"scheduler_config.{s.name}" for s in GROUPS["scheduler_config"][3:]), ""),
    ("eta", ("params.eta",), "DDIM and other stochastic schedulers"),
    ("clip_skip", ("params.clip_skip",), ""),
    ("guidance_rescale", ("params.guidance_rescale",), ""),
    ("guidance ≤ 1 turns classifier-free guidance off", ("guidance_scale",), "stored exactly; a decoder passes it unchanged"),
    ("VAE tiling", ("params.vae_tiling",), ""),
    ("VAE upcast to float32", ("params.vae_upcast",), ""),
    ("SDXL micro-conditioning", tuple(f"params.{n}" for n in ("original_size", "target_size", "crops_coords_top_left",
                                                            "negative_original_size", "negative_target_size",
                                                            "negative_crops_coords_top_left")), ""),
    ("SDXL refiner aesthetic score", ("params.aesthetic_score", "params.negative_aesthetic_score"), ""),
    ("base/refiner hand-over", ("params.denoising_end", "params.denoising_start"), ""),
    ("force_zeros_for_empty_prompt: negative prompt None vs \"\"", ("negative_prompt",),
     "presence bit 0 distinguishes absent (None) from empty (\"\"); the flag itself is the model's config (model ID)"),
    ("SDXL invisible watermarker", ("params.add_watermarker",), ""),
    ("safety checker", ("params.safety_checker",), "a flagged image is replaced by black"),
    ("attention (SDPA) backend", ("platform.attention_backend",), ""),
    ("batch composition", ("platform.batch_size", "platform.batch_index"), "row 0 of a batch of 2 differs from a batch of 1 on GPU"),
    ("TF32 matmul", ("platform.matmul_tf32",), ""),
    ("cuDNN TF32 (on by default)", ("platform.cudnn_tf32",), ""),
    ("cudnn.benchmark", ("platform.cudnn_benchmark",), ""),
    ("deterministic algorithms", ("platform.deterministic_algorithms",), ""),
    ("generator device (CPU and CUDA streams differ)", ("platform.generator_device",), ""),
    ("CPU thread count", ("platform.num_threads",), "float output changes at about 1e-6 with the thread count"),
    ("library versions", ("platform.torch_version", "platform.diffusers_version", "platform.transformers_version"), ""),
    ("device, GPU model, CUDA build", ("device", "gpu", "cuda"), ""),
    ("weights dtype", ("dtype",), ""),
    ("T5 prompt length, true CFG (FLUX.1)", ("params.max_sequence_length", "params.true_cfg_scale"), ""),
    ("CUBLAS_WORKSPACE_CONFIG", (), "needed for bit-exact GPU repeats"),
    ("prompt_2 / negative_prompt_2 (second text encoder)", (),
     "a decoder passes None, so diffusers uses prompt / negative prompt for both encoders"),
    ("LoRA, adapters, textual inversion", (), "merged weights need their own model ID"),
    ("VAE override", (), "the VAE is the model ID's; another VAE needs its own model ID"),
    ("model weights revision", (), "not in the file: fixed per model ID by the registry (`source.revision`, `files` sha256)"),
)


def _known_paths() -> set[str]:
    paths = {m.name for m in Body.subcons} | {"prompt", "negative_prompt", "text_compressor"}
    return paths | {f"{g}.{s.name}" for g, specs in GROUPS.items() for s in specs}


def gen_hidden_settings() -> str:
    known = _known_paths()
    rows = []
    for setting, paths, note in HIDDEN_SETTINGS:
        missing = [p for p in paths if p not in known]
        if missing:
            raise SystemExit(f"gen_spec_tables: hidden setting {setting!r} names unknown field(s) {missing}")
        rows.append((setting, ", ".join(f"`{p}`" for p in paths) or "**not recorded in v1**", note))
    return table(["setting that changes pixels", "AIGIF v1 field", "note"], rows)


# ---------------------------------------------------------------- registry-backed tables
def _enum_users() -> dict[str, list[str]]:
    users: dict[str, list[str]] = {}
    for name, enum in TOP_LEVEL_ENUMS.items():
        users.setdefault(enum, []).append(f"`{name}`")
    for group, specs in GROUPS.items():
        for spec in specs:
            if spec.enum:
                users.setdefault(spec.enum, []).append(f"`{group}.{spec.name}`")
    users.setdefault("pixel_compressors", []).append("pixels extension (type 1)")
    users.setdefault("digest_algorithms", []).append("pixel digest extension (type 3)")
    users.setdefault("extension_types", []).append("extension record header")
    users.setdefault("model_compressors", []).append("reserved model extension (type 2); not in v1 files")
    return users


def gen_text_compressors() -> str:
    rows = [(e["code"], e["name"], "yes" if e["code"] in CODECS else "no", e.get("model_file", "—"))
            for e in REG.data["enumerations"]["text_compressors"]]
    return table(["code", "name", "reference codec", "model file"], rows)


def gen_extension_types() -> str:
    rows = []
    for e in REG.data["enumerations"]["extension_types"]:
        codec = EXTENSION_CODECS.get(e["code"])
        if e["code"] == 0:
            reader = "never valid (`AIGIF_E_RESERVED`)"
        elif codec:
            reader = "decoded and checked"
        else:
            reader = "unknown to a v1.0 reader: kept, or rejected if must-understand"
        rows.append((e["code"], e["name"], "1" if e["must_understand"] else "0", e["status"], reader))
    return table(["type", "name", "must_understand", "status", "v1.0 reader"], rows)


def gen_pixel_compressors() -> str:
    rule = {0: "raw RGB, 8 bits per sample, rows top to bottom: exactly height × width × 3 bytes",
            1: "a PNG stream whose IHDR width and height equal the record's",
            2: "a bare JPEG XL codestream (`FF 0A`, not the container) whose SizeHeader equals the record's size"}
    return table(["code", "name", "media type", "data"],
                 [(e["code"], e["name"], e.get("media_type", ""), rule.get(e["code"], "—"))
                  for e in REG.data["enumerations"]["pixel_compressors"]])


def gen_digest_algorithms() -> str:
    sizes = PixelDigestExtension.DIGEST_BYTES
    return table(["code", "name", "digest bytes"],
                 [(e["code"], e["name"], sizes.get(e["code"], "—"))
                  for e in REG.data["enumerations"]["digest_algorithms"]])


def gen_registry_summary() -> str:
    d = REG.data
    ids = d["test_model_ids"]
    rows = [("registry_version", d["registry_version"]), ("spec_version", d["spec_version"]),
            ("test model IDs", f"{ids['first']}..{ids['last']}"),
            ("unknown model IDs (never assigned)", f"{d['unknown_model_ids']['first']}..{d['unknown_model_ids']['last']}"), ("families", len(d["families"])),
            ("models", len(d["models"])), ("enumerations", len(d["enumerations"]))]
    return table(["key", "value"], rows)


def gen_families() -> str:
    return table(["name", "title", "diffusers pipeline", "params (bits of the params group)"],
                 [(f"`{f['name']}`", f["title"], f["pipeline"], ", ".join(f"`{p}`" for p in f["params"]))
                  for f in REG.data["families"]])


def gen_models() -> str:
    rows = []
    for m in sorted(REG.data["models"], key=lambda m: m["id"]):
        src = m["source"]
        where = f"embedded: `{src['embedded']}`" if "embedded" in src else src["hf_repo"] or "—"
        revision = "—" if "embedded" in src else src["revision"] or "not pinned"
        extra = ", ".join(f"{k}: {v}" for k, v in src.items() if k not in ("hf_repo", "revision", "embedded"))
        rows.append((m["id"], f"`{m['name']}`", m["family"], m["status"], where, revision, extra or "—", len(m["files"])))
    return table(["ID", "name", "family", "status", "source", "revision", "other source keys", "pinned files"], rows)


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def gen_enumerations() -> str:
    users = _enum_users()
    out = []
    for name, entries in REG.data["enumerations"].items():
        extra = sorted({k for e in entries for k in e} - {"code", "name"})
        out.append(f"### `{name}`\n\nUsed by: {', '.join(users.get(name, ['(nothing in v1)']))}.\n")
        rows = [[e["code"], e["name"]] + [_plain(e[k]) if k in e else "" for k in extra] for e in entries]
        out.append(table(["code", "name", *extra], rows))
    return "\n".join(out)


# ---------------------------------------------------------------- record, limits, errors
def _json_types(prop: dict, schema: dict) -> list[str]:
    """The JSON types a schema property allows, following $ref, anyOf and oneOf."""
    if "$ref" in prop:
        return _json_types(schema["$defs"][prop["$ref"].rsplit("/", 1)[1]], schema)
    if "anyOf" in prop or "oneOf" in prop:
        return [t for sub in prop.get("anyOf", prop.get("oneOf")) for t in _json_types(sub, schema)]
    if "const" in prop:
        return [json.dumps(prop["const"])]
    kind = prop.get("type", "any")
    return list(kind) if isinstance(kind, list) else [kind]


def gen_record_keys() -> str:
    schema = json.loads(RECORD_SCHEMA.read_text(encoding="utf-8"))
    required = set(schema["required"])
    rows = []
    for key, prop in schema["properties"].items():
        kinds = " or ".join(dict.fromkeys(_json_types(prop, schema)))  # dedupe, keep order
        rows.append((f"`{key}`", kinds, "yes" if key in required else "no", prop.get("description", "")))
    return table(["key", "JSON type", "required on input", "note"], rows)


def _limit_comments() -> dict[str, str]:
    source = Path(limits.__file__).read_text(encoding="utf-8")
    comments = {tok.start[0]: tok.string.lstrip("# ") for tok in tokenize.generate_tokens(io.StringIO(source).readline)
                if tok.type == tokenize.COMMENT}
    out: dict[str, str] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                names = [t.id for t in target.elts] if isinstance(target, ast.Tuple) else [target.id]
                for n in names:
                    out[n] = comments.get(node.lineno, "")
    return out


def _human(value: Any) -> str:
    if isinstance(value, bytes):
        return hexs(value)
    if not isinstance(value, int):
        return repr(value)
    if value >= 1024 and value & (value - 1) == 0:  # powers of two: say which, and in KiB/MiB
        exponent = value.bit_length() - 1
        size = f" = {value >> 20} MiB" if exponent >= 20 else f" = {value >> 10} KiB" if exponent >= 14 else ""
        return f"{value:,} (2^{exponent}{size})"
    return f"{value:,}"


def gen_limits() -> str:
    return table(["name", "value", "meaning"], [(f"`{n}`", _human(getattr(limits, n)), c) for n, c in _limit_comments().items()])


def gen_errors() -> str:
    return table(["code", "meaning"], [(f"`{c}`", m) for c, m in ERROR_CODES.items()])


def gen_registry_check_rules() -> str:
    """Every rejection of `aigif registry check` (aigif_ref/registry_check.py RULES), in its order."""
    return table(["code", "kind", "checked", "rejected when", "why"],
                 [(f"`{r.code}`", f"`{kind}`", "with `--base`" if r.base else "always", r.rejects, r.why) for kind, r in RULES.items()])


# ---------------------------------------------------------------- worked examples
def _solid_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    return encode_png_rgb8(width, height, bytes(rgb) * (width * height))


TABLE_ONE_RECORD: dict[str, Any] = {
    "model_id": "stable-diffusion-v1-5", "dtype": "float16", "scheduler": "DDIM", "device": "GPU",
    "gpu": "NVIDIA GeForce GTX 1080 Ti", "cuda": "cu121", "prompt": "A cute cat", "negative_prompt": "worst quality",
    "height": 1024, "width": 1024, "seed": 829557441, "steps": 25, "guidance_scale": 7.5,
}

EXAMPLES: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("A", "the paper's Table I example, text compressor 0 (none)", {**TABLE_ONE_RECORD, "text_compressor": 0}),
    ("B", "the same record, text compressor 1 (zlib)", {**TABLE_ONE_RECORD, "text_compressor": 1}),
    ("C", "SDXL with an empty (not absent) negative prompt, a 64-bit seed and all three optional groups", {
        "model_id": "stable-diffusion-xl-base-1.0", "dtype": "float16", "scheduler": "DPM++ 2M Karras",
        "device": "GPU", "gpu": "NVIDIA H100 80GB HBM3", "cuda": "cu128",
        "prompt": "an astronaut riding a horse on mars", "negative_prompt": "", "text_compressor": 0,
        "height": 832, "width": 1216, "seed": 2**40 + 12345, "steps": 30, "guidance_scale": 5.0,
        "params": {"original_size": [832, 1216], "target_size": [832, 1216], "add_watermarker": False},
        "scheduler_config": {"timestep_spacing": "trailing"},
        "platform": {"torch_version": "2.11.0", "diffusers_version": "0.42.1", "generator_device": "cpu"},
    }),
    ("D", "saving pixels: a 64 × 64 CPU image with no negative prompt and a PNG pixels record", {
        "model_id": "stable-diffusion-v1-5", "prompt": "a grey square", "text_compressor": 0,
        "height": 64, "width": 64, "seed": 1, "steps": 20, "guidance_scale": 7.5,
        "extensions": [{"type": 1, "pixel_compressor": "png",
                        "data": base64.b64encode(_solid_png(64, 64, (128, 128, 128))).decode("ascii")}],
    }),
)


def _enum_note(enum: str, code: int) -> str:
    return f"{code} ({REG.enum_name(enum, code)})"


def _value_note(spec: FieldSpec, value: Any) -> str:
    if spec.wire == "enum":
        return _enum_note(spec.enum, value)
    return json.dumps(value)


def _quoted(raw: bytes) -> str:
    return json.dumps(raw.decode("utf-8"), ensure_ascii=False)


class _Tracer:
    """Reads the parts of compound fields (text block, groups, extensions) and records their spans."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.stream = io.BytesIO(data)
        self.spans: list[tuple[int, int, str]] = []

    def mark(self, start: int, note: str) -> None:
        if self.stream.tell() > start:
            self.spans.append((start, self.stream.tell(), note))

    def read(self, reader: Callable[[io.BytesIO, str], Any], note: Callable[[Any], str]) -> Any:
        start = self.stream.tell()
        value = reader(self.stream, "")
        self.mark(start, note(value))
        return value

    def text_block(self, presence: int) -> None:
        compressor = self.read(read_exp_code, lambda c: f"text compressor = {_enum_note('text_compressors', c)}")
        length = self.read(read_uvarint, lambda n: f"text block length = {n}")
        at = self.stream.tell()
        end = at + length
        if compressor == 0 and presence & 1:
            n = self.read(read_uvarint, lambda n: f"prompt length = {n}")
            at = self.stream.tell()
            self.spans.append((at, at + n, f"prompt = {_quoted(self.data[at:at + n])}"))
            self.spans.append((at + n, end, f"negative prompt = {_quoted(self.data[at + n:end])}"))
        elif compressor == 0:
            self.spans.append((at, end, f"prompt = {_quoted(self.data[at:end])}"))
        else:
            self.spans.append((at, end, f"{REG.enum_name('text_compressors', compressor)} block"))
        self.stream.seek(end)

    def group(self, name: str, field: FieldGroup, context: Container) -> None:
        bitmap = self.read(read_uvarint, lambda b: f"{name} bitmap = 0x{b:X}")
        for spec, sub in field.fields:
            if bitmap >> spec.bit & 1:
                self.read(lambda s, _, sub=sub: sub._parse(s, context, ""),
                          lambda v, spec=spec: f"{name}.{spec.name} = {_value_note(spec, v)}")

    def extensions(self) -> None:
        while self.stream.tell() < len(self.data):
            header = self.read(read_uvarint, lambda h: f"extension header: type {h >> 1}, must_understand {h & 1}")
            length = self.read(read_uvarint, lambda n: f"extension length = {n}")
            end = self.stream.tell() + length
            if header >> 1 == 1:
                self.read(read_exp_code, lambda c: f"pixel compressor = {_enum_note('pixel_compressors', c)}")
            at = self.stream.tell()
            self.stream.seek(end)
            self.mark(at, "extension data")


def trace(data: bytes) -> list[tuple[int, int, str]]:
    """Byte spans (start, end, note) of every field of a valid file, in stream order.

    Each Body member is parsed by the grammar itself (so the spans follow the real
    stream positions); compound members are first walked by _Tracer for their parts.
    """
    crc = int.from_bytes(data[5:9], "little")
    tracer = _Tracer(data)
    tracer.spans += [(0, 4, "signature"), (4, 5, f"version {data[4] >> 4}.{data[4] & 15}"),
                     (5, 9, f"CRC-32 = 0x{crc:08X} (little-endian)")]
    stream = tracer.stream
    stream.seek(limits.HEADER_SIZE)
    context = Container()
    for member in Body.subcons:
        name, field, start = member.name, member.subcon, stream.tell()
        if isinstance(field, TextBlock):
            tracer.text_block(context.presence)
        elif isinstance(field, FieldGroup) and context.presence >> PRESENCE_BITS[name] & 1:
            tracer.group(name, field, context)
        elif isinstance(field, Extensions):
            tracer.extensions()
        compound_end = stream.tell()
        stream.seek(start)
        context[name] = value = member._parse(stream, context, "")
        if isinstance(field, (TextBlock, FieldGroup, Extensions)):
            assert stream.tell() == compound_end, f"trace of {name} disagrees with the grammar"
        else:
            tracer.mark(start, _field_note(name, value))
    spans = tracer.spans
    assert spans[-1][1] == len(data) and all(a[1] == b[0] for a, b in zip(spans, spans[1:])), "trace does not tile the file"
    return spans


def _field_note(name: str, value: Any) -> str:
    if name == "presence":
        bits = [n for n, b in sorted(PRESENCE_BITS.items(), key=lambda kv: kv[1]) if value >> b & 1]
        return f"presence = 0x{value:X}: {', '.join(bits) or 'nothing optional'}"
    if name == "model_id":
        return f"model_id = {value} ({REG.models[value]['name']})"
    if name in ZERO_DEFAULT_ENUMS:
        return f"{name} = {_enum_note(ZERO_DEFAULT_ENUMS[name], value)}"
    if name in ("height", "width"):
        return f"{name} = {value // limits.SIZE_UNIT} × {limits.SIZE_UNIT} = {value} px"
    return f"{name} = {value!r}"


def hex_dump(data: bytes, spans: list[tuple[int, int, str]]) -> str:
    lines = []
    for start, end, note in spans:
        chunk = data[start:end]
        rows = [chunk[i:i + 16] for i in range(0, len(chunk), 16)] or [b""]  # an empty string still gets a line
        shown = rows if len(rows) <= 4 else rows[:2]
        for n, row in enumerate(shown):
            lines.append(f"{start + 16 * n:04X}  {hexs(row):<47}  {note if n == 0 else ''}".rstrip())
        if len(shown) < len(rows):
            lines.append(f"{'':4}  … {len(chunk) - 32} more bytes (to offset {end:04X})")
    return "\n".join(lines)


def gen_examples() -> str:
    out = []
    for label, title, record in EXAMPLES:
        data = encode(record)
        decoded = decode(data)
        if encode(decoded) != data:
            raise SystemExit(f"example {label}: decode/encode is not the identity")
        out.append(f"### Example {label}: {title}\n")
        out.append(f"Input record (names are resolved to registry codes):\n\n```json\n{json.dumps(record, ensure_ascii=False)}\n```\n")
        out.append(f"File, {len(data)} bytes:\n\n```text\n{hex_dump(data, trace(data))}\n```\n")
        out.append(f"Canonical JSON record (`aigif inspect --json`):\n\n```json\n{dumps(decoded)}\n```\n")
    return "\n".join(out)


# Table I field widths in bits, as the paper gives them (strings excluded).
TABLE_ONE_BITS: dict[str, int] = {
    "compression options (saving pixels, 3 compressors, saving model)": 1 + 4 + 4 + 1 + 4,
    "device": 4, "gpu": 8, "cuda": 8, "model_id": 8, "dtype": 4, "scheduler": 4,
    "height": 32, "width": 32, "seed": 32, "steps": 16, "guidance_scale": 32,
}


def gen_size_comparison() -> str:
    data = encode(EXAMPLES[0][2])
    spans = trace(data)
    by_field = {}
    for start, end, note in spans:
        key = note.split(" =")[0].split(":")[0]
        by_field[key] = by_field.get(key, 0) + end - start
    rows = []
    for name, bits in TABLE_ONE_BITS.items():
        ours = by_field.get(name, 0) if name in by_field or name in ZERO_DEFAULT_ENUMS else "—"
        rows.append((f"`{name}`" if "(" not in name else name, bits, ours))
    overhead = sum(by_field[k] for k in ("signature", "version 1.0", "CRC-32", "presence") if k in by_field)
    rows.append(("signature, version, CRC-32, presence bitmap (AIGIF only)", 0, overhead))
    text = sum(v for k, v in by_field.items() if k.startswith(("text", "prompt", "negative")))
    strings_bits = 8 * (len(zlib.compress(b"A cute cat")) + len(zlib.compress(b"worst quality")))
    rows.append(("prompt + negative prompt (Table I: two zlib strings)", strings_bits, text))
    assert sum(r[2] for r in rows if isinstance(r[2], int)) == len(data), "size table does not add up"
    fixed_bits = sum(TABLE_ONE_BITS.values())
    total_bits = fixed_bits + strings_bits
    rows.append(("**total**", f"{total_bits} (= {total_bits / 8:g} bytes, string delimiting not counted)", len(data)))
    return table(["field", "Table I (bits)", "AIGIF v1, example A (bytes)"], rows)


GENERATORS: dict[str, Callable[[], str]] = {
    "header": gen_header,
    "uvarint-examples": gen_uvarint_examples,
    "exp-code-examples": gen_exp_code_examples,
    "cfloat-examples": gen_cfloat_examples,
    "other-primitive-examples": gen_other_primitive_examples,
    "body-grammar": gen_body_grammar,
    "body-fields": gen_body_fields,
    "presence-bits": gen_presence_bits,
    "text-compressors": gen_text_compressors,
    "group-params": gen_group_params,
    "group-scheduler-config": gen_group_scheduler_config,
    "group-platform": gen_group_platform,
    "family-params": gen_family_params,
    "hidden-settings": gen_hidden_settings,
    "extension-types": gen_extension_types,
    "pixel-compressors": gen_pixel_compressors,
    "digest-algorithms": gen_digest_algorithms,
    "record-keys": gen_record_keys,
    "limits": gen_limits,
    "errors": gen_errors,
    "registry-check-rules": gen_registry_check_rules,
    "examples": gen_examples,
    "table1-mapping": gen_table1_mapping,
    "size-comparison": gen_size_comparison,
    "registry-summary": gen_registry_summary,
    "families": gen_families,
    "models": gen_models,
    "enumerations": gen_enumerations,
}


# ---------------------------------------------------------------- region rewriting
class RegionError(Exception):
    """Unbalanced markers or an unknown region name."""


def check_markers(text: str, where: str) -> None:
    open_name = None
    for match in MARKER.finditer(text):
        kind, name = match.groups()
        if kind == "BEGIN":
            if open_name is not None:
                raise RegionError(f"{where}: BEGIN {name} inside region {open_name}")
            if name not in GENERATORS:
                raise RegionError(f"{where}: unknown generated region {name!r} (known: {', '.join(GENERATORS)})")
            open_name = name
        else:
            if name != open_name:
                raise RegionError(f"{where}: END {name} without a matching BEGIN")
            open_name = None
    if open_name is not None:
        raise RegionError(f"{where}: region {open_name} is not closed")


def render(text: str, where: str = "<text>", cache: dict[str, str] | None = None) -> str:
    """text with every generated region rewritten."""
    check_markers(text, where)
    cache = {} if cache is None else cache

    def fill(match: re.Match) -> str:
        name = match["name"]
        if name not in cache:
            cache[name] = GENERATORS[name]().rstrip("\n") + "\n"
        return match.group(1) + cache[name] + match.group(4)

    return REGION.sub(fill, text)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if any file would change; write nothing")
    parser.add_argument("--dir", type=Path, default=SPEC_DIR, help="folder of the .md files (default: spec/)")
    args = parser.parse_args(argv)
    cache: dict[str, str] = {}
    stale = []
    for path in sorted(args.dir.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        try:
            new = render(text, str(path), cache)
        except RegionError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if new != text:
            stale.append(path)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    verb = "out of date" if args.check else "rewritten"
    for path in stale:
        print(f"{path}: {verb}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
