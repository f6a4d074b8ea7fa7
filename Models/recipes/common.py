"""Shared helpers for the image/video recipes: paths, seeding, the all-MiniLM-L6-v2 text
encoder (cached per caption), the tiny VAE config, logging and a PIL loss plot.

Text conditioning (what the Swift pipelines reproduce): BertTokenizerFast(prompt,
padding="max_length", max_length=32, truncation=True) -> BertModel(input_ids,
attention_mask).last_hidden_state, shape [1, 32, 384]; the UNet cross-attends to all 32
positions with no encoder mask. The unconditional embedding for CFG is that of "".
"""
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODELS = os.path.join(REPO, "Models")
RECIPES = os.path.join(MODELS, "recipes")
TEXT_ENCODER = os.path.join(MODELS, "text-encoders", "all-MiniLM-L6-v2")
DATA = os.environ.get("DIFFUSE_DATA", "/work/data/diffuse")
MAX_TOKENS = 32
TEXT_DIM = 384


def seed_all(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def set_threads(n=2):
    torch.set_num_threads(n)
    torch.set_flush_denormal(True)


class Log:
    """Prints progress lines with elapsed wall time to stdout (flushed) and a log file."""

    def __init__(self, path=None):
        self.t0 = time.time()
        self.file = open(path, "a") if path else None

    def __call__(self, *parts):
        line = f"[{time.time() - self.t0:7.1f}s] " + " ".join(str(p) for p in parts)
        print(line, flush=True)
        if self.file:
            self.file.write(line + "\n")
            self.file.flush()

    def elapsed(self):
        return time.time() - self.t0


class StepClock:
    """Ends training at `steps` or after `minutes` of wall time, whichever comes first, and
    drops the learning rate 10x at `decay_at` (if 0: at 75% of the step budget or when 75% of
    the minutes have passed, whichever comes first). Re-running with the logged steps and decay_at reproduces a run."""

    def __init__(self, steps, minutes, decay_at, log, warmup=100, start=0):
        self.steps, self.minutes, self.decay_at, self.log, self.warmup = steps, minutes, decay_at, log, warmup
        self.start = start  # a continued run warms up again from its first step (AdamW restarts)
        if not decay_at and not minutes:
            self.decay_at = int(steps * 0.75)
        self.t0 = time.time()

    def more(self, step):
        if step >= self.steps:
            return False
        if self.minutes and time.time() - self.t0 > self.minutes * 60:
            self.log(f"time cap of {self.minutes} min reached at step {step} (decay_at {self.decay_at})")
            return False
        return True

    def lr_factor(self, step):
        # with both a time cap and a step budget, the drop comes at 75% of whichever runs out first
        if not self.decay_at and (time.time() - self.t0 > 0.75 * self.minutes * 60 or step >= 0.75 * self.steps):
            self.decay_at = step
            self.log(f"lr drop at step {step}")
        if step - self.start <= self.warmup:
            return (step - self.start) / self.warmup
        return 0.1 if self.decay_at and step >= self.decay_at else 1.0


class TextEncoder:
    """all-MiniLM-L6-v2 per-token embeddings, [N, 32, 384] float32, cached per caption."""

    def __init__(self, path=TEXT_ENCODER, cache=os.path.join(DATA, "text_cache.pt")):
        from transformers import BertModel, BertTokenizerFast
        if not os.path.exists(os.path.join(path, "model.safetensors")):
            sys.exit(f"missing {path}/model.safetensors: run tools/install.sh (fetches all-MiniLM-L6-v2)")
        self.tokenizer = BertTokenizerFast.from_pretrained(path)
        self.model = BertModel.from_pretrained(path).eval()
        self.cache_path = cache
        self.cache = {}
        if cache and os.path.exists(cache):
            try:
                self.cache = torch.load(cache)
            except RuntimeError:  # a cache left half-written: rebuild it
                self.cache = {}

    def save(self):
        if self.cache_path:
            tmp = f"{self.cache_path}.{os.getpid()}.tmp"
            torch.save(self.cache, tmp)
            os.replace(tmp, self.cache_path)

    @torch.no_grad()
    def encode(self, captions, batch=256):
        missing = [c for c in dict.fromkeys(captions) if c not in self.cache]
        for i in range(0, len(missing), batch):
            chunk = missing[i:i + batch]
            tok = self.tokenizer(chunk, padding="max_length", max_length=MAX_TOKENS, truncation=True,
                                 return_tensors="pt")
            out = self.model(input_ids=tok.input_ids, attention_mask=tok.attention_mask).last_hidden_state
            for c, e in zip(chunk, out):
                self.cache[c] = e.clone()
        if missing:
            self.save()
        return torch.stack([self.cache[c] for c in captions])


def vae_config():
    """The shared tiny AutoencoderKL: 64x64x3 <-> 16x16x4 (two downsamplings)."""
    return dict(
        in_channels=3, out_channels=3,
        down_block_types=["DownEncoderBlock2D"] * 3,
        up_block_types=["UpDecoderBlock2D"] * 3,
        block_out_channels=[16, 32, 64],
        layers_per_block=1,
        act_fn="silu",
        latent_channels=4,
        norm_num_groups=8,
        sample_size=64,
        mid_block_add_attention=False,
    )


def scheduler_config():
    """Training and default sampling schedule: cosine betas (zero-ish terminal SNR), v prediction,
    DPM-Solver++ 2M with trailing spacing (read by the Swift SchedulerMapping)."""
    return dict(
        num_train_timesteps=1000,
        beta_schedule="squaredcos_cap_v2",
        beta_start=0.0001,
        beta_end=0.02,
        prediction_type="v_prediction",
        timestep_spacing="trailing",
        steps_offset=0,
        solver_order=2,
        algorithm_type="dpmsolver++",
        lower_order_final=True,
        final_sigmas_type="zero",
    )


def make_scheduler():
    from diffusers import DPMSolverMultistepScheduler
    return DPMSolverMultistepScheduler(**scheduler_config())


def plot_losses(path, series, title, width=480, height=240):
    """Writes a small PNG of one or more loss curves (list of (label, [(step, loss)], rgb))."""
    from PIL import Image, ImageDraw
    img = Image.new("RGB", (width, height), "white")
    d = ImageDraw.Draw(img)
    left, right, top, bottom = 48, width - 10, 22, height - 24
    pts = [p for _, s, _ in series for p in s]
    if not pts:
        img.save(path)
        return
    xmax = max(p[0] for p in pts) or 1
    ys = [math.log10(max(p[1], 1e-8)) for p in pts]
    ylo, yhi = min(ys), max(ys)
    if yhi - ylo < 1e-6:
        yhi = ylo + 1
    d.rectangle([left, top, right, bottom], outline=(0, 0, 0))
    d.text((left, 4), title + " (log10 loss vs step)", fill=(0, 0, 0))
    for k in range(5):
        v = ylo + (yhi - ylo) * k / 4
        y = bottom - (bottom - top) * k / 4
        d.text((2, y - 6), f"{10 ** v:.3g}", fill=(80, 80, 80))
    d.text((right - 60, bottom + 6), f"step {xmax}", fill=(80, 80, 80))
    for li, (label, s, rgb) in enumerate(series):
        if not s:
            continue
        xy = [(left + (right - left) * x / xmax,
               bottom - (bottom - top) * (math.log10(max(y, 1e-8)) - ylo) / (yhi - ylo)) for x, y in s]
        if len(xy) > 1:
            d.line(xy, fill=rgb, width=1)
        d.text((left + 6, top + 4 + 12 * li), label, fill=rgb)
    img.save(path, optimize=True)


def smooth(points, window=50):
    """Moving average of (step, loss) points, sampled every window/5 steps."""
    out = []
    vals = [v for _, v in points]
    stride = max(1, window // 5)
    for i in range(0, len(points), stride):
        lo = max(0, i - window + 1)
        out.append((points[i][0], float(np.mean(vals[lo:i + 1]))))
    return out


def save_fp16(model, folder, max_shard_size="9MB"):
    """save_pretrained as fp16 safetensors (a copy; the training model stays fp32), in shards of at
    most `max_shard_size` so that no committed file exceeds 10 MB (the video UNet needs three)."""
    import copy
    m = copy.deepcopy(model).to(torch.float16)
    m.save_pretrained(folder, safe_serialization=True, max_shard_size=max_shard_size)


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
