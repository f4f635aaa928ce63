"""Folder runs of `aigif import`: recursive, parallel, resumable, report; --verify-regeneration on the shapes model."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from aigif_ref.api import decode, read_bytes
from aigif_ref.importers import folder, tools
from aigif_ref.record import find_extension
from aigif_ref.registry import default_registry
from tests import import_fixtures as fx

pytest.importorskip("PIL.Image")
REGISTRY = default_registry()
ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "AIGIF_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "aigif_ref", *args], capture_output=True, text=True, env=env)


def make_tree(root: Path) -> dict[str, Path]:
    """Images from four tools in nested folders, with equal names in different folders and x.png beside x.jpg."""
    from PIL import Image

    rgb = fx.pixels(48, 64)
    paths = {
        "comfy": fx.write_png(root / "a" / "b" / "img.png", fx.comfyui_texts(fx.comfyui_graph(width=64, height=48)), rgb),
        "swarm": fx.write_png(root / "a" / "c" / "img.png", fx.swarmui_texts(width=64, height=48), rgb),
        "invoke": fx.write_png(root / "a" / "x.png", fx.invokeai_texts(width=64, height=48), rgb),
        "novel": fx.write_png(root / "n.png", fx.novelai_texts(width=64, height=48), rgb),
    }
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9286] = b"UNICODE\0" + "a cat\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 64x48".encode("utf-16-be")
    Image.fromarray(rgb).save(root / "a" / "x.jpg", quality=95, exif=exif)
    paths["jpeg"] = root / "a" / "x.jpg"
    (root / "a" / "notes.txt").write_text("not an image")  # not an image suffix: not looked at
    return paths


def test_plan_mirrors_folders_and_never_leaves_outdir(tmp_path):
    make_tree(tmp_path / "in")
    pairs = folder.plan([tmp_path / "in"], tmp_path / "out")
    targets = sorted(str(t.relative_to(tmp_path / "out")) for _, t in pairs)
    assert targets == ["a/b/img.aigif", "a/c/img.aigif", "a/x.jpg.aigif", "a/x.png.aigif", "n.aigif"]
    os.symlink("/etc", tmp_path / "in" / "link")  # a link can point outside: not followed
    assert len(folder.plan([tmp_path / "in"], tmp_path / "out")) == 5


def test_parallel_resumable_folder_run_with_report(tmp_path):
    paths = make_tree(tmp_path / "in")
    out, report = tmp_path / "out", tmp_path / "report.json"
    first = run("import", str(tmp_path / "in"), "-o", str(out), "--jobs", "2", "--report", str(report), home=tmp_path / "h")
    assert first.returncode == 0, first.stderr
    rows = json.loads(report.read_text())
    assert [r["status"] for r in rows] == ["ok"] * 5
    assert {r["tool"] for r in rows} == {"ComfyUI", "SwarmUI", "InvokeAI", "NovelAI", "A1111"}
    assert "aigif import" in first.stderr and "5 imported" in first.stderr  # the summary table
    for r in rows:
        record = decode(read_bytes(r["output"]))
        assert find_extension(record, 3) is not None and find_extension(record, 1) is not None
        assert r["bytes"] == Path(r["output"]).stat().st_size
    second = run("import", str(tmp_path / "in"), "-o", str(out), "--report", str(report), home=tmp_path / "h")
    assert second.returncode == 0 and [r["status"] for r in json.loads(report.read_text())] == ["skipped"] * 5
    fx.write_png(paths["novel"], fx.novelai_texts(width=64, height=48, seed=7), fx.pixels(48, 64))  # changed metadata
    third = run("import", str(tmp_path / "in"), "-o", str(out), home=tmp_path / "h")
    rows = json.loads((out / "import-report.json").read_text())
    assert third.returncode == 0 and sorted(r["status"] for r in rows) == ["ok"] + ["skipped"] * 4
    assert decode(read_bytes(out / "n.aigif"))["seed"] == 7
    forced = run("import", str(tmp_path / "in"), "-o", str(out), "--force", home=tmp_path / "h")
    assert forced.returncode == 0 and [r["status"] for r in json.loads((out / "import-report.json").read_text())] == ["ok"] * 5


def test_min_psnr_needs_verify(tmp_path):
    result = run("import", str(tmp_path), "-o", str(tmp_path / "o"), "--min-psnr", "30", home=tmp_path / "h")
    assert result.returncode == 1 and "AIGIF_E_IO" in result.stderr and "--verify-regeneration" in result.stderr


@pytest.fixture(scope="module")
def shapes_images(tmp_path_factory):
    """ComfyUI-shaped PNGs of the aigif-shapes model whose pixels are a render of their own settings, one with its
    pixels perturbed, and one naming a checkpoint by a hash no model store has."""
    pytest.importorskip("diffusers")
    from aigif_ref.regen.render import Renderer

    root = tmp_path_factory.mktemp("shapes")
    graph = fx.comfyui_graph(ckpt="aigif-shapes.safetensors", positive=fx.SHAPES_PROMPT, negative="", seed=20261129,
                             steps=4, cfg=7.5, sampler="ddim", scheduler="normal", width=64, height=64)
    texts = fx.comfyui_texts(graph)
    imported = tools.import_metadata(texts, REGISTRY, [], (64, 64))
    assert imported.unmapped == []
    rgb = Renderer("cpu", registry=REGISTRY).render(imported.record).rgb
    fx.write_png(root / "in" / "exact.png", texts, rgb)
    noisy = rgb.astype(np.int16)
    noisy[::7, ::5] += 3  # a few pixels off by 3: PSNR about 45 dB
    fx.write_png(root / "in" / "noisy.png", texts, np.clip(noisy, 0, 255).astype(np.uint8))
    fx.write_png(root / "in" / "unknown-model.png", fx.fooocus_texts(width=64, height=64), rgb)
    return root


def test_verify_regeneration_drops_pixels_only_where_the_render_reproduces_them(shapes_images, tmp_path):
    options = folder.Options(tmp_path / "out", verify=True)
    results = {Path(r["source"]).stem: r for r in folder.run([shapes_images / "in"], options)}
    exact = results["exact"]
    assert exact["verify"]["status"] == "bit-exact" and exact["verify"]["pixels"] == "dropped"
    record = decode(read_bytes(exact["output"]))
    assert find_extension(record, 1) is None and find_extension(record, 3) is not None  # the digest stays
    assert exact["bytes"] == Path(exact["output"]).stat().st_size < results["noisy"]["bytes"]  # only the pixels went
    noisy = results["noisy"]
    assert noisy["verify"]["status"] == "mismatch" and noisy["verify"]["pixels"] == "kept"
    assert 35 < noisy["verify"]["psnr"] < 60
    assert find_extension(decode(read_bytes(noisy["output"])), 1) is not None
    unknown = results["unknown-model"]
    assert unknown["verify"]["status"] == "not-rendered" and unknown["verify"]["pixels"] == "kept"
    assert unknown["verify"]["error_code"].startswith("AIGIF_E_")
    # with a PSNR floor below the noisy file's, its pixels go too
    lenient = folder.run([shapes_images / "in" / "noisy.png"], folder.Options(tmp_path / "lenient", verify=True,
                                                                               min_psnr=noisy["verify"]["psnr"] - 1))
    assert lenient[0]["verify"]["status"] == "close" and lenient[0]["verify"]["pixels"] == "dropped"
    assert find_extension(decode(read_bytes(lenient[0]["output"])), 1) is None
