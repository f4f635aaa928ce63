"""Write the generated parts of spec/aigif.ksy from the declarations.

The rest of the Kaitai grammar is hand-written; each region between `# BEGIN GENERATED: NAME` and
`# END GENERATED: NAME` is rewritten here (at the BEGIN line's indentation) from what the reference
grammar is built from, so a new declaration reaches the second grammar without a hand edit:

  group-NAME                 the field groups (aigif_ref/grammar/fields.py): reserved bits, the version
                             check of fields added after 1.0, one attribute per field in bit order
  text-block                 the text block's doc and compressor field: the codes of registry.json's
                             text_compressors
  slot-types, slot-cases,    the body types of the slot-declared extension types (aigif_ref/extensions/slots.py:
  slot-enum                  types 4-9), their case in the extension switch and their extension_type entry
  extension-version-*,       the version byte (spec/bitstream.md section 3): each feature's minimum version
  body-version-*             (FieldSpec.since, ExtensionType.since) checked where it is read, and the
                             file's version against the lowest its features need, after the last record

tests/test_kaitai.py then checks the two grammars agree on every field, check and vector.

Run through `python tools/regen.py` (every generator, in order); alone: python tools/gen_ksy.py [--check].
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from aigif_ref.extensions import DECODED, SlotExtension  # noqa: E402
from aigif_ref.extensions.slots import DIGEST_BYTES, Slot  # noqa: E402
from aigif_ref.grammar import limits  # noqa: E402
from aigif_ref.grammar.fields import GROUPS, FieldSpec  # noqa: E402
from aigif_ref.grammar.versions import NEWEST, V1_0  # noqa: E402

KSY = ROOT / "spec" / "aigif.ksy"
REGION = re.compile(r"^(?P<indent>[ ]*)# BEGIN GENERATED: (?P<name>[a-z_-]+)[^\n]*\n.*?^[ ]*# END GENERATED: (?P=name)\n",
                    re.DOTALL | re.MULTILINE)
SECTION = {"params": "81-params-model-dependent-pipeline-arguments",
           "scheduler_config": "83-scheduler_config-scheduler-configuration",
           "platform": "84-platform-software-and-determinism-settings"}
VERSION_REF = "spec/bitstream.md#3-signature-and-version"
SLOT_REF = "spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata"
U64 = 2**64 - 1
FILE_MINOR = "_root.header.version_minor"


def _q(text: str) -> str:
    """A YAML scalar for any text (a JSON string is a YAML double-quoted scalar)."""
    return json.dumps(text, ensure_ascii=False)


def _check(name: str, expr: str, code: str, doc: str, ref: str) -> list[str]:
    """A zero-size attribute that only checks `expr`."""
    return [f"- id: {name}", "  size: 0", "  valid:", f"    expr: {_q(expr)}", f"  -aigif-error: {code}",
            f"  doc: {_q(doc)}", f"  doc-ref: {ref}"]


def _ternary(cases: list[tuple[str, int]], default: int = 0) -> str:
    """cond1 ? v1 : cond2 ? v2 : ... : default (Kaitai has no max() or lookup tables)."""
    if not cases:
        return str(default)
    return "(" + "".join(f"({cond}) ? {value} : " for cond, value in cases) + f"{default})"


# -- field groups --------------------------------------------------------------------------------

def _bounds(spec: FieldSpec) -> str | None:
    """The Kaitai `valid` expression of a bounded uvarint, or None."""
    if spec.wire != "uvarint" or not (spec.min or spec.max is not None):
        return None
    parts = ([f"_.value >= {spec.min}"] if spec.min else []) + ([f"_.value <= {spec.max}"] if spec.max is not None else [])
    return " and ".join(parts)


def _doc(spec: FieldSpec) -> str:
    text = spec.doc[:1].upper() + spec.doc[1:] if spec.doc else spec.name
    if _bounds(spec):
        text += f", {spec.min or 0}..{spec.max}"
    if spec.enum:
        text += f"; registry enumeration {spec.enum}"
    if spec.since > V1_0:
        text += f"; since {spec.since}"
    text = f"Bit {spec.bit}. {text}."
    return json.dumps(text) if ": " in text or " #" in text else text  # a YAML plain scalar cannot hold those


def newer_masks(specs: tuple[FieldSpec, ...]) -> list[tuple[int, int]]:
    """(bit mask, minor version) of the fields each version after 1.0 added, newest first."""
    minors = sorted({s.since.minor for s in specs if s.since > V1_0}, reverse=True)
    return [(sum(1 << s.bit for s in specs if s.since.minor == m), m) for m in minors]


def group_needed_minor(specs: tuple[FieldSpec, ...], bitmap: str) -> str:
    """The lowest minor version a group's bitmap needs, as a Kaitai expression (0 when it needs only 1.0)."""
    return _ternary([(f"({bitmap} & {mask:#x}) != 0", minor) for mask, minor in newer_masks(specs)])


def group_region(group: str) -> list[str]:
    specs = GROUPS[group]
    top = max(s.bit for s in specs) + 1
    ref = f"spec/bitstream.md#{SECTION.get(group, '8-optional-field-groups')}"
    lines = _check("check_reserved", f"bitmap.value >> {top} == 0", "AIGIF_E_RESERVED", f"Bits {top} and up are reserved.",
                   "spec/bitstream.md#8-optional-field-groups")
    if newer_masks(specs):
        lines += _check("check_version", f"{FILE_MINOR} >= {group_needed_minor(specs, 'bitmap.value')}", "AIGIF_E_NONCANONICAL",
                        "A field added after 1.0 needs a file of its version or later (the version byte is the lowest "
                        "version whose features the file uses).", VERSION_REF)
    for spec in sorted(specs, key=lambda s: s.bit):
        condition = "(bitmap.value & 1) != 0" if spec.bit == 0 else f"((bitmap.value >> {spec.bit}) & 1) != 0"
        lines += [f"- id: {spec.name}", f"  type: {spec.wire_type.ksy}", f"  if: {condition}"]
        if _bounds(spec):
            lines += ["  valid:", f"    expr: {_bounds(spec)}", "  -aigif-error: AIGIF_E_RANGE"]
        lines += [f"  doc: {_doc(spec)}", f"  doc-ref: {ref}"]
    return lines


# -- extension types declared as slots (types 4-9) ----------------------------------------------

def slot_classes() -> list[type[SlotExtension]]:
    return [cls for _, cls in sorted(DECODED.items()) if issubclass(cls, SlotExtension)]


def item_type(cls: type[SlotExtension], slot: Slot) -> str:
    return f"{cls.name}_{slot.name}_item"


def _range(low: int, high: int) -> str | None:
    parts = ([f"_.value >= {low}"] if low else []) + ([f"_.value <= {high}"] if high != U64 else [])
    return " and ".join(parts) or None


def slot_seq(cls: type[SlotExtension], slots: tuple[Slot, ...]) -> tuple[list[str], list[str]]:
    """(seq lines, instance lines) of a sequence of slots, in the order the reference reads them."""
    seq: list[str] = []
    instances: list[str] = []

    condition: str | None = None  # the `if` of the slot being written (a slot of one layout)

    def attr(name: str, body: list[str], doc: str, valid: str | None = None, code: str | None = None) -> None:
        seq.append(f"- id: {name}")
        seq.extend(f"  {line}" for line in body)
        if condition:
            seq.append(f"  if: {_q(condition)}")
        if valid:
            seq.extend(["  valid:", f"    expr: {_q(valid)}", f"  -aigif-error: {code}"])
        seq.extend([f"  doc: {_q(doc)}", f"  doc-ref: {SLOT_REF}"])

    for slot in slots:
        doc = slot.doc[:1].upper() + slot.doc[1:]
        condition = None if slot.when is None else f"{slot.when[0]}.value == {slot.when[1]}"
        if condition:
            doc += f" (only when {slot.when[0]} is {slot.when[1]})"
        if slot.wire == "enum" and slot.layouts:
            attr(slot.name, ["type: exp_code"], f"{doc}; registry enumeration {slot.enum}, of the codes whose layout this "
                 "grammar defines (the reader checks the code).",
                 " or ".join(f"_.value == {code}" for code in slot.layouts), "AIGIF_E_UNKNOWN_CODE")
        elif slot.wire == "enum":
            attr(slot.name, ["type: exp_code"], f"{doc}; registry enumeration {slot.enum} (the reader checks the code).")
        elif slot.wire == "model":
            attr(slot.name, ["type: exp_code"], f"{doc}; a registry model ID (the reader checks it).")
        elif slot.wire == "uvarint":
            attr(slot.name, ["type: uvarint"], f"{doc}, {slot.min}..{slot.max}.", _range(slot.min, slot.max), "AIGIF_E_RANGE")
        elif slot.wire == "size8":
            attr(f"{slot.name}_units", ["type: uvarint"], f"{doc}, in units of 8 pixels.",
                 _range(limits.MIN_SIZE_UNITS, limits.MAX_SIZE_UNITS), "AIGIF_E_RANGE")
            instances += [f"{slot.name}:", f"  value: {slot.name}_units.value * {limits.SIZE_UNIT}",
                          *([f"  if: {_q(condition)}"] if condition else []),
                          f"  doc: {_q(doc + ' (pixels).')}", f"  doc-ref: {SLOT_REF}"]
        elif slot.wire == "cfloat":
            attr(slot.name, ["type: cfloat"], f"{doc} (float32).")
        elif slot.wire == "string":
            attr(f"{slot.name}_len", ["type: uvarint"], f"Length in bytes of {slot.name}, at most {slot.max}.",
                 f"_.value <= {slot.max}", "AIGIF_E_LIMIT")
            attr(slot.name, [f"size: {slot.name}_len.value", "type: str", "encoding: UTF-8"],
                 f"{doc} (UTF-8; a reader rejects invalid UTF-8 with AIGIF_E_UTF8).")
        elif slot.wire == "digest":
            if condition:
                raise SystemExit(f"gen_ksy: {cls.name}.{slot.name}: a digest slot of one layout has no Kaitai form yet")
            known = " or ".join(f"hash_algorithm.value == {code}" for code in sorted(DIGEST_BYTES))
            seq.extend(_check(f"check_{slot.name}_algorithm", known, "AIGIF_E_UNKNOWN_CODE",
                              "The digest's length is known only for these hash algorithms.", SLOT_REF))
            sizes = sorted(DIGEST_BYTES.items())
            size = _ternary([(f"hash_algorithm.value == {code}", n) for code, n in sizes[:-1]], sizes[-1][1])
            attr(slot.name, [f"size: {_q(size)}"], f"{doc} (its length by hash_algorithm).")
        elif slot.wire == "list":
            attr(f"{slot.name}_count", ["type: uvarint"], f"Number of {slot.name}, 1..{slot.max}.",
                 _range(1, slot.max), "AIGIF_E_RANGE")
            attr(slot.name, [f"type: {item_type(cls, slot)}", "repeat: expr", f"repeat-expr: {slot.name}_count.value"], doc + ".")
        else:
            raise SystemExit(f"gen_ksy: slot wire form {slot.wire!r} of {cls.name}.{slot.name} has no Kaitai form")
    return seq, instances


def slot_types() -> list[str]:
    lines: list[str] = []

    def add_type(name: str, doc: str, seq: list[str], instances: list[str]) -> None:
        lines.extend([f"{name}:", f"  doc: {_q(doc)}", f"  doc-ref: {SLOT_REF}", "  seq:"])
        lines.extend(f"    {line}" for line in seq)
        if instances:
            lines.append("  instances:")
            lines.extend(f"    {line}" for line in instances)
        lines.append("")

    for cls in slot_classes():
        flag = "_parent.must_understand" if cls.must_understand else "not _parent.must_understand"
        seq = _check("check_must_understand", flag, "AIGIF_E_NONCANONICAL",
                     f"Type {cls.code} is written with must_understand {int(cls.must_understand)}.", SLOT_REF)
        body, instances = slot_seq(cls, cls.slots)
        seq += body + _check("check_end", "_io.eof", "AIGIF_E_EXTENSION", "Nothing follows the last field.", SLOT_REF)
        add_type(cls.name, f"Extension type {cls.code}, {cls.name}: {cls.summary}. The codes' registry check and the "
                 "rules across fields (spec section 9.4) are the reader's.", seq, instances)
        for slot in cls.slots:
            if slot.wire == "list":
                item_seq, item_instances = slot_seq(cls, slot.items)
                add_type(item_type(cls, slot), f"One entry of {cls.name}.{slot.name}.", item_seq, item_instances)
    return lines[:-1]


def slot_cases() -> list[str]:
    return [f"extension_type::{cls.name}: {cls.name}" for cls in slot_classes()]


def slot_enum() -> list[str]:
    return [line for cls in slot_classes() for line in (
        f"{cls.code}:", f"  id: {cls.name}",
        f"  doc: {_q(f'{cls.summary[:1].upper()}{cls.summary[1:]} (type {cls.code}, must_understand {int(cls.must_understand)}).')}",
        f"  doc-ref: {SLOT_REF}")]


# -- the version byte ----------------------------------------------------------------------------

def extension_minors() -> list[tuple[str, int]]:
    """(condition on ext_type, minor) for every known type defined after 1.0, newest first."""
    newer = [cls for cls in DECODED.values() if cls.defined and cls.since > V1_0]
    return [(" or ".join(f"ext_type == {cls.code}" for cls in sorted(newer, key=lambda c: c.code) if cls.since.minor == m), m)
            for m in sorted({cls.since.minor for cls in newer}, reverse=True)]


def extension_version_check() -> list[str]:
    return _check("check_version", f"{FILE_MINOR} >= own_minor", "AIGIF_E_NONCANONICAL",
                  "A type defined after 1.0 needs a file of its version or later (checked once the type is known).",
                  VERSION_REF)


def extension_version_instances() -> list[str]:
    return [
        "own_minor:", f"  value: {_q(_ternary(extension_minors()))}",
        "  doc: The minor version that defined this type (0 for 1.0 types and types this grammar does not know).",
        f"  doc-ref: {VERSION_REF}",
        "needed_minor:", f"  value: {_q('own_minor > previous_needed_minor ? own_minor : previous_needed_minor')}",
        "  doc: The lowest minor version this record and the ones before it need.", f"  doc-ref: {VERSION_REF}",
    ]


def body_version_check() -> list[str]:
    return _check("check_version", f"{FILE_MINOR} > {NEWEST.minor} or {FILE_MINOR} == needed_minor", "AIGIF_E_NONCANONICAL",
                  f"A file of a version this grammar knows (up to {NEWEST}) carries the lowest version its features need: "
                  "a higher one is a second encoding of the same record. Checked after the last extension record.",
                  VERSION_REF)


def body_version_instances() -> list[str]:
    cases = []
    for minor in sorted({s.since.minor for specs in GROUPS.values() for s in specs if s.since > V1_0}, reverse=True):
        used = [f"(core.has_{group} and ({group}.bitmap.value & {sum(1 << s.bit for s in specs if s.since.minor >= minor):#x}) != 0)"
                for group, specs in GROUPS.items() if any(s.since.minor >= minor for s in specs)]
        cases.append((" or ".join(used), minor))
    return [
        "groups_needed_minor:", f"  value: {_q(_ternary(cases))}",
        "  doc: The lowest minor version the group fields present need.", f"  doc-ref: {VERSION_REF}",
        "needed_minor:",
        f"  value: {_q('extensions.size > 0 and extensions.last.needed_minor > groups_needed_minor ? extensions.last.needed_minor : groups_needed_minor')}",
        "  doc: The lowest minor version whose features the file uses.", f"  doc-ref: {VERSION_REF}",
    ]


def text_block() -> list[str]:
    """The text block's doc and its compressor field, naming every code of the registry's text_compressors."""
    import textwrap

    from aigif_ref.registry import default_registry

    entries = default_registry().data["enumerations"]["text_compressors"]
    coded = "; ".join(f"{e['code']} {e['name']}" + (f", model {e['model_file']}" if "model_file" in e else "")
                      for e in entries if e["code"] != 0)
    doc = (f"Text compressor, block length and the compressed block. Kaitai Struct does not decode the block: "
           f"the compressors other than 0 ({coded}; spec/text/ describes each) and the UTF-8 check are beyond it. "
           "A reader decodes `data` into one string, or two when the presence bitmap's bit 0 is set.")
    names = ", ".join(f"{e['code']} {e['name']}" for e in entries)
    return ["doc: |", *("  " + line for line in textwrap.wrap(doc, 100, break_on_hyphens=False)), "doc-ref: spec/bitstream.md#7-text-block",
            "seq:", "  - id: compressor", "    type: exp_code",
            f"    doc: Registry enumeration text_compressors ({names}).", "    doc-ref: spec/bitstream.md#7-text-block"]


REGIONS: dict[str, Callable[[], list[str]]] = {
    "text-block": text_block,
    "slot-types": slot_types, "slot-cases": slot_cases, "slot-enum": slot_enum,
    "extension-version-check": extension_version_check, "extension-version-instances": extension_version_instances,
    "body-version-check": body_version_check, "body-version-instances": body_version_instances,
    **{f"group-{group}": (lambda group=group: group_region(group)) for group in GROUPS},
}


def region(name: str, indent: str) -> str:
    lines = [f"# BEGIN GENERATED: {name} (tools/gen_ksy.py; do not edit)", *REGIONS[name](), f"# END GENERATED: {name}"]
    return "".join(f"{indent}{line}\n" if line else "\n" for line in lines)


def render(text: str) -> str:
    seen = set()

    def fill(match: re.Match) -> str:
        name = match["name"]
        if name not in REGIONS:
            raise SystemExit(f"gen_ksy: spec/aigif.ksy has a generated region {name!r} this script does not know")
        seen.add(name)
        return region(name, match["indent"])

    out = REGION.sub(fill, text)
    missing = set(REGIONS) - seen
    if missing:
        raise SystemExit(f"gen_ksy: spec/aigif.ksy has no generated region for {', '.join(sorted(missing))}")
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = KSY.read_text(encoding="utf-8")
    new = render(text)
    if "--check" in argv:
        if new != text:
            print("spec/aigif.ksy is out of date: run python tools/regen.py", file=sys.stderr)
            return 1
        return 0
    if new != text:
        KSY.write_text(new, encoding="utf-8")
        print("wrote spec/aigif.ksy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
