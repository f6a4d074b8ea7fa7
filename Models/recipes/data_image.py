"""Procedural captioned image data for diffuse-image-64 (and frames for the shared VAE).

Everything is drawn with numpy/PIL from a seed: no external data, no licence beyond this
repository's. A scene is one to three shapes (circle, square, triangle, star, ring) of one
colour, at a named position and size, on a plain, striped or dotted background.

    python Models/recipes/data_image.py --count 32000 --seed 1 --out /work/data/diffuse/images.npz
    python Models/recipes/data_image.py --write-heldout      # Models/recipes/heldout_image.txt
"""
import argparse
import os
import random

import numpy as np
from PIL import Image, ImageDraw

SIZE = 64
SUPER = 4  # supersampling factor for anti-aliased edges

COLORS = {
    "red": (220, 30, 35), "green": (35, 165, 60), "blue": (35, 75, 225), "yellow": (240, 220, 40),
    "orange": (245, 140, 25), "purple": (135, 50, 190), "pink": (245, 135, 195), "cyan": (45, 210, 225),
    "white": (245, 245, 245), "black": (20, 20, 20),
}
COLOR_NAMES = list(COLORS)
SHAPES = ["circle", "square", "triangle", "star", "ring"]
PLURAL = {s: s + "s" for s in SHAPES}
COUNTS = {1: "one", 2: "two", 3: "three"}
# name -> (x, y) centre as a fraction of the canvas
POSITIONS = {
    "in the center": (0.5, 0.5), "on the left": (0.25, 0.5), "on the right": (0.75, 0.5),
    "at the top": (0.5, 0.25), "at the bottom": (0.5, 0.75),
    "in the top left corner": (0.25, 0.25), "in the top right corner": (0.75, 0.25),
    "in the bottom left corner": (0.25, 0.75), "in the bottom right corner": (0.75, 0.75),
}
POSITION_NAMES = list(POSITIONS)
SIZES = {"small": (6.5, 8.5), "medium": (10.5, 13.0), "large": (16.0, 19.0)}  # radius in pixels
HELDOUT_SEED = 20240607


def article(word):
    return "an" if word[0] in "aeiou" else "a"


def shape_mask(shape, cx, cy, r, angle=0.0, size=SIZE):
    """Anti-aliased coverage in [0, 1], [size, size] float32, of one shape."""
    s = SUPER
    img = Image.new("L", (size * s, size * s), 0)
    d = ImageDraw.Draw(img)
    X, Y, R = cx * s, cy * s, r * s

    def poly(points):
        ca, sa = np.cos(angle), np.sin(angle)
        return [(X + R * (px * ca - py * sa), Y + R * (px * sa + py * ca)) for px, py in points]

    if shape == "circle":
        d.ellipse([X - R, Y - R, X + R, Y + R], fill=255)
    elif shape == "ring":
        d.ellipse([X - R, Y - R, X + R, Y + R], fill=255)
        q = 0.55 * R
        d.ellipse([X - q, Y - q, X + q, Y + q], fill=0)
    elif shape == "square":
        k = 0.85
        d.polygon(poly([(-k, -k), (k, -k), (k, k), (-k, k)]), fill=255)
    elif shape == "triangle":
        d.polygon(poly([(0, -1.0), (0.95, 0.72), (-0.95, 0.72)]), fill=255)
    elif shape == "star":
        pts = []
        for i in range(10):
            a = -np.pi / 2 + i * np.pi / 5
            rr = 1.0 if i % 2 == 0 else 0.45
            pts.append((rr * np.cos(a), rr * np.sin(a)))
        d.polygon(poly(pts), fill=255)
    else:
        raise ValueError(shape)
    img = img.resize((size, size), Image.BOX)
    return np.asarray(img, dtype=np.float32) / 255.0


def jitter(rgb, rng, amount=12):
    return tuple(int(np.clip(c + rng.integers(-amount, amount + 1), 0, 255)) for c in rgb)


def background(bg, texture, second, rng, size=SIZE):
    """[size, size, 3] float32 background: plain, striped (two colours) or dotted."""
    base = np.array(jitter(COLORS[bg], rng, 8), np.float32)
    out = np.empty((size, size, 3), np.float32)
    out[:] = base
    if texture == "striped":
        period = int(rng.integers(8, 14))
        vertical = rng.random() < 0.5
        idx = np.arange(size)
        stripe = ((idx + int(rng.integers(0, period))) % period) < period // 2
        m = stripe[None, :] if vertical else stripe[:, None]
        m = np.broadcast_to(m, (size, size))
        out[m] = np.array(COLORS[second], np.float32)
    elif texture == "dotted":
        img = Image.new("L", (size * SUPER, size * SUPER), 0)
        d = ImageDraw.Draw(img)
        step = int(rng.integers(9, 13))
        off = int(rng.integers(0, step))
        rad = 1.6 * SUPER
        for y in range(off, size, step):
            for x in range(off + (step // 2 if (y // step) % 2 else 0), size, step):
                d.ellipse([x * SUPER - rad, y * SUPER - rad, x * SUPER + rad, y * SUPER + rad], fill=255)
        m = np.asarray(img.resize((size, size), Image.BOX), np.float32)[..., None] / 255.0
        out = out * (1 - m) + np.array(COLORS[second], np.float32) * m
    return out


def composite(bg_img, mask, rgb):
    return bg_img * (1 - mask[..., None]) + np.array(rgb, np.float32) * mask[..., None]


def heldout_triples():
    """Fixed (colour, shape, background) triples never rendered in training."""
    rng = random.Random(HELDOUT_SEED)
    triples = []
    for i, color in enumerate(COLOR_NAMES):
        for j in range(2):
            shape = SHAPES[(i * 2 + j) % len(SHAPES)]
            bg = rng.choice([c for c in COLOR_NAMES if c != color])
            triples.append((color, shape, bg))
    return triples


HELDOUT = set(heldout_triples())


def heldout_prompts():
    """(prompt, colour, shape, background, position or '') for evaluation."""
    rows = []
    for color, shape, bg in heldout_triples():
        rows.append((f"{article(color)} {color} {shape} on {article(bg)} {bg} background", color, shape, bg, ""))
    rng = random.Random(HELDOUT_SEED + 1)
    for k, (color, shape, bg) in enumerate(heldout_triples()[::2]):
        pos = POSITION_NAMES[1 + k % (len(POSITION_NAMES) - 1)]
        rows.append((f"{article(color)} {color} {shape} {pos} on {article(bg)} {bg} background", color, shape, bg, pos))
    rng.shuffle(rows)
    return rows


def sample_scene(rng):
    """Random scene attributes (numpy Generator); never a held-out triple."""
    while True:
        color = COLOR_NAMES[rng.integers(len(COLOR_NAMES))]
        shape = SHAPES[rng.integers(len(SHAPES))]
        bg = COLOR_NAMES[rng.integers(len(COLOR_NAMES))]
        if bg == color or (color, shape, bg) in HELDOUT:
            continue
        break
    count = int(rng.choice([1, 2, 3], p=[0.7, 0.15, 0.15]))
    size = str(rng.choice(["small", "medium", "large"], p=[0.35, 0.3, 0.35]) if count == 1
               else rng.choice(["small", "medium"]))
    pos = POSITION_NAMES[rng.integers(len(POSITION_NAMES))] if count == 1 else ""
    texture = str(rng.choice(["plain", "striped", "dotted"], p=[0.8, 0.1, 0.1]))
    second = ""
    if texture != "plain":
        second = str(rng.choice([c for c in COLOR_NAMES if c not in (bg, color)]))
    return dict(color=color, shape=shape, bg=bg, count=count, size=size, pos=pos, texture=texture, second=second)


def render(scene, rng):
    """[64, 64, 3] uint8 image of a scene dict."""
    img = background(scene["bg"], scene["texture"], scene["second"], rng)
    lo, hi = SIZES[scene["size"]]
    rgb = jitter(COLORS[scene["color"]], rng)
    centres = []
    for _ in range(scene["count"]):
        r = float(rng.uniform(lo, hi))
        for _attempt in range(50):
            if scene["pos"]:
                fx, fy = POSITIONS[scene["pos"]]
                cx, cy = fx * SIZE + rng.uniform(-4, 4), fy * SIZE + rng.uniform(-4, 4)
            else:
                cx, cy = rng.uniform(r + 2, SIZE - r - 2), rng.uniform(r + 2, SIZE - r - 2)
            cx = float(np.clip(cx, r + 1.5, SIZE - r - 1.5))
            cy = float(np.clip(cy, r + 1.5, SIZE - r - 1.5))
            if all((cx - x) ** 2 + (cy - y) ** 2 > (r + rr + 2) ** 2 for x, y, rr in centres):
                break
        centres.append((cx, cy, r))
        angle = float(rng.uniform(-0.2, 0.2)) if scene["shape"] != "star" else float(rng.uniform(-0.15, 0.15))
        img = composite(img, shape_mask(scene["shape"], cx, cy, r, angle), rgb)
    return np.clip(img + 0.5, 0, 255).astype(np.uint8)


def bg_phrase(scene, rng):
    bg, tex, second = scene["bg"], scene["texture"], scene["second"]
    if tex == "striped":
        return rng.choice([f"on a {bg} and {second} striped background", f"on a striped {bg} and {second} background"])
    if tex == "dotted":
        return rng.choice([f"on {article(bg)} {bg} background with {second} dots", f"on a dotted {bg} background"])
    return rng.choice([f"on {article(bg)} {bg} background", f"on {bg}", f"against {article(bg)} {bg} background"])


def caption(scene, rng):
    """One of several phrasings; attributes left out of the caption are still rendered."""
    rng = random.Random(int(rng.integers(1 << 31)))
    c, s, n = scene["color"], scene["shape"], scene["count"]
    size = scene["size"] if scene["size"] != "medium" else ""
    bgp = bg_phrase(scene, rng)
    if n > 1:
        word = COUNTS[n]
        noun = PLURAL[s]
        opts = [f"{word} {c} {noun} {bgp}", f"{word} {size} {c} {noun}".replace("  ", " "),
                f"{word} {size} {c} {noun} {bgp}".replace("  ", " "), f"{word} {c} {noun}"]
        return rng.choice(opts)
    obj = f"{size} {c} {s}".strip()
    a = article(obj)
    pos = scene["pos"]
    opts = [f"{a} {obj} {bgp}", f"{a} {obj} {pos}", f"{a} {obj} {pos} {bgp}", f"{article(c)} {c} {s} {bgp}",
            f"{article(c)} {c} {s}", f"{a} {obj} {pos}", f"{article(c)} {c} {s} {pos} {bgp}"]
    if scene["texture"] == "plain":
        opts.append(f"{article(scene['bg'])} {scene['bg']} background with {article(c)} {c} {s} {pos}")
    return rng.choice(opts)


def generate(count, seed):
    rng = np.random.default_rng(seed)
    images = np.empty((count, SIZE, SIZE, 3), np.uint8)
    caps = []
    for i in range(count):
        scene = sample_scene(rng)
        images[i] = render(scene, rng)
        caps.append(caption(scene, rng))
    return images, caps


def write_heldout(path):
    with open(path, "w") as f:
        f.write("# prompt\tcolour\tshape\tbackground\tposition (held out of training: colour x shape x background)\n")
        for row in heldout_prompts():
            f.write("\t".join(row) + "\n")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--count", type=int, default=32000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", default="/work/data/diffuse/images.npz")
    p.add_argument("--write-heldout", action="store_true")
    p.add_argument("--preview", default="")
    a = p.parse_args()
    if a.write_heldout:
        write_heldout(os.path.join(os.path.dirname(__file__), "heldout_image.txt"))
        return
    images, caps = generate(a.count, a.seed)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    np.savez(a.out, images=images, captions=np.array(caps))
    if a.preview:
        grid = images[:64].reshape(8, 8, SIZE, SIZE, 3).transpose(0, 2, 1, 3, 4).reshape(8 * SIZE, 8 * SIZE, 3)
        Image.fromarray(grid).save(a.preview)
        print("\n".join(caps[:64]))


if __name__ == "__main__":
    main()
