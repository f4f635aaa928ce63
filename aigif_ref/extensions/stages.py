"""Type 6, stages: a multi-stage generation, as the sequence of stages after the first pass.

The core record's height and width are the final image's; the first (text-to-image) pass ran at
base_height x base_width with the core model, steps, scheduler and guidance. Each stage then continues
from the previous result, as spec/reference-decoder.md ("Stages") defines and aigif_ref/regen/stages.py
renders. The kind of a stage selects the layout of the rest of its entry:

- ``hires_fix`` (A1111's hires fix): upscale the previous result to the stage's size (in latent space or in
  pixels, by ``upscaler``) and run image-to-image with the record's model at the stage's steps, denoising
  strength and scheduler.
- ``refiner`` (SDXL base + refiner, diffusers' StableDiffusionXLImg2ImgPipeline): hand the previous pass's
  latents, unchanged, to a second model (``model_id``, a registry model ID as the core model_id), which runs
  the part of a ``steps``-step schedule after ``denoising_start``; the first pass stops where the record's
  ``params.denoising_end`` says. The size does not change.

The last stage's size is the core size.
"""
from __future__ import annotations

from typing import Any

from aigif_ref.errors import AigifError
from aigif_ref.extensions.slots import Slot, SlotExtension
from aigif_ref.grammar import limits

MAX_STAGES = 8
# registry stage_kinds codes whose entry layout the grammar defines (the registry is append-only, so the codes hold)
HIRES_FIX, REFINER = 0, 1
# The family of the record's model -> families a refiner stage may name: the same latent space and a
# StableDiffusionXLImg2ImgPipeline (an SDXL refiner, or an SDXL base model used as the refiner).
REFINER_FAMILIES = {"sdxl": ("sdxl-refiner", "sdxl")}


class Stages(SlotExtension):
    code = 6
    name = "stages"
    must_understand = True
    summary = ("first-pass size, then each later stage (hires fix: upscaler, size, steps, denoising strength, scheduler; "
               "refiner: steps, scheduler, model, denoising start)")
    slots = (
        Slot("base_height", "size8", "height of the first pass in pixels"),
        Slot("base_width", "size8", "width of the first pass in pixels"),
        Slot("stages", "list", "the stages after the first pass, in order", max=MAX_STAGES, items=(
            Slot("kind", "enum", "what the stage does (selects the layout of the rest of the entry)", enum="stage_kinds",
                 layouts=(HIRES_FIX, REFINER)),
            Slot("upscaler", "enum", "how the previous result is resized", enum="upscalers", when=("kind", HIRES_FIX)),
            Slot("height", "size8", "height after this stage in pixels", when=("kind", HIRES_FIX)),
            Slot("width", "size8", "width after this stage in pixels", when=("kind", HIRES_FIX)),
            Slot("steps", "uvarint", "hires fix: denoising steps the image-to-image pass runs (A1111's Hires steps); "
                 "refiner: the length of the schedule whose part after denoising_start the refiner runs "
                 "(num_inference_steps)", min=limits.MIN_STEPS, max=limits.MAX_STEPS),
            Slot("denoising_strength", "cfloat", "image-to-image strength, in (0, 1]", when=("kind", HIRES_FIX)),
            Slot("scheduler", "enum", "the pass's scheduler", enum="schedulers"),
            Slot("model_id", "model", "the model the refiner runs", when=("kind", REFINER)),
            Slot("denoising_start", "cfloat", "fraction of the schedule already run when the refiner takes over "
                 "(diffusers' denoising_start), in (0, 1)", when=("kind", REFINER)),
        )),
    )
    json_form = {"base_height": "first-pass height (pixels)", "base_width": "first-pass width (pixels)",
                 "stages": "array of {kind: hires_fix, upscaler, height, width, steps, denoising_strength, scheduler} "
                           "or {kind: refiner, steps, scheduler, model_id, denoising_start}"}
    enums = {"kind": "stage_kinds", "upscaler": "upscalers", "scheduler": "schedulers"}

    @classmethod
    def check(cls, fields: dict[str, Any], context: Any) -> None:
        size = (fields["base_height"], fields["base_width"])
        entries = fields["stages"]
        for i, stage in enumerate(entries):
            if stage["kind"] == HIRES_FIX:
                if not 0 < stage["denoising_strength"] <= 1:
                    raise AigifError("AIGIF_E_EXTENSION", f"stages[{i}].denoising_strength must be in (0, 1]")
                size = (stage["height"], stage["width"])
            else:
                cls.check_refiner(i, stage, len(entries), context)
        if context is not None and size != (context["height"], context["width"]):
            raise AigifError("AIGIF_E_EXTENSION", f"stages: the last stage is {size[1]}x{size[0]}, "
                                                  f"the record says {context['width']}x{context['height']}")

    @classmethod
    def check_refiner(cls, i: int, stage: dict[str, Any], count: int, context: Any) -> None:
        if not 0 < stage["denoising_start"] < 1:
            raise AigifError("AIGIF_E_EXTENSION", f"stages[{i}].denoising_start = {stage['denoising_start']}: the refiner "
                                                  "takes over inside the schedule, so it must be in (0, 1)")
        if i != count - 1:
            raise AigifError("AIGIF_E_EXTENSION", f"stages[{i}]: a refiner stage is the last stage ({count} stages here)")
        if context is None:
            return
        from aigif_ref.grammar.aigif import registry_of  # the grammar imports this package
        from aigif_ref.registry import default_registry

        registry = registry_of(context) or default_registry()
        base = registry.family_of(context["model_id"])["name"]
        refiner = registry.models[stage["model_id"]]  # known: the registry check of the codes came first
        allowed = REFINER_FAMILIES.get(base, ())
        if refiner["family"] not in allowed:
            why = (f"a refiner stage continues an SDXL first pass, and model {context['model_id']} is of family {base!r}"
                   if not allowed else f"a refiner after a {base!r} first pass is of family "
                                       f"{' or '.join(map(repr, allowed))}")
            raise AigifError("AIGIF_E_STAGE_MODEL", f"stages[{i}].model_id = {stage['model_id']} ({refiner['name']}) "
                                                    f"is of family {refiner['family']!r}: {why}")
