"""Quantized models (spec/quantized.md): payload size, load + dequantize time, fidelity against the float model.

    python -m benchmarks.bench_quant [--json] [--model 490] [--prompts 3] [--steps 8] [--size 64]

Size: payload bytes per compressor against the same tensors stored as float32 and float16 (the
quantized components only; default: the UNet). Time: parse + dequantize + cast to float16 of the whole
payload, against safetensors loading the same component stored as float16 (median of --rounds).
Fidelity: renders of the quantized model against the float model, same records (PSNR, SSIM on RGB8).
Also: how many values a float16 dequantization (diffusers' GGUF path) changes for float32 records.
CPU only here; no GPU figure comes from this script.
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

COMPRESSORS = ("int8", "q8_0", "q4_0", "mixed")
PROMPTS = ("a red fox in the snow", "a blue square on a white table", "a lighthouse at dusk", "a bowl of oranges",
           "a green circle above a yellow triangle")


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


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


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=int, default=490)
    parser.add_argument("--prompts", type=int, default=3)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from safetensors.numpy import load as load_st, save as save_st

    from aigif_ref.api import decode, encode
    from aigif_ref.model_store import resolve_model, staged
    from aigif_ref.quant.formats import cast
    from aigif_ref.quant.loader import dequantized_tensors
    from aigif_ref.quant.payload import build, parse, sha256_hex
    from aigif_ref.quant.quantizer import component_weights, quantize_model, read_component
    from aigif_ref.regen.render import Renderer

    model = resolve_model(args.model)
    out: dict = {"model": f"{model.model_id} {model.name}", "components": ["unet"], "compressors": {}}
    with staged(model) as folder:
        base = read_component(component_weights(folder, "unet"))
        payloads = {c: build(quantize_model(folder, args.model, c, keep=["unet/conv_in", "unet/conv_out"] if c == "mixed" else []))
                    for c in COMPRESSORS}
    n = sum(v.size for _, v in base.values())
    fp16_file = save_st({k: v.astype(np.float16) for k, (_, v) in base.items()})
    out["parameters"] = n
    out["fp32_bytes"], out["fp16_bytes"] = 4 * n, len(fp16_file)
    fp16_load = timed(lambda: load_st(fp16_file), args.rounds)
    out["fp16_load_seconds"] = fp16_load
    for c, data in payloads.items():
        load = timed(lambda: dequantized_tensors(parse(data), "float16"), args.rounds)
        formats: dict[str, int] = {}
        for e in parse(data).tensors.values():
            formats[e.format] = formats.get(e.format, 0) + 1
        out["compressors"][c] = {"bytes": len(data), "vs_fp32": len(data) / (4 * n), "vs_fp16": len(data) / len(fp16_file),
                                 "load_dequantize_seconds": load, "vs_fp16_load": load / fp16_load, "tensor_formats": formats}

    # float16 dequantization (diffusers' GGUF path) against the spec's binary32, for float32 records
    w = np.concatenate([v.reshape(-1) for _, v in base.values()])
    w = w[: w.size // 32 * 32]
    from aigif_ref.quant.formats import dequantize, quantize
    blob = quantize("q8_0", w)
    exact = dequantize("q8_0", blob, w.shape)
    blocks = np.frombuffer(blob, np.uint8).reshape(-1, 34)
    half = (blocks[:, :2].copy().view(np.float16) * blocks[:, 2:].copy().view(np.int8).astype(np.float16)).reshape(-1)
    out["fp16_dequant_differs"] = {"float32_record": float((half.astype(np.float32) != exact).mean()),
                                   "float16_record": float((half.view(np.uint16) != cast(exact, "float16").view(np.uint16)).mean())}

    # fidelity: quantized renders against float renders
    with tempfile.TemporaryDirectory() as tmp:
        for data in payloads.values():
            (Path(tmp) / f"{sha256_hex(data)}.safetensors").write_bytes(data)
        renderer = Renderer("cpu", payloads=[tmp])
        records = [{"model_id": args.model, "prompt": p, "height": args.size, "width": args.size, "seed": 1000 + i,
                    "steps": args.steps, "guidance_scale": 7.5, "device": "CPU"} for i, p in enumerate(PROMPTS[: args.prompts])]
        floats = [renderer.render(r).rgb for r in records]
        for c, data in payloads.items():
            ext = {"type": 2, "model_compressor": c, "storage": "referenced", "payload_sha256": sha256_hex(data), "payload_size": len(data)}
            images = [renderer.render(decode(encode({**r, "extensions": [ext]})), decoded=True).rgb for r in records]
            out["compressors"][c]["psnr_db"] = statistics.mean(psnr(a, b) for a, b in zip(floats, images))
            out["compressors"][c]["ssim"] = statistics.mean(ssim(a, b) for a, b in zip(floats, images))
    out["renders"] = {"prompts": args.prompts, "steps": args.steps, "size": args.size, "device": "cpu"}
    if args.json:
        print(json.dumps(out, indent=1))
    else:
        print(f"model {out['model']}, UNet: {n} parameters; fp32 {out['fp32_bytes']} B, fp16 {out['fp16_bytes']} B, "
              f"fp16 safetensors load {fp16_load * 1e3:.2f} ms")
        print("compressor | bytes | vs fp32 | vs fp16 | load+dequantize ms | vs fp16 load | PSNR dB | SSIM | formats")
        for c, r in out["compressors"].items():
            print(f"{c} | {r['bytes']} | {r['vs_fp32']:.3f} | {r['vs_fp16']:.3f} | {r['load_dequantize_seconds'] * 1e3:.2f} | "
                  f"{r['vs_fp16_load']:.2f}x | {r['psnr_db']:.2f} | {r['ssim']:.4f} | {r['tensor_formats']}")
        print(f"float16 dequantization differs from binary32 in {out['fp16_dequant_differs']['float32_record']:.1%} of values "
              f"(float32 records), {out['fp16_dequant_differs']['float16_record']:.1%} (float16 records)")
    return out


if __name__ == "__main__":
    main()
