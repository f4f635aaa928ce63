"""mkdocs-gen-files script: re-render every generated table of the spec pages at site build time.

The committed spec/*.md already hold the tables (tools/gen_spec_tables.py writes them and its
--check runs in the tests); rendering them again here from the same generator functions means the
site shows the grammar and registry.json as they are at build time, even if someone forgot to
re-run the tool. Unknown or unbalanced region markers fail the build.
"""
from __future__ import annotations

import sys
from pathlib import Path

import mkdocs_gen_files

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_spec_tables  # noqa: E402  (one source: the same generators as the committed markdown)

editor = mkdocs_gen_files.FilesEditor.current()
cache: dict[str, str] = {}  # each region is generated once per build, as in the command-line tool
for page in [f for f in editor.files if f.is_documentation_page()]:
    text = page.content_string
    try:
        new = gen_spec_tables.render(text, page.src_uri, cache)
    except gen_spec_tables.RegionError as exc:
        raise SystemExit(f"spec page {page.src_uri}: {exc}")
    if new != text:
        with mkdocs_gen_files.open(page.src_uri, "w") as out:
            out.write(new)
