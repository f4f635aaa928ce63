"""Capture a diffusers pipeline call as an AIGIF file: ``from aigif_ref.capture import capture``.

One extra line around an ordinary diffusers call::

    from aigif_ref.capture import capture
    image = capture(pipe, "cat.aigif", prompt="a cat", generator=torch.Generator("cpu").manual_seed(42)).images[0]

The implementation, which needs the render extra (torch, diffusers), is
:func:`aigif_ref.regen.capture.capture`.
"""
from aigif_ref.regen.capture import capture, match_model

__all__ = ["capture", "match_model"]
