"""Type 2, model: the paper's "saving model" with its model compressor. Reserved: not defined in v1.

Until a version defines its body, a reader treats type 2 like any unknown type (kept as bytes, or
refused when marked must-understand).
"""
from __future__ import annotations

from aigif_ref.extensions.base import UnknownExtension


class Model(UnknownExtension):
    code = 2
    name = "model"
    must_understand = True  # as registered: a reader that cannot load the model cannot render
    defined = False
    enums = {}  # model_compressors, once the body is defined
    summary = "reserved for the model weights (Table I \"saving model\"); not defined in v1"
