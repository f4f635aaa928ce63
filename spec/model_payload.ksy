meta:
  id: model_payload
  title: AIGIF model payload (a safetensors file with an aigif.model_payload table)
  file-extension: safetensors
  license: Apache-2.0
  endian: le
doc: |
  The model payload of extension type 2 (spec/quantized.md §6): a safetensors file.
  Kaitai describes its layout; the JSON header (tensor table and the
  aigif.model_payload metadata naming each tensor's format and logical shape)
  is read with a JSON parser, and the tensors' data offsets, relative to
  `data`, tile it exactly. Quantized tensors (int8, q8_0, q4_0) are U8 tensors
  whose bytes are described by the types below.
doc-ref: spec/quantized.md
seq:
  - id: header_length
    type: u8
    valid:
      max: 16777216
    -aigif-error: AIGIF_E_LIMIT
    doc: Length of the JSON header in bytes, at most 16 MiB.
  - id: header
    size: header_length
    type: str
    encoding: UTF-8
    doc: safetensors JSON header with __metadata__["aigif.model_payload"].
  - id: data
    size-eos: true
    doc: The tensors' bytes, in the order of their data offsets.
types:
  q8_0_block:
    doc: GGUF Q8_0 block; element j = float32(q[j]) * float32(d), exact, d the binary16 value of d_bits.
    seq:
      - id: d_bits
        type: u2
        doc: The binary16 scale's bits (Kaitai has no binary16 type); NaN or infinity is AIGIF_E_PAYLOAD_SCALE.
      - id: q
        type: s1
        repeat: expr
        repeat-expr: 32
  q4_0_block:
    doc: |
      GGUF Q4_0 block; byte j holds element j (low nibble) and element j + 16
      (high nibble); element = float32(code - 8) * float32(d), exact, d the binary16 value of d_bits.
    seq:
      - id: d_bits
        type: u2
        doc: The binary16 scale's bits.
      - id: nibbles
        type: u1
        repeat: expr
        repeat-expr: 16
  int8_tensor:
    doc: int8 per output channel; element [i, k] = float32(q) * s[i] (one binary32 multiply).
    params:
      - id: rows
        type: u4
        doc: shape[0] of the logical shape.
    seq:
      - id: scales
        type: f4
        repeat: expr
        repeat-expr: rows
      - id: q
        size-eos: true
        doc: Every element as int8, C order.
