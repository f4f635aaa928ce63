"""`python3 -m conformance.mutants NAME info|parse|build|render ...`: one broken implementation, by name."""
from __future__ import annotations

import sys
from typing import Sequence

from conformance.impls.adapter_cli import run_adapter
from conformance.mutants.base import Mutant
from conformance.mutants.drop_negative import DropNegative
from conformance.mutants.exp_code_limit import ExpCodeLimit
from conformance.mutants.extension_order import ExtensionOrder
from conformance.mutants.extra_byte import ExtraByte
from conformance.mutants.guidance_digits import GuidanceDigits
from conformance.mutants.ignore_crc import IgnoreCrc
from conformance.mutants.ignore_must_understand import IgnoreMustUnderstand
from conformance.mutants.limit_code import LimitCode
from conformance.mutants.must_understand_first_only import MustUnderstandFirstOnly
from conformance.mutants.no_registry_check import NoRegistryCheck
from conformance.mutants.overlong_uvarint import OverlongUvarint
from conformance.mutants.own_text_compressor import OwnTextCompressor
from conformance.mutants.reserved_bits import ReservedBits
from conformance.mutants.seed_32bit import Seed32Bit
from conformance.mutants.trailing_garbage import TrailingGarbage
from conformance.mutants.version_byte import AlwaysVersion10, VersionUnchecked
from conformance.mutants.zero_enum import ZeroEnum
from conformance.mutants.quantized import QUANTIZED_MUTANTS
from conformance.mutants.text_transforms import TEXT_MUTANTS
from conformance.mutants.zlib_level_9_only import ZlibLevel9Only

MUTANTS: dict[str, type[Mutant]] = {
    "ignore-crc": IgnoreCrc,
    "overlong-uvarint": OverlongUvarint,
    "zero-enum": ZeroEnum,
    "exp-code-limit": ExpCodeLimit,
    "drop-negative-prompt": DropNegative,
    "seed-32bit": Seed32Bit,
    "extra-byte": ExtraByte,
    "ignore-must-understand": IgnoreMustUnderstand,
    "must-understand-first-only": MustUnderstandFirstOnly,
    "trailing-garbage": TrailingGarbage,
    "extension-order": ExtensionOrder,
    "guidance-digits": GuidanceDigits,
    "limit-code": LimitCode,
    "no-registry-check": NoRegistryCheck,
    "reserved-bits": ReservedBits,
    "zlib-level-9-only": ZlibLevel9Only,
    "own-text-compressor": OwnTextCompressor,
    "always-version-1-0": AlwaysVersion10,
    "version-unchecked": VersionUnchecked,
    **TEXT_MUTANTS,
}
# The syntax mutants above are run on the parse and build levels; QUANTIZED_MUTANTS on the quantized level.
BY_NAME: dict[str, type[Mutant]] = {**MUTANTS, **QUANTIZED_MUTANTS}
_installed: dict[str, Mutant] = {}  # one mutant per process: its patches stay for every later call


def mutant(name: str) -> Mutant:
    if not _installed:
        adapter = BY_NAME[name]()
        adapter.name = f"aigif_ref-mutant-{name}"
        adapter.install()
        _installed[name] = adapter
    if name not in _installed:
        raise RuntimeError(f"this process already runs mutant {next(iter(_installed))}; start a new one for {name}")
    return _installed[name]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in BY_NAME:
        for name, cls in BY_NAME.items():
            print(f"{name:<24} {cls.flaw}")
        if argv and argv[0] != "list":
            print(f"error: unknown mutant {argv[0]!r}", file=sys.stderr)
            return 2
        return 0 if argv else 2
    return run_adapter(mutant(argv[0]), argv[1:])
