"""The platform check: this machine as record codes, and what fidelity to expect from a render.

:func:`compare` is torch-free: it takes the record and a :class:`PlatformInfo` (this machine, from
:func:`current_platform`, which imports torch) and says "exact" when nothing that changes pixels
differs, otherwise "approximate" with every reason. The PSNR it quotes comes from measurements
(fidelity-measurements.json, read by :mod:`aigif_ref.regen.measurements`), per device and dtype pair.

CPU results depend on the instruction set the kernel libraries use (torch's own kernels, oneDNN, MKL:
AVX2 and AVX-512 differ at about 1e-6, up to 1/255 in RGB8; benchmarks/cpu_determinism.py). The platform
field ``cpu_capability`` records it (spec 1.1), and a CPU render is promised exact only when it names the
instruction set the kernels use here. The libraries read their caps once, when torch starts, so
:func:`hold_cpu_kernels` sets them from the record before torch is imported (the CLI does this); a
process that already started torch with other kernels gets "approximate" and why.
"""
from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from typing import Any

from aigif_ref.regen.measurements import find
from aigif_ref.registry import Registry

# Devices a render can be asked for ("auto": the recorded kind when present, see Renderer.device_for).
DEVICES = ("auto", "cpu", "cuda")

# A file may declare up to 16384 x 16384 pixels (spec limits); a render that large would exhaust the
# machine's memory, so the renderer refuses more than this many pixels unless told otherwise.
DEFAULT_MAX_PIXELS = 2048 * 2048

# torch device type -> registry `devices` name.
DEVICE_KINDS: dict[str, str] = {"cpu": "CPU", "cuda": "GPU", "mps": "MPS"}

VERSION_FIELDS: dict[str, str] = {"torch_version": "torch", "diffusers_version": "diffusers", "transformers_version": "transformers"}

# The variables that cap the instruction set of oneDNN and MKL (torch's own kernels: ATEN_CPU_CAPABILITY,
# which torch.backends.cpu.get_cpu_capability() already reflects). Unset: each uses the best the CPU has.
CPU_ISA_VARIABLES: dict[str, str] = {"oneDNN": "ONEDNN_MAX_CPU_ISA", "MKL": "MKL_ENABLE_INSTRUCTIONS"}

# Registry `cpu_capabilities` name -> the variables that hold torch, oneDNN and MKL to it (read when torch
# starts). Only the x86 sets can be chosen; elsewhere the kernels are the CPU's own.
KERNEL_ENVIRONMENTS: dict[str, dict[str, str]] = {
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"},
    "avx512": {"ATEN_CPU_CAPABILITY": "avx512", "ONEDNN_MAX_CPU_ISA": "AVX512_CORE", "MKL_ENABLE_INSTRUCTIONS": "AVX512"},
}
# best_cpu_isa() -> the held sets that CPU can run.
RUNNABLE: dict[str | None, tuple[str, ...]] = {"AVX512": ("avx2", "avx512"), "AVX2": ("avx2",), None: ()}
# torch.backends.cpu.get_cpu_capability() spellings that are not the registry name in upper case.
TORCH_CAPABILITY_NAMES: dict[str, str] = {"NO AVX": "default", "Z VECTOR": "zvector"}


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
    cpu_capability: str | None = None  # registry `cpu_capabilities` name of the CPU kernels (None: mixed or unknown)


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


def best_cpu_isa() -> str | None:
    """The best instruction set oneDNN and MKL pick on this CPU when not capped (from /proc/cpuinfo; None: unknown)."""
    try:
        text = open("/proc/cpuinfo", encoding="utf-8").read()
    except OSError:
        return None
    flags = set(next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), []))
    if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags:
        return "AVX512"
    return "AVX2" if {"avx2", "fma"} <= flags else None


def current_cpu_capability(torch: Any) -> str | None:
    """The registry `cpu_capabilities` name of the CPU kernels ("avx2", "avx512", ...): torch's own, when oneDNN and
    MKL use the same (capped by their variables, or uncapped on a CPU whose best it is); None for a mix no single
    name describes."""
    aten = torch.backends.cpu.get_cpu_capability().upper()
    best = best_cpu_isa()
    for variable in CPU_ISA_VARIABLES.values():
        cap = os.environ.get(variable, "").upper().replace("_CORE", "")
        used = cap or best
        if used is not None and not used.startswith(aten):
            return None
    return TORCH_CAPABILITY_NAMES.get(aten, aten.lower())


def can_hold(name: str) -> bool:
    """Whether this CPU can run the kernels of instruction set ``name`` and the three libraries can be held to it."""
    return name in KERNEL_ENVIRONMENTS and name in RUNNABLE.get(best_cpu_isa(), ())


def _assignments(name: str) -> str:
    return " ".join(f"{k}={v}" for k, v in KERNEL_ENVIRONMENTS[name].items())


def hold_cpu_kernels(record: dict[str, Any], registry: Registry) -> str | None:
    """Before torch starts: hold torch, oneDNN and MKL to the CPU instruction set the record names, so that a CPU
    render can be exact. Returns the set held, or None when the record names none, this CPU cannot run it, or torch
    is already imported (its libraries read the caps once; the forecast then says approximate and why)."""
    code = record["platform"].get("cpu_capability")
    if code is None or "torch" in sys.modules:
        return None
    name = registry.enum_name("cpu_capabilities", code)
    if not can_hold(name):
        return None
    os.environ.update(KERNEL_ENVIRONMENTS[name])
    return name


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
    capability = current_cpu_capability(torch)
    if kind == "cpu" and capability is not None:
        if capability in {e["name"] for e in registry.enum("cpu_capabilities").values()}:
            group["cpu_capability"] = registry.enum_code("cpu_capabilities", capability)
        else:
            notes.append(f"CPU instruction set {capability!r} is not in the registry: not recorded")
    attention = current_attention_backend(torch, pipe)
    if attention is not None and attention != "sdpa":
        group["attention_backend"] = registry.enum_code("attention_backends", attention)
    if generator_device != "cpu":
        group["generator_device"] = registry.enum_code("generator_devices", generator_device)
    return PlatformInfo(registry.enum_code("devices", DEVICE_KINDS[kind]), gpu, cuda, group, dtype, gpu_name, notes, capability)


def _where(registry: Registry, device: int, gpu: int, gpu_name: str | None = None) -> str:
    kind = registry.enum_name("devices", device)
    if kind != "GPU":
        return kind
    if gpu:
        return registry.enum_name("gpus", gpu)
    return gpu_name or "a GPU of unrecorded model"


def _measured(registry: Registry, record: dict[str, Any], current: PlatformInfo, **here_extra: Any) -> str:
    """What the measurements say about this pair, or that there is none."""
    made = {"device": registry.enum_name("devices", record["device"]), "dtype": registry.enum_name("dtypes", record["dtype"]),
            "scheduler": registry.enum_name("schedulers", record["scheduler"])}
    dtype = record["dtype"] if current.dtype is None else current.dtype
    here = {"device": registry.enum_name("devices", current.device), "dtype": registry.enum_name("dtypes", dtype), **here_extra}
    rows = find(made, here)
    if not rows:
        return "no measurement for this pair: expect close but not identical pixels"
    return "; ".join(m.text for m in rows)


def compare(record: dict[str, Any], current: PlatformInfo, registry: Registry) -> Fidelity:
    """The fidelity a render of ``record`` on ``current`` can promise, with every reason it is not exact."""
    reasons: list[str] = []
    recorded = record["platform"]
    here = _where(registry, current.device, current.gpu, current.gpu_name)
    there = _where(registry, record["device"], record["gpu"])
    kinds = (registry.enum_name("devices", record["device"]), registry.enum_name("devices", current.device))
    if kinds[0] != kinds[1]:
        reasons.append(f"recorded on {there}, rendering on {here}: {_measured(registry, record, current)}")
    elif kinds[0] == "GPU":
        if not record["gpu"] or record["gpu"] != current.gpu:
            reasons.append(f"recorded on {there}, rendering on {here}: {_measured(registry, record, current, other_gpu_model=True)}")
        if record["cuda"] != current.cuda or not record["cuda"]:
            reasons.append(f"CUDA build {registry.enum_name('cuda_versions', record['cuda'])} recorded, "
                           f"{registry.enum_name('cuda_versions', current.cuda)} here: GPU kernels may differ")
    generator = (recorded.get("generator_device", 0), current.platform.get("generator_device", 0))
    if generator[0] != generator[1]:
        names = [registry.enum_name("generator_devices", g) for g in generator]
        reasons.append(f"the noise was drawn by a {names[0]} generator and is drawn here by a {names[1]} one: "
                       "expect a different image, not an approximation")
    if current.dtype is not None and current.dtype != record["dtype"] and kinds[0] == kinds[1]:
        reasons.append(f"recorded in {registry.enum_name('dtypes', record['dtype'])}, rendering in "
                       f"{registry.enum_name('dtypes', current.dtype)}: {_measured(registry, record, current)}")
    for key, library in VERSION_FIELDS.items():
        if key not in recorded:
            reasons.append(f"the {library} version is not recorded")
        elif recorded[key] != current.platform.get(key):
            reasons.append(f"recorded with {library} {recorded[key]}, rendering with {current.platform.get(key)}")
    if kinds == ("CPU", "CPU") and "num_threads" not in recorded:
        reasons.append("the CPU thread count is not recorded: float output can differ at about 1e-6 (rarely a pixel)")
    if kinds == ("CPU", "CPU"):
        code = recorded.get("cpu_capability")
        made_with = None if code is None else registry.enum_name("cpu_capabilities", code)
        if made_with is None or made_with != current.cpu_capability:
            what = "is not recorded" if made_with is None else f"was {made_with}"
            why = ""
            if made_with is not None and can_hold(made_with):
                why = (f" (this CPU runs {made_with} kernels, but torch started in this process with others: render in a new "
                       f"process, as the aigif command does, or set {_assignments(made_with)} before importing torch)")
            elif made_with is not None:
                why = f" (this CPU cannot run the {made_with} kernels, or they cannot be chosen here)"
            reasons.append(f"the CPU instruction set of the kernels {what}, here {current.cpu_capability or 'mixed (oneDNN or MKL capped)'}"
                           f"{why}: {_measured(registry, record, current)}")
    return Fidelity("approximate" if reasons else "exact", reasons, list(current.notes))
