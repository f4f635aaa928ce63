"""Quantized models (spec/quantized.md) on aigif-shapes: payload size, load + dequantize time, fidelity.

    python -m benchmarks.bench_quant [--count 56] [--rounds 5] [--json OUT.json] [--plot OUT.png]

The trained aigif-shapes model (registry 492) is quantized with each compressor (int8, q8_0, q4_0, mixed;
the UNet, as seed 001 does) by the reference writer. Reported per compressor:
- size: payload bytes against the same tensors stored as float32 and as float16 (safetensors);
- time: parse + dequantize + cast to float16 of the whole payload, against safetensors loading the UNet
  stored as float16 (median of --rounds);
- fidelity against the float model, like seed 001's Table 6: renders of the same records by the quantized
  and the float model (the shapes evaluation's prompts and settings: DDIM 20 steps, 64x64, guidance 7.5,
  CPU generator, float32; seeds 7100000 + i, never used in training), compared by PSNR and SSIM over RGB8,
  and the shapes evaluation's accuracy (vectors/models/shapes_language.py's classifier: both colours and
  the shape right) of each model's own renders. LPIPS is not reported: its networks' weights come from a
  hub (torchvision / the lpips package download them) and nothing here may load weights from a hub.
Also: how many values a float16 dequantization (diffusers' GGUF path) changes for float32 records.
CPU only; this is in-domain for a model we trained, not a figure for Stable Diffusion.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from benchmarks.shapes_common import (FIDELITY_SEED_BASE, GUIDANCE, MODEL_NAME, SIZE, STEPS, language, machine,  # noqa: E402
                                      versions)

COMPRESSORS = ("int8", "q8_0", "q4_0", "mixed")
TARGETS = {"int8_vs_fp32": 0.26, "4bit_vs_fp32": 0.15, "load_vs_fp16": 1.5}  # issue 11


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(255.0 ** 2 / mse))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    from skimage.metrics import structural_similarity
    return float(structural_similarity(a, b, channel_axis=2, data_range=255))


def timed(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def payloads_for(model_id: int) -> tuple[dict[str, bytes], dict]:
    from aigif_ref.model_store import resolve_model, staged
    from aigif_ref.quant.payload import build
    from aigif_ref.quant.quantizer import component_weights, quantize_model, read_component
    from vectors.generate_quantized_render import MIXED_KEEP

    model = resolve_model(model_id)
    with staged(model) as folder:
        base = read_component(component_weights(folder, "unet"))
        payloads = {c: build(quantize_model(folder, model_id, c, keep=MIXED_KEEP if c == "mixed" else ())) for c in COMPRESSORS}
    return payloads, {name: values for name, (_, values) in base.items()}


def sizes_and_times(payloads: dict[str, bytes], base: dict, rounds: int) -> dict:
    from safetensors.numpy import load as load_st, save as save_st

    from aigif_ref.quant.loader import dequantized_tensors
    from aigif_ref.quant.payload import parse

    n = sum(v.size for v in base.values())
    fp32_file = save_st({k: v.astype(np.float32) for k, v in base.items()})
    fp16_file = save_st({k: v.astype(np.float16) for k, v in base.items()})
    fp16_load = timed(lambda: load_st(fp16_file), rounds)
    out = {"parameters": int(n), "fp32_bytes": len(fp32_file), "fp16_bytes": len(fp16_file), "fp16_load_seconds": fp16_load,
           "compressors": {}}
    for c, data in payloads.items():
        load = timed(lambda: dequantized_tensors(parse(data), "float16"), rounds)
        formats: dict[str, int] = {}
        for e in parse(data).tensors.values():
            formats[e.format] = formats.get(e.format, 0) + 1
        out["compressors"][c] = {"bytes": len(data), "vs_fp32": round(len(data) / len(fp32_file), 4),
                                 "vs_fp16": round(len(data) / len(fp16_file), 4), "load_dequantize_seconds": load,
                                 "vs_fp16_load": round(load / fp16_load, 3), "tensor_formats": dict(sorted(formats.items()))}
    return out


def float16_dequantization_differs(base: dict) -> dict:
    from aigif_ref.quant.formats import cast, dequantize, quantize
    w = np.concatenate([v.reshape(-1) for v in base.values()])
    w = w[: w.size // 32 * 32]
    blob = quantize("q8_0", w)
    exact = dequantize("q8_0", blob, w.shape)
    blocks = np.frombuffer(blob, np.uint8).reshape(-1, 34)
    half = (blocks[:, :2].copy().view(np.float16) * blocks[:, 2:].copy().view(np.int8).astype(np.float16)).reshape(-1)
    return {"float32_record": round(float((half.astype(np.float32) != exact).mean()), 4),
            "float16_record": round(float((half.view(np.uint16) != cast(exact, "float16").view(np.uint16)).mean()), 4)}


def fidelity(model_id: int, payloads: dict[str, bytes], count: int) -> tuple[dict, dict]:
    """Per model (float and each compressor): its renders' accuracy, and PSNR/SSIM against the float renders."""
    from aigif_ref.api import decode, encode
    from aigif_ref.quant.cli import model_extension
    from aigif_ref.regen.render import Renderer

    lang = language()
    classifier = lang.Classifier(SIZE)
    combos = lang.all_prompts()
    cases = [(combos[(i * 37) % len(combos)], FIDELITY_SEED_BASE + i) for i in range(count)]  # spread over the language
    records = [{"model_id": model_id, "prompt": lang.prompt(*combo), "height": SIZE, "width": SIZE, "seed": seed, "steps": STEPS,
                "guidance_scale": GUIDANCE, "scheduler": "DDIM", "dtype": "float32", "device": "CPU"} for combo, seed in cases]
    images: dict[str, list[np.ndarray]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        renderer = Renderer("cpu", payloads=[tmp], capacity=1)
        images["float"] = [renderer.render(r).rgb for r in records]
        for c, data in payloads.items():
            path = Path(tmp) / "p.safetensors"
            path.write_bytes(data)
            ext = model_extension(path, embed=False)
            (Path(tmp) / f"{ext['payload_sha256']}.safetensors").write_bytes(data)
            images[c] = [renderer.render(decode(encode({**r, "extensions": [ext]})), decoded=True).rgb for r in records]
    out = {}
    for name, rendered in images.items():
        right = {"both_colours": 0, "shape": 0, "all": 0}
        for ((fg, shape, bg), _), rgb in zip(cases, rendered):
            reading = classifier(rgb)
            colours = reading.foreground == fg and reading.background == bg
            right["both_colours"] += colours
            right["shape"] += reading.shape == shape
            right["all"] += colours and reading.shape == shape
        row = {"accuracy": {k: round(v / count, 4) for k, v in right.items()}}
        if name != "float":
            values = [psnr(a, b) for a, b in zip(images["float"], rendered)]
            finite = [v for v in values if np.isfinite(v)]
            row.update(psnr_db_mean=round(statistics.fmean(finite), 2) if finite else None, identical=len(values) - len(finite),
                       psnr_db_median=round(statistics.median(values), 2) if np.isfinite(statistics.median(values)) else None,
                       ssim_mean=round(statistics.fmean(ssim(a, b) for a, b in zip(images["float"], rendered)), 4))
        out[name] = row
    return out, {"samples": [(records[i]["prompt"], {k: v[i] for k, v in images.items()}) for i in range(min(4, count))]}


def plot(result: dict, samples: list, path: Path) -> None:
    """Payload size against fidelity per compressor, and the same four records rendered by each model."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(COMPRESSORS)
    comp = result["compressors"]
    fig = plt.figure(figsize=(10, 4.2), dpi=110)
    grid = fig.add_gridspec(len(samples), 2 + len(names) + 1, width_ratios=[3.2, 0.35] + [1] * (len(names) + 1))
    ax = fig.add_subplot(grid[:, 0])
    offsets = {"int8": (8, -12), "q8_0": (8, -12), "q4_0": (-78, 4), "mixed": (8, -22)}  # labels clear of each other
    for c in names:
        x, y = comp[c]["vs_fp32"], comp[c]["fidelity"]["psnr_db_mean"]
        ax.scatter([x], [y], s=40)
        ax.annotate(f"{c}: SSIM {comp[c]['fidelity']['ssim_mean']:.3f}\naccuracy {comp[c]['fidelity']['accuracy']['all']:.0%}",
                    (x, y), textcoords="offset points", xytext=offsets[c], fontsize=7)
    ax.set_xlabel("payload size / float32 UNet")
    ax.set_ylabel("PSNR against the float model (dB)")
    ax.set_title(f"aigif-shapes (in-domain, a model we trained)\nfloat model accuracy {result['float']['accuracy']['all']:.0%}", fontsize=9)
    ax.set_xlim(0, 0.5)
    low, high = ax.get_ylim()
    ax.set_ylim(low - 3, high + 3)
    ax.grid(alpha=0.3)
    for r, (prompt, by_model) in enumerate(samples):
        for k, name in enumerate(["float", *names]):
            cell = fig.add_subplot(grid[r, 2 + k])
            cell.imshow(by_model[name], interpolation="nearest")
            cell.set_xticks([])
            cell.set_yticks([])
            if r == 0:
                cell.set_title(name, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None, "CreationDate": None})
    plt.close(fig)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=56, help="fidelity renders per model (default 56)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, help="write the result here")
    parser.add_argument("--plot", type=Path, help="write the figure (PNG) here")
    args = parser.parse_args(argv)
    import torch

    from aigif_ref.registry import default_registry
    model_id = default_registry().model_code(MODEL_NAME)
    payloads, base = payloads_for(model_id)
    result = {"benchmark": "bench_quant", "model": f"{model_id} {MODEL_NAME}", "domain": "in-domain for a model we trained",
              "components": ["unet"], **sizes_and_times(payloads, base, args.rounds),
              "fp16_dequant_differs": float16_dequantization_differs(base)}
    rows, extra = fidelity(model_id, payloads, args.count)
    result["float"] = rows.pop("float")
    for c, row in rows.items():
        result["compressors"][c]["fidelity"] = row
    result["lpips"] = None
    result["lpips_why_not"] = "LPIPS needs AlexNet/VGG weights that the lpips package and torchvision fetch from a hub; none may be loaded here"
    result["targets"] = TARGETS
    result["settings"] = {"images": args.count, "size": SIZE, "steps": STEPS, "scheduler": "DDIM", "guidance_scale": GUIDANCE,
                          "dtype": "float32", "device": "cpu", "seeds": f"{FIDELITY_SEED_BASE}..{FIDELITY_SEED_BASE + args.count - 1}",
                          "threads": torch.get_num_threads()}
    result.update(machine=machine("cpu"), versions=versions(), date=time.strftime("%Y-%m-%d"))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.plot:
        plot(result, extra["samples"], args.plot)
    print(f"model {result['model']}, UNet {result['parameters']} parameters: fp32 {result['fp32_bytes']} B, fp16 {result['fp16_bytes']} B")
    print(f"float model accuracy (all right): {result['float']['accuracy']['all']:.1%}")
    print("compressor | bytes | vs fp32 | vs fp16 | load+dequantize vs fp16 load | PSNR dB | SSIM | accuracy | formats")
    for c, r in result["compressors"].items():
        f = r["fidelity"]
        print(f"{c} | {r['bytes']} | {r['vs_fp32']:.3f} | {r['vs_fp16']:.3f} | {r['vs_fp16_load']:.2f}x | {f['psnr_db_mean']} | "
              f"{f['ssim_mean']:.4f} | {f['accuracy']['all']:.1%} | {r['tensor_formats']}")
    print(f"float16 dequantization differs from binary32 in {result['fp16_dequant_differs']['float32_record']:.1%} of values "
          f"(float32 records), {result['fp16_dequant_differs']['float16_record']:.1%} (float16 records)")
    return result


if __name__ == "__main__":
    main()
