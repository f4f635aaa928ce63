"""The fidelity measurements the render forecast quotes (fidelity-measurements.json beside this file).

Each row says how close a render on one (device, dtype) came to the image made on another, as a PSNR
range, with the torch version, models, source and date of the measurement. More tables (a benchmark's
JSON output, say) can be added with :func:`load_measurements`; rows are validated against
fidelity-measurements.schema.json. Torch-free.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import jsonschema

HERE = Path(__file__).resolve().parent
TABLE = HERE / "fidelity-measurements.json"
SCHEMA = HERE / "fidelity-measurements.schema.json"


@dataclass(frozen=True)
class Measurement:
    row: dict[str, Any]

    def matches(self, made: dict[str, Any], here: dict[str, Any]) -> bool:
        """True when every key the row's sides state equals the given sides' (unstated keys match anything)."""
        return all(side.get(k) == v for side, stated in ((made, self.row["from"]), (here, self.row["to"]))
                   for k, v in stated.items())

    @property
    def text(self) -> str:
        psnr = self.row["psnr_db"]
        if psnr["max"] is None:
            figure = f"at least {psnr['min']:g} dB PSNR, some renders bit-exact"
        elif psnr["min"] == psnr["max"]:
            figure = f"{psnr['min']:g} dB PSNR"
        else:
            figure = f"{psnr['min']:g}-{psnr['max']:g} dB PSNR"
        if "max_abs_error" in self.row:
            figure += f", at most {self.row['max_abs_error']}/255"
        torch = f"torch {self.row['torch']}, " if self.row.get("torch") else ""
        return f"measured {figure} ({torch}{self.row['source']})"


def validate(document: Any) -> list[str]:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
            for e in jsonschema.Draft202012Validator(schema).iter_errors(document)]


def load_measurements(extra: Iterable[Path] = ()) -> list[Measurement]:
    """The shipped table, then each extra table (same schema); a table that does not match raises ValueError."""
    rows: list[Measurement] = []
    for path in (TABLE, *extra):
        document = json.loads(Path(path).read_text(encoding="utf-8"))
        problems = validate(document)
        if problems:
            raise ValueError(f"{path}: not a fidelity-measurements table: " + "; ".join(problems[:5]))
        rows += [Measurement(row) for row in document["measurements"]]
    return rows


@lru_cache(maxsize=1)
def shipped() -> tuple[Measurement, ...]:
    return tuple(load_measurements())


def find(made: dict[str, Any], here: dict[str, Any], table: Iterable[Measurement] | None = None) -> list[Measurement]:
    """Rows for a render of a file made on ``made`` ({"device", "dtype", ...}) rendered on ``here``."""
    return [m for m in (shipped() if table is None else table) if m.matches(made, here)]
