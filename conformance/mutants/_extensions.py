"""Install a variant of the reference's extension-record loop (aigif_ref.grammar.aigif.ExtensionLoop).

Each extension mutant subclasses ExtensionLoop and overrides the one step it gets wrong; every
other step stays the reference's own code.
"""
from __future__ import annotations

from aigif_ref.grammar import aigif


def install(loop: aigif.ExtensionLoop) -> None:
    aigif.Extensions.loop = loop
