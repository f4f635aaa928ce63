"""Writes the DiffC vector set: vectors/diffc/{manifest.json, entropy.json, <case>/...}, levels/diffc.txt.

    python3 vectors/diffc/generate_payloads.py [--check] [--models-too]

What each case holds (spec/conformance.md, level diffc):

- input.aigif       a file whose pixels extension holds a DiffC payload (or a bad one);
- expected-noise.bin valid cases: x_T then the noise e_s of every coded step, binary32 little-endian
                    (D values each, C-order): what payload -> indices -> generator gives, bit for bit;
- indices.json      the chunk indices the payload decodes to;
- test.json         id, level, valid, expected_error, description, how, files (sha256).

Cases "diffc-shapes-*" were encoded from images of the aigif-shapes model's own language by the
reference encoder (the model, CPU); they also hold source.png, expected.png and expected-latent.npy (the
decoded noisy latent) from the reference decoder on CPU, with the tolerance test.json states. Those need
the model to re-make (--models-too); without it the generator rewrites everything else and checks that
the model cases' noise files still follow from their payloads. The other cases need no model.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from aigif_ref.api import decode, encode  # noqa: E402
from aigif_ref.diffc import entropy  # noqa: E402
from aigif_ref.diffc.files import decode_record, diffc_extension, make_record, noise_bytes  # noqa: E402
from aigif_ref.diffc.payload import DiffcPayload, build_payload, parse_payload  # noqa: E402
from aigif_ref.diffc.profile import profiles  # noqa: E402
from aigif_ref.errors import AigifError  # noqa: E402
from aigif_ref.grammar.primitives import encode_uvarint  # noqa: E402
from aigif_ref.registry import default_registry  # noqa: E402

HERE = Path(__file__).resolve().parent
SYNTAX = ROOT / "vectors" / "syntax"
LEVEL_FILE = ROOT / "vectors" / "levels" / "diffc.txt"
SUITE, VERSION, SPEC_VERSION = "aigif-diffc-vectors", "1.1.0", "1.0"
# the model cases' pixel tolerance: a decoder on another CPU or on CUDA reproduces the noise exactly, but
# the model's float outputs differ in the last bits, which the remaining steps carry into the pixels
LATENT_TOLERANCE = 0.05
MIN_PSNR = 35.0

ENTROPY_V2_CASES = [  # version-2 streams against the first version-2 profile's tables
    [[0]],
    [[65535]],
    [[1], [2, 3]],
    [[5, 100, 7, 4000], [65000], [0, 0, 1], [12345] * 3],
]
ENTROPY_CASES = [
    [[0]],
    [[65535]],
    [[1], [2, 3]],
    [[0] * 40],
    [[1 << k for k in range(16)]],
    [[5, 100, 7, 4000], [65000], [0, 0, 1], [12345] * 3],
]


def noise_and_payload(record: dict, registry) -> tuple[bytes, DiffcPayload]:
    import base64

    payload, _ = parse_payload(base64.b64decode(diffc_extension(record, registry)["data"]), record["height"],
                               record["width"], record["model_id"], registry)
    return noise_bytes(record, registry), payload


def synthetic_cases(registry) -> dict[str, dict]:
    """Payloads with chosen indices (no model): sizes, seeds, chunk counts up to the latent's size."""
    profile = min(profiles(registry).values(), key=lambda p: p.code)
    f = profile.latent_downscale
    rng = np.random.default_rng(20261129)
    cases = {}
    for name, (height, width, seed, counts) in {
        "diffc-synthetic-small": (2 * f, 2 * f, 0, [1, 2]),
        "diffc-synthetic-64": (16 * f, 16 * f, 12345, [1, 1, 3, 7, 40]),
        "diffc-synthetic-wide-max-seed": (8 * f, 24 * f, (1 << 64) - 1, [2, 5, 1]),
        "diffc-synthetic-all-steps": (4 * f, 4 * f, 7, [1] * len(profile.timesteps)),
        "diffc-synthetic-one-chunk-per-element": (8, 8, 3, [profile.latent_channels * (8 // f) ** 2]),
    }.items():
        indices = tuple(tuple(int(v) for v in rng.integers(0, 1 << 16, size=n)) for n in counts)
        payload = build_payload(DiffcPayload(profile.code, indices))
        record = make_record(payload, profile.model_id, seed, height, width, profile, registry)
        cases[name] = {"record": record, "description": f"{width}x{height}, seed {seed}, chunk counts {counts}, "
                                                        "indices drawn uniformly below 2^16",
                       "how": "aigif_ref.diffc.files.make_record of build_payload(indices); no model involved"}
    return cases


def version2_profile(registry):
    return min((p for p in profiles(registry).values() if p.payload_version == 2), key=lambda p: p.code)


def synthetic_v2_cases(registry) -> dict[str, dict]:
    """Version-2 payloads (spec/diffc.md 3.5) with chosen indices: counts at, below and above the profile's
    expected ones, the all-zero stream (empty: its value is 0), a prompt and guidance in the record."""
    profile = version2_profile(registry)
    f, expected = profile.latent_downscale, list(profile.expected_chunks)
    rng = np.random.default_rng(20261130)
    cases = {}
    for name, (height, width, seed, counts, prompt, guidance) in {
        "diffc2-synthetic-expected-counts": (16 * f, 16 * f, 99, expected, "a red circle on a blue background", 1.0),
        "diffc2-synthetic-off-expected": (16 * f, 16 * f, 12345,
                                          [max(1, n + d) for n, d in zip(expected, (2, -1, 0, 5, 0, 1))], "", 1.0),
        "diffc2-synthetic-guided": (8 * f, 12 * f, (1 << 64) - 1, [1, 2, 3], "a green square on a white background", 3.0),
        "diffc2-synthetic-zero-stream": (4 * f, 4 * f, 5, [expected[0]], "", 1.0),
    }.items():
        if name.endswith("zero-stream"):
            indices = tuple(tuple(0 for _ in range(n)) for n in counts)
        else:
            indices = tuple(tuple(int(v) for v in rng.integers(0, 1 << 16, size=n)) for n in counts)
        payload = build_payload(DiffcPayload(profile.code, indices), registry)
        record = make_record(payload, profile.model_id, seed, height, width, profile, registry, prompt, guidance)
        cases[name] = {"record": record, "description": f"profile {profile.name} (payload version 2): {width}x{height}, "
                                                        f"seed {seed}, chunk counts {counts}, prompt {prompt!r}, guidance "
                                                        f"{guidance}; a {len(payload)}-byte payload",
                       "how": "aigif_ref.diffc.files.make_record of build_payload(indices); no model involved"}
    return cases


def invalid_v2_cases(registry) -> dict[str, tuple[bytes, str, str]]:
    """Bad version-2 payloads (one defect each), written without the writer's checks."""
    from aigif_ref.grammar.aigif import build_file
    from aigif_ref.record import json_to_syntax

    profile = version2_profile(registry)
    v1 = min(profiles(registry).values(), key=lambda p: p.code)
    size = 4 * profile.latent_downscale
    dims = profile.latent_channels * 16
    good = build_payload(DiffcPayload(profile.code, ((7,), (300, 2))), registry)
    tables = profile.stream_tables()
    head = bytes([2]) + encode_uvarint(profile.code)
    bad = {
        "invalid-diffc2-trailing-byte": (good + b"\x01", "AIGIF_E_DIFFC", "A version-2 payload followed by one more byte"),
        "invalid-diffc2-trailing-zero": (good + b"\x00", "AIGIF_E_DIFFC", "A version-2 payload followed by a zero byte: "
                                         "the shortest termination has no trailing zero bits"),
        "invalid-diffc2-too-many-chunks": (head + entropy.encode_stream_v2([[0] * (dims + 1)], tables), "AIGIF_E_DIFFC",
                                           f"A version-2 step of {dims + 1} chunks for a latent of {dims} elements"),
        "invalid-diffc2-version-1-profile": (bytes([2]) + good[1:].replace(encode_uvarint(profile.code), encode_uvarint(v1.code), 1),
                                             "AIGIF_E_DIFFC", f"Payload version 2 naming profile {v1.name}, whose "
                                             "payloads are version 1"),
        "invalid-diffc2-version-1-layout": (bytes([1]) + good[1:], "AIGIF_E_DIFFC",
                                            f"Payload version 1 naming profile {profile.name}, whose payloads are version 2"),
    }
    out = {}
    from unittest import mock

    from aigif_ref.extensions.pixels import Pixels

    for name, (payload, error, description) in bad.items():
        record = make_record(payload, profile.model_id, 1, size, size, profile, registry)
        with mock.patch.object(Pixels, "check", classmethod(lambda cls, code, data, context: None)):
            out[name] = (build_file(json_to_syntax(record, registry), registry), error, description)
    return out


def invalid_cases() -> dict[str, tuple[bytes, str, str]]:
    """The syntax set's invalid DiffC files (one defect each), by the same ids."""
    out = {}
    for folder in sorted(SYNTAX.glob("invalid-diffc-*")):
        test = json.loads((folder / "test.json").read_text(encoding="utf-8"))
        out[folder.name] = ((folder / "input.aigif").read_bytes(), test["expected_error"], test["description"])
    return out


def model_cases(registry, out: Path) -> None:
    """Encode two images of the shapes language with the model; write the model-dependent files."""
    import torch

    from aigif_ref.diffc.files import compress
    from aigif_ref.diffc.model import load_model
    from benchmarks.shapes_common import language

    torch.manual_seed(0)
    model = load_model(492, "cpu", registry)
    batch = language().draw(2, 64, torch.Generator().manual_seed(20261129))
    images = (batch.images.permute(0, 2, 3, 1).numpy() * 255).round().astype(np.uint8)
    for name, image, t in (("diffc-shapes-t599", images[0], 599), ("diffc-shapes-t19", images[1], 19)):
        compressed = compress(image, model, 492, seed=2026, t=t, registry=registry, profile_code=0)
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        data = encode(compressed.record, registry)
        (folder / "input.aigif").write_bytes(data)
        from PIL import Image

        Image.fromarray(image, "RGB").save(folder / "source.png", optimize=True)
        decoded = decode_record(decode(data, registry), model=model, registry=registry)
        if decoded.noisy_latent.tobytes() != compressed.latent.tobytes():
            raise SystemExit(f"{name}: the decoder's latent differs from the encoder's; nothing written")
        Image.fromarray(decoded.rgb8, "RGB").save(folder / "expected.png", optimize=True)
        buffer = io.BytesIO()
        np.save(buffer, decoded.noisy_latent, allow_pickle=False)
        (folder / "expected-latent.npy").write_bytes(buffer.getvalue())
        meta = {"psnr_vs_source_db": round(float(_psnr(decoded.rgb8, image)), 3), "payload_bytes": len(compressed.payload),
                "file_bytes": len(data), "coded_steps": compressed.steps, "ideal_bits": round(sum(compressed.kl_bits), 1),
                "platform": {"device": "cpu", "torch": torch.__version__, "threads": torch.get_num_threads()}}
        (folder / "model-case.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * np.log10(255 * 255 / mse) if mse else float("inf")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write(out: Path, registry) -> None:
    cases = []
    entropy_rows = [{"indices": steps, "stream_hex": entropy.encode_indices(steps).hex()} for steps in ENTROPY_CASES]
    (out / "entropy.json").write_text(json.dumps({"about": "DiffC index streams (spec/diffc.md 3.4): per-step chunk "
                                                  "indices -> bytes. Made by vectors/diffc/generate_payloads.py.",
                                                  "cases": entropy_rows}, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    v2 = version2_profile(registry)
    v2_rows = [{"indices": steps, "stream_hex": entropy.encode_stream_v2(steps, v2.stream_tables()).hex()}
               for steps in ENTROPY_V2_CASES]
    (out / "entropy-v2.json").write_text(json.dumps({"about": f"DiffC version-2 index streams (spec/diffc.md 3.5) with "
                                                     f"profile {v2.code} ({v2.name})'s tables: per-step chunk indices -> "
                                                     "bytes. Made by vectors/diffc/generate_payloads.py.", "profile": v2.code,
                                                     "cases": v2_rows}, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    valid = {name: (encode(c["record"], registry), c["description"], c["how"])
             for name, c in {**synthetic_cases(registry), **synthetic_v2_cases(registry)}.items()}
    for folder in sorted(p for p in out.glob("diffc-shapes-*") if p.is_dir()):
        meta = json.loads((folder / "model-case.json").read_text(encoding="utf-8"))
        valid[folder.name] = ((folder / "input.aigif").read_bytes(),
                              f"an aigif-shapes image encoded by the reference encoder ({meta['coded_steps']} steps, "
                              f"{meta['payload_bytes']}-byte payload, {meta['psnr_vs_source_db']} dB against source.png)",
                              "aigif_ref.diffc.files.compress on CPU (generate_payloads.py --models-too)")
    for name, (data, description, how) in sorted(valid.items()):
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "input.aigif").write_bytes(data)
        noise, payload = noise_and_payload(decode(data, registry), registry)
        (folder / "expected-noise.bin").write_bytes(noise)
        (folder / "indices.json").write_text(json.dumps([list(s) for s in payload.indices]) + "\n", encoding="utf-8")
        files = {n: sha((folder / n).read_bytes()) for n in sorted(p.name for p in folder.iterdir())
                 if n not in ("test.json",)}
        test = {"id": name, "level": "diffc", "valid": True, "expected_error": None, "description": description,
                "how": how, "files": files}
        if name.startswith("diffc-shapes-"):
            test["tolerance"] = {"latent_max_abs_error": LATENT_TOLERANCE, "min_psnr": MIN_PSNR,
                                 "note": "expected-latent.npy and expected.png come from the CPU reference; the noise "
                                         "is exact, the model's float outputs are not"}
        (folder / "test.json").write_text(json.dumps(test, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        cases.append({"id": name, "sha256": sha(data)})
    invalid = {name: (*case, f"copied from vectors/syntax/{name}") for name, case in invalid_cases().items()}
    invalid.update({name: (*case, "generate_payloads.invalid_v2_cases: build_file without the writer's checks")
                    for name, case in invalid_v2_cases(registry).items()})
    for name, (data, error, description, how) in sorted(invalid.items()):
        try:
            decode(data, registry)
        except AigifError as exc:
            if exc.code != error:
                raise SystemExit(f"{name}: expected {error}, the reference says {exc.code}; nothing written")
        else:
            raise SystemExit(f"{name}: the reference accepts it; nothing written")
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "input.aigif").write_bytes(data)
        test = {"id": name, "level": "diffc", "valid": False, "expected_error": error, "description": description,
                "how": how, "files": {"input.aigif": sha(data)}}
        (folder / "test.json").write_text(json.dumps(test, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        cases.append({"id": name, "sha256": sha(data)})
    cases.sort(key=lambda c: c["id"])
    manifest = {"suite": SUITE, "version": VERSION, "spec_version": SPEC_VERSION, "cases": cases}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    (out / "levels-diffc.txt").write_text("".join(c["id"] + "\n" for c in cases), encoding="utf-8")


GENERATED_TOP = ("manifest.json", "entropy.json", "entropy-v2.json")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="regenerate into a temporary folder and compare; exit 1 on drift")
    parser.add_argument("--models-too", action="store_true", help="also re-encode the model cases (needs torch, minutes)")
    args = parser.parse_args()
    registry = default_registry()
    if args.models_too and not args.check:
        model_cases(registry, HERE)  # the model-dependent files, in place; the rest is (re)written below
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for folder in HERE.glob("diffc-shapes-*"):  # the model cases' own files are kept
            if folder.is_dir():
                shutil.copytree(folder, out / folder.name, ignore=shutil.ignore_patterns("test.json", "expected-noise.bin", "indices.json"))
        write(out, registry)
        level = (out / "levels-diffc.txt").read_bytes()
        (out / "levels-diffc.txt").unlink()
        produced = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
        if args.check:
            current = {p.relative_to(HERE).as_posix(): p.read_bytes() for p in HERE.rglob("*")
                       if p.is_file() and (p.parent != HERE or p.name in GENERATED_TOP)}
            stale = sorted(k for k in produced.keys() | current.keys() if produced.get(k) != current.get(k))
            if stale or LEVEL_FILE.read_bytes() != level:
                print(f"vectors/diffc is stale ({', '.join(stale[:5]) or 'levels/diffc.txt'}): run "
                      "python3 vectors/diffc/generate_payloads.py", file=sys.stderr)
                return 1
            return 0
        for folder in HERE.iterdir():
            if folder.is_dir() and (folder.name.startswith(("diffc-", "invalid-diffc-"))):
                shutil.rmtree(folder)
        for rel, data in produced.items():
            (HERE / rel).parent.mkdir(parents=True, exist_ok=True)
            (HERE / rel).write_bytes(data)
        LEVEL_FILE.write_bytes(level)
    print(f"wrote {len(json.loads((HERE / 'manifest.json').read_text())['cases'])} DiffC cases to vectors/diffc/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
