"""Trains diffuse-video-64's UNet on VAE latents [4, 16, 16, 16] of procedural moving-shape
clips, conditioned on all-MiniLM-L6-v2 per-token embeddings, and writes the pipeline folder
Models/diffuse-video-64/.

Two architectures (`--arch`):
- `unet3d` (the shipped one): UNet3DConditionModel (text-to-video-ms), whose temporal layers get
  no frame positions; TextToVideoSDPipeline layout.
- `motion`: diffusers' UNetMotionModel, AnimateDiff's layout: the image UNet with a motion module
  (a temporal transformer whose attention sees sinusoidal frame positions) after every
  resnet/attention pair; AnimateDiffPipeline layout. Tried on 2026-11-24, not shipped (see the
  model card).

The spatial layers start from diffuse-image-64's UNet (same block layout and key names, as
AnimateDiff and ModelScope started from Stable Diffusion); the temporal layers start as
diffusers initialises them, except that the motion modules' output projections start at zero
(as AnimateDiff's), so step 0 is the image model run frame by frame. Steps see random 8-frame
windows of the 16-frame clips or, every `--full-every` steps, whole clips. v prediction, cosine
schedule, 10% caption dropout, EMA. Every 250 steps a probe logs the v-MSE on fixed training
clips with their caption and with its direction swapped ("left" <-> "right", "up" <-> "down"):
the gap says whether the network reads the direction words.

`--coordinates` (UNet3D only) appends three fixed input channels to the noisy latents: the column,
the row and the frame of each latent element as ramps from -1 to 1 (CoordConv, Liu et al. 2018:
convolutions see where they are only through their zero padding). It tested whether that is why no
run learned to put a shape at the edge a caption names (the image UNet places shapes at named
positions in 38% of clips): it was not (see the model card, runs 9-11). The UNet's `in_channels`
grows by 3 (their `conv_in` weights start at zero, so step 0 is the run without them) and its
config.json names the channels (`"input_coordinates": ["x", "y", "frame"]`), which Diffuse's video
pipeline reads to append the same ramps.

The shipped weights come from `Models/recipes/train_video.sh`, which runs this script six times
(one phase each, every phase resuming the last's ckpt.pt) on two data sets; see the model card.
One phase, by hand:

    nice -n 10 python Models/recipes/train_video.py --minutes 50 --clips 1200 --threads 1 --seed 0 \
        --init /work/data/diffuse/image/ckpt_step3600.pt
"""
import argparse
import json
import os
import re
import sys
import time

import numpy as np
import torch
from diffusers import DDPMScheduler, UNet2DConditionModel, UNet3DConditionModel, UNetMotionModel

import common
import train_image

FOLDER = os.path.join(common.MODELS, "diffuse-video-64")


COORDINATES = ["x", "y", "frame"]


def coordinate_maps(sample):
    """[B, 3, F, h, w] for latents `sample` [B, C, F, h, w]: x = the column (-1 at the left edge, 1 at
    the right), y = the row (-1 at the top, 1 at the bottom), frame (-1 the first, 1 the last), each
    torch.linspace(-1, 1, n) (a single frame or column is -1)."""
    b, _, f, h, w = sample.shape
    ramp = lambda n: torch.linspace(-1, 1, n, dtype=sample.dtype, device=sample.device)
    x = ramp(w).view(1, 1, w).expand(f, h, w)
    y = ramp(h).view(1, h, 1).expand(f, h, w)
    t = ramp(f).view(f, 1, 1).expand(f, h, w)
    return torch.stack([x, y, t]).unsqueeze(0).expand(b, -1, -1, -1, -1)


class CoordinateInput(torch.nn.Module):
    """The UNet called on its latents with `coordinate_maps` appended as channels."""

    def __init__(self, unet):
        super().__init__()
        self.unet = unet

    def forward(self, sample, timestep, encoder_hidden_states, **kwargs):
        return self.unet(torch.cat([sample, coordinate_maps(sample)], dim=1), timestep,
                         encoder_hidden_states=encoder_hidden_states, **kwargs)


def shape_weights(latents, extra):
    """[B, 1, F, h, w] element weights for clean clip latents [B, C, F, h, w]: 1 + `extra` where a
    latent differs from the clip's background (the per-channel median over the clip) by more than a
    quarter of the clip's largest difference, i.e. on the shape; scaled to mean 1 per clip. The
    shape covers 6-9% of the latent elements, so with plain v-MSE the background dominates."""
    background = latents.flatten(2).median(dim=2).values[:, :, None, None, None]
    distance = (latents - background).norm(dim=1, keepdim=True)
    peak = distance.flatten(1).amax(dim=1).clamp_min(1e-6)[:, None, None, None, None]
    weight = 1 + extra * (distance > 0.25 * peak).float()
    return weight / weight.flatten(1).mean(dim=1)[:, None, None, None, None]


def with_coordinates(unet):
    """Makes `unet`'s own forward append the coordinate maps (for diffusers' pipelines, which call
    `pipe.unet(...)`)."""
    inner = unet.forward
    unet.forward = lambda sample, timestep, *args, **kw: inner(
        torch.cat([sample, coordinate_maps(sample)], dim=1), timestep, *args, **kw)
    return unet


def mark_coordinates(folder):
    """Names the appended input channels in `folder`/unet/config.json (diffusers ignores the key)."""
    path = os.path.join(folder, "unet", "config.json")
    with open(path) as f:
        config = json.load(f)
    config["input_coordinates"] = COORDINATES
    common.write_json(path, config)


def unet_config(arch="unet3d", coordinates=False):
    img = train_image.unet_config()
    extra = len(COORDINATES) if coordinates else 0
    if arch == "motion":
        return dict(
            sample_size=16, in_channels=4 + extra, out_channels=4,
            down_block_types=[b.replace("2D", "Motion") for b in img["down_block_types"]],
            up_block_types=[b.replace("2D", "Motion") for b in img["up_block_types"]],
            block_out_channels=img["block_out_channels"],
            layers_per_block=img["layers_per_block"],
            cross_attention_dim=common.TEXT_DIM,
            num_attention_heads=img["attention_head_dim"],  # UNet2DConditionModel reads attention_head_dim as heads
            norm_num_groups=img["norm_num_groups"],
            motion_num_attention_heads=4,
            motion_max_seq_length=32,
        )
    return dict(
        sample_size=16, in_channels=4 + extra, out_channels=4,
        down_block_types=[b.replace("2D", "3D") for b in img["down_block_types"]],
        up_block_types=[b.replace("2D", "3D") for b in img["up_block_types"]],
        block_out_channels=img["block_out_channels"],
        layers_per_block=img["layers_per_block"],
        cross_attention_dim=common.TEXT_DIM,
        attention_head_dim=img["attention_head_dim"],
        norm_num_groups=img["norm_num_groups"],
    )


def prepare(args, log):
    """Latents and caption embeddings, cached beside the clips they come from (not under --work,
    which several data sets' runs may share)."""
    clips_file = os.path.join(args.data, "videos.npz")
    fresh = lambda path: os.path.exists(path) and os.path.getmtime(path) >= os.path.getmtime(clips_file)  # not from older clips
    cache = os.path.join(args.data, f"data_{args.clips}.pt")
    if fresh(cache):
        return torch.load(cache)
    data = np.load(clips_file)
    caps = [str(c) for c in data["captions"][:args.clips]]
    latent_cache = os.path.join(args.data, f"latents_{args.clips}.pt")
    if fresh(latent_cache):
        latents = torch.load(latent_cache)
    else:
        clips = data["clips"][:args.clips]
        vae = train_image.load_vae(os.path.join(common.MODELS, "diffuse-image-64", "vae"))
        n, f = clips.shape[:2]
        lat = train_image.encode_latents(vae, clips.reshape(n * f, *clips.shape[2:]))  # [N*F, 4, 16, 16]
        latents = lat.view(n, f, *lat.shape[1:]).permute(0, 2, 1, 3, 4).contiguous().half()  # [N, 4, F, 16, 16]
        torch.save(latents, latent_cache)
    log(f"latents {tuple(latents.shape)} std {float(latents.float().std()):.3f}")
    te = common.TextEncoder()
    unique = sorted(set(caps)) + [""]
    emb = te.encode(unique)
    index = {c: i for i, c in enumerate(unique)}
    out = dict(latents=latents, emb=emb, ids=torch.tensor([index[c] for c in caps]), empty=len(unique) - 1,
               captions=caps)
    torch.save(out, cache)
    log(f"captions {len(unique) - 1} distinct")
    return out


UNET_CLASS = {"motion": UNetMotionModel, "unet3d": UNet3DConditionModel}
PIPELINE = {"motion": "AnimateDiffPipeline", "unet3d": "TextToVideoSDPipeline"}


def warm_start(unet, path, log):
    """Loads the spatial layers from an image UNet: a diffusers folder (e.g.
    Models/diffuse-image-64/unet) or a train_image.py checkpoint (its EMA)."""
    if os.path.isdir(path):
        spatial = {k: v.float() for k, v in UNet2DConditionModel.from_pretrained(path).state_dict().items()}
        state = dict(step="shipped")
    else:
        while not os.path.exists(path):
            log(f"waiting for {path}")
            time.sleep(30)
        time.sleep(5)
        state = torch.load(path)
        spatial = dict(state["ema"])
    own = unet.state_dict()
    for k, v in spatial.items():  # the 2D transformers' 1x1-conv proj_in/proj_out are Linear in 3D blocks
        if k in own and v.dim() == 4 and own[k].dim() == 2 and v.shape[:2] == own[k].shape:
            spatial[k] = v[:, :, 0, 0]
    conv_in = own["conv_in.weight"]
    if spatial["conv_in.weight"].shape[1] < conv_in.shape[1]:  # coordinate channels: zero weights at first
        padded = torch.zeros_like(conv_in)
        padded[:, :spatial["conv_in.weight"].shape[1]] = spatial["conv_in.weight"]
        spatial["conv_in.weight"] = padded
    result = unet.load_state_dict(spatial, strict=False)
    if result.unexpected_keys:
        raise SystemExit(f"{path}: weights the video UNet does not have: {result.unexpected_keys[:5]}")
    for name, module in unet.named_modules():  # motion modules start as the identity (AnimateDiff)
        if ".motion_modules." in name and name.endswith(".proj_out"):
            torch.nn.init.zeros_(module.weight)
            torch.nn.init.zeros_(module.bias)
    log(f"warm start from {path} (image step {state['step']}): {len(spatial) - len(result.unexpected_keys)} tensors "
        f"loaded, {len(result.missing_keys)} temporal tensors new, unexpected {result.unexpected_keys}")
    return state["step"]


SWAPS = [("left", "right"), ("up", "down"), ("upwards", "downwards"), ("top", "bottom"), ("rising", "falling"),
         ("growing", "shrinking"), ("bigger", "smaller")]


def swap_direction(caption):
    """The caption of the clip played backwards: "from left to right" -> "from right to left",
    "growing" -> "shrinking" ("bouncing" and "rotating" read the same both ways)."""
    table = {a: b for a, b in SWAPS} | {b: a for a, b in SWAPS}
    return re.sub(r"\b(" + "|".join(table) + r")\b", lambda m: table[m.group(1)], caption)


class DirectionProbe:
    """v-MSE on fixed training clips of the four main directions, with their caption and with
    the direction swapped, at fixed noise: the gap (swapped - true) grows once the network reads
    the direction words (0 when it ignores them). Read it at t = 999: from t = 950 down the noisy
    input itself shows where the shape goes (its signal summed over the path), so the words are
    not needed there, while at 999, the first step of sampling, only the words can tell."""

    def __init__(self, latents, captions, te, per_frame, count=16, seed=1234):
        main = re.compile(r"from left to right|from right to left|moving up\b|moving down\b")
        pick = [i for i, c in enumerate(captions) if main.search(c)][:count]
        self.x = latents[pick].float()
        repeat = self.x.shape[2] if per_frame else 1  # UNetMotionModel: embeddings per frame
        self.true = te.encode([captions[i] for i in pick]).repeat_interleave(repeat, dim=0)
        self.swapped = te.encode([swap_direction(captions[i]) for i in pick]).repeat_interleave(repeat, dim=0)
        gen = torch.Generator().manual_seed(seed)
        self.noise = torch.randn(self.x.shape, generator=gen)

    @torch.no_grad()
    def __call__(self, unet, sched, log, step):
        parts = []
        for t in (500, 950, 990, 999):  # at 999, where sampling starts, the input shows nothing of the clip
            tt = torch.full((len(self.x),), t)
            noisy = sched.add_noise(self.x, self.noise, tt)
            target = sched.get_velocity(self.x, self.noise, tt)
            mse = [float(torch.nn.functional.mse_loss(unet(noisy, tt, encoder_hidden_states=e).sample, target))
                   for e in (self.true, self.swapped)]
            parts.append(f"t={t} true {mse[0]:.4f} swapped {mse[1]:.4f} gap {mse[1] - mse[0]:+.4f}")
        log(f"probe step {step}: " + "; ".join(parts))


PHASE_COLOURS = [(40, 140, 60), (200, 50, 50), (160, 60, 160), (60, 90, 200), (230, 140, 20), (90, 90, 90)]


def plot_phases(log_path, png):
    """loss.png of every phase logged in a work folder's train.log, one colour a phase (each
    train_video.py process is one; a step that a resumed phase redoes is drawn in the later one).
    The logged loss is v-MSE, the mean of 20 steps."""
    phase, owner, loss = -1, {}, {}
    for line in open(log_path):
        if "] unet parameters" in line:  # logged once at the start of each process
            phase += 1
        m = re.search(r"\] step (\d+)/\d+ loss ([\d.]+)", line)
        if m:
            owner[int(m.group(1))], loss[int(m.group(1))] = max(phase, 0), float(m.group(2))
    series = [(f"phase {i + 1}", [(s, loss[s]) for s in sorted(loss) if owner[s] == p], PHASE_COLOURS[i % len(PHASE_COLOURS)])
              for i, p in enumerate(sorted(set(owner.values())))]
    common.plot_losses(png, series, "diffuse-video-64 UNet3D: v-MSE (mean of 20 steps) by phase", width=560)


def write_folder(out, guidance, arch="unet3d", coordinates=False):
    train_image.write_pipeline_files(out, PIPELINE[arch], UNET_CLASS[arch].__name__, guidance)
    if coordinates:
        mark_coordinates(out)
    vae = os.path.join(out, "vae")
    if not os.path.lexists(vae):  # lexists: a link that dangles outside Models/ is still there
        os.symlink(os.path.join("..", "diffuse-image-64", "vae"), vae)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--arch", default="unet3d", choices=sorted(UNET_CLASS))
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--minutes", type=float, default=0, help="wall-time cap (0: none); the log names the steps reached")
    p.add_argument("--decay-at", type=int, default=0, help="step of the 10x lr drop (0: at 75%% of --minutes or --steps)")
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--window", type=int, default=8)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--clips", type=int, default=2400)
    p.add_argument("--dropout", type=float, default=0.1)
    p.add_argument("--ema", type=float, default=0.99)
    p.add_argument("--init", default="", help="diffuse-image-64 training checkpoint for the spatial layers")
    p.add_argument("--guidance", type=float, default=0, help="default_guidance_scale written to model_index.json (0: none)")
    p.add_argument("--resume", default="", help="a checkpoint of this recipe (ckpt.pt) to continue from (AdamW restarts)")
    p.add_argument("--full-every", type=int, default=4, help="every n-th step sees whole 16-frame clips (1: all)")
    p.add_argument("--weighting", default="min-snr-5", choices=["min-snr-5", "uniform"])
    p.add_argument("--high-noise", type=float, default=0.0,
                   help="fraction of samples with t in the noisiest part (from --high-from; where the direction is decided)")
    p.add_argument("--high-from", type=float, default=0.6, help="where that noisiest part starts (fraction of the schedule)")
    p.add_argument("--reverse-pairs", action="store_true",
                   help="half of each batch is the other half played backwards, with the reversed caption and the "
                        "same noise reversed: only the caption's words tell the pair apart")
    p.add_argument("--coordinates", action="store_true",
                   help="append x, y and frame ramps to the UNet's input (CoordConv; see the module docstring)")
    p.add_argument("--shape-weight", type=float, default=0.0,
                   help="extra weight of the latent elements on the shape in the loss (0: plain; see shape_weights)")
    p.add_argument("--probe-every", type=int, default=250, help="steps between direction probes")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data", default=common.DATA)
    p.add_argument("--work", default=os.path.join(common.DATA, "video"))
    p.add_argument("--out", default=FOLDER)
    p.add_argument("--export", default="", help="only write this checkpoint's EMA UNet into --out")
    a = p.parse_args()
    common.set_threads(a.threads)
    if a.export:
        step = train_image.export_checkpoint(a.export, a.out, UNET_CLASS[a.arch], unet_config(a.arch, a.coordinates))
        write_folder(a.out, a.guidance, a.arch, a.coordinates)
        print(f"exported step {step} to {a.out}")
        return
    if a.coordinates and a.full_every != 1:
        raise SystemExit("--coordinates needs whole clips (--full-every 1): the frame ramp spans the clip")
    if a.coordinates and a.arch != "unet3d":
        raise SystemExit("--coordinates is for --arch unet3d (Diffuse's AnimateDiff pipeline does not append them)")
    common.seed_all(a.seed)
    os.makedirs(a.work, exist_ok=True)
    log = common.Log(os.path.join(a.work, "train.log"))
    log("train_video.py " + " ".join(sys.argv[1:]))
    d = prepare(a, log)
    latents, emb, ids, empty = d["latents"], d["emb"], d["ids"], d["empty"]
    frames = latents.shape[2]
    if a.reverse_pairs:  # embeddings of the reversed captions follow the originals: id + len(emb)
        names = [""] * len(emb)  # the caption of each row of the table (row `empty` is "")
        for i, c in zip(ids.tolist(), d["captions"]):
            names[i] = c
        reversed_offset = len(emb)
        emb = torch.cat([emb, common.TextEncoder().encode([swap_direction(c) for c in names])])
        log(f"reverse pairs: {sum(swap_direction(c) != c for c in names)} of {len(names)} captions change")

    cls, config = UNET_CLASS[a.arch], unet_config(a.arch, a.coordinates)
    unet = cls(**config)
    init_step = warm_start(unet, a.init, log) if a.init else 0
    ema = cls(**config)
    ema.load_state_dict(unet.state_dict())
    step = train_image.continue_from(a.resume, unet, ema, log) if a.resume else 0
    ema.requires_grad_(False)
    net, ema_net = (CoordinateInput(unet), CoordinateInput(ema)) if a.coordinates else (unet, ema)
    params = sum(p.numel() for p in unet.parameters())
    log(f"unet parameters {params:,}")
    sched = DDPMScheduler(**{k: v for k, v in common.scheduler_config().items()
                             if k in ("num_train_timesteps", "beta_schedule", "beta_start", "beta_end",
                                      "prediction_type")})
    opt = torch.optim.AdamW(unet.parameters(), lr=a.lr, weight_decay=1e-2)
    clock = common.StepClock(a.steps, a.minutes, a.decay_at, log, start=step)
    probe = DirectionProbe(latents, d["captions"], common.TextEncoder(), per_frame=a.arch == "motion")
    probe(net, sched, log, step)
    gen = torch.Generator().manual_seed(a.seed + step)
    losses = []
    while clock.more(step):
        step += 1
        for g in opt.param_groups:
            g["lr"] = a.lr * clock.lr_factor(step)
        full = step % a.full_every == 0
        b = max(1, a.batch // 2) if full else a.batch
        w = frames if full else a.window
        if a.reverse_pairs:
            b = max(1, b // 2)
        idx = torch.randint(0, len(latents), (b,), generator=gen)
        start = int(torch.randint(0, frames - w + 1, (1,), generator=gen))
        x = latents[idx, :, start:start + w].float()  # [B, 4, W, 16, 16]
        cap = ids[idx].clone()
        cap[torch.rand(b, generator=gen) < a.dropout] = empty
        t = noise = None
        if a.reverse_pairs:
            t = train_image.sample_timesteps(b, sched, gen, a.high_noise, a.high_from).repeat(2)
            noise = torch.randn(x.shape, generator=gen)
            x, noise = torch.cat([x, x.flip(2)]), torch.cat([noise, noise.flip(2)])
            cap = torch.cat([cap, torch.where(cap == empty, cap, cap + reversed_offset)])
        cond = emb[cap]
        if a.arch == "motion":  # AnimateDiffPipeline repeats the prompt embeddings per frame
            cond = cond.repeat_interleave(w, dim=0)
        element_weight = shape_weights(x, a.shape_weight) if a.shape_weight else None
        loss, raw = train_image.diffusion_loss(net, x, cond, sched, gen, a.weighting, a.high_noise, a.high_from,
                                               t, noise, element_weight)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
        opt.step()
        train_image.ema_update(ema, unet, min(a.ema, (1 + step) / (10 + step)))
        losses.append((step, raw))
        if step % 20 == 0 or step == 1:
            log(f"step {step}/{a.steps} loss {np.mean([l for _, l in losses[-20:]]):.4f} lr {opt.param_groups[0]['lr']:.2e}")
        if step % a.probe_every == 0:
            probe(ema_net, sched, log, step)
        if step % 100 == 0:
            tmp = os.path.join(a.work, "ckpt.pt.tmp")
            torch.save(dict(unet=unet.state_dict(), ema=ema.state_dict(), step=step), tmp)
            os.replace(tmp, os.path.join(a.work, "ckpt.pt"))

    common.save_fp16(ema, os.path.join(a.out, "unet"))
    write_folder(a.out, a.guidance, a.arch, a.coordinates)
    plot_phases(os.path.join(a.work, "train.log"), os.path.join(a.out, "loss.png"))
    common.write_json(os.path.join(a.work, "summary.json"),
                      dict(steps=step, decay_at=clock.decay_at, batch=a.batch, window=a.window, lr=a.lr, seed=a.seed,
                           clips=len(latents), init_image_step=init_step, coordinates=a.coordinates,
                           shape_weight=a.shape_weight, wall_seconds=log.elapsed(),
                           parameters=params, final_loss=float(np.mean([l for _, l in losses[-100:]]))))
    log("saved", a.out)


if __name__ == "__main__":
    main()
