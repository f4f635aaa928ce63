"""Regeneration: AIGIF record -> diffusers pipeline -> pixels, and capture (pipeline call -> file).

The only package that imports torch, diffusers and transformers, and only in the modules that need
them: importing ``aigif_ref.regen`` or ``aigif_ref.regen.platform`` costs nothing and works without
torch. Entry points: :class:`aigif_ref.regen.render.Renderer` and :func:`aigif_ref.capture.capture`.
"""
