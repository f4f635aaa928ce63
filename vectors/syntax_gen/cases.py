"""A syntax case, and the Builder that collects cases (valid ones encoded, invalid ones cut from valid ones)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aigif_ref.api import encode
from aigif_ref.registry import Registry
from vectors.syntax_gen.surgery import Surgery

@dataclass
class Case:
    id: str
    description: str
    features: list[str]
    data: bytes
    how: str
    valid: bool
    expected_error: str | None = None
    expected_offset: int | None = None
    registry: str | None = None  # repository path of a registry other than the shipped one
    record: dict[str, Any] | None = None  # decoded canonical record (valid cases)
    reencodes: bool = True  # valid case whose record re-encodes to the same bytes


def record_of(**fields: Any) -> dict[str, Any]:
    """A record with the minimal file's values, overridden by `fields`."""
    base = {"model_id": 0, "steps": 1, "guidance_scale": 0.0, "seed": 0, "height": 8, "width": 8,
            "prompt": "", "text_compressor": 0}
    base.update(fields)
    return base

class Builder:
    """Collects cases; valid ones are encoded from records, invalid ones made by surgery on valid ones."""

    def __init__(self, registries: dict[str | None, Registry]) -> None:
        self.registries = registries
        self.cases: dict[str, Case] = {}

    def valid(self, case_id: str, description: str, features: list[str], record: dict[str, Any],
              registry: str | None = None) -> Case:
        data = encode(record, self.registries[registry])
        how = "aigif_ref.api.encode(record)" + (f" with {registry}" if registry else "")
        return self._add(Case(case_id, description, features, data, how, True, registry=registry))

    def valid_bytes(self, case_id: str, description: str, features: list[str], made: tuple[bytes, str],
                    reencodes: bool) -> Case:
        data, how = made
        return self._add(Case(case_id, description, features, data, how, True, reencodes=reencodes))

    def invalid(self, case_id: str, description: str, features: list[str], made: tuple[bytes, str],
                error: str, offset: int | None) -> Case:
        data, how = made
        return self._add(Case(case_id, description, features, data, how, False, error, offset))

    def _add(self, case: Case) -> Case:
        assert case.id not in self.cases, case.id
        assert case.id.startswith("valid-" if case.valid else "invalid-"), case.id
        self.cases[case.id] = case
        return case

    def cut(self, source: str) -> Surgery:
        return Surgery(self.cases[source])
