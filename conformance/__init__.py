"""AIGIF conformance suite: runs any implementation through a command-line contract.

The contract, the levels and the vector format are specified in spec/conformance.md.
The runner (the modules directly in this package) never imports the reference
implementation (aigif_ref) or torch: it judges an implementation only by what it
prints and writes. The adapters in conformance/impls/ and the broken
implementations in conformance/mutants/ are separate programs, built on aigif_ref,
that the runner starts like any other.
"""
from __future__ import annotations

SUITE_NAME = "aigif-conformance"
# The one place the suite's version is written; reports state it. Bump the minor
# version when the runner's judgement or report format gains something, the major
# one when a report of the old version would be read differently.
SUITE_VERSION = "1.1.0"

__all__ = ["SUITE_NAME", "SUITE_VERSION"]
