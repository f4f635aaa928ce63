"""Apply a record's adapters (extension type 5) to a loaded diffusers pipeline: LoRA, embeddings, VAE.

Each adapter is found by content hash in the user overlay (aigif_ref.user_models), its sha256 checked
again just before loading, and loaded from safetensors only through diffusers: ``load_lora_weights``
then ``set_adapters`` with the recorded UNet and text-encoder scales, ``load_textual_inversion`` with
the recorded token, a VAE by ``AutoencoderKL.from_single_file`` with the model's own VAE config.
A pipeline with adapters is loaded for that adapter set alone (the PipelineCache key holds it), so
adapters never leak into a render that does not name them.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from aigif_ref.errors import AigifError
from aigif_ref.record import find_extension
from aigif_ref.registry import Registry

ADAPTERS_TYPE = 5  # registry.json extension_types "adapters"


def adapter_key(record: dict[str, Any]) -> tuple:
    """What about a record's adapters decides the loaded weights (part of the pipeline cache key)."""
    ext = find_extension(record, ADAPTERS_TYPE)
    if ext is None:
        return ()
    return tuple((a["kind"], a["hash_algorithm"], a["digest"], a["name"], a["unet_scale"], a["text_encoder_scale"])
                 for a in ext["adapters"])


def apply_adapters(pipe: Any, record: dict[str, Any], registry: Registry, config_folder: Path | None = None) -> list[str]:
    """Load the record's adapters into ``pipe``; returns one line per adapter for the user."""
    from aigif_ref.user_models import find

    ext = find_extension(record, ADAPTERS_TYPE)
    if ext is None:
        return []
    lines, loras = [], []
    for index, adapter in enumerate(ext["adapters"]):
        kind = registry.enum_name("adapter_kinds", adapter["kind"])
        found = find(adapter["hash_algorithm"], adapter["digest"])
        try:
            if kind == "lora":
                name = f"aigif_{index}"
                pipe.load_lora_weights(str(found.path), adapter_name=name)
                loras.append((name, adapter))
            elif kind == "textual_inversion":
                pipe.load_textual_inversion(str(found.path), token=adapter["name"])
            elif kind == "vae":
                import diffusers

                if config_folder is None:
                    raise AigifError("AIGIF_E_MODEL", "a VAE override needs the model's VAE config")
                vae = diffusers.AutoencoderKL.from_single_file(str(found.path), config=str(config_folder), subfolder="vae",
                                                               local_files_only=True, torch_dtype=pipe.vae.dtype)
                pipe.vae = vae.to(pipe.device)
            else:
                raise AigifError("AIGIF_E_UNKNOWN_CODE", f"adapter kind {adapter['kind']} is not known to this decoder")
        except AigifError:
            raise
        except ImportError as exc:
            raise AigifError("AIGIF_E_DEPENDENCY", f"loading a {kind} needs the package {exc.name or 'peft'}, which is "
                                                   "not installed: pip install peft") from exc
        except Exception as exc:  # diffusers' own refusals: wrong layout, wrong model family, token already used
            raise AigifError("AIGIF_E_MODEL", f"{kind} {found.path} (sha256 {found.sha256}) does not load into "
                                              f"{type(pipe).__name__}: diffusers refused it (a file for another model "
                                              "family or of another layout, or an embedding token already in use)") from exc
        lines.append(f"{kind} {adapter['name'] or found.path.name} ({found.path}, sha256 verified)")
    if loras:
        weights = []
        for _, adapter in loras:
            weight = {"unet": adapter["unet_scale"]}
            for component in ("text_encoder", "text_encoder_2"):
                if getattr(pipe, component, None) is not None:
                    weight[component] = adapter["text_encoder_scale"]
            weights.append(weight)
        pipe.set_adapters([name for name, _ in loras], adapter_weights=weights)
    return lines
