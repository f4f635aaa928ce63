"""Hostile and damaged metadata: every importer answers with a stable code and a message of its own.

Truncated JSON, huge and deeply nested JSON, wrong types, cyclic and dangling ComfyUI graphs, XML entity
bombs, damaged hidden alpha data: each must give AigifError (AIGIF_E_IMPORT or AIGIF_E_LIMIT), never another
exception and never Python's own exception text. A property test throws random JSON at every importer.
"""
from __future__ import annotations

import copy
import json
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aigif_ref.errors import AigifError
from aigif_ref.importers import common, files, tools
from aigif_ref.registry import default_registry
from tests import import_fixtures as fx

REGISTRY = default_registry()
SIZE = (64, 48)
# Fragments of CPython's own exception messages: none may reach a user.
PYTHON_TEXT = re.compile(r"Expecting|line \d+ column|Traceback|object has no attribute|invalid literal|not subscriptable|"
                         r"unhashable|KeyError|TypeError|ValueError|NoneType|unsupported operand|takes \d+ positional|"
                         r"could not convert|not iterable|maximum recursion|out of range")


def refused(texts: dict[str, str], code: str = "AIGIF_E_IMPORT") -> str:
    with pytest.raises(AigifError) as err:
        tools.import_metadata(texts, REGISTRY, [], SIZE)
    assert err.value.code == code, err.value
    assert not PYTHON_TEXT.search(err.value.message), err.value.message
    return err.value.message


def graph_texts(graph) -> dict[str, str]:
    return {"prompt": json.dumps(graph)}


def test_truncated_json_of_every_json_tool():
    for texts, key in ((fx.comfyui_texts(fx.comfyui_graph()), "prompt"), (fx.invokeai_texts(), "invokeai_metadata"),
                       (fx.invokeai_legacy_texts(), "sd-metadata"), (fx.fooocus_texts(), "parameters"),
                       (fx.novelai_texts(), "Comment"), (fx.swarmui_texts(), "parameters")):
        cut = {**texts, key: texts[key][: len(texts[key]) // 2]}
        assert "not valid JSON" in refused(cut)


def test_huge_and_deep_json_are_bounded():
    deep = {"prompt": "{" + '"a":[' * 100_000 + "]" * 100_000 + "}"}
    assert "nested" in refused(deep, "AIGIF_E_LIMIT")
    huge = {"invokeai_metadata": '{"positive_prompt": "' + "a" * (common.MAX_METADATA_CHARS + 1) + '"}'}
    assert "bound" in refused(huge, "AIGIF_E_LIMIT")
    assert "NaN" not in refused({"invokeai_metadata": '{"seed": NaN}'})  # not JSON, whatever Python's json accepts


def test_wrong_types():
    graph = fx.comfyui_graph()
    for mutate in (lambda g: g["3"]["inputs"].update(steps="twenty"), lambda g: g["3"]["inputs"].update(seed=[1]),
                   lambda g: g["3"].update(inputs=[1, 2]), lambda g: g["5"].pop("class_type"),
                   lambda g: g.update({"5": "EmptyLatentImage"}), lambda g: g["6"]["inputs"].update(text=7),
                   lambda g: g["3"]["inputs"].update(cfg=True), lambda g: g["3"]["inputs"].update(model="4")):
        broken = copy.deepcopy(graph)
        mutate(broken)
        refused(graph_texts(broken))
    refused({"prompt": "[1, 2, 3]"})
    refused(fx.invokeai_texts(extra={"seed": "abc"}))
    refused(fx.invokeai_texts(extra={"model": ["x"]}))
    refused(fx.invokeai_texts(extra={"loras": {"a": 1}}))
    refused({"sd-metadata": json.dumps({"image": 5})})
    refused({"Dream": '"a cat -s 20'})  # unbalanced quote
    refused({**fx.fooocus_texts(), "parameters": fx.fooocus_texts()["parameters"].replace('"(1024, 1024)"', '"big"')})
    meta = json.loads(fx.fooocus_texts()["parameters"])
    refused({"parameters": json.dumps({**meta, "loras": [["only-a-name"]]}), "fooocus_scheme": "fooocus"})
    comment = json.loads(fx.novelai_texts()["Comment"])
    refused({**fx.novelai_texts(), "Comment": json.dumps({**comment, "steps": {"n": 28}})})
    swarm = json.loads(fx.swarmui_texts()["parameters"])
    refused({"parameters": json.dumps({"sui_image_params": [swarm]})})
    swarm["sui_image_params"].update(loras=["a", "b"], loraweights=["1"])
    assert "lengths" in refused({"parameters": json.dumps(swarm)})
    refused({"parameters": "a cat\nSteps: many, Sampler: Euler, Seed: x, Size: big"})


def test_cyclic_comfyui_graphs_and_missing_nodes():
    graph = fx.comfyui_graph(loras=(("a.safetensors", 1.0, 1.0),))
    graph["10"]["inputs"]["model"] = ["10", 0]  # a LoRA loader fed by itself
    assert "cycle" in refused(graph_texts(graph))
    graph = fx.comfyui_graph(hires=(2.0, 10, 0.5))
    graph["3"]["inputs"]["latent_image"] = ["21", 0]  # first pass <- upscale <- first pass
    assert "cycle" in refused(graph_texts(graph))
    graph = fx.comfyui_graph()
    graph["3"]["inputs"]["positive"] = ["99", 0]
    assert "99" in refused(graph_texts(graph)) and "not in the graph" in refused(graph_texts(graph))
    graph = fx.comfyui_graph()
    del graph["3"]
    refused(graph_texts(graph))
    graph = fx.comfyui_graph()
    del graph["9"]
    assert "no output node" in refused(graph_texts(graph))
    chain = fx.comfyui_graph()  # a path longer than the walk's bound (through real LoRA loaders)
    previous = ["4", 0]
    for i in range(common.MAX_JSON_DEPTH * 10):
        chain[f"l{i}"] = {"class_type": "LoraLoader", "inputs": {"lora_name": "x", "strength_model": 1.0,
                                                                  "strength_clip": 1.0, "model": previous, "clip": ["4", 1]}}
        previous = [f"l{i}", 0]
    chain["3"]["inputs"]["model"] = previous
    assert "longer than" in refused(graph_texts(chain))
    graph = fx.comfyui_graph()
    graph["3"]["inputs"]["positive"] = ["x" * 100_000, 0]
    assert len(refused(graph_texts(graph))) < 400  # messages stay short whatever the file holds
    graph["x" * 100_000] = graph.pop("6")
    assert len(refused(graph_texts(graph))) < 400


def test_xml_entity_bombs_and_damaged_xmp():
    bomb = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/">Draw Things<exif:UserComment>&b;</exif:UserComment></x:xmpmeta>')
    assert "DTD" in refused({"XML:com.adobe.xmp": bomb})
    xmp = fx.drawthings_texts()["XML:com.adobe.xmp"]
    refused({"XML:com.adobe.xmp": xmp[: len(xmp) // 2]})
    refused({"XML:com.adobe.xmp": xmp.replace('{"c"', '{"c":', 1)})  # damaged JSON inside
    refused({"XML:com.adobe.xmp": re.sub(r"<exif:UserComment>.*</exif:UserComment>", "<exif:UserComment/>", xmp)
             .replace("Draw Things", "Draw Things UserComment")})


def test_damaged_hidden_alpha_metadata(tmp_path):
    from PIL import Image

    from aigif_ref.importers.stealth import write_alpha

    rgba = np.full((64, 64, 4), 255, np.uint8)
    hidden = write_alpha(rgba, "a cat\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 64x64")
    bits = (hidden[:, :, 3] & 1).T.reshape(-1)
    column_major = hidden[:, :, 3].T.reshape(-1).copy()
    column_major[19 * 8: 19 * 8 + 40] ^= 1  # flip bits inside the gzip stream
    damaged = hidden.copy()
    damaged[:, :, 3] = column_major.reshape(64, 64).T
    Image.fromarray(damaged, "RGBA").save(tmp_path / "damaged.png")
    result = files.import_file(tmp_path / "damaged.png", tmp_path / "d.aigif", REGISTRY, [])
    assert result["status"] == "error" and result["error_code"] == "AIGIF_E_IMPORT", result
    assert not PYTHON_TEXT.search(result["error"])
    assert bits.sum()  # the magic was there
    long = hidden[:, :, 3].T.reshape(-1).copy()
    long[15 * 8: 19 * 8] |= 1  # a length of 2**32 - 1 bits
    hidden[:, :, 3] = long.reshape(64, 64).T
    Image.fromarray(hidden, "RGBA").save(tmp_path / "long.png")
    result = files.import_file(tmp_path / "long.png", tmp_path / "l.aigif", REGISTRY, [])
    assert result["error_code"] == "AIGIF_E_IMPORT" and "more bits" in result["error"]


def test_files_that_are_no_images_or_carry_no_metadata(tmp_path):
    (tmp_path / "x.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    result = files.import_file(tmp_path / "x.png", tmp_path / "x.aigif", REGISTRY, [])
    assert result["error_code"] == "AIGIF_E_IO" and not PYTHON_TEXT.search(result["error"])
    fx.write_png(tmp_path / "plain.png", {"Author": "me"}, fx.pixels(48, 64))
    result = files.import_file(tmp_path / "plain.png", tmp_path / "p.aigif", REGISTRY, [])
    assert result["error_code"] == "AIGIF_E_IMPORT" and "Author" in result["error"]
    assert not (tmp_path / "x.aigif").exists() and not (tmp_path / "p.aigif").exists()  # nothing written half


JSON = st.recursive(st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | st.text(max_size=8),
                    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
                    max_leaves=12)
SOURCES = {"ComfyUI": (fx.comfyui_texts(fx.comfyui_graph(loras=(("a", 1.0, 1.0),), clip_layer=-2, hires=(2.0, 10, 0.5))), "prompt"),
           "InvokeAI": (fx.invokeai_texts(loras=(("a", 0.5),)), "invokeai_metadata"),
           "InvokeAI 2": (fx.invokeai_legacy_texts(), "sd-metadata"), "Fooocus": (fx.fooocus_texts(), "parameters"),
           "NovelAI": (fx.novelai_texts(), "Comment"), "SwarmUI": (fx.swarmui_texts(loras=(("a", "1"),)), "parameters")}


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, prefix + (key,))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _paths(child, prefix + (i,))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=st.sampled_from(sorted(SOURCES)), data=st.data(), replacement=JSON)
def test_random_values_anywhere_in_any_tools_metadata_give_a_record_or_a_coded_error(source, data, replacement):
    texts, key = SOURCES[source]
    meta = json.loads(texts[key])
    paths = [p for p in _paths(meta) if p]
    path = data.draw(st.sampled_from(paths))
    target = meta
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = replacement
    try:
        tools.import_metadata({**texts, key: json.dumps(meta)}, REGISTRY, [], SIZE)
    except AigifError as exc:
        assert exc.code in ("AIGIF_E_IMPORT", "AIGIF_E_LIMIT"), exc
        assert not PYTHON_TEXT.search(exc.message), exc.message
