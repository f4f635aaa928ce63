"""The canonical JSON record: what `aigif inspect --json` prints and `aigif encode` reads.

Field names follow Table I in snake_case. Enumerations are registry codes
(integers); on input, registry names are accepted too and resolved. Floats are
float32 values written as spec/bitstream.md 10.1 says (exact for k/4 values, else the fewest correctly rounded digits).
Binary payloads are base64 (RFC 4648, with padding).
"""
from __future__ import annotations

import difflib
import json
import re
import sys
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator

from aigif_ref.errors import AigifError
from aigif_ref.extensions import type_of
from aigif_ref.extensions.slots import MODELS
from aigif_ref.grammar.fields import GROUPS, ZERO_DEFAULT_ENUMS
from aigif_ref.grammar.primitives import float32_repr, to_float32
from aigif_ref.registry import REPO_ROOT, Registry

RECORD_SCHEMA = REPO_ROOT / "spec" / "schema" / "record.schema.json"

_SPECS = {group: {s.name: s for s in specs} for group, specs in GROUPS.items()}

# Enumeration-valued fields outside the groups, and the registry enumeration each uses.
TOP_LEVEL_ENUMS: dict[str, str] = {**ZERO_DEFAULT_ENUMS, "text_compressor": "text_compressors"}




def syntax_to_json(syntax: dict[str, Any]) -> dict[str, Any]:
    """Flatten a parsed syntax record into the canonical JSON record."""
    text = syntax["text"]
    record: dict[str, Any] = {
        "aigif_version": syntax["version"],
        "model_id": syntax["model_id"],
        "dtype": syntax["dtype"],
        "scheduler": syntax["scheduler"],
        "steps": syntax["steps"],
        "guidance_scale": float32_repr(syntax["guidance_scale"]),
        "seed": syntax["seed"],
        "height": syntax["height"],
        "width": syntax["width"],
        "prompt": text["prompt"],
        "negative_prompt": text["negative_prompt"],
        "text_compressor": text["text_compressor"],
        "device": syntax["device"],
        "gpu": syntax["gpu"],
        "cuda": syntax["cuda"],
    }
    for group in GROUPS:
        values = syntax[group]
        by_name = _SPECS[group]
        record[group] = {k: by_name[k].wire_type.to_json(v) for k, v in values.items()} if values else {}
    record["extensions"] = [type_of(ext["type"]).to_json(ext) for ext in syntax["extensions"]]
    return record


def _resolve(value: Any, enum: str, registry: Registry, where: str) -> int:
    if isinstance(value, str):
        return _model_code(value, registry, where) if enum == MODELS else registry.enum_code(enum, value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise AigifError("AIGIF_E_RECORD", f"{where} must be a registry code or name, not {value!r}")
    return value


def json_to_syntax(record: dict[str, Any], registry: Registry) -> dict[str, Any]:
    """A (possibly partial, possibly name-valued) JSON record -> syntax record for the grammar."""
    record = normalise_numbers(record)
    check_record_schema(record)
    model = record["model_id"]
    syntax: dict[str, Any] = {
        "model_id": _model_code(model, registry) if isinstance(model, str) else model,
        "steps": record["steps"],
        "guidance_scale": to_float32(record["guidance_scale"]),
        "seed": record["seed"],
        "height": record["height"],
        "width": record["width"],
        "text": {
            "prompt": record["prompt"],
            "negative_prompt": record.get("negative_prompt"),
            "text_compressor": None if record.get("text_compressor") in (None, "auto")
            else _resolve(record["text_compressor"], "text_compressors", registry, "text_compressor"),
        },
    }
    for name, enum in ZERO_DEFAULT_ENUMS.items():
        syntax[name] = _resolve(record.get(name, 0), enum, registry, name)
    for group, specs in GROUPS.items():
        values = dict(record.get(group) or {})
        for spec in specs:
            if spec.name not in values:
                continue
            if spec.enum:
                values[spec.name] = _resolve(values[spec.name], spec.enum, registry, f"{group}.{spec.name}")
            else:
                values[spec.name] = spec.wire_type.from_json(values[spec.name])
        syntax[group] = values
    syntax["extensions"] = [_extension_from_json(ext, registry) for ext in record.get("extensions") or []]
    return syntax


def _model_code(name: str, registry: Registry, where: str = "model_id") -> int:
    try:
        return registry.model_code(name)
    except AigifError as exc:
        names = [m["name"] for m in registry.models.values()]
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.6) or \
            difflib.get_close_matches(name.lower(), [n.lower() for n in names], n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(map(repr, close))}?" if close else f"; known models: {', '.join(names)}"
        raise AigifError(exc.code, f"/{where}: {exc.message}{hint}") from None


def _extension_from_json(ext: dict[str, Any], registry: Registry) -> dict[str, Any]:
    return type_of(ext.get("type")).from_json(ext, lambda value, enum, where: _resolve(value, enum, registry, where))


@lru_cache(maxsize=1)
def _record_validator():
    import jsonschema

    return jsonschema.Draft202012Validator(json.loads(RECORD_SCHEMA.read_text(encoding="utf-8")))


_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_REPORTED_ERRORS = 10  # a record with hundreds of problems gets the first ten, and a count


def json_pointer(path: Any) -> str:
    """RFC 6901 pointer of a path of keys and indices ("" is the whole record)."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _integer_places(schema: dict[str, Any]) -> dict | bool:
    """Where the schema puts integers, as a tree: {key: subtree}, "*" for array items, True for a leaf."""
    if schema.get("type") == "integer" or any(_integer_places(b) is True for b in schema.get("anyOf", [])):
        return True
    tree: dict[str, Any] = {}
    for key, sub in schema.get("properties", {}).items():
        if (found := _integer_places(sub)):
            tree[key] = found
    if isinstance(schema.get("items"), dict) and (found := _integer_places(schema["items"])):
        tree["*"] = found
    return tree


@lru_cache(maxsize=1)
def _integer_tree() -> dict:
    return _integer_places(json.loads(RECORD_SCHEMA.read_text(encoding="utf-8")))  # type: ignore[return-value]


def normalise_numbers(record: Any) -> Any:
    """Integral floats where the schema wants an integer (490.0) -> int, as JSON Schema's "integer" accepts them.

    Only there: a float field keeps its float (-0.0 stays -0.0). A float parsed by :func:`parse_json` carries
    the exact integer of its decimal text, so a big integral literal is not rounded through binary64.
    """
    def walk(value: Any, places: Any) -> Any:
        if places is True:
            if isinstance(value, float) and value.is_integer():
                return getattr(value, "exact", None) if isinstance(value, _IntegralLiteral) else int(value)
            return value
        if isinstance(value, dict) and isinstance(places, dict):
            return {k: walk(v, places[k]) if k in places else v for k, v in value.items()}
        if isinstance(value, list) and isinstance(places, dict) and "*" in places:
            return [walk(v, places["*"]) for v in value]
        return value

    return walk(record, _integer_tree())


def _strings(value: Any, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, (*path, i))


def _error_text(error: Any) -> str:
    import jsonschema

    if error.context:  # anyOf/oneOf: the branch that came closest says what is wrong
        error = jsonschema.exceptions.best_match(error.context)
    return f"{json_pointer(error.absolute_path) or '(record)'}: {error.message}"


def check_record_schema(record: Any) -> None:
    """Every way ``record`` fails spec/schema/record.schema.json (up to MAX_REPORTED_ERRORS), with JSON pointers."""
    for path, text in _strings(record):
        bad = _SURROGATE.search(text)
        if bad is not None:  # JSON allows "\ud800" escapes; such a string has no UTF-8 form
            raise AigifError("AIGIF_E_RECORD", f"{json_pointer(path) or '(record)'}: unpaired UTF-16 surrogate "
                                               f"U+{ord(bad.group()):04X} at character {bad.start()}; text must be Unicode "
                                               "characters (pair surrogates, or remove it)")
    validator = _record_validator()
    if validator.is_valid(record):  # fast path; collect errors only for the message
        return
    errors = sorted(validator.iter_errors(record), key=lambda e: (list(map(str, e.absolute_path)), e.message))
    # A failed anyOf (an extension whose fields fit no type's shape) is left out when a more specific error
    # at or below the same place is reported already (type 0: "below the minimum" says it, not a branch).
    errors = [e for e in errors if not (e.context and any(
        o is not e and list(o.absolute_path)[:len(e.absolute_path)] == list(e.absolute_path) for o in errors))]
    texts = [_error_text(e) for e in errors]
    more = len(texts) - MAX_REPORTED_ERRORS
    message = "; ".join(texts[:MAX_REPORTED_ERRORS]) + (f"; and {more} more" if more > 0 else "")
    message = f"{len(texts)} schema error(s): {message}" if len(texts) > 1 else message
    raise AigifError("AIGIF_E_RECORD", message + _stale_schema_hint())


REGEN_COMMAND = "python tools/regen.py"


def _stale_schema_hint() -> str:
    """A note naming the regeneration command when the committed schema no longer matches the grammar."""
    from aigif_ref.record_schema import schema_text

    try:
        if RECORD_SCHEMA.read_text(encoding="utf-8") == schema_text():
            return ""
    except OSError:
        pass
    return (f" (note: {RECORD_SCHEMA.relative_to(REPO_ROOT)} is out of date with aigif_ref/grammar;"
            f" run `{REGEN_COMMAND}` and try again)")


def dumps(record: dict[str, Any]) -> str:
    """Canonical JSON text of a record (sorted keys, UTF-8, no insignificant space)."""
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


class _IntegralLiteral(float):
    """A JSON number with a fraction or exponent whose value is an integer: the float, and the exact
    integer of its decimal text ("12345678901234567.0" would round through binary64 to ...568)."""

    exact: int

    def __new__(cls, value: float, exact: int) -> "_IntegralLiteral":
        self = super().__new__(cls, value)
        self.exact = exact
        return self


def _json_number(literal: str) -> float:
    value = float(literal)
    if value.is_integer() and abs(value) < 2.0**70:  # beyond every integer field's range the float will do
        exact = Decimal(literal)
        if exact == exact.to_integral_value():
            return _IntegralLiteral(value, int(exact))
    return value


def parse_json(text: str | bytes, where: str) -> Any:
    """JSON text (UTF-8, an optional byte-order mark) -> value; AIGIF_E_RECORD when it is not."""
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig")
        return json.loads(text.removeprefix("\ufeff"), parse_float=_json_number)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AigifError("AIGIF_E_RECORD", f"{where} is not UTF-8 JSON: {exc}") from None
    except RecursionError:
        raise AigifError("AIGIF_E_RECORD", f"{where}: JSON nested too deeply") from None


def read_text_input(path: str | Path) -> bytes:
    """The bytes of a file, or of standard input for "-"."""
    try:
        if str(path) == "-":
            return sys.stdin.buffer.read()
        return Path(path).read_bytes()
    except OSError as exc:
        raise AigifError("AIGIF_E_IO", f"cannot read {path}: {exc.strerror}") from None


def load_json(path: str | Path) -> Any:
    """The JSON value in a file ("-": standard input)."""
    return parse_json(read_text_input(path), "standard input" if str(path) == "-" else str(path))


def find_extension(record: dict[str, Any], ext_type: int) -> dict[str, Any] | None:
    """The record's extension record of type ``ext_type`` (types are unique in a file), or None."""
    return next((e for e in record.get("extensions") or [] if e["type"] == ext_type), None)
