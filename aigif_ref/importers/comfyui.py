"""ComfyUI: the `prompt` PNG text (the API graph the server ran) -> record; `workflow` (the UI graph) kept verbatim.

SaveImage writes ``prompt`` = ``{"<node id>": {"class_type": ..., "inputs": {...}}}``, where an input
that is a link is ``["<node id>", output index]`` (comfy/nodes.py SaveImage, server.py). The importer
walks back from the output node: the image comes from a VAEDecode of a KSampler's latent; the
sampler's model, positive and negative conditionings and latent lead to the checkpoint (through LoRA
loaders), the CLIPTextEncode prompts (through CLIPSetLastLayer for clip skip) and the EmptyLatentImage
size. A second KSampler on a LatentUpscale of the first is a hires-fix stage, and so is one on the VAEEncode
of a resized VAEDecode of the first (pixel space: an exact "Lanczos" stage where ComfyUI's resize is one). Every other node on
the path changes the pixels in a way the format does not describe: it is reported, never skipped.
"""
from __future__ import annotations

from typing import Any

from aigif_ref.importers import samplers
from aigif_ref.importers.common import (Imported, as_dict, base_record, dialect_extensions, fail, family_for_size,
                                        get_float, get_int, get_str, load_json, lora_entry, resolve_checkpoint)
from aigif_ref.registry import Registry

KEYS = ("prompt",)
TOOL = "ComfyUI"
OUTPUT_NODES = ("SaveImage", "PreviewImage", "SaveImageWebsocket", "Image Save", "SaveAnimatedWEBP")
SAMPLERS = ("KSampler", "KSamplerAdvanced")
DECODERS = ("VAEDecode", "VAEDecodeTiled")
CHECKPOINT_LOADERS = ("CheckpointLoaderSimple", "CheckpointLoader", "CheckpointLoader|pysssss", "ImageOnlyCheckpointLoader")
LORA_LOADERS = ("LoraLoader", "LoraLoaderModelOnly", "LoraLoader|pysssss")
TEXT_ENCODERS = ("CLIPTextEncode", "CLIPTextEncodeSDXL")
# CLIPTextEncodeSDXL's size inputs -> SDXL micro-conditioning params (pairs are (height, width) / (top, left)).
SDXL_SIZES = {"original_size": ("height", "width"), "crops_coords_top_left": ("crop_h", "crop_w"),
              "target_size": ("target_height", "target_width")}
EMPTY_LATENTS = ("EmptyLatentImage", "EmptySD3LatentImage")
# LatentUpscale's upscale_method -> registry upscaler (latent-space resizes).
LATENT_UPSCALERS = {"nearest-exact": "Latent (nearest-exact)", "bilinear": "Latent (bilinear)", "bicubic": "Latent (bicubic)"}
SAMPLER_WIDGETS = ("seed", "noise_seed", "steps", "cfg", "sampler_name", "scheduler", "denoise", "start_at_step",
                   "end_at_step", "add_noise")
MAX_WALK = 512
MAX_NAME = 128  # node ids and class names in messages  # nodes visited on one path: a bound for any graph, cyclic or not


def detect(texts: dict[str, str]) -> bool:
    return "prompt" in texts and texts["prompt"].lstrip().startswith("{")


class Graph:
    """The API graph with checked access: missing nodes, wrong shapes and cycles are AIGIF_E_IMPORT."""

    def __init__(self, data: Any) -> None:
        self.nodes = as_dict(data, "ComfyUI prompt graph")
        for node_id, node in self.nodes.items():
            if len(node_id) > MAX_NAME:
                raise fail(f"ComfyUI graph: a node id of {len(node_id)} characters (ComfyUI's are a few)")
            node = as_dict(node, f"ComfyUI node {node_id}")
            if len(str(node.get("class_type", ""))) > MAX_NAME:
                raise fail(f"ComfyUI node {node_id}: a class_type of more than {MAX_NAME} characters")
            as_dict(node.get("inputs", {}), f"ComfyUI node {node_id} inputs")
            get_str(node, "class_type", f"ComfyUI node {node_id}")

    def cls(self, node_id: str) -> str:
        return self.nodes[node_id]["class_type"]

    def inputs(self, node_id: str) -> dict[str, Any]:
        return self.nodes[node_id].get("inputs", {})

    def link(self, node_id: str, name: str, path: tuple[str, ...]) -> str:
        """The node an input is linked from; refuses a dangling link and a cycle through ``path``."""
        value = self.inputs(node_id).get(name)
        if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], (str, int))):
            raise fail(f"ComfyUI node {node_id} ({self.cls(node_id)}): input {name!r} is not a link to another node")
        source = str(value[0])
        if source not in self.nodes:
            raise fail(f"ComfyUI node {node_id} ({self.cls(node_id)}): input {name!r} links node {source[:MAX_NAME]}, "
                       "which is not in the graph")
        if source in path:
            raise fail(f"ComfyUI graph has a cycle through node {source} ({self.cls(source)}); a graph ComfyUI ran has none")
        if len(path) >= MAX_WALK:
            raise fail(f"ComfyUI graph: a path longer than {MAX_WALK} nodes")
        return source

    def value(self, node_id: str, name: str, path: tuple[str, ...]) -> Any:
        """A widget value, or the value of a primitive node it is linked from (one hop: text and number nodes)."""
        value = self.inputs(node_id).get(name)
        if isinstance(value, list):
            source = self.link(node_id, name, path)
            literals = [v for v in self.inputs(source).values() if not isinstance(v, list)]
            if len(literals) != 1:
                raise fail(f"ComfyUI node {node_id}: input {name!r} comes from node {source} ({self.cls(source)}), "
                           "which is not a single-value node")
            return literals[0]
        return value


def to_record(texts: dict[str, str], registry: Registry, overlay: list[dict[str, Any]], size: tuple[int, int]) -> Imported:
    graph = Graph(load_json(texts["prompt"], "ComfyUI `prompt`"))
    unmapped: list[str] = []
    outputs = sorted((n for n in graph.nodes if graph.cls(n) in OUTPUT_NODES), key=_node_order)
    if not outputs:
        raise fail(f"ComfyUI graph has no output node ({', '.join(OUTPUT_NODES[:2])}); nothing says which image this is")
    if len(outputs) > 1:
        unmapped.append(f"ComfyUI graph has {len(outputs)} output nodes ({', '.join(outputs[:5])}); the image is taken to be "
                        f"node {outputs[0]}'s")
    path = (outputs[0],)
    node = graph.link(outputs[0], "images", path)
    while graph.cls(node) not in DECODERS:  # image post-processing between the decoder and the output
        unmapped.append(f"ComfyUI node {node} ({graph.cls(node)}) changes the decoded image; not represented")
        image_inputs = [k for k, v in graph.inputs(node).items() if isinstance(v, list) and k in ("image", "images", "pixels")]
        if not image_inputs:
            raise fail(f"ComfyUI node {node} ({graph.cls(node)}) feeds the output but has no image input to follow")
        path += (node,)
        node = graph.link(node, image_inputs[0], path)
    path += (node,)
    sampler = graph.link(node, "samples", path)
    stages: list[tuple[str, dict[str, Any]]] = []  # later passes (hires fix), last first
    while True:
        if graph.cls(sampler) not in SAMPLERS:
            raise fail(f"ComfyUI: the decoded latent comes from node {sampler} ({graph.cls(sampler)}), not a KSampler; "
                       "this graph is beyond the importer")
        path += (sampler,)
        latent = graph.link(sampler, "latent_image", path)
        if graph.cls(latent) in ("LatentUpscale", "LatentUpscaleBy"):
            stages.append((sampler, {"upscale": latent}))
            path += (latent,)
            sampler = graph.link(latent, "samples", path)
            continue
        chain = _pixel_hires(graph, latent, path)
        if chain is not None:  # KSampler -> VAEDecode -> image resize -> VAEEncode -> KSampler: hires fix in pixel space
            stages.append((sampler, {"pixels": chain[1:-2], "encode": latent}))  # the resize nodes, encoder side first
            path += tuple(chain[:-1])
            sampler = chain[-1]
            continue
        break
    first = _sampler_settings(graph, sampler, path, registry, unmapped)
    width, height, batch = _latent(graph, latent, path, unmapped, size)
    record = base_record(prompt=first["positive"], negative=first["negative"], seed=first["seed"], steps=first["steps"],
                         guidance=first["cfg"], width=width, height=height)
    record["scheduler"], record["scheduler_config"] = first["scheduler"]
    record["platform"]["generator_device"] = "cpu"  # ComfyUI draws the initial noise on the CPU (comfy/sample.py)
    if batch > 1:
        unmapped.append(f"EmptyLatentImage batch_size {batch}: which image of the batch this is is not recorded")
    if first["denoise"] != 1 and graph.cls(latent) in EMPTY_LATENTS:
        unmapped.append(f"KSampler denoise {first['denoise']:g} on an empty latent: ComfyUI skips the first steps of a "
                        "longer schedule; not represented")
    if first["clip_skip"]:
        record["params"]["clip_skip"] = first["clip_skip"]
    model_id, extensions = resolve_checkpoint(first["checkpoint"], registry, overlay, unmapped, family_for_size(width, height))
    record["model_id"] = model_id
    _micro_conditioning(first["micro"], record, registry.models[model_id]["family"], unmapped)
    adapters = [a for a in (lora_entry(name, unet, te, overlay, unmapped) for name, unet, te in first["loras"]) if a]
    if adapters:
        extensions.append({"type": 5, "adapters": adapters})
    if stages:
        extensions.append(_stages(graph, stages[::-1], first, path, width, height, record, registry, unmapped))
    extensions += dialect_extensions("ComfyUI", [record["prompt"], record["negative_prompt"]])
    record["extensions"] = extensions
    return Imported(record, unmapped, TOOL)


def _micro_conditioning(micro: dict[str, dict[str, tuple[int, int]]], record: dict[str, Any], family: str,
                        unmapped: list[str]) -> None:
    """CLIPTextEncodeSDXL sizes -> SDXL params where they differ from diffusers' defaults (the image size, no crop)."""
    if not micro:
        return
    defaults = {"original_size": (record["height"], record["width"]), "crops_coords_top_left": (0, 0),
                "target_size": (record["height"], record["width"])}
    positive = micro.get("positive", defaults)
    if micro.get("negative", positive) != positive:
        unmapped.append("ComfyUI: the negative prompt's SDXL size conditioning differs from the positive's; not represented")
    changed = {k: list(v) for k, v in positive.items() if v != defaults[k]}
    if changed and family == "sdxl":
        record["params"].update(changed)
    elif changed:
        unmapped.append(f"ComfyUI SDXL size conditioning {changed} on a {family} model: not represented")


def _node_order(node_id: str) -> tuple[int, str]:
    return (int(node_id), node_id) if node_id.isdigit() else (1 << 62, node_id)


def _sampler_settings(graph: Graph, node: str, path: tuple[str, ...], registry: Registry, unmapped: list[str]) -> dict[str, Any]:
    """Seed, steps, cfg, scheduler, prompts, checkpoint, LoRAs and clip skip of one KSampler (Advanced)."""
    what = f"ComfyUI node {node} ({graph.cls(node)})"
    inputs = {k: graph.value(node, k, path) for k in SAMPLER_WIDGETS if k in graph.inputs(node)}
    out: dict[str, Any] = {"steps": get_int(inputs, "steps", what), "cfg": get_float(inputs, "cfg", what, 8.0),
                           "denoise": get_float(inputs, "denoise", what, 1.0)}
    if graph.cls(node) == "KSamplerAdvanced":
        out["seed"] = get_int(inputs, "noise_seed", what)
        start, end = get_int(inputs, "start_at_step", what, 0), get_int(inputs, "end_at_step", what, 10000)
        if start != 0 or end < out["steps"]:
            unmapped.append(f"{what}: steps {start}..{end} of {out['steps']} (a partial schedule); not represented")
        if get_str(inputs, "add_noise", what, "enable") != "enable":
            unmapped.append(f"{what}: add_noise disabled; not represented")
    else:
        out["seed"] = get_int(inputs, "seed", what)
    out["scheduler"] = samplers.kdiffusion(get_str(inputs, "sampler_name", what), get_str(inputs, "scheduler", what, "normal"),
                                           registry, unmapped, TOOL)
    model_path = path + (node,)
    out["checkpoint"], out["loras"], clip_source = _model_chain(graph, graph.link(node, "model", model_path), model_path, unmapped)
    out["micro"] = {}
    out["positive"], skip_p = _text(graph, node, "positive", model_path, unmapped, out["micro"])
    out["negative"], skip_n = _text(graph, node, "negative", model_path, unmapped, out["micro"])
    out["clip_skip"] = skip_p or 0
    if None not in (skip_p, skip_n) and skip_n != skip_p:
        unmapped.append(f"{what}: the positive and negative prompts use different CLIP layers; the positive's recorded")
    return out


def _model_chain(graph: Graph, node: str, path: tuple[str, ...], unmapped: list[str]) -> tuple[str, list[tuple[str, float, float]], str]:
    """(checkpoint name, LoRAs (name, model strength, clip strength) in load order, checkpoint node)."""
    loras: list[tuple[str, float, float]] = []
    while graph.cls(node) not in CHECKPOINT_LOADERS:
        what = f"ComfyUI node {node} ({graph.cls(node)})"
        if graph.cls(node) in LORA_LOADERS:
            inputs = {k: graph.value(node, k, path) for k in ("lora_name", "strength_model", "strength_clip")
                      if k in graph.inputs(node)}
            unet = get_float(inputs, "strength_model", what, 1.0)
            loras.append((get_str(inputs, "lora_name", what), unet, get_float(inputs, "strength_clip", what, unet)))
        else:
            unmapped.append(f"{what} changes the model; not represented")
        if not isinstance(graph.inputs(node).get("model"), list):  # a loader of another kind (UNETLoader, unCLIP, ...)
            name = next((v for k, v in graph.inputs(node).items() if k.endswith("_name") and isinstance(v, str)), "")
            return name, loras[::-1], node
        path += (node,)
        node = graph.link(node, "model", path)
    return get_str(graph.inputs(node), "ckpt_name", f"ComfyUI node {node}", ""), loras[::-1], node


def _text(graph: Graph, sampler: str, name: str, path: tuple[str, ...], unmapped: list[str],
          micro: dict[str, dict[str, tuple[int, int]]]) -> tuple[str | None, int | None]:
    """(prompt text, diffusers clip_skip) of a sampler's conditioning input (clip_skip None: not a text encoder);
    a CLIPTextEncodeSDXL's size conditioning goes into ``micro[name]``."""
    node = graph.link(sampler, name, path)
    path += (node,)
    if graph.cls(node) not in TEXT_ENCODERS:
        unmapped.append(f"ComfyUI {name} conditioning comes from node {node} ({graph.cls(node)}), not a CLIPTextEncode; "
                        "not represented (its text is in the kept graph)")
        return ("" if name == "positive" else None), None
    what = f"ComfyUI node {node} ({graph.cls(node)})"
    if graph.cls(node) == "CLIPTextEncodeSDXL":  # text_g for OpenCLIP bigG, text_l for CLIP L, and the size inputs
        text, text_l = graph.value(node, "text_g", path), graph.value(node, "text_l", path)
        if isinstance(text_l, str) and text_l != text:
            unmapped.append(f"{what}: text_l differs from text_g (a second prompt for the other text encoder); text_g recorded")
        sizes = {v: graph.value(node, v, path) for v in ("width", "height", "crop_w", "crop_h", "target_width", "target_height")
                 if v in graph.inputs(node)}
        micro[name] = {param: (get_int(sizes, a, what, 0), get_int(sizes, b, what, 0)) for param, (a, b) in SDXL_SIZES.items()}
    else:
        text = graph.value(node, "text", path)
    if not isinstance(text, str):
        raise fail(f"{what}: the prompt must be text")
    clip_skip = 0
    clip = graph.link(node, "clip", path)
    while graph.cls(clip) not in CHECKPOINT_LOADERS:
        path += (clip,)
        if graph.cls(clip) == "CLIPSetLastLayer":
            layer = get_int(graph.inputs(clip), "stop_at_clip_layer", f"ComfyUI node {clip}", -1)
            clip_skip = max(0, -layer - 1)  # ComfyUI's -2 is A1111's "Clip skip 2" is diffusers' clip_skip 1
        elif graph.cls(clip) not in LORA_LOADERS:
            unmapped.append(f"ComfyUI node {clip} ({graph.cls(clip)}) changes the text encoder; not represented")
        if not isinstance(graph.inputs(clip).get("clip"), list):
            break
        clip = graph.link(clip, "clip", path)
    return text, clip_skip


def _latent_resize(graph: Graph, upscale: str, width: int, height: int, unmapped: list[str]) -> tuple[str, int, int]:
    """(registry upscaler, width, height) of a LatentUpscale(By) node."""
    what = f"ComfyUI node {upscale} ({graph.cls(upscale)})"
    inputs = graph.inputs(upscale)
    if graph.cls(upscale) == "LatentUpscale":
        width, height = get_int(inputs, "width", what), get_int(inputs, "height", what)
    else:
        scale = get_float(inputs, "scale_by", what)
        width, height = round(width // 8 * scale) * 8, round(height // 8 * scale) * 8
    method = get_str(inputs, "upscale_method", what, "nearest-exact")
    if method not in LATENT_UPSCALERS:
        unmapped.append(f"{what}: latent upscale method {method} has no registry upscaler; Latent (nearest-exact) recorded")
    if get_str(inputs, "crop", what, "disabled") != "disabled":
        unmapped.append(f"{what}: crop {inputs.get('crop')}; not represented")
    return LATENT_UPSCALERS.get(method, "Latent (nearest-exact)"), width, height


IMAGE_RESIZERS = ("ImageScale", "ImageScaleBy")  # comfy_extras / nodes.py: resize a decoded image
MODEL_UPSCALERS = ("ImageUpscaleWithModel",)  # an upscaling network (UpscaleModelLoader: ESRGAN, ...)


def _pixel_hires(graph: Graph, encode: str, path: tuple[str, ...]) -> list[str] | None:
    """[VAEEncode, image nodes from the encoder back..., VAEDecode, the previous KSampler] when a sampler's latent is
    the VAE encoding of a resized decode of another KSampler's output; None for any other latent (image-to-image)."""
    if graph.cls(encode) != "VAEEncode" or not isinstance(graph.inputs(encode).get("pixels"), list):
        return None
    chain = [encode]
    node = graph.link(encode, "pixels", path + (encode,))
    while graph.cls(node) in IMAGE_RESIZERS + MODEL_UPSCALERS and len(chain) < 8:
        chain.append(node)
        node = graph.link(node, "image", path + tuple(chain))
    if graph.cls(node) not in DECODERS or len(chain) == 1 or not isinstance(graph.inputs(node).get("samples"), list):
        return None
    chain.append(node)
    previous = graph.link(node, "samples", path + tuple(chain))
    return chain + [previous] if graph.cls(previous) in SAMPLERS else None


def _pixel_resize(graph: Graph, nodes: list[str], width: int, height: int, unmapped: list[str]) -> tuple[str, int, int]:
    """(registry upscaler, width, height) of image nodes between VAEDecode and VAEEncode (``nodes``: from the encoder
    back). A single Lanczos ImageScale(By) without crop is the registry "Lanczos" stage exactly when it is one Pillow
    LANCZOS resize of the 8-bit decode (comfy.utils.lanczos truncates to uint8 as A1111 does) to a size the stage's
    resize reaches in one step: a multiple of 8 that int(side * scale) gives on both sides. (ComfyUI's VAEEncode,
    like A1111's, samples the latent distribution with an unseeded generator; the stage takes its mean for both.) Anything else (torch
    interpolation of float pixels, an upscaling network, several resizes) has no stage semantics: reported, and the
    sizes still recorded."""
    reason = None
    for node in reversed(nodes):  # in pixel order: from the decoder on
        what = f"ComfyUI node {node} ({graph.cls(node)})"
        inputs = graph.inputs(node)
        if graph.cls(node) in MODEL_UPSCALERS:
            model = inputs.get("upscale_model")
            name = graph.inputs(str(model[0])).get("model_name", "?") if isinstance(model, list) and str(model[0]) in graph.nodes else "?"
            reason = reason or f"{what}: upscaling network {str(name)[:100]} (ComfyUI's tiling, no weights in the registry)"
            width, height = width * 4, height * 4  # the common 4x models; ImageScale after it sets the final size
            continue
        method = get_str(inputs, "upscale_method", what, "nearest-exact")
        if graph.cls(node) == "ImageScale":
            new_w, new_h = get_int(inputs, "width", what), get_int(inputs, "height", what)
            if get_str(inputs, "crop", what, "disabled") != "disabled":
                reason = reason or f"{what}: crop {inputs.get('crop')}"
        else:
            scale = get_float(inputs, "scale_by", what)
            new_w, new_h = round(width * scale), round(height * scale)
        if method != "lanczos":
            reason = reason or f"{what}: {method} resize of float pixels (torch interpolate; no stage upscaler does it)"
        exact = max(new_w / width, new_h / height)
        if (int(width * exact), int(height * exact)) != (new_w, new_h) or new_w % 8 or new_h % 8:
            reason = reason or f"{what}: a lanczos resize to {new_w}x{new_h} that the Lanczos stage would reach in several steps"
        width, height = new_w, new_h
    if len(nodes) > 1:
        reason = reason or f"ComfyUI: {len(nodes)} image nodes between VAEDecode and VAEEncode"
    if reason:
        unmapped.append(f"{reason}; hires fix in pixel space recorded with the Lanczos upscaler, not exact")
    return "Lanczos", width // 8 * 8, height // 8 * 8


def _latent(graph: Graph, node: str, path: tuple[str, ...], unmapped: list[str], size: tuple[int, int]) -> tuple[int, int, int]:
    """(width, height, batch size) of the first sampler's latent; the image's size when it is not an empty latent."""
    what = f"ComfyUI node {node} ({graph.cls(node)})"
    if graph.cls(node) not in EMPTY_LATENTS:
        unmapped.append(f"{what}: the sampler starts from this latent, not an empty one (image-to-image or a composite); "
                        "not represented, the image's size recorded")
        return size[0], size[1], 1
    inputs = {k: graph.value(node, k, path + (node,)) for k in ("width", "height", "batch_size") if k in graph.inputs(node)}
    return get_int(inputs, "width", what), get_int(inputs, "height", what), get_int(inputs, "batch_size", what, 1)


def _stages(graph: Graph, stages: list[tuple[str, dict[str, Any]]], first: dict[str, Any], path: tuple[str, ...],
            width: int, height: int, record: dict[str, Any], registry: Registry, unmapped: list[str]) -> dict[str, Any]:
    """The hires-fix stages (type 6) of KSamplers on LatentUpscale(By) of the previous pass."""
    out = []
    for sampler, link in stages:
        settings = _sampler_settings(graph, sampler, path, registry, unmapped)
        if "pixels" in link:
            upscaler, width, height = _pixel_resize(graph, link["pixels"], width, height, unmapped)
        else:
            upscaler, width, height = _latent_resize(graph, link["upscale"], width, height, unmapped)
        for key in ("seed", "cfg", "positive", "negative", "checkpoint", "loras", "clip_skip"):
            if settings[key] != first[key]:
                unmapped.append(f"ComfyUI node {sampler}: the second pass's {key} differs from the first's; the first's recorded")
        if settings["scheduler"][1] != first["scheduler"][1]:  # a stage runs with the record's scheduler_config group
            unmapped.append(f"ComfyUI node {sampler}: the second pass's scheduler config {settings['scheduler'][1]} differs "
                            f"from the first pass's {first['scheduler'][1]}; the first's applies to both")
        # ComfyUI runs `steps` steps of an int(steps / denoise) schedule (comfy/samplers.py KSampler.set_steps): the
        # stage's steps and A1111's schedule (stages.py schedule_length) exactly
        out.append({"kind": "hires_fix", "upscaler": upscaler, "height": height, "width": width, "steps": settings["steps"],
                    "denoising_strength": settings["denoise"], "scheduler": settings["scheduler"][0]})
    base_width, base_height = record["width"], record["height"]
    record["width"], record["height"] = width, height
    return {"type": 6, "base_height": base_height, "base_width": base_width, "stages": out}
