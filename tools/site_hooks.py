"""mkdocs hooks for the spec site (mkdocs.yml `hooks:`): presentation only, the markdown stays as written.

A page whose front matter names a media type (spec/index.md) shows its front matter (status, date,
media type, file extension, magic bytes) as a table under its title: the facts are written once, in the
front matter, where tools can read them too.

Byte strings in tables ("80 01", "FF FF FF FF 0F", "01 CD CC CC 3D") are set in monospace like the hex
dumps: in every table with a column headed exactly "bytes" (the encodings; "digest bytes" or "(bytes)"
columns hold sizes), a cell of that column that is only hex byte pairs becomes inline code of class
aigif-bytes.
"""
from __future__ import annotations

import re

HEX_BYTES = re.compile(r"^(?:[0-9A-F]{2})(?: [0-9A-F]{2})*(?: …)?$")
DELIMITER = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)+\|?\s*$")


def _cells(line: str) -> list[str]:
    return line.strip().strip("|").split("|")


def mark_byte_cells(markdown: str) -> str:
    lines, fenced, columns = markdown.splitlines(), False, set()
    for index, line in enumerate(lines):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            continue
        if DELIMITER.match(line) and index > 0:
            columns = {i for i, cell in enumerate(_cells(lines[index - 1])) if cell.strip().lower() == "bytes"}
            continue
        if not line.lstrip().startswith("|"):
            columns = set()
            continue
        if columns:
            cells = _cells(line)
            for i in columns:
                if i < len(cells) and HEX_BYTES.match(cells[i].strip()):
                    cells[i] = f" `{cells[i].strip()}`{{.aigif-bytes}} "
            lines[index] = "|" + "|".join(cells) + "|"
    return "\n".join(lines) + ("\n" if markdown.endswith("\n") else "")


FRONT_MATTER_ROWS = (("status", "Status"), ("date", "Date"), ("media_type", "Media type"),
                     ("file_extension", "File extension"), ("magic_bytes", "Magic bytes"))


CODE_KEYS = {"file_extension", "magic_bytes"}  # shown in monospace


def front_matter_table(meta: dict) -> str:
    lines = ["| | |", "|---|---|"]
    for key, label in FRONT_MATTER_ROWS:
        if key in meta:
            value = str(meta[key])
            lines.append(f"| {label} | `{value}`{{.aigif-bytes}} |" if key in CODE_KEYS else f"| {label} | {value} |")
    return "\n".join(lines) + "\n"


def with_front_matter(markdown: str, meta: dict) -> str:
    """The front matter table right after the page's first heading."""
    if "media_type" not in meta:
        return markdown
    heading = re.search(r"^# .+\n", markdown, re.MULTILINE)
    at = heading.end() if heading else 0
    return markdown[:at] + "\n" + front_matter_table(meta) + "\n" + markdown[at:]


def on_page_markdown(markdown: str, page=None, **_: object) -> str:
    meta = getattr(page, "meta", None) or {}
    return mark_byte_cells(with_front_matter(markdown, meta))
