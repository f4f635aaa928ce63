"""The vectors-only registry: registry.json plus GPU entries at the exp-code boundaries."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from aigif_ref.grammar import limits
from aigif_ref.registry import DEFAULT_REGISTRY, Registry, load_registry

TEST_REGISTRY_NAME = "registry-test.json"
TEST_REGISTRY_PATH = f"vectors/syntax/{TEST_REGISTRY_NAME}"
# GPU codes the test registry adds: exp-code boundaries (1 byte max, 2 bytes min/max, 3 bytes, long, longest).
TEST_GPU_CODES = (254, 255, 509, 510, 5000, 255 * (limits.MAX_EXP_CODE_BYTES - 1) + 254)


def json_text(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def registry_test_data() -> dict[str, Any]:
    """registry.json plus GPU entries at the exp-code boundaries (vectors only)."""
    data = json.loads(DEFAULT_REGISTRY.read_text(encoding="utf-8"))
    gpus = data["enumerations"]["gpus"]
    assert not {e["code"] for e in gpus} & set(TEST_GPU_CODES), "test GPU codes collide with the registry"
    gpus += [{"code": code, "name": f"test-gpu-{code}", "status": "test"} for code in TEST_GPU_CODES]
    return data


def load_registry_data(data: dict[str, Any]) -> Registry:
    """A Registry from data, validated against the registry schema like a file would be."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / TEST_REGISTRY_NAME
        path.write_text(json_text(data), encoding="utf-8")
        return load_registry(path)
