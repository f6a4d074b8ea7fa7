"""Trains the shared tiny AutoencoderKL (64x64x3 <-> 16x16x4) of diffuse-image-64 and
diffuse-video-64 on rendered images and video frames.

Loss: L1 + L2 reconstruction, an edge term (L1 between finite differences of input and
reconstruction, keeps shape outlines crisp) and a tiny KL. After training, `scaling_factor`
is set to 1 / std of the latents (posterior means over held-back training images).

    nice -n 10 python Models/recipes/train_vae.py --steps N --decay-at M --seed 0  (N, M from the model card)
    # after the UNets' latents are made (encoder frozen from here on):
    nice -n 10 python Models/recipes/train_vae.py --stage 2 --steps N2 --decay-at M2 --lr 5e-4 --crop 40 --seed 0
"""
import argparse
import os

import numpy as np
import torch
import torch.nn.functional as F
from diffusers import AutoencoderKL

import common


def load_frames(args):
    imgs = np.load(os.path.join(args.data, "images.npz"))["images"]
    vids = np.load(os.path.join(args.data, "videos_vae.npz"))["clips"]
    frames = vids.reshape(-1, *vids.shape[2:])
    return np.concatenate([imgs, frames])  # [N, 64, 64, 3] uint8


def to_tensor(batch):
    return torch.from_numpy(batch).permute(0, 3, 1, 2).float() / 127.5 - 1.0  # [B, 3, 64, 64]


def edges(x):
    return x[..., 1:, :] - x[..., :-1, :], x[..., :, 1:] - x[..., :, :-1]


def finetune_decoder(a, frames, log):
    """Stage 2: the encoder is frozen (the UNets were trained on its latents); the decoder keeps
    training on (posterior mean of the full frame, 4x4-aligned crop) pairs."""
    vae = AutoencoderKL.from_pretrained(a.out, torch_dtype=torch.float32)
    vae.encoder.requires_grad_(False)
    vae.quant_conv.requires_grad_(False)
    params = list(vae.decoder.parameters()) + list(vae.post_quant_conv.parameters())
    opt = torch.optim.AdamW(params, lr=a.lr, weight_decay=0.0)
    clock = common.StepClock(a.steps, a.minutes, a.decay_at, log)
    rng = np.random.default_rng(a.seed + 1)
    order = rng.permutation(len(frames))
    held, train = order[:512], order[512:]
    losses, step, c = [], 0, a.crop // 4
    while clock.more(step):
        step += 1
        for g in opt.param_groups:
            g["lr"] = a.lr * clock.lr_factor(step)
        x = to_tensor(frames[train[rng.integers(0, len(train), a.batch)]])
        with torch.no_grad():
            z = vae.encode(x).latent_dist.mean  # [B, 4, 16, 16]
        oy, ox = (int(v) for v in rng.integers(0, 16 - c + 1, 2))
        y = vae.decode(z[..., oy:oy + c, ox:ox + c]).sample
        x = x[..., 4 * oy:4 * (oy + c), 4 * ox:4 * (ox + c)]
        rec = F.l1_loss(y, x) + F.mse_loss(y, x)
        (gx, gy), (hx, hy) = edges(x), edges(y)
        loss = rec + 0.5 * (F.l1_loss(hx, gx) + F.l1_loss(hy, gy))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        losses.append((step, float(rec.detach())))
        if step % 25 == 0 or step == 1:
            log(f"decoder step {step} rec {np.mean([l for _, l in losses[-25:]]):.4f} lr {opt.param_groups[0]['lr']:.2e}")
    vae.eval()
    with torch.no_grad():
        x = to_tensor(frames[held])
        y = vae.decode(vae.encode(x).latent_dist.mean).sample
        mae = float((y - x).abs().mean()) * 127.5
        psnr = float(10 * torch.log10(4.0 / F.mse_loss(y.clamp(-1, 1), x)))
    log(f"stage 2 held-out: MAE {mae:.2f}/255, PSNR {psnr:.2f} dB after {step} decoder steps")
    common.save_fp16(vae, a.out)
    common.plot_losses(os.path.join(a.work, "loss_stage2.png"), [("decoder reconstruction", common.smooth(losses), (200, 40, 40))],
                       "VAE decoder (stage 2)")
    common.write_json(os.path.join(a.work, "summary_stage2.json"),
                      dict(steps=step, decay_at=clock.decay_at, batch=a.batch, crop=a.crop, seed=a.seed,
                           wall_seconds=log.elapsed(), heldout_mae_255=mae, heldout_psnr_db=psnr))
    grid = torch.cat([x[:8], y[:8].clamp(-1, 1)]).add(1).mul(127.5).round().byte()
    grid = grid.view(2, 8, 3, 64, 64).permute(0, 3, 1, 4, 2).reshape(128, 512, 3).numpy()
    from PIL import Image
    Image.fromarray(grid).save(os.path.join(a.work, "recon_stage2.png"))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=2500)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--minutes", type=float, default=0, help="wall-time cap (0: none); the log names the steps reached")
    p.add_argument("--decay-at", type=int, default=0, help="step of the 10x lr drop (0: at 75%% of --minutes or --steps)")
    p.add_argument("--stage", type=int, default=1, help="1: whole VAE; 2: decoder only, encoder frozen")
    p.add_argument("--crop", type=int, default=32)
    p.add_argument("--kl", type=float, default=1e-6)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data", default=common.DATA)
    p.add_argument("--out", default=os.path.join(common.MODELS, "diffuse-image-64", "vae"))
    p.add_argument("--work", default=os.path.join(common.DATA, "vae"))
    a = p.parse_args()
    common.set_threads(a.threads)
    common.seed_all(a.seed)
    os.makedirs(a.work, exist_ok=True)
    log = common.Log(os.path.join(a.work, "train.log"))

    frames = load_frames(a)
    if a.stage == 2:
        return finetune_decoder(a, frames, log)
    rng = np.random.default_rng(a.seed)
    order = rng.permutation(len(frames))
    held, train = order[:512], order[512:]
    log(f"frames {len(frames)} (train {len(train)}, held {len(held)})")

    vae = AutoencoderKL(**common.vae_config())
    log(f"parameters {sum(p.numel() for p in vae.parameters()):,}")
    opt = torch.optim.AdamW(vae.parameters(), lr=a.lr, weight_decay=0.0)
    clock = common.StepClock(a.steps, a.minutes, a.decay_at, log)
    losses = []
    vae.train()
    step = 0
    while clock.more(step):
        step += 1
        for g in opt.param_groups:
            g["lr"] = a.lr * clock.lr_factor(step)
        idx = train[rng.integers(0, len(train), a.batch)]
        x = to_tensor(frames[idx])
        if a.crop < 64:  # fully convolutional (no attention): train on random crops, 4x cheaper at 32
            oy, ox = (int(v) for v in rng.integers(0, 64 - a.crop + 1, 2) // 4 * 4)
            x = x[..., oy:oy + a.crop, ox:ox + a.crop]
        post = vae.encode(x).latent_dist
        z = post.sample()
        y = vae.decode(z).sample
        rec = F.l1_loss(y, x) + F.mse_loss(y, x)
        (gx, gy), (hx, hy) = edges(x), edges(y)
        edge = F.l1_loss(hx, gx) + F.l1_loss(hy, gy)
        kl = post.kl().mean()
        loss = rec + 0.5 * edge + a.kl * kl
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        opt.step()
        losses.append((step, float(rec.detach())))
        if step % 25 == 0 or step <= 5:
            log(f"step {step}/{a.steps} rec {float(rec):.4f} edge {float(edge):.4f} kl {float(kl):.1f} "
                f"lr {opt.param_groups[0]['lr']:.2e}")

    vae.eval()
    with torch.no_grad():
        x = to_tensor(frames[held])
        mean = vae.encode(x).latent_dist.mean
        std = float(mean.std())
        y = vae.decode(mean).sample
        mae = float((y - x).abs().mean()) * 127.5
        psnr = float(10 * torch.log10(4.0 / F.mse_loss(y.clamp(-1, 1), x)))
    vae.register_to_config(scaling_factor=1.0 / std)
    log(f"held-out: latent std {std:.4f} -> scaling_factor {1.0 / std:.4f}; MAE {mae:.2f}/255, PSNR {psnr:.2f} dB")
    common.save_fp16(vae, a.out)
    torch.save(vae.state_dict(), os.path.join(a.work, "vae_fp32.pt"))
    common.plot_losses(os.path.join(a.work, "loss.png"), [("reconstruction L1+L2", common.smooth(losses), (200, 40, 40))],
                       "VAE")
    common.write_json(os.path.join(a.work, "summary.json"),
                      dict(steps=step, decay_at=clock.decay_at, batch=a.batch, seed=a.seed, wall_seconds=log.elapsed(), latent_std=std,
                           scaling_factor=1.0 / std, heldout_mae_255=mae, heldout_psnr_db=psnr,
                           final_rec=float(np.mean([l for _, l in losses[-100:]])),
                           parameters=sum(p.numel() for p in vae.parameters())))
    # side-by-side preview: top row inputs, bottom row reconstructions
    grid = torch.cat([x[:8], y[:8].clamp(-1, 1)]).add(1).mul(127.5).round().byte()  # [16, 3, 64, 64]
    grid = grid.view(2, 8, 3, 64, 64).permute(0, 3, 1, 4, 2).reshape(128, 512, 3).numpy()
    from PIL import Image
    Image.fromarray(grid).save(os.path.join(a.work, "recon.png"))
    log("saved", a.out)


if __name__ == "__main__":
    main()
