"""Formatting helpers and the registry every table reads."""
from __future__ import annotations

import io
from typing import Any, Callable, Iterable, Sequence

from aigif_ref.errors import AigifError
from aigif_ref.registry import default_registry
from aigif_ref.registry import REPO_ROOT as ROOT


SPEC_DIR = ROOT / "spec"
REG = default_registry()


# ---------------------------------------------------------------- formatting helpers
def hexs(data: bytes) -> str:
    return data.hex(" ").upper()


def cell(value: Any) -> str:
    """A Markdown table cell: pipes escaped, newlines flattened."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def error_of(parse: Callable[[io.BytesIO], Any], data: bytes) -> str:
    """What a primitive reader does with data: the value, or the error code it raises."""
    try:
        value = parse(io.BytesIO(data))
    except AigifError as exc:
        return f"`{exc.code}`"
    return f"value {value!r}"


def codes_summary(enum: str, limit: int = 4) -> str:
    entries = sorted(REG.enum(enum).values(), key=lambda e: e["code"])
    shown = "; ".join(f'{e["code"]}="{e["name"]}"' for e in entries[:limit])
    return shown + (f"; … ({len(entries)} codes)" if len(entries) > limit else "")


def models_summary(limit: int = 3) -> str:
    models = sorted(REG.models.values(), key=lambda m: m["id"])
    shown = "; ".join(f'{m["id"]}="{m["name"]}"' for m in models[:limit])
    return shown + (f"; … ({len(models)} models)" if len(models) > limit else "")


def _enum_note(enum: str, code: int) -> str:
    return f"{code} ({REG.enum_name(enum, code)})"
