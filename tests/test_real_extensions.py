"""Extension types 4-9 (issue 12): round trips, canonical bytes, bounds and codes, all from their declarations."""
from __future__ import annotations

import pytest

from aigif_ref.api import decode, encode
from aigif_ref.errors import AigifError
from aigif_ref.extensions import TYPES, SlotExtension
from aigif_ref.record import find_extension
from aigif_ref.registry import default_registry
from tests.conftest import typical_record

SHA = "ab" * 32
STRUCTURED = {cls.name: cls for cls in TYPES.values() if isinstance(cls, type) and issubclass(cls, SlotExtension)}


def real_extensions(height: int, width: int) -> list[dict]:
    return [
        {"type": STRUCTURED["model_file"].code, "hash_algorithm": "sha256", "digest": SHA, "name": "dreamshaper_8"},
        {"type": STRUCTURED["adapters"].code, "adapters": [
            {"kind": "lora", "hash_algorithm": "AutoV2", "digest": "0123456789", "name": "detail", "unet_scale": 0.8,
             "text_encoder_scale": 0.6},
            {"kind": "textual_inversion", "hash_algorithm": "sha256", "digest": SHA, "name": "easynegative",
             "unet_scale": 1, "text_encoder_scale": 1}]},
        {"type": STRUCTURED["stages"].code, "base_height": height // 2, "base_width": width // 2, "stages": [
            {"kind": "hires_fix", "upscaler": "Latent", "height": height, "width": width, "steps": 10,
             "denoising_strength": 0.55, "scheduler": "DPM++ 2M Karras"}]},
        {"type": STRUCTURED["prompt_dialect"].code, "dialect": "A1111"},
        {"type": STRUCTURED["software"].code, "name": "AUTOMATIC1111", "version": "v1.10.1"},
        {"type": STRUCTURED["source_metadata"].code, "entries": [{"key": "parameters", "text": "a cat\nSteps: 20"}],
         "unmapped": ""},
    ]


def test_every_structured_type_round_trips_with_codes_and_names():
    registry = default_registry()
    record = typical_record(height=64, width=64, extensions=real_extensions(64, 64))
    data = encode(record)
    decoded = decode(data)
    assert encode(decoded) == data  # canonical: the decoded JSON rebuilds the same bytes
    stages = find_extension(decoded, STRUCTURED["stages"].code)
    assert stages["stages"][0]["scheduler"] == registry.enum_code("schedulers", "DPM++ 2M Karras")
    assert stages["stages"][0]["denoising_strength"] == pytest.approx(0.55)
    lora = find_extension(decoded, STRUCTURED["adapters"].code)["adapters"][0]
    assert (lora["digest"], lora["unet_scale"], lora["text_encoder_scale"]) == ("0123456789", 0.8, 0.6)
    for cls in STRUCTURED.values():
        ext = find_extension(decoded, cls.code)
        assert ext["must_understand"] == cls.must_understand
        entry = registry.enum("extension_types")[cls.code]
        assert (entry["name"], entry["must_understand"]) == (cls.name, cls.must_understand)


def test_trailing_bytes_and_bad_codes_are_refused_with_codes():
    record = typical_record(height=64, width=64, extensions=real_extensions(64, 64)[3:4])
    data = bytearray(encode(record))
    # the dialect body is one exp code; append a byte to the body and fix length and CRC
    from aigif_ref.grammar.aigif import with_crc

    assert data[-3:] == bytes([STRUCTURED["prompt_dialect"].code << 1 | 1, 1, 1])
    longer = with_crc(bytes(data[:-2]) + b"\x02\x01\x00")
    with pytest.raises(AigifError) as err:
        decode(longer)
    assert err.value.code == "AIGIF_E_EXTENSION"
    unknown_dialect = max(default_registry().enum("prompt_dialects")) + 1
    with pytest.raises(AigifError) as err:
        decode(with_crc(bytes(data[:-1]) + bytes([unknown_dialect])))
    assert err.value.code == "AIGIF_E_UNKNOWN_CODE"


def test_stage_size_must_end_at_the_record_size_and_digest_length_follows_the_algorithm():
    wrong = real_extensions(64, 64)[2]
    with pytest.raises(AigifError) as err:
        encode(typical_record(height=128, width=128, extensions=[wrong]))
    assert err.value.code == "AIGIF_E_RECORD" and "last stage" in err.value.message  # a writer's record error
    bad = dict(real_extensions(64, 64)[0], digest="ab" * 5)
    with pytest.raises(AigifError) as err:
        encode(typical_record(height=64, width=64, extensions=[bad]))
    assert err.value.code == "AIGIF_E_RECORD"


def test_lora_only_has_scales():
    ext = real_extensions(64, 64)[1]
    ext["adapters"][1]["unet_scale"] = 0.5
    with pytest.raises(AigifError) as err:
        encode(typical_record(height=64, width=64, extensions=[ext]))
    assert err.value.code == "AIGIF_E_RECORD" and "only a LoRA" in err.value.message
