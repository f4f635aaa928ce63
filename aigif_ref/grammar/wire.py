"""The wire types of group fields, each declared once with every fact the code and the spec need.

A FieldSpec (aigif_ref/grammar/fields.py) names its wire type; everything that depends on the
type is read from here: the construct that reads and writes it, its label in the spec, the error
codes a reader can raise inside it, its JSON Schema fragment, its range as the spec prints it,
its Kaitai type, how its value goes to and comes from JSON and diffusers, and edge values that
tests and vectors use. Nothing else switches on the wire type's name.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from aigif_ref.grammar import limits, primitives
from aigif_ref.grammar.primitives import CompactFloat, ExpCode, Flag, Pair, UVarint, Version, _Field

if TYPE_CHECKING:
    from aigif_ref.grammar.fields import FieldSpec

U64 = 2**64 - 1
MAX_CODE = 255 * (limits.MAX_EXP_CODE_BYTES - 1) + 254
# Inlined rather than $ref'd: jsonschema resolves every $ref per record, which made validation 3x slower.
CODE_OR_NAME = {"anyOf": [{"type": "integer", "minimum": 0, "maximum": MAX_CODE}, {"type": "string", "minLength": 1}]}
_VERSION_PART = "(0|[1-9][0-9]{0,4})"


def _same(value: Any, *_: Any) -> Any:
    return value


@dataclass(frozen=True)
class WireType:
    name: str  # as FieldSpec.wire
    label: str  # the spec's "type" column
    ksy: str  # the type in spec/aigif.ksy
    errors: tuple[str, ...]  # AIGIF_E_* suffixes a reader can raise inside one value, in the order of checks
    make: Callable[["FieldSpec", str], _Field]  # the construct for one field
    schema: Callable[["FieldSpec"], dict]  # JSON Schema fragment of the value
    range_text: Callable[["FieldSpec"], str]  # the spec's "range" column (enumerations: see fields.py)
    edge_values: Callable[["FieldSpec"], list]  # values at the type's edges (tests, vectors)
    to_json: Callable[[Any], Any] = _same  # syntax value -> canonical JSON value
    from_json: Callable[[Any], Any] = _same  # JSON value (enum names already resolved) -> syntax value
    to_diffusers: Callable[[Any], Any] = _same  # record value -> what diffusers takes
    from_diffusers: Callable[[Any], Any] = _same  # diffusers value -> record value
    from_kaitai: Callable[[Any], Any] = lambda k: k.value  # a Kaitai-parsed value (spec/aigif.ksy type) -> syntax value
    example: Any = None  # a JSON value for the spec's primitive examples
    notes: dict[str, str] = field(default_factory=dict)


def _uvarint_bounds(spec: "FieldSpec") -> tuple[int, int]:
    return (0 if spec.min is None else spec.min), (U64 if spec.max is None else spec.max)


def _uvarint_range(spec: "FieldSpec") -> str:
    lo, hi = _uvarint_bounds(spec)
    return f"{lo}..{'2^64 − 1' if hi == U64 else hi}"


def _uvarint_edges(spec: "FieldSpec") -> list[int]:
    lo, hi = _uvarint_bounds(spec)
    return sorted({lo, min(lo + 127, hi), min(lo + 128, hi), hi})


WIRE_TYPES: dict[str, WireType] = {w.name: w for w in (
    WireType("uvarint", "uvarint", "uvarint", ("TRUNCATED", "NONCANONICAL", "RANGE"),
             make=lambda s, what: UVarint(what, *_uvarint_bounds(s)),
             schema=lambda s: {"type": "integer", "minimum": _uvarint_bounds(s)[0], "maximum": _uvarint_bounds(s)[1]},
             range_text=_uvarint_range, edge_values=_uvarint_edges,
             from_diffusers=int),
    WireType("cfloat", "compact float", "cfloat", ("TRUNCATED", "NONCANONICAL", "RANGE", "RESERVED"),
             make=lambda s, what: CompactFloat(what), schema=lambda s: {"type": "number"},
             range_text=lambda s: "finite float32",
             edge_values=lambda s: [0.0, 0.75, 4194303.75, 0.1, -0.0, -1.5, 1e-45, 4194304.0, 3.4028234663852886e38],
             # looked up at call time, so a conformance mutant that swaps a primitive reaches group fields too
             to_json=lambda v: primitives.float32_repr(v), from_json=lambda v: primitives.to_float32(v),
             from_diffusers=lambda v: primitives.float32_repr(primitives.to_float32(float(v)))),  # what the file will hold
    WireType("bool", "bool", "flag", ("TRUNCATED", "RANGE"),
             make=lambda s, what: Flag(what), schema=lambda s: {"type": "boolean"},
             range_text=lambda s: "0 or 1", edge_values=lambda s: [False, True], from_diffusers=bool, example=True),
    WireType("enum", "exp code", "exp_code", ("TRUNCATED", "LIMIT"),
             make=lambda s, what: ExpCode(what), schema=lambda s: dict(CODE_OR_NAME),
             range_text=lambda s: f"registry `{s.enum}`", edge_values=lambda s: [0, 254, 255, MAX_CODE]),
    WireType("pair", "pair", "pair", ("TRUNCATED", "NONCANONICAL", "RANGE"),
             make=lambda s, what: Pair(what),
             schema=lambda s: {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": U64},
                               "minItems": 2, "maxItems": 2},
             range_text=lambda s: "2 × (0..2^64 − 1)", edge_values=lambda s: [[0, 0], [1024, 768], [U64, 1]],
             to_diffusers=tuple,  # diffusers concatenates them
             from_diffusers=lambda v: [int(x) for x in v], example=[1024, 1024],
             from_kaitai=lambda k: [k.first.value, k.second.value]),
    WireType("version", "version", "version", ("TRUNCATED", "NONCANONICAL", "RANGE"),
             make=lambda s, what: Version(what),
             schema=lambda s: {"type": "string", "pattern": f"^{_VERSION_PART}\\.{_VERSION_PART}\\.{_VERSION_PART}$"},
             range_text=lambda s: "3 × (0..65535)", edge_values=lambda s: ["0.0.0", "2.11.0", "65535.65535.65535"],
             example="2.11.0", from_kaitai=lambda k: f"{k.major.value}.{k.minor.value}.{k.patch.value}"),
)}
