"""Declarative tables of the optional field groups.

Each group is stored as a presence bitmap (uvarint) followed by the values of
the set bits in increasing bit order. A field's bit position and wire type are
bitstream facts and live here; which model-dependent parameters a model family
accepts is registry data (registry.json, "families"). spec/aigif.ksy mirrors
these tables; the vectors exercise every entry so the two grammars cannot drift.

Wire types: "uvarint", "cfloat" (compact float32), "bool", "enum" (exp code into
the named registry enumeration), "pair" (two uvarints), "version" (three uvarints);
what each means (JSON Schema, spec label, error codes, Kaitai type, ...) is declared
once in aigif_ref/grammar/wire.py.

Each field also says what it does to the pixels (`pixels`: its row of the spec's
hidden-settings table) and where it goes in diffusers (`diffusers`). Adding an
optional field is one FieldSpec line here plus `python tools/regen.py`
(spec/contributing.md, "Changing the bitstream").
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aigif_ref.grammar.versions import V1_0, V1_1, Version
from aigif_ref.grammar.wire import WIRE_TYPES, WireType


@dataclass(frozen=True)
class Diffusers:
    """Where a field's value goes in diffusers.

    where: "call" (pipeline call argument), "load" (``from_pretrained`` argument: the pipeline is
    loaded, and cached, per value), "vae_attr" / "vae_config" (attribute / config key of the VAE),
    "scheduler_config" (a key of the scheduler's config), "platform" (a torch setting, applied by
    aigif_ref/regen/platform.py). absent: the value the renderer uses when the record has no entry;
    None means the model's own config (or the call's default) applies. requires: (module, pip
    package) a true value needs.
    """

    where: str
    target: str
    absent: Any = None
    requires: tuple[str, str] | None = None


@dataclass(frozen=True)
class FieldSpec:
    bit: int
    name: str
    wire: str
    enum: str | None = None  # registry enumeration for wire == "enum"
    min: int | None = None  # bounds for uvarint fields
    max: int | None = None
    doc: str = ""
    pixels: str | None = None  # the hidden-settings row this field records (fields sharing a row share the text)
    pixels_note: str = ""  # that row's note (given once per row)
    diffusers: Diffusers | None = None
    # The bitstream version that added this field: a 1.0 reader rejects its bit as reserved, so a file
    # that sets it is written with that version's byte (spec section 3). A new field declares the new version.
    since: Version = V1_0

    def __post_init__(self) -> None:
        if self.wire not in WIRE_TYPES:
            raise ValueError(f"{self.name}: unknown wire type {self.wire!r} (known: {', '.join(WIRE_TYPES)})")
        if (self.wire == "enum") != (self.enum is not None):
            raise ValueError(f"{self.name}: an enum field names its registry enumeration, and only an enum field does")

    @property
    def wire_type(self) -> WireType:
        return WIRE_TYPES[self.wire]

    def schema(self) -> dict:
        """The JSON Schema fragment of this field's value (spec/schema/record.schema.json)."""
        return {**self.wire_type.schema(self), "description": self.doc or self.name}

    @property
    def errors(self) -> tuple[str, ...]:
        """AIGIF_E_* suffixes a reader can raise inside this field's value."""
        return self.wire_type.errors


def _call(name: str) -> Diffusers:
    return Diffusers("call", name)


def _config(name: str) -> Diffusers:
    return Diffusers("scheduler_config", name)


# Top-level presence bits (the first uvarint of the body).
PRESENCE_BITS: dict[str, int] = {
    "negative_prompt": 0,
    "dtype": 1,
    "scheduler": 2,
    "device": 3,
    "gpu": 4,
    "cuda": 5,
    "params": 6,
    "scheduler_config": 7,
    "platform": 8,
}

# Model-dependent pipeline arguments (the paper's parenthesised rows beyond
# scheduler, steps and guidance, which every family has).
PARAMS: tuple[FieldSpec, ...] = (
    FieldSpec(0, "clip_skip", "uvarint", min=1, max=64, doc="CLIP layers skipped (diffusers clip_skip)",
              pixels="clip_skip", diffusers=_call("clip_skip")),
    FieldSpec(1, "eta", "cfloat", doc="DDIM eta", pixels="eta", pixels_note="DDIM and other stochastic schedulers",
              diffusers=_call("eta")),
    FieldSpec(2, "guidance_rescale", "cfloat", doc="guidance rescale (Lin et al.)", pixels="guidance_rescale",
              diffusers=_call("guidance_rescale")),
    FieldSpec(3, "original_size", "pair", doc="SDXL micro-conditioning (height, width)", pixels="SDXL micro-conditioning",
              diffusers=_call("original_size")),
    FieldSpec(4, "target_size", "pair", doc="SDXL micro-conditioning (height, width)", pixels="SDXL micro-conditioning",
              diffusers=_call("target_size")),
    FieldSpec(5, "crops_coords_top_left", "pair", doc="SDXL micro-conditioning (top, left)", pixels="SDXL micro-conditioning",
              diffusers=_call("crops_coords_top_left")),
    FieldSpec(6, "negative_original_size", "pair", doc="SDXL negative micro-conditioning", pixels="SDXL micro-conditioning",
              diffusers=_call("negative_original_size")),
    FieldSpec(7, "negative_target_size", "pair", doc="SDXL negative micro-conditioning", pixels="SDXL micro-conditioning",
              diffusers=_call("negative_target_size")),
    FieldSpec(8, "negative_crops_coords_top_left", "pair", doc="SDXL negative micro-conditioning",
              pixels="SDXL micro-conditioning", diffusers=_call("negative_crops_coords_top_left")),
    FieldSpec(9, "aesthetic_score", "cfloat", doc="SDXL refiner aesthetic score", pixels="SDXL refiner aesthetic score",
              diffusers=_call("aesthetic_score")),
    FieldSpec(10, "negative_aesthetic_score", "cfloat", doc="SDXL refiner negative aesthetic score",
              pixels="SDXL refiner aesthetic score", diffusers=_call("negative_aesthetic_score")),
    FieldSpec(11, "max_sequence_length", "uvarint", min=1, max=4096, doc="T5 prompt length (Flux)",
              pixels="T5 prompt length, true CFG (FLUX.1)", diffusers=_call("max_sequence_length")),
    FieldSpec(12, "true_cfg_scale", "cfloat", doc="true classifier-free guidance (Flux)",
              pixels="T5 prompt length, true CFG (FLUX.1)", diffusers=_call("true_cfg_scale")),
    FieldSpec(13, "denoising_end", "cfloat", doc="fraction of steps run before handing over", pixels="base/refiner hand-over",
              diffusers=_call("denoising_end")),
    FieldSpec(14, "denoising_start", "cfloat", doc="fraction of steps skipped (refiner)", pixels="base/refiner hand-over",
              diffusers=_call("denoising_start")),
    # The renderer's output must not depend on optional packages being installed, so the watermark
    # and the safety checker are off unless the file says they ran.
    FieldSpec(15, "add_watermarker", "bool", doc="SDXL invisible watermark applied", pixels="SDXL invisible watermarker",
              diffusers=Diffusers("load", "add_watermarker", absent=False, requires=("imwatermark", "invisible-watermark"))),
    FieldSpec(16, "safety_checker", "bool", doc="safety checker run on the output", pixels="safety checker",
              pixels_note="a flagged image is replaced by black", diffusers=Diffusers("load", "safety_checker", absent=False)),
    FieldSpec(17, "vae_tiling", "bool", doc="VAE decoded in tiles", pixels="VAE tiling",
              diffusers=Diffusers("vae_attr", "use_tiling", absent=False)),
    FieldSpec(18, "vae_upcast", "bool", doc="VAE run in float32 (force_upcast)", pixels="VAE upcast to float32",
              diffusers=Diffusers("vae_config", "force_upcast")),
)

# Scheduler configuration where it differs from the model's default.
SCHEDULER_CONFIG: tuple[FieldSpec, ...] = (
    FieldSpec(0, "timestep_spacing", "enum", enum="timestep_spacings", doc="how inference timesteps are spaced",
              pixels="timestep_spacing", pixels_note="only when it differs from the model's scheduler config", diffusers=_config("timestep_spacing")),
    FieldSpec(1, "use_karras_sigmas", "bool", doc="Karras et al. noise levels",
              pixels="use_karras_sigmas", pixels_note="also implied by presets such as DPM++ 2M Karras", diffusers=_config("use_karras_sigmas")),
    FieldSpec(2, "steps_offset", "uvarint", min=0, max=1000, doc="offset added to inference timesteps",
              pixels="steps_offset", diffusers=_config("steps_offset")),
    FieldSpec(3, "prediction_type", "enum", enum="prediction_types", doc="what the model predicts",
              pixels="other scheduler config keys", diffusers=_config("prediction_type")),
    FieldSpec(4, "beta_schedule", "enum", enum="beta_schedules", doc="noise schedule family",
              pixels="other scheduler config keys", diffusers=_config("beta_schedule")),
    FieldSpec(5, "beta_start", "cfloat", doc="first beta of the schedule",
              pixels="other scheduler config keys", diffusers=_config("beta_start")),
    FieldSpec(6, "beta_end", "cfloat", doc="last beta of the schedule",
              pixels="other scheduler config keys", diffusers=_config("beta_end")),
    FieldSpec(7, "rescale_betas_zero_snr", "bool", doc="schedule rescaled to zero terminal SNR",
              pixels="other scheduler config keys", diffusers=_config("rescale_betas_zero_snr")),
    FieldSpec(8, "final_sigmas_type", "enum", enum="final_sigmas_types", doc="noise level of the last step",
              pixels="other scheduler config keys", diffusers=_config("final_sigmas_type")),
    FieldSpec(9, "algorithm_type", "enum", enum="algorithm_types", doc="DPM-Solver variant",
              pixels="other scheduler config keys", diffusers=_config("algorithm_type")),
    FieldSpec(10, "solver_order", "uvarint", min=1, max=3, doc="multistep solver order",
              pixels="other scheduler config keys", diffusers=_config("solver_order")),
    FieldSpec(11, "use_exponential_sigmas", "bool", doc="exponential noise levels",
              pixels="other scheduler config keys", diffusers=_config("use_exponential_sigmas")),
    FieldSpec(12, "use_beta_sigmas", "bool", doc="beta-distribution noise levels",
              pixels="other scheduler config keys", diffusers=_config("use_beta_sigmas")),
    FieldSpec(13, "shift", "cfloat", doc="flow-matching timestep shift",
              pixels="other scheduler config keys", diffusers=_config("shift")),
    FieldSpec(14, "use_dynamic_shifting", "bool", doc="resolution-dependent shift (Flux)",
              pixels="other scheduler config keys", diffusers=_config("use_dynamic_shifting")),
    FieldSpec(15, "clip_sample", "bool", doc="clip predicted sample to [-1, 1]",
              pixels="other scheduler config keys", diffusers=_config("clip_sample")),
    FieldSpec(16, "set_alpha_to_one", "bool", doc="final alpha product set to 1 (DDIM)",
              pixels="other scheduler config keys", diffusers=_config("set_alpha_to_one")),
    FieldSpec(17, "lower_order_final", "bool", doc="lower-order final steps",
              pixels="other scheduler config keys", diffusers=_config("lower_order_final")),
    FieldSpec(18, "euler_at_final", "bool", doc="Euler step at the end",
              pixels="other scheduler config keys", diffusers=_config("euler_at_final")),
    FieldSpec(19, "thresholding", "bool", doc="dynamic thresholding",
              pixels="other scheduler config keys", diffusers=_config("thresholding")),
)

# Software and determinism settings of the generating platform.
PLATFORM: tuple[FieldSpec, ...] = (
    FieldSpec(0, "torch_version", "version", doc="torch.__version__ (major.minor.patch)",
              pixels="library versions"),
    FieldSpec(1, "diffusers_version", "version", doc="diffusers.__version__",
              pixels="library versions"),
    FieldSpec(2, "transformers_version", "version", doc="transformers.__version__",
              pixels="library versions"),
    FieldSpec(3, "matmul_tf32", "bool", doc="torch.backends.cuda.matmul.allow_tf32",
              pixels="TF32 matmul"),
    FieldSpec(4, "cudnn_tf32", "bool", doc="torch.backends.cudnn.allow_tf32",
              pixels="cuDNN TF32 (on by default)"),
    FieldSpec(5, "deterministic_algorithms", "bool", doc="torch.use_deterministic_algorithms",
              pixels="deterministic algorithms"),
    FieldSpec(6, "cudnn_benchmark", "bool", doc="torch.backends.cudnn.benchmark",
              pixels="cudnn.benchmark"),
    FieldSpec(7, "attention_backend", "enum", enum="attention_backends", doc="scaled-dot-product attention kernel",
              pixels="attention (SDPA) backend"),
    FieldSpec(8, "batch_size", "uvarint", min=1, max=4096, doc="images generated per pipeline call",
              pixels="batch composition", pixels_note="row 0 of a batch of 2 differs from a batch of 1 on GPU"),
    FieldSpec(9, "batch_index", "uvarint", min=0, max=4095, doc="position of this image in its batch (below batch_size)",
              pixels="batch composition"),
    FieldSpec(10, "generator_device", "enum", enum="generator_devices", doc="device of the torch.Generator that drew the noise",
              pixels="generator device (CPU and CUDA streams differ)"),
    FieldSpec(11, "num_threads", "uvarint", min=1, max=4096, doc="torch.get_num_threads() on CPU",
              pixels="CPU thread count", pixels_note="float output changes at about 1e-6 with the thread count"),
    FieldSpec(12, "cpu_capability", "enum", enum="cpu_capabilities",
              doc="instruction set of the CPU kernels (torch.backends.cpu.get_cpu_capability(), oneDNN and MKL held to it)",
              pixels="CPU kernel instruction set",
              pixels_note="AVX2 and AVX-512 kernels differ at about 1e-6, up to 1/255 in RGB8; a decoder holds "
                          "torch, oneDNN and MKL to the recorded set before torch starts",
              diffusers=Diffusers("platform", "ATEN_CPU_CAPABILITY, ONEDNN_MAX_CPU_ISA, MKL_ENABLE_INSTRUCTIONS"),
              since=V1_1),
)

GROUPS: dict[str, tuple[FieldSpec, ...]] = {
    "params": PARAMS,
    "scheduler_config": SCHEDULER_CONFIG,
    "platform": PLATFORM,
}

# Top-level enumerations that default to code 0 when their presence bit is clear.
ZERO_DEFAULT_ENUMS: dict[str, str] = {
    "dtype": "dtypes",
    "scheduler": "schedulers",
    "device": "devices",
    "gpu": "gpus",
    "cuda": "cuda_versions",
}
