"""Ignores whatever follows the last extension record it can read."""
from conformance.mutants import _extensions
from conformance.mutants.base import Mutant


class TrailingGarbage(Mutant):
    flaw = "accepts trailing garbage: bytes that do not read as an extension record are ignored"

    def install(self) -> None:
        _extensions.install(stop_at_garbage=True)
