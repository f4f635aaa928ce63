"""Worked examples: annotated hex dumps of encoded records, and the size comparison with Table I."""
from __future__ import annotations

import base64
import io
import json
import zlib
from typing import Any, Callable

from aigif_ref.api import decode, encode
from aigif_ref.codecs.png import encode_png_rgb8
from aigif_ref.grammar import limits
from aigif_ref import table_one
from aigif_ref.grammar.fields import PRESENCE_BITS, ZERO_DEFAULT_ENUMS, FieldSpec
from aigif_ref.grammar.spans import FieldSpan, iter_fields
from aigif_ref.record import dumps
from tools.spec_tables.common import REG, hexs, table


def _solid_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    return encode_png_rgb8(width, height, bytes(rgb) * (width * height))


TABLE_ONE_RECORD = table_one.EXAMPLE_RECORD

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
    return _enum_note(spec.enum, value) if spec.enum else json.dumps(value)


def _quoted(raw: bytes) -> str:
    return json.dumps(raw.decode("utf-8"), ensure_ascii=False)


def _note(field: FieldSpan, text_compressor: int) -> str:
    """What the hex dump says about one field (compound fields are shown by their parts)."""
    name, value, kind = field.name, field.value, field.declaration
    if name == "signature":
        return "signature"
    if name == "version":
        return f"version {value[0]}.{value[1]}"
    if name == "crc32":
        return f"CRC-32 = 0x{value:08X} (little-endian)"
    if name == "text_compressor":
        return f"text compressor = {_enum_note('text_compressors', value)}"
    if name == "text_length":
        return f"text block length = {value}"
    if name == "text_bytes":
        return f"{REG.enum_name('text_compressors', text_compressor)} block"
    if name == "text.prompt_length":
        return f"prompt length = {value}"
    if name in ("text.prompt", "text.negative_prompt"):
        return f"{name[5:].replace('_', ' ')} = {_quoted(value)}"
    if name.endswith(".bitmap"):
        return f"{name.split('.')[0]} bitmap = 0x{value:X}"
    if isinstance(kind, FieldSpec):
        return f"{name} = {_value_note(kind, value)}"
    if name.startswith("ext"):
        part = name.split(".", 1)[1]
        if part == "header":
            return f"extension header: type {value[0]}, must_understand {int(value[1])}"
        if part == "length":
            return f"extension length = {value}"
        if part in ("body", "data"):
            return "extension data"
        return f"{part.replace('_', ' ')} = {_enum_note(kind.enums[part], value)}"
    return _field_note(name, value)


def trace(data: bytes) -> list[tuple[int, int, str]]:
    """Byte spans (start, end, note) of every field of a valid file, in stream order (aigif_ref.grammar.spans)."""
    spans = []
    compressor = 0
    for field in iter_fields(data):
        if field.name == "text_compressor":
            compressor = field.value
        is_text = field.name == "text_bytes"
        for part in field.parts or (field,):
            if part.end > part.start or is_text:  # an empty string still gets a line; an empty body none
                spans.append((part.start, part.end, _note(part, compressor)))
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


def _table_one_bits() -> dict[str, int]:
    """Table I field widths in bits, as the paper gives them (strings excluded), the packed options as one row."""
    options = [row for row in table_one.TABLE_ONE if row.option]
    compressors = sum(row.enum is not None for row in options)
    bits = {f"compression options (saving pixels, {compressors} compressors, saving model)": sum(r.bits for r in options)}
    bits.update({row.field: row.bits for row in table_one.TABLE_ONE if row.bits is not None and not row.option})
    return bits


def gen_size_comparison() -> str:
    data = encode(EXAMPLES[0][2])
    spans = trace(data)
    by_field = {}
    for start, end, note in spans:
        key = note.split(" =")[0].split(":")[0]
        by_field[key] = by_field.get(key, 0) + end - start
    rows = []
    table_one_bits = _table_one_bits()
    for name, bits in table_one_bits.items():
        ours = by_field.get(name, 0) if name in by_field or name in ZERO_DEFAULT_ENUMS else "—"
        rows.append((f"`{name}`" if "(" not in name else name, bits, ours))
    overhead = sum(by_field[k] for k in ("signature", "version 1.0", "CRC-32", "presence") if k in by_field)
    rows.append(("signature, version, CRC-32, presence bitmap (AIGIF only)", 0, overhead))
    text = sum(v for k, v in by_field.items() if k.startswith(("text", "prompt", "negative")))
    example = table_one.EXAMPLE_RECORD
    strings_bits = 8 * sum(len(zlib.compress(example[k].encode("utf-8"))) for k in ("prompt", "negative_prompt"))
    rows.append(("prompt + negative prompt (Table I: two zlib strings)", strings_bits, text))
    assert sum(r[2] for r in rows if isinstance(r[2], int)) == len(data), "size table does not add up"
    fixed_bits = sum(table_one_bits.values())
    total_bits = fixed_bits + strings_bits
    rows.append(("**total**", f"{total_bits} (= {total_bits / 8:g} bytes, string delimiting not counted)", len(data)))
    return table(["field", "Table I (bits)", "AIGIF v1, example A (bytes)"], rows)
