"""Load the diffusers pipeline of a model family, and keep loaded pipelines for the next file.

The pipeline class is registry data (``families[].pipeline``). Weights come from the model store
(verified, safetensors only) and are loaded with ``local_files_only``; nothing is downloaded. A
pipeline is cached per (model, dtype, device, load-time settings), and per-file state (scheduler,
VAE settings) is set again for every file, so one process renders many files with one load.
"""
from __future__ import annotations

import importlib.util
import inspect
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from aigif_ref.console import DEBUG_HINT
from aigif_ref.errors import AigifError
from aigif_ref.adapters import adapter_key, apply_adapters
from aigif_ref.model_store import ResolvedModel, resolve_model, staged
from aigif_ref.quant.loader import apply, check_against_base, load_payload, payload_dirs, payload_key
from aigif_ref.regen.single_file import load_single_file, model_file_key
from aigif_ref.regen.arguments import PARAM_SETTINGS, load_arguments, vae_settings
from aigif_ref.regen.deps import quiet_diffusers, require
from aigif_ref.regen.scheduler import build_scheduler
from aigif_ref.registry import Registry


@dataclass
class LoadedPipeline:
    pipe: Any
    model: ResolvedModel
    family: dict[str, Any]
    scheduler_config: dict[str, Any]  # the model's own scheduler config, as loaded
    vae_defaults: dict[tuple[str, str], Any]  # the model's own VAE settings that records may change
    load_seconds: float
    configured_for: tuple | None = None  # the scheduler and VAE settings the pipeline holds now


def pipeline_class(diffusers: Any, family: dict[str, Any]) -> type:
    cls = getattr(diffusers, family["pipeline"], None)
    if cls is None:
        raise AigifError("AIGIF_E_PLATFORM", f"model family {family['name']!r} needs diffusers.{family['pipeline']}, "
                                                f"which diffusers {diffusers.__version__} does not have")
    return cls


def _from_pretrained_kwargs(cls: type, settings: dict[str, bool]) -> dict[str, Any]:
    """Load-time settings as from_pretrained arguments: an optional component is dropped (None) when off."""
    accepted = inspect.signature(cls.__init__).parameters
    kwargs: dict[str, Any] = {}
    for target, value in settings.items():
        if target in getattr(cls, "_optional_components", ()):
            if not value:
                kwargs[target] = None
                if "requires_" + target in accepted:
                    kwargs["requires_" + target] = False
        elif target in accepted:
            kwargs[target] = value
    return kwargs


def _vae_value(vae: Any, where: str, target: str) -> Any:
    return getattr(vae, target) if where == "vae_attr" else vae.config.get(target)


def pipeline_key(record: dict[str, Any], registry: Registry) -> tuple:
    """What the loaded weights of ``record``'s pipeline depend on (model, quantization payload, dtype, load-time
    settings, adapters, model file): files with equal keys share one load on a device. Needs no torch."""
    settings = load_arguments(record, registry.family_of(record["model_id"]))
    return (record["model_id"], payload_key(record), record["dtype"], tuple(sorted(settings.items())),
            adapter_key(record), model_file_key(record))


class PipelineCache:
    """Loaded pipelines, least recently used dropped first once more than ``capacity`` are held."""

    def __init__(self, registry: Registry, models_dir: str | None = None, allow_unpinned: bool = False, capacity: int = 2,
                 payloads: list | None = None) -> None:
        self.registry = registry
        self.payload_dirs = payload_dirs(payloads or ())  # where referenced model payloads are looked up
        self.models_dir = models_dir
        self.allow_unpinned = allow_unpinned
        self.capacity = capacity
        self._held: OrderedDict[tuple, LoadedPipeline] = OrderedDict()

    def get(self, record: dict[str, Any], device: str) -> tuple[LoadedPipeline, bool]:
        """(pipeline for ``record`` on ``device`` set up with its scheduler and VAE settings, whether it was loaded now)."""
        family = self.registry.family_of(record["model_id"])
        settings = load_arguments(record, family)
        key = (pipeline_key(record, self.registry), device)
        loaded = self._held.pop(key, None)
        fresh = loaded is None
        if fresh:
            loaded = self._load(record, family, settings, device)
        self._held[key] = loaded
        while len(self._held) > self.capacity:
            self._held.popitem(last=False)
        self._configure(loaded, record)
        return loaded, fresh

    def _load(self, record: dict[str, Any], family: dict[str, Any], settings: dict[str, bool], device: str) -> LoadedPipeline:
        torch, diffusers = require()
        for name, setting in PARAM_SETTINGS.items():
            if setting.requires and settings.get(setting.target) and importlib.util.find_spec(setting.requires[0]) is None:
                raise AigifError("AIGIF_E_DEPENDENCY", f"the file says params.{name} is on, which needs the "
                                                       f"{setting.requires[1]} package: pip install {setting.requires[1]}")
        with quiet_diffusers():  # the first access imports the pipeline module, which logs notices
            cls = pipeline_class(diffusers, family)
        model = resolve_model(record["model_id"], self.registry, self.models_dir, self.allow_unpinned)
        dtype_name = self.registry.enum("dtypes")[record["dtype"]]["torch"]
        dtype = getattr(torch, dtype_name)
        payload = load_payload(record, self.payload_dirs)  # verified and parsed before anything is loaded
        start = time.perf_counter()
        try:
            # Only the pinned, verified files, in a private folder: diffusers reads whatever a folder holds.
            with staged(model) as folder, quiet_diffusers():
                pipe = load_single_file(cls, record, folder, dtype, _from_pretrained_kwargs(cls, settings))
                if pipe is None:
                    pipe = cls.from_pretrained(folder, use_safetensors=True, local_files_only=True, dtype=dtype,
                                               **_from_pretrained_kwargs(cls, settings))
                if payload is not None:  # a quantized model: its weights replace the base model's (spec/quantized.md §8)
                    check_against_base(payload, folder)
                    apply(pipe, payload, dtype_name)
                apply_adapters(pipe, record, self.registry, folder)
                pipe.to(device)
        except AigifError:
            raise
        except Exception as exc:  # whatever the loaders raise on bad files (SafetensorError, JSON, tokenizer errors)
            raise AigifError("AIGIF_E_MODEL", f"model {model.model_id} ({model.name}) at {model.path} does not load as "
                                              f"{cls.__name__}: a file in it is damaged, missing or of another model "
                                              f"family; compare the folder with the model's release ({DEBUG_HINT})") from exc
        for name, setting in PARAM_SETTINGS.items():
            if setting.where == "load" and settings.get(setting.target) and getattr(pipe, setting.target, None) is None \
                    and setting.target in getattr(cls, "_optional_components", ()):
                raise AigifError("AIGIF_E_MODEL", f"the file says params.{name} ran, but model {model.name} at "
                                                        f"{model.path} has no {setting.target} component")
        pipe.set_progress_bar_config(disable=True)  # the renderer draws its own progress
        vae = getattr(pipe, "vae", None)
        vae_defaults = {}
        if vae is not None:
            vae_defaults = {(s.where, s.target): _vae_value(vae, s.where, s.target)
                            for s in PARAM_SETTINGS.values() if s.where.startswith("vae_")}
        return LoadedPipeline(pipe, model, family, dict(pipe.scheduler.config), vae_defaults, time.perf_counter() - start)

    def _configure(self, loaded: LoadedPipeline, record: dict[str, Any]) -> None:
        """Per-file state of a cached pipeline: scheduler and VAE settings, from the record or the model's defaults."""
        _, diffusers = require()
        pipe = loaded.pipe
        vae_wanted = vae_settings(record, loaded.family)
        key = (record["scheduler"], tuple(sorted(record["scheduler_config"].items())), tuple(sorted(vae_wanted.items())))
        if key == loaded.configured_for:
            return  # as a diffusers user reuses one scheduler across calls (each call resets it in set_timesteps)
        pipe.scheduler = build_scheduler(diffusers, record, self.registry, loaded.scheduler_config)
        vae = getattr(pipe, "vae", None)
        loaded.configured_for = key
        for (where, target), value in vae_wanted.items():
            if vae is None:
                continue
            value = loaded.vae_defaults[(where, target)] if value is None else value
            if where == "vae_attr":
                setattr(vae, target, value)
            else:
                vae.register_to_config(**{target: value})
