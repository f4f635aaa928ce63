"""Capture a diffusers pipeline call as an AIGIF file: ``from aigif_ref.capture import capture``.

One extra line around an ordinary diffusers call::

    from aigif_ref.capture import capture
    image = capture(pipe, "cat.aigif", prompt="a cat", generator=torch.Generator("cpu").manual_seed(42)).images[0]

This module is the public entry point only (a thin re-export, kept so the import path above stays
stable); the implementation, which needs the render extra (torch, diffusers), is
:func:`aigif_ref.regen.recorder.capture`.
"""
from aigif_ref.regen.recorder import capture, match_model

__all__ = ["capture", "match_model"]
