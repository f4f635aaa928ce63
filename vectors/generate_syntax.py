#!/usr/bin/env python3
"""Generate the golden syntax vectors: vectors/syntax/ and vectors/levels/{parse,build}.txt.

    python vectors/generate_syntax.py           # rewrite the vectors (stale case folders are deleted)
    python vectors/generate_syntax.py --check   # regenerate into a temp dir; exit 1 listing files that differ

(`python tools/regen.py` runs this with every other generator, in order.)

Valid cases are encoded from JSON records by the reference encoder. Invalid cases
are made from those valid encodings by byte surgery that introduces exactly one
defect: the CRC is recomputed after every edit unless the case is about the CRC.
Each invalid case states its expected error code here; the generator refuses to
write anything if the reference decoder (aigif_ref.api.decode) disagrees.
Output is deterministic: no timestamps, sorted JSON keys, fixed inputs.
The code is in vectors/syntax_gen/ (one module per concern; case modules listed in CASE_MODULES).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # runnable as a plain script from a checkout
    sys.path.insert(0, str(ROOT))

from vectors.syntax_gen.payloads import pixel_digest, raw_pixels  # noqa: E402,F401  (tests use them)
from vectors.syntax_gen.writer import LEVEL_FILES, SUITE, check, write_tree  # noqa: E402,F401


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare a fresh generation with the committed files")
    args = parser.parse_args(argv)
    vectors = ROOT / "vectors"
    if args.check:
        report = check(vectors)
        for line in report:
            print(line)
        print(f"vectors/syntax: {'out of date (run python tools/regen.py)' if report else 'up to date'}")
        return 1 if report else 0
    with tempfile.TemporaryDirectory() as tmp:  # build fully first: a failure leaves the old vectors intact
        write_tree(Path(tmp))
        shutil.rmtree(vectors / "syntax", ignore_errors=True)
        shutil.copytree(Path(tmp) / "syntax", vectors / "syntax")
        (vectors / "levels").mkdir(exist_ok=True)
        for name in LEVEL_FILES:
            shutil.copyfile(Path(tmp) / "levels" / name, vectors / "levels" / name)
    manifest = json.loads((vectors / "syntax" / "manifest.json").read_text(encoding="utf-8"))
    valid = sum(c["valid"] for c in manifest["cases"])
    print(f"wrote {len(manifest['cases'])} cases ({valid} valid, {len(manifest['cases']) - valid} invalid) to vectors/syntax/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
