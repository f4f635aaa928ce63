"""The body: its fields in order, its grammar line, the presence bits and Table I's mapping."""
from __future__ import annotations

from typing import Any

from aigif_ref.errors import ERROR_CODES
from aigif_ref.grammar import limits
from aigif_ref.grammar.aigif import Body, Extensions, FieldGroup, Presence, TextBlock, ZeroDefaultEnum
from aigif_ref.grammar.fields import PRESENCE_BITS, ZERO_DEFAULT_ENUMS
from aigif_ref.grammar.primitives import CompactFloat, ExpCode, Sized8, UVarint
from aigif_ref.grammar.wire import MAX_CODE
from aigif_ref import table_one
from tools.spec_tables.common import REG, codes_summary, models_summary, table


def _check_table_one() -> None:
    """The paper's value assignments are kept as registry codes; fail loudly if the registry drifts."""
    for row in table_one.TABLE_ONE:
        for code, name in row.paper_codes:
            got = REG.models[code]["name"] if row.enum == "models" else REG.enum_name(row.enum, code)
            if got != name:
                raise SystemExit(f"registry drift: Table I {row.description} {code}={name!r}, registry has {got!r}")


def gen_table1_mapping() -> str:
    _check_table_one()
    rows = []
    for row in table_one.TABLE_ONE:
        codes = models_summary() if row.enum == "models" else codes_summary(row.enum) if row.enum else ""
        registry = f"`{row.enum}`: {codes}" if row.enum else "—"
        rows.append((row.description, row.paper_type, row.paper_example, f"`{row.field}`", row.aigif, registry))
    return table(["Table I row", "Table I type", "Table I example", "AIGIF v1 field", "AIGIF v1 encoding", "registry codes"], rows)


# Error codes each grammar class can raise; registry-check codes follow the ";".
_ERROR_ORDER = ("TRUNCATED", "NONCANONICAL", "RANGE", "RESERVED", "LIMIT", "UNKNOWN_CODE", "DECOMPRESS", "UTF8",
                "MUST_UNDERSTAND", "EXTENSION", "PARAM_FAMILY")


def _group_errors(name: str, field: FieldGroup) -> str:
    syntax = {"TRUNCATED", "NONCANONICAL", "RANGE", "RESERVED"}
    for spec in field.specs:
        syntax |= set(spec.errors)
    registry = ["UNKNOWN_CODE"] if any(s.enum for s in field.specs) else []
    registry += ["PARAM_FAMILY"] if name == "params" else []
    registry += ["RANGE"] if {"batch_index", "batch_size"} <= {s.name for s in field.specs} else []
    return " ".join(sorted(syntax, key=_ERROR_ORDER.index)) + " ; " + " ".join(registry)


def _errors_cell(name: str, field: Any) -> str:
    declared = getattr(field, "errors", None)
    spec = _group_errors(name, field) if isinstance(field, FieldGroup) else \
        None if declared is None else " ".join(declared) + " ; " + " ".join(field.registry_errors)
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
        paper_rows = ", ".join(r.description for r in table_one.TABLE_ONE if member.name in r.field.split(", ")) or "—"
        rows.append((index, f"`{member.name}`", encoding, condition, value_range, paper_rows, _errors_cell(member.name, field)))
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
