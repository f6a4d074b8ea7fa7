"""Trains diffuse-audio-16k: a UNet2DConditionModel on [1, 64, 256] normalised log-mel
spectrograms (data_audio.py), conditioned on all-MiniLM-L6-v2 per-token embeddings
[32, 384] (common.TextEncoder), v prediction on the squared-cosine schedule with min-SNR-5
weighting, 10% caption dropout to "" for classifier-free guidance, EMA weights.
Reproducible from --seed (same data, same steps, same thread count).

    nice -n 10 python train_audio.py --data /work/data/audio/set0 --steps 1500 --seed 0 \
        --out /work/data/audio/run0
    python train_audio.py --export /work/data/audio/run0/ema.pt   # writes Models/diffuse-audio-16k
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import common  # noqa: E402
import data_audio_mel as M  # noqa: E402

MODEL_DIR = os.path.join(common.MODELS, "diffuse-audio-16k")


def text_embeddings(data, meta):
    """{caption: [32, 384]} for every training caption and "", cached next to the data."""
    path = os.path.join(data, "text_emb.pt")
    captions = sorted(set(m["caption"] for m in meta) | {""})
    if os.path.exists(path):
        cache = torch.load(path)
        if set(cache["captions"]) == set(captions):
            return cache["captions"], cache["emb"]
    enc = common.TextEncoder(cache=None)
    emb = enc.encode(captions)                                        # [C, 32, 384]
    torch.save({"captions": captions, "emb": emb}, path)
    return captions, emb


def make_unet():
    from diffusers import UNet2DConditionModel
    return UNet2DConditionModel(**M.unet_config())


def noise_schedule():
    from diffusers import DDPMScheduler
    cfg = common.scheduler_config()
    return DDPMScheduler(num_train_timesteps=cfg["num_train_timesteps"], beta_schedule=cfg["beta_schedule"],
                         prediction_type=cfg["prediction_type"])


def train(args):
    common.seed_all(args.seed)
    common.set_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    log = common.Log(os.path.join(args.out, "train.log"))
    d = np.load(os.path.join(args.data, "clips.npz"))
    mel = torch.from_numpy(d["mel"].astype(np.float32))[:, None]      # [N, 1, 64, 256]
    meta = json.load(open(os.path.join(args.data, "meta.json")))
    captions, emb = text_embeddings(args.data, meta)
    index = {c: i for i, c in enumerate(captions)}
    cap_idx = torch.tensor([index[m["caption"]] for m in meta])
    empty = index[""]
    log(f"data {tuple(mel.shape)}, {len(captions)} captions; args {vars(args)}")

    unet = make_unet()
    ema = make_unet()
    ema.load_state_dict(unet.state_dict())
    ema.requires_grad_(False)
    n_params = sum(p.numel() for p in unet.parameters())
    log(f"unet {n_params / 1e6:.3f} M parameters")
    sched = noise_schedule()
    alphas = sched.alphas_cumprod                                     # [1000]
    snr = alphas / (1 - alphas)
    opt = torch.optim.AdamW(unet.parameters(), lr=args.lr, weight_decay=0.01)
    g = torch.Generator().manual_seed(args.seed)
    losses = []
    t0 = time.time()
    first = 1
    if args.resume:
        # Continues a stopped run: weights, EMA, step and loss history (AdamW's moments restart,
        # under a fresh warm-up); the cosine schedule goes on from the step reached.
        ck = torch.load(args.resume)
        unet.load_state_dict(ck["unet"])
        ema.load_state_dict(ck["ema"])
        first = ck["step"] + 1
        t0 -= ck["seconds"]
        g.manual_seed(args.seed + ck["step"])
        if os.path.exists(args.losses):
            losses = [tuple(p) for p in json.load(open(args.losses))["losses"] if p[0] < first]
        log(f"resumed from {args.resume} at step {ck['step']}")
    for step in range(first, args.steps + 1):
        warm = min(1.0, (step - first + 1) / args.warmup)
        lr = args.lr * warm * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / args.steps)))
        for group in opt.param_groups:
            group["lr"] = lr
        idx = torch.randint(0, len(mel), (args.batch,), generator=g)
        x0 = mel[idx]                                                 # [B, 1, 64, 256]
        ci = cap_idx[idx].clone()
        ci[torch.rand(args.batch, generator=g) < args.dropout] = empty
        cond = emb[ci]                                                # [B, 32, 384]
        t = torch.randint(0, sched.config.num_train_timesteps, (args.batch,), generator=g)
        noise = torch.randn(x0.shape, generator=g)
        xt = sched.add_noise(x0, noise, t)
        target = sched.get_velocity(x0, noise, t)
        pred = unet(xt, t, encoder_hidden_states=cond).sample
        w = torch.clamp(snr[t], max=5.0) / (snr[t] + 1)               # min-SNR-5 for v prediction
        loss = (w * ((pred - target) ** 2).mean(dim=(1, 2, 3))).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
        opt.step()
        decay = min(args.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, p in zip(ema.parameters(), unet.parameters()):
                pe.mul_(decay).add_(p, alpha=1 - decay)
        losses.append((step, loss.item()))
        if step % args.log_every == 0 or step == 1:
            recent = np.mean([v for _, v in losses[-args.log_every:]])
            el = time.time() - t0
            log(f"step {step}/{args.steps} loss {recent:.4f} lr {lr:.2e} {el / step:.2f}s/step "
                f"eta {el / step * (args.steps - step) / 60:.1f} min")
        if step % args.save_every == 0 or step == args.steps:
            tmp = os.path.join(args.out, "ema.pt.tmp")
            torch.save({"ema": ema.state_dict(), "unet": unet.state_dict(), "step": step,
                        "seconds": time.time() - t0, "params": n_params}, tmp)
            os.replace(tmp, os.path.join(args.out, "ema.pt"))                # readers never see half a file
            with open(os.path.join(args.out, "losses.json"), "w") as f:
                json.dump({"losses": losses, "seconds": time.time() - t0, "args": vars(args)}, f)
    log(f"done: {args.steps} steps in {(time.time() - t0) / 60:.1f} min")


def export(args):
    """Writes the diffusers folder Models/diffuse-audio-16k from a checkpoint (EMA weights, fp16)."""
    ck = torch.load(args.export)
    unet = make_unet()
    unet.load_state_dict(ck["ema"])
    os.makedirs(MODEL_DIR, exist_ok=True)
    common.save_fp16(unet, os.path.join(MODEL_DIR, "unet"))
    common.make_scheduler().save_pretrained(os.path.join(MODEL_DIR, "scheduler"))
    os.makedirs(os.path.join(MODEL_DIR, "mel"), exist_ok=True)
    common.write_json(os.path.join(MODEL_DIR, "mel", "mel_config.json"), M.mel_config())
    os.makedirs(os.path.join(MODEL_DIR, "vocoder"), exist_ok=True)
    common.write_json(os.path.join(MODEL_DIR, "vocoder", "config.json"), M.vocoder_config())
    for name in ("text_encoder", "tokenizer"):
        link = os.path.join(MODEL_DIR, name)
        if os.path.islink(link) or os.path.exists(link):
            os.remove(link)
        os.symlink(os.path.join("..", "text-encoders", "all-MiniLM-L6-v2"), link)
    common.write_json(os.path.join(MODEL_DIR, "model_index.json"), {
        "_class_name": "DiffuseMelPipeline",
        "_diffusers_version": "0.42.1",
        "unet": ["diffusers", "UNet2DConditionModel"],
        "scheduler": ["diffusers", "DPMSolverMultistepScheduler"],
        "text_encoder": ["transformers", "BertModel"],
        "tokenizer": ["transformers", "BertTokenizerFast"],
        "mel": ["diffuse", "MelSpectrogramConfig"],
        "vocoder": ["diffuse", "GriffinLimVocoder"],
        "text_max_length": common.MAX_TOKENS,
        "default_steps": 20,
        "default_guidance_scale": args.guidance,
        "sample_rate": M.SAMPLE_RATE,
        "num_samples": M.NUM_SAMPLES,
    })
    if os.path.exists(args.losses):
        pts = json.load(open(args.losses))["losses"]
        common.plot_losses(os.path.join(MODEL_DIR, "loss.png"),
                           [("loss (min-SNR weighted v)", common.smooth(pts, 50), (200, 40, 40))],
                           "diffuse-audio-16k training")
    print(f"wrote {MODEL_DIR} from step {ck['step']} ({ck['seconds'] / 60:.1f} min, {ck['params']} params)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/work/data/audio/set0")
    ap.add_argument("--out", default="/work/data/audio/run0")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--ema", type=float, default=0.995)
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--log-every", type=int, default=10)
    ap.add_argument("--save-every", type=int, default=100)
    ap.add_argument("--resume", help="checkpoint (ema.pt) of a stopped run to continue to --steps")
    ap.add_argument("--export", help="checkpoint (ema.pt) to write into Models/diffuse-audio-16k")
    ap.add_argument("--losses", default="/work/data/audio/run0/losses.json")
    ap.add_argument("--guidance", type=float, default=5.0)  # best held-out adherence of 3–6 (model card)
    args = ap.parse_args()
    export(args) if args.export else train(args)


if __name__ == "__main__":
    main()
