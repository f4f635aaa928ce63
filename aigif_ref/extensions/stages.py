"""Type 6, stages: a multi-stage generation (A1111's hires fix), as the sequence after the first pass.

The core record's height and width are the final image's; the first (text-to-image) pass ran at
base_height x base_width with the core steps, scheduler and guidance. Each stage then upscales the
previous result to its own size (in latent space or in pixels, by ``upscaler``) and runs image-to-image
with its steps, denoising strength and scheduler, as spec/reference-decoder.md ("Stages") defines and
aigif_ref/regen/stages.py renders. The last stage's size is the core size.
"""
from __future__ import annotations

from typing import Any

from aigif_ref.errors import AigifError
from aigif_ref.extensions.slots import Slot, SlotExtension
from aigif_ref.grammar import limits

MAX_STAGES = 8


class Stages(SlotExtension):
    code = 6
    name = "stages"
    must_understand = True
    summary = "first-pass size, then each later stage (hires fix: upscaler, size, steps, denoising strength, scheduler)"
    slots = (
        Slot("base_height", "size8", "height of the first pass in pixels"),
        Slot("base_width", "size8", "width of the first pass in pixels"),
        Slot("stages", "list", "the stages after the first pass, in order", max=MAX_STAGES, items=(
            Slot("kind", "enum", "what the stage does", enum="stage_kinds"),
            Slot("upscaler", "enum", "how the previous result is resized", enum="upscalers"),
            Slot("height", "size8", "height after this stage in pixels"),
            Slot("width", "size8", "width after this stage in pixels"),
            Slot("steps", "uvarint", "denoising steps the image-to-image pass runs (A1111's Hires steps)", min=limits.MIN_STEPS,
                 max=limits.MAX_STEPS),
            Slot("denoising_strength", "cfloat", "image-to-image strength, in (0, 1]"),
            Slot("scheduler", "enum", "the pass's scheduler", enum="schedulers"),
        )),
    )
    json_form = {"base_height": "first-pass height (pixels)", "base_width": "first-pass width (pixels)",
                 "stages": "array of {kind, upscaler, height, width, steps, denoising_strength, scheduler}"}
    enums = {"kind": "stage_kinds", "upscaler": "upscalers", "scheduler": "schedulers"}

    @classmethod
    def check(cls, fields: dict[str, Any], context: Any) -> None:
        for i, stage in enumerate(fields["stages"]):
            if not 0 < stage["denoising_strength"] <= 1:
                raise AigifError("AIGIF_E_EXTENSION", f"stages[{i}].denoising_strength must be in (0, 1]")
        last = fields["stages"][-1]
        if context is not None and (last["height"], last["width"]) != (context["height"], context["width"]):
            raise AigifError("AIGIF_E_EXTENSION", f"stages: the last stage is {last['width']}x{last['height']}, "
                                                  f"the record says {context['width']}x{context['height']}")
