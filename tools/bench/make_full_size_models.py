"""Writes full-size model folders with random weights for the model-level benchmark
(`swift run -c release diffuse-bench --models .cache/fullsize`, tools/bench/bench_models_torch.py).

Usage (from the repository root):
    /work/venv/torch/bin/python tools/bench/make_full_size_models.py [--out .cache/fullsize]
        [--seed 0] [--fp16] [--only sd15,audioldm,unet3d]

Nothing is downloaded: every network is built from the configs below with the pinned
diffusers / transformers (tools/fixtures/requirements.txt), its weights drawn by the
libraries' own initialisers after torch.manual_seed(seed), and saved with
save_pretrained(safe_serialization=True). The output folder is git-ignored (`.cache/`); the
weights (≈ 11 GB in all) must never be committed.

<out>/sd15/      a StableDiffusionPipeline folder with the architecture of
                 runwayml/stable-diffusion-v1-5 (unet/config.json, vae/config.json,
                 text_encoder/config.json of that repository, i.e. openai/clip-vit-large-patch14's
                 text tower), tokenizer/ with the real CLIP BPE vocabulary (built from the merges
                 committed in Tests/Fixtures/tokenizers/clip, as transformers converts OpenAI's
                 bpe_simple_vocab_16e6.txt), scheduler/ as in that repository (PNDM betas).
                 With --fp16, every component also gets the `fp16` variant
                 (diffusion_pytorch_model.fp16.safetensors, model.fp16.safetensors): the same
                 weights rounded to float16, as published SD repositories carry them.
<out>/audioldm-s-full-v2-unet/
                 UNet2DConditionModel with cvssp/audioldm-s-full-v2's unet config (block_out_channels
                 128/256/384/640, class_embed_type "simple_projection" over the 512-wide CLAP
                 embedding, class_embeddings_concat, cross_attention_dim = block_out_channels, as
                 scripts/convert_original_audioldm_to_diffusers.py writes it from the original
                 model_channels 128, channel_mult [1, 2, 3, 5], attention_resolutions [8, 4, 2]).
<out>/text-to-video-ms-1.7b-unet/
                 UNet3DConditionModel with damo-vilab/text-to-video-ms-1.7b's unet config.
"""
import argparse
import json
import pathlib
import shutil
import sys

import torch

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent

# runwayml/stable-diffusion-v1-5, unet/config.json (diffusers 0.6 keys; the rest are defaults).
SD15_UNET = dict(
    sample_size=64, in_channels=4, out_channels=4, center_input_sample=False, flip_sin_to_cos=True, freq_shift=0,
    down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    block_out_channels=(320, 640, 1280, 1280), layers_per_block=2, downsample_padding=1, mid_block_scale_factor=1,
    act_fn="silu", norm_num_groups=32, norm_eps=1e-5, cross_attention_dim=768, attention_head_dim=8,
)

# runwayml/stable-diffusion-v1-5, vae/config.json.
SD15_VAE = dict(
    sample_size=512, in_channels=3, out_channels=3, latent_channels=4, layers_per_block=2, act_fn="silu",
    norm_num_groups=32, block_out_channels=(128, 256, 512, 512),
    down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4, scaling_factor=0.18215,
)

# runwayml/stable-diffusion-v1-5, text_encoder/config.json (openai/clip-vit-large-patch14's text model).
SD15_TEXT = dict(
    vocab_size=49408, hidden_size=768, intermediate_size=3072, projection_dim=768, num_hidden_layers=12,
    num_attention_heads=12, max_position_embeddings=77, hidden_act="quick_gelu", layer_norm_eps=1e-5,
    attention_dropout=0.0, dropout=0.0, initializer_range=0.02, initializer_factor=1.0,
    bos_token_id=0, eos_token_id=2, pad_token_id=1,
)

# runwayml/stable-diffusion-v1-5, scheduler/scheduler_config.json.
SD15_SCHEDULER = dict(
    beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", num_train_timesteps=1000,
    set_alpha_to_one=False, skip_prk_steps=True, steps_offset=1, trained_betas=None,
)

# cvssp/audioldm-s-full-v2, unet/config.json.
AUDIOLDM_S_UNET = dict(
    sample_size=128, in_channels=8, out_channels=8,
    down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
    up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
    block_out_channels=(128, 256, 384, 640), layers_per_block=2, cross_attention_dim=(128, 256, 384, 640),
    attention_head_dim=8, class_embed_type="simple_projection", projection_class_embeddings_input_dim=512,
    class_embeddings_concat=True, act_fn="silu", norm_num_groups=32, norm_eps=1e-5, flip_sin_to_cos=True, freq_shift=0,
)

# damo-vilab/text-to-video-ms-1.7b, unet/config.json.
T2V_MS_UNET3D = dict(
    sample_size=32, in_channels=4, out_channels=4,
    down_block_types=("CrossAttnDownBlock3D", "CrossAttnDownBlock3D", "CrossAttnDownBlock3D", "DownBlock3D"),
    up_block_types=("UpBlock3D", "CrossAttnUpBlock3D", "CrossAttnUpBlock3D", "CrossAttnUpBlock3D"),
    block_out_channels=(320, 640, 1280, 1280), layers_per_block=2, downsample_padding=1, mid_block_scale_factor=1,
    act_fn="silu", norm_num_groups=32, norm_eps=1e-5, cross_attention_dim=1024, attention_head_dim=64,
)


def bytes_to_unicode():
    """GPT-2's byte → printable character table (as in transformers' CLIP tokenizer)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def write_tokenizer(folder):
    """The real CLIP BPE (49,408 tokens): vocab.json rebuilt from the committed merges.txt."""
    source = ROOT / "Tests" / "Fixtures" / "tokenizers" / "clip"
    lines = (source / "merges.txt").read_text(encoding="utf-8").split("\n")
    merges = [m for m in lines[1:] if m]
    units = bytes_to_unicode()
    vocab = units + [u + "</w>" for u in units] + ["".join(m.split()) for m in merges]
    vocab += ["<|startoftext|>", "<|endoftext|>"]
    assert len(vocab) == SD15_TEXT["vocab_size"], len(vocab)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps({v: i for i, v in enumerate(vocab)}, ensure_ascii=False), encoding="utf-8")
    shutil.copy(source / "merges.txt", folder / "merges.txt")
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(source / name, folder / name)


def save(model, folder, fp16):
    """save_pretrained in float32 and, with fp16, the `fp16` variant of the same weights."""
    model.save_pretrained(str(folder), safe_serialization=True)
    if fp16:
        model.to(torch.float16).save_pretrained(str(folder), safe_serialization=True, variant="fp16")
        model.to(torch.float32)


def count(model):
    return sum(p.numel() for p in model.parameters())


def make_sd15(out, seed, fp16):
    from diffusers import AutoencoderKL, PNDMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    folder = out / "sd15"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    torch.manual_seed(seed)
    unet = UNet2DConditionModel(**SD15_UNET)
    save(unet, folder / "unet", fp16)
    print(f"sd15/unet: {count(unet):,} parameters", flush=True)
    del unet
    torch.manual_seed(seed + 1)
    vae = AutoencoderKL(**SD15_VAE)
    save(vae, folder / "vae", fp16)
    print(f"sd15/vae: {count(vae):,} parameters", flush=True)
    del vae
    torch.manual_seed(seed + 2)
    text = CLIPTextModel(CLIPTextConfig(**SD15_TEXT))
    save(text, folder / "text_encoder", fp16)
    print(f"sd15/text_encoder: {count(text):,} parameters", flush=True)
    del text
    write_tokenizer(folder / "tokenizer")
    PNDMScheduler(**SD15_SCHEDULER).save_pretrained(str(folder / "scheduler"))
    index = {
        "_class_name": "StableDiffusionPipeline", "_diffusers_version": "0.42.1",
        "feature_extractor": [None, None], "requires_safety_checker": False, "safety_checker": [None, None],
        "image_encoder": [None, None],
        "scheduler": ["diffusers", "PNDMScheduler"], "text_encoder": ["transformers", "CLIPTextModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "UNet2DConditionModel"],
        "vae": ["diffusers", "AutoencoderKL"],
    }
    (folder / "model_index.json").write_text(json.dumps(index, indent=2) + "\n")


def make_audioldm(out, seed, fp16):
    from diffusers import UNet2DConditionModel

    folder = out / "audioldm-s-full-v2-unet"
    shutil.rmtree(folder, ignore_errors=True)
    torch.manual_seed(seed + 3)
    unet = UNet2DConditionModel(**AUDIOLDM_S_UNET)
    save(unet, folder, fp16)
    print(f"audioldm-s-full-v2-unet: {count(unet):,} parameters", flush=True)


def make_unet3d(out, seed, fp16):
    from diffusers import UNet3DConditionModel

    folder = out / "text-to-video-ms-1.7b-unet"
    shutil.rmtree(folder, ignore_errors=True)
    torch.manual_seed(seed + 4)
    unet = UNet3DConditionModel(**T2V_MS_UNET3D)
    save(unet, folder, fp16)
    print(f"text-to-video-ms-1.7b-unet: {count(unet):,} parameters", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(ROOT / ".cache" / "fullsize"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fp16", action="store_true", help="also write the fp16 variant of every component")
    parser.add_argument("--only", default="sd15,audioldm,unet3d")
    args = parser.parse_args()
    out = pathlib.Path(args.out).resolve()
    if ROOT in out.parents and ROOT / ".cache" not in [out, *out.parents]:
        sys.exit(f"make_full_size_models.py: {out} is inside the repository but not under .cache/ (git-ignored); refusing")
    torch.set_num_threads(2)
    makers = {"sd15": make_sd15, "audioldm": make_audioldm, "unet3d": make_unet3d}
    for name in args.only.split(","):
        if name not in makers:
            sys.exit(f"make_full_size_models.py: unknown model {name!r} (known: {', '.join(makers)})")
        with torch.no_grad():
            makers[name](out, args.seed, args.fp16)


if __name__ == "__main__":
    main()
