"""PyTorch side of `swift run -c release diffuse-bench`: times the same operations.

Usage:
    python tools/bench/bench_torch.py [--warmup N] [--runs N] KEY...
        prints one JSON object: {"torch": version, "threads": 2, "ms": {KEY: median milliseconds}}
    python tools/bench/bench_torch.py --serve [--warmup N] [--runs N]
        prints {"torch": version, "threads": 2}, then answers each KEY read from stdin with one
        line {"key": KEY, "ms": median milliseconds}; diffuse-bench uses this to interleave the
        two sides key by key, so both see the same load on a noisy machine.
The keys and shapes mirror Sources/diffuse-bench/Benchmarks.swift (Stable Diffusion 1.5 at
512×512, batch 2). torch.set_num_threads(2), float32, CPU, no autograd.
"""
import argparse
import json
import re
import sys
import time

import torch
import torch.nn.functional as F


def make(key):
    """Returns a zero-argument callable running the operation named by `key`."""
    g = torch.Generator().manual_seed(0)

    def rnd(*shape, scale=1.0):
        return (torch.rand(*shape, generator=g) * 2 - 1) * scale

    if m := re.fullmatch(r"sgemm_(\d+)x(\d+)x(\d+)", key):
        mm, n, k = map(int, m.groups())
        a, b = rnd(mm, k), rnd(k, n)
        return lambda: torch.mm(a, b)
    if m := re.fullmatch(r"conv2d_(\d+)x(\d+)", key):
        c, s = map(int, m.groups())
        x, w, b = rnd(2, c, s, s), rnd(c, c, 3, 3, scale=0.05), rnd(c)
        return lambda: F.conv2d(x, w, b, padding=1)
    if key in ("attention_cross", "attention_self"):
        lk = 77 if key == "attention_cross" else 4096
        q, k, v = rnd(2, 8, 4096, 40), rnd(2, 8, lk, 40), rnd(2, 8, lk, 40)
        return lambda: F.scaled_dot_product_attention(q, k, v)
    if key == "attention_long":
        q, k, v = rnd(2, 2, 10000, 8), rnd(2, 2, 10000, 8), rnd(2, 2, 10000, 8)
        return lambda: F.scaled_dot_product_attention(q, k, v)
    if key in ("group_norm", "group_norm_silu"):
        x, w, b = rnd(2, 320, 64, 64), rnd(320), rnd(320)
        if key == "group_norm":
            return lambda: F.group_norm(x, 32, w, b, 1e-5)
        return lambda: F.silu(F.group_norm(x, 32, w, b, 1e-5))
    raise SystemExit(f"bench_torch.py: unknown benchmark key {key!r}")


def median_ms(fn, warmup, runs):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(max(1, runs)):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    times.sort()
    return times[len(times) // 2]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--serve", action="store_true")
    parser.add_argument("keys", nargs="*")
    args = parser.parse_args()
    torch.set_num_threads(2)
    header = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    if args.serve:
        print(json.dumps(header), flush=True)
        with torch.inference_mode():
            for line in sys.stdin:
                key = line.strip()
                if key:
                    ms = median_ms(make(key), args.warmup, args.runs)
                    print(json.dumps({"key": key, "ms": ms}), flush=True)
        return
    times = {}
    with torch.inference_mode():
        for key in args.keys:
            times[key] = median_ms(make(key), args.warmup, args.runs)
    json.dump({**header, "ms": times}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
