"""The version byte (spec/bitstream.md, section 3): a file carries the lowest version whose features it uses.

Every feature and its version come from the declarations (FieldSpec.since, ExtensionType.since), so a
field or type added later is covered here without an edit.
"""
from __future__ import annotations

import pytest

from aigif_ref.api import decode, encode
from aigif_ref.errors import AigifError
from aigif_ref.extensions import DECODED, Model, SlotExtension
from aigif_ref.grammar.aigif import required_version, with_crc
from aigif_ref.grammar.fields import GROUPS
from aigif_ref.grammar.versions import NEWEST, V1_0, Version
from vectors.syntax_gen.version_cases import MODEL_REFERENCED

MINIMAL = {"model_id": 0, "steps": 1, "guidance_scale": 0.0, "seed": 0, "height": 8, "width": 8, "prompt": "",
           "text_compressor": 0}


def features() -> list[tuple[str, Version, dict]]:
    """(feature, its version, a record that uses it and nothing else newer than 1.0) for every feature after 1.0."""
    out = [(f"{group}.{spec.name}", spec.since, {**MINIMAL, group: {spec.name: spec.wire_type.edge_values(spec)[0]}})
           for group, specs in GROUPS.items() for spec in specs if spec.since > V1_0 and group != "params"]
    for cls in DECODED.values():
        if cls.since > V1_0:
            ext = cls.sample(8) if issubclass(cls, SlotExtension) else MODEL_REFERENCED if cls is Model else None
            out += [(cls.name, cls.since, {**MINIMAL, "extensions": [ext]})] if ext else []
    return out


FEATURES = features()


def with_version(data: bytes, version: Version) -> bytes:
    return with_crc(data[:4] + bytes([version.byte]) + data[5:])


def error(data: bytes) -> tuple[str, int | None]:
    with pytest.raises(AigifError) as err:
        decode(data)
    return err.value.code, err.value.offset


def test_a_1_0_record_is_written_as_1_0():
    data = encode(MINIMAL)
    assert data[4] == V1_0.byte and decode(data)["aigif_version"] == "1.0"
    assert encode({**MINIMAL, "aigif_version": "1.1"}) == data  # the writer derives it; the input's is ignored


def test_every_newer_feature_is_covered():
    assert {f for f, _, _ in FEATURES} >= {"platform.cpu_capability", "model", "model_file", "adapters", "stages",
                                            "prompt_dialect", "software", "source_metadata"}


@pytest.mark.parametrize("feature,since,record", FEATURES, ids=[f for f, _, _ in FEATURES])
def test_a_feature_raises_the_version_to_its_own(feature, since, record):
    data = encode(record)
    assert data[4] == since.byte and decode(data)["aigif_version"] == str(since)
    assert required_version(decode(data)) == since
    # Claiming an older version: refused where the feature is read, not at the version byte.
    code, offset = error(with_version(data, V1_0))
    assert code == "AIGIF_E_NONCANONICAL" and offset > 9
    # A later minor version than this reader knows: read as it is (no version check).
    later = Version(NEWEST.major, NEWEST.minor + 1)
    assert decode(with_version(data, later))["aigif_version"] == str(later)


def test_a_known_version_above_what_the_features_need_is_a_second_encoding():
    for newer in range(V1_0.minor + 1, NEWEST.minor + 1):
        assert error(with_version(encode(MINIMAL), Version(1, newer))) == ("AIGIF_E_NONCANONICAL", 4)
    assert decode(with_version(encode(MINIMAL), Version(1, 15)))["aigif_version"] == "1.15"


def test_a_damaged_version_byte_is_a_crc_error():
    data = encode(FEATURES[0][2])
    assert error(data[:4] + bytes([V1_0.byte]) + data[5:]) == ("AIGIF_E_CRC", 5)
    plain = encode(MINIMAL)
    assert error(plain[:4] + bytes([NEWEST.byte]) + plain[5:]) == ("AIGIF_E_CRC", 5)


def test_newer_group_fields_sit_above_older_ones():
    # New fields take the next free bit, so within a group `since` never decreases with the bit number: a field
    # appended without its version (the default, 1.0) above a 1.1 field is caught here.
    for group, specs in GROUPS.items():
        ordered = sorted(specs, key=lambda s: s.bit)
        assert all(a.since <= b.since for a, b in zip(ordered, ordered[1:])), group
        assert all(s.since <= NEWEST for s in specs), group
    assert all(cls.since <= NEWEST for cls in DECODED.values())
