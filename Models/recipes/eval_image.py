"""Prompt adherence of diffuse-image-64 on the held-out prompts (heldout_image.txt).

For each generated image: the background colour is the median of the border pixels; the
object mask is every pixel far from it. Colour = nearest named colour to the median object
pixel; shape = a small classifier (logistic regression on the mask's bounding-box crop,
trained on freshly rendered single-shape scenes passed through the VAE); position = the mask
centroid's third of the canvas. The classifiers' accuracy on ground-truth renders of the
held-out prompts is reported too (the evaluator's own ceiling).

    python Models/recipes/eval_image.py --seeds 4 --steps 20 --guidance 5
"""
import argparse
import json
import os

import numpy as np
import torch
from PIL import Image

import common
import data_image as D

NAMES = D.COLOR_NAMES
PALETTE = np.array([D.COLORS[c] for c in NAMES], np.float32)
CROP = 20


def nearest_color(rgb):
    return NAMES[int(np.argmin(((PALETTE - np.asarray(rgb, np.float32)) ** 2).sum(1)))]


def object_mask(img, threshold=55.0):
    """img [64, 64, 3] uint8 -> (mask [64, 64] bool, background rgb)."""
    x = img.astype(np.float32)
    border = np.concatenate([x[0], x[-1], x[:, 0], x[:, -1]])
    bg = np.median(border, axis=0)
    dist = np.sqrt(((x - bg) ** 2).sum(-1))
    return dist > threshold, bg


def mask_features(mask):
    """Bounding-box crop of the mask resized to CROP x CROP, plus hole/fill statistics."""
    ys, xs = np.nonzero(mask)
    if len(xs) < 4:
        return np.zeros(CROP * CROP + 3, np.float32)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    crop = Image.fromarray((mask[y0:y1, x0:x1] * 255).astype(np.uint8)).resize((CROP, CROP), Image.BILINEAR)
    c = np.asarray(crop, np.float32) / 255.0
    fill = mask[y0:y1, x0:x1].mean()
    centre = c[CROP // 3:2 * CROP // 3, CROP // 3:2 * CROP // 3].mean()
    aspect = (x1 - x0) / max(1, (y1 - y0))
    return np.concatenate([c.ravel(), [fill, centre, aspect]]).astype(np.float32)


def interior_pixels(img, mask):
    """The object's pixels one pixel in from its edge (against anti-aliasing), or all of them
    when fewer than 3 are that far in."""
    inner = mask.copy()
    inner[1:] &= mask[:-1]
    inner[:-1] &= mask[1:]
    inner[:, 1:] &= mask[:, :-1]
    inner[:, :-1] &= mask[:, 1:]
    return img[inner] if inner.sum() >= 3 else img[mask]


def analyze(img):
    mask, bg = object_mask(img)
    if mask.sum() < 4:
        return dict(color="none", bg=nearest_color(bg), mask=mask, centroid=(32.0, 32.0), area=0)
    pix = interior_pixels(img, mask)                 # the object's colour from its interior
    ys, xs = np.nonzero(mask)
    return dict(color=nearest_color(np.median(pix.astype(np.float32), 0)), bg=nearest_color(bg), mask=mask,
                centroid=(float(xs.mean()), float(ys.mean())), area=int(mask.sum()))


def position_ok(pos, centroid):
    """Named position vs centroid: left/right/top/bottom thirds, corners need both."""
    x, y = centroid
    col = "left" if x < 64 / 3 + 2 else "right" if x > 128 / 3 - 2 else "center"
    row = "top" if y < 64 / 3 + 2 else "bottom" if y > 128 / 3 - 2 else "center"
    if pos == "in the center":
        return col == "center" and row == "center"
    want_col = "left" if "left" in pos else "right" if "right" in pos else None
    want_row = "top" if "top" in pos else "bottom" if "bottom" in pos else None
    return (want_col is None or col == want_col) and (want_row is None or row == want_row)


def train_shape_classifier(vae=None, count=1500, seed=7):
    """Logistic regression on mask features of rendered single shapes (through the VAE if given)."""
    from sklearn.linear_model import LogisticRegression
    rng = np.random.default_rng(seed)
    X, y = [], []
    imgs = []
    for i in range(count):
        scene = D.sample_scene(rng)
        scene.update(count=1, texture="plain", second="")
        imgs.append(D.render(scene, rng))
        y.append(D.SHAPES.index(scene["shape"]))
    imgs = np.stack(imgs)
    if vae is not None:
        imgs = roundtrip(vae, imgs)
    X = np.stack([mask_features(object_mask(im)[0]) for im in imgs])
    clf = LogisticRegression(max_iter=2000, C=0.5)
    clf.fit(X, np.array(y))
    return clf


def cached_shape_classifier(vae, weights, path=os.path.join(common.DATA, "shape_classifier.pkl")):
    """train_shape_classifier through `vae`, cached per VAE weights file (size and mtime)."""
    import pickle
    key = (os.path.realpath(weights), os.path.getsize(weights), os.path.getmtime(weights))
    if os.path.exists(path):
        with open(path, "rb") as f:
            cached = pickle.load(f)
        if cached["key"] == key:
            return cached["clf"]
    clf = train_shape_classifier(vae)
    with open(path, "wb") as f:
        pickle.dump(dict(key=key, clf=clf), f)
    return clf


@torch.no_grad()
def roundtrip(vae, imgs, batch=200):
    out = []
    for i in range(0, len(imgs), batch):
        x = torch.from_numpy(imgs[i:i + batch]).permute(0, 3, 1, 2).float() / 127.5 - 1
        yv = vae.decode(vae.encode(x).latent_dist.mean).sample
        out.append(((yv.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy())
    return np.concatenate(out)


def classify_shape(clf, mask):
    return D.SHAPES[int(clf.predict(mask_features(mask)[None])[0])]


def read_heldout(path):
    rows = []
    for line in open(path):
        if line.startswith("#") or not line.strip():
            continue
        rows.append(line.rstrip("\n").split("\t"))
    return rows


def score(rows, images, clf):
    """rows: heldout rows repeated per image; images [N, 64, 64, 3] uint8."""
    res = dict(color=0, shape=0, both=0, position=0, positioned=0, n=len(rows))
    per = []
    for row, img in zip(rows, images):
        _, color, shape, _, pos = row
        a = analyze(img)
        got_shape = classify_shape(clf, a["mask"]) if a["area"] else "none"
        ok_c, ok_s = a["color"] == color, got_shape == shape
        res["color"] += ok_c
        res["shape"] += ok_s
        res["both"] += ok_c and ok_s
        if pos:
            res["positioned"] += 1
            res["position"] += position_ok(pos, a["centroid"])
        per.append(dict(prompt=row[0], color=a["color"], shape=got_shape, centroid=a["centroid"]))
    out = {k: res[k] / res["n"] for k in ("color", "shape", "both")}
    out["position"] = res["position"] / max(1, res["positioned"])
    out["n"] = res["n"]
    out["n_positioned"] = res["positioned"]
    return out, per


def load_pipeline(folder):
    from diffusers import AutoencoderKL, DPMSolverMultistepScheduler, StableDiffusionPipeline, UNet2DConditionModel
    unet = UNet2DConditionModel.from_pretrained(os.path.join(folder, "unet"), torch_dtype=torch.float32).eval()
    vae = AutoencoderKL.from_pretrained(os.path.join(folder, "vae"), torch_dtype=torch.float32).eval()
    sched = DPMSolverMultistepScheduler.from_pretrained(os.path.join(folder, "scheduler"))
    pipe = StableDiffusionPipeline(vae=vae, text_encoder=None, tokenizer=None, unet=unet, scheduler=sched,
                                   safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    return pipe


@torch.no_grad()
def generate(pipe, te, prompts, seeds, steps, guidance, batch=32):
    """Images [len(seeds) * len(prompts), 64, 64, 3] uint8, seed-major."""
    cond_all = te.encode(prompts)
    uncond = te.encode([""])
    out = []
    for seed in seeds:
        for i in range(0, len(prompts), batch):
            cond = cond_all[i:i + batch]
            gens = [torch.Generator().manual_seed(seed * 1000 + i + k) for k in range(len(cond))]
            img = pipe(prompt_embeds=cond, negative_prompt_embeds=uncond.expand(len(cond), -1, -1),
                       num_inference_steps=steps, guidance_scale=guidance, generator=gens, height=64, width=64,
                       output_type="np").images
            out.append((img * 255).round().astype(np.uint8))
    return np.concatenate(out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default=os.path.join(common.MODELS, "diffuse-image-64"))
    p.add_argument("--seeds", type=int, default=4)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--guidance", type=float, default=5.0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default=os.path.join(common.DATA, "eval_image"))
    a = p.parse_args()
    common.set_threads(a.threads)
    os.makedirs(a.out, exist_ok=True)
    log = common.Log()
    rows = read_heldout(os.path.join(common.RECIPES, "heldout_image.txt"))
    pipe = load_pipeline(a.model)
    clf = cached_shape_classifier(pipe.vae, os.path.join(a.model, "vae", "diffusion_pytorch_model.safetensors"))
    # the evaluator's ceiling: ground-truth renders of the held-out prompts, through the VAE
    rng = np.random.default_rng(11)
    truth = []
    for _, color, shape, bg, pos in rows:
        scene = dict(color=color, shape=shape, bg=bg, count=1, size="medium" if not pos else "small",
                     pos=pos or "in the center", texture="plain", second="")
        truth.append(D.render(scene, rng))
    ceiling, _ = score(rows, roundtrip(pipe.vae, np.stack(truth)), clf)
    log("evaluator on ground-truth renders:", ceiling)
    te = common.TextEncoder()
    prompts = [r[0] for r in rows]
    seeds = list(range(a.seeds))
    images = generate(pipe, te, prompts, seeds, a.steps, a.guidance)
    result, per = score(rows * len(seeds), images, clf)
    log(f"adherence over {len(prompts)} held-out prompts x {len(seeds)} seeds:", result)
    grid = images[:len(prompts)]
    n = len(grid)
    cols = 8
    rows_n = (n + cols - 1) // cols
    sheet = np.zeros((rows_n * 64, cols * 64, 3), np.uint8)
    for k, im in enumerate(grid):
        sheet[(k // cols) * 64:(k // cols + 1) * 64, (k % cols) * 64:(k % cols + 1) * 64] = im
    Image.fromarray(sheet).save(os.path.join(a.out, "heldout_seed0.png"))
    with open(os.path.join(a.out, "result.json"), "w") as f:
        json.dump(dict(result=result, ceiling=ceiling, steps=a.steps, guidance=a.guidance, seeds=seeds,
                       sampler="DPMSolverMultistepScheduler (dpmpp_2m)", per_image=per), f, indent=1)


if __name__ == "__main__":
    main()
