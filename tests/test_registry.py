"""registry.json: schema-valid, and consistent with the grammar that reads it."""
from __future__ import annotations

import hashlib
import json

import pytest

from aigif_ref.codecs.text import CODECS
from aigif_ref.errors import AigifError
from aigif_ref.extensions import DECODED as EXTENSION_CODECS, TYPES as EXTENSION_TYPES
from aigif_ref.grammar.fields import GROUPS, PARAMS
from aigif_ref.registry import DEFAULT_REGISTRY, REPO_ROOT, Registry, load_registry, schema_errors


def test_registry_is_schema_valid():
    assert schema_errors(json.loads(DEFAULT_REGISTRY.read_text())) == []


def test_codes_are_unique_and_dense_from_zero(registry):
    for name, entries in registry.data["enumerations"].items():
        codes = [e["code"] for e in entries]
        assert codes == list(range(len(codes))), name
        assert len({e["name"] for e in entries}) == len(entries), name
    ids = [m["id"] for m in registry.data["models"]]
    assert len(ids) == len(set(ids)) and len({m["name"] for m in registry.data["models"]}) == len(ids)


def test_table_one_value_assignments_are_kept(registry):
    e = registry.enum_name
    assert registry.models[0]["name"] == "stable-diffusion-v1-5"
    assert (e("devices", 0), e("devices", 1)) == ("CPU", "GPU")
    assert e("gpus", 1) == "NVIDIA GeForce GTX 1080 Ti" and e("cuda_versions", 1) == "cu121"
    assert (e("dtypes", 0), e("dtypes", 1)) == ("float32", "float16")
    assert e("schedulers", 0) == "DDIM"
    assert (e("pixel_compressors", 0), e("pixel_compressors", 1)) == ("None", "png")
    assert (e("text_compressors", 0), e("text_compressors", 1)) == ("None", "zlib")
    assert (e("model_compressors", 0), e("model_compressors", 1)) == ("None", "int8")


def test_models_named_by_the_seeds_and_common_schedulers_are_present(registry):
    names = {m["name"] for m in registry.data["models"]}
    assert {"stable-diffusion-v1-5", "stable-diffusion-2-1", "stable-diffusion-xl-base-1.0",
            "stable-diffusion-xl-refiner-1.0", "hyper-sd-sdxl-1step-unet", "sd-turbo", "flux.1-dev"} <= names
    schedulers = {e["name"] for e in registry.data["enumerations"]["schedulers"]}
    assert {"DDIM", "PNDM", "Euler", "Euler a", "DPM++ 2M", "DPM++ 2M Karras", "DPM++ SDE Karras", "UniPC", "LCM"} <= schedulers


def test_family_params_exist_in_the_grammar(registry):
    known = {spec.name for spec in PARAMS}
    for family in registry.data["families"]:
        assert set(family["params"]) <= known, family["name"]
    for model in registry.data["models"]:
        assert model["family"] in registry.families


def test_group_enumerations_exist(registry):
    for specs in GROUPS.values():
        for spec in specs:
            if spec.wire == "enum":
                assert spec.enum in registry.data["enumerations"], spec.name


def test_codec_tables_match_the_registry(registry):
    assert set(CODECS) == set(registry.enum("text_compressors"))
    for code, codec in EXTENSION_TYPES.items():
        entry = registry.enum("extension_types")[code]
        assert entry["name"] == codec.name and entry["must_understand"] == codec.must_understand, code
        assert entry["status"] == ("active" if codec.defined else "reserved"), code
    assert {c for c, e in registry.enum("extension_types").items() if e["status"] == "active"} == set(EXTENSION_CODECS)


def test_normative_data_files_match_their_sha256(registry):
    for entry in registry.data["enumerations"]["text_compressors"]:
        if "model_file" in entry:
            digest = hashlib.sha256((REPO_ROOT / entry["model_file"]).read_bytes()).hexdigest()
            assert digest == entry["sha256"], entry["model_file"]


def test_test_model_range_is_not_used_by_real_models(registry):
    first, last = registry.data["test_model_ids"]["first"], registry.data["test_model_ids"]["last"]
    for model in registry.data["models"]:
        assert (first <= model["id"] <= last) == (model["status"] == "test"), model["name"]


def test_invalid_registry_is_rejected_with_a_message(tmp_path):
    data = json.loads(DEFAULT_REGISTRY.read_text())
    data["models"][0]["family"] = 7
    path = tmp_path / "registry.json"
    path.write_text(json.dumps(data))
    with pytest.raises(AigifError) as info:
        load_registry(path)
    assert info.value.code == "AIGIF_E_REGISTRY" and "models/0/family" in info.value.message


def test_unknown_names_list_the_known_ones(registry: Registry):
    with pytest.raises(AigifError) as info:
        registry.enum_code("schedulers", "Heun++")
    assert info.value.code == "AIGIF_E_UNKNOWN_CODE" and "'DDIM'" in info.value.message


@pytest.mark.parametrize("source, valid", [
    ({"embedded": "vectors/models/aigif-tiny-sd15"}, True),
    ({"hf_repo": "org/name", "revision": None}, True),
    ({"embedded": "vectors/../../etc"}, False),         # no way out of the repository
    ({"embedded": "/abs/path"}, False),
    ({"embedded": "vectors/models/x", "hf_repo": "org/name", "revision": None}, False),  # one source only
    ({"hf_repo": "org/name"}, False),                    # a repository needs its (possibly null) revision
])
def test_model_sources_are_a_repository_or_an_embedded_folder(source, valid):
    data = json.loads(DEFAULT_REGISTRY.read_text())
    data["models"][-1]["source"] = source
    assert (schema_errors(data) == []) == valid


def test_pinned_file_paths_stay_inside_the_model_folder():
    # The registry check owns this rule (one message that says how to fix it), not the schema.
    from aigif_ref.registry_lint import check_data

    data = json.loads(DEFAULT_REGISTRY.read_text())
    data["models"][-1]["files"]["../registry.json"] = "0" * 64
    assert any(p.kind == "file-path" for p in check_data(data, DEFAULT_REGISTRY.parent))
