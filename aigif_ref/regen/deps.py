"""Import the optional rendering stack (torch, diffusers, transformers) with a clear error.

Every regeneration module imports torch and diffusers through :func:`require`, so that a missing
package is an ``AIGIF_E_DEPENDENCY`` message with the install command instead of an ImportError,
and so that the Hugging Face hub is switched offline before diffusers is first imported: weights
come from the model store only, never from the network.
"""
from __future__ import annotations

import contextlib
import importlib
import os
import sys
import warnings
from types import ModuleType
from typing import Iterator

from aigif_ref.errors import AigifError

INSTALL_HINT = ('pip install "aigif[render]"  (from a checkout: pip install -e ".[render]"; for a GPU, '
                "install the torch build for your CUDA first, see https://pytorch.org)")


def require(offline: bool = True) -> tuple[ModuleType, ModuleType]:
    """(torch, diffusers), importing them on first use."""
    if offline:
        # huggingface_hub reads this when first imported; set it before diffusers pulls it in.
        os.environ["HF_HUB_OFFLINE"] = "1"
    missing = []
    modules = {}
    for name in ("torch", "transformers", "diffusers"):
        try:
            if name == "diffusers" and "diffusers" not in sys.modules and "transformers" in modules:
                # Its import makes transformers log notices about optional packages (torchvision); not ours to show.
                log = modules["transformers"].utils.logging
                verbosity = log.get_verbosity()
                log.set_verbosity_error()
                try:
                    modules[name] = importlib.import_module(name)
                finally:
                    log.set_verbosity(verbosity)
            else:
                modules[name] = importlib.import_module(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise AigifError("AIGIF_E_DEPENDENCY", f"rendering needs {', '.join(missing)}, not installed: {INSTALL_HINT}")
    return modules["torch"], modules["diffusers"]


@contextlib.contextmanager
def quiet_diffusers() -> Iterator[None]:
    """Silence diffusers' and transformers' progress bars, notices and deprecation warnings, then restore them.

    Around loading and the pipeline call: what they say there (accelerate missing, a deprecated
    internal call, a dtype cast diffusers itself makes) is about diffusers' internals, not the file.
    """
    import diffusers.utils.logging as dlog
    import transformers.utils.logging as tlog

    saved = [(log, log.get_verbosity(), log.is_progress_bar_enabled()) for log in (dlog, tlog)]
    for log, _, _ in saved:
        log.set_verbosity_error()
        log.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=FutureWarning, module=r"diffusers\.")
            warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"diffusers\.")
            yield
    finally:
        for log, verbosity, bars in saved:
            log.set_verbosity(verbosity)
            if bars:
                log.enable_progress_bar()
