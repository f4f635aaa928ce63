meta:
  id: aigif
  title: AIGIF v1, AI-generated image format (generation syntax)
  file-extension: aigif
  license: Apache-2.0
  ks-version: '0.11'
  endian: le
  bit-endian: be
doc: |
  An AIGIF file stores the generation syntax of an AI-generated image (model ID,
  prompt, negative prompt, size, seed, scheduler, steps, guidance, data type,
  platform) instead of its pixels; a decoder regenerates the image.

  This grammar is the second, independent description of AIGIF v1; the normative
  text is spec/bitstream.md and the reference parser is aigif_ref (construct).
  Every canonical-form rule and limit Kaitai Struct can express is a `valid:`
  check here, placed so that checks fail in the same order as the reference
  (stream order, first failure wins). Each check names, in the custom key
  `-aigif-error`, the stable error code (spec/bitstream.md#12-error-codes) a reader
  reports when it fails; an end of stream inside any field is AIGIF_E_TRUNCATED.

  Not expressible in Kaitai Struct and left to the reader (conformance/impls/kaitai_python/adapter.py
  shows how): decoding the text block (zlib canonical form, phrase-huffman-v1,
  UTF-8), the CRC-32 value, every registry check (spec/registry.md), and the
  rules across fields of extension types 5 and 6, which follow the registry check
  of their codes (spec/bitstream.md section 9.4).

  Generated parts (tools/gen_ksy.py, between BEGIN/END GENERATED comments): the
  field groups, the body types of extension types 4-9 and the version checks, from
  the declarations the reference grammar is built from.
doc-ref:
  - spec/bitstream.md
  - spec/bitstream.md#112-order-of-checks
  - >-
    Gao, Feng, Li, Li, Chen: "Toward Defining an Efficient and Expandable File
    Format for AI-Generated Contents", Table I (file format example) and
    Sec. II.B.3 (exp code)

seq:
  - id: header
    type: header
    doc: Signature, version and CRC-32, the first 9 bytes.
    doc-ref: spec/bitstream.md#2-file-structure
  - id: body
    size-eos: true
    type: body
    doc: |
      Everything after the header, up to the end of the file: the generation
      syntax, then extension records until the end of the file.
    doc-ref: spec/bitstream.md#6-body

types:
  header:
    doc: The 9-byte header. The CRC-32 covers the whole file except itself.
    doc-ref: spec/bitstream.md#2-file-structure
    seq:
      - id: check_file_size
        size: 0
        valid:
          expr: _io.size <= 268435456
        -aigif-error: AIGIF_E_LIMIT
        doc: A reader accepts files of at most 256 MiB (checked before anything else).
        doc-ref: spec/bitstream.md#111-limits
      - id: signature
        type: signature
        doc: Magic bytes 0x89 "AIG".
        doc-ref: spec/bitstream.md#3-signature-and-version
      - id: version_major
        type: b4
        valid: 1
        -aigif-error: AIGIF_E_VERSION
        doc: |
          Major version (high nibble of the version byte); 1 for this grammar.
          Checked as soon as the version byte is read, before the rest of the
          header: a 5..8-byte file with another major version is that version's.
        doc-ref: spec/bitstream.md#3-signature-and-version
      - id: version_minor
        type: b4
        doc: |
          Minor version (low nibble); readers accept any minor version of major 1. A
          file carries the lowest version whose features it uses: each feature newer
          than 1.0 is checked against it where it is read (check_version in the groups
          and extension records), and after the last record a known version above what
          the features need is refused (body.check_version).
        doc-ref: spec/bitstream.md#3-signature-and-version
      - id: crc32
        type: u4
        doc: |
          CRC-32 (ISO-HDLC, as zlib.crc32), stored little-endian, over bytes
          0..4 and 9..end of the file. Kaitai Struct cannot compute it: a reader
          compares it after the body parses (a CRC mismatch is reported last).
        doc-ref: spec/bitstream.md#4-crc-32

  signature:
    doc: |
      The signature, one byte at a time, so that a file shorter than 4 bytes is
      "not AIGIF" when its bytes differ from the signature's first bytes and
      "truncated" when they match.
    doc-ref: spec/bitstream.md#3-signature-and-version
    seq:
      - id: byte_0
        contents: [0x89]
        -aigif-error: AIGIF_E_SIGNATURE
        doc: 0x89, a byte with the high bit set (catches 7-bit transfers).
        doc-ref: spec/bitstream.md#3-signature-and-version
      - id: byte_1
        contents: A
        -aigif-error: AIGIF_E_SIGNATURE
        doc: ASCII "A".
        doc-ref: spec/bitstream.md#3-signature-and-version
      - id: byte_2
        contents: I
        -aigif-error: AIGIF_E_SIGNATURE
        doc: ASCII "I".
        doc-ref: spec/bitstream.md#3-signature-and-version
      - id: byte_3
        contents: G
        -aigif-error: AIGIF_E_SIGNATURE
        doc: ASCII "G".
        doc-ref: spec/bitstream.md#3-signature-and-version

  body:
    doc: The generation syntax and the extension records.
    doc-ref: spec/bitstream.md#6-body
    seq:
      - id: core
        type: core
        doc: Presence bitmap, Table I's model and data configuration, and the text block.
        doc-ref: spec/bitstream.md#6-body
      - id: device
        type: exp_code
        if: core.has_device
        valid:
          expr: _.value != 0
        -aigif-error: AIGIF_E_NONCANONICAL
        doc: Registry enumeration devices; absent means code 0, so a present code is nonzero.
        doc-ref: spec/bitstream.md#61-presence-bitmap
      - id: gpu
        type: exp_code
        if: core.has_gpu
        valid:
          expr: _.value != 0
        -aigif-error: AIGIF_E_NONCANONICAL
        doc: Registry enumeration gpus; absent means code 0, so a present code is nonzero.
        doc-ref: spec/bitstream.md#61-presence-bitmap
      - id: cuda
        type: exp_code
        if: core.has_cuda
        valid:
          expr: _.value != 0
        -aigif-error: AIGIF_E_NONCANONICAL
        doc: Registry enumeration cuda_versions; absent means code 0, so a present code is nonzero.
        doc-ref: spec/bitstream.md#61-presence-bitmap
      - id: params
        type: params
        if: core.has_params
        doc: Model-dependent pipeline arguments (the parenthesised rows of Table I).
        doc-ref: spec/bitstream.md#81-params-model-dependent-pipeline-arguments
      - id: scheduler_config
        type: scheduler_config
        if: core.has_scheduler_config
        doc: Scheduler configuration where it differs from the model's default.
        doc-ref: spec/bitstream.md#83-scheduler_config-scheduler-configuration
      - id: platform
        type: platform
        if: core.has_platform
        doc: Software and determinism settings of the generating platform.
        doc-ref: spec/bitstream.md#84-platform-software-and-determinism-settings
      - id: extensions
        type: 'extension(_index, _index == 0 ? 0 : extensions[_index - 1].ext_type, _index == 0 ? 0 : extensions[_index - 1].needed_minor)'
        repeat: eos
        doc: Extension records up to the end of the file, types strictly increasing.
        doc-ref: spec/bitstream.md#9-extension-records
      # BEGIN GENERATED: body-version-check (tools/gen_ksy.py; do not edit)
      - id: check_version
        size: 0
        valid:
          expr: "_root.header.version_minor > 1 or _root.header.version_minor == needed_minor"
        -aigif-error: AIGIF_E_NONCANONICAL
        doc: "A file of a version this grammar knows (up to 1.1) carries the lowest version its features need: a higher one is a second encoding of the same record. Checked after the last extension record."
        doc-ref: spec/bitstream.md#3-signature-and-version
      # END GENERATED: body-version-check
    instances:
      # BEGIN GENERATED: body-version-instances (tools/gen_ksy.py; do not edit)
      groups_needed_minor:
        value: "(((core.has_platform and (platform.bitmap.value & 0x1000) != 0)) ? 1 : 0)"
        doc: The lowest minor version the group fields present need.
        doc-ref: spec/bitstream.md#3-signature-and-version
      needed_minor:
        value: "extensions.size > 0 and extensions.last.needed_minor > groups_needed_minor ? extensions.last.needed_minor : groups_needed_minor"
        doc: The lowest minor version whose features the file uses.
        doc-ref: spec/bitstream.md#3-signature-and-version
      # END GENERATED: body-version-instances

  core:
    doc: |
      The presence bitmap and the fields every file has, up to and including the
      text block. A reader decodes the text block as soon as this part is read.
    doc-ref: spec/bitstream.md#6-body
    seq:
      - id: presence
        type: uvarint
        valid:
          expr: _.value >> 9 == 0
        -aigif-error: AIGIF_E_RESERVED
        doc: |
          Which optional top-level fields follow: bit 0 negative prompt, 1 dtype,
          2 scheduler, 3 device, 4 gpu, 5 cuda, 6 params, 7 scheduler_config,
          8 platform. Bits 9 and up are reserved and must be zero.
        doc-ref: spec/bitstream.md#61-presence-bitmap
      - id: model_id
        type: exp_code
        doc: Registry model ID (Table I "model ID", an exp code so the list can grow).
        doc-ref: spec/bitstream.md#6-body
      - id: dtype
        type: exp_code
        if: has_dtype
        valid:
          expr: _.value != 0
        -aigif-error: AIGIF_E_NONCANONICAL
        doc: Registry enumeration dtypes; absent means code 0, so a present code is nonzero.
        doc-ref: spec/bitstream.md#6-body
      - id: scheduler
        type: exp_code
        if: has_scheduler
        valid:
          expr: _.value != 0
        -aigif-error: AIGIF_E_NONCANONICAL
        doc: Registry enumeration schedulers; absent means code 0, so a present code is nonzero.
        doc-ref: spec/bitstream.md#6-body
      - id: steps
        type: uvarint
        valid:
          expr: _.value >= 1 and _.value <= 1000
        -aigif-error: AIGIF_E_RANGE
        doc: Number of inference steps, 1..1000.
        doc-ref: spec/bitstream.md#6-body
      - id: guidance_scale
        type: cfloat
        doc: Classifier-free guidance scale (float32).
        doc-ref: spec/bitstream.md#6-body
      - id: seed
        type: uvarint
        doc: Generator seed, any 64-bit unsigned value.
        doc-ref: spec/bitstream.md#6-body
      - id: height_units
        type: uvarint
        valid:
          expr: _.value >= 1 and _.value <= 2048
        -aigif-error: AIGIF_E_RANGE
        doc: Image height in units of 8 pixels, 1..2048 (8..16384 px).
        doc-ref: spec/bitstream.md#6-body
      - id: width_units
        type: uvarint
        valid:
          expr: _.value >= 1 and _.value <= 2048
        -aigif-error: AIGIF_E_RANGE
        doc: Image width in units of 8 pixels, 1..2048 (8..16384 px).
        doc-ref: spec/bitstream.md#6-body
      - id: text
        type: text_block
        doc: Prompt, and negative prompt when presence bit 0 is set.
        doc-ref: spec/bitstream.md#7-text-block
    instances:
      height:
        value: height_units.value * 8
        doc: Image height in pixels.
        doc-ref: spec/bitstream.md#6-body
      width:
        value: width_units.value * 8
        doc: Image width in pixels.
        doc-ref: spec/bitstream.md#6-body
      has_negative_prompt:
        value: (presence.value & 1) != 0
        doc: The text block holds two strings (prompt, negative prompt); else one.
        doc-ref: spec/bitstream.md#61-presence-bitmap
      has_dtype:
        value: ((presence.value >> 1) & 1) != 0
        doc: Presence bit 1.
        doc-ref: spec/bitstream.md#61-presence-bitmap
      has_scheduler:
        value: ((presence.value >> 2) & 1) != 0
        doc: Presence bit 2.
        doc-ref: spec/bitstream.md#61-presence-bitmap
      has_device:
        value: ((presence.value >> 3) & 1) != 0
        doc: Presence bit 3.
        doc-ref: spec/bitstream.md#61-presence-bitmap
      has_gpu:
        value: ((presence.value >> 4) & 1) != 0
        doc: Presence bit 4.
        doc-ref: spec/bitstream.md#61-presence-bitmap
      has_cuda:
        value: ((presence.value >> 5) & 1) != 0
        doc: Presence bit 5.
        doc-ref: spec/bitstream.md#61-presence-bitmap
      has_params:
        value: ((presence.value >> 6) & 1) != 0
        doc: Presence bit 6.
        doc-ref: spec/bitstream.md#61-presence-bitmap
      has_scheduler_config:
        value: ((presence.value >> 7) & 1) != 0
        doc: Presence bit 7.
        doc-ref: spec/bitstream.md#61-presence-bitmap
      has_platform:
        value: ((presence.value >> 8) & 1) != 0
        doc: Presence bit 8.
        doc-ref: spec/bitstream.md#61-presence-bitmap

  text_block:
    # BEGIN GENERATED: text-block (tools/gen_ksy.py; do not edit)
    doc: |
      Text compressor, block length and the compressed block. Kaitai Struct does not decode the block: the
      compressors other than 0 (1 zlib; 2 phrase-huffman-v1, model spec/text/phrase-huffman-v1.json; 3
      tag-context-v1, model spec/text/tag-context-v1.json; 4 tag-lookup-v1, model
      spec/text/tag-lookup-v1.json; 5 tag-prefix-v1, model spec/text/tag-prefix-v1.json; spec/text/
      describes each) and the UTF-8 check are beyond it. A reader decodes `data` into one string, or two
      when the presence bitmap's bit 0 is set.
    doc-ref: spec/bitstream.md#7-text-block
    seq:
      - id: compressor
        type: exp_code
        doc: Registry enumeration text_compressors (0 None, 1 zlib, 2 phrase-huffman-v1, 3 tag-context-v1, 4 tag-lookup-v1, 5 tag-prefix-v1).
        doc-ref: spec/bitstream.md#7-text-block
    # END GENERATED: text-block
      - id: length
        type: uvarint
        valid:
          expr: _.value <= 65536
        -aigif-error: AIGIF_E_LIMIT
        doc: Length of the compressed block in bytes, at most 65536.
        doc-ref: spec/bitstream.md#111-limits
      - id: data
        size: length.value
        doc: The compressed block.
        doc-ref: spec/bitstream.md#7-text-block

  params:
    doc: |
      Group "params": a nonzero bitmap without reserved bits, then the value of
      every set bit in increasing bit order. Which parameters a model family
      accepts is registry data.
    doc-ref: spec/bitstream.md#81-params-model-dependent-pipeline-arguments
    seq:
      - id: bitmap
        type: uvarint
        valid:
          expr: _.value != 0
        -aigif-error: AIGIF_E_NONCANONICAL
        doc: Which parameters follow; an empty group is omitted (presence bit 6 clear).
        doc-ref: spec/bitstream.md#8-optional-field-groups
      # BEGIN GENERATED: group-params (tools/gen_ksy.py; do not edit)
      - id: check_reserved
        size: 0
        valid:
          expr: "bitmap.value >> 19 == 0"
        -aigif-error: AIGIF_E_RESERVED
        doc: "Bits 19 and up are reserved."
        doc-ref: spec/bitstream.md#8-optional-field-groups
      - id: clip_skip
        type: uvarint
        if: (bitmap.value & 1) != 0
        valid:
          expr: _.value >= 1 and _.value <= 64
        -aigif-error: AIGIF_E_RANGE
        doc: Bit 0. CLIP layers skipped (diffusers clip_skip), 1..64.
        doc-ref: spec/bitstream.md#81-params-model-dependent-pipeline-arguments
      - id: eta
        type: cfloat
        if: ((bitmap.value >> 1) & 1) != 0
        doc: Bit 1. DDIM eta.
        doc-ref: spec/bitstream.md#81-params-model-dependent-pipeline-arguments
      - id: guidance_rescale
        type: cfloat
        if: ((bitmap.value >> 2) & 1) != 0
        doc: Bit 2. Guidance rescale (Lin et al.).
        doc-ref: spec/bitstream.md#81-params-model-dependent-pipeline-arguments
      - id: original_size
        type: pair
        if: ((bitmap.value >> 3) & 1) != 0
        doc: Bit 3. SDXL micro-conditioning (height, width).
        doc-ref: spec/bitstream.md#81-params-model-dependent-pipeline-arguments
      - id: target_size
        type: pair
        if: ((bitmap.value >> 4) & 1) != 0
        doc: Bit 4. SDXL micro-conditioning (height, width).
        doc-ref: spec/bitstream.md#81-params-model-dependent-pipeline-arguments
      - id: crops_coords_top_left
        type: pair
        if: ((bitmap.value >> 5) & 1) != 0
        doc: Bit 5. SDXL micro-conditioning (top, left).
        doc-ref: spec/bitstream.md#81-params-model-dependent-pipeline-arguments
      - id: negative_original_size
        type: pair
        if: ((bitmap.value >> 6) & 1) != 0
        doc: Bit 6. SDXL negative micro-conditioning.
        doc-ref: spec/bitstream.md#81-params-model-dependent-pipeline-arguments
      - id: negative_target_size
        type: pair
        if: ((bitmap.value >> 7) & 1) != 0
        doc: Bit 7. SDXL negative micro-conditioning.
        doc-ref: spec/bitstream.md#81-params-model-dependent-pipeline-arguments
      - id: negative_crops_coords_top_left
        type: pair
        if: ((bitmap.value >> 8) & 1) != 0
        doc: Bit 8. SDXL negative micro-conditioning.
        doc-ref: spec/bitstream.md#81-params-model-dependent-pipeline-arguments
      - id: aesthetic_score
        type: cfloat
        if: ((bitmap.value >> 9) & 1) != 0
        doc: Bit 9. SDXL refiner aesthetic score.
        doc-ref: spec/bitstream.md#81-params-model-dependent-pipeline-arguments
      - id: negative_aesthetic_score
        type: cfloat
        if: ((bitmap.value >> 10) & 1) != 0
        doc: Bit 10. SDXL refiner negative aesthetic score.
        doc-ref: spec/bitstream.md#81-params-model-dependent-pipeline-arguments
      - id: max_sequence_length
        type: uvarint
        if: ((bitmap.value >> 11) & 1) != 0
        valid:
          expr: _.value >= 1 and _.value <= 4096
        -aigif-error: AIGIF_E_RANGE
        doc: Bit 11. T5 prompt length (Flux), 1..4096.
        doc-ref: spec/bitstream.md#81-params-model-dependent-pipeline-arguments
      - id: true_cfg_scale
        type: cfloat
        if: ((bitmap.value >> 12) & 1) != 0
        doc: Bit 12. True classifier-free guidance (Flux).
        doc-ref: spec/bitstream.md#81-params-model-dependent-pipeline-arguments
      - id: denoising_end
        type: cfloat
        if: ((bitmap.value >> 13) & 1) != 0
        doc: Bit 13. Fraction of steps run before handing over.
        doc-ref: spec/bitstream.md#81-params-model-dependent-pipeline-arguments
      - id: denoising_start
        type: cfloat
        if: ((bitmap.value >> 14) & 1) != 0
        doc: Bit 14. Fraction of steps skipped (refiner).
        doc-ref: spec/bitstream.md#81-params-model-dependent-pipeline-arguments
      - id: add_watermarker
        type: flag
        if: ((bitmap.value >> 15) & 1) != 0
        doc: Bit 15. SDXL invisible watermark applied.
        doc-ref: spec/bitstream.md#81-params-model-dependent-pipeline-arguments
      - id: safety_checker
        type: flag
        if: ((bitmap.value >> 16) & 1) != 0
        doc: Bit 16. Safety checker run on the output.
        doc-ref: spec/bitstream.md#81-params-model-dependent-pipeline-arguments
      - id: vae_tiling
        type: flag
        if: ((bitmap.value >> 17) & 1) != 0
        doc: Bit 17. VAE decoded in tiles.
        doc-ref: spec/bitstream.md#81-params-model-dependent-pipeline-arguments
      - id: vae_upcast
        type: flag
        if: ((bitmap.value >> 18) & 1) != 0
        doc: Bit 18. VAE run in float32 (force_upcast).
        doc-ref: spec/bitstream.md#81-params-model-dependent-pipeline-arguments
      # END GENERATED: group-params

  scheduler_config:
    doc: |
      Group "scheduler_config": a nonzero bitmap without reserved bits, then the
      value of every set bit in increasing bit order. Enumerations are registry
      codes; unlike the top-level enumerations they may be 0.
    doc-ref: spec/bitstream.md#83-scheduler_config-scheduler-configuration
    seq:
      - id: bitmap
        type: uvarint
        valid:
          expr: _.value != 0
        -aigif-error: AIGIF_E_NONCANONICAL
        doc: Which settings follow; an empty group is omitted (presence bit 7 clear).
        doc-ref: spec/bitstream.md#8-optional-field-groups
      # BEGIN GENERATED: group-scheduler_config (tools/gen_ksy.py; do not edit)
      - id: check_reserved
        size: 0
        valid:
          expr: "bitmap.value >> 20 == 0"
        -aigif-error: AIGIF_E_RESERVED
        doc: "Bits 20 and up are reserved."
        doc-ref: spec/bitstream.md#8-optional-field-groups
      - id: timestep_spacing
        type: exp_code
        if: (bitmap.value & 1) != 0
        doc: Bit 0. How inference timesteps are spaced; registry enumeration timestep_spacings.
        doc-ref: spec/bitstream.md#83-scheduler_config-scheduler-configuration
      - id: use_karras_sigmas
        type: flag
        if: ((bitmap.value >> 1) & 1) != 0
        doc: Bit 1. Karras et al. noise levels.
        doc-ref: spec/bitstream.md#83-scheduler_config-scheduler-configuration
      - id: steps_offset
        type: uvarint
        if: ((bitmap.value >> 2) & 1) != 0
        valid:
          expr: _.value <= 1000
        -aigif-error: AIGIF_E_RANGE
        doc: Bit 2. Offset added to inference timesteps, 0..1000.
        doc-ref: spec/bitstream.md#83-scheduler_config-scheduler-configuration
      - id: prediction_type
        type: exp_code
        if: ((bitmap.value >> 3) & 1) != 0
        doc: Bit 3. What the model predicts; registry enumeration prediction_types.
        doc-ref: spec/bitstream.md#83-scheduler_config-scheduler-configuration
      - id: beta_schedule
        type: exp_code
        if: ((bitmap.value >> 4) & 1) != 0
        doc: Bit 4. Noise schedule family; registry enumeration beta_schedules.
        doc-ref: spec/bitstream.md#83-scheduler_config-scheduler-configuration
      - id: beta_start
        type: cfloat
        if: ((bitmap.value >> 5) & 1) != 0
        doc: Bit 5. First beta of the schedule.
        doc-ref: spec/bitstream.md#83-scheduler_config-scheduler-configuration
      - id: beta_end
        type: cfloat
        if: ((bitmap.value >> 6) & 1) != 0
        doc: Bit 6. Last beta of the schedule.
        doc-ref: spec/bitstream.md#83-scheduler_config-scheduler-configuration
      - id: rescale_betas_zero_snr
        type: flag
        if: ((bitmap.value >> 7) & 1) != 0
        doc: Bit 7. Schedule rescaled to zero terminal SNR.
        doc-ref: spec/bitstream.md#83-scheduler_config-scheduler-configuration
      - id: final_sigmas_type
        type: exp_code
        if: ((bitmap.value >> 8) & 1) != 0
        doc: Bit 8. Noise level of the last step; registry enumeration final_sigmas_types.
        doc-ref: spec/bitstream.md#83-scheduler_config-scheduler-configuration
      - id: algorithm_type
        type: exp_code
        if: ((bitmap.value >> 9) & 1) != 0
        doc: Bit 9. DPM-Solver variant; registry enumeration algorithm_types.
        doc-ref: spec/bitstream.md#83-scheduler_config-scheduler-configuration
      - id: solver_order
        type: uvarint
        if: ((bitmap.value >> 10) & 1) != 0
        valid:
          expr: _.value >= 1 and _.value <= 3
        -aigif-error: AIGIF_E_RANGE
        doc: Bit 10. Multistep solver order, 1..3.
        doc-ref: spec/bitstream.md#83-scheduler_config-scheduler-configuration
      - id: use_exponential_sigmas
        type: flag
        if: ((bitmap.value >> 11) & 1) != 0
        doc: Bit 11. Exponential noise levels.
        doc-ref: spec/bitstream.md#83-scheduler_config-scheduler-configuration
      - id: use_beta_sigmas
        type: flag
        if: ((bitmap.value >> 12) & 1) != 0
        doc: Bit 12. Beta-distribution noise levels.
        doc-ref: spec/bitstream.md#83-scheduler_config-scheduler-configuration
      - id: shift
        type: cfloat
        if: ((bitmap.value >> 13) & 1) != 0
        doc: Bit 13. Flow-matching timestep shift.
        doc-ref: spec/bitstream.md#83-scheduler_config-scheduler-configuration
      - id: use_dynamic_shifting
        type: flag
        if: ((bitmap.value >> 14) & 1) != 0
        doc: Bit 14. Resolution-dependent shift (Flux).
        doc-ref: spec/bitstream.md#83-scheduler_config-scheduler-configuration
      - id: clip_sample
        type: flag
        if: ((bitmap.value >> 15) & 1) != 0
        doc: Bit 15. Clip predicted sample to [-1, 1].
        doc-ref: spec/bitstream.md#83-scheduler_config-scheduler-configuration
      - id: set_alpha_to_one
        type: flag
        if: ((bitmap.value >> 16) & 1) != 0
        doc: Bit 16. Final alpha product set to 1 (DDIM).
        doc-ref: spec/bitstream.md#83-scheduler_config-scheduler-configuration
      - id: lower_order_final
        type: flag
        if: ((bitmap.value >> 17) & 1) != 0
        doc: Bit 17. Lower-order final steps.
        doc-ref: spec/bitstream.md#83-scheduler_config-scheduler-configuration
      - id: euler_at_final
        type: flag
        if: ((bitmap.value >> 18) & 1) != 0
        doc: Bit 18. Euler step at the end.
        doc-ref: spec/bitstream.md#83-scheduler_config-scheduler-configuration
      - id: thresholding
        type: flag
        if: ((bitmap.value >> 19) & 1) != 0
        doc: Bit 19. Dynamic thresholding.
        doc-ref: spec/bitstream.md#83-scheduler_config-scheduler-configuration
      # END GENERATED: group-scheduler_config

  platform:
    doc: |
      Group "platform": a nonzero bitmap without reserved bits, then the value of
      every set bit in increasing bit order.
    doc-ref: spec/bitstream.md#84-platform-software-and-determinism-settings
    seq:
      - id: bitmap
        type: uvarint
        valid:
          expr: _.value != 0
        -aigif-error: AIGIF_E_NONCANONICAL
        doc: Which settings follow; an empty group is omitted (presence bit 8 clear).
        doc-ref: spec/bitstream.md#8-optional-field-groups
      # BEGIN GENERATED: group-platform (tools/gen_ksy.py; do not edit)
      - id: check_reserved
        size: 0
        valid:
          expr: "bitmap.value >> 13 == 0"
        -aigif-error: AIGIF_E_RESERVED
        doc: "Bits 13 and up are reserved."
        doc-ref: spec/bitstream.md#8-optional-field-groups
      - id: check_version
        size: 0
        valid:
          expr: "_root.header.version_minor >= (((bitmap.value & 0x1000) != 0) ? 1 : 0)"
        -aigif-error: AIGIF_E_NONCANONICAL
        doc: "A field added after 1.0 needs a file of its version or later (the version byte is the lowest version whose features the file uses)."
        doc-ref: spec/bitstream.md#3-signature-and-version
      - id: torch_version
        type: version
        if: (bitmap.value & 1) != 0
        doc: Bit 0. Torch.__version__ (major.minor.patch).
        doc-ref: spec/bitstream.md#84-platform-software-and-determinism-settings
      - id: diffusers_version
        type: version
        if: ((bitmap.value >> 1) & 1) != 0
        doc: Bit 1. Diffusers.__version__.
        doc-ref: spec/bitstream.md#84-platform-software-and-determinism-settings
      - id: transformers_version
        type: version
        if: ((bitmap.value >> 2) & 1) != 0
        doc: Bit 2. Transformers.__version__.
        doc-ref: spec/bitstream.md#84-platform-software-and-determinism-settings
      - id: matmul_tf32
        type: flag
        if: ((bitmap.value >> 3) & 1) != 0
        doc: Bit 3. Torch.backends.cuda.matmul.allow_tf32.
        doc-ref: spec/bitstream.md#84-platform-software-and-determinism-settings
      - id: cudnn_tf32
        type: flag
        if: ((bitmap.value >> 4) & 1) != 0
        doc: Bit 4. Torch.backends.cudnn.allow_tf32.
        doc-ref: spec/bitstream.md#84-platform-software-and-determinism-settings
      - id: deterministic_algorithms
        type: flag
        if: ((bitmap.value >> 5) & 1) != 0
        doc: Bit 5. Torch.use_deterministic_algorithms.
        doc-ref: spec/bitstream.md#84-platform-software-and-determinism-settings
      - id: cudnn_benchmark
        type: flag
        if: ((bitmap.value >> 6) & 1) != 0
        doc: Bit 6. Torch.backends.cudnn.benchmark.
        doc-ref: spec/bitstream.md#84-platform-software-and-determinism-settings
      - id: attention_backend
        type: exp_code
        if: ((bitmap.value >> 7) & 1) != 0
        doc: Bit 7. Scaled-dot-product attention kernel; registry enumeration attention_backends.
        doc-ref: spec/bitstream.md#84-platform-software-and-determinism-settings
      - id: batch_size
        type: uvarint
        if: ((bitmap.value >> 8) & 1) != 0
        valid:
          expr: _.value >= 1 and _.value <= 4096
        -aigif-error: AIGIF_E_RANGE
        doc: Bit 8. Images generated per pipeline call, 1..4096.
        doc-ref: spec/bitstream.md#84-platform-software-and-determinism-settings
      - id: batch_index
        type: uvarint
        if: ((bitmap.value >> 9) & 1) != 0
        valid:
          expr: _.value <= 4095
        -aigif-error: AIGIF_E_RANGE
        doc: Bit 9. Position of this image in its batch (below batch_size), 0..4095.
        doc-ref: spec/bitstream.md#84-platform-software-and-determinism-settings
      - id: generator_device
        type: exp_code
        if: ((bitmap.value >> 10) & 1) != 0
        doc: Bit 10. Device of the torch.Generator that drew the noise; registry enumeration generator_devices.
        doc-ref: spec/bitstream.md#84-platform-software-and-determinism-settings
      - id: num_threads
        type: uvarint
        if: ((bitmap.value >> 11) & 1) != 0
        valid:
          expr: _.value >= 1 and _.value <= 4096
        -aigif-error: AIGIF_E_RANGE
        doc: Bit 11. Torch.get_num_threads() on CPU, 1..4096.
        doc-ref: spec/bitstream.md#84-platform-software-and-determinism-settings
      - id: cpu_capability
        type: exp_code
        if: ((bitmap.value >> 12) & 1) != 0
        doc: Bit 12. Instruction set of the CPU kernels (torch.backends.cpu.get_cpu_capability(), oneDNN and MKL held to it); registry enumeration cpu_capabilities; since 1.1.
        doc-ref: spec/bitstream.md#84-platform-software-and-determinism-settings
      # END GENERATED: group-platform

  extension:
    doc: |
      One extension record: uvarint (type << 1 | must_understand), uvarint
      length, body. Types are nonzero and strictly increasing within a file.
    doc-ref: spec/bitstream.md#9-extension-records
    params:
      - id: index
        type: u4
        doc: Position of this record among the file's extension records (0 for the first).
        doc-ref: spec/bitstream.md#9-extension-records
      - id: previous_type
        type: u8
        doc: Type of the record before this one, 0 for the first.
        doc-ref: spec/bitstream.md#9-extension-records
      - id: previous_needed_minor
        type: u1
        doc: The lowest minor version the records before this one need, 0 for the first.
        doc-ref: spec/bitstream.md#3-signature-and-version
    seq:
      - id: header
        type: uvarint
        valid:
          expr: _.value >> 1 != 0
        -aigif-error: AIGIF_E_RESERVED
        doc: Extension type << 1 | must_understand; type 0 is reserved.
        doc-ref: spec/bitstream.md#9-extension-records
      - id: check_count
        size: 0
        valid:
          expr: index < 1024
        -aigif-error: AIGIF_E_LIMIT
        doc: At most 1024 extension records per file (checked once the type is known to be nonzero).
        doc-ref: spec/bitstream.md#111-limits
      - id: check_order
        size: 0
        valid:
          expr: ext_type > previous_type
        -aigif-error: AIGIF_E_NONCANONICAL
        doc: Types strictly increase, so each type occurs at most once.
        doc-ref: spec/bitstream.md#9-extension-records
      # BEGIN GENERATED: extension-version-check (tools/gen_ksy.py; do not edit)
      - id: check_version
        size: 0
        valid:
          expr: "_root.header.version_minor >= own_minor"
        -aigif-error: AIGIF_E_NONCANONICAL
        doc: "A type defined after 1.0 needs a file of its version or later (checked once the type is known)."
        doc-ref: spec/bitstream.md#3-signature-and-version
      # END GENERATED: extension-version-check
      - id: length
        type: uvarint
        valid:
          expr: _.value <= 67108864
        -aigif-error: AIGIF_E_LIMIT
        doc: Body length in bytes, at most 64 MiB.
        doc-ref: spec/bitstream.md#111-limits
      - id: body
        size: length.value
        type:
          switch-on: known_type
          cases:
            extension_type::pixels: pixels
            extension_type::model: model
            extension_type::pixel_digest: pixel_digest
            # BEGIN GENERATED: slot-cases (tools/gen_ksy.py; do not edit)
            extension_type::model_file: model_file
            extension_type::adapters: adapters
            extension_type::stages: stages
            extension_type::prompt_dialect: prompt_dialect
            extension_type::software: software
            extension_type::source_metadata: source_metadata
            # END GENERATED: slot-cases
            _: unknown_extension
        doc: The record body; read whole before it is interpreted.
        doc-ref: spec/bitstream.md#9-extension-records
    instances:
      ext_type:
        value: header.value >> 1
        doc: The extension type (registry enumeration extension_types).
        doc-ref: spec/bitstream.md#9-extension-records
      must_understand:
        value: (header.value & 1) != 0
        doc: A reader that does not know this type must reject the file.
        doc-ref: spec/bitstream.md#9-extension-records
      known_type:
        value: ext_type
        enum: extension_type
        doc: The type as an extension_type when this grammar knows it.
        doc-ref: spec/bitstream.md#9-extension-records
      # BEGIN GENERATED: extension-version-instances (tools/gen_ksy.py; do not edit)
      own_minor:
        value: "((ext_type == 2 or ext_type == 4 or ext_type == 5 or ext_type == 6 or ext_type == 7 or ext_type == 8 or ext_type == 9) ? 1 : 0)"
        doc: The minor version that defined this type (0 for 1.0 types and types this grammar does not know).
        doc-ref: spec/bitstream.md#3-signature-and-version
      needed_minor:
        value: "own_minor > previous_needed_minor ? own_minor : previous_needed_minor"
        doc: The lowest minor version this record and the ones before it need.
        doc-ref: spec/bitstream.md#3-signature-and-version
      # END GENERATED: extension-version-instances

  pixels:
    doc: |
      Extension type 1: the original pixels (Table I "saving pixels" = 1, the
      paper's dashed path in Fig. 1).
    doc-ref: spec/bitstream.md#91-type-1-pixels
    seq:
      - id: check_must_understand
        size: 0
        valid:
          expr: not _parent.must_understand
        -aigif-error: AIGIF_E_NONCANONICAL
        doc: The pixels record is written with must_understand 0.
        doc-ref: spec/bitstream.md#91-type-1-pixels
      - id: compressor
        type: exp_code
        valid:
          expr: _.value <= 3
        -aigif-error: AIGIF_E_UNKNOWN_CODE
        doc: Pixel compressor (pixel_compressor enum); other codes are not defined in v1.
        doc-ref: spec/bitstream.md#91-type-1-pixels
      - id: data
        size-eos: true
        type:
          switch-on: compressor_kind
          cases:
            pixel_compressor::raw_rgb8: raw_rgb8
            pixel_compressor::png: png_image
            pixel_compressor::jxl: jxl_image
            pixel_compressor::diffc: diffc_payload
        doc: The pixels, in the rest of the record.
        doc-ref: spec/bitstream.md#91-type-1-pixels
    instances:
      compressor_kind:
        value: compressor.value
        enum: pixel_compressor
        doc: The compressor as an enum.
        doc-ref: spec/bitstream.md#91-type-1-pixels
      height:
        value: _parent._parent.as<body>.core.height
        doc: The record's image height in pixels (the extension's parent is the body).
        doc-ref: spec/bitstream.md#6-body
      width:
        value: _parent._parent.as<body>.core.width
        doc: The record's image width in pixels.
        doc-ref: spec/bitstream.md#6-body

  raw_rgb8:
    doc: Uncompressed 8-bit RGB, row-major, height x width x 3 bytes.
    doc-ref: spec/bitstream.md#91-type-1-pixels
    seq:
      - id: rgb
        size-eos: true
        valid:
          expr: _.size == _parent.height * _parent.width * 3
        -aigif-error: AIGIF_E_EXTENSION
        doc: Exactly height x width x 3 bytes.
        doc-ref: spec/bitstream.md#91-type-1-pixels

  png_image:
    doc: |
      A PNG stream whose IHDR matches the record's height and width. Only the
      signature and IHDR are checked here; the rest is the PNG decoder's job.
    doc-ref: spec/bitstream.md#91-type-1-pixels
    seq:
      - id: check_length
        size: 0
        valid:
          expr: _io.size >= 24
        -aigif-error: AIGIF_E_EXTENSION
        doc: Room for the PNG signature and the start of IHDR.
        doc-ref: spec/bitstream.md#91-type-1-pixels
      - id: png_signature
        contents: [0x89, PNG, 0x0d, 0x0a, 0x1a, 0x0a]
        -aigif-error: AIGIF_E_EXTENSION
        doc: The PNG signature.
        doc-ref: spec/bitstream.md#91-type-1-pixels
      - id: ihdr_length
        type: u4be
        doc: Length of the IHDR chunk (not checked here).
        doc-ref: spec/bitstream.md#91-type-1-pixels
      - id: ihdr_type
        contents: IHDR
        -aigif-error: AIGIF_E_EXTENSION
        doc: The first chunk is IHDR.
        doc-ref: spec/bitstream.md#91-type-1-pixels
      - id: png_width
        type: u4be
        valid:
          expr: _ == _parent.width
        -aigif-error: AIGIF_E_EXTENSION
        doc: IHDR width equals the record's width.
        doc-ref: spec/bitstream.md#91-type-1-pixels
      - id: png_height
        type: u4be
        valid:
          expr: _ == _parent.height
        -aigif-error: AIGIF_E_EXTENSION
        doc: IHDR height equals the record's height.
        doc-ref: spec/bitstream.md#91-type-1-pixels
      - id: rest
        size-eos: true
        doc: The rest of the PNG stream.
        doc-ref: spec/bitstream.md#91-type-1-pixels

  diffc_payload:
    doc: |
      A DiffC payload (spec/diffc.md section 5). This grammar checks the version
      and frames the rest; the profile (in the registry, bound to the record's
      model, of the payload's version), the coded step count and the arithmetic-coded index stream are
      checked by the reference (aigif_ref/diffc/payload.py), which the Kaitai
      conformance adapter calls on the whole payload.
    doc-ref: spec/diffc.md#5-payload
    seq:
      - id: version
        type: u1
        valid:
          any-of: [1, 2]
        -aigif-error: AIGIF_E_DIFFC
        doc: Payload version 1 or 2 (the profile's payload_version, checked by the reference).
        doc-ref: spec/diffc.md#5-payload
      - id: rest
        size-eos: true
        doc: Profile code (uvarint), then version 1 the coded step count (uvarint) and the index stream, version 2 the stream.
        doc-ref: spec/diffc.md#5-payload

  jxl_image:
    doc: |
      A bare JPEG XL codestream (ISO/IEC 18181-1; signature FF 0A, never the
      ISOBMFF container) whose SizeHeader matches the record's height and width.
      Only the signature and SizeHeader are checked here; the rest is the JPEG XL
      decoder's job.
    doc-ref: spec/bitstream.md#91-type-1-pixels
    meta:
      bit-endian: le
    seq:
      - id: check_length
        size: 0
        valid:
          expr: _io.size >= 12
        -aigif-error: AIGIF_E_EXTENSION
        doc: Room for the signature and the longest SizeHeader.
        doc-ref: spec/bitstream.md#91-type-1-pixels
      - id: jxl_signature
        contents: [0xff, 0x0a]
        -aigif-error: AIGIF_E_EXTENSION
        doc: The JPEG XL codestream signature.
        doc-ref: spec/bitstream.md#91-type-1-pixels
      - id: small
        type: b1
        doc: SizeHeader.small, dimensions are multiples of 8 up to 256.
        doc-ref: spec/bitstream.md#91-type-1-pixels
      - id: height_div8_minus_1
        type: b5
        if: small
        doc: Height / 8 - 1 when small.
        doc-ref: spec/bitstream.md#91-type-1-pixels
      - id: height_selector
        type: b2
        if: not small
        doc: Which of 9, 13, 18 or 30 bits hold height - 1.
        doc-ref: spec/bitstream.md#91-type-1-pixels
      - id: height_minus_1_9
        type: b9
        if: not small and height_selector == 0
        doc: Height - 1 in 9 bits.
        doc-ref: spec/bitstream.md#91-type-1-pixels
      - id: height_minus_1_13
        type: b13
        if: not small and height_selector == 1
        doc: Height - 1 in 13 bits.
        doc-ref: spec/bitstream.md#91-type-1-pixels
      - id: height_minus_1_18
        type: b18
        if: not small and height_selector == 2
        doc: Height - 1 in 18 bits.
        doc-ref: spec/bitstream.md#91-type-1-pixels
      - id: height_minus_1_30
        type: b30
        if: not small and height_selector == 3
        doc: Height - 1 in 30 bits.
        doc-ref: spec/bitstream.md#91-type-1-pixels
      - id: ratio
        type: b3
        doc: Aspect ratio code; 0 means the width follows.
        doc-ref: spec/bitstream.md#91-type-1-pixels
      - id: width_div8_minus_1
        type: b5
        if: ratio == 0 and small
        doc: Width / 8 - 1 when small.
        doc-ref: spec/bitstream.md#91-type-1-pixels
      - id: width_selector
        type: b2
        if: ratio == 0 and not small
        doc: Which of 9, 13, 18 or 30 bits hold width - 1.
        doc-ref: spec/bitstream.md#91-type-1-pixels
      - id: width_minus_1_9
        type: b9
        if: ratio == 0 and not small and width_selector == 0
        doc: Width - 1 in 9 bits.
        doc-ref: spec/bitstream.md#91-type-1-pixels
      - id: width_minus_1_13
        type: b13
        if: ratio == 0 and not small and width_selector == 1
        doc: Width - 1 in 13 bits.
        doc-ref: spec/bitstream.md#91-type-1-pixels
      - id: width_minus_1_18
        type: b18
        if: ratio == 0 and not small and width_selector == 2
        doc: Width - 1 in 18 bits.
        doc-ref: spec/bitstream.md#91-type-1-pixels
      - id: width_minus_1_30
        type: b30
        if: ratio == 0 and not small and width_selector == 3
        doc: Width - 1 in 30 bits.
        doc-ref: spec/bitstream.md#91-type-1-pixels
      - id: check_height
        size: 0
        valid:
          expr: jxl_height == _parent.height
        -aigif-error: AIGIF_E_EXTENSION
        doc: SizeHeader height equals the record's height.
        doc-ref: spec/bitstream.md#91-type-1-pixels
      - id: check_width
        size: 0
        valid:
          expr: jxl_width == _parent.width
        -aigif-error: AIGIF_E_EXTENSION
        doc: SizeHeader width equals the record's width.
        doc-ref: spec/bitstream.md#91-type-1-pixels
      - id: rest
        size-eos: true
        doc: The rest of the codestream.
        doc-ref: spec/bitstream.md#91-type-1-pixels
    instances:
      jxl_height:
        value: |
          small ? (height_div8_minus_1 + 1) * 8
          : (height_selector == 0 ? height_minus_1_9 : height_selector == 1 ? height_minus_1_13
          : height_selector == 2 ? height_minus_1_18 : height_minus_1_30) + 1
        doc: The codestream's height in pixels.
        doc-ref: spec/bitstream.md#91-type-1-pixels
      jxl_width:
        value: |
          ratio == 1 ? jxl_height : ratio == 2 ? jxl_height * 12 / 10 : ratio == 3 ? jxl_height * 4 / 3
          : ratio == 4 ? jxl_height * 3 / 2 : ratio == 5 ? jxl_height * 16 / 9 : ratio == 6 ? jxl_height * 5 / 4
          : ratio == 7 ? jxl_height * 2
          : small ? (width_div8_minus_1 + 1) * 8
          : (width_selector == 0 ? width_minus_1_9 : width_selector == 1 ? width_minus_1_13
          : width_selector == 2 ? width_minus_1_18 : width_minus_1_30) + 1
        doc: The codestream's width in pixels (from the ratio code, or stored).
        doc-ref: spec/bitstream.md#91-type-1-pixels

  pixel_digest:
    doc: |
      Extension type 3: a digest of the original pixels, so that a file can prove
      its own regeneration. Algorithm 0 (sha256-rgb8-luma8x8): SHA-256 of the
      RGB8 buffer, then an 8x8 mean-luma signature.
    doc-ref: spec/bitstream.md#93-type-3-pixel-digest
    seq:
      - id: check_must_understand
        size: 0
        valid:
          expr: not _parent.must_understand
        -aigif-error: AIGIF_E_NONCANONICAL
        doc: The pixel digest record is written with must_understand 0.
        doc-ref: spec/bitstream.md#93-type-3-pixel-digest
      - id: algorithm
        type: exp_code
        valid:
          expr: _.value == 0
        -aigif-error: AIGIF_E_UNKNOWN_CODE
        doc: Digest algorithm (digest_algorithms enumeration); only 0 is defined in v1.
        doc-ref: spec/bitstream.md#93-type-3-pixel-digest
      - id: digest
        size-eos: true
        type: digest_sha256_luma8x8
        doc: The digest, in the rest of the record.
        doc-ref: spec/bitstream.md#93-type-3-pixel-digest

  digest_sha256_luma8x8:
    doc: Digest algorithm 0, exactly 96 bytes.
    doc-ref: spec/bitstream.md#93-type-3-pixel-digest
    seq:
      - id: check_length
        size: 0
        valid:
          expr: _io.size == 96
        -aigif-error: AIGIF_E_EXTENSION
        doc: 32 bytes of SHA-256 and 64 bytes of signature, nothing else.
        doc-ref: spec/bitstream.md#93-type-3-pixel-digest
      - id: sha256
        size: 32
        doc: SHA-256 of the RGB8 pixels, rows top to bottom.
        doc-ref: spec/bitstream.md#93-type-3-pixel-digest
      - id: luma_signature
        size: 64
        doc: Mean luma of an 8x8 grid of blocks, row-major, one byte each.
        doc-ref: spec/bitstream.md#93-type-3-pixel-digest

  model:
    doc: |
      Extension type 2: the model (Table I "saving model" = 1, with its model
      compressor): a model payload (spec/model_payload.ksy) embedded in the
      record or referenced by its sha256. A reader also checks that an
      embedded payload's sha256 equals payload_sha256 (AIGIF_E_EXTENSION),
      which Kaitai cannot compute.
    doc-ref: spec/bitstream.md#92-type-2-model
    seq:
      - id: check_must_understand
        size: 0
        valid:
          expr: _parent.must_understand
        -aigif-error: AIGIF_E_NONCANONICAL
        doc: The model record is written with must_understand 1.
        doc-ref: spec/bitstream.md#92-type-2-model
      - id: compressor
        type: exp_code
        valid:
          expr: _.value <= 4
        -aigif-error: AIGIF_E_UNKNOWN_CODE
        doc: Model compressor (registry model_compressors; spec/quantized.md).
        doc-ref: spec/quantized.md
      - id: storage
        type: exp_code
        valid:
          expr: _.value <= 1
        -aigif-error: AIGIF_E_UNKNOWN_CODE
        doc: 0 = the payload is embedded here, 1 = referenced by its sha256 (registry model_payload_storage).
        doc-ref: spec/bitstream.md#92-type-2-model
      - id: payload_sha256
        size: 32
        doc: SHA-256 of the payload file.
        doc-ref: spec/bitstream.md#92-type-2-model
      - id: payload_size
        type: uvarint
        valid:
          expr: _.value <= 68719476736
        -aigif-error: AIGIF_E_LIMIT
        doc: Size of the payload file in bytes, at most 64 GiB.
        doc-ref: spec/bitstream.md#92-type-2-model
      - id: payload
        size-eos: true
        doc: The embedded payload (exactly payload_size bytes), or nothing when referenced.
        doc-ref: spec/bitstream.md#92-type-2-model
      - id: check_payload_length
        size: 0
        valid:
          expr: 'payload.size == (storage.value == 0 ? payload_size.value : 0)'
        -aigif-error: AIGIF_E_EXTENSION
        doc: An embedded payload has exactly payload_size bytes; a referenced one none.
        doc-ref: spec/bitstream.md#92-type-2-model

  # BEGIN GENERATED: slot-types (tools/gen_ksy.py; do not edit)
  model_file:
    doc: "Extension type 4, model_file: the checkpoint file by content hash (single-file weights); the core model_id gives family and config. The codes' registry check and the rules across fields (spec section 9.4) are the reader's."
    doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
    seq:
      - id: check_must_understand
        size: 0
        valid:
          expr: "_parent.must_understand"
        -aigif-error: AIGIF_E_NONCANONICAL
        doc: "Type 4 is written with must_understand 1."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: hash_algorithm
        type: exp_code
        doc: "How the digest was computed; registry enumeration hash_algorithms (the reader checks the code)."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: check_digest_algorithm
        size: 0
        valid:
          expr: "hash_algorithm.value == 0 or hash_algorithm.value == 1 or hash_algorithm.value == 2"
        -aigif-error: AIGIF_E_UNKNOWN_CODE
        doc: "The digest's length is known only for these hash algorithms."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: digest
        size: "((hash_algorithm.value == 0) ? 32 : (hash_algorithm.value == 1) ? 5 : 4)"
        doc: "The file's digest (lowercase hex in JSON) (its length by hash_algorithm)."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: name_len
        type: uvarint
        valid:
          expr: "_.value <= 255"
        -aigif-error: AIGIF_E_LIMIT
        doc: "Length in bytes of name, at most 255."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: name
        size: name_len.value
        type: str
        encoding: UTF-8
        doc: "The file's name as its user knew it (a hint, not used to load) (UTF-8; a reader rejects invalid UTF-8 with AIGIF_E_UTF8)."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: check_end
        size: 0
        valid:
          expr: "_io.eof"
        -aigif-error: AIGIF_E_EXTENSION
        doc: "Nothing follows the last field."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata

  adapters:
    doc: "Extension type 5, adapters: LoRA / textual-inversion / VAE files by content hash, with UNet and text-encoder scales. The codes' registry check and the rules across fields (spec section 9.4) are the reader's."
    doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
    seq:
      - id: check_must_understand
        size: 0
        valid:
          expr: "_parent.must_understand"
        -aigif-error: AIGIF_E_NONCANONICAL
        doc: "Type 5 is written with must_understand 1."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: adapters_count
        type: uvarint
        valid:
          expr: "_.value >= 1 and _.value <= 64"
        -aigif-error: AIGIF_E_RANGE
        doc: "Number of adapters, 1..64."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: adapters
        type: adapters_adapters_item
        repeat: expr
        repeat-expr: adapters_count.value
        doc: "The adapters, in the order they are applied."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: check_end
        size: 0
        valid:
          expr: "_io.eof"
        -aigif-error: AIGIF_E_EXTENSION
        doc: "Nothing follows the last field."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata

  adapters_adapters_item:
    doc: "One entry of adapters.adapters."
    doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
    seq:
      - id: kind
        type: exp_code
        doc: "What the file is; registry enumeration adapter_kinds (the reader checks the code)."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: hash_algorithm
        type: exp_code
        doc: "How the digest was computed; registry enumeration hash_algorithms (the reader checks the code)."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: check_digest_algorithm
        size: 0
        valid:
          expr: "hash_algorithm.value == 0 or hash_algorithm.value == 1 or hash_algorithm.value == 2"
        -aigif-error: AIGIF_E_UNKNOWN_CODE
        doc: "The digest's length is known only for these hash algorithms."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: digest
        size: "((hash_algorithm.value == 0) ? 32 : (hash_algorithm.value == 1) ? 5 : 4)"
        doc: "The file's digest (lowercase hex in JSON) (its length by hash_algorithm)."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: name_len
        type: uvarint
        valid:
          expr: "_.value <= 255"
        -aigif-error: AIGIF_E_LIMIT
        doc: "Length in bytes of name, at most 255."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: name
        size: name_len.value
        type: str
        encoding: UTF-8
        doc: "LoRA: its name; embedding: the token the prompt uses; VAE: its name (UTF-8; a reader rejects invalid UTF-8 with AIGIF_E_UTF8)."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: unet_scale
        type: cfloat
        doc: "LoRA scale on the UNet (1 for other kinds) (float32)."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: text_encoder_scale
        type: cfloat
        doc: "LoRA scale on the text encoder(s) (1 for other kinds) (float32)."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata

  stages:
    doc: "Extension type 6, stages: first-pass size, then each later stage (hires fix: upscaler, size, steps, denoising strength, scheduler; refiner: steps, scheduler, model, denoising start). The codes' registry check and the rules across fields (spec section 9.4) are the reader's."
    doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
    seq:
      - id: check_must_understand
        size: 0
        valid:
          expr: "_parent.must_understand"
        -aigif-error: AIGIF_E_NONCANONICAL
        doc: "Type 6 is written with must_understand 1."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: base_height_units
        type: uvarint
        valid:
          expr: "_.value >= 1 and _.value <= 2048"
        -aigif-error: AIGIF_E_RANGE
        doc: "Height of the first pass in pixels, in units of 8 pixels."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: base_width_units
        type: uvarint
        valid:
          expr: "_.value >= 1 and _.value <= 2048"
        -aigif-error: AIGIF_E_RANGE
        doc: "Width of the first pass in pixels, in units of 8 pixels."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: stages_count
        type: uvarint
        valid:
          expr: "_.value >= 1 and _.value <= 8"
        -aigif-error: AIGIF_E_RANGE
        doc: "Number of stages, 1..8."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: stages
        type: stages_stages_item
        repeat: expr
        repeat-expr: stages_count.value
        doc: "The stages after the first pass, in order."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: check_end
        size: 0
        valid:
          expr: "_io.eof"
        -aigif-error: AIGIF_E_EXTENSION
        doc: "Nothing follows the last field."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
    instances:
      base_height:
        value: base_height_units.value * 8
        doc: "Height of the first pass in pixels (pixels)."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      base_width:
        value: base_width_units.value * 8
        doc: "Width of the first pass in pixels (pixels)."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata

  stages_stages_item:
    doc: "One entry of stages.stages."
    doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
    seq:
      - id: kind
        type: exp_code
        valid:
          expr: "_.value == 0 or _.value == 1"
        -aigif-error: AIGIF_E_UNKNOWN_CODE
        doc: "What the stage does (selects the layout of the rest of the entry); registry enumeration stage_kinds, of the codes whose layout this grammar defines (the reader checks the code)."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: upscaler
        type: exp_code
        if: "kind.value == 0"
        doc: "How the previous result is resized (only when kind is 0); registry enumeration upscalers (the reader checks the code)."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: height_units
        type: uvarint
        if: "kind.value == 0"
        valid:
          expr: "_.value >= 1 and _.value <= 2048"
        -aigif-error: AIGIF_E_RANGE
        doc: "Height after this stage in pixels (only when kind is 0), in units of 8 pixels."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: width_units
        type: uvarint
        if: "kind.value == 0"
        valid:
          expr: "_.value >= 1 and _.value <= 2048"
        -aigif-error: AIGIF_E_RANGE
        doc: "Width after this stage in pixels (only when kind is 0), in units of 8 pixels."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: steps
        type: uvarint
        valid:
          expr: "_.value >= 1 and _.value <= 1000"
        -aigif-error: AIGIF_E_RANGE
        doc: "Hires fix: denoising steps the image-to-image pass runs (A1111's Hires steps); refiner: the length of the schedule whose part after denoising_start the refiner runs (num_inference_steps), 1..1000."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: denoising_strength
        type: cfloat
        if: "kind.value == 0"
        doc: "Image-to-image strength, in (0, 1] (only when kind is 0) (float32)."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: scheduler
        type: exp_code
        doc: "The pass's scheduler; registry enumeration schedulers (the reader checks the code)."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: model_id
        type: exp_code
        if: "kind.value == 1"
        doc: "The model the refiner runs (only when kind is 1); a registry model ID (the reader checks it)."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: denoising_start
        type: cfloat
        if: "kind.value == 1"
        doc: "Fraction of the schedule already run when the refiner takes over (diffusers' denoising_start), in (0, 1) (only when kind is 1) (float32)."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
    instances:
      height:
        value: height_units.value * 8
        if: "kind.value == 0"
        doc: "Height after this stage in pixels (only when kind is 0) (pixels)."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      width:
        value: width_units.value * 8
        if: "kind.value == 0"
        doc: "Width after this stage in pixels (only when kind is 0) (pixels)."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata

  prompt_dialect:
    doc: "Extension type 7, prompt_dialect: the syntax the prompts are written in (A1111, ComfyUI, compel weighting). The codes' registry check and the rules across fields (spec section 9.4) are the reader's."
    doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
    seq:
      - id: check_must_understand
        size: 0
        valid:
          expr: "_parent.must_understand"
        -aigif-error: AIGIF_E_NONCANONICAL
        doc: "Type 7 is written with must_understand 1."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: dialect
        type: exp_code
        doc: "The prompt syntax; registry enumeration prompt_dialects (the reader checks the code)."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: check_end
        size: 0
        valid:
          expr: "_io.eof"
        -aigif-error: AIGIF_E_EXTENSION
        doc: "Nothing follows the last field."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata

  software:
    doc: "Extension type 8, software: name and version of the generating program (e.g. AUTOMATIC1111 stable-diffusion-webui v1.10.1). The codes' registry check and the rules across fields (spec section 9.4) are the reader's."
    doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
    seq:
      - id: check_must_understand
        size: 0
        valid:
          expr: "not _parent.must_understand"
        -aigif-error: AIGIF_E_NONCANONICAL
        doc: "Type 8 is written with must_understand 0."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: name_len
        type: uvarint
        valid:
          expr: "_.value <= 255"
        -aigif-error: AIGIF_E_LIMIT
        doc: "Length in bytes of name, at most 255."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: name
        size: name_len.value
        type: str
        encoding: UTF-8
        doc: "The program (UTF-8; a reader rejects invalid UTF-8 with AIGIF_E_UTF8)."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: version_len
        type: uvarint
        valid:
          expr: "_.value <= 255"
        -aigif-error: AIGIF_E_LIMIT
        doc: "Length in bytes of version, at most 255."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: version
        size: version_len.value
        type: str
        encoding: UTF-8
        doc: "Its version as it prints it (UTF-8; a reader rejects invalid UTF-8 with AIGIF_E_UTF8)."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: check_end
        size: 0
        valid:
          expr: "_io.eof"
        -aigif-error: AIGIF_E_EXTENSION
        doc: "Nothing follows the last field."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata

  source_metadata:
    doc: "Extension type 9, source_metadata: the imported file's metadata, verbatim (e.g. PNG `parameters`, ComfyUI `prompt` and `workflow`). The codes' registry check and the rules across fields (spec section 9.4) are the reader's."
    doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
    seq:
      - id: check_must_understand
        size: 0
        valid:
          expr: "not _parent.must_understand"
        -aigif-error: AIGIF_E_NONCANONICAL
        doc: "Type 9 is written with must_understand 0."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: entries_count
        type: uvarint
        valid:
          expr: "_.value >= 1 and _.value <= 64"
        -aigif-error: AIGIF_E_RANGE
        doc: "Number of entries, 1..64."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: entries
        type: source_metadata_entries_item
        repeat: expr
        repeat-expr: entries_count.value
        doc: "One per metadata item of the source file."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: unmapped_len
        type: uvarint
        valid:
          expr: "_.value <= 65535"
        -aigif-error: AIGIF_E_LIMIT
        doc: "Length in bytes of unmapped, at most 65535."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: unmapped
        size: unmapped_len.value
        type: str
        encoding: UTF-8
        doc: "Settings the importer could not represent (one per line; empty: none) (UTF-8; a reader rejects invalid UTF-8 with AIGIF_E_UTF8)."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: check_end
        size: 0
        valid:
          expr: "_io.eof"
        -aigif-error: AIGIF_E_EXTENSION
        doc: "Nothing follows the last field."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata

  source_metadata_entries_item:
    doc: "One entry of source_metadata.entries."
    doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
    seq:
      - id: key_len
        type: uvarint
        valid:
          expr: "_.value <= 255"
        -aigif-error: AIGIF_E_LIMIT
        doc: "Length in bytes of key, at most 255."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: key
        size: key_len.value
        type: str
        encoding: UTF-8
        doc: "Where it was: the PNG text key, or `exif:UserComment` (UTF-8; a reader rejects invalid UTF-8 with AIGIF_E_UTF8)."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: text_len
        type: uvarint
        valid:
          expr: "_.value <= 33554432"
        -aigif-error: AIGIF_E_LIMIT
        doc: "Length in bytes of text, at most 33554432."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
      - id: text
        size: text_len.value
        type: str
        encoding: UTF-8
        doc: "The item's text, verbatim (UTF-8; a reader rejects invalid UTF-8 with AIGIF_E_UTF8)."
        doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
  # END GENERATED: slot-types

  unknown_extension:
    doc: An extension type this grammar does not know; kept as bytes.
    doc-ref: spec/bitstream.md#9-extension-records
    seq:
      - id: check_must_understand
        size: 0
        valid:
          expr: not _parent.must_understand
        -aigif-error: AIGIF_E_MUST_UNDERSTAND
        doc: An unknown record marked must-understand makes the file unreadable.
        doc-ref: spec/bitstream.md#9-extension-records
      - id: data
        size-eos: true
        doc: The record body.
        doc-ref: spec/bitstream.md#9-extension-records

  uvarint:
    doc: |
      Unsigned LEB128 of a 64-bit value in canonical form: 7 bits per byte, least
      significant group first, high bit set on every byte but the last; at most
      10 bytes, no redundant trailing zero group, the value below 2**64.
    doc-ref: spec/bitstream.md#51-uvarint
    seq:
      - id: groups
        type: u1
        repeat: until
        repeat-until: _ < 0x80 or _index == 9
        doc: The bytes, up to and including the first without the high bit (10 at most).
        doc-ref: spec/bitstream.md#51-uvarint
      - id: check_length
        size: 0
        valid:
          expr: groups.last < 0x80
        -aigif-error: AIGIF_E_RANGE
        doc: The 10th byte ends the number.
        doc-ref: spec/bitstream.md#51-uvarint
      - id: check_minimal
        size: 0
        valid:
          expr: groups.size == 1 or groups.last != 0
        -aigif-error: AIGIF_E_NONCANONICAL
        doc: No redundant trailing zero group (0x80 0x00 is not 0).
        doc-ref: spec/bitstream.md#51-uvarint
      - id: check_64_bits
        size: 0
        valid:
          expr: groups.size < 10 or groups.last <= 1
        -aigif-error: AIGIF_E_RANGE
        doc: The value fits in 64 bits (the 10th byte carries bit 63 only).
        doc-ref: spec/bitstream.md#51-uvarint
    instances:
      value:
        value: >-
          (groups[0] & 0x7f)
          | (groups.size > 1 ? (groups[1] & 0x7f) << 7 : 0)
          | (groups.size > 2 ? (groups[2] & 0x7f) << 14 : 0)
          | (groups.size > 3 ? (groups[3] & 0x7f) << 21 : 0)
          | (groups.size > 4 ? (groups[4] & 0x7f) << 28 : 0)
          | (groups.size > 5 ? (groups[5] & 0x7f) << 35 : 0)
          | (groups.size > 6 ? (groups[6] & 0x7f) << 42 : 0)
          | (groups.size > 7 ? (groups[7] & 0x7f) << 49 : 0)
          | (groups.size > 8 ? (groups[8] & 0x7f) << 56 : 0)
          | (groups.size > 9 ? (groups[9] & 0x7f) << 63 : 0)
        doc: The decoded value.
        doc-ref: spec/bitstream.md#51-uvarint

  exp_code:
    doc: |
      The paper's expandable code: n bytes 0xFF then a final byte 0..254, value
      255 * n + final; at most 64 bytes (values 0..16319).
    doc-ref:
      - spec/bitstream.md#52-exp-code
      - Gao et al., Sec. II.B.3 "Expandable Syntax" and Table I
    seq:
      - id: units
        type: u1
        repeat: until
        repeat-until: _ != 0xff or _index == 63
        doc: The 0xFF bytes and the final byte.
        doc-ref: spec/bitstream.md#52-exp-code
      - id: check_length
        size: 0
        valid:
          expr: units.last != 0xff
        -aigif-error: AIGIF_E_LIMIT
        doc: The 64th byte ends the code.
        doc-ref: spec/bitstream.md#111-limits
    instances:
      value:
        value: 255 * (units.size - 1) + units.last
        doc: The decoded code.
        doc-ref: spec/bitstream.md#52-exp-code

  cfloat:
    doc: |
      Compact float32: a uvarint u. Even u is the value (u >> 1) / 4 exactly
      (u >> 1 below 2**24); u == 1 is followed by a raw float32, allowed only
      for finite values that the short form cannot write; other odd u are reserved.
    doc-ref: spec/bitstream.md#53-compact-float
    seq:
      - id: form
        type: uvarint
        valid:
          expr: (_.value & 1) == 1 or _.value >> 1 < 16777216
        -aigif-error: AIGIF_E_RANGE
        doc: Even - quarters << 1; 1 - raw float32 follows.
        doc-ref: spec/bitstream.md#53-compact-float
      - id: check_reserved
        size: 0
        valid:
          expr: (form.value & 1) == 0 or form.value == 1
        -aigif-error: AIGIF_E_RESERVED
        doc: Odd forms other than 1 are reserved.
        doc-ref: spec/bitstream.md#53-compact-float
      - id: raw
        size: 4
        type: raw_float32
        if: form.value == 1
        doc: The raw float32 (little-endian).
        doc-ref: spec/bitstream.md#53-compact-float
    instances:
      value:
        value: 'form.value == 1 ? raw.value : (form.value >> 1) / 4.0'
        doc: The float32 value.
        doc-ref: spec/bitstream.md#53-compact-float

  raw_float32:
    doc: A raw float32 that must be finite and not writable in the compact form.
    doc-ref: spec/bitstream.md#53-compact-float
    seq:
      - id: bits
        type: u4
        valid:
          expr: (_ & 0x7f800000) != 0x7f800000
        -aigif-error: AIGIF_E_RANGE
        doc: IEEE 754 binary32 bits; exponent all-ones (NaN, infinity) is rejected.
        doc-ref: spec/bitstream.md#53-compact-float
      - id: check_not_compact
        size: 0
        valid:
          expr: not is_quarter
        -aigif-error: AIGIF_E_NONCANONICAL
        doc: |
          A value k/4 with 0 <= k < 2**24 (+0.0 included, -0.0 not) must use
          the compact form.
        doc-ref: spec/bitstream.md#53-compact-float
    instances:
      biased_exponent:
        value: (bits >> 23) & 0xff
        doc: The exponent field.
        doc-ref: spec/bitstream.md#53-compact-float
      significand:
        value: (bits & 0x7fffff) | 0x800000
        doc: The significand of a normal number, implicit bit included.
        doc-ref: spec/bitstream.md#53-compact-float
      is_quarter:
        value: >-
          bits == 0
          or (bits >> 31 == 0 and biased_exponent >= 125 and biased_exponent <= 148
          and (significand & ((1 << (148 - biased_exponent)) - 1)) == 0)
        doc: |
          True for +0.0 and for positive normals k/4 with k < 2**24: value * 4 =
          significand * 2**(exponent - 148) is an integer below 2**24 exactly
          when the exponent is at most 148 and the low (148 - exponent) bits of
          the significand are zero (so the exponent is at least 125).
        doc-ref: spec/bitstream.md#53-compact-float
      value:
        pos: 0
        type: f4
        doc: The value.
        doc-ref: spec/bitstream.md#53-compact-float

  flag:
    doc: A boolean byte, 0x00 or 0x01.
    doc-ref: spec/bitstream.md#54-bool-pair-version-size
    seq:
      - id: byte
        type: u1
        valid:
          max: 1
        -aigif-error: AIGIF_E_RANGE
        doc: 0 false, 1 true; anything else is out of range.
        doc-ref: spec/bitstream.md#54-bool-pair-version-size
    instances:
      value:
        value: byte != 0
        doc: The boolean.
        doc-ref: spec/bitstream.md#54-bool-pair-version-size

  pair:
    doc: Two uvarints, e.g. SDXL's (height, width) micro-conditioning.
    doc-ref: spec/bitstream.md#54-bool-pair-version-size
    seq:
      - id: first
        type: uvarint
        doc: First component.
        doc-ref: spec/bitstream.md#54-bool-pair-version-size
      - id: second
        type: uvarint
        doc: Second component.
        doc-ref: spec/bitstream.md#54-bool-pair-version-size

  version:
    doc: A software version MAJOR.MINOR.PATCH as three uvarints, each at most 65535.
    doc-ref: spec/bitstream.md#54-bool-pair-version-size
    seq:
      - id: major
        type: uvarint
        doc: Major component.
        doc-ref: spec/bitstream.md#54-bool-pair-version-size
      - id: check_major
        size: 0
        valid:
          expr: major.value <= 65535
        -aigif-error: AIGIF_E_RANGE
        doc: Checked as soon as the component is read (spec 1.1, order of checks).
        doc-ref: spec/bitstream.md#112-order-of-checks
      - id: minor
        type: uvarint
        doc: Minor component.
        doc-ref: spec/bitstream.md#54-bool-pair-version-size
      - id: check_minor
        size: 0
        valid:
          expr: minor.value <= 65535
        -aigif-error: AIGIF_E_RANGE
        doc: Checked as soon as the component is read (spec 1.1, order of checks).
        doc-ref: spec/bitstream.md#112-order-of-checks
      - id: patch
        type: uvarint
        doc: Patch component.
        doc-ref: spec/bitstream.md#54-bool-pair-version-size
      - id: check_patch
        size: 0
        valid:
          expr: patch.value <= 65535
        -aigif-error: AIGIF_E_RANGE
        doc: Checked as soon as the component is read (spec 1.1, order of checks).
        doc-ref: spec/bitstream.md#112-order-of-checks

enums:
  extension_type:
    1:
      id: pixels
      doc: The original pixels (type 1, must_understand 0).
      doc-ref: spec/bitstream.md#91-type-1-pixels
    2:
      id: model
      doc: A quantized model payload, embedded or referenced by sha256 (type 2, must_understand 1).
      doc-ref: spec/bitstream.md#92-type-2-model
    3:
      id: pixel_digest
      doc: A digest of the original pixels (type 3, must_understand 0).
      doc-ref: spec/bitstream.md#93-type-3-pixel-digest
    # BEGIN GENERATED: slot-enum (tools/gen_ksy.py; do not edit)
    4:
      id: model_file
      doc: "The checkpoint file by content hash (single-file weights); the core model_id gives family and config (type 4, must_understand 1)."
      doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
    5:
      id: adapters
      doc: "LoRA / textual-inversion / VAE files by content hash, with UNet and text-encoder scales (type 5, must_understand 1)."
      doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
    6:
      id: stages
      doc: "First-pass size, then each later stage (hires fix: upscaler, size, steps, denoising strength, scheduler; refiner: steps, scheduler, model, denoising start) (type 6, must_understand 1)."
      doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
    7:
      id: prompt_dialect
      doc: "The syntax the prompts are written in (A1111, ComfyUI, compel weighting) (type 7, must_understand 1)."
      doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
    8:
      id: software
      doc: "Name and version of the generating program (e.g. AUTOMATIC1111 stable-diffusion-webui v1.10.1) (type 8, must_understand 0)."
      doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
    9:
      id: source_metadata
      doc: "The imported file's metadata, verbatim (e.g. PNG `parameters`, ComfyUI `prompt` and `workflow`) (type 9, must_understand 0)."
      doc-ref: spec/bitstream.md#94-types-49-models-by-hash-adapters-stages-prompt-dialect-software-source-metadata
    # END GENERATED: slot-enum
  pixel_compressor:
    0:
      id: raw_rgb8
      doc: Uncompressed 8-bit RGB.
      doc-ref: spec/bitstream.md#91-type-1-pixels
    1:
      id: png
      doc: A PNG stream.
      doc-ref: spec/bitstream.md#91-type-1-pixels
    2:
      id: jxl
      doc: A bare JPEG XL codestream.
      doc-ref: spec/bitstream.md#91-type-1-pixels
    3:
      id: diffc
      doc: A DiffC payload, decoded through its model (spec/diffc.md).
      doc-ref: spec/diffc.md#5-payload
