"""Procedural captioned clips for diffuse-video-64: 16 frames, 64x64, one shape that moves
(left/right/up/down/diagonal, slow or fast), bounces, grows, shrinks or rotates, on a plain
background. Drawn with numpy/PIL from a seed (no external data).

    python Models/recipes/data_video.py --count 6000 --seed 2 --out /work/data/diffuse/videos.npz
    python Models/recipes/data_video.py --write-heldout     # Models/recipes/heldout_video.txt
"""
import argparse
import os
import random

import numpy as np
from PIL import Image

from data_image import COLORS, COLOR_NAMES, SHAPES, SIZE, article, background, composite, jitter, shape_mask

FRAMES = 16
# motion name -> unit direction (dx, dy) in image coordinates (y grows downwards)
DIRECTIONS = {
    "left to right": (1, 0), "right to left": (-1, 0), "up": (0, -1), "down": (0, 1),
    "top left to bottom right": (1, 1), "bottom right to top left": (-1, -1),
    "top right to bottom left": (-1, 1), "bottom left to top right": (1, -1),
}
DIRECTION_PHRASES = {
    "left to right": ["moving from left to right", "moving to the right", "sliding from left to right"],
    "right to left": ["moving from right to left", "moving to the left", "sliding from right to left"],
    "up": ["moving up", "moving upwards", "rising from the bottom to the top"],
    "down": ["moving down", "moving downwards", "falling from the top to the bottom"],
    "top left to bottom right": ["moving diagonally from the top left to the bottom right"],
    "bottom right to top left": ["moving diagonally from the bottom right to the top left"],
    "top right to bottom left": ["moving diagonally from the top right to the bottom left"],
    "bottom left to top right": ["moving diagonally from the bottom left to the top right"],
}
OTHER_MOTIONS = {
    "bouncing": ["bouncing up and down", "bouncing"],
    "growing": ["growing", "getting bigger"],
    "shrinking": ["shrinking", "getting smaller"],
    "rotating": ["rotating", "spinning"],
}
MOTIONS = list(DIRECTIONS) + list(OTHER_MOTIONS)
SPEEDS = {"slow": (18, 24), "fast": (36, 44)}  # pixels travelled over the 16 frames (per axis)
# `--edge-start` (an experiment, see the model card): longer paths that start within 4 px of the
# edge they leave from, so a clip's direction fixes where the shape is in every frame
EDGE_START_SPEEDS, EDGE_START_JITTER = {"slow": (26, 32), "fast": (38, 46)}, 4.0
# `--centre-lanes` (with --edge-start): a left/right path runs along the middle rows and an up/down path
# along the middle columns (within this many px of the centre) instead of anywhere, so that the caption
# fixes where the shape is in every frame up to a few pixels: what the network gains by reading the
# direction is then large against the rest of its error (see the model card)
CENTRE_LANE_JITTER = 4.0
# `--centred-paths` (instead of --edge-start): the edge-start lengths, but every straight path is
# centred on the canvas (within this many px), so a clip played backwards is a clip of the same
# distribution with the opposite direction (train_video.py --reverse-pairs)
CENTRED_PATH_JITTER = 4.0
HELDOUT_SEED = 20240608
NOUNS = {"circle": ["circle", "ball"], "square": ["square", "box"], "triangle": ["triangle"],
         "star": ["star"], "ring": ["ring"]}


def heldout_triples():
    """Fixed (colour, shape, direction) triples never rendered in training."""
    rng = random.Random(HELDOUT_SEED)
    dirs = list(DIRECTIONS)[:4]
    triples = []
    for i, color in enumerate(COLOR_NAMES):
        for j in range(2):
            shape = SHAPES[(i + 2 * j) % len(SHAPES)]
            direction = dirs[(i * 2 + j + rng.randrange(2)) % 4]
            triples.append((color, shape, direction))
    return triples


HELDOUT = set(heldout_triples())


def heldout_prompts():
    """(prompt, colour, shape, direction, background) for evaluation."""
    rng = random.Random(HELDOUT_SEED + 1)
    rows = []
    for color, shape, direction in heldout_triples():
        bg = rng.choice([c for c in COLOR_NAMES if c != color])
        noun = "ball" if shape == "circle" else shape
        phrase = DIRECTION_PHRASES[direction][0]
        rows.append((f"{article(color)} {color} {noun} {phrase} on {article(bg)} {bg} background",
                     color, shape, direction, bg))
    return rows


OPPOSITE = {"left to right": "right to left", "right to left": "left to right", "up": "down", "down": "up"}


def sample_clip(rng, holdout_axis=False, main_directions=False):
    """A random clip's attributes; never a held-out (colour, shape, direction) triple and, with
    `holdout_axis`, not its opposite direction either (the held-out colour and shape then never
    move along that axis in training, so no sign can be learned for them from the other words);
    `main_directions`: only left/right/up/down (a diagnostic data set, see the model card)."""
    while True:
        color = COLOR_NAMES[rng.integers(len(COLOR_NAMES))]
        shape = SHAPES[rng.integers(len(SHAPES))]
        bg = COLOR_NAMES[rng.integers(len(COLOR_NAMES))]
        motion = str(rng.choice(MOTIONS, p=[0.11] * 4 + [0.06] * 4 + [0.08] * 4))
        if main_directions and motion not in OPPOSITE:
            continue
        if bg == color or (color, shape, motion) in HELDOUT:
            continue
        if holdout_axis and (color, shape, OPPOSITE.get(motion)) in HELDOUT:
            continue
        if motion == "rotating" and shape in ("circle", "ring"):
            continue
        break
    speed = str(rng.choice(["slow", "fast"])) if motion in DIRECTIONS else ""
    return dict(color=color, shape=shape, bg=bg, motion=motion, speed=speed)


def render_clip(clip, rng, edge_start=False, centre_lanes=False, centred_paths=False):
    """[16, 64, 64, 3] uint8 frames; `edge_start`: see EDGE_START_SPEEDS; `centre_lanes`: see
    CENTRE_LANE_JITTER; `centred_paths`: see CENTRED_PATH_JITTER."""
    bg_img = background(clip["bg"], "plain", "", rng)
    rgb = jitter(COLORS[clip["color"]], rng)
    motion = clip["motion"]
    r = float(rng.uniform(7, 11))
    t = np.linspace(0, 1, FRAMES)
    angle0 = float(rng.uniform(-0.2, 0.2))
    if motion in DIRECTIONS:
        dx, dy = DIRECTIONS[motion]
        lo, hi = (EDGE_START_SPEEDS if edge_start or centred_paths else SPEEDS)[clip["speed"]]
        dist = float(rng.uniform(lo, hi))
        span = SIZE - 2 * r - 4
        dist = min(dist, span)
        # start so that the whole path stays inside the canvas
        def start(d):
            if d == 0:
                if centre_lanes:
                    return float(rng.uniform(SIZE / 2 - CENTRE_LANE_JITTER, SIZE / 2 + CENTRE_LANE_JITTER))
                return float(rng.uniform(r + 2 + 8, SIZE - r - 2 - 8))
            if centred_paths:
                free = min((span - dist) / 2, CENTRED_PATH_JITTER)
                return SIZE / 2 - d * dist / 2 + float(rng.uniform(-free, free))
            free = min(span - dist, EDGE_START_JITTER) if edge_start else span - dist
            off = float(rng.uniform(0, free)) if free > 0 else 0.0
            return (r + 2 + off) if d > 0 else (SIZE - r - 2 - off)
        x0, y0 = start(dx), start(dy)
        xs, ys = x0 + dx * dist * t, y0 + dy * dist * t
        rs, angles = np.full(FRAMES, r), np.full(FRAMES, angle0)
    elif motion == "bouncing":
        x = float(rng.uniform(r + 4, SIZE - r - 4))
        floor, height = SIZE - r - 2, float(rng.uniform(22, 34))
        bounces = int(rng.integers(1, 3))
        phase = np.abs(np.sin(np.pi * bounces * t + float(rng.uniform(0, 0.5))))
        xs, ys = np.full(FRAMES, x), floor - height * phase
        rs, angles = np.full(FRAMES, r), np.full(FRAMES, angle0)
    elif motion in ("growing", "shrinking"):
        small, large = float(rng.uniform(4, 6)), float(rng.uniform(17, 22))
        rs = small + (large - small) * (t if motion == "growing" else 1 - t)
        cx = float(rng.uniform(24, 40))
        cy = float(rng.uniform(24, 40))
        xs, ys, angles = np.full(FRAMES, cx), np.full(FRAMES, cy), np.full(FRAMES, angle0)
    else:  # rotating
        r = float(rng.uniform(12, 18))
        cx = float(rng.uniform(r + 2, SIZE - r - 2))
        cy = float(rng.uniform(r + 2, SIZE - r - 2))
        turn = float(rng.choice([-1, 1])) * float(rng.uniform(0.6, 1.2)) * np.pi
        xs, ys, rs = np.full(FRAMES, cx), np.full(FRAMES, cy), np.full(FRAMES, r)
        angles = angle0 + turn * t
    frames = np.empty((FRAMES, SIZE, SIZE, 3), np.uint8)
    for f in range(FRAMES):
        m = shape_mask(clip["shape"], float(xs[f]), float(ys[f]), float(rs[f]), float(angles[f]))
        frames[f] = np.clip(composite(bg_img, m, rgb) + 0.5, 0, 255).astype(np.uint8)
    return frames


def caption(clip, rng, name_background=0.0):
    """A caption of `clip`; with `name_background` p, a fraction p of them name the background
    (otherwise about half do): at the first sampling step (t = 999) the network sees nothing of
    the clip, and an unnamed background is most of what it cannot know there, whose error
    drowns what reading the direction words would gain (see the video model card, run 17)."""
    rng = random.Random(int(rng.integers(1 << 31)))
    named = name_background > 0 and rng.random() < name_background  # no draw otherwise: older seeds keep their captions
    c, s, bg, motion, speed = clip["color"], clip["shape"], clip["bg"], clip["motion"], clip["speed"]
    noun = rng.choice(NOUNS[s])
    if motion in DIRECTIONS:
        phrase = rng.choice(DIRECTION_PHRASES[motion])
        if speed and rng.random() < 0.6:
            phrase = rng.choice([f"{speed}ly {phrase}".replace("fastly", "quickly"),
                                 f"{phrase} {'slowly' if speed == 'slow' else 'fast'}"])
    else:
        phrase = rng.choice(OTHER_MOTIONS[motion])
    obj = f"{c} {noun}"
    opts = [f"{article(c)} {obj} {phrase}", f"{article(c)} {obj} {phrase} on {article(bg)} {bg} background",
            f"{article(c)} {obj} {phrase} against {article(bg)} {bg} background"]
    if speed:
        opts.append(f"a {speed} {obj} {phrase}")
    if named:
        opts = [o for o in opts if o.endswith(" background")]
    return rng.choice(opts)


def generate(count, seed, edge_start=False, centre_lanes=False, holdout_axis=False, centred_paths=False,
             main_directions=False, name_background=0.0):
    rng = np.random.default_rng(seed)
    clips = np.empty((count, FRAMES, SIZE, SIZE, 3), np.uint8)
    caps = []
    for i in range(count):
        clip = sample_clip(rng, holdout_axis, main_directions)
        clips[i] = render_clip(clip, rng, edge_start, centre_lanes, centred_paths)
        caps.append(caption(clip, rng, name_background))
    return clips, caps


def write_heldout(path):
    with open(path, "w") as f:
        f.write("# prompt\tcolour\tshape\tdirection\tbackground (held out of training: colour x shape x direction)\n")
        for row in heldout_prompts():
            f.write("\t".join(row) + "\n")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--count", type=int, default=6000)
    p.add_argument("--seed", type=int, default=2)
    p.add_argument("--out", default="/work/data/diffuse/videos.npz")
    p.add_argument("--write-heldout", action="store_true")
    p.add_argument("--preview", default="")
    p.add_argument("--edge-start", action="store_true", help="paths start at the edge they leave from (see above)")
    p.add_argument("--centre-lanes", action="store_true", help="straight paths run through the middle (see above)")
    p.add_argument("--centred-paths", action="store_true", help="straight paths centred on the canvas (see above)")
    p.add_argument("--main-directions", action="store_true", help="only left/right/up/down clips (see sample_clip)")
    p.add_argument("--holdout-axis", action="store_true",
                   help="also hold out the opposite direction of each held-out triple (see sample_clip)")
    p.add_argument("--name-background", type=float, default=0.0,
                   help="fraction of captions that surely name the background (see caption)")
    a = p.parse_args()
    if a.edge_start and a.centred_paths:
        raise SystemExit("--edge-start and --centred-paths place the paths in two different ways: choose one")
    if a.write_heldout:
        write_heldout(os.path.join(os.path.dirname(__file__), "heldout_video.txt"))
        return
    clips, caps = generate(a.count, a.seed, a.edge_start, a.centre_lanes, a.holdout_axis, a.centred_paths,
                           a.main_directions, a.name_background)
    if a.preview:
        n = min(8, a.count)
        strip = clips[:n, ::2].transpose(0, 2, 1, 3, 4).reshape(n * SIZE, 8 * SIZE, 3)
        Image.fromarray(strip).save(a.preview)
        print("\n".join(caps[:n]))
        return
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    np.savez(a.out, clips=clips, captions=np.array(caps))


if __name__ == "__main__":
    main()
