"""Quantized models (spec/quantized.md), one module per job:

formats    tensor formats (int8, q8_0, q4_0 and the floats): exact dequantization, the cast, the writer's quantizers
payload    the model-payload container (safetensors + a per-tensor format table): build, bounded parse
quantizer  the reference writer: a verified model folder -> a payload
loader     find, verify and check a record's payload against its base model; dequantize into a pipeline
cli        `aigif quantize` and `aigif encode --model-payload`
"""
