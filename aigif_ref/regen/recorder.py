"""Capture: run a diffusers pipeline call and write its complete generation syntax as an AIGIF file.

    image = capture(pipe, "cat.aigif", prompt="a cat", generator=torch.Generator("cpu").manual_seed(42)).images[0]

Everything that changes the pixels is read from the call and the pipeline (model, dtype, scheduler
and its config, every supported parameter, device, GPU, CUDA build, library versions, determinism
flags, thread count, generator device, batch) and checked to be expressible in the file; anything
that is not (latents or embeddings passed in, LoRA or other adapters, an unregistered scheduler, a
used generator, a callback that changes the latents, ...) is refused with AIGIF_E_CAPTURE before
the call runs, or after it if only the call can tell. The call itself is made with the arguments the
renderer will derive from the written record (same tables, same clip_skip shim), so what is
recorded is by construction what ran.
"""
from __future__ import annotations

import inspect
import secrets
import warnings
from pathlib import Path
from typing import Any, Sequence

from aigif_ref.api import decode, encode, write_atomic
from aigif_ref.codecs.pixels import encode_pixels
from aigif_ref.errors import AigifError
from aigif_ref.pixel_digest import compute_digest
from aigif_ref.regen.arguments import CORE_ARGUMENTS, PARAM_SETTINGS, call_arguments, from_diffusers, to_diffusers
from aigif_ref.regen.compat import clip_skip_compat
from aigif_ref.regen.deps import require
from aigif_ref.regen.determinism import current_attention_backend
from aigif_ref.regen.platform import current_platform
from aigif_ref.regen.render import to_rgb8
from aigif_ref.regen.scheduler import config_to_record
from aigif_ref.registry import REPO_ROOT, Registry, default_registry

# Call arguments that do not change the pixels of the recorded row (output form, observation).
HARMLESS = {"output_type", "return_dict", "callback_on_step_end", "callback_on_step_end_tensor_inputs", "generator",
            "num_images_per_prompt"}

# Load-time settings (arguments.PARAM_SETTINGS, where "load") -> how to read them off a loaded pipeline.
LOAD_STATE = {
    "safety_checker": lambda pipe: getattr(pipe, "safety_checker", None) is not None,
    "add_watermarker": lambda pipe: getattr(pipe, "watermark", None) is not None,
}

# Attention processors that compute plain scaled-dot-product attention (others change the numbers).
PLAIN_ATTENTION = {"AttnProcessor", "AttnProcessor2_0", "XFormersAttnProcessor"}


def _refuse(message: str) -> AigifError:
    return AigifError("AIGIF_E_CAPTURE", message)


# ------------------------------------------------------------------ which registry model
def _hf_cache_repo(path: Path) -> tuple[str, str] | None:
    """(repo id, revision) of a Hugging Face cache snapshot folder, e.g. .../models--org--name/snapshots/<rev>."""
    parts = path.parts
    for i, part in enumerate(parts[:-2]):
        if part.startswith("models--") and parts[i + 1] == "snapshots":
            return part[len("models--"):].replace("--", "/"), parts[i + 2]
    return None


def match_model(pipe: Any, registry: Registry) -> int:
    """The registry model a pipeline was loaded from, by its ``name_or_path``."""
    ref = str(getattr(pipe, "name_or_path", "") or "")
    path = Path(ref)
    local = path.is_dir()
    cached = _hf_cache_repo(path.resolve()) if local else None
    found = []
    for model_id, model in sorted(registry.models.items()):
        source = model["source"]
        if source.get("file") or registry.families[model["family"]]["pipeline"] != type(pipe).__name__:
            continue  # single-file components (e.g. a UNet on a base model) need an explicit model_id
        repo = source.get("hf_repo")
        if repo and (ref == repo or (cached and cached[0] == repo)):
            if cached and source.get("revision") and cached[1] != source["revision"]:
                raise _refuse(f"{ref} is revision {cached[1]} of {repo}; the registry pins model {model_id} to {source['revision']}")
            found.append(model_id)
        elif local and source.get("embedded") and path.resolve() == (REPO_ROOT / source["embedded"]).resolve():
            found.append(model_id)
        elif local and path.name == model["name"]:
            found.append(model_id)
    if len(found) != 1:
        what = "matches no registry model" if not found else f"matches several registry models ({found})"
        raise _refuse(f"the pipeline's source {ref!r} {what}: pass model_id=")
    return found[0]


# ------------------------------------------------------------------ what cannot be recorded
def _unrecordable(pipe: Any, torch: Any) -> list[str]:
    problems = []
    modules = {name: c for name, c in pipe.components.items() if isinstance(c, torch.nn.Module)}
    for name, module in modules.items():
        if getattr(module, "peft_config", None):
            problems.append(f"adapters (LoRA) loaded on {name}")
    if getattr(pipe, "_merged_adapters", None):
        problems.append("LoRA weights fused into the model")
    unet = getattr(pipe, "unet", None)
    if unet is not None:
        if getattr(unet.config, "encoder_hid_dim_type", None) == "ip_image_proj":
            problems.append("an IP-Adapter is loaded")
        if any(getattr(block, "b1", None) is not None for block in getattr(unet, "up_blocks", [])):
            problems.append("FreeU is enabled")
    for name in ("unet", "transformer"):
        model = modules.get(name)
        if model is not None and hasattr(model, "attn_processors"):
            odd = sorted({type(p).__name__ for p in model.attn_processors.values()} - PLAIN_ATTENTION)
            if odd:
                problems.append(f"{name} attention processors {', '.join(odd)}")
    for name in ("tokenizer", "tokenizer_2"):
        tokenizer = getattr(pipe, name, None)
        if tokenizer is not None and set(tokenizer.get_added_vocab()) - set(tokenizer.all_special_tokens):
            problems.append(f"tokens added to {name} (textual inversion)")
    dtypes = {str(next(m.parameters()).dtype) for m in modules.values() if any(True for _ in m.parameters())}
    if len(dtypes) > 1:
        problems.append(f"components in different dtypes ({', '.join(sorted(dtypes))})")
    return problems


def _model_payload_extension(pipe: Any, model_id: int, embed: bool) -> list[dict[str, Any]]:
    """[the model record] of a pipeline running a model payload's weights, [] for a plain one; refused when the
    weights changed after the payload was loaded (the file could not name them)."""
    from aigif_ref.api import read_bytes
    from aigif_ref.quant.cli import extension_of
    from aigif_ref.quant.loader import PAYLOAD_TAG, weights_fingerprint
    from aigif_ref.quant.payload import sha256_hex

    applied = getattr(pipe, PAYLOAD_TAG, None)
    if applied is None:
        if embed:
            raise _refuse("embed_payload=True, but no model payload was loaded into this pipeline (aigif_ref.quant.loader.load_into)")
        return []
    if applied.base_model != model_id:
        raise _refuse(f"the pipeline runs a model payload of model {applied.base_model}, not of model {model_id}")
    dtype = str(pipe.dtype).removeprefix("torch.")
    if dtype != applied.dtype:
        raise _refuse(f"the model payload was loaded in {applied.dtype}, the pipeline now runs in {dtype}: "
                      "load the payload after choosing the dtype")
    if weights_fingerprint(pipe, applied.components) != applied.fingerprint:
        raise _refuse(f"the weights of {', '.join(applied.components)} changed after the model payload was loaded; "
                      "the file could name neither the payload nor the base model")
    if not embed:
        return [{"type": 2, "must_understand": True, "model_compressor": applied.compressor, "storage": "referenced",
                 "payload_sha256": applied.sha256, "payload_size": applied.size}]
    if applied.path is None:
        raise _refuse("embed_payload=True needs the payload loaded from a file (aigif_ref.quant.loader.load_into)")
    try:
        data = read_bytes(applied.path, applied.size, "a model payload")
    except AigifError as exc:
        raise _refuse(f"cannot embed the model payload: {exc.message}") from None
    if sha256_hex(data) != applied.sha256:
        raise _refuse(f"{applied.path} changed since it was loaded: its sha256 is no longer {applied.sha256}")
    return [extension_of(data, embed=True)]


def _model_config(cls: type, pipe: Any, subfolder: str) -> dict[str, Any] | None:
    """A component's config as saved with the model (what the renderer starts from), or None."""
    try:
        return dict(cls.load_config(pipe.name_or_path, subfolder=subfolder, local_files_only=True))
    except Exception:  # no local copy (e.g. a pipeline built in memory)
        return None


# ------------------------------------------------------------------ the call -> a record
def _call_defaults(pipe: Any) -> dict[str, Any]:
    return {k: p.default for k, p in inspect.signature(pipe.__call__).parameters.items() if p.default is not inspect.Parameter.empty}


def _params(pipe: Any, family: dict[str, Any], kwargs: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name, setting in PARAM_SETTINGS.items():
        if setting.where == "call":
            if setting.target not in kwargs:
                continue
            value = kwargs[setting.target]
            default = defaults.get(setting.target)
            if value is None or (default is not None and to_diffusers(name, from_diffusers(name, value)) == to_diffusers(name, from_diffusers(name, default))):
                continue  # the pipeline's own default: nothing to record
            state = from_diffusers(name, value)
        elif setting.where == "load":
            state = LOAD_STATE[setting.target](pipe)
            if state == setting.absent:
                continue
        else:
            vae = getattr(pipe, "vae", None)
            if vae is None:
                continue
            state = getattr(vae, setting.target) if setting.where == "vae_attr" else vae.config.get(setting.target)
            if setting.absent is not None:
                if state == setting.absent:
                    continue
            else:  # absent means the model's own config value: record only a change (or when it cannot be read)
                saved = _model_config(type(vae), pipe, "vae")
                if saved is not None and saved.get(setting.target) == state:
                    continue
        if name not in family["params"]:
            raise _refuse(f"{name} = {state!r} is not a parameter of family {family['name']!r}: the renderer could not reproduce it")
        params[name] = state
    return params


def _checked_generator(torch: Any, generator: Any) -> tuple[Any, int, str]:
    if generator is None:  # diffusers would draw from the global RNG, which no file can name: seed one instead
        seed = secrets.randbits(63)
        return torch.Generator("cpu").manual_seed(seed), seed, "cpu"
    if isinstance(generator, (list, tuple)):
        raise _refuse("a list of generators (one per image): pass one torch.Generator; a batch shares it")
    if not isinstance(generator, torch.Generator):
        raise _refuse(f"generator must be a torch.Generator, not {type(generator).__name__}")
    seed = generator.initial_seed()
    fresh = torch.Generator(generator.device).manual_seed(seed)
    if not torch.equal(fresh.get_state(), generator.get_state()):
        raise _refuse(f"the generator has drawn numbers since manual_seed({seed}): its state is no longer its seed's; "
                      "seed it again just before the call")
    return generator, seed, generator.device.type


class _Watch:
    """Wraps a step callback and notes whether it changed what the pipeline computes."""

    def __init__(self, torch: Any, callback: Any) -> None:
        self.torch, self.callback, self.changed = torch, callback, set()

    def __call__(self, pipe: Any, index: int, timestep: Any, tensors: dict) -> dict:
        before = {k: v.clone() for k, v in tensors.items() if self.torch.is_tensor(v)}
        guidance = getattr(pipe, "_guidance_scale", None)
        out = self.callback(pipe, index, timestep, tensors)
        for key, old in before.items():
            new = (out or {}).get(key, tensors[key])
            if not (self.torch.is_tensor(new) and new.shape == old.shape and self.torch.equal(new, old)) or not self.torch.equal(tensors[key], old):
                self.changed.add(key)
        if getattr(pipe, "_guidance_scale", None) != guidance:
            self.changed.add("guidance_scale")
        return out


def _default_size(pipe: Any) -> int:
    sample = getattr(pipe, "default_sample_size", None) or getattr(getattr(getattr(pipe, "unet", None), "config", None), "sample_size", None)
    if not isinstance(sample, int) or not hasattr(pipe, "vae_scale_factor"):
        raise _refuse("cannot tell this pipeline's default image size: pass height= and width=")
    return sample * pipe.vae_scale_factor


def _pixel_extensions(rgb: Any, save_pixels: str | None, digest: bool) -> list[dict[str, Any]]:
    """The pixels (type 1) and pixel digest (type 3) extension records asked for, in type order."""
    extensions = [encode_pixels(rgb, save_pixels)] if save_pixels else []
    if digest:
        extensions.append(compute_digest(rgb))
    return sorted(extensions, key=lambda ext: ext["type"])


def capture(pipe: Any, path: str | Path | Sequence[str | Path], *, model_id: int | None = None,
            save_pixels: str | None = None, digest: bool = False, batch_index: int = 0,
            registry: Registry | None = None, embed_payload: bool = False, **kwargs: Any) -> Any:
    """Run ``pipe(**kwargs)`` and write the generation syntax of its image to ``path``; return the pipeline output.

    ``path``: one file, for the image at ``batch_index`` of the call, or one path per image
    (``num_images_per_prompt`` of them). ``model_id``: the registry ID, when the pipeline's
    ``name_or_path`` does not identify it. ``save_pixels``: also store the image ("png", "jxl");
    ``digest``: store a digest of the pixels so that ``aigif render --verify`` can check a render.
    A pipeline whose weights came from a model payload (``aigif_ref.quant.loader.load_into``, or the renderer) is
    recorded as that quantized model (extension type 2, the payload referenced by sha256; ``embed_payload``:
    carried in the file).
    Raises AigifError (AIGIF_E_CAPTURE) for a call the file cannot describe; nothing is written then.
    """
    torch, _ = require(offline=False)
    registry = registry or default_registry()
    model_id = match_model(pipe, registry) if model_id is None else model_id
    family = registry.family_of(model_id)
    if family["pipeline"] != type(pipe).__name__:
        raise _refuse(f"model {model_id} is family {family['name']!r} ({family['pipeline']}), but the pipeline is {type(pipe).__name__}")
    problems = _unrecordable(pipe, torch)
    model_extension = _model_payload_extension(pipe, model_id, embed_payload)
    defaults = _call_defaults(pipe)
    for key, value in kwargs.items():
        known = key in CORE_ARGUMENTS.values() or key in HARMLESS or any(
            s.where == "call" and s.target == key for s in PARAM_SETTINGS.values())
        if not known and not (value is None and defaults.get(key, 0) is None):
            problems.append(f"argument {key}=")
    if kwargs.get("output_type", "pil") not in ("pil", "np", "pt"):
        problems.append(f"output_type={kwargs['output_type']!r} (no pixels)")
    callback = kwargs.get("callback_on_step_end")
    from diffusers.callbacks import MultiPipelineCallbacks, PipelineCallback

    if isinstance(callback, (PipelineCallback, MultiPipelineCallbacks)):
        problems.append(f"callback_on_step_end={type(callback).__name__} (pipeline callbacks change the generation)")
    elif callback is not None and not callable(callback):
        problems.append("callback_on_step_end is not callable")
    if problems:
        raise _refuse("cannot be recorded in an AIGIF v1 file: " + "; ".join(problems))
    prompt, negative = kwargs.get("prompt"), kwargs.get("negative_prompt")
    if not isinstance(prompt, str) or not (negative is None or isinstance(negative, str)):
        raise _refuse("prompt (and negative_prompt, if given) must each be one string: one AIGIF file holds one prompt")

    generator, seed, generator_device = _checked_generator(torch, kwargs.get("generator"))
    count = int(kwargs.get("num_images_per_prompt") or 1)
    paths = [Path(p) for p in path] if isinstance(path, (list, tuple)) else None
    if paths is not None and len(paths) != count:
        raise _refuse(f"{len(paths)} paths for {count} image(s)")
    if not 0 <= batch_index < count:
        raise _refuse(f"batch_index {batch_index} is outside the batch of {count}")

    device = str(pipe._execution_device)
    info = current_platform(device, registry, generator_device, pipe)
    for note in info.notes:
        warnings.warn(f"aigif capture: {note}", stacklevel=2)
    if current_attention_backend(torch, pipe) is None:
        raise _refuse("several but not all SDPA backends are enabled: v1 records one backend or torch's choice")
    dtype_name = str(pipe.dtype).removeprefix("torch.")
    dtype = next((code for code, e in registry.enum("dtypes").items() if e["torch"] == dtype_name), None)
    if dtype is None:
        raise _refuse(f"dtype {dtype_name} is not in the registry")
    model_scheduler = _model_config(type(pipe.scheduler), pipe, "scheduler")
    if model_scheduler is None:
        raise _refuse(f"cannot read the model's own scheduler config from {pipe.name_or_path!r}: pass a pipeline loaded from a local folder or the Hugging Face cache")
    scheduler, scheduler_config = config_to_record(pipe.scheduler, registry, model_scheduler)
    height = kwargs.get("height") or _default_size(pipe)
    width = kwargs.get("width") or _default_size(pipe)

    platform = dict(info.platform)
    if count > 1:
        platform["batch_size"] = count
    record = {
        "model_id": model_id, "dtype": dtype, "scheduler": scheduler,
        "steps": kwargs.get("num_inference_steps", defaults.get("num_inference_steps")),
        "guidance_scale": float(kwargs.get("guidance_scale", defaults.get("guidance_scale"))),
        "seed": seed, "height": height, "width": width, "prompt": prompt, "negative_prompt": negative,
        "device": info.device, "gpu": info.gpu, "cuda": info.cuda,
        "params": _params(pipe, family, kwargs, defaults), "scheduler_config": scheduler_config, "platform": platform,
    }
    rows = range(count) if paths is not None else [batch_index]
    records = []
    for row in rows:
        one = dict(record, platform=dict(platform, **({"batch_index": row} if row else {})))
        try:
            records.append(decode(encode(one, registry), registry))
        except AigifError as exc:
            raise _refuse(f"the call's settings do not fit an AIGIF file: {exc}") from None

    # The call, with the arguments the renderer derives from the record.
    call = call_arguments(records[0])
    call.update(generator=generator, output_type="np")
    if count > 1:
        call["num_images_per_prompt"] = count
    watch = None
    if callback is not None:
        watch = _Watch(torch, callback)
        call["callback_on_step_end"] = watch
        if "callback_on_step_end_tensor_inputs" in kwargs:
            call["callback_on_step_end_tensor_inputs"] = kwargs["callback_on_step_end_tensor_inputs"]
    with clip_skip_compat(pipe):
        output = pipe(**call)
    if watch is not None and watch.changed:
        raise _refuse(f"the step callback changed {', '.join(sorted(watch.changed))}: the file cannot reproduce that; nothing written")
    if getattr(pipe, "interrupt", False):
        raise _refuse("the call was interrupted: nothing written")

    images = output.images
    for one, row in zip(records, rows):
        one["extensions"] = sorted(_pixel_extensions(to_rgb8(images[row]), save_pixels, digest) + model_extension,
                                   key=lambda ext: ext["type"])
        target = paths[row] if paths is not None else Path(path)
        write_atomic(target, encode(one, registry))

    requested = kwargs.get("output_type", "pil")
    if requested == "pil":
        output.images = pipe.image_processor.numpy_to_pil(images)
    elif requested == "pt":
        output.images = pipe.image_processor.numpy_to_pt(images)
    return output if kwargs.get("return_dict", True) else output.to_tuple()


__all__ = ["capture", "match_model"]
