"""Trains diffuse-image-64's UNet2DConditionModel on VAE latents (16x16x4) of procedural
scenes, conditioned on all-MiniLM-L6-v2 per-token embeddings, and writes the whole
StableDiffusionPipeline-layout folder Models/diffuse-image-64/.

Needs the VAE from train_vae.py (Models/diffuse-image-64/vae) and the data from data_image.py.
v prediction on a cosine schedule, min-SNR-5 loss weights, 10% caption dropout to "" (the
unconditional embedding for CFG), EMA weights saved.

    nice -n 10 python Models/recipes/train_image.py --steps N --decay-at M --seed 0  (N, M from the model card)
"""
import argparse
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F
from diffusers import AutoencoderKL, DDPMScheduler, UNet2DConditionModel

import common

FOLDER = os.path.join(common.MODELS, "diffuse-image-64")
GUIDANCE = 2.5  # the default guidance scale: best held-out adherence of 2.5, 3.5, 5 (model card)


def unet_config():
    return dict(
        sample_size=16, in_channels=4, out_channels=4,
        down_block_types=["DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"],
        up_block_types=["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"],
        block_out_channels=[32, 64, 96],
        layers_per_block=1,
        cross_attention_dim=common.TEXT_DIM,
        attention_head_dim=8,
        norm_num_groups=16,
    )


@torch.no_grad()
def encode_latents(vae, images, batch=256):
    out = []
    for i in range(0, len(images), batch):
        x = torch.from_numpy(images[i:i + batch]).permute(0, 3, 1, 2).float() / 127.5 - 1.0
        out.append(vae.encode(x).latent_dist.mean * vae.config.scaling_factor)
    return torch.cat(out)  # [N, 4, 16, 16]


def load_vae(folder):
    return AutoencoderKL.from_pretrained(folder, torch_dtype=torch.float32).eval()


def prepare(args, log):
    """Latents and caption embeddings, cached under the work folder."""
    cache = os.path.join(args.work, f"data_{args.images}.pt")
    if os.path.exists(cache):
        return torch.load(cache)
    data = np.load(os.path.join(args.data, "images.npz"))
    images, caps = data["images"][:args.images], [str(c) for c in data["captions"][:args.images]]
    vae = load_vae(os.path.join(FOLDER, "vae"))
    latents = encode_latents(vae, images)
    log(f"latents {tuple(latents.shape)} std {float(latents.std()):.3f}")
    te = common.TextEncoder()
    unique = sorted(set(caps)) + [""]
    emb = te.encode(unique)  # [U, 32, 384]
    index = {c: i for i, c in enumerate(unique)}
    ids = torch.tensor([index[c] for c in caps])
    log(f"captions {len(unique) - 1} distinct")
    out = dict(latents=latents, emb=emb, ids=ids, empty=len(unique) - 1)
    torch.save(out, cache)
    return out


def ema_update(ema, model, decay):
    with torch.no_grad():
        for pe, pm in zip(ema.parameters(), model.parameters()):
            pe.mul_(decay).add_(pm.detach(), alpha=1 - decay)


def sample_timesteps(b, sched, gen, high_noise=0.0, high_from=0.6):
    """[b] training timesteps: uniform, except that a `high_noise` fraction draws t from the
    noisiest part of the schedule (t from `high_from` of it), where what the prompt asks for (e.g.
    a direction of motion) is decided."""
    n = sched.config.num_train_timesteps
    t = torch.randint(0, n, (b,), generator=gen)
    if high_noise:
        high = torch.rand(b, generator=gen) < high_noise
        t = torch.where(high, torch.randint(int(high_from * n), n, (b,), generator=gen), t)
    return t


def diffusion_loss(unet, latents, cond, sched, gen, weighting="min-snr-5", high_noise=0.0, high_from=0.6,
                   t=None, noise=None, element_weight=None):
    """v-prediction loss; `latents` [B, ...], `cond` [B, 32, 384]. `weighting` "min-snr-5" (weights
    min(SNR, 5) / (SNR + 1), which all but silence the noisiest steps) or "uniform" (plain v-MSE);
    timesteps from `sample_timesteps` and fresh noise unless `t` and `noise` are given.
    `element_weight` (broadcastable to `latents`, mean 1 per sample) weights the squared error of
    each latent element; the second value returned is always the plain v-MSE."""
    b = latents.shape[0]
    if t is None:
        t = sample_timesteps(b, sched, gen, high_noise, high_from)
    if noise is None:
        noise = torch.randn(latents.shape, generator=gen)
    noisy = sched.add_noise(latents, noise, t)
    target = sched.get_velocity(latents, noise, t)
    pred = unet(noisy, t, encoder_hidden_states=cond).sample
    abar = sched.alphas_cumprod[t]
    snr = abar / (1 - abar)
    weight = torch.clamp(snr, max=5.0) / (snr + 1) if weighting == "min-snr-5" else torch.ones_like(snr)
    squared = F.mse_loss(pred, target, reduction="none")
    per = squared.flatten(1).mean(1)
    fitted = per if element_weight is None else (squared * element_weight).flatten(1).mean(1)
    return (fitted * weight).mean(), float(per.detach().mean())


def write_pipeline_files(folder, pipeline_class, unet_class, guidance=None):
    """model_index.json (with `default_guidance_scale` when `guidance` is given: the scale the
    model card measured best, which `diffuse` uses when no --guidance is given), scheduler
    config and the text_encoder/tokenizer symlinks."""
    common.write_json(os.path.join(folder, "model_index.json"), {
        "_class_name": pipeline_class,
        "_diffusers_version": __import__("diffusers").__version__,
        **({"feature_extractor": [None, None], "image_encoder": [None, None], "requires_safety_checker": False,
            "safety_checker": [None, None]} if pipeline_class == "StableDiffusionPipeline" else {}),
        **({"feature_extractor": [None, None], "image_encoder": [None, None], "motion_adapter": [None, None]}
           if pipeline_class == "AnimateDiffPipeline" else {}),
        "scheduler": ["diffusers", "DPMSolverMultistepScheduler"],
        "text_encoder": ["transformers", "BertModel"],
        "tokenizer": ["transformers", "BertTokenizerFast"],
        "unet": ["diffusers", unet_class],
        "vae": ["diffusers", "AutoencoderKL"],
        "text_max_length": common.MAX_TOKENS,
        **({"default_guidance_scale": guidance} if guidance else {}),
    })
    common.make_scheduler().save_pretrained(os.path.join(folder, "scheduler"))
    # diffusers writes lambda_min_clipped = -inf as the non-JSON token -Infinity; drop such keys
    # (absent means the same default) so strict JSON readers accept the file
    path = os.path.join(folder, "scheduler", "scheduler_config.json")
    with open(path) as f:
        config = json.load(f)
    common.write_json(path, {k: v for k, v in config.items() if not (isinstance(v, float) and not math.isfinite(v))})
    for name in ("text_encoder", "tokenizer"):
        link = os.path.join(folder, name)
        if os.path.islink(link) or not os.path.exists(link):
            if os.path.islink(link):
                os.remove(link)
            os.symlink(os.path.join("..", "text-encoders", "all-MiniLM-L6-v2"), link)


def continue_from(path, unet, ema, log):
    """Loads a run's checkpoint (weights, EMA) to continue it and returns its step; AdamW's
    moments restart (e.g. the low-learning-rate end of a run that a time cap stopped early)."""
    state = torch.load(path)
    unet.load_state_dict(state["unet"])
    ema.load_state_dict(state["ema"])
    log(f"continuing {path} from step {state['step']}")
    return state["step"]


def export_checkpoint(ckpt, out, unet_class=UNet2DConditionModel, config=None):
    """Writes a training checkpoint's EMA weights as `out`/unet (fp16), e.g. to evaluate or to
    ship a run that was stopped early."""
    state = torch.load(ckpt)
    unet = unet_class(**(config or unet_config()))
    unet.load_state_dict(state["ema"])
    common.save_fp16(unet, os.path.join(out, "unet"))
    return state["step"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--minutes", type=float, default=0, help="wall-time cap (0: none); the log names the steps reached")
    p.add_argument("--decay-at", type=int, default=0, help="step of the 10x lr drop (0: at 75%% of --minutes or --steps)")
    p.add_argument("--images", type=int, default=16000)
    p.add_argument("--ema", type=float, default=0.995)
    p.add_argument("--snapshot", type=int, default=200, help="also keep the checkpoint of this step (video warm start)")
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data", default=common.DATA)
    p.add_argument("--work", default=os.path.join(common.DATA, "image"))
    p.add_argument("--out", default=FOLDER)
    p.add_argument("--init", default="", help="a checkpoint (ckpt.pt) to continue from")
    p.add_argument("--guidance", type=float, default=GUIDANCE, help="default_guidance_scale written to model_index.json")
    p.add_argument("--rewarm", action="store_true", help="with --init: warm the learning rate up again over 100 steps")
    p.add_argument("--export", default="", help="only write this checkpoint's EMA UNet into --out")
    a = p.parse_args()
    common.set_threads(a.threads)
    if a.export:
        step = export_checkpoint(a.export, a.out)
        write_pipeline_files(a.out, "StableDiffusionPipeline", "UNet2DConditionModel", a.guidance)
        print(f"exported step {step} to {a.out}")
        return
    common.seed_all(a.seed)
    os.makedirs(a.work, exist_ok=True)
    log = common.Log(os.path.join(a.work, "train.log"))
    d = prepare(a, log)
    latents, emb, ids, empty = d["latents"], d["emb"], d["ids"], d["empty"]

    unet = UNet2DConditionModel(**unet_config())
    ema = UNet2DConditionModel(**unet_config())
    ema.load_state_dict(unet.state_dict())
    ema.requires_grad_(False)
    params = sum(p.numel() for p in unet.parameters())
    log(f"unet parameters {params:,}")
    sched = DDPMScheduler(**{k: v for k, v in common.scheduler_config().items()
                             if k in ("num_train_timesteps", "beta_schedule", "beta_start", "beta_end",
                                      "prediction_type")})
    opt = torch.optim.AdamW(unet.parameters(), lr=a.lr, weight_decay=1e-2)
    gen = torch.Generator().manual_seed(a.seed)
    losses = []
    step = 0
    if a.init:
        step = continue_from(a.init, unet, ema, log)
        gen.manual_seed(a.seed + step)
    clock = common.StepClock(a.steps, a.minutes, a.decay_at, log, start=step if a.rewarm else 0)
    while clock.more(step):
        step += 1
        for g in opt.param_groups:
            g["lr"] = a.lr * clock.lr_factor(step)
        idx = torch.randint(0, len(latents), (a.batch,), generator=gen)
        cap = ids[idx].clone()
        cap[torch.rand(a.batch, generator=gen) < a.dropout] = empty
        loss, raw = diffusion_loss(unet, latents[idx], emb[cap], sched, gen)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
        opt.step()
        ema_update(ema, unet, min(a.ema, (1 + step) / (10 + step)))
        losses.append((step, raw))
        if step % 50 == 0 or step == 1:
            log(f"step {step}/{a.steps} loss {np.mean([l for _, l in losses[-50:]]):.4f} lr {opt.param_groups[0]['lr']:.2e}")
        if step % 200 == 0 or step == a.snapshot:
            state = dict(unet=unet.state_dict(), ema=ema.state_dict(), step=step)
            torch.save(state, os.path.join(a.work, "ckpt.pt.tmp"))
            os.replace(os.path.join(a.work, "ckpt.pt.tmp"), os.path.join(a.work, "ckpt.pt"))
            if step == a.snapshot:  # the video UNet's warm start (train_video.py --init)
                torch.save(state, os.path.join(a.work, f"ckpt_step{step}.pt.tmp"))
                os.replace(os.path.join(a.work, f"ckpt_step{step}.pt.tmp"), os.path.join(a.work, f"ckpt_step{step}.pt"))

    common.save_fp16(ema, os.path.join(a.out, "unet"))
    write_pipeline_files(a.out, "StableDiffusionPipeline", "UNet2DConditionModel", a.guidance)
    common.plot_losses(os.path.join(a.out, "loss.png"), [("v-prediction MSE (mean of 50 steps)", common.smooth(losses), (40, 60, 200))],
                       "diffuse-image-64 UNet")
    common.write_json(os.path.join(a.work, "summary.json"),
                      dict(steps=step, decay_at=clock.decay_at, batch=a.batch, lr=a.lr, seed=a.seed, images=len(latents),
                           wall_seconds=log.elapsed(), parameters=params,
                           final_loss=float(np.mean([l for _, l in losses[-200:]]))))
    log("saved", a.out)


if __name__ == "__main__":
    main()
