"""Model compressors and payload limits: the facts the bitstream needs, without NumPy (the core has no NumPy)."""
from __future__ import annotations

# Model compressor code (registry.json "model_compressors") -> (its name there, the quantized tensor formats its
# payloads may use). Float formats are always allowed (tensors the quantizer keeps: biases, norms, --keep layers).
COMPRESSORS: dict[int, tuple[str, tuple[str, ...]]] = {
    0: ("None", ()),
    1: ("int8", ("int8",)),
    2: ("q8_0", ("q8_0",)),
    3: ("q4_0", ("q4_0",)),
    4: ("mixed", ("int8", "q8_0", "q4_0")),
}

MAX_PAYLOAD_BYTES = 64 * 1024 ** 3  # a whole payload file (2**36 bytes)
