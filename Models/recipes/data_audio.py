"""Training data for diffuse-audio-16k, made on this machine, deterministic from --seed.

Sources (see Models/diffuse-audio-16k/README.md for licences):
  - instrument notes and phrases rendered by FluidSynth with Debian's fluid-soundfont-gm
    (FluidR3_GM.sf2, MIT): instrument x register x loudness x length, melodies, scales, chords,
    drums on the GM percussion channel;
  - words and numbers spoken by espeak-ng (several voices, pitches and English accents);
  - procedural sounds: sirens, sweeps, beeps, white/pink noise bursts, drum-like hits, rain.
Held-out prompts (Models/recipes/heldout_audio.txt) name instrument x register pairs, voice x
word pairs and phrasings that never occur in the training captions.

Output: <out>/clips.npz with mel [N, 64, 256] float16 (normalised log-mel, data_audio_mel),
and <out>/meta.json (caption, family, register, loudness, length per clip).

    python data_audio.py --seed 0 --out /work/data/audio/set0
"""
import argparse
import json
import os
import random
import re
import struct
import subprocess
import sys
import tempfile

import numpy as np
import soundfile as sf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data_audio_mel as M  # noqa: E402

SF2 = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
SR = M.SAMPLE_RATE
SLOT = 5.0                       # seconds per rendered clip slot in the long MIDI file
HELDOUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "heldout_audio.txt")

# MIDI ranges of the three absolute registers (f0 < ~150 Hz, 180-420 Hz, > 580 Hz)
REGISTER_MIDI = {"low": (36, 50), "middle": (55, 67), "high": (74, 88)}

# name: (family, GM program, caption names, registers it can play)
INSTRUMENTS = {
    "piano": ("piano", 0, ["piano", "grand piano"], ["low", "middle", "high"]),
    "electric piano": ("piano", 4, ["electric piano"], ["low", "middle", "high"]),
    "violin": ("strings", 40, ["violin"], ["middle", "high"]),
    "cello": ("strings", 42, ["cello"], ["low", "middle"]),
    "strings": ("strings", 48, ["string section", "strings"], ["low", "middle", "high"]),
    "trumpet": ("brass", 56, ["trumpet"], ["middle", "high"]),
    "trombone": ("brass", 57, ["trombone"], ["low", "middle"]),
    "french horn": ("brass", 60, ["french horn", "horn"], ["low", "middle"]),
    "tuba": ("brass", 58, ["tuba"], ["low"]),
    "flute": ("woodwind", 73, ["flute"], ["middle", "high"]),
    "clarinet": ("woodwind", 71, ["clarinet"], ["low", "middle", "high"]),
    "oboe": ("woodwind", 68, ["oboe"], ["middle", "high"]),
    "saxophone": ("woodwind", 65, ["saxophone", "sax"], ["low", "middle", "high"]),
    "acoustic guitar": ("guitar", 24, ["acoustic guitar", "guitar"], ["low", "middle", "high"]),
    "electric guitar": ("guitar", 27, ["electric guitar"], ["low", "middle", "high"]),
    "organ": ("organ", 19, ["church organ", "organ"], ["low", "middle", "high"]),
    "electric organ": ("organ", 16, ["electric organ"], ["low", "middle", "high"]),
    "bass guitar": ("bass", 33, ["bass guitar", "bass"], ["low", "middle"]),
    "double bass": ("bass", 32, ["double bass", "upright bass"], ["low", "middle"]),
}

# instrument x register pairs never rendered for training (evaluated in heldout_audio.txt)
HELDOUT_PAIRS = {("violin", "high"), ("trumpet", "middle"), ("flute", "high"), ("acoustic guitar", "low"),
                 ("organ", "high"), ("cello", "middle"), ("clarinet", "low"), ("electric piano", "high")}
HELDOUT_SPEECH = {("female", "seven"), ("male", "four"), ("female", "hello")}

NOTE_TEMPLATES = [
    "a {inst} playing a {reg} note",
    "a {reg} note on the {inst}",
    "a {loud} {reg} {inst} note",
    "{inst}, {reg} pitch, {len} note",
    "a {len} {reg} note played by a {inst}",
    "the {inst} plays a {loud} {len} note",
    "a {inst} note",
    "{inst}",
]
# phrasings used only in heldout_audio.txt: "a {reg} pitched {inst} sound", "a single {inst} tone, {reg}"
REG_WORDS = {"low": ["low"], "middle": ["middle", "medium"], "high": ["high"]}
LOUD_WORDS = {"soft": ["soft", "quiet"], "loud": ["loud"]}
LEN_WORDS = {"short": ["short"], "long": ["long"]}

DRUMS = {  # GM percussion keys
    "kick": ([36], ["a kick drum", "a bass drum hit", "kick drum"]),
    "snare": ([38, 40], ["a snare drum", "a snare drum hit", "snare"]),
    "hihat": ([42, 46], ["a hi-hat", "hi-hat cymbal"]),
    "crash": ([49, 57], ["a cymbal crash", "a crash cymbal"]),
    "toms": ([41, 45, 48, 50], ["toms", "a tom drum"]),
}

WORDS_NUM = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
WORDS_OTHER = ["hello", "yes", "no", "stop", "go", "left", "right", "up", "down", "okay", "goodbye", "music"]
VOICES = {"male": ["m1", "m2", "m3", "m4", "m5", "m6", "m7"], "female": ["f1", "f2", "f3", "f4", "f5"]}
ACCENTS = ["en", "en-us", "en-gb-scotland", "en-029", "en-gb-x-rp"]
SPEECH_TEMPLATES = {
    "male": ["a man saying {w}", "a male voice saying {w}", "a man says {w}", "{w}, spoken by a man"],
    "female": ["a woman saying {w}", "a female voice saying {w}", "a woman says {w}", "{w}, spoken by a woman"],
}


# --------------------------------------------------------------------------- MIDI + FluidSynth

def _varlen(n):
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.insert(0, (n & 0x7F) | 0x80)
        n >>= 7
    return bytes(out)


def write_midi(path, events):
    """events: (time_seconds, bytes) -> format-0 SMF at 1000 ticks per second."""
    events = sorted(events, key=lambda e: (e[0], e[1][0] & 0xF0 == 0x90))
    data, last = bytearray(), 0
    data += _varlen(0) + bytes([0xFF, 0x51, 0x03]) + (500000).to_bytes(3, "big")   # 120 bpm
    for t, msg in events:
        tick = int(round(t * 1000))
        data += _varlen(tick - last) + msg
        last = tick
    data += _varlen(0) + bytes([0xFF, 0x2F, 0x00])
    with open(path, "wb") as f:
        f.write(b"MThd" + struct.pack(">IHHH", 6, 0, 1, 500))           # 500 ticks/beat @120 bpm = 1 ms
        f.write(b"MTrk" + struct.pack(">I", len(data)) + bytes(data))


def render_slots(slots, workdir):
    """slots: list of lists of (start, dur, channel, program, key, velocity) -> [len(slots), NUM_SAMPLES]."""
    events = [(0.0, bytes([0xB0 | ch, 7, 127])) for ch in range(16)]
    for i, notes in enumerate(slots):
        base = i * SLOT
        programs = {}
        for start, dur, ch, prog, key, vel in notes:
            if ch != 9 and programs.get(ch) != prog:
                events.append((base, bytes([0xC0 | ch, prog])))
                programs[ch] = prog
            events.append((base + 0.02 + start, bytes([0x90 | ch, key, vel])))
            events.append((base + 0.02 + start + dur, bytes([0x80 | ch, key, 0])))
    mid, wav = os.path.join(workdir, "all.mid"), os.path.join(workdir, "all.wav")
    write_midi(mid, events)
    subprocess.run(["fluidsynth", "-ni", "-q", "-g", "0.9", "-R", "0", "-C", "0", "-r", str(SR), "-T", "wav",
                    "-O", "s16", "-F", wav, SF2, mid], check=True, stdout=subprocess.DEVNULL)
    audio, sr = sf.read(wav, dtype="float32", always_2d=True)
    assert sr == SR, sr
    audio = audio.mean(axis=1)
    out = np.zeros((len(slots), M.NUM_SAMPLES), np.float32)
    for i in range(len(slots)):
        seg = audio[int(round(i * SLOT * SR)) + int(0.02 * SR):]
        out[i] = M.fit_length(seg[:M.NUM_SAMPLES])
    return out


def instrument_items(rng, count):
    items, names = [], list(INSTRUMENTS)
    while len(items) < count:
        inst = rng.choice(names)
        family, prog, cap_names, regs = INSTRUMENTS[inst]
        reg = rng.choice(regs)
        if (inst, reg) in HELDOUT_PAIRS:
            continue
        lo, hi = REGISTER_MIDI[reg]
        loud = rng.choice(["soft", "loud"])
        vel = rng.randint(30, 50) if loud == "soft" else rng.randint(100, 127)
        start = rng.uniform(0.0, 0.25)
        name = rng.choice(cap_names)
        art = "an" if name[0] in "aeiou" else "a"
        kind = rng.random()
        if kind < 0.7:                                   # one note
            length = rng.choice(["short", "long"])
            dur = rng.uniform(0.25, 0.6) if length == "short" else rng.uniform(1.8, 3.3)
            notes = [(start, dur, 0, prog, rng.randint(lo, hi), vel)]
            t = rng.choice(NOTE_TEMPLATES)
            cap = t.format(inst=name, reg=rng.choice(REG_WORDS[reg]), loud=rng.choice(LOUD_WORDS[loud]),
                           len=rng.choice(LEN_WORDS[length]))
        else:                                            # phrase: melody, scale or chord
            length = "long"
            phrase = rng.choice(["melody", "scale up", "scale down", "chord"])
            if phrase == "chord":
                root = rng.randint(lo, hi - 7)
                notes = [(start, 2.5, 0, prog, root + k, vel) for k in (0, 4, 7)]
                cap = rng.choice([f"a {reg} chord on the {name}", f"{art} {name} playing a chord",
                                  f"a {loud} {name} chord"])
            else:
                n = rng.randint(4, 8)
                step = rng.uniform(0.25, 0.45)
                scale = [0, 2, 4, 5, 7, 9, 11, 12]
                root = rng.randint(lo, max(lo, hi - 12))
                if phrase == "melody":
                    keys = [root + rng.choice(scale) for _ in range(n)]
                    cap = rng.choice([f"{art} {name} playing a melody", f"a short {reg} melody on the {name}",
                                      f"a {loud} {name} tune"])
                else:
                    keys = [root + s for s in scale[:n]]
                    if phrase == "scale down":
                        keys = keys[::-1]
                    word = "rising" if phrase == "scale up" else "falling"
                    cap = rng.choice([f"{art} {name} playing a {word} scale", f"a {word} scale on the {name}"])
                notes = [(start + k * step, step * 0.95, 0, prog, key, vel) for k, key in enumerate(keys)]
        cap = re.sub(r"\ba ([aeiou])", r"an \1", cap)
        items.append(dict(notes=notes, caption=cap, family=family, instrument=inst, register=reg,
                          loudness=loud, length=length, source="fluidsynth"))
    return items


def drum_items(rng, count):
    items = []
    for _ in range(count):
        loud = rng.choice(["soft", "loud"])
        vel = rng.randint(35, 55) if loud == "soft" else rng.randint(100, 127)
        kind = rng.random()
        if kind < 0.45:                                   # beat
            tempo = rng.choice(["slow", "fast"])
            beat = rng.uniform(0.45, 0.6) if tempo == "slow" else rng.uniform(0.2, 0.3)
            notes, t = [], rng.uniform(0, 0.2)
            k = 0
            while t < 3.7:
                notes.append((t, 0.1, 9, 0, 42, max(1, vel - 20)))
                if k % 4 == 0:
                    notes.append((t, 0.1, 9, 0, 36, vel))
                if k % 4 == 2:
                    notes.append((t, 0.1, 9, 0, 38, vel))
                t += beat / 2
                k += 1
            cap = rng.choice([f"a {tempo} drum beat", f"drums playing a {tempo} rhythm", "a drum beat",
                              f"a {loud} drum groove"])
            sub = "beat"
        elif kind < 0.55:                                 # roll
            notes = [(0.1 + 0.07 * k, 0.05, 9, 0, 38, min(127, 40 + 4 * k)) for k in range(30)]
            cap = rng.choice(["a drum roll", "a snare drum roll"])
            sub = "roll"
        else:
            sub = rng.choice(list(DRUMS))
            keys, caps = DRUMS[sub]
            hits = rng.choice([1, 1, 2, 3])
            notes = [(0.1 + 0.6 * k, 0.2, 9, 0, rng.choice(keys), vel) for k in range(hits)]
            cap = rng.choice(caps)
            if hits == 1 and rng.random() < 0.3:
                cap = f"a {loud} " + cap.removeprefix("a ")
        items.append(dict(notes=notes, caption=cap, family="drums", instrument=sub, register="none",
                          loudness=loud, length="long" if sub in ("beat", "roll") else "short",
                          source="fluidsynth"))
    return items


# --------------------------------------------------------------------------- espeak-ng

def speech_items(rng, count):
    items = []
    while len(items) < count:
        gender = rng.choice(["male", "female"])
        words = rng.choice([WORDS_NUM, WORDS_NUM, WORDS_OTHER])
        w = rng.choice(words)
        if (gender, w) in HELDOUT_SPEECH:
            continue
        pitch = rng.choice(["low", "normal", "high"])
        p = {"low": rng.randint(5, 25), "normal": rng.randint(40, 60), "high": rng.randint(75, 95)}[pitch]
        if gender == "female":
            p = min(99, p + 10)
        voice = rng.choice(ACCENTS) + "+" + rng.choice(VOICES[gender])
        speed = rng.randint(130, 190)
        counting = rng.random() < 0.1
        if counting:
            n = rng.randint(3, 6)
            text = " ".join(WORDS_NUM[1:n + 1])
            who = "a man" if gender == "male" else "a woman"
            cap = f"{who} counting to {WORDS_NUM[n]}"
            w = "counting"
        else:
            text = w
            if pitch != "normal" and rng.random() < 0.6:
                g = "male" if gender == "male" else "female"
                cap = f"a {pitch} {g} voice saying {w}"
            else:
                cap = rng.choice(SPEECH_TEMPLATES[gender]).format(w=w)
            if rng.random() < 0.1:
                cap = f"someone saying {w}"
        items.append(dict(espeak=[voice, str(p), str(speed), text], caption=cap, family="speech",
                          instrument=gender, register=pitch if pitch != "normal" else "middle",
                          loudness="loud", length="short", word=w, source="espeak-ng",
                          start=rng.uniform(0.05, 0.4)))
    return items


def render_speech(item, workdir):
    voice, p, speed, text = item["espeak"]
    path = os.path.join(workdir, "s.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-p", p, "-s", speed, "-w", path, text], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import librosa
    x, sr = sf.read(path, dtype="float32")
    x = librosa.resample(x, orig_sr=sr, target_sr=SR)
    x = x / (np.abs(x).max() + 1e-6) * 0.6
    return M.fit_length(np.concatenate([np.zeros(int(item["start"] * SR), np.float32), x]))


# --------------------------------------------------------------------------- procedural sounds

def _env(n, attack, release):
    e = np.ones(n, np.float32)
    a, r = int(attack * SR), int(release * SR)
    if a:
        e[:a] = np.linspace(0, 1, a)
    if r:
        e[-r:] *= np.linspace(1, 0, r)
    return e


def _pink(nr, n):
    spec = np.fft.rfft(nr.standard_normal(n))
    f = np.arange(len(spec))
    spec[1:] /= np.sqrt(f[1:])
    spec[0] = 0
    x = np.fft.irfft(spec, n)
    return (x / (np.abs(x).max() + 1e-9)).astype(np.float32)


def _place(x, start):
    out = np.zeros(M.NUM_SAMPLES, np.float32)
    s = int(start * SR)
    n = min(len(x), M.NUM_SAMPLES - s)
    out[s:s + n] = x[:n]
    return out


def effect_item(rng, nr):
    kind = rng.choice(["siren", "sweep up", "sweep down", "beep", "noise", "hit", "rain"])
    loud = rng.choice(["soft", "loud"])
    amp = rng.uniform(0.08, 0.15) if loud == "soft" else rng.uniform(0.5, 0.8)
    t = np.arange(M.NUM_SAMPLES) / SR
    reg = "none"
    if kind == "siren":
        style = rng.choice(["wail", "yelp"])
        rate = rng.uniform(0.25, 0.5) if style == "wail" else rng.uniform(3, 5)
        lo, hi = rng.uniform(500, 800), rng.uniform(1100, 1600)
        f = lo + (hi - lo) * 0.5 * (1 - np.cos(2 * np.pi * rate * t))
        ph = 2 * np.pi * np.cumsum(f) / SR
        x = np.sin(ph) + 0.4 * np.sin(2 * ph) + 0.2 * np.sin(3 * ph)
        x = x * _env(len(t), 0.05, 0.1)
        cap = rng.choice(["a siren", "a police siren", "an ambulance siren", "a siren wailing", "an emergency siren"])
        length = "long"
    elif kind in ("sweep up", "sweep down"):
        f0, f1 = rng.uniform(100, 300), rng.uniform(2000, 5000)
        if kind == "sweep down":
            f0, f1 = f1, f0
        dur = rng.uniform(1.0, 3.5)
        n = int(dur * SR)
        f = f0 * (f1 / f0) ** (np.arange(n) / n)
        x = np.sin(2 * np.pi * np.cumsum(f) / SR) * _env(n, 0.02, 0.05)
        word = "rising" if kind == "sweep up" else "falling"
        direction = "up" if kind == "sweep up" else "down"
        cap = rng.choice([f"a {word} tone", f"a tone sweeping {direction}", f"a {word} sweep",
                          f"a {word} pitch glide"])
        x = _place(x, rng.uniform(0.05, 0.4))
        length = "long" if dur > 2 else "short"
    elif kind == "beep":
        reg = rng.choice(["low", "high"])
        f = rng.uniform(250, 450) if reg == "low" else rng.uniform(1200, 2500)
        k = rng.choice([1, 1, 2, 3, 4])
        d = rng.uniform(0.1, 0.35)
        x = np.zeros(M.NUM_SAMPLES, np.float32)
        for i in range(k):
            s = int((0.1 + i * (d + 0.25)) * SR)
            n = int(d * SR)
            x[s:s + n] = np.sin(2 * np.pi * f * np.arange(n) / SR) * _env(n, 0.005, 0.01)
        count = {1: "a", 2: "two", 3: "three", 4: "four"}[k]
        noun = "beep" if k == 1 else "beeps"
        cap = rng.choice([f"{count} {noun}", f"{count} {reg} {noun}", f"{count} {reg} pitched {noun}"])
        length = "short"
    elif kind == "noise":
        color = rng.choice(["white", "pink"])
        dur = rng.uniform(0.2, 2.5)
        n = int(dur * SR)
        x = nr.standard_normal(n).astype(np.float32) * 0.4 if color == "white" else _pink(nr, n)
        x = _place(x * _env(n, 0.01, min(0.1, dur / 3)), rng.uniform(0.05, 0.8))
        length = "long" if dur > 1.2 else "short"
        cap = rng.choice([f"a burst of {color} noise", f"{color} noise", f"a {length} burst of {color} noise",
                          "a noise burst", "static noise"])
    elif kind == "hit":
        k = rng.choice([1, 1, 2, 3])
        f0 = rng.uniform(50, 180)
        x = np.zeros(M.NUM_SAMPLES, np.float32)
        for i in range(k):
            n = int(0.5 * SR)
            tt = np.arange(n) / SR
            f = f0 * (1 + 2 * np.exp(-tt * 40))
            y = np.sin(2 * np.pi * np.cumsum(f) / SR) * np.exp(-tt * rng.uniform(6, 14))
            y += 0.3 * nr.standard_normal(n) * np.exp(-tt * 60)
            s = int((0.1 + i * 0.7) * SR)
            x[s:s + n] += y.astype(np.float32)
        cap = rng.choice(["a drum-like hit", "a thump", "a low thud", "a knock", "a synthetic drum hit"])
        length = "short"
    else:                                               # rain
        x = _pink(nr, M.NUM_SAMPLES) * 0.3
        drops = int(rng.uniform(200, 900))
        for _ in range(drops):
            s = int(nr.integers(0, M.NUM_SAMPLES - 200))
            n = 200
            x[s:s + n] += (nr.standard_normal(n) * np.exp(-np.arange(n) / 25)).astype(np.float32) * rng.uniform(0.1, 0.6)
        x = x * _env(len(x), 0.2, 0.2)
        cap = rng.choice(["rain", "rain falling", "rain-like noise", "heavy rain", "rain on a roof"])
        length = "long"
    x = np.asarray(x, np.float32)
    x = x / (np.abs(x).max() + 1e-9) * amp
    if loud == "soft" and rng.random() < 0.4 and not cap.startswith(("a soft", "two", "three", "four")):
        cap = "a quiet " + cap.removeprefix("a ").removeprefix("an ")
    return M.fit_length(x), dict(caption=cap, family="effect", instrument=kind, register=reg,
                                 loudness=loud, length=length, source="procedural")


# --------------------------------------------------------------------------- main

def check_heldout(captions):
    held = [line.strip() for line in open(HELDOUT) if line.strip() and not line.startswith("#")]
    prompts = {line.split("|")[0].strip() for line in held}
    leaked = prompts & set(captions)
    if leaked:
        sys.exit(f"held-out prompts occur in the training captions: {sorted(leaked)}")
    return len(prompts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="/work/data/audio/set0")
    ap.add_argument("--instruments", type=int, default=2400)
    ap.add_argument("--drums", type=int, default=300)
    ap.add_argument("--speech", type=int, default=1000)
    ap.add_argument("--effects", type=int, default=800)
    ap.add_argument("--keep-audio", type=int, default=0, help="also store the first N waveforms (int16)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    nr = np.random.default_rng(args.seed)
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="diffuse-audio-")

    midi_items = instrument_items(rng, args.instruments) + drum_items(rng, args.drums)
    print(f"rendering {len(midi_items)} FluidSynth clips", flush=True)
    audio = [render_slots([it["notes"] for it in midi_items[i:i + 400]], work)
             for i in range(0, len(midi_items), 400)]
    audio = list(np.concatenate(audio))
    meta = [{k: v for k, v in it.items() if k != "notes"} for it in midi_items]
    print(f"rendering {args.speech} espeak-ng clips", flush=True)
    for it in speech_items(rng, args.speech):
        audio.append(render_speech(it, work))
        meta.append({k: v for k, v in it.items() if k not in ("espeak", "start")} | {"voice": it["espeak"][0]})
    print(f"synthesising {args.effects} procedural clips", flush=True)
    for _ in range(args.effects):
        x, m = effect_item(rng, nr)
        audio.append(x)
        meta.append(m)
    audio = np.stack(audio)                                           # [N, NUM_SAMPLES]
    peak = np.abs(audio).max(axis=1)
    print(f"peak: median {np.median(peak):.3f} max {peak.max():.3f}; clipped {(peak >= 0.999).sum()}", flush=True)
    audio = np.clip(audio, -1, 1)
    mels = []
    for i in range(0, len(audio), 256):
        mels.append(M.normalize(M.log_mel(audio[i:i + 256])).numpy())
    mel = np.concatenate(mels)                                        # [N, 64, 256]
    print(f"normalised log-mel: min {mel.min():.3f} max {mel.max():.3f} mean {mel.mean():.3f}", flush=True)
    n_held = check_heldout([m["caption"] for m in meta])
    save = dict(mel=mel.astype(np.float16))
    if args.keep_audio:
        save["audio"] = (audio[:args.keep_audio] * 32767).astype(np.int16)
    np.savez(os.path.join(args.out, "clips.npz"), **save)
    with open(os.path.join(args.out, "meta.json"), "w") as f:
        json.dump(meta, f)
    fams = {}
    for m in meta:
        fams[m["family"]] = fams.get(m["family"], 0) + 1
    print(f"{len(meta)} clips, {len(set(m['caption'] for m in meta))} distinct captions, {n_held} held-out "
          f"prompts checked; families {fams}", flush=True)


if __name__ == "__main__":
    main()
