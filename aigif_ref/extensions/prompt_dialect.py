"""Type 7, prompt dialect: how the prompts are read (A1111 weighting, ComfyUI, compel), not plain text.

Absent: the prompts are plain text given to the pipeline as they are. A reader that ignored the
dialect would condition on the literal characters "(word:1.2)": a different image, so it is must-understand.
"""
from __future__ import annotations

from aigif_ref.extensions.slots import Slot, SlotExtension


class PromptDialect(SlotExtension):
    code = 7
    name = "prompt_dialect"
    must_understand = True
    summary = "the syntax the prompts are written in (A1111, ComfyUI, compel weighting)"
    slots = (Slot("dialect", "enum", "the prompt syntax", enum="prompt_dialects"),)
    json_form = {"dialect": "registry code of `prompt_dialects` (a name on input)"}
    enums = {"dialect": "prompt_dialects"}
