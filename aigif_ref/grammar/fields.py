"""Declarative tables of the optional field groups.

Each group is stored as a presence bitmap (uvarint) followed by the values of
the set bits in increasing bit order. A field's bit position and wire type are
bitstream facts and live here; which model-dependent parameters a model family
accepts is registry data (registry.json, "families"). spec/aigif.ksy mirrors
these tables; the vectors exercise every entry so the two grammars cannot drift.

Wire types: "uvarint", "cfloat" (compact float32), "bool", "enum" (exp code into
the named registry enumeration), "pair" (two uvarints), "version" (three uvarints).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldSpec:
    bit: int
    name: str
    wire: str
    enum: str | None = None  # registry enumeration for wire == "enum"
    min: int | None = None  # bounds for uvarint fields
    max: int | None = None
    doc: str = ""


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
    FieldSpec(0, "clip_skip", "uvarint", min=1, max=64, doc="CLIP layers skipped (diffusers clip_skip)"),
    FieldSpec(1, "eta", "cfloat", doc="DDIM eta"),
    FieldSpec(2, "guidance_rescale", "cfloat", doc="guidance rescale (Lin et al.)"),
    FieldSpec(3, "original_size", "pair", doc="SDXL micro-conditioning (height, width)"),
    FieldSpec(4, "target_size", "pair", doc="SDXL micro-conditioning (height, width)"),
    FieldSpec(5, "crops_coords_top_left", "pair", doc="SDXL micro-conditioning (top, left)"),
    FieldSpec(6, "negative_original_size", "pair", doc="SDXL negative micro-conditioning"),
    FieldSpec(7, "negative_target_size", "pair", doc="SDXL negative micro-conditioning"),
    FieldSpec(8, "negative_crops_coords_top_left", "pair", doc="SDXL negative micro-conditioning"),
    FieldSpec(9, "aesthetic_score", "cfloat", doc="SDXL refiner aesthetic score"),
    FieldSpec(10, "negative_aesthetic_score", "cfloat", doc="SDXL refiner negative aesthetic score"),
    FieldSpec(11, "max_sequence_length", "uvarint", min=1, max=4096, doc="T5 prompt length (Flux)"),
    FieldSpec(12, "true_cfg_scale", "cfloat", doc="true classifier-free guidance (Flux)"),
    FieldSpec(13, "denoising_end", "cfloat", doc="fraction of steps run before handing over"),
    FieldSpec(14, "denoising_start", "cfloat", doc="fraction of steps skipped (refiner)"),
    FieldSpec(15, "add_watermarker", "bool", doc="SDXL invisible watermark applied"),
    FieldSpec(16, "safety_checker", "bool", doc="safety checker run on the output"),
    FieldSpec(17, "vae_tiling", "bool", doc="VAE decoded in tiles"),
    FieldSpec(18, "vae_upcast", "bool", doc="VAE run in float32 (force_upcast)"),
)

# Scheduler configuration where it differs from the model's default.
SCHEDULER_CONFIG: tuple[FieldSpec, ...] = (
    FieldSpec(0, "timestep_spacing", "enum", enum="timestep_spacings", doc="how inference timesteps are spaced"),
    FieldSpec(1, "use_karras_sigmas", "bool", doc="Karras et al. noise levels"),
    FieldSpec(2, "steps_offset", "uvarint", min=0, max=1000, doc="offset added to inference timesteps"),
    FieldSpec(3, "prediction_type", "enum", enum="prediction_types", doc="what the model predicts"),
    FieldSpec(4, "beta_schedule", "enum", enum="beta_schedules", doc="noise schedule family"),
    FieldSpec(5, "beta_start", "cfloat", doc="first beta of the schedule"),
    FieldSpec(6, "beta_end", "cfloat", doc="last beta of the schedule"),
    FieldSpec(7, "rescale_betas_zero_snr", "bool", doc="schedule rescaled to zero terminal SNR"),
    FieldSpec(8, "final_sigmas_type", "enum", enum="final_sigmas_types", doc="noise level of the last step"),
    FieldSpec(9, "algorithm_type", "enum", enum="algorithm_types", doc="DPM-Solver variant"),
    FieldSpec(10, "solver_order", "uvarint", min=1, max=3, doc="multistep solver order"),
    FieldSpec(11, "use_exponential_sigmas", "bool", doc="exponential noise levels"),
    FieldSpec(12, "use_beta_sigmas", "bool", doc="beta-distribution noise levels"),
    FieldSpec(13, "shift", "cfloat", doc="flow-matching timestep shift"),
    FieldSpec(14, "use_dynamic_shifting", "bool", doc="resolution-dependent shift (Flux)"),
    FieldSpec(15, "clip_sample", "bool", doc="clip predicted sample to [-1, 1]"),
    FieldSpec(16, "set_alpha_to_one", "bool", doc="final alpha product set to 1 (DDIM)"),
    FieldSpec(17, "lower_order_final", "bool", doc="lower-order final steps"),
    FieldSpec(18, "euler_at_final", "bool", doc="Euler step at the end"),
    FieldSpec(19, "thresholding", "bool", doc="dynamic thresholding"),
)

# Software and determinism settings of the generating platform.
PLATFORM: tuple[FieldSpec, ...] = (
    FieldSpec(0, "torch_version", "version", doc="torch.__version__ (major.minor.patch)"),
    FieldSpec(1, "diffusers_version", "version", doc="diffusers.__version__"),
    FieldSpec(2, "transformers_version", "version", doc="transformers.__version__"),
    FieldSpec(3, "matmul_tf32", "bool", doc="torch.backends.cuda.matmul.allow_tf32"),
    FieldSpec(4, "cudnn_tf32", "bool", doc="torch.backends.cudnn.allow_tf32"),
    FieldSpec(5, "deterministic_algorithms", "bool", doc="torch.use_deterministic_algorithms"),
    FieldSpec(6, "cudnn_benchmark", "bool", doc="torch.backends.cudnn.benchmark"),
    FieldSpec(7, "attention_backend", "enum", enum="attention_backends", doc="scaled-dot-product attention kernel"),
    FieldSpec(8, "batch_size", "uvarint", min=1, max=4096, doc="images generated per pipeline call"),
    FieldSpec(9, "batch_index", "uvarint", min=0, max=4095, doc="position of this image in its batch"),
    FieldSpec(10, "generator_device", "enum", enum="generator_devices", doc="device of the torch.Generator that drew the noise"),
    FieldSpec(11, "num_threads", "uvarint", min=1, max=4096, doc="torch.get_num_threads() on CPU"),
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
