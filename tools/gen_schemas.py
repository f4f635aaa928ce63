"""Write spec/schema/record.schema.json from the declarations (aigif_ref/record_schema.py).

Run through `python tools/regen.py` (every generator, in order); alone: python tools/gen_schemas.py [--check].
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from aigif_ref.record_schema import schema_text  # noqa: E402

OUT = ROOT / "spec" / "schema" / "record.schema.json"


def main() -> int:
    text = schema_text()
    if "--check" in sys.argv:
        if OUT.read_text(encoding="utf-8") == text:
            return 0
        print(f"{OUT.relative_to(ROOT)} is out of date: run python tools/regen.py", file=sys.stderr)
        return 1
    OUT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
