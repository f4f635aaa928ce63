"""Generate the tables and worked examples of spec/*.md from the code and the registry.

Every region between `<!-- BEGIN GENERATED: name -->` and `<!-- END GENERATED: name -->`
is rewritten from the declarations (aigif_ref/grammar: fields.py, wire.py, limits.py,
aigif.py; aigif_ref/extensions; aigif_ref/table_one.py), aigif_ref/errors.py,
aigif_ref/registry_lint.py, registry.json, spec/schema/record.schema.json and live encodings
with aigif_ref.api; the prose around the regions is hand-written. The tables themselves are in
tools/spec_tables/ (one module per concern); this file maps region names to them and rewrites files.

Run through `python tools/regen.py` (every generator, in order); alone: python tools/gen_spec_tables.py [--check] [--dir SPEC_DIR]
--check exits 1 (and names the files) if any file would change; unknown region
names and unbalanced markers exit 2.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Callable, Sequence

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.spec_tables.body import gen_body_fields, gen_body_grammar, gen_presence_bits, gen_table1_mapping  # noqa: E402
from tools.spec_tables.common import SPEC_DIR  # noqa: E402
from tools.spec_tables.examples import gen_examples, gen_size_comparison, hex_dump, trace  # noqa: E402,F401
from tools.spec_tables.groups import (gen_family_params, gen_group_params, gen_group_platform,  # noqa: E402
                                      gen_group_scheduler_config, gen_hidden_settings)
from tools.spec_tables.primitives import (gen_cfloat_examples, gen_exp_code_examples, gen_header,  # noqa: E402
                                          gen_other_primitive_examples, gen_uvarint_examples, gen_version_examples)
from tools.spec_tables.record_tables import gen_errors, gen_limits, gen_record_keys, gen_registry_check_rules  # noqa: E402
from tools.spec_tables.registry_tables import (gen_digest_algorithms, gen_enumerations, gen_extension_json_forms,  # noqa: E402
                                               gen_extension_types, gen_structured_extension_bodies,
                                               gen_families, gen_models, gen_pixel_compressors, gen_registry_summary,
                                               gen_text_compressors)

REGION = re.compile(
    r"(<!-- BEGIN GENERATED: (?P<name>[a-z0-9-]+) -->\n)(?P<body>.*?)(<!-- END GENERATED: (?P=name) -->)",
    re.DOTALL,
)
MARKER = re.compile(r"<!-- (BEGIN|END) GENERATED: ([^ ]+) -->")


GENERATORS: dict[str, Callable[[], str]] = {
    "header": gen_header,
    "version-examples": gen_version_examples,
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
    "extension-json-forms": gen_extension_json_forms,
    "pixel-compressors": gen_pixel_compressors,
    "digest-algorithms": gen_digest_algorithms,
    "structured-extension-bodies": gen_structured_extension_bodies,
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
    verb = "out of date (run python tools/regen.py)" if args.check else "rewritten"
    for path in stale:
        print(f"{path}: {verb}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
