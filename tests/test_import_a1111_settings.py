"""A1111 infotext settings that change pixels: each becomes a record field or is reported by name (issue 12).

Expectations come from the same tables the importer reads (aigif_ref/importers/samplers.py, registry.json
`schedulers`, `upscalers`, `prompt_dialects`), never copied lists; the importer's table of what each diffusers
scheduler class accepts is checked against diffusers itself.
"""
from __future__ import annotations

import ast
import importlib.util
import inspect

import pytest

from aigif_ref import a1111 as export
from aigif_ref.importers import a1111, samplers
from aigif_ref.regen import prompt_weighting as pw
from aigif_ref.registry import default_registry

REGISTRY = default_registry()
SCHEDULERS = {e["name"]: e for e in REGISTRY.enum("schedulers").values()}
DIALECTS = [(e["name"], pw.dialect_options(e)) for e in REGISTRY.enum("prompt_dialects").values()
            if pw.dialect_options(e) is not None]


def infotext(**settings: str) -> str:
    base = {"Steps": "20", "Sampler": "DPM++ 2M", "CFG scale": "7", "Seed": "5", "Size": "512x512"}
    base.update(settings)
    return "a fox\nNegative prompt: blurry\n" + ", ".join(f"{k}: {v}" for k, v in base.items())


def canonical(record: dict) -> dict:
    """The canonical JSON record (registry codes) of an importer's record, as export reads it."""
    from aigif_ref.api import decode, encode

    return decode(encode(record))


def imported(**settings: str) -> tuple[dict, list[str]]:
    return a1111.to_record(infotext(**settings), REGISTRY)


@pytest.mark.parametrize("label", sorted(samplers.A1111_SCHEDULES))
def test_every_schedule_type_is_mapped_or_reported_by_name(label):
    record, unmapped = imported(**{"Schedule type": label})
    comfy = samplers.A1111_SCHEDULES[label]
    if comfy is None:
        assert any(line.startswith(f"Schedule type: {label} ") for line in unmapped)
        assert record["scheduler"] == "DPM++ 2M" and record["scheduler_config"] == {}
        return
    expected = samplers.scheduler_fields(("DPM++ 2M", {}), samplers.KDIFFUSION_SCHEDULES[comfy], REGISTRY)
    assert (record["scheduler"], record["scheduler_config"]) == expected and unmapped == []


def test_beta_schedule_is_diffusers_beta_sigmas_unless_its_shape_differs():
    record, unmapped = imported(**{"Schedule type": "Beta"})
    assert record["scheduler_config"] == {"use_beta_sigmas": True} and unmapped == []
    record, unmapped = imported(**{"Schedule type": "Beta", "Beta schedule alpha": "0.5"})
    assert any(line.startswith("Beta schedule alpha: 0.5") for line in unmapped)


@pytest.mark.parametrize("scheduler", [n for n, e in SCHEDULERS.items()
                                       if "use_karras_sigmas" not in samplers.DIFFUSERS_SIGMA_SCHEDULES[e["diffusers_class"]]
                                       and n in {m[0] for m in a1111.SAMPLERS.values()}])
def test_a_schedule_the_diffusers_scheduler_cannot_draw_is_reported_not_recorded(scheduler):
    sampler = next(k for k, (name, _) in a1111.SAMPLERS.items() if name == scheduler)
    record, unmapped = imported(Sampler=sampler, **{"Schedule type": "Karras"})
    assert "use_karras_sigmas" not in record["scheduler_config"]
    assert any(f"karras sigmas on {scheduler}" in line for line in unmapped)


def test_eta_ddim_goes_to_params_where_the_scheduler_takes_eta_and_is_reported_elsewhere():
    takes_eta = [n for n in SCHEDULERS if samplers.takes_eta(n, REGISTRY) and n in {m[0] for m in a1111.SAMPLERS.values()}]
    assert takes_eta  # DDIM
    sampler = next(k for k, (name, _) in a1111.SAMPLERS.items() if name == takes_eta[0])
    record, unmapped = imported(Sampler=sampler, **{"Eta DDIM": "0.67"})
    assert record["params"]["eta"] == 0.67 and unmapped == []
    assert "Eta DDIM: 0.67" in export.infotext(canonical(record), REGISTRY)
    record, unmapped = imported(Sampler="Euler a", Eta="0.5")  # k-diffusion ancestral eta: no diffusers equivalent
    assert "eta" not in record["params"] and any(line.startswith("Eta: 0.5 ") for line in unmapped)
    for key, default in a1111.ETA_DEFAULTS.items():  # the web UI's default value changes nothing
        record, unmapped = imported(Sampler="Euler a", **{key: str(default)})
        assert "eta" not in record["params"] and unmapped == []


@pytest.mark.parametrize("name,options", DIALECTS)
def test_emphasis_and_pad_conds_select_the_registry_dialect_and_export_back(name, options):
    settings = {}
    if "emphasis" in options:
        settings["Emphasis"] = options["emphasis"]
    if options.get("pad_conds"):
        settings["Pad conds"] = "True"
    record, unmapped = a1111.to_record(infotext(**settings).replace("a fox", "a (fox:1.2)"), REGISTRY)
    dialect = next(e for e in record["extensions"] if e["type"] == 7)["dialect"]
    assert dialect == name and unmapped == []
    again, _ = a1111.to_record(export.infotext(canonical(record), REGISTRY), REGISTRY)
    assert next(e for e in again["extensions"] if e["type"] == 7)["dialect"] == dialect


def test_an_emphasis_mode_without_a_dialect_is_reported():
    record, unmapped = imported(Emphasis="Ignore")
    assert any("Ignore" in line for line in unmapped)


def test_clip_skip_is_recorded_as_the_web_ui_applies_it():
    record, unmapped = imported(**{"Clip skip": "2", "Size": "512x768"})
    assert record["params"]["clip_skip"] == 1 and unmapped == []
    record, unmapped = imported(**{"Clip skip": "2", "Size": "1024x1024"})  # SDXL: the web UI ignores clip skip
    assert REGISTRY.models[record["model_id"]]["family"] in a1111.CLIP_SKIP_IGNORED
    assert "clip_skip" not in record["params"] and unmapped == []


def hires(upscaler: str, **more: str) -> tuple[dict, list[str]]:
    return imported(**{"Size": "512x512", "Hires upscale": "2", "Hires upscaler": upscaler,
                       "Denoising strength": "0.5", **more})


@pytest.mark.parametrize("name", [e["name"] for e in REGISTRY.enum("upscalers").values()])
def test_every_registry_upscaler_name_is_recorded_as_written(name):
    record, unmapped = hires(name)
    stage = next(e for e in record["extensions"] if e["type"] == 6)["stages"][0]
    assert stage["upscaler"] == name and unmapped == []


def test_web_ui_upscaler_spellings_and_none():
    names = {e["name"] for e in REGISTRY.enum("upscalers").values()}
    # modules/realesrgan_model.py, swinir_model.py ("SwinIR 4x" from the URL, "SwinIR_4x" once downloaded), ldsr,
    # scunet, dat, and shared.latent_upscale_modes
    assert {"R-ESRGAN 4x+", "R-ESRGAN 4x+ Anime6B", "R-ESRGAN 2x+", "SwinIR 4x", "SwinIR_4x", "LDSR", "ESRGAN_4x",
            "ScuNET GAN", "DAT x4", "Latent (nearest-exact)", "Latent (bicubic antialiased)"} <= names
    record, unmapped = hires("None")  # one Lanczos resize to 1024x1024: the Lanczos upscaler's exact result here
    assert next(e for e in record["extensions"] if e["type"] == 6)["stages"][0]["upscaler"] == "Lanczos" and unmapped == []
    record, unmapped = hires("4x_foolhardy_Remacri")
    assert any(line.startswith("Hires upscaler: 4x_foolhardy_Remacri") for line in unmapped)


def _init_and_step_parameters(cls_name: str) -> tuple[set[str], set[str]]:
    """A diffusers scheduler's __init__ and step() parameters; read from source when a backend it imports is
    missing (DPMSolverSDEScheduler needs torchsde, which this environment lacks)."""
    import diffusers

    try:
        cls = getattr(diffusers, cls_name)
        return set(inspect.signature(cls.__init__).parameters), set(inspect.signature(cls.step).parameters)
    except ImportError:
        folder = importlib.util.find_spec("diffusers.schedulers").submodule_search_locations[0]
        import pathlib

        for path in pathlib.Path(folder).glob("scheduling_*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name == cls_name:
                    methods = {f.name: f for f in node.body if isinstance(f, ast.FunctionDef)}
                    return ({a.arg for a in methods["__init__"].args.args + methods["__init__"].args.kwonlyargs},
                            {a.arg for a in methods["step"].args.args + methods["step"].args.kwonlyargs})
        raise


@pytest.mark.parametrize("cls_name", sorted({e["diffusers_class"] for e in SCHEDULERS.values()}))
def test_the_diffusers_capability_table_is_diffusers_own(cls_name):
    pytest.importorskip("diffusers")
    init, step = _init_and_step_parameters(cls_name)
    assert samplers.DIFFUSERS_SIGMA_SCHEDULES[cls_name] == tuple(k for k in samplers.SIGMA_FLAGS if k in init)
    assert (cls_name in samplers.DIFFUSERS_STEP_ETA) == ("eta" in step)
