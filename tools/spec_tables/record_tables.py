"""The JSON record's keys, the limits, the error codes and the registry-lint rules."""
from __future__ import annotations

import ast
import io
import json
import tokenize
from pathlib import Path
from typing import Any

from aigif_ref.errors import ERROR_CODES
from aigif_ref.grammar import limits
from aigif_ref.record import RECORD_SCHEMA
from aigif_ref.registry_lint import RULES
from tools.spec_tables.common import hexs, table


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
    """Every rejection of `aigif registry check` (aigif_ref/registry_lint.py RULES), in its order."""
    return table(["code", "kind", "checked", "rejected when", "why"],
                 [(f"`{r.code}`", f"`{kind}`", "with `--base`" if r.base else "always", r.rejects, r.why) for kind, r in RULES.items()])
