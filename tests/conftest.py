"""Shared fixtures: the shipped registry and a builder for typical records."""
from __future__ import annotations

import os

import pytest

from aigif_ref.registry import default_registry


@pytest.fixture(scope="session")
def registry():
    return default_registry()


def typical_record(**overrides):
    """The paper's Table I example record, with overrides."""
    record = {
        "model_id": 0, "dtype": 1, "scheduler": 0, "device": 1, "gpu": 1, "cuda": 1,
        "prompt": "A cute cat", "negative_prompt": "worst quality",
        "height": 1024, "width": 1024, "seed": 829557441, "steps": 25, "guidance_scale": 7.5,
    }
    record.update(overrides)
    return record


# Regeneration tests: nothing may come from a hub; the tiny shipped models come from the model store.
os.environ["HF_HUB_OFFLINE"] = "1"


@pytest.fixture(scope="session")
def tiny_models():
    """{family: ResolvedModel} of the shipped tiny models (490 sd1, 491 sdxl), verified by the model store."""
    from aigif_ref.model_store import resolve_model

    return {m.family: m for m in (resolve_model(490), resolve_model(491))}


@pytest.fixture(scope="module")
def pinned_threads():
    """Regeneration tests run on a fixed number of CPU threads (the float output depends on it)."""
    import torch

    from tests.regen_support import THREADS

    saved = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    yield
    torch.set_num_threads(saved)


@pytest.fixture(scope="module")
def renderer(tiny_models):
    """A CPU renderer shared by a module's tests (it keeps the tiny pipelines loaded)."""
    from aigif_ref.regen.render import Renderer

    return Renderer("cpu")
