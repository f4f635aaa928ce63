"""Image metadata shaped exactly as each tool writes it, for the importer tests and the coverage benchmark.

Key names, nesting and JSON formatting follow each tool's own source: ComfyUI (nodes.py SaveImage:
`prompt` and `workflow` text chunks, json.dumps), InvokeAI (CoreMetadataInvocation, pydantic's compact
JSON, `invokeai_metadata`; 2.x `sd-metadata` and `Dream`), Fooocus (meta_parser.py: sorted json.dumps in
`parameters`, plus `fooocus_scheme`), NovelAI (`Software`, `Source`, `Description`, `Comment`), SwarmUI
(T2IParamInput.GenFullMetadataObject: indented JSON with non-ASCII escaped, in `parameters`), Draw Things
(an XMP packet in an iTXt `XML:com.adobe.xmp` chunk, the settings JSON in exif:UserComment). These
fixtures are this project's own (its licence). SD_PARSERS holds metadata texts copied from the test
images of sd-parsers 0.6 (PyPI sdist, MIT licence, Copyright (c) 2023 d3x-at), applied to our own pixels.
"""
from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path
from typing import Any

import numpy as np

SHAPES_PROMPT = "a yellow triangle on a blue background"


def pixels(height: int, width: int, seed: int = 0) -> np.ndarray:
    """Smooth, compressible pixels (like a generated image, unlike noise)."""
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([(x * 255 // max(1, width - 1)), (y * 255 // max(1, height - 1)), ((x + y + seed * 17) % 256)], axis=-1)
    return rgb.astype(np.uint8)


def write_png(path: Path, texts: dict[str, str], rgb: np.ndarray, itxt: tuple[str, ...] = ()) -> Path:
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    for key, value in texts.items():
        if key in itxt:
            info.add_itxt(key, value)
        else:
            info.add_text(key, value)  # Pillow writes iTXt itself when the text is not Latin-1
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb).save(path, pnginfo=info)
    return path


# -- ComfyUI --------------------------------------------------------------------------------------
def comfyui_graph(*, ckpt: str = "v1-5-pruned-emaonly.safetensors", positive: str = "beautiful scenery nature glass bottle",
                  negative: str = "text, watermark", seed: int = 156680208700286, steps: int = 20, cfg: float = 8.0,
                  sampler: str = "euler", scheduler: str = "normal", width: int = 512, height: int = 512,
                  loras: tuple[tuple[str, float, float], ...] = (), clip_layer: int | None = None,
                  hires: tuple[float, int, float] | None = None,
                  pixel_hires: tuple[str, float, int, float] | None = None, upscale_model: str | None = None) -> dict[str, Any]:
    """ComfyUI's default graph (ids as its default workflow), with LoRA loaders, CLIPSetLastLayer and a second
    KSampler on a LatentUpscaleBy (hires fix: scale, steps, denoise) when asked; ``pixel_hires`` (method, scale,
    steps, denoise) does it in pixel space instead: VAEDecode -> [ImageUpscaleWithModel ->] ImageScaleBy -> VAEEncode."""
    graph: dict[str, Any] = {
        "3": {"inputs": {"seed": seed, "steps": steps, "cfg": cfg, "sampler_name": sampler, "scheduler": scheduler,
                         "denoise": 1.0, "model": ["4", 0], "positive": ["6", 0], "negative": ["7", 0],
                         "latent_image": ["5", 0]}, "class_type": "KSampler", "_meta": {"title": "KSampler"}},
        "4": {"inputs": {"ckpt_name": ckpt}, "class_type": "CheckpointLoaderSimple", "_meta": {"title": "Load Checkpoint"}},
        "5": {"inputs": {"width": width, "height": height, "batch_size": 1}, "class_type": "EmptyLatentImage",
              "_meta": {"title": "Empty Latent Image"}},
        "6": {"inputs": {"text": positive, "clip": ["4", 1]}, "class_type": "CLIPTextEncode",
              "_meta": {"title": "CLIP Text Encode (Prompt)"}},
        "7": {"inputs": {"text": negative, "clip": ["4", 1]}, "class_type": "CLIPTextEncode",
              "_meta": {"title": "CLIP Text Encode (Prompt)"}},
        "8": {"inputs": {"samples": ["3", 0], "vae": ["4", 2]}, "class_type": "VAEDecode", "_meta": {"title": "VAE Decode"}},
        "9": {"inputs": {"filename_prefix": "ComfyUI", "images": ["8", 0]}, "class_type": "SaveImage",
              "_meta": {"title": "Save Image"}},
    }
    model, clip = ["4", 0], ["4", 1]
    for i, (name, unet, te) in enumerate(loras):
        node = str(10 + i)
        graph[node] = {"inputs": {"lora_name": name, "strength_model": unet, "strength_clip": te, "model": model, "clip": clip},
                       "class_type": "LoraLoader", "_meta": {"title": "Load LoRA"}}
        model, clip = [node, 0], [node, 1]
    if clip_layer is not None:
        graph["20"] = {"inputs": {"stop_at_clip_layer": clip_layer, "clip": clip}, "class_type": "CLIPSetLastLayer",
                       "_meta": {"title": "CLIP Set Last Layer"}}
        clip = ["20", 0]
    graph["3"]["inputs"]["model"] = model
    graph["6"]["inputs"]["clip"] = graph["7"]["inputs"]["clip"] = clip
    if hires is not None:
        scale, hires_steps, denoise = hires
        graph["21"] = {"inputs": {"upscale_method": "nearest-exact", "scale_by": scale, "samples": ["3", 0]},
                       "class_type": "LatentUpscaleBy", "_meta": {"title": "Upscale Latent By"}}
        graph["22"] = {"inputs": {**graph["3"]["inputs"], "steps": hires_steps, "denoise": denoise, "latent_image": ["21", 0]},
                       "class_type": "KSampler", "_meta": {"title": "KSampler"}}
        graph["8"]["inputs"]["samples"] = ["22", 0]
    if pixel_hires is not None:
        method, scale, hires_steps, denoise = pixel_hires
        graph["30"] = {"inputs": {"samples": ["3", 0], "vae": ["4", 2]}, "class_type": "VAEDecode", "_meta": {"title": "VAE Decode"}}
        image = ["30", 0]
        if upscale_model is not None:
            graph["33"] = {"inputs": {"model_name": upscale_model}, "class_type": "UpscaleModelLoader",
                           "_meta": {"title": "Load Upscale Model"}}
            graph["34"] = {"inputs": {"upscale_model": ["33", 0], "image": image}, "class_type": "ImageUpscaleWithModel",
                           "_meta": {"title": "Upscale Image (using Model)"}}
            image = ["34", 0]
        graph["31"] = {"inputs": {"upscale_method": method, "scale_by": scale, "image": image}, "class_type": "ImageScaleBy",
                       "_meta": {"title": "Upscale Image By"}}
        graph["32"] = {"inputs": {"pixels": ["31", 0], "vae": ["4", 2]}, "class_type": "VAEEncode", "_meta": {"title": "VAE Encode"}}
        graph["35"] = {"inputs": {**graph["3"]["inputs"], "steps": hires_steps, "denoise": denoise, "latent_image": ["32", 0]},
                       "class_type": "KSampler", "_meta": {"title": "KSampler"}}
        graph["8"]["inputs"]["samples"] = ["35", 0]
    return graph


def comfyui_workflow(graph: dict[str, Any]) -> dict[str, Any]:
    """A UI graph (LiteGraph serialization) for an API graph: what the `workflow` chunk holds (kept verbatim)."""
    nodes = [{"id": int(i), "type": n["class_type"], "pos": [100 * k, 100], "size": {"0": 315, "1": 98}, "flags": {},
              "order": k, "mode": 0, "properties": {"Node name for S&R": n["class_type"]},
              "widgets_values": [v for v in n["inputs"].values() if not isinstance(v, list)]}
             for k, (i, n) in enumerate(sorted(graph.items(), key=lambda item: int(item[0])))]
    return {"last_node_id": max(int(i) for i in graph), "last_link_id": 9, "nodes": nodes, "links": [], "groups": [],
            "config": {}, "extra": {"ds": {"scale": 1, "offset": [0, 0]}}, "version": 0.4}


def comfyui_texts(graph: dict[str, Any]) -> dict[str, str]:
    return {"prompt": json.dumps(graph), "workflow": json.dumps(comfyui_workflow(graph))}


# -- InvokeAI -------------------------------------------------------------------------------------
def invokeai_texts(*, prompt: str = "a lighthouse on a cliff, dramatic sky", negative: str = "blurry", seed: int = 2315457185,
                   steps: int = 30, cfg: float = 7.5, scheduler: str = "dpmpp_2m_k", width: int = 512, height: int = 512,
                   model: str = "Deliberate v3", base: str = "sd-1", clip_skip: int = 0, loras: tuple[tuple[str, float], ...] = (),
                   extra: dict[str, Any] | None = None) -> dict[str, str]:
    """invokeai_metadata as InvokeAI 4.x/5.x writes it (pydantic JSON, compact)."""
    def ident(name: str, kind: str) -> dict[str, str]:
        digest = hashlib.sha256(name.encode()).hexdigest()
        return {"key": f"{digest[:8]}-6b1e-4c5b-9a3e-{digest[8:20]}", "hash": "blake3:" + digest, "name": name,
                "base": base, "type": kind}

    meta = {"generation_mode": "sdxl_txt2img" if base == "sdxl" else "txt2img", "positive_prompt": prompt,
            "negative_prompt": negative, "width": width, "height": height, "seed": seed, "rand_device": "cpu",
            "cfg_scale": cfg, "cfg_rescale_multiplier": 0.0, "steps": steps, "scheduler": scheduler, "seamless_x": False,
            "seamless_y": False, "clip_skip": clip_skip, "model": ident(model, "main"),
            "loras": [{"model": ident(name, "lora"), "weight": weight} for name, weight in loras], "app_version": "5.4.2"}
    meta.update(extra or {})
    return {"invokeai_metadata": json.dumps(meta, separators=(",", ":"))}


def invokeai_legacy_texts(*, prompt: str = "a red barn in the snow [people, text]", seed: int = 3532181913, steps: int = 50,
                          cfg: float = 7.5, sampler: str = "k_lms", width: int = 512, height: int = 512,
                          model_hash: str = "cc6cb27103417325ff94f52b7a5d2dde45a7515b25c255d8e396c90014281516",
                          postprocessing: Any = None) -> dict[str, str]:
    """sd-metadata and Dream as InvokeAI 2.x wrote them."""
    meta = {"model": "stable diffusion", "model_weights": "stable-diffusion-1.5", "model_hash": model_hash,
            "app_id": "invoke-ai/InvokeAI", "app_version": "2.2.5",
            "image": {"prompt": [{"prompt": prompt, "weight": 1.0}], "steps": steps, "cfg_scale": cfg, "threshold": 0,
                      "perlin": 0, "height": height, "width": width, "seed": seed, "seamless": False, "hires_fix": False,
                      "type": "txt2img", "postprocessing": postprocessing, "sampler": sampler, "variations": []}}
    dream = f'"{prompt}" -s {steps} -S {seed} -W {width} -H {height} -C {cfg:g} -A {sampler}'
    return {"sd-metadata": json.dumps(meta), "Dream": dream}


# -- Fooocus --------------------------------------------------------------------------------------
def fooocus_texts(*, prompt: str = "a cozy cabin in the woods", negative: str = "", seed: int = 6952411511246973023,
                  steps: int = 30, cfg: float = 4.0, sampler: str = "dpmpp_2m_sde_gpu", scheduler: str = "karras",
                  width: int = 1024, height: int = 1024, loras: tuple[tuple[str, float, str], ...] = (),
                  styles: tuple[str, ...] = ("Fooocus V2", "Fooocus Enhance", "Fooocus Sharp"), performance: str = "Speed",
                  base_hash: str = "aeb7e9e689") -> dict[str, str]:
    expansion = prompt + ", highly detailed, cinematic, dramatic light" if "Fooocus V2" in styles else ""
    full = [f"cinematic still {prompt} . emotional, harmonious, vignette, 4k epic detailed"] + ([expansion] if expansion else []) \
        if styles else [prompt]
    meta = {"adm_guidance": "(1.5, 0.8, 0.3)", "base_model": "juggernautXL_v8Rundiffusion", "base_model_hash": base_hash,
            "full_negative_prompt": ["(worst quality, low quality:1.4), " + negative] if styles else [negative],
            "full_prompt": full, "guidance_scale": cfg, "loras": [list(lora) for lora in loras], "metadata_scheme": "fooocus",
            "negative_prompt": negative, "performance": performance, "prompt": prompt, "prompt_expansion": expansion,
            "refiner_model": "None", "refiner_switch": 0.5, "resolution": str((width, height)), "sampler": sampler,
            "scheduler": scheduler, "seed": str(seed), "sharpness": 2, "steps": steps, "styles": str(list(styles)),
            "vae": "Default (model)", "version": "Fooocus v2.5.5"}
    return {"parameters": json.dumps(dict(sorted(meta.items()))), "fooocus_scheme": "fooocus"}


# -- NovelAI --------------------------------------------------------------------------------------
def novelai_texts(*, prompt: str = "1girl, solo, upper body, looking at viewer, best quality, amazing quality",
                  negative: str = "lowres, bad anatomy", seed: int = 1634372510, steps: int = 28, scale: float = 5.0,
                  sampler: str = "k_euler_ancestral", schedule: str = "native", width: int = 832, height: int = 1216,
                  sm: bool = False) -> dict[str, str]:
    comment = {"prompt": prompt, "steps": steps, "height": height, "width": width, "scale": scale, "uncond_scale": 1.0,
               "cfg_rescale": 0.0, "seed": seed, "n_samples": 1, "hide_debug_overlay": False, "noise_schedule": schedule,
               "legacy_v3_extend": False, "reference_information_extracted_multiple": [], "reference_strength_multiple": [],
               "sampler": sampler, "controlnet_strength": 1.0, "controlnet_model": None, "dynamic_thresholding": False,
               "dynamic_thresholding_percentile": 0.999, "dynamic_thresholding_mimic_scale": 10.0, "sm": sm, "sm_dyn": False,
               "skip_cfg_above_sigma": None, "skip_cfg_below_sigma": 0.0, "lora_unet_weights": None,
               "lora_clip_weights": None, "uc": negative, "request_type": "PromptGenerateRequest",
               "signed_hash": "3S0YkRbXfNGQXU4Sxq0i4yQ=="}
    return {"Title": "AI generated image", "Description": prompt, "Software": "NovelAI",
            "Source": "NovelAI Diffusion V3 4BDE2A90", "Generation time": "4.9", "Comment": json.dumps(comment)}


# -- SwarmUI --------------------------------------------------------------------------------------
def swarmui_texts(*, prompt: str = "a photo of a corgi wearing sunglasses", negative: str = "", model: str = "OfficialStableDiffusion/sd_xl_base_1.0",
                  seed: int = 1139221071, steps: int = 20, cfg: float = 7.0, sampler: str = "euler", scheduler: str = "normal",
                  width: int = 1024, height: int = 1024, loras: tuple[tuple[str, str], ...] = (),
                  clip_layer: int | None = None, extra: dict[str, Any] | None = None) -> dict[str, str]:
    params: dict[str, Any] = {"prompt": prompt, "negativeprompt": negative, "model": model, "seed": seed, "steps": steps,
                              "cfgscale": cfg, "aspectratio": "1:1" if width == height else "Custom", "width": width,
                              "height": height, "sampler": sampler, "scheduler": scheduler}
    if loras:
        params["loras"] = [name for name, _ in loras]
        params["loraweights"] = [weight for _, weight in loras]
    if clip_layer is not None:
        params["clipstopatlayer"] = clip_layer
    params.update(extra or {})
    params.update({"swarm_version": "0.9.5.2", "date": "2025-02-11", "generation_time": "0.02 (prep) and 3.41 (gen) seconds"})
    top = {"sui_image_params": params, "sui_models": [{"name": model + ".safetensors", "param": "model",
                                                       "hash": "0x" + "3a" * 32}]}
    return {"parameters": json.dumps(top, indent=2, ensure_ascii=True)}


# -- Draw Things ----------------------------------------------------------------------------------
def drawthings_texts(*, prompt: str = "a watercolor fox in a misty forest", negative: str = "", seed: int = 3049812637,
                     steps: int = 20, scale: float = 4.5, sampler: str = "DPM++ 2M Karras", model: str = "sd_v1.5_f16.ckpt",
                     width: int = 512, height: int = 512, seed_mode: str = "Torch CPU Compatible",
                     loras: tuple[tuple[str, float], ...] = (), clip_skip: int = 1,
                     v2_sampler: int | None = None) -> dict[str, str]:
    """Draw Things' XMP; ``sampler=None`` leaves the top-level name out, ``v2_sampler`` is the v2 SamplerType number."""
    settings = {"c": prompt, "uc": negative, "seed": seed, "steps": steps, "scale": scale, "sampler": sampler, "model": model,
                "size": f"{width}x{height}", "strength": 1, "seed_mode": seed_mode,
                "lora": [{"file": f, "weight": w} for f, w in loras],
                "v2": {"aestheticScore": 6, "batchCount": 1, "batchSize": 1, "clipSkip": clip_skip, "guidanceScale": scale,
                       "height": height, "hiresFix": False, "model": model, "negativeAestheticScore": 2.5, "seed": seed,
                       "seedMode": 2, "sharpness": 0, "shift": 1, "steps": steps, "strength": 1, "width": width,
                       "loras": [{"file": f, "weight": w} for f, w in loras]}}
    if sampler is None:
        del settings["sampler"]
    if v2_sampler is not None:
        settings["v2"]["sampler"] = v2_sampler
    from xml.sax.saxutils import escape

    text = escape(json.dumps(settings))
    xmp = ("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\" x:xmptk=\"XMP Core 6.0.0\"><rdf:RDF "
           "xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description rdf:about=\"\" "
           "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:exif=\"http://ns.adobe.com/exif/1.0/\" "
           "xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"><xmp:CreatorTool>Draw Things</xmp:CreatorTool>"
           f"<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">{escape(prompt)}</rdf:li></rdf:Alt></dc:description>"
           f"<exif:UserComment><rdf:Alt><rdf:li xml:lang=\"x-default\">{text}</rdf:li></rdf:Alt></exif:UserComment>"
           "</rdf:Description></rdf:RDF></x:xmpmeta>")
    return {"XML:com.adobe.xmp": xmp}


# -- sd-parsers 0.6 test images' metadata (MIT, Copyright (c) 2023 d3x-at) --------------------------
SD_PARSERS_DIR = Path(__file__).parent / "data" / "import" / "sd-parsers"


def sd_parsers_texts() -> dict[str, dict[str, str]]:
    return json.loads((SD_PARSERS_DIR / "metadata.json").read_text(encoding="utf-8"))


# -- the synthetic set for the coverage figure --------------------------------------------------------
def synthetic_set(per_tool: int = 10, seed: int = 12) -> list[tuple[str, dict[str, str], tuple[int, int]]]:
    """(tool, metadata texts, (width, height)) per file: each tool's common variations (LoRAs, clip skip, hires fix,
    Karras schedules, unmapped samplers), drawn with a fixed seed."""
    rng = random.Random(seed)
    out: list[tuple[str, dict[str, str], tuple[int, int]]] = []
    sizes = [(512, 512), (512, 768), (768, 512)]
    for i in range(per_tool):
        w, h = rng.choice(sizes)
        s = rng.randrange(2**32)
        loras = (("add_detail.safetensors", 0.7, 0.7),) if rng.random() < 0.5 else ()
        hires = (2.0, 10, 0.5) if rng.random() < 0.3 else None
        # Later variations draw from their own generator, so the draws of `rng` (every file of the first set) stay.
        more = random.Random(seed * 1000 + i)
        pixel_hires = ("lanczos", 2.0, 10, 0.5) if hires is None and more.random() < 0.3 else None
        graph = comfyui_graph(seed=s, width=w, height=h, sampler=rng.choice(["euler", "euler_ancestral", "dpmpp_2m", "dpmpp_2m_sde", "uni_pc_bh2"]),
                              scheduler=rng.choice(["normal", "karras", "simple"]), loras=loras,
                              clip_layer=rng.choice([None, -2]), hires=hires, pixel_hires=pixel_hires)
        scale = hires[0] if hires else pixel_hires[1] if pixel_hires else 1.0
        out.append(("ComfyUI", comfyui_texts(graph), (int(w * scale), int(h * scale))))
        out.append(("InvokeAI", invokeai_texts(seed=s, width=w, height=h, scheduler=rng.choice(["euler", "dpmpp_2m_k", "euler_a", "dpmpp_3m_k", "tcd"]),
                                               clip_skip=rng.choice([0, 1]), loras=(("add_detail", 0.6),) if rng.random() < 0.5 else ()), (w, h)))
        out.append(("Fooocus", fooocus_texts(seed=s, styles=rng.choice([(), ("Fooocus V2", "Fooocus Sharp")])), (1024, 1024)))
        out.append(("NovelAI", novelai_texts(seed=s, sm=rng.random() < 0.3, schedule=rng.choice(["native", "karras"])), (832, 1216)))
        out.append(("SwarmUI", swarmui_texts(seed=s, width=w, height=h, sampler=rng.choice(["euler", "dpmpp_2m", "dpmpp_2m_sde_gpu"]),
                                             scheduler=rng.choice(["normal", "karras"]), model="sd15/" + rng.choice(["dreamshaper_8", "v1-5-pruned-emaonly"]),
                                             clip_layer=rng.choice([None, -2])), (w, h)))
        out.append(("Draw Things", drawthings_texts(seed=s, width=w, height=h, sampler=rng.choice(["DPM++ 2M Karras", "Euler A", "DPM++ SDE Karras", "DPM++ 2M AYS"]),
                                                    seed_mode=rng.choice(["Torch CPU Compatible", "Scale Alike"])), (w, h)))
        sampler = rng.choice(['DPM++ 2M', 'Euler a', 'DPM++ SDE'])
        schedule = more.choice(["Karras", "Karras", "Exponential", "Beta", "Align Your Steps"])
        extra = ""
        if more.random() < 0.5:
            extra += (f", Denoising strength: 0.5, Hires upscale: 2, Hires steps: 10, "
                      f"Hires upscaler: {more.choice(['Latent', 'R-ESRGAN 4x+', 'SwinIR 4x', '4x-UltraSharp', 'None'])}")
        if more.random() < 0.3:
            extra += ", Emphasis: No norm"
        if more.random() < 0.3:
            extra += ", Pad conds: True"
        infotext = (f"a castle on a hill, (sunset:1.2)\nNegative prompt: lowres\nSteps: 20, Sampler: "
                    f"{sampler}, Schedule type: {schedule}, CFG scale: 7, Seed: {s}, "
                    f"Size: {w}x{h}, Model hash: 6ce0161689, Model: dreamshaper_8, Clip skip: 2{extra}, Version: v1.10.1")
        out.append(("A1111", {"parameters": infotext}, (w * 2, h * 2) if "Hires" in extra else (w, h)))
    return out
