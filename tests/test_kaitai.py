"""The Kaitai Struct grammar (spec/aigif.ksy) agrees with the construct grammar.

conformance.impls.kaitai_python.adapter.parse_with_kaitai reads files with the parser generated
from the .ksy; every test here runs it and aigif_ref.api.decode on the same bytes
and requires the same record or the same error code.
"""
from __future__ import annotations

import base64
import copy
import importlib.util
import io
import json
import re
import shutil
import struct
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kaitaistruct

from aigif_ref.diffc.payload import PAYLOAD_VERSIONS
from aigif_ref.api import decode, encode
from aigif_ref.codecs.png import encode_png_rgb8
from aigif_ref.errors import AigifError
from vectors.syntax_gen.valid_cases import first_unregistered_extension_type
from vectors.syntax_gen.version_cases import A1111_EXTENSIONS
from aigif_ref.grammar.aigif import with_crc
from aigif_ref.extensions import DECODED, Model, PromptDialect, SlotExtension
from aigif_ref.extensions.slots import DIGEST_BYTES, Slot, write_slots
from aigif_ref.grammar import limits
from aigif_ref.grammar.fields import GROUPS, PARAMS, PRESENCE_BITS
from aigif_ref.grammar.wire import WIRE_TYPES
from aigif_ref.grammar.primitives import encode_exp_code, encode_uvarint, read_cfloat, read_exp_code, read_uvarint
from aigif_ref.grammar.versions import NEWEST, V1_0, V1_1
from conformance.impls.kaitai_python.adapter import CHECKS, KAITAI_ERRORS, error_for, kaitai_module, parse_with_kaitai
from aigif_ref.registry import Registry, default_registry, load_registry
from tests.conftest import typical_record
from tests.test_roundtrip import mutated_files, records

UNKNOWN_TYPE = first_unregistered_extension_type(default_registry())

ROOT = Path(__file__).resolve().parents[1]
U64 = 2**64 - 1
EXTRA_CODES = (254, 255, 509, 510, 5000, 16319)  # exp codes of 1, 2, 2, 3, 20 and 64 bytes
BIG_MODEL = 16319  # a model of the test family, which accepts every parameter

needs_node = pytest.mark.skipif(shutil.which("node") is None,
                                reason="node is not installed, so kaitai-struct-compiler cannot run (CI installs it)")


# -- helpers ---------------------------------------------------------------------------

@lru_cache(maxsize=1)
def extended_registry() -> Registry:
    """The shipped registry plus a family accepting every parameter and large codes everywhere."""
    data = copy.deepcopy(default_registry().data)
    data["families"].append({"name": "kaitai-test", "title": "every parameter", "pipeline": "StableDiffusionPipeline",
                             "params": [s.name for s in PARAMS]})
    data["models"] += [{"id": code, "name": f"kaitai-test-{code}", "family": "kaitai-test", "status": "active",
                        "source": {"hf_repo": None, "revision": None}, "files": {}} for code in EXTRA_CODES]
    for entries in data["enumerations"].values():
        entries += [{"code": code, "name": f"kaitai-test-{code}"} for code in EXTRA_CODES]
    return Registry(data)


def differences(expected: Any, got: Any, names: tuple[str, str] = ("construct", "kaitai"), path: str = "") -> list[str]:
    """Every leaf where two records differ, as 'path: construct ..., kaitai ...'."""
    if isinstance(expected, dict) and isinstance(got, dict):
        return [d for key in sorted(set(expected) | set(got), key=str)
                for d in differences(expected.get(key, "<missing>"), got.get(key, "<missing>"), names, f"{path}.{key}")]
    if isinstance(expected, list) and isinstance(got, list) and len(expected) == len(got):
        return [d for i, (a, b) in enumerate(zip(expected, got)) for d in differences(a, b, names, f"{path}[{i}]")]
    same = expected == got and type(expected) is type(got)
    if isinstance(expected, float) and isinstance(got, float):
        same = struct.pack("<d", expected) == struct.pack("<d", got)  # -0.0 is not 0.0
    return [] if same else [f"{path or '(record)'}: {names[0]} {expected!r}, {names[1]} {got!r}"]


def outcome(reader, data: bytes, registry: Registry) -> tuple[str, Any]:
    try:
        return "record", reader(data, registry)
    except AigifError as exc:
        return "error", exc.code


def assert_agree(data: bytes, registry: Registry | None = None) -> tuple[str, Any]:
    """Both readers give the same record (compared field by field) or the same error code."""
    registry = registry or default_registry()
    expected, got = outcome(decode, data, registry), outcome(parse_with_kaitai, data, registry)
    if expected[0] == got[0] == "record":
        assert not differences(expected[1], got[1]), "\n".join(differences(expected[1], got[1]))
    else:
        assert got == expected, f"construct: {expected}, kaitai: {got} (file {data[:64].hex()}...)"
    return expected


def tiny_png(width: int, height: int) -> bytes:
    return encode_png_rgb8(width, height, bytes((i * 7) % 256 for i in range(3 * width * height)))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_build_tool():
    return load_tool("build_kaitai")


@lru_cache(maxsize=1)
def gen_ksy():
    return load_tool("gen_ksy")


SLOT_TYPES = [cls for _, cls in sorted(DECODED.items()) if issubclass(cls, SlotExtension)]


# -- (a) the committed parser is what the compiler makes of spec/aigif.ksy -------------

@pytest.fixture(scope="module")
def build_tool():
    module = load_build_tool()
    module.ensure_compiler()
    return module


@needs_node
def test_regenerating_the_parser_gives_byte_identical_files(build_tool):
    generated = build_tool.outputs(["python"])
    assert set(generated) == {ROOT / "spec/generated/python/aigif.py", CHECKS}
    for path, text in generated.items():
        assert path.read_bytes() == text.encode("utf-8"), f"{path} is stale: run python tools/build_kaitai.py"


@needs_node
def test_group_types_mirror_the_field_tables(build_tool):
    ksy, _ = build_tool.compile_ksy([])
    for group, specs in GROUPS.items():
        seq = ksy["types"][group]["seq"]
        checks = ["bitmap", "check_reserved"] + (["check_version"] if any(s.since > V1_0 for s in specs) else [])
        assert [a["id"] for a in seq[:len(checks)]] == checks, group
        assert seq[1]["valid"]["expr"] == f"bitmap.value >> {max(s.bit for s in specs) + 1} == 0", group
        fields = seq[len(checks):]
        assert [a["id"] for a in fields] == [s.name for s in specs], group
        for attr, spec in zip(fields, specs):
            assert attr["type"] == spec.wire_type.ksy, f"{group}.{spec.name}"
            bit = "(bitmap.value & 1) != 0" if spec.bit == 0 else f"((bitmap.value >> {spec.bit}) & 1) != 0"
            assert attr["if"] == bit, f"{group}.{spec.name}"
            bounded = spec.wire == "uvarint" and (spec.min or spec.max is not None)
            assert ("valid" in attr) == bounded, f"{group}.{spec.name}: bounds check"


def slot_attributes(slot: Slot) -> list[str]:
    """The Kaitai attributes one slot becomes (spec/aigif.ksy, written by tools/gen_ksy.py)."""
    return {"size8": [f"{slot.name}_units"], "string": [f"{slot.name}_len", slot.name],
            "digest": [f"check_{slot.name}_algorithm", slot.name], "list": [f"{slot.name}_count", slot.name]
            }.get(slot.wire, [slot.name])


@needs_node
def test_slot_types_mirror_the_declarations(build_tool):
    ksy, _ = build_tool.compile_ksy([])
    body = next(a for a in ksy["types"]["extension"]["seq"] if a["id"] == "body")
    for cls in SLOT_TYPES:
        assert body["type"]["cases"][f"extension_type::{cls.name}"] == cls.name
        assert ksy["enums"]["extension_type"][str(cls.code)]["id"] == cls.name
        seq = [a["id"] for a in ksy["types"][cls.name]["seq"]]
        assert seq == ["check_must_understand", *(a for slot in cls.slots for a in slot_attributes(slot)), "check_end"]
        for slot in cls.slots:
            if slot.wire == "list":
                item = ksy["types"][gen_ksy().item_type(cls, slot)]["seq"]
                assert [a["id"] for a in item] == [a for sub in slot.items for a in slot_attributes(sub)]


@needs_node
def test_every_attribute_and_type_is_documented(build_tool):
    ksy, _ = build_tool.compile_ksy([])
    undocumented = []
    for name, spec in {"(root)": ksy, **ksy["types"]}.items():
        for kind in ("seq", "instances"):
            attrs = spec.get(kind, [])
            for attr in attrs if isinstance(attrs, list) else [{"id": k, **v} for k, v in attrs.items()]:
                if not attr.get("doc") or not attr.get("doc-ref"):
                    undocumented.append(f"{name}.{attr['id']}")
        if not spec.get("doc") or not spec.get("doc-ref"):
            undocumented.append(name)
    assert not undocumented


def heading_anchors(markdown: str) -> set[str]:
    """Anchors as MkDocs (Python-Markdown's toc slugify) and GitHub make them for these headings."""
    anchors = set()
    for line in markdown.splitlines():
        if line.startswith("#"):
            text = re.sub(r"[^\w\s-]", "", line.lstrip("#").strip()).strip().lower()
            anchors.add(re.sub(r"[-\s]+", "-", text))
    return anchors


def test_doc_refs_point_at_existing_sections():
    anchors = heading_anchors((ROOT / "spec/bitstream.md").read_text(encoding="utf-8"))
    refs = set(re.findall(r"spec/bitstream\.md#([\w-]+)", (ROOT / "spec/aigif.ksy").read_text(encoding="utf-8")))
    assert refs and not refs - anchors, sorted(refs - anchors)


# -- (b) records covering every field, encoded by the reference and read by both -------

def big(**overrides) -> dict[str, Any]:
    """A record of the test family (model 16319), which accepts every parameter."""
    return typical_record(**{"model_id": BIG_MODEL, **overrides})


def edge_values(spec) -> list[Any]:
    return spec.wire_type.edge_values(spec)  # declared with the wire type (aigif_ref/grammar/wire.py)


def group_field_records() -> list[tuple[str, dict[str, Any]]]:
    """One record per group field and edge value (catches a wrong bit or type), and one per group with all."""
    out = []
    for group, specs in GROUPS.items():
        for spec in specs:
            for value in edge_values(spec):
                fields = {spec.name: value}
                if spec.name == "batch_index":
                    fields["batch_size"] = value + 1  # semantic rule: index below size
                out.append((f"{group}.{spec.name}={value!r}", big(**{group: fields})))
        everything = {s.name: edge_values(s)[-1] for s in specs}
        if group == "platform":
            everything["batch_index"] = everything["batch_size"] - 1
        out.append((f"{group}.all", big(**{group: everything})))
    return out


PIXELS = bytes(i * 5 % 256 for i in range(8 * 16 * 3))  # height 8 x width 16 x RGB

RECORDS: list[tuple[str, dict[str, Any]]] = [
    ("table1-zlib", typical_record(text_compressor=1)),
    ("table1-none", typical_record(text_compressor=0)),
    ("table1-phrase-huffman", typical_record(text_compressor=2)),
    ("table1-auto", typical_record()),
    ("minimal", {"model_id": 0, "steps": 1, "guidance_scale": 0.0, "seed": 0, "height": 8, "width": 8, "prompt": "x"}),
    ("size-steps-max", typical_record(height=16384, width=8, steps=1000)),
    ("size-width-max", typical_record(height=8, width=16384, steps=999)),
    *[(f"seed-{seed}", typical_record(seed=seed)) for seed in (0, 127, 128, 2**32 - 1, 2**32, 2**63, U64)],
    *[(f"guidance-{g!r}", typical_record(guidance_scale=g)) for g in WIRE_TYPES["cfloat"].edge_values(None)],
    *[(f"model-exp-{code}", big(model_id=code)) for code in EXTRA_CODES],
    ("enums-exp-16319", big(dtype=16319, scheduler=16319, device=16319, gpu=16319, cuda=16319)),
    ("enums-exp-255", big(dtype=255, scheduler=254, device=509, gpu=510, cuda=5000)),
    ("enums-all-default", typical_record(dtype=0, scheduler=0, device=0, gpu=0, cuda=0)),
    *[(f"prompt-{name}-c{c}-neg-{neg!r}", typical_record(prompt=prompt, negative_prompt=neg, text_compressor=c))
      for name, prompt in (("empty", ""), ("unicode", "猫とカフェ ☕ naïve 🐱‍👤 e\u0301"), ("nul", "a\x00b"))
      for neg in (None, "", "blurry, 低品質")
      for c in (0, 1)],
    ("prompt-max-length", typical_record(prompt="p" * limits.MAX_STRING_BYTES, negative_prompt="n" * 100,
                                         text_compressor=0)),
    *group_field_records(),
    ("ext-pixels-raw", typical_record(height=8, width=16, extensions=[
        {"type": 1, "pixel_compressor": 0, "data": b64(PIXELS)}])),
    ("ext-pixels-png", typical_record(height=8, width=16, extensions=[
        {"type": 1, "pixel_compressor": 1, "data": b64(tiny_png(16, 8))}])),
    ("ext-unknown", typical_record(extensions=[{"type": UNKNOWN_TYPE, "must_understand": False, "data": b64(b"\x00\xff")}])),
    ("ext-unknown-empty", typical_record(extensions=[{"type": 1000, "data": ""}])),
    ("ext-pixels-and-unknown", typical_record(height=8, width=16, extensions=[
        {"type": 1, "pixel_compressor": 1, "data": b64(tiny_png(16, 8))},
        {"type": UNKNOWN_TYPE, "data": b64(b"unknown")},
        {"type": 2**62, "data": b64(bytes(300))}])),
    *[(f"ext-slot-{cls.name}", typical_record(height=8, width=8, extensions=[cls.sample(8)])) for cls in SLOT_TYPES],
    ("ext-slot-a1111", typical_record(height=1024, width=768, extensions=A1111_EXTENSIONS)),
    ("everything", big(negative_prompt="", text_compressor=1, params={s.name: edge_values(s)[1] for s in PARAMS},
                       scheduler_config={"shift": 3.0, "use_karras_sigmas": True},
                       platform={"torch_version": "2.11.0", "batch_size": 2, "batch_index": 1},
                       extensions=[{"type": 1, "pixel_compressor": 0, "data": b64(bytes(1024 * 1024 * 3))}])),
]


def test_record_ids_are_unique():
    assert len({name for name, _ in RECORDS}) == len(RECORDS)


@pytest.mark.parametrize("name,record", RECORDS, ids=[name for name, _ in RECORDS])
def test_encoded_records_read_the_same(name, record):
    registry = extended_registry()
    data = encode(record, registry)
    kind, result = assert_agree(data, registry)
    assert kind == "record", f"{name}: the reference rejects its own encoding ({result})"


def test_every_wire_type_and_group_field_is_covered():
    covered = {(group, name) for group in GROUPS for _, record in RECORDS for name in record.get(group, {})}
    assert covered == {(group, s.name) for group, specs in GROUPS.items() for s in specs}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records())
def test_random_records_read_the_same(record):
    kind, _ = assert_agree(encode(record))
    assert kind == "record"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_files(), st.booleans())
def test_mutated_files_read_the_same(data, fix_crc):
    # With the CRC repaired the mutation reaches the syntax checks instead of failing on the CRC.
    assert_agree(with_crc(data) if fix_crc else data)


def test_every_single_byte_change_reads_the_same():
    registry = extended_registry()
    data = encode(dict(RECORDS[-1][1], extensions=[]), registry)
    for pos in range(len(data)):
        for value in {data[pos] ^ 0x01, data[pos] ^ 0x80, 0x00, 0xFF}:
            assert_agree(with_crc(data[:pos] + bytes([value]) + data[pos + 1:]), registry)
    for end in range(len(data)):
        assert_agree(data[:end], registry)


# -- primitives, exhaustively near their edges ----------------------------------------

def read_both(kaitai_type: str, reference, data: bytes) -> tuple[Any, Any]:
    """(construct's, Kaitai's) outcome of reading one primitive: (value bits, bytes used) or the error code."""
    def normal(value):  # floats by their bits, so -0.0 and NaN compare exactly
        return struct.pack("<d", value) if isinstance(value, float) else value

    stream = io.BytesIO(data)
    try:
        expected = (normal(reference(stream, "field")), stream.tell())
    except AigifError as exc:
        expected = exc.code
    kstream = kaitaistruct.KaitaiStream(io.BytesIO(data))
    try:
        got = (normal(getattr(kaitai_module().Aigif, kaitai_type)(kstream).value), kstream.pos())
    except KAITAI_ERRORS as exc:
        got = error_for(exc).code
    return expected, got


def primitive_inputs() -> list[bytes]:
    """Every 1- and 2-byte string, and long runs around the 10-byte and 64-byte bounds."""
    out = [bytes([a]) for a in range(256)] + [bytes([a, b]) for a in range(256) for b in range(256)]
    for n in (8, 9, 10, 11, 62, 63, 64, 65):
        for fill in (0x80, 0xFF):
            out += [bytes([fill]) * n + bytes([last]) for last in (0x00, 0x01, 0x02, 0x7F, 0xFE)]
    return out


@pytest.mark.parametrize("kaitai_type,reference", [("Uvarint", read_uvarint), ("ExpCode", read_exp_code),
                                                   ("Cfloat", read_cfloat)])
def test_primitives_read_the_same(kaitai_type, reference):
    mismatches = [(data.hex(), *pair) for data in primitive_inputs()
                  if (pair := read_both(kaitai_type, reference, data))[0] != pair[1]]
    assert not mismatches, mismatches[:10]


def test_raw_float32_forms_read_the_same():
    # Sign x every exponent x significands probing each low-bit boundary of the compact form.
    fractions = [0, 1, (1 << 23) - 1] + [1 << k for k in range(23)] + [(1 << 23) - (1 << k) for k in range(23)]
    mismatches = []
    for sign in (0, 1):
        for exponent in range(256):
            for fraction in fractions:
                bits = sign << 31 | exponent << 23 | fraction
                expected, got = read_both("Cfloat", read_cfloat, b"\x01" + bits.to_bytes(4, "little"))
                if expected != got:
                    mismatches.append((f"{bits:08x}", expected, got))
    assert not mismatches, mismatches[:10]


# -- every Kaitai check: reachable, and it gives the construct grammar's error code -----

uv = encode_uvarint
TEXT = b"\x00\x01a"  # compressor 0 (none), length 1, "a"


def hand_file(presence: int = 0, *, model: bytes = b"\x00", optional: bytes = b"", steps: bytes = b"\x14",
              guidance: bytes = b"\x3c", height: bytes = b"\x01", width: bytes = b"\x02", text: bytes = TEXT,
              tail: bytes = b"", header: bytes = limits.SIGNATURE + bytes([V1_0.byte])) -> bytes:
    """A file assembled from raw field bytes (8 x 16 px, seed 1); `optional` goes between model and steps."""
    body = uv(presence) + model + optional + steps + guidance + b"\x01" + height + width + text + tail
    return with_crc(header + b"\0\0\0\0" + body)


def ext(ext_type: int, body: bytes, must_understand: int = 0) -> bytes:
    return uv(ext_type << 1 | must_understand) + uv(len(body)) + body


def newer_ext_file(kind, body: bytes, must_understand: bool | None = None) -> bytes:
    """hand_file with one record of a type defined after 1.0, in a file of that type's version."""
    flag = kind.must_understand if must_understand is None else must_understand
    return hand_file(tail=ext(kind.code, body, int(flag)), header=limits.SIGNATURE + bytes([kind.since.byte]))


def slot_check_cases() -> list[tuple[str, bytes]]:
    """Every Kaitai check of the slot-declared types (4-9): a body that fails it, and no check before it.

    Bodies are written slot by slot from each type's sample record (SlotExtension.sample); the defect
    replaces one slot: a count, length, size or bound one past its limit, or a hash algorithm without a digest length.
    """
    cases = []

    def walk(owner: str, slots: tuple[Slot, ...], values: dict[str, Any], prefix: bytes) -> list[tuple[str, bytes]]:
        out = []
        for i, slot in enumerate(slots):
            if not slot.present(values):  # a slot of another layout than the sample's
                continue
            before = prefix + b"".join(s.write(values[s.name], values, owner) for s in slots[:i] if s.present(values))
            attr = slot_attributes(slot)[0]
            if slot.wire == "enum" and slot.layouts:  # a code whose layout the grammar does not define
                out.append((f"{owner}.{attr}", before + encode_exp_code(max(slot.layouts) + 1)))
            elif slot.wire in ("size8", "list"):
                out.append((f"{owner}.{attr}", before + uv(0)))
            elif slot.wire == "string" or (slot.wire == "uvarint" and slot.max < U64):
                out.append((f"{owner}.{attr}", before + uv(slot.max + 1)))
            elif slot.wire == "uvarint" and slot.min > 0:
                out.append((f"{owner}.{attr}", before + uv(slot.min - 1)))
            elif slot.wire == "digest":
                at = [s.name for s in slots].index("hash_algorithm")
                head = prefix + b"".join(s.write(values[s.name], values, owner) for s in slots[:at] if s.present(values))
                out.append((f"{owner}.{attr}", head + encode_exp_code(max(DIGEST_BYTES) + 1)))
            if slot.wire == "list":
                out += walk(gen_ksy().item_type(owner_class, slot), slot.items, values[slot.name][0], before + uv(1))
        return out

    for owner_class in SLOT_TYPES:
        sample = owner_class.sample(8)
        body = owner_class.build(sample, None)
        cases.append((f"{owner_class.name}.check_must_understand",
                      newer_ext_file(owner_class, body, must_understand=not owner_class.must_understand)))
        cases.append((f"{owner_class.name}.check_end", newer_ext_file(owner_class, body + b"\x00")))
        cases += [(name, newer_ext_file(owner_class, defect)) for name, defect in walk(owner_class.name, owner_class.slots, sample, b"")]
    return cases


PNG = tiny_png(16, 8)  # width 16, height 8: matches hand_file
# A JPEG XL codestream start the grammar accepts for hand_file: SizeHeader small, height 8, ratio 0, width 16
# (bits, least significant first: 1, 00000, 000, 00001), padded to the 12-byte minimum.
JXL = b"\xff\x0a\x01\x02" + bytes(8)


def oversized_file() -> bytes:
    return limits.SIGNATURE + b"\x10" + bytes(limits.MAX_FILE_BYTES)

def group_check_cases() -> list[tuple[str, bytes]]:
    """Every check of the field groups, with bit positions and bounds read off the declarations."""
    cases = []
    for group, specs in GROUPS.items():
        present = 1 << PRESENCE_BITS[group]
        cases.append((f"{group}.bitmap", hand_file(present, tail=b"\x00")))
        cases.append((f"{group}.check_reserved", hand_file(present, tail=uv(1 << (max(s.bit for s in specs) + 1)))))
        newer = [s for s in specs if s.since > V1_0]
        if newer:  # a field added after 1.0, in a file that says 1.0
            cases.append((f"{group}.check_version", hand_file(present, tail=uv(1 << newer[0].bit))))
        for spec in specs:
            if spec.wire == "uvarint" and (spec.min or spec.max is not None):
                outside = spec.max + 1 if spec.max is not None else spec.min - 1
                cases.append((f"{group}.{spec.name}", hand_file(present, tail=uv(1 << spec.bit) + uv(outside),
                                                                header=limits.SIGNATURE + bytes([spec.since.byte]))))
    # One value check per wire type that has one (in the first field of that type).
    group, version = next((g, s) for g, specs in GROUPS.items() for s in specs if s.wire == "version")
    present, bit = 1 << PRESENCE_BITS[group], uv(1 << version.bit)
    cases += [("version.check_major", hand_file(present, tail=bit + uv(65536))),  # checked before the next component
              ("version.check_minor", hand_file(present, tail=bit + uv(2) + uv(65536))),
              ("version.check_patch", hand_file(present, tail=bit + uv(2) + uv(11) + uv(65536)))]
    group, flag = next((g, s) for g, specs in GROUPS.items() for s in specs if s.wire == "bool")
    cases.append(("flag.byte", hand_file(1 << PRESENCE_BITS[group], tail=uv(1 << flag.bit) + b"\x02")))
    return cases


CHECK_CASES: list[tuple[str, Any]] = [  # (check, file bytes or a function making them)
    ("header.check_file_size", oversized_file),  # built when its test runs: 256 MiB
    ("signature.byte_0", b"\x88AIG\x10" + bytes(8)),
    ("signature.byte_1", b"\x89B"),
    ("signature.byte_2", b"\x89AXG\x10" + bytes(8)),
    ("signature.byte_3", b"\x89AIX\x10" + bytes(8)),
    ("header.version_major", hand_file(header=limits.SIGNATURE + b"\x20")),
    ("core.presence", hand_file(1 << (max(PRESENCE_BITS.values()) + 1))),
    ("core.dtype", hand_file(1 << PRESENCE_BITS["dtype"], optional=b"\x00")),
    ("core.scheduler", hand_file(1 << PRESENCE_BITS["scheduler"], optional=b"\x00")),
    ("core.steps", hand_file(steps=uv(1001))),
    ("core.height_units", hand_file(height=b"\x00")),
    ("core.width_units", hand_file(width=uv(2049))),
    ("text_block.length", hand_file(text=b"\x00" + uv(65537))),
    *[(f"body.{name}", hand_file(1 << PRESENCE_BITS[name], tail=b"\x00")) for name in ("device", "gpu", "cuda")],
    *group_check_cases(),
    ("cfloat.form", hand_file(guidance=uv(1 << 25))),
    ("cfloat.check_reserved", hand_file(guidance=b"\x03")),
    ("raw_float32.bits", hand_file(guidance=b"\x01" + struct.pack("<f", float("inf")))),
    ("raw_float32.check_not_compact", hand_file(guidance=b"\x01" + struct.pack("<f", 7.5))),
    ("uvarint.check_length", hand_file(steps=b"\x81" * 10 + b"\x00")),
    ("uvarint.check_minimal", hand_file(steps=b"\x94\x00")),
    ("uvarint.check_64_bits", hand_file(guidance=b"\xff" * 9 + b"\x02")),
    ("exp_code.check_length", hand_file(model=b"\xff" * 64 + b"\x00")),
    ("extension.header", hand_file(tail=ext(0, b""))),
    ("extension.check_count", hand_file(tail=b"".join(ext(t, b"") for t in range(UNKNOWN_TYPE, UNKNOWN_TYPE + 1025)))),
    ("extension.check_order", hand_file(tail=ext(UNKNOWN_TYPE + 1, b"") + ext(UNKNOWN_TYPE, b""))),
    ("extension.length", hand_file(tail=uv(UNKNOWN_TYPE << 1) + uv(limits.MAX_EXTENSION_BYTES + 1))),
    ("pixels.check_must_understand", hand_file(tail=ext(1, b"\x00" + bytes(384), must_understand=1))),
    ("pixels.compressor", hand_file(tail=ext(1, encode_exp_code(1 + max(default_registry().enum("pixel_compressors"))) + PNG))),
    ("diffc_payload.version", hand_file(tail=ext(1, b"\x03" + bytes([max(PAYLOAD_VERSIONS) + 1]) + b"\x00\x01\x00"))),
    ("jxl_image.check_length", hand_file(tail=ext(1, b"\x02" + JXL[:11]))),
    ("jxl_image.jxl_signature", hand_file(tail=ext(1, b"\x02" + b"\xff\x0b" + JXL[2:]))),
    ("jxl_image.check_height", hand_file(tail=ext(1, b"\x02" + b"\xff\x0a\x03\x02" + bytes(8)))),  # 16 x 16
    ("jxl_image.check_width", hand_file(tail=ext(1, b"\x02" + b"\xff\x0a\x01\x00" + bytes(8)))),  # 8 x 8
    ("pixel_digest.check_must_understand", hand_file(tail=ext(3, b"\x00" + bytes(96), must_understand=1))),
    ("pixel_digest.algorithm", hand_file(tail=ext(3, b"\x01" + bytes(96)))),
    *slot_check_cases(),
    # the version byte (spec section 3): a 1.1 feature in a file that says 1.0, and a 1.1 file of 1.0 features only
    ("extension.check_version", hand_file(tail=ext(PromptDialect.code, b"\x00", must_understand=1))),
    ("body.check_version", hand_file(header=limits.SIGNATURE + bytes([V1_1.byte]))),
    ("digest_sha256_luma8x8.check_length", hand_file(tail=ext(3, b"\x00" + bytes(97)))),
    ("raw_rgb8.rgb", hand_file(tail=ext(1, b"\x00" + bytes(383)))),
    ("png_image.check_length", hand_file(tail=ext(1, b"\x01" + PNG[:23]))),
    ("png_image.png_signature", hand_file(tail=ext(1, b"\x01" + b"\x89PNG\r\n\x1a\x0b" + PNG[8:]))),
    ("png_image.ihdr_type", hand_file(tail=ext(1, b"\x01" + PNG[:12] + b"IHDX" + PNG[16:]))),
    ("png_image.png_width", hand_file(tail=ext(1, b"\x01" + tiny_png(8, 8)))),
    ("png_image.png_height", hand_file(tail=ext(1, b"\x01" + tiny_png(16, 16)))),
    ("unknown_extension.check_must_understand", hand_file(tail=ext(UNKNOWN_TYPE, b"", must_understand=1))),
    ("model.check_must_understand", newer_ext_file(Model, b"\x02\x01" + bytes(32) + b"\x00", must_understand=False)),
    ("model.compressor", newer_ext_file(Model, b"\x09\x01" + bytes(32) + b"\x00")),
    ("model.storage", newer_ext_file(Model, b"\x02\x02" + bytes(32) + b"\x00")),
    ("model.payload_size", newer_ext_file(Model, b"\x02\x01" + bytes(32) + uv(2**36 + 1))),
    ("model.check_payload_length", newer_ext_file(Model, b"\x02\x01" + bytes(32) + b"\x00x")),
]


@lru_cache(maxsize=1)
def check_table() -> dict[str, dict[str, str]]:
    return json.loads(CHECKS.read_text(encoding="utf-8"))


# What spec/aigif.ksy cannot check in the bodies of the slot-declared extension types (4-9), and why. Every
# other check of those bodies is a Kaitai check (slot_check_cases above, generated by tools/gen_ksy.py from
# the declarations); conformance/impls/kaitai_python/adapter.py makes these two after Kaitai's parse, with
# the reference's own code (SlotExtension.check_fields, and the DiffC payload parser), in the reference's order.
REFERENCE_ONLY_CHECKS = {
    "enumeration codes of slot bodies against the registry": (
        "AIGIF_E_UNKNOWN_CODE", "registry data, not grammar: the .ksy makes no registry check, so that a registry "
        "can grow without a new grammar (the digest's hash algorithm, which fixes a length, is a Kaitai check)"),
    "rules across slots (adapters: scales only on a LoRA, an embedding names its token, at most one VAE; "
    "stages: denoising strength in (0, 1], the last stage's size is the record's)": (
        "AIGIF_E_EXTENSION", "spec 9.4 checks them after the registry check of the same record, which Kaitai cannot "
        "make, so as Kaitai checks they would come first; and 'at most one VAE' counts list entries, which Kaitai "
        "expressions cannot"),
    "the DiffC payload after its version byte (pixels, compressor diffc)": (
        "AIGIF_E_DIFFC / AIGIF_E_DIFFC_PROFILE", "registry data and an arithmetic-coded stream: the profile must be "
        "in the registry and bound to the record's model, the step count within the profile's, and the index stream "
        "canonical (spec/diffc.md section 5); the .ksy checks the version and frames the rest"),
}


def bad_slot_files() -> list[tuple[str, bytes, str]]:
    """(what, file, code) that only the REFERENCE_ONLY_CHECKS reject: one per check, from the sample bodies."""
    registry = default_registry()
    out = []
    for cls in SLOT_TYPES:
        enums = [slot for slot in cls.slots if slot.wire == "enum"]
        if enums:  # the first enumeration slot set to a code its registry enumeration lacks
            sample = dict(cls.sample(8), **{enums[0].name: max(registry.enum(enums[0].enum)) + 1})
            if enums[0].name != "hash_algorithm":
                out.append((f"{cls.name}.{enums[0].name}", newer_ext_file(cls, write_slots(cls.slots, sample, cls.name)),
                            "AIGIF_E_UNKNOWN_CODE"))
    adapters, stages = (next(c for c in SLOT_TYPES if c.name == n) for n in ("adapters", "stages"))
    lora = adapters.sample(8)["adapters"][0]
    embedding = dict(lora, kind=registry.enum_code("adapter_kinds", "textual_inversion"), unet_scale=0.5)
    out.append(("adapters: a scale on an embedding", newer_ext_file(adapters, write_slots(
        adapters.slots, {"adapters": [embedding]}, "adapters")), "AIGIF_E_EXTENSION"))
    out.append(("stages: the last stage is not the record's size", newer_ext_file(stages, write_slots(
        stages.slots, stages.sample(16), "stages")), "AIGIF_E_EXTENSION"))  # hand_file is 8 x 16
    return out


@pytest.mark.parametrize("what,data,code", bad_slot_files(), ids=[w for w, _, _ in bad_slot_files()])
def test_reference_only_checks_are_the_adapters_after_a_kaitai_parse(what, data, code):
    kaitai_module().Aigif.from_bytes(data)  # no Kaitai check fails: these are not the grammar's
    assert code in {c for c, _ in REFERENCE_ONLY_CHECKS.values()}
    assert assert_agree(data) == ("error", code)


def test_slot_bodies_read_the_same_after_every_single_byte_change():
    # Every slot form (codes, bounds, lengths, UTF-8, digests, lists) in one file, each byte changed in turn.
    data = encode(typical_record(height=1024, width=768, extensions=A1111_EXTENSIONS))
    start = len(encode(typical_record(height=1024, width=768)))
    for pos in [4, *range(start, len(data))]:
        for value in {data[pos] ^ 0x01, data[pos] ^ 0x80, 0x00, 0xFF, 0xC3}:
            assert_agree(with_crc(data[:pos] + bytes([value]) + data[pos + 1:]))
    for end in range(start, len(data)):
        assert_agree(with_crc(data[:end]))


def test_every_kaitai_check_has_a_case():
    assert sorted(name for name, _ in CHECK_CASES) == sorted(c["field"] for c in check_table().values())


@pytest.mark.parametrize("field,data", CHECK_CASES, ids=[name for name, _ in CHECK_CASES])
def test_kaitai_check_fails_with_the_reference_error_code(field, data):
    data = data() if callable(data) else data
    with pytest.raises(kaitaistruct.ValidationFailedError) as failure:
        kaitai_module().Aigif.from_bytes(data)
    check = check_table()[failure.value.src_path]
    assert check["field"] == field, f"a different check failed first: {check['field']}"
    with pytest.raises(AigifError) as reference:
        decode(data)
    assert reference.value.code == check["code"], reference.value
    with pytest.raises(AigifError) as adapter:
        parse_with_kaitai(data)
    assert adapter.value.code == check["code"]


def test_the_cases_are_valid_without_their_defect():
    # The hand-assembled skeleton itself reads (so each case fails only by its own defect).
    assert assert_agree(hand_file(tail=ext(1, b"\x01" + PNG) + ext(UNKNOWN_TYPE, b"")))[0] == "record"
    assert assert_agree(hand_file(tail=ext(1, b"\x00" + bytes(384))))[0] == "record"
    assert assert_agree(hand_file(tail=ext(1, b"\x02" + JXL) + ext(3, b"\x00" + bytes(96))))[0] == "record"


def test_a_bad_text_block_wins_over_a_later_failure():
    # Kaitai parses the whole file before the adapter decodes text; the reference decodes in stream order.
    bad_zlib = b"\x01\x03abc"
    data = hand_file(1 << 4, text=bad_zlib, tail=b"\x00")  # and then gpu = 0 although present
    assert assert_agree(data) == ("error", "AIGIF_E_DECOMPRESS")
    assert assert_agree(hand_file(text=b"\x00\x01\xff", tail=ext(UNKNOWN_TYPE, b"", must_understand=1))) == ("error", "AIGIF_E_UTF8")


def test_truncation_and_crc_are_reported_like_the_reference():
    data = hand_file()
    assert assert_agree(data[:-1]) == ("error", "AIGIF_E_TRUNCATED")
    assert assert_agree(b"\x89A") == ("error", "AIGIF_E_TRUNCATED")  # a prefix of the signature
    assert assert_agree(b"\x89AIG") == ("error", "AIGIF_E_TRUNCATED")
    assert assert_agree(b"\x89AIG\x20") == ("error", "AIGIF_E_VERSION")  # the version byte is checked first
    assert assert_agree(b"\x89AIG\x10\0\0\0") == ("error", "AIGIF_E_TRUNCATED")
    assert assert_agree(data[:5] + b"\0\0\0\0" + data[9:]) == ("error", "AIGIF_E_CRC")


# -- (c) the conformance vectors --------------------------------------------------------

from conformance.levels import LEVELS, judge_render  # noqa: E402  (which cases are render goldens)

VECTOR_CASES = sorted(p.parent for p in ROOT.glob("vectors/*/*/test.json") if (p.parent / "input.aigif").exists())


@lru_cache(maxsize=None)
def vector_registry(path: str | None) -> Registry:
    return default_registry() if path is None else load_registry(ROOT / path)


def test_there_are_vectors_to_compare():
    assert len(VECTOR_CASES) > 100


@pytest.mark.parametrize("case", VECTOR_CASES, ids=[f"{p.parent.name}/{p.name}" for p in VECTOR_CASES])
def test_vector_reads_the_same(case):
    test = json.loads((case / "test.json").read_text(encoding="utf-8"))
    data = (case / "input.aigif").read_bytes()
    registry = vector_registry(test.get("registry"))
    kind, result = assert_agree(data, registry)
    level = LEVELS.get(test.get("level", ""))
    if (level is not None and level.judge is judge_render) or (test.get("level") == "diffc" and test["valid"]):
        # a render golden's (plain or quantized) or a valid DiffC case's input: a valid file both readers must read alike
        assert kind == "record", result
    elif test["valid"]:
        expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
        assert kind == "record", result
        stale = differences(expected, result, ("expected.json", "both readers"))
        assert not stale, "\n".join(stale)
    else:
        # Every code, not only the syntax ones: the adapter decodes text and checks the registry like the reference.
        assert (kind, result) == ("error", test["expected_error"])
