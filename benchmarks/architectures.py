"""Random-weight pipelines with the real SD 1.5 and SDXL architectures, for GPU timings.

A diffusion model's cost is set by its architecture, not its weights, so a model
built from the real configs with random weights times like the real one; no
weights need downloading. The configs are those of the released
stable-diffusion-v1-5 and stable-diffusion-xl-base-1.0 pipelines (unet, vae,
text encoders). The tokenizer is the shipped tiny model's (token ids only; its
cost is nil).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from aigif_ref.registry import REPO_ROOT

_VAE = dict(in_channels=3, out_channels=3, latent_channels=4, layers_per_block=2, block_out_channels=[128, 256, 512, 512],
            down_block_types=["DownEncoderBlock2D"] * 4, up_block_types=["UpDecoderBlock2D"] * 4, norm_num_groups=32)
_CLIP_L = dict(vocab_size=49408, hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
               max_position_embeddings=77, hidden_act="quick_gelu", projection_dim=768)
_CLIP_BIGG = dict(vocab_size=49408, hidden_size=1280, intermediate_size=5120, num_hidden_layers=32,
                  num_attention_heads=20, max_position_embeddings=77, hidden_act="gelu", projection_dim=1280)

ARCHITECTURES: dict[str, dict[str, Any]] = {
    "sd15": {
        "family": "sd1",
        "pipeline": "StableDiffusionPipeline",
        "unet": dict(sample_size=64, in_channels=4, out_channels=4, layers_per_block=2,
                     block_out_channels=[320, 640, 1280, 1280], cross_attention_dim=768, attention_head_dim=8,
                     down_block_types=["CrossAttnDownBlock2D"] * 3 + ["DownBlock2D"],
                     up_block_types=["UpBlock2D"] + ["CrossAttnUpBlock2D"] * 3),
        "vae": dict(_VAE, sample_size=512, scaling_factor=0.18215),
        "text_encoders": [_CLIP_L],
    },
    "sdxl": {
        "family": "sdxl",
        "pipeline": "StableDiffusionXLPipeline",
        "unet": dict(sample_size=128, in_channels=4, out_channels=4, layers_per_block=2,
                     block_out_channels=[320, 640, 1280], cross_attention_dim=2048, attention_head_dim=[5, 10, 20],
                     transformer_layers_per_block=[1, 2, 10], use_linear_projection=True,
                     addition_embed_type="text_time", addition_time_embed_dim=256,
                     projection_class_embeddings_input_dim=2816,
                     down_block_types=["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
                     up_block_types=["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"]),
        "vae": dict(_VAE, sample_size=1024, scaling_factor=0.13025, force_upcast=True),
        "text_encoders": [_CLIP_L, _CLIP_BIGG],
    },
}


def build_pipeline(name: str, dtype, device: str = "cuda"):
    """The pipeline of architecture `name` with random weights, on `device` in `dtype`."""
    import torch
    import diffusers
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

    arch = ARCHITECTURES[name]
    tiny = REPO_ROOT / "vectors" / "models" / ("aigif-tiny-sd15" if name == "sd15" else "aigif-tiny-sdxl")
    torch.manual_seed(0)
    with torch.device(device):
        unet = diffusers.UNet2DConditionModel(**arch["unet"]).to(dtype)
        vae = diffusers.AutoencoderKL(**arch["vae"]).to(dtype)
        encoders = [CLIPTextModel(CLIPTextConfig(**arch["text_encoders"][0])).to(dtype)]
        if len(arch["text_encoders"]) > 1:
            encoders.append(CLIPTextModelWithProjection(CLIPTextConfig(**arch["text_encoders"][1])).to(dtype))
    scheduler = diffusers.DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                                        clip_sample=False, set_alpha_to_one=False, steps_offset=1)
    tokenizer = CLIPTokenizer.from_pretrained(tiny / "tokenizer", local_files_only=True)
    parts: dict[str, Any] = dict(unet=unet, vae=vae, scheduler=scheduler, text_encoder=encoders[0], tokenizer=tokenizer)
    if name == "sdxl":
        parts.update(text_encoder_2=encoders[1], tokenizer_2=CLIPTokenizer.from_pretrained(tiny / "tokenizer_2", local_files_only=True))
        return diffusers.StableDiffusionXLPipeline(**parts, add_watermarker=False)
    return diffusers.StableDiffusionPipeline(**parts, safety_checker=None, feature_extractor=None,
                                             requires_safety_checker=False)


def save(pipe, folder: Path) -> None:
    pipe.save_pretrained(folder, safe_serialization=True)
