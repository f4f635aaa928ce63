"""Syntax cases of the platform field `cpu_capability` (spec 1.1): the CPU kernel instruction set.

One valid case per code of the registry enumeration `cpu_capabilities`, each in a CPU record with
its thread count, as capture writes it (the codes come from the registry, so a new entry gets its case).
"""
from __future__ import annotations

from vectors.syntax_gen.cases import record_of


def add_cases(b) -> None:
    registry = b.registries[None]
    for code, entry in sorted(registry.enum("cpu_capabilities").items()):
        name = entry["name"]
        b.valid(f"valid-platform-cpu-capability-{name}",
                f"A CPU record whose kernels used the {name!r} instruction set (code {code}), with one thread.",
                ["platform", "enum", "v1.1"],
                record_of(platform={"num_threads": 1, "cpu_capability": code}))
