"""The valid cases: encoded from JSON records by the reference encoder."""
from __future__ import annotations

from aigif_ref.grammar import limits
from aigif_ref.grammar.fields import GROUPS
from aigif_ref.grammar.primitives import encode_exp_code, encode_uvarint
from vectors.syntax_gen.cases import Builder, record_of
from vectors.syntax_gen.payloads import JXL_8X8, b64, pixel_digest, raw_pixels, tiny_png
from vectors.syntax_gen.registry_fixture import TEST_GPU_CODES, TEST_REGISTRY_PATH

PH_PROMPT = "a photo of a cat, highly detailed"
LONG_PROMPT = ("a photograph of an astronaut riding a horse on the moon, highly detailed, dramatic lighting, "
               "volumetric fog, 35mm film grain, wide angle, golden hour, trending on artstation")

FULL_RECORD = {
    # Every presence bit set; many fields longer than one byte, so truncation can cut inside them.
    "model_id": 2, "dtype": 1, "scheduler": 4, "device": 1, "gpu": 6, "cuda": 3,
    "steps": 300, "guidance_scale": 100.0, "seed": 2**63, "height": 1024, "width": 1024,
    "prompt": LONG_PROMPT, "negative_prompt": "blurry, low quality", "text_compressor": 0,
    "params": {"clip_skip": 2, "original_size": [1024, 1024], "target_size": [1024, 1024],
               "crops_coords_top_left": [0, 0], "vae_tiling": True},
    "scheduler_config": {"timestep_spacing": 2, "use_karras_sigmas": True, "steps_offset": 1,
                         "beta_start": 0.00085, "beta_end": 0.012, "final_sigmas_type": 1},
    "platform": {"torch_version": "2.11.0", "diffusers_version": "0.42.1", "batch_size": 1},
    "extensions": [{"type": 1000, "must_understand": False, "data": b64(bytes(range(200)))}],
}


def first_unregistered_extension_type(registry: Registry) -> int:
    """The smallest extension type code the registry does not list (an unknown type to every v1 reader)."""
    return max(registry.enum("extension_types")) + 1


def add_cases(b: Builder) -> None:
    registry = b.registries[None]
    b.valid("valid-minimal", "The smallest file: model 0, steps 1, guidance 0, seed 0, 8x8, empty prompt, every optional field absent.",
            ["minimal", "exp-code", "uvarint", "cfloat-compact", "text-none", "prompt-empty"], record_of())
    b.valid("valid-table1-example", "The paper's Table I example (SD 1.5, float16, DDIM, GPU, GTX 1080 Ti, cu121) with zlib text.",
            ["table1", "enum", "text-zlib", "negative-prompt"],
            {"model_id": 0, "dtype": 1, "scheduler": 0, "device": 1, "gpu": 1, "cuda": 1,
             "prompt": "A cute cat", "negative_prompt": "worst quality", "height": 1024, "width": 1024,
             "seed": 829557441, "steps": 25, "guidance_scale": 7.5, "text_compressor": 1})
    b.valid("valid-all-top-level-fields", "Every presence bit set: negative prompt, all zero-default enums, all three groups and an extension.",
            ["presence", "enum", "params", "scheduler_config", "platform", "extension", "negative-prompt"], FULL_RECORD)

    # Every code of every enumeration the body uses, several per file.
    enums = registry.data["enumerations"]
    group_enums = [(g, s.name, s.enum) for g, specs in GROUPS.items() for s in specs if s.wire == "enum"]
    top = {"dtype": "dtypes", "scheduler": "schedulers", "device": "devices", "gpu": "gpus", "cuda": "cuda_versions"}
    most = max(len(enums[e]) for e in [*top.values(), *(e for _, _, e in group_enums)])
    for code in range(most):
        record = record_of(model_id=code if code in registry.models else 0)
        for name, enum in top.items():
            if code in registry.enum(enum):
                record[name] = code
        for group, name, enum in group_enums:
            if code in registry.enum(enum):
                record.setdefault(group, {})[name] = code
        b.valid(f"valid-enum-codes-{code}", f"Code {code} of every registry enumeration (and model ID) that has it, top-level and in groups.",
                ["enum", "registry", *(g for g in GROUPS if g in record)], record)

    # Text block.
    b.valid("valid-text-zlib", "A prompt alone in a zlib (level 9) text block.", ["text-zlib"],
            record_of(prompt=LONG_PROMPT, text_compressor=1))
    b.valid("valid-negative-empty", "A negative prompt that is the empty string, not absent (presence bit 0 set).",
            ["negative-prompt", "text-none"], record_of(prompt="a cat", negative_prompt=""))
    b.valid("valid-negative-long", "A 2000-byte negative prompt next to a short prompt in a 'none' text block.",
            ["negative-prompt", "text-none", "uvarint"], record_of(prompt="a cat", negative_prompt=("ugly, blurry, " * 143)[:2000]))
    b.valid("valid-prompt-max-length", "A prompt of exactly 16384 UTF-8 bytes (the string limit) with text compressor 0.",
            ["limit", "text-none"], record_of(prompt="x" * limits.MAX_STRING_BYTES))
    b.valid("valid-text-max-both", "Prompt and negative prompt both at the 16384-byte limit in one 'none' text block.",
            ["limit", "text-none", "negative-prompt"],
            record_of(prompt="p" * limits.MAX_STRING_BYTES, negative_prompt="n" * limits.MAX_STRING_BYTES))
    for name, prompt, what in (
        ("cjk", "一只可爱的猫，水墨画风格", "CJK characters (3-byte UTF-8)"),
        ("emoji", "a cat 🐈 wearing a hat 🎩, 👩🏽‍🚀", "emoji (4-byte UTF-8, ZWJ sequence, skin tone modifier)"),
        ("combining", "cafe\u0301 e\u0301le\u0300ve Z\u0351\u0352\u0353", "combining characters, kept unnormalised"),
        ("nul", "before\u0000after", "a NUL byte inside it"),
    ):
        b.valid(f"valid-prompt-{name}", f"A prompt with {what}, stored as exact UTF-8 bytes.",
                ["utf8", "text-none"], record_of(prompt=prompt))

    for slug, fields, what in (
        ("prompt", {"prompt": PH_PROMPT}, "A typical prompt"),
        ("negative", {"prompt": PH_PROMPT, "negative_prompt": "blurry, low quality, worst quality"},
         "A prompt and a negative prompt"),
        ("empty", {"prompt": ""}, "An empty prompt (a lone END code)"),
        ("literals", {"prompt": "一只猫 🐈"}, "Non-ASCII text, coded as literal bytes"),
    ):
        b.valid(f"valid-text-phrase-huffman-{slug}", f"{what} in a phrase-Huffman v1 text block (text compressor 2).",
                ["text-phrase-huffman"], record_of(text_compressor=2, **fields))

    # Sizes, steps, seeds, guidance.
    b.valid("valid-size-steps-max", "Largest height and width (16384 px = 2048 units) and 1000 steps.",
            ["range", "uvarint"], record_of(height=16384, width=16384, steps=1000))
    for seed in (2**32 - 1, 2**32, 2**63, 2**64 - 1):
        b.valid(f"valid-seed-{seed}", f"Seed {seed} as a uvarint of {len(encode_uvarint(seed))} bytes.",
                ["seed", "uvarint"], record_of(seed=seed))
    for value in (15.75, 16.0, 4194303.75):
        b.valid(f"valid-guidance-compact-{value}", f"Guidance {value!r} in the compact form (even uvarint {len(encode_uvarint(int(value * 8)))} byte(s)).",
                ["cfloat-compact"], record_of(guidance_scale=value))
    for slug, value, why in (("0.1", 0.1, "not a multiple of 1/4"), ("minus-1.0", -1.0, "negative"),
                             ("minus-zero", -0.0, "negative zero"), ("float32-max", 3.4028234663852886e38, "the largest float32"),
                             ("denormal-min", 1e-45, "the smallest float32 denormal"),
                             ("4194304.0", 4194304.0, "2**22, the first value beyond the compact range")):
        b.valid(f"valid-guidance-raw-{slug}", f"Guidance {value!r} ({why}) as a raw float32 after u = 1.",
                ["cfloat-raw"], record_of(guidance_scale=value))

    # Groups: every field of every group.
    b.valid("valid-params-sd1", "Every params field of the SD 1.x family on model 0.", ["params", "cfloat-raw", "bool"],
            record_of(params={"clip_skip": 2, "eta": 0.3, "guidance_rescale": 0.7, "safety_checker": False,
                              "vae_tiling": True, "vae_upcast": True}))
    b.valid("valid-params-sdxl", "Every params field of the SDXL family (micro-conditioning pairs, denoising_end, watermarker) on model 2.",
            ["params", "pair", "bool"],
            record_of(model_id=2, height=1024, width=1024, params={
                "clip_skip": 1, "eta": 0.0, "guidance_rescale": 0.0, "original_size": [1024, 1024],
                "target_size": [1024, 1024], "crops_coords_top_left": [0, 0], "negative_original_size": [512, 512],
                "negative_target_size": [1024, 1024], "negative_crops_coords_top_left": [0, 127],
                "denoising_end": 0.8, "add_watermarker": False, "vae_tiling": False, "vae_upcast": True}))
    b.valid("valid-params-sdxl-refiner", "The refiner-only params (aesthetic scores, denoising_start) on model 3.",
            ["params", "cfloat-compact", "cfloat-raw"],
            record_of(model_id=3, height=1024, width=1024, params={
                "aesthetic_score": 6.0, "negative_aesthetic_score": 2.5, "denoising_start": 0.8}))
    b.valid("valid-params-flux", "Every params field of the FLUX family on model 6.", ["params"],
            record_of(model_id=6, height=1024, width=1024, guidance_scale=3.5, params={
                "max_sequence_length": 512, "true_cfg_scale": 1.0, "vae_tiling": True}))
    b.valid("valid-scheduler-config-all", "Every scheduler_config field in one group (bitmap of 20 bits).",
            ["scheduler_config", "bool", "cfloat-raw", "enum"],
            record_of(scheduler=4, scheduler_config={
                "timestep_spacing": 2, "use_karras_sigmas": True, "steps_offset": 1, "prediction_type": 1,
                "beta_schedule": 1, "beta_start": 0.00085, "beta_end": 0.012, "rescale_betas_zero_snr": True,
                "final_sigmas_type": 1, "algorithm_type": 0, "solver_order": 2, "use_exponential_sigmas": False,
                "use_beta_sigmas": False, "shift": 3.0, "use_dynamic_shifting": False, "clip_sample": False,
                "set_alpha_to_one": False, "lower_order_final": True, "euler_at_final": False, "thresholding": False}))
    b.valid("valid-platform-all", "Every platform field in one group, batch_index 3 of a batch of 4.",
            ["platform", "version", "bool", "enum"],
            record_of(platform={
                "torch_version": "2.11.0", "diffusers_version": "0.42.1", "transformers_version": "5.23.0",
                "matmul_tf32": False, "cudnn_tf32": False, "deterministic_algorithms": True, "cudnn_benchmark": False,
                "attention_backend": 1, "batch_size": 4, "batch_index": 3, "generator_device": 0, "num_threads": 16}))

    # Model IDs the per-code files above do not reach (the test models, 490..509).
    for model_id in sorted(m for m in registry.models if m >= most):
        b.valid(f"valid-model-id-{model_id}", f"Model ID {model_id} ({registry.models[model_id]['name']}), a "
                f"{len(encode_exp_code(model_id))}-byte exp code.", ["exp-code", "registry"], record_of(model_id=model_id))

    # Exp-code boundaries, on the gpu field of a vectors-only registry.
    for code in TEST_GPU_CODES:
        b.valid(f"valid-exp-code-{code}", f"An exp code of value {code} ({len(encode_exp_code(code))} byte(s)) in the gpu field; needs {TEST_REGISTRY_PATH}.",
                ["exp-code", "registry-test"], record_of(device=1, gpu=code), registry=TEST_REGISTRY_PATH)

    # Extensions.
    b.valid("valid-pixels-raw", "A pixels extension (type 1) with raw RGB8 data of 8x8x3 bytes.", ["extension", "pixels"],
            record_of(extensions=[{"type": 1, "pixel_compressor": 0, "data": b64(raw_pixels(8, 8))}]))
    b.valid("valid-pixels-png", "A pixels extension (type 1) holding a valid 8x8 RGB PNG.", ["extension", "pixels", "png"],
            record_of(extensions=[{"type": 1, "pixel_compressor": 1, "data": b64(tiny_png(8, 8))}]))
    b.valid("valid-pixels-jxl", "A pixels extension (type 1) holding a lossless 8x8 JPEG XL codestream.",
            ["extension", "pixels", "jxl"],
            record_of(extensions=[{"type": 1, "pixel_compressor": 2, "data": b64(JXL_8X8)}]))
    b.valid("valid-pixel-digest", "A pixel digest extension (type 3, algorithm 0) of the 8x8 raw_pixels image.",
            ["extension", "pixel-digest"],
            record_of(extensions=[{"type": 3, "digest_algorithm": 0, "data": b64(pixel_digest(8, 8))}]))
    b.valid("valid-pixels-and-digest", "Pixels (type 1, PNG) and their digest (type 3) in one file.",
            ["extension", "pixels", "png", "pixel-digest"],
            record_of(extensions=[{"type": 1, "pixel_compressor": 1, "data": b64(tiny_png(8, 8))},
                                  {"type": 3, "digest_algorithm": 0, "data": b64(pixel_digest(8, 8))}]))
    unknown = first_unregistered_extension_type(registry)
    b.valid("valid-extension-unknown", f"An unknown extension type ({unknown}, the first the registry does not list) without "
            "must-understand: kept as bytes.", ["extension", "unknown-extension"],
            record_of(extensions=[{"type": unknown, "must_understand": False, "data": b64(b"opaque extension body")}]))
    b.valid("valid-extension-unknown-1000-empty", "An unknown extension type 1000 (2-byte header) with an empty body.",
            ["extension", "unknown-extension"],
            record_of(extensions=[{"type": 1000, "must_understand": False, "data": ""}]))
    b.valid("valid-extension-type-2p62", "An unknown extension of type 2**62, whose header (type << 1) is a 10-byte uvarint.",
            ["extension", "unknown-extension", "uvarint"],
            record_of(extensions=[{"type": 2**62, "must_understand": False, "data": b64(b"x")}]))
    b.valid("valid-extensions-two", "Two extensions in increasing type order: pixels (1) then unknown type 1000.",
            ["extension", "pixels", "unknown-extension"],
            record_of(extensions=[{"type": 1, "pixel_compressor": 0, "data": b64(raw_pixels(8, 8))},
                                  {"type": 1000, "must_understand": False, "data": b64(b"\x00\x01\x02")}]))

    # A later minor version of major 1 is read; the encoder writes 1.0, so this one does not re-encode.
    s = b.cut("valid-minimal").replace((4, 5), bytes([limits.MAJOR_VERSION << 4 | 0x0F]), "1f (version 1.15)")
    b.valid_bytes("valid-future-minor-version", "Version byte 0x1F (1.15): a reader of 1.x accepts a later minor version.",
                  ["header", "version"], s.done(), reencodes=False)
