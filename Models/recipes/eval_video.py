"""Prompt adherence of diffuse-video-64 on the held-out prompts (heldout_video.txt).

Each frame's object mask is found as in eval_image (pixels far from the border's median
colour); the centroid track over the 16 frames is fitted with a line, and the fitted
displacement from the first to the last frame is classified as one of the eight directions
(45° sectors) or "static" (under 6 pixels). Colour = nearest named colour of the median object
pixel over all frames. The evaluator's own accuracy on ground-truth clips is reported too.

    python Models/recipes/eval_video.py --seeds 3 --steps 20 --guidance 5
"""
import argparse
import json
import os

import numpy as np
import torch
from diffusers.utils.torch_utils import randn_tensor
from PIL import Image

import common
import data_image as D
import data_video as V
import eval_image as E

# unit vectors (image coordinates, y down) of the eight directions
DIRS = {name: np.array(v, np.float32) / np.linalg.norm(v) for name, v in V.DIRECTIONS.items()}


def object_points(frames):
    """Per frame: (x, y, pixels) of the object mask's centroid and colours, or None where the
    mask has fewer than 4 pixels."""
    points = []
    for img in frames:
        mask, _ = E.object_mask(img)
        if mask.sum() >= 4:
            ys, xs = np.nonzero(mask)
            points.append((xs.mean(), ys.mean(), img[mask]))
        else:
            points.append(None)
    return points


def track(frames):
    """frames [F, 64, 64, 3] uint8 -> (direction name or 'static', displacement, colour)."""
    found = [(f, p) for f, p in enumerate(object_points(frames)) if p]
    pts = [(f, x, y) for f, (x, y, _) in found]
    pix = [p[2] for _, p in found]
    if len(pts) < len(frames) // 2:
        return "lost", (0.0, 0.0), "none"
    t = np.array([p[0] for p in pts], np.float32)
    A = np.stack([t, np.ones_like(t)], 1)
    sx = np.linalg.lstsq(A, np.array([p[1] for p in pts]), rcond=None)[0][0]
    sy = np.linalg.lstsq(A, np.array([p[2] for p in pts]), rcond=None)[0][0]
    d = np.array([sx, sy]) * (len(frames) - 1)
    color = E.nearest_color(np.median(np.concatenate(pix).astype(np.float32), 0))
    if np.linalg.norm(d) < 6:
        return "static", tuple(d), color
    u = d / np.linalg.norm(d)
    best = max(DIRS, key=lambda k: float(DIRS[k] @ u))
    return best, (float(d[0]), float(d[1])), color


def read_heldout(path):
    return [line.rstrip("\n").split("\t") for line in open(path) if line.strip() and not line.startswith("#")]


def score(rows, clips):
    res = dict(direction=0, color=0, both=0)
    per = []
    for row, clip in zip(rows, clips):
        _, color, shape, direction, bg = row
        got, disp, got_c = track(clip)
        res["direction"] += got == direction
        res["color"] += got_c == color
        res["both"] += got == direction and got_c == color
        per.append(dict(prompt=row[0], direction=got, displacement=disp, color=got_c))
    n = len(rows)
    return {k: v / n for k, v in res.items()} | dict(n=n), per


def load_pipeline(folder):
    """The TextToVideoSDPipeline of `folder`; a UNet whose config names `input_coordinates` gets them
    appended to its input (train_video.with_coordinates)."""
    from diffusers import AutoencoderKL, DPMSolverMultistepScheduler, TextToVideoSDPipeline, UNet3DConditionModel
    unet = UNet3DConditionModel.from_pretrained(os.path.join(folder, "unet"), torch_dtype=torch.float32).eval()
    with open(os.path.join(folder, "unet", "config.json")) as f:
        if json.load(f).get("input_coordinates"):
            import train_video
            train_video.with_coordinates(unet)
    vae = AutoencoderKL.from_pretrained(os.path.join(folder, "vae"), torch_dtype=torch.float32).eval()
    sched = DPMSolverMultistepScheduler.from_pretrained(os.path.join(folder, "scheduler"))
    pipe = TextToVideoSDPipeline(vae=vae, text_encoder=None, tokenizer=None, unet=unet, scheduler=sched)
    pipe.set_progress_bar_config(disable=True)
    return pipe


@torch.no_grad()
def generate(pipe, te, prompts, seeds, steps, guidance, batch=10):
    """Clips [len(seeds) * len(prompts), 16, 64, 64, 3] uint8, seed-major."""
    cond_all = te.encode(prompts)
    uncond = te.encode([""])
    out = []
    for seed in seeds:
        for i in range(0, len(prompts), batch):
            cond = cond_all[i:i + batch]
            gens = [torch.Generator().manual_seed(seed * 1000 + i + k) for k in range(len(cond))]
            # x_T drawn here as the pipeline would (its own draw sizes them by unet.config.in_channels,
            # which counts the coordinate channels too)
            size = 64 // pipe.vae_scale_factor
            latents = randn_tensor((len(cond), pipe.vae.config.latent_channels, V.FRAMES, size, size), generator=gens)
            frames = pipe(prompt_embeds=cond, latents=latents, negative_prompt_embeds=uncond.expand(len(cond), -1, -1),
                          num_inference_steps=steps, guidance_scale=guidance, generator=gens, height=64, width=64,
                          num_frames=V.FRAMES, output_type="np").frames
            out.append((np.asarray(frames) * 255).round().astype(np.uint8))
    return np.concatenate(out)


def filmstrip(clips, path, frames=(0, 5, 10, 15)):
    n = len(clips)
    sheet = np.zeros((n * 64, len(frames) * 64, 3), np.uint8)
    for i, clip in enumerate(clips):
        for j, f in enumerate(frames):
            sheet[i * 64:(i + 1) * 64, j * 64:(j + 1) * 64] = clip[f]
    Image.fromarray(sheet).save(path)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default=os.path.join(common.MODELS, "diffuse-video-64"))
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--guidance", type=float, default=5.0)
    p.add_argument("--limit", type=int, default=0, help="only the first N prompts (quick checks)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default=os.path.join(common.DATA, "eval_video"))
    a = p.parse_args()
    common.set_threads(a.threads)
    os.makedirs(a.out, exist_ok=True)
    log = common.Log()
    rows = read_heldout(os.path.join(common.RECIPES, "heldout_video.txt"))
    if a.limit:
        rows = rows[:a.limit]
    pipe = load_pipeline(a.model)
    rng = np.random.default_rng(13)
    truth = []
    for _, color, shape, direction, bg in rows:
        clip = dict(color=color, shape=shape, bg=bg, motion=direction, speed="slow")
        frames = V.render_clip(clip, rng)
        truth.append(E.roundtrip(pipe.vae, frames))
    ceiling, _ = score(rows, truth)
    log("evaluator on ground-truth clips (through the VAE):", ceiling)
    te = common.TextEncoder()
    seeds = list(range(a.seeds))
    clips = generate(pipe, te, [r[0] for r in rows], seeds, a.steps, a.guidance)
    result, per = score(rows * len(seeds), clips)
    log(f"adherence over {len(rows)} held-out prompts x {len(seeds)} seeds:", result)
    filmstrip(clips[:min(8, len(rows))], os.path.join(a.out, "heldout_seed0.png"))
    with open(os.path.join(a.out, "result.json"), "w") as f:
        json.dump(dict(result=result, ceiling=ceiling, steps=a.steps, guidance=a.guidance, seeds=seeds,
                       sampler="DPMSolverMultistepScheduler (dpmpp_2m)", per_clip=per), f, indent=1)


if __name__ == "__main__":
    main()
