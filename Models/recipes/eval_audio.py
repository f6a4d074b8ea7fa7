"""Prompt-adherence evaluators for diffuse-audio-16k.

  classifier: multinomial logistic regression on simple log-mel statistics (FEATURES below),
              trained on the generated data set (data_audio.py --seed 0), tested on a fresh
              data set (--seed 1) as analysed and after a Griffin-Lim round trip; the weights
              are written to Models/diffuse-audio-16k/eval/classifier.json so an evaluator in
              any language can reuse them.
  register:   librosa.pyin f0 (50-2000 Hz), median over voiced frames: low < 170 Hz,
              middle 170-480 Hz, high > 480 Hz (the MIDI ranges of data_audio.REGISTER_MIDI).
  loudness:   peak of the 50 ms RMS envelope in dBFS; soft/loud threshold calibrated on the data.
  sample:     the model run in Python as the Swift engine runs it (DPMSolverMultistepScheduler
              from scheduler/, CFG with the "" embedding, Griffin-Lim from data_audio_mel), on the
              prompts of heldout_audio.txt over several seeds; the audio is re-analysed with
              the same mel and judged by the three evaluators.

    python eval_audio.py classifier --train /work/data/audio/set0 --test /work/data/audio/set1
    python eval_audio.py sample --seeds 0 1 2 3 --steps 20 --guidance 3 --out /work/data/audio/eval
"""
import argparse
import json
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
CLASSIFIER = os.path.join(MODEL_DIR, "eval", "classifier.json")
HELDOUT = os.path.join(HERE, "heldout_audio.txt")
DEMO = ["a piano playing a low note", "a trumpet playing a high note", "a man saying seven",
        "a low male voice saying seven", "a siren", "a drum beat", "a violin playing a middle note",
        "rain"]
DEMO_LABELS = {"a piano playing a low note": ("piano", "low", "-"),
               "a trumpet playing a high note": ("brass", "high", "-"),
               "a man saying seven": ("speech", "-", "-"), "a low male voice saying seven": ("speech", "-", "-"),
               "a siren": ("effect", "-", "-"), "a drum beat": ("drums", "-", "-"),
               "a violin playing a middle note": ("strings", "middle", "-"), "rain": ("effect", "-", "-")}
COARSE = {f: ("instrument" if f not in ("speech", "effect") else f) for f in M.FAMILIES}


def features(x):
    """[N, 64, frames] normalised log-mel -> [N, 5*64 + 4] features:
    per mel bin: mean, std, max over frames, mean |x[t+1] - x[t]|, and the mean over the
    loudest quarter of frames; per clip: std, max, and fraction above -0.5 of the frame mean
    (mean over bins), and the mean |frame-mean[t+1] - frame-mean[t]|."""
    x = np.asarray(x, np.float32)
    frame = x.mean(axis=1)                                              # [N, frames]
    order = np.argsort(-frame, axis=1)[:, :x.shape[2] // 4]
    loud = np.take_along_axis(x, order[:, None, :], axis=2).mean(axis=2)
    dx = np.abs(np.diff(x, axis=2)).mean(axis=2)
    clip = np.stack([frame.std(axis=1), frame.max(axis=1), (frame > -0.5).mean(axis=1),
                     np.abs(np.diff(frame, axis=1)).mean(axis=1)], axis=1)
    return np.concatenate([x.mean(axis=2), x.std(axis=2), x.max(axis=2), dx, loud, clip], axis=1)


def roundtrip(mel_norm, batch=32, iterations=M.GL_ITERATIONS):
    """Normalised log-mel -> Griffin-Lim audio -> normalised log-mel, as the media a listener gets."""
    out, audio = [], []
    for i in range(0, len(mel_norm), batch):
        wav = M.griffin_lim(M.denormalize(torch.as_tensor(np.asarray(mel_norm[i:i + batch], np.float32))),
                            iterations=iterations)
        audio.append(wav.numpy())
        out.append(M.normalize(M.log_mel(wav)).numpy())
    return np.concatenate(out), np.concatenate(audio)


class Classifier:
    def __init__(self, path=CLASSIFIER):
        c = json.load(open(path))
        self.mean, self.scale = np.array(c["mean"]), np.array(c["scale"])
        self.coef, self.intercept = np.array(c["coef"]), np.array(c["intercept"])
        self.classes = c["classes"]

    def predict(self, mel_norm):
        z = (features(mel_norm) - self.mean) / self.scale
        return [self.classes[i] for i in np.argmax(z @ self.coef.T + self.intercept, axis=1)]


def train_classifier(args):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler
    common.set_threads(1)
    tr = np.load(os.path.join(args.train, "clips.npz"))["mel"].astype(np.float32)
    trm = json.load(open(os.path.join(args.train, "meta.json")))
    te = np.load(os.path.join(args.test, "clips.npz"))["mel"].astype(np.float32)
    tem = json.load(open(os.path.join(args.test, "meta.json")))
    ytr = np.array([m["family"] for m in trm])
    yte = np.array([m["family"] for m in tem])
    # train on the clean mels plus a Griffin-Lim round trip of a subset (robust to vocoder artefacts)
    sub = np.random.default_rng(0).choice(len(tr), size=min(len(tr), args.roundtrip), replace=False)
    xtr, ytr2 = features(tr), ytr
    if len(sub):
        t0 = time.time()
        rt, _ = roundtrip(tr[sub], iterations=args.gl_iterations)
        print(f"round trip of {len(sub)} training clips: {time.time() - t0:.0f} s", flush=True)
        xtr = np.concatenate([xtr, features(rt)])
        ytr2 = np.concatenate([ytr, ytr[sub]])
    scaler = StandardScaler().fit(xtr)
    clf = LogisticRegression(max_iter=3000, C=args.C).fit(scaler.transform(xtr), ytr2)
    os.makedirs(os.path.dirname(CLASSIFIER), exist_ok=True)
    common.write_json(CLASSIFIER, {
        "about": "family classifier for diffuse-audio-16k outputs: eval_audio.py features() of the normalised "
                 "log-mel (mel/mel_config.json), z = (f - mean) / scale, class = argmax(coef @ z + intercept)",
        "classes": list(clf.classes_), "mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist(),
        "coef": clf.coef_.tolist(), "intercept": clf.intercept_.tolist()})
    c = Classifier()
    res = {}
    tsub = np.random.default_rng(1).choice(len(te), size=min(len(te), args.test_roundtrip), replace=False)
    rt_te, audio_te = roundtrip(te[tsub])
    for name, x, y in (("clean", te, yte), ("griffin_lim", rt_te, yte[tsub])):
        p = np.array(c.predict(x))
        res[name] = {"family": float((p == y).mean()),
                     "coarse": float(np.mean([COARSE[a] == COARSE[b] for a, b in zip(p, y)])), "n": len(y)}
        print(name, res[name], flush=True)
    tem = [tem[i] for i in tsub]
    # register and loudness evaluators on the round-tripped test audio (instrument notes only)
    reg_ok, reg_n, loud_db = 0, 0, {"soft": [], "loud": []}
    for i, m in enumerate(tem):
        if m["family"] in ("speech", "effect", "drums"):
            continue
        if m["register"] in M.REGISTERS and reg_n < args.pyin:
            reg_n += 1
            reg_ok += register_of(audio_te[i]) == m["register"]
        loud_db[m["loudness"]].append(peak_db(audio_te[i]))
    thr = 0.5 * (np.median(loud_db["soft"]) + np.median(loud_db["loud"]))
    loud_acc = np.mean([v < thr for v in loud_db["soft"]] + [v >= thr for v in loud_db["loud"]])
    res["register"] = reg_ok / max(1, reg_n)
    res["register_n"] = reg_n
    res["loudness_threshold_db"] = float(thr)
    res["loudness"] = float(loud_acc)
    print(res, flush=True)
    common.write_json(os.path.join(os.path.dirname(CLASSIFIER), "evaluators.json"), res)


def register_of(audio):
    import librosa
    f0, voiced, _ = librosa.pyin(np.asarray(audio, np.float32), fmin=50, fmax=2000, sr=M.SAMPLE_RATE,
                                 frame_length=2048, hop_length=512)
    f = f0[voiced & np.isfinite(f0)]
    if len(f) == 0:
        return "none"
    med = float(np.median(f))
    return "low" if med < 170 else ("middle" if med < 480 else "high")


def peak_db(audio):
    a = np.asarray(audio, np.float64)
    n = int(0.05 * M.SAMPLE_RATE)
    rms = np.sqrt(np.convolve(a * a, np.ones(n) / n, mode="valid"))
    return float(20 * np.log10(rms.max() + 1e-9))


def read_prompts(path=HELDOUT):
    out = []
    for line in open(path):
        if line.strip() and not line.startswith("#"):
            p, fam, reg, loud = [s.strip() for s in line.split("|")]
            out.append((p, fam, reg, loud))
    return out


class Sampler:
    """The Swift engine's loop in Python: DPM-Solver++ 2M from the folder's scheduler config,
    x_T = torch.randn([1, 1, 64, 256], generator=manual_seed(seed)), CFG on [uncond, cond]."""

    def __init__(self, folder=MODEL_DIR, unet=None):
        from diffusers import DPMSolverMultistepScheduler, UNet2DConditionModel
        self.unet = unet or UNet2DConditionModel.from_pretrained(os.path.join(folder, "unet")).float().eval()
        self.sched = DPMSolverMultistepScheduler.from_pretrained(os.path.join(folder, "scheduler"))
        self.text = common.TextEncoder(cache=None)
        self.empty = self.text.encode([""])

    @torch.no_grad()
    def __call__(self, prompts, seeds, steps=20, guidance=3.0):
        """Samples prompts[i] with seeds[i] in one batch (each x_T from its own generator, so a
        batch gives the same clips as one-by-one runs); returns [N, 64, 256] normalised log-mel."""
        n = len(prompts)
        cond = torch.cat([self.empty.expand(n, -1, -1), self.text.encode(list(prompts))])   # [2N, 32, 384]
        x = torch.cat([torch.randn([1, 1, M.N_MELS, M.FRAMES], generator=torch.Generator().manual_seed(s))
                       for s in seeds]) * self.sched.init_noise_sigma                       # [N, 1, 64, 256]
        self.sched.set_timesteps(steps)
        for t in self.sched.timesteps:
            inp = self.sched.scale_model_input(torch.cat([x, x]), t)
            u, c = self.unet(inp, t, encoder_hidden_states=cond).sample.chunk(2)
            x = self.sched.step(u + guidance * (c - u), t, x).prev_sample
        return x[:, 0].numpy()


def sample_eval(args):
    common.set_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    clf = Classifier()
    thr = json.load(open(os.path.join(os.path.dirname(CLASSIFIER), "evaluators.json")))["loudness_threshold_db"]
    unet = None
    if args.checkpoint:
        from train_audio import make_unet
        unet = make_unet().eval()
        unet.load_state_dict(torch.load(args.checkpoint)["ema"])
        unet = unet.half().float()                                     # as shipped: fp16 weights
    s = Sampler(unet=unet)
    sets = [("heldout", read_prompts())]
    if args.demo:
        sets.append(("demo", [(p, *DEMO_LABELS[p]) for p in DEMO]))
    report = {}
    import soundfile as sf
    for name, prompts in sets:
        rows = []
        t0 = time.time()
        for seed in args.seeds:
            mels = s([p for p, *_ in prompts], [seed] * len(prompts), args.steps, args.guidance)
            wavs = M.griffin_lim(M.denormalize(torch.from_numpy(mels))).numpy()     # [N, 65280]
            re_mels = M.normalize(M.log_mel(wavs)).numpy()
            preds = clf.predict(re_mels)
            for (p, fam, reg, loud), mel, wav, pred in zip(prompts, mels, wavs, preds):
                row = {"prompt": p, "seed": seed, "family": fam, "pred": pred, "ok": pred == fam,
                       "coarse_ok": COARSE[pred] == COARSE[fam]}
                if reg in M.REGISTERS:
                    r = register_of(wav)
                    row.update(register=reg, pred_register=r, register_ok=r == reg)
                if loud in ("soft", "loud"):
                    db = peak_db(wav)
                    row.update(loudness=loud, peak_db=db, loudness_ok=(db >= thr) == (loud == "loud"))
                rows.append(row)
                if seed == args.seeds[0]:
                    fn = os.path.join(args.out, f"{name}_{p.replace(' ', '_').replace(',', '')}_s{seed}")
                    sf.write(fn + ".wav", wav, M.SAMPLE_RATE)
                    np.save(fn + ".npy", mel)
                print(f"{name}: {p!r} seed {seed}: {pred} ({'ok' if row['ok'] else 'want ' + fam})"
                      + (f" register {row['pred_register']}/{reg}" if 'register' in row else ""), flush=True)

        def rate(key):
            v = [r[key] for r in rows if key in r]
            return (float(np.mean(v)), len(v)) if v else (None, 0)
        report[name] = {"family": rate("ok"), "coarse": rate("coarse_ok"), "register": rate("register_ok"),
                        "loudness": rate("loudness_ok"), "seconds": time.time() - t0, "rows": rows}
        print(name, {k: v for k, v in report[name].items() if k != "rows"}, flush=True)
    report["settings"] = {"steps": args.steps, "guidance": args.guidance, "seeds": args.seeds,
                          "sampler": "DPMSolverMultistepScheduler (scheduler/)", "vocoder": M.vocoder_config()}
    with open(os.path.join(args.out, "adherence.json"), "w") as f:
        json.dump(report, f, indent=1)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("classifier")
    a.add_argument("--train", default="/work/data/audio/set0")
    a.add_argument("--test", default="/work/data/audio/set1")
    a.add_argument("--roundtrip", type=int, default=200)
    a.add_argument("--gl-iterations", type=int, default=32)
    a.add_argument("--test-roundtrip", type=int, default=200)
    a.add_argument("--pyin", type=int, default=60)
    a.add_argument("--C", type=float, default=0.5)
    b = sub.add_parser("sample")
    b.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    b.add_argument("--steps", type=int, default=20)
    b.add_argument("--guidance", type=float, default=3.0)
    b.add_argument("--threads", type=int, default=1)
    b.add_argument("--demo", action="store_true")
    b.add_argument("--checkpoint", help="evaluate ema.pt from train_audio.py instead of unet/")
    b.add_argument("--out", default="/work/data/audio/eval")
    args = ap.parse_args()
    train_classifier(args) if args.cmd == "classifier" else sample_eval(args)


if __name__ == "__main__":
    main()
