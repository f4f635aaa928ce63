"""Compatibility shims between the pinned diffusers and newer transformers. Each says why and when it goes.

clip_skip with diffusers 0.42.1 and transformers >= 5.6 (diffusers issue 14124)
---------------------------------------------------------------------------------
``StableDiffusionPipeline.encode_prompt`` (and ~30 pipelines copied from it) computes clip_skip
embeddings as ``text_encoder.text_model.final_layer_norm(hidden_states[-(clip_skip + 1)])``. In
transformers < 5.6, ``CLIPTextModel`` wrapped a ``CLIPTextTransformer`` in ``.text_model``; from 5.6
``CLIPTextModel`` *is* the transformer (``final_layer_norm`` is its own attribute) and ``.text_model``
is gone, so every clip_skip call raises AttributeError. (SDXL's encode_prompt never touches
``.text_model`` and is unaffected.)

The fix keeps diffusers' own code path: for the duration of one pipeline call, each CLIP text encoder
that lacks ``text_model`` but has ``final_layer_norm`` gets an instance attribute ``text_model``
pointing at itself, so ``text_encoder.text_model.final_layer_norm`` is the encoder's own final layer
norm, exactly the layer diffusers means. The attribute is written to the instance ``__dict__``
(``object.__setattr__``), not registered as a submodule: parameters, ``state_dict`` and ``.to()`` are
unchanged, and it is removed afterwards. Where ``text_model`` exists (older transformers, or a fixed
diffusers that stops using it) the shim does nothing. Tests check the result against an independent
computation of the same embeddings (tests/test_render.py).
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator

TEXT_ENCODERS = ("text_encoder", "text_encoder_2", "text_encoder_3")


@contextlib.contextmanager
def clip_skip_compat(pipe: Any) -> Iterator[list[str]]:
    """Alias ``text_model`` on CLIP text encoders that lack it; yields the components patched."""
    patched = []
    for name in TEXT_ENCODERS:
        encoder = getattr(pipe, name, None)
        if encoder is None or hasattr(encoder, "text_model") or not hasattr(encoder, "final_layer_norm"):
            continue
        object.__setattr__(encoder, "text_model", encoder)
        patched.append(name)
    try:
        yield patched
    finally:
        for name in patched:
            vars(getattr(pipe, name)).pop("text_model", None)
