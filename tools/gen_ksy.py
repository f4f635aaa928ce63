"""Write the field-group part of spec/aigif.ksy from the declarations (aigif_ref/grammar/fields.py).

The rest of the Kaitai grammar is hand-written; inside each group type the region between
`# BEGIN GENERATED: group-NAME` and `# END GENERATED: group-NAME` (the reserved-bits check and
one attribute per declared field, in bit order) is rewritten here, so a new optional field
reaches the second grammar with the same declaration as the first. tests/test_kaitai.py then
checks the two grammars agree on every field.

Run through `python tools/regen.py` (every generator, in order); alone: python tools/gen_ksy.py [--check].
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from aigif_ref.grammar.fields import GROUPS, FieldSpec  # noqa: E402

KSY = ROOT / "spec" / "aigif.ksy"
INDENT = " " * 6  # a seq entry inside types.NAME.seq
REGION = re.compile(r"[ ]*# BEGIN GENERATED: group-(?P<group>[a-z_]+)[^\n]*\n.*?[ ]*# END GENERATED: group-(?P=group)\n",
                    re.DOTALL)
SECTION = {"params": "81-params-model-dependent-pipeline-arguments",
           "scheduler_config": "83-scheduler_config-scheduler-configuration",
           "platform": "84-platform-software-and-determinism-settings"}


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
    text = f"Bit {spec.bit}. {text}."
    return json.dumps(text) if ": " in text or " #" in text else text  # a YAML plain scalar cannot hold those


def group_region(group: str) -> str:
    specs = GROUPS[group]
    top = max(s.bit for s in specs) + 1
    ref = f"spec/bitstream.md#{SECTION.get(group, '8-optional-field-groups')}"
    lines = [
        f"# BEGIN GENERATED: group-{group} (tools/gen_ksy.py from aigif_ref/grammar/fields.py; do not edit)",
        "- id: check_reserved",
        "  size: 0",
        "  valid:",
        f"    expr: bitmap.value >> {top} == 0",
        "  -aigif-error: AIGIF_E_RESERVED",
        f"  doc: Bits {top} and up are reserved.",
        "  doc-ref: spec/bitstream.md#8-optional-field-groups",
    ]
    for spec in sorted(specs, key=lambda s: s.bit):
        condition = "(bitmap.value & 1) != 0" if spec.bit == 0 else f"((bitmap.value >> {spec.bit}) & 1) != 0"
        lines += [f"- id: {spec.name}", f"  type: {spec.wire_type.ksy}", f"  if: {condition}"]
        if _bounds(spec):
            lines += ["  valid:", f"    expr: {_bounds(spec)}", "  -aigif-error: AIGIF_E_RANGE"]
        lines += [f"  doc: {_doc(spec)}", f"  doc-ref: {ref}"]
    lines.append(f"# END GENERATED: group-{group}")
    return "".join(f"{INDENT}{line}\n" for line in lines)


def render(text: str) -> str:
    seen = set()

    def fill(match: re.Match) -> str:
        group = match["group"]
        if group not in GROUPS:
            raise SystemExit(f"gen_ksy: spec/aigif.ksy has a region for unknown group {group!r}")
        seen.add(group)
        return group_region(group)

    out = REGION.sub(fill, text)
    missing = set(GROUPS) - seen
    if missing:
        raise SystemExit(f"gen_ksy: spec/aigif.ksy has no generated region for group(s) {', '.join(sorted(missing))}")
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
