#!/bin/bash
# The video recipe as one command: two data sets and six training phases, each resuming the
# last, from diffuse-image-64's UNet to the weights in Models/diffuse-video-64 (final EMA,
# model_index.json, and loss.png of every phase). About 110 minutes of training on the 2-core
# machine (+3 min to draw both data sets and cache their latents and captions). See the model
# card, "Training".
#
#   PY=/path/to/venv/bin/python bash Models/recipes/train_video.sh [work folder]
set -euo pipefail
cd "$(dirname "$0")"
PY=${PY:-python3}
W=${1:-/work/data/diffuse/video-recipe}
ALL=${ALL:-$W/all}          # every motion, 96% of the captions name the background
MAIN=${MAIN:-$W/main}       # the four main directions only, every caption names the background
OUT=${OUT:-../diffuse-video-64}
mkdir -p "$W" "$ALL" "$MAIN"

# Held-out triples and their opposite directions are left out of both (--holdout-axis).
[ -f "$ALL/videos.npz" ] || $PY data_video.py --count 2400 --seed 17 --holdout-axis --centred-paths \
    --centre-lanes --name-background 0.9 --out "$ALL/videos.npz"
[ -f "$MAIN/videos.npz" ] || $PY data_video.py --count 2400 --seed 18 --holdout-axis --main-directions \
    --centred-paths --centre-lanes --name-background 1.0 --out "$MAIN/videos.npz"

COMMON=(--coordinates --clips 2400 --full-every 1 --weighting uniform --threads 2 --reverse-pairs
        --guidance 7.5 --work "$W" --out "$W/model")
phase() {  # phase NAME DATA ARGS...: train, then keep the phase's checkpoint as ckpt_NAME.pt
    local name=$1 data=$2; shift 2
    echo "== phase $name: $*"
    $PY train_video.py "${COMMON[@]}" --data "$data" "$@" > "$W/stdout_$name.log" 2>&1
    cp "$W/ckpt.pt" "$W/ckpt_$name.pt"
}
# 1. Motion and appearance on every motion: spatial layers from the image UNet, shapes weigh 6x
#    in the loss, 70% of the samples at t >= 800. Batch 16 (8 reverse pairs).
phase 1 "$ALL" --init ../diffuse-image-64/unet --batch 16 --shape-weight 5 --high-noise 0.7 \
    --high-from 0.8 --lr 5e-4 --decay-at 100000 --steps 2400 --seed 21
# 2. The sign of the direction: the four main directions only, every sample at t >= 995, where
#    sampling lays out the clip. Batch 8 (4 reverse pairs) from here on.
phase 2 "$MAIN" --resume "$W/ckpt.pt" --batch 8 --high-noise 1.0 --high-from 0.995 --lr 3e-4 \
    --decay-at 100000 --steps 3400 --seed 22
# 3-4. The same data, shapes weighted again, half the samples at t >= 995 (two commands, as run).
phase 3 "$MAIN" --resume "$W/ckpt.pt" --batch 8 --shape-weight 5 --high-noise 0.5 --high-from 0.995 \
    --lr 3e-4 --decay-at 100000 --steps 4000 --seed 23
phase 4 "$MAIN" --resume "$W/ckpt.pt" --batch 8 --shape-weight 5 --high-noise 0.5 --high-from 0.995 \
    --lr 3e-4 --decay-at 100000 --steps 4400 --seed 25
# 5. The sign again: 70% at t >= 995, no shape weight.
phase 5 "$MAIN" --resume "$W/ckpt.pt" --batch 8 --high-noise 0.7 --high-from 0.995 \
    --lr 3e-4 --decay-at 100000 --steps 5000 --seed 26
# 6. Every motion back, 30% at t >= 995, lr / 10 for the last 400 steps; writes the model.
phase 6 "$ALL" --resume "$W/ckpt.pt" --batch 8 --shape-weight 5 --high-noise 0.3 --high-from 0.995 \
    --lr 2e-4 --decay-at 5700 --steps 6100 --seed 24 --out "$OUT"
