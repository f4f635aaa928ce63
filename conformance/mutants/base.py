"""What every mutant shares: the reference adapter, and a way to swap one function of the reference."""
from __future__ import annotations

import sys
from typing import Callable

from conformance.impls.reference.adapter import ReferenceAdapter


class Mutant(ReferenceAdapter):
    """The reference adapter; a subclass overrides one method or patches one function in install()."""

    flaw = ""  # one sentence: what this implementation gets wrong

    def install(self) -> None:
        """Patch the reference inside this process; runs once, before the first file is read."""


def replace_everywhere(original: Callable, replacement: Callable) -> None:
    """Point every aigif_ref module that holds `original` (imported by name) at `replacement`.

    The construct grammar compiles lazily on first use, importing its readers by
    name then, so a patch installed before the first parse reaches it too.
    """
    for name, module in list(sys.modules.items()):
        if name.split(".")[0] == "aigif_ref" and module is not None:
            for attr, value in list(vars(module).items()):
                if value is original:
                    setattr(module, attr, replacement)
