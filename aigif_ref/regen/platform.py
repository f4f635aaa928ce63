"""The platform check: this machine as record codes, and what fidelity to expect from a render.

:func:`compare` is torch-free: it takes the record and a :class:`PlatformInfo` (this machine, from
:func:`current_platform`, which imports torch) and says "exact" when nothing that changes pixels
differs, otherwise "approximate" with every reason. Expected PSNR figures are the paper's Table V
(cross-platform recreation of the same file).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from aigif_ref.registry import Registry

# Devices a render can be asked for ("auto": the recorded kind when present, see Renderer.device_for).
DEVICES = ("auto", "cpu", "cuda")

# A file may declare up to 16384 x 16384 pixels (spec limits); a render that large would exhaust the
# machine's memory, so the renderer refuses more than this many pixels unless told otherwise.
DEFAULT_MAX_PIXELS = 2048 * 2048

# torch device type -> registry `devices` name.
DEVICE_KINDS: dict[str, str] = {"cpu": "CPU", "cuda": "GPU", "mps": "MPS"}

VERSION_FIELDS: dict[str, str] = {"torch_version": "torch", "diffusers_version": "diffusers", "transformers_version": "transformers"}

# Paper Table V: PSNR (dB) of a recreation against the original.
TABLE_V_ACROSS_GPUS: dict[str, float] = {"DDIM": 58.44, "DPM++ 2M": 51.31}
TABLE_V_CPU_GPU = 58.45


@dataclass
class PlatformInfo:
    """This machine in record terms: top-level codes, a platform group, and notes on what has no code."""

    device: int
    gpu: int
    cuda: int
    platform: dict[str, Any]
    dtype: int | None = None  # the dtype the render uses (None: the record's)
    gpu_name: str | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Fidelity:
    level: str  # "exact" | "approximate"
    reasons: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        return self.level == "exact"

    @property
    def statement(self) -> str:
        if self.exact:
            return "fidelity: exact (same device, GPU model, generator, dtype, libraries and determinism settings)"
        return "fidelity: approximate: " + "; ".join(self.reasons)


def release(version: str) -> str | None:
    """The numeric MAJOR.MINOR.PATCH of a version string ("2.13.0+cpu" -> "2.13.0"), as the file stores it."""
    match = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", version)
    if not match:
        return None
    major, minor, patch = match.groups()
    return f"{int(major)}.{int(minor)}.{int(patch or 0)}"


def cuda_name(version: str | None) -> str | None:
    """torch.version.cuda ("12.8") -> registry `cuda_versions` name ("cu128")."""
    return "cu" + version.replace(".", "") if version else None


def _code_or_zero(registry: Registry, enum: str, name: str | None, what: str, notes: list[str]) -> int:
    if name is None:
        return 0
    for code, entry in registry.enum(enum).items():
        if entry["name"] == name:
            return code
    notes.append(f"{what} {name!r} is not in the registry: recorded as code 0 ('unspecified')")
    return 0


def current_platform(device: str, registry: Registry, generator_device: str = "cpu", pipe: Any = None,
                     dtype: int | None = None) -> PlatformInfo:
    """This machine rendering on ``device`` ("cpu", "cuda", "cuda:1", "mps"). Imports torch."""
    import diffusers
    import torch
    import transformers

    from aigif_ref.regen.determinism import current_attention_backend, current_flags

    kind = device.split(":")[0]
    notes: list[str] = []
    group: dict[str, Any] = {
        "torch_version": release(torch.__version__),
        "diffusers_version": release(diffusers.__version__),
        "transformers_version": release(transformers.__version__),
    }
    gpu = cuda = 0
    gpu_name = None
    if kind == "cuda":
        gpu_name = torch.cuda.get_device_name(torch.device(device))
        gpu = _code_or_zero(registry, "gpus", gpu_name, "GPU", notes)
        cuda = _code_or_zero(registry, "cuda_versions", cuda_name(torch.version.cuda), "CUDA build", notes)
        group.update(current_flags(torch))
    else:
        group["num_threads"] = torch.get_num_threads()
    attention = current_attention_backend(torch, pipe)
    if attention is not None and attention != "sdpa":
        group["attention_backend"] = registry.enum_code("attention_backends", attention)
    if generator_device != "cpu":
        group["generator_device"] = registry.enum_code("generator_devices", generator_device)
    return PlatformInfo(registry.enum_code("devices", DEVICE_KINDS[kind]), gpu, cuda, group, dtype, gpu_name, notes)


def _where(registry: Registry, device: int, gpu: int, gpu_name: str | None = None) -> str:
    kind = registry.enum_name("devices", device)
    if kind != "GPU":
        return kind
    if gpu:
        return registry.enum_name("gpus", gpu)
    return gpu_name or "a GPU of unrecorded model"


def _across_gpus(registry: Registry, scheduler: int) -> str:
    name = registry.enum_name("schedulers", scheduler)
    if name in TABLE_V_ACROSS_GPUS:
        return f"expect about {TABLE_V_ACROSS_GPUS[name]:.0f} dB PSNR ({name}, paper Table V)"
    figures = ", ".join(f"{k} {v:.0f} dB" for k, v in TABLE_V_ACROSS_GPUS.items())
    return f"expect close but not identical pixels (paper Table V: {figures})"


def compare(record: dict[str, Any], current: PlatformInfo, registry: Registry) -> Fidelity:
    """The fidelity a render of ``record`` on ``current`` can promise, with every reason it is not exact."""
    reasons: list[str] = []
    recorded = record["platform"]
    here = _where(registry, current.device, current.gpu, current.gpu_name)
    there = _where(registry, record["device"], record["gpu"])
    kinds = (registry.enum_name("devices", record["device"]), registry.enum_name("devices", current.device))
    if kinds[0] != kinds[1]:
        hint = f"expect about {TABLE_V_CPU_GPU:.0f} dB PSNR (paper Table V)" if set(kinds) == {"CPU", "GPU"} else "expect close but not identical pixels"
        reasons.append(f"recorded on {there}, rendering on {here}: {hint}")
    elif kinds[0] == "GPU":
        if not record["gpu"] or record["gpu"] != current.gpu:
            reasons.append(f"recorded on {there}, rendering on {here}: {_across_gpus(registry, record['scheduler'])}")
        if record["cuda"] != current.cuda or not record["cuda"]:
            reasons.append(f"CUDA build {registry.enum_name('cuda_versions', record['cuda'])} recorded, "
                           f"{registry.enum_name('cuda_versions', current.cuda)} here: GPU kernels may differ")
    generator = (recorded.get("generator_device", 0), current.platform.get("generator_device", 0))
    if generator[0] != generator[1]:
        names = [registry.enum_name("generator_devices", g) for g in generator]
        reasons.append(f"the noise was drawn by a {names[0]} generator and is drawn here by a {names[1]} one: "
                       "expect a different image, not an approximation")
    if current.dtype is not None and current.dtype != record["dtype"]:
        reasons.append(f"recorded in {registry.enum_name('dtypes', record['dtype'])}, rendering in "
                       f"{registry.enum_name('dtypes', current.dtype)}")
    for key, library in VERSION_FIELDS.items():
        if key not in recorded:
            reasons.append(f"the {library} version is not recorded")
        elif recorded[key] != current.platform.get(key):
            reasons.append(f"recorded with {library} {recorded[key]}, rendering with {current.platform.get(key)}")
    if kinds == ("CPU", "CPU") and "num_threads" not in recorded:
        reasons.append("the CPU thread count is not recorded: float output can differ at about 1e-6 (rarely a pixel)")
    return Fidelity("approximate" if reasons else "exact", reasons, list(current.notes))
