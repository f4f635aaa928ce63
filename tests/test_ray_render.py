"""`aigif render --ray` on a local Ray instance (2 CPUs): the plain renderer's bytes, per-file failures, resume.

Needs the ray extra (CI installs it with the test extra); skipped only when Ray is not installed.
"""
from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="the ray extra is not installed (pip install -e \".[ray]\")")

from aigif_ref.api import encode  # noqa: E402
from aigif_ref.cli import main  # noqa: E402
from aigif_ref.scale.ray_render import THREAD_VARIABLES, render_many  # noqa: E402

# Two pipeline groups (the tiny random-weight SD 1 model and the trained aigif-shapes), two files each.
GOOD = {f"{model}-{seed}": {"model_id": model_id, "prompt": "a red circle on a blue background", "height": 64, "width": 64,
                            "seed": seed, "steps": 3, "guidance_scale": 7.5, "scheduler": "DDIM", "device": "CPU"}
        for model, model_id in (("tiny", 490), ("shapes", 492)) for seed in (11, 12)}


def _descendants() -> set[int]:
    """Live processes below this one (zombies left out)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            state, parent = stat.rsplit(")", 1)[1].split()[:2]
            if state != "Z":
                children.setdefault(int(parent), []).append(int(entry.name))
    found, todo = set(), [os.getpid()]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


@pytest.fixture(scope="module")
def local_ray():
    """A local Ray instance for the module; afterwards, none of its processes may be left."""
    linux = Path("/proc/self/stat").exists()
    before = _descendants() if linux else set()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, object_store_memory=100 * 1024 * 1024)
    try:
        yield
    finally:
        ray.shutdown()
    if linux:
        deadline = time.monotonic() + 30
        while (left := _descendants() - before) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not left, f"Ray left processes behind: {sorted(left)}"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Four good files, one damaged (its CRC fails on reading) and one whose model is nowhere here."""
    folder = tmp_path_factory.mktemp("gallery")
    for name, record in GOOD.items():
        (folder / f"{name}.aigif").write_bytes(encode(record))
    damaged = bytearray(encode(GOOD["tiny-11"]))
    damaged[5] ^= 0xFF  # inside the CRC-32 field
    (folder / "damaged.aigif").write_bytes(bytes(damaged))
    (folder / "no-model.aigif").write_bytes(encode(dict(GOOD["tiny-11"], model_id=0)))  # SD 1.5: not downloaded here
    return folder


@pytest.fixture(scope="module")
def plain(folder, tmp_path_factory):
    """The plain renderer's outputs of the folder (no Ray)."""
    out = tmp_path_factory.mktemp("plain")
    assert main(["render", str(folder), "-o", f"{out}/", "--device", "cpu"]) == 1  # the two bad files fail
    assert sorted(p.stem for p in out.glob("*.png")) == sorted(GOOD)
    return out


@pytest.fixture(scope="module", autouse=True)
def same_threads():
    """The plain render (in this process) and Ray's workers on one CPU thread count: an earlier test module may
    have left torch on another, and CPU pixels depend on it (workers take the driver's thread variables)."""
    import torch

    from tests.regen_support import THREADS

    saved_env = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    saved = torch.get_num_threads()
    os.environ.update({name: str(THREADS) for name in THREAD_VARIABLES})
    torch.set_num_threads(THREADS)
    yield
    torch.set_num_threads(saved)
    for name, value in saved_env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="module", autouse=True)
def no_hub_cache(tmp_path_factory):
    """An empty Hugging Face cache, so that the SD 1.5 file fails here as in CI (the workers get the driver's HF_*)."""
    saved = os.environ.get("HF_HUB_CACHE")
    os.environ["HF_HUB_CACHE"] = str(tmp_path_factory.mktemp("empty-hf-cache"))
    yield
    if saved is None:
        del os.environ["HF_HUB_CACHE"]
    else:
        os.environ["HF_HUB_CACHE"] = saved


def test_ray_renders_the_plain_renderers_bytes_and_reports_failures(local_ray, folder, plain, tmp_path):
    out = tmp_path / "ray"
    summary = render_many([folder], out, device="cpu", workers=2, batch_files=1)
    by_stem = {Path(r.file).stem: r for r in summary.results}
    assert sorted(by_stem) == sorted([*GOOD, "damaged", "no-model"])
    for name in GOOD:
        assert by_stem[name].status == "rendered", by_stem[name]
        assert (out / f"{name}.png").read_bytes() == (plain / f"{name}.png").read_bytes(), name
    assert (by_stem["damaged"].status, by_stem["damaged"].code) == ("failed", "AIGIF_E_CRC")  # found by the driver
    assert (by_stem["no-model"].status, by_stem["no-model"].code) == ("failed", "AIGIF_E_MODEL_MISSING")  # by a worker
    assert not (out / "damaged.png").exists() and not (out / "no-model.png").exists()
    assert summary.workers == 2 and summary.groups == 3 and not summary.ok
    # Each worker loaded each model's pipeline at most once (the renderer says "+N s loading" when it loads).
    loads = [(r.worker, r.log.split("model ")[1].split(" ")[0]) for r in summary.results if "s loading)" in r.log]
    assert loads and len(loads) == len(set(loads)), loads


def test_rerun_skips_what_is_done_and_renders_the_rest(local_ray, folder, plain, tmp_path, capsys):
    out = tmp_path / "ray"
    shutil.copytree(plain, out)
    (out / "tiny-12.png").unlink()  # never rendered
    shutil.copy(plain / "shapes-11.png", out / "shapes-12.png")  # another file's render: must be rendered again
    status = main(["render", str(folder), "-o", f"{out}/", "--device", "cpu", "--workers", "1", "--ray"])
    shown = capsys.readouterr()
    assert status == 1  # the two bad files still fail
    skipped = set(re.findall(r"(\S+)\.aigif: skipped", shown.out))
    assert skipped == {f"{folder}/tiny-11", f"{folder}/shapes-11"}, shown.out
    for name in ("tiny-12", "shapes-12"):
        assert f"{name}.aigif: rendered with model" in shown.out
        assert (out / f"{name}.png").read_bytes() == (plain / f"{name}.png").read_bytes()
    assert "error: " in shown.err and "AIGIF_E_CRC" in shown.err and "AIGIF_E_MODEL_MISSING" in shown.err
    assert re.search(r"skipped\s*│\s*2", shown.out) and re.search(r"rendered\s*│\s*2", shown.out), shown.out
    # Everything done: a second rerun starts no worker at all.
    summary = render_many([folder / f"{name}.aigif" for name in GOOD], out, device="cpu")
    assert summary.ok and summary.counts == {"skipped": len(GOOD)} and summary.workers == 0


def test_both_modes_print_the_pipeline_call_and_the_whole_files_time(local_ray, folder, plain, tmp_path, capsys):
    """The per-file line says the pipeline call's time and the whole file's (what bench_ray compares)."""
    line = re.compile(r"tiny-11\.aigif: rendered with model .* in ([0-9.]+) s.*; wrote .*; ([0-9.]+) s for the file$", re.M)
    main(["render", str(folder / "tiny-11.aigif"), "-o", f"{tmp_path / 'plain'}/", "--device", "cpu"])
    main(["render", str(folder / "tiny-11.aigif"), "-o", f"{tmp_path / 'ray'}/", "--device", "cpu", "--ray"])
    shown = capsys.readouterr().out
    times = [(float(call), float(total)) for call, total in line.findall(shown)]
    assert len(times) == 2 and all(0 < call <= total for call, total in times), shown


def test_sigterm_stops_the_run_with_a_message_and_no_temporary_or_half_file(local_ray, tmp_path):
    """ray.init() would make SIGTERM a bare SystemExit; the command keeps its own handling: it stops, says so,
    exits 128 + 15, and leaves only whole PNGs (no write_atomic temporaries)."""
    import signal
    import subprocess
    import sys

    from PIL import Image

    from aigif_ref.api import TEMPORARY_NAME

    source = tmp_path / "in"
    source.mkdir()
    for seed in range(12):
        (source / f"f{seed:02d}.aigif").write_bytes(encode(dict(GOOD["tiny-11"], seed=seed, steps=20)))
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    process = subprocess.Popen([sys.executable, "-m", "aigif_ref", "render", str(source), "-o", f"{out}/", "--device", "cpu",
                                "--ray", "--workers", "1", "--batch-files", "1"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(out.glob("*.png")) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGTERM, (process.returncode, stderr[-2000:])
    assert "terminated (SIGTERM)" in stderr, stderr[-2000:]
    assert not [p.name for p in out.iterdir() if TEMPORARY_NAME.fullmatch(p.name)]
    written = list(out.glob("*.png"))
    assert 1 <= len(written) < 12, stdout  # stopped part-way
    for png in written:
        with Image.open(png) as image:
            image.load()  # whole files only


def test_remove_temporaries_touches_only_write_atomics_files_of_the_outputs(tmp_path):
    from aigif_ref.scale.ray_render import remove_temporaries

    for name in (".a.png.0123456789ab.tmp", ".b.png.0123456789ab.tmp", ".a.png.tmp", "a.png", ".a.png.0123456789AB.tmp"):
        (tmp_path / name).write_bytes(b"x")
    assert remove_temporaries([tmp_path / "a.png"]) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [".a.png.0123456789AB.tmp", ".a.png.tmp",
                                                           ".b.png.0123456789ab.tmp", "a.png"]
