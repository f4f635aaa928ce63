"""Writes vectors/diffc/generator.json: known answers for the DiffC generator (spec/diffc.md, Generator).

    python3 vectors/diffc/generate_generator.py [--check]

Deterministic (fixed inputs, sorted keys). The Philox rows are Random123's published known answers
(kat_vectors, philox4x32 10); the rest are this reference's outputs, which an implementation in another
language must reproduce bit for bit (float32 values are given by their bit patterns, little-endian
sha256 digests cover larger streams).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from aigif_ref.diffc import gaussian, philox  # noqa: E402

OUT = Path(__file__).with_name("generator.json")

# Random123 kat_vectors: counter (4 words), key (2 words) -> output (4 words)
RANDOM123_KATS = [
    ([0x00000000, 0x00000000, 0x00000000, 0x00000000], [0x00000000, 0x00000000],
     [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]),
    ([0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF], [0xFFFFFFFF, 0xFFFFFFFF],
     [0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD]),
    ([0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344], [0xA4093822, 0x299F31D0],
     [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1]),
]

STREAMS = [  # (seed, domain, step, chunk, candidate, count)
    (0, philox.DOMAIN_CANDIDATE, 0, 0, 0, 8),
    (0x0123456789ABCDEF, philox.DOMAIN_CANDIDATE, 7, 3, 65535, 12),
    (42, philox.DOMAIN_INITIAL_LATENT, 0, 0, 0, 16),
    (42, philox.DOMAIN_PERMUTATION, 5, 0, 0, 8),
    (42, philox.DOMAIN_ARRIVAL, 5, 2, 0, 8),
    ((1 << 64) - 1, philox.DOMAIN_CANDIDATE, (1 << 24) - 1, 0xFFFFFFFF, 0xFFFFFFFF, 4),
]
BULK = (2026, philox.DOMAIN_CANDIDATE, 1, 2, 1 << 16, 64)  # seed, domain, step, chunk, candidates, count


def hex32(values: np.ndarray) -> list[str]:
    return [f"{int(v):08x}" for v in np.asarray(values).view(np.uint32).ravel()]


def edge_words() -> np.ndarray:
    """Words that hit the ends of both transforms: u = 2**-24 and 1, every quadrant boundary."""
    picks = [0x00000000, 0x000000FF, 0x00000100, 0xFFFFFF00, 0xFFFFFFFF, 0x3FFFFF00, 0x40000000,
             0x7FFFFFFF, 0x80000000, 0xBFFFFFFF, 0xC0000000, 0x1FFFFF00, 0x20000000, 0x12345678]
    return np.array(picks, dtype=np.uint32)


def build() -> dict:
    kats = []
    for counter, key, expected in RANDOM123_KATS:
        got = philox.philox4x32_10(np.array(counter, dtype=np.uint32), (key[0], key[1]))
        if [int(v) for v in got] != expected:
            raise SystemExit("Philox4x32-10 disagrees with Random123's known answers; nothing written")
        kats.append({"counter": [f"{c:08x}" for c in counter], "key": [f"{k:08x}" for k in key],
                     "output": [f"{e:08x}" for e in expected]})
    streams = []
    for seed, domain, step, chunk, candidate, count in STREAMS:
        counters = philox.counter_words(domain, step, chunk, candidate, np.arange((count + 3) // 4))
        words = philox.stream_words(seed, domain, step, chunk, candidate, count)
        normals = gaussian.stream_normals(seed, domain, step, chunk, candidate, count)
        streams.append({"seed": str(seed), "domain": domain, "step": step, "chunk": chunk, "candidate": candidate,
                        "counters": [hex32(c) for c in counters], "words": hex32(words),
                        "normals_f32": hex32(normals), "normals": [float(v) for v in normals],
                        "exponentials_f32": hex32(gaussian.exponentials_from_words(words))})
    words = edge_words()
    cos_a, sin_a = gaussian.cos_sin_turn(words)
    transforms = {"words": hex32(words),
                  "uniform_f32": hex32(gaussian.uniform_open_closed(words)),
                  "ln_uniform_f32": hex32(gaussian.ln_f32(gaussian.uniform_open_closed(words))),
                  "cos_f32": hex32(cos_a), "sin_f32": hex32(sin_a)}
    ln_inputs = np.array([1.0, 2.0, 0.5, 1.4142135, 1.4142137, 3.0, 1e-30, 12345.678, 3.4e38, 2.0 ** -24],
                         dtype=np.float32)
    seed, domain, step, chunk, candidates, count = BULK
    bulk = gaussian.stream_normals(seed, domain, step, chunk, np.arange(candidates), count)
    return {
        "about": "Known answers for the DiffC generator, spec/diffc.md section Generator. Made by "
                 "vectors/diffc/generate_generator.py; do not edit. Hex words are uint32; *_f32 lists are "
                 "binary32 bit patterns.",
        "philox4x32_10_random123": kats,
        "constants_f32": {"SQRT2": hex32(np.array([gaussian.SQRT2]))[0],
                          "LN2_HI": hex32(np.array([gaussian.LN2_HI]))[0],
                          "LN2_LO": hex32(np.array([gaussian.LN2_LO]))[0],
                          "LOG": hex32(np.array(gaussian.LOG_COEFFS)), "SIN": hex32(np.array(gaussian.SIN_COEFFS)),
                          "COS": hex32(np.array(gaussian.COS_COEFFS))},
        "ln_f32": {"inputs_f32": hex32(ln_inputs), "outputs_f32": hex32(gaussian.ln_f32(ln_inputs))},
        "word_transforms": transforms,
        "streams": streams,
        "bulk": {"seed": str(seed), "domain": domain, "step": step, "chunk": chunk, "candidates": candidates,
                 "count": count, "layout": "candidate-major [candidates][count] float32 little-endian",
                 "sha256": hashlib.sha256(bulk.astype("<f4").tobytes()).hexdigest(),
                 "first_normals_f32": hex32(bulk[0, :8]), "last_normals_f32": hex32(bulk[-1, -8:])},
    }


def render() -> str:
    return json.dumps(build(), indent=1, sort_keys=True) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed file; exit 1 on drift")
    args = parser.parse_args()
    text = render()
    if args.check:
        if OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is stale: run python3 vectors/diffc/generate_generator.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
