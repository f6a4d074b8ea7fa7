"""PyTorch side of `swift run -c release diffuse-bench --models DIR`: one network, one process.

Usage:
    python tools/bench/bench_models_torch.py --models DIR --case KEY --io FILE [--threads 2]
    python tools/bench/bench_models_torch.py --pipeline audioldm|text2video [--steps 10] [--rounds 3]

Loads the network of benchmark case KEY from DIR (folders written by
tools/bench/make_full_size_models.py; the tiny cases read Tests/Fixtures/tiny-sd), makes its
inputs from a fixed seed, runs one forward pass and writes the inputs and the output to FILE
(safetensors, float32; the text encoder's input_ids as int64), then prints one JSON line
{"torch": version, "threads": n, "load_s": seconds, "parameters": n}. After that it answers
each line read from stdin:
    run N    N forward passes → {"ms": median milliseconds}
    quit     → {"vmhwm_kb": peak resident set of this process (VmHWM, /proc/self/status)}
diffuse-bench alternates these requests with its own runs so both sides see the same load.
Eager mode, torch.inference_mode(), torch.set_num_threads(threads), float32 on the CPU (fp16
checkpoints are loaded with torch_dtype=float32, i.e. widened on load).

--pipeline times one whole diffusers pipeline call on the tiny fixture pipelines
(Tests/Fixtures/tiny-audioldm: 5 s, guidance 2.5; tiny-text2video: 16 frames, guidance 9; fixed
prompt and seed), the model loaded beforehand, and prints the best of --rounds in seconds.

The keys and inputs mirror Sources/diffuse-bench/ModelBenchmarks.swift.
"""
import argparse
import json
import pathlib
import sys
import time

import torch
from safetensors.torch import save_file

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
PROMPTS = ["a photograph of an astronaut riding a horse on the moon, highly detailed", ""]


def vmhwm_kb():
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def unet2d(folder, variant=None):
    from diffusers import UNet2DConditionModel
    return UNet2DConditionModel.from_pretrained(str(folder), variant=variant, torch_dtype=torch.float32).eval()


def build(case, models):
    """(model, inputs: dict of named tensors, forward: inputs → output tensor)."""
    g = torch.Generator().manual_seed(0)
    randn = lambda *shape: torch.randn(*shape, generator=g)
    sd15 = models / "sd15"
    if case.startswith("tiny_unet_") or case.startswith("sd15_unet_"):
        latent = int(case.split("_")[2]) // 8          # the key names the image size; latents are 8× smaller
        if case.startswith("tiny"):
            model, width = unet2d(ROOT / "Tests" / "Fixtures" / "tiny-sd" / "unet"), 16
        else:
            model, width = unet2d(sd15 / "unet", "fp16" if case.endswith("fp16") else None), 768
        inputs = {"sample": randn(2, 4, latent, latent), "encoder_hidden_states": randn(2, 77, width),
                  "timestep": torch.tensor([500.0])}
        return model, inputs, lambda i: model(i["sample"], i["timestep"], encoder_hidden_states=i["encoder_hidden_states"]).sample
    if case == "sd15_vae_decode_512":
        from diffusers import AutoencoderKL
        model = AutoencoderKL.from_pretrained(str(sd15 / "vae"), torch_dtype=torch.float32).eval()
        return model, {"latents": randn(1, 4, 64, 64)}, lambda i: model.decode(i["latents"]).sample
    if case == "sd15_text_encoder":
        from transformers import CLIPTextModel, CLIPTokenizer
        tokenizer = CLIPTokenizer.from_pretrained(str(sd15 / "tokenizer"))
        model = CLIPTextModel.from_pretrained(str(sd15 / "text_encoder"), dtype=torch.float32).eval()
        ids = tokenizer(PROMPTS, padding="max_length", max_length=77, truncation=True, return_tensors="pt").input_ids
        return model, {"input_ids": ids}, lambda i: model(i["input_ids"]).last_hidden_state
    if case == "audioldm_unet_5s":
        # AudioLDMPipeline: 5 s at 16 kHz, hop 160 → 500 mel frames; VAE factor 4 → [8, 125, 16].
        model = unet2d(models / "audioldm-s-full-v2-unet")
        inputs = {"sample": randn(2, 8, 125, 16), "class_labels": randn(2, 512), "timestep": torch.tensor([500.0])}
        return model, inputs, lambda i: model(i["sample"], i["timestep"], encoder_hidden_states=None,
                                              class_labels=i["class_labels"]).sample
    if case in ("unet3d_8f", "t2v_16f_256"):
        from diffusers import AutoencoderKL, UNet3DConditionModel
        frames = 8 if case == "unet3d_8f" else 16
        model = UNet3DConditionModel.from_pretrained(str(models / "text-to-video-ms-1.7b-unet"),
                                                     torch_dtype=torch.float32).eval()
        inputs = {"sample": randn(2, 4, frames, 32, 32), "encoder_hidden_states": randn(2, 77, 1024),
                  "timestep": torch.tensor([500.0])}
        unet = lambda i: model(i["sample"], i["timestep"], encoder_hidden_states=i["encoder_hidden_states"]).sample
        if case == "unet3d_8f":
            return model, inputs, unet
        # One guided denoising step, then TextToVideoSDPipeline.decode_latents (all frames in one
        # batch); SD 1.5's VAE stands in for text-to-video-ms's (same config).
        vae = AutoencoderKL.from_pretrained(str(sd15 / "vae"), torch_dtype=torch.float32).eval()

        def step_and_decode(i):
            latents = unet(i)[:1].permute(0, 2, 1, 3, 4).reshape(frames, 4, 32, 32)
            return vae.decode(latents).sample
        return model, inputs, step_and_decode
    raise SystemExit(f"bench_models_torch.py: unknown case {case!r}")


def time_pipeline(kind, steps, rounds):
    """Best-of-`rounds` seconds of one diffusers pipeline call on a tiny fixture pipeline (loaded
    once, outside the timing), for the end-to-end targets of issues 5 and 6."""
    import diffusers
    if kind == "audioldm":
        pipe = diffusers.AudioLDMPipeline.from_pretrained(str(ROOT / "Tests" / "Fixtures" / "tiny-audioldm"))
        call = lambda: pipe(PROMPTS[0], num_inference_steps=steps, audio_length_in_s=5.0, guidance_scale=2.5,
                            generator=torch.Generator().manual_seed(0))
    elif kind == "text2video":
        pipe = diffusers.TextToVideoSDPipeline.from_pretrained(str(ROOT / "Tests" / "Fixtures" / "tiny-text2video"))
        call = lambda: pipe(PROMPTS[0], num_inference_steps=steps, num_frames=16, guidance_scale=9.0,
                            generator=torch.Generator().manual_seed(0))
    else:
        raise SystemExit(f"bench_models_torch.py: unknown pipeline {kind!r}")
    pipe.set_progress_bar_config(disable=True)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    print(json.dumps({"pipeline": kind, "torch": torch.__version__, "threads": torch.get_num_threads(),
                      "steps": steps, "best_s": min(times), "all_s": times}), flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--models")
    parser.add_argument("--case")
    parser.add_argument("--io")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--pipeline", choices=["audioldm", "text2video"],
                        help="instead: time one whole tiny pipeline call (best of --rounds)")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.pipeline:
        with torch.inference_mode():
            time_pipeline(args.pipeline, args.steps, args.rounds)
        return
    if not (args.models and args.case and args.io):
        parser.error("--models, --case and --io are required (or --pipeline)")
    with torch.inference_mode():
        start = time.perf_counter()
        model, inputs, forward = build(args.case, pathlib.Path(args.models))
        load_s = time.perf_counter() - start
        output = forward(inputs)
        tensors = {k: (v if v.dtype == torch.int64 else v.float()).contiguous() for k, v in inputs.items()}
        tensors["output"] = output.float().contiguous()
        save_file(tensors, args.io)
        parameters = sum(p.numel() for p in model.parameters())
        print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "load_s": load_s,
                          "parameters": parameters}), flush=True)
        for line in sys.stdin:
            words = line.split()
            if not words:
                continue
            if words[0] == "run":
                times = []
                for _ in range(int(words[1]) if len(words) > 1 else 1):
                    start = time.perf_counter()
                    forward(inputs)
                    times.append((time.perf_counter() - start) * 1e3)
                times.sort()
                print(json.dumps({"ms": times[len(times) // 2]}), flush=True)
            elif words[0] == "quit":
                break
    print(json.dumps({"vmhwm_kb": vmhwm_kb()}), flush=True)


if __name__ == "__main__":
    main()
