"""DiffC vector set: regenerated identically, index streams, the model cases' latents and pixels, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from aigif_ref.api import decode
from aigif_ref.diffc import entropy
from aigif_ref.diffc.files import decode_record, noise_bytes, psnr
from aigif_ref.registry import default_registry

ROOT = Path(__file__).resolve().parents[1]
DIFFC = ROOT / "vectors" / "diffc"
MANIFEST = json.loads((DIFFC / "manifest.json").read_text(encoding="utf-8"))


def test_vector_set_is_regenerated_identically():
    result = subprocess.run([sys.executable, "vectors/diffc/generate_payloads.py", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_level_file_lists_every_case():
    listed = (ROOT / "vectors/levels/diffc.txt").read_text(encoding="utf-8").split()
    assert listed == [c["id"] for c in MANIFEST["cases"]]
    tests = [json.loads((DIFFC / i / "test.json").read_text()) for i in listed]
    assert {t["valid"] for t in tests} == {True, False}
    assert {t["expected_error"] for t in tests if not t["valid"]} == {"AIGIF_E_DIFFC", "AIGIF_E_DIFFC_PROFILE"}


@pytest.mark.parametrize("case", json.loads((DIFFC / "entropy.json").read_text())["cases"])
def test_index_streams(case):
    data = bytes.fromhex(case["stream_hex"])
    assert entropy.encode_indices(case["indices"]) == data
    assert entropy.decode_indices(data, len(case["indices"]), 1 << 16) == case["indices"]


@pytest.mark.parametrize("case_id", [c["id"] for c in MANIFEST["cases"] if not c["id"].startswith("invalid-")])
def test_noise_is_bit_exact(case_id):
    record = decode((DIFFC / case_id / "input.aigif").read_bytes())
    assert noise_bytes(record) == (DIFFC / case_id / "expected-noise.bin").read_bytes()
    payload_steps = json.loads((DIFFC / case_id / "indices.json").read_text())
    dims = len((DIFFC / case_id / "expected-noise.bin").read_bytes()) // 4 // (len(payload_steps) + 1)
    assert dims * 4 * (len(payload_steps) + 1) == len((DIFFC / case_id / "expected-noise.bin").read_bytes())


@pytest.mark.parametrize("case_id", ["diffc-shapes-t19"])  # the other model case needs 30 more model calls
def test_model_cases_decode_within_tolerance(case_id):
    pytest.importorskip("diffusers")
    from PIL import Image

    folder = DIFFC / case_id
    test = json.loads((folder / "test.json").read_text())
    decoded = decode_record(decode((folder / "input.aigif").read_bytes()), device="cpu")
    expected_latent = np.load(folder / "expected-latent.npy")
    assert float(np.max(np.abs(decoded.noisy_latent - expected_latent))) <= test["tolerance"]["latent_max_abs_error"]
    expected = np.asarray(Image.open(folder / "expected.png").convert("RGB"))
    assert psnr(decoded.rgb8, expected) >= test["tolerance"]["min_psnr"]
    source = np.asarray(Image.open(folder / "source.png").convert("RGB"))
    meta = json.loads((folder / "model-case.json").read_text())
    assert abs(psnr(decoded.rgb8, source) - meta["psnr_vs_source_db"]) < 0.5


def test_compress_and_render_from_the_command_line(tmp_path):
    pytest.importorskip("diffusers")
    from PIL import Image

    source = DIFFC / "diffc-shapes-t19" / "source.png"
    out = tmp_path / "x.aigif"
    bits = 200
    run = subprocess.run([sys.executable, "-m", "aigif_ref.cli", "compress", str(source), "-o", str(out), "--diffc",
                          "--model", "aigif-shapes", "--bits", str(bits), "--seed", "0x123456789abcdef0"],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    record = decode(out.read_bytes())
    assert record["seed"] == 0x123456789ABCDEF0
    import base64

    assert len(base64.b64decode(record["extensions"][0]["data"])) * 8 <= bits
    png = tmp_path / "x.png"
    run = subprocess.run([sys.executable, "-m", "aigif_ref.cli", "render", str(out), "-o", str(png), "--device", "cpu"],
                         cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "decoded the DiffC payload" in run.stdout
    got = np.asarray(Image.open(png).convert("RGB"))
    assert psnr(got, np.asarray(Image.open(source).convert("RGB"))) > 15
    bad = subprocess.run([sys.executable, "-m", "aigif_ref.cli", "validate",
                          str(DIFFC / "invalid-diffc-trailing-byte" / "input.aigif")], cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 1 and "AIGIF_E_DIFFC" in bad.stdout + bad.stderr
