"""Syntax cases of refiner stages (extension type 6, kind refiner): the layout each kind selects and the rules
across fields (spec/bitstream.md 9.4).

Valid files are encoded from records; each invalid file replaces the stages body of a valid one with one
defect, written by the slot codec itself (write_slots does the layout, not the rules), so the bytes follow the
declarations. Models are found by family in the registry, never by a copied ID.
"""
from __future__ import annotations

from aigif_ref.extensions import Stages
from aigif_ref.extensions.slots import write_slots
from aigif_ref.extensions.stages import HIRES_FIX, REFINER
from aigif_ref.grammar.primitives import encode_exp_code, encode_uvarint
from vectors.syntax_gen.cases import record_of

SIZE = 8  # record_of's height and width


def _model(registry, family: str) -> int:
    """The first test model of a family (the tiny shipped ones)."""
    first, last = registry.data["test_model_ids"]["first"], registry.data["test_model_ids"]["last"]
    return next(m["id"] for m in registry.data["models"] if m["family"] == family and first <= m["id"] <= last)


def _refiner(model: int, start: float = 0.75) -> dict:
    return {"kind": REFINER, "steps": 12, "scheduler": 3, "model_id": model, "denoising_start": start}


def _hires() -> dict:
    return {"kind": HIRES_FIX, "upscaler": 0, "height": SIZE, "width": SIZE, "steps": 2, "denoising_strength": 0.5,
            "scheduler": 0}


def _body(*stages: dict) -> bytes:
    return write_slots(Stages.slots, {"base_height": SIZE, "base_width": SIZE, "stages": list(stages)}, "stages")


def add_cases(b) -> None:
    registry = b.registries[None]
    base, refiner, sd1 = (_model(registry, f) for f in ("sdxl", "sdxl-refiner", "sd1"))
    unknown = registry.data["unknown_model_ids"]["first"]

    def stages_ext(*stages: dict) -> dict:
        return {"type": Stages.code, "base_height": SIZE, "base_width": SIZE, "stages": list(stages)}

    b.valid("valid-stages-refiner", f"SDXL base + refiner: model {base} (sdxl) hands over to refiner model {refiner} "
            "(sdxl-refiner) at denoising_start 0.75 (a refiner entry: kind, steps, scheduler, model_id, denoising_start).",
            ["extension", "stages", "refiner", "v1.1"], record_of(model_id=base, extensions=[stages_ext(_refiner(refiner))]))
    b.valid("valid-stages-hires-then-refiner", "A hires fix stage, then a refiner stage (the two layouts in one list), "
            "the first pass stopping at params.denoising_end 0.75.", ["extension", "stages", "refiner", "hires-fix", "v1.1"],
            record_of(model_id=base, params={"denoising_end": 0.75}, extensions=[stages_ext(_hires(), _refiner(refiner))]))

    def bad(case_id: str, description: str, body: bytes, what: str, error: str, offset_in_body: int | None) -> None:
        s = b.cut("valid-stages-refiner")
        at = s.replace_sized("ext0", body, what)
        b.invalid(case_id, description, ["extension", "stages", "refiner", "v1.1"], s.done(), error,
                  at + (offset_in_body or 0))

    bad("invalid-stages-refiner-model-family", f"A refiner stage naming model {sd1} (family sd1): an SDXL first pass "
        "is refined by an sdxl-refiner or sdxl model only.", _body(_refiner(sd1)), f"a refiner entry naming model {sd1}",
        "AIGIF_E_STAGE_MODEL", None)
    bad("invalid-stages-refiner-unknown-model", f"A refiner stage naming model ID {unknown}, which no registry assigns.",
        _body(_refiner(unknown)), f"a refiner entry naming model {unknown}", "AIGIF_E_UNKNOWN_CODE", None)
    bad("invalid-stages-denoising-start-1", "A refiner stage with denoising_start 1: the refiner takes over inside the "
        "schedule, so the value is in (0, 1).", _body(_refiner(refiner, 1.0)), "a refiner entry with denoising_start 1",
        "AIGIF_E_EXTENSION", None)
    bad("invalid-stages-refiner-not-last", "A refiner stage followed by a hires fix: a refiner is the last stage.",
        _body(_refiner(refiner), _hires()), "a refiner entry, then a hires fix entry", "AIGIF_E_EXTENSION", None)
    kind_at = len(encode_uvarint(1) * 3)  # after base_height, base_width (one unit each) and the count
    next_kind = max(registry.enum("stage_kinds")) + 1
    bad("invalid-stages-unknown-kind", f"A stage of kind {next_kind}, whose entry layout the grammar does not define: "
        "refused where the kind is read (nothing after it can be framed).",
        encode_uvarint(1) * 3 + encode_exp_code(next_kind) + bytes(4), f"an entry of kind {next_kind}",
        "AIGIF_E_UNKNOWN_CODE", kind_at)
