"""Exports eval_image.py's shape classifier as JSON, so the Swift evaluators (Sources/Evaluators)
judge generated images without Python, as eval_audio.py already does for its family classifier
(Models/diffuse-audio-16k/eval/classifier.json).

The classifier is eval_image.cached_shape_classifier for the model's VAE: the pickled one in
$DIFFUSE_DATA/shape_classifier.pkl when it was trained through this very VAE file, else a fresh
train_shape_classifier (seed 7, 1500 renders) that is cached there too. Re-run after the VAE
changes; the JSON records which VAE file (size and SHA-256) it was trained through.

    python Models/recipes/export_eval_classifiers.py [--model Models/diffuse-image-64]

Output: <model>/eval/shape_classifier.json with
  classes    the shape names in class order (data_image.SHAPES),
  coef       [5, 403] and intercept [5]: class = argmax(coef @ features + intercept) over
             eval_image.mask_features (20x20 bilinear crop of the mask's bounding box, then fill,
             centre and aspect), probabilities = softmax of the same logits,
  crop, mask_threshold: the constants of mask_features and object_mask.
"""
import argparse
import hashlib
import os

import numpy as np
import torch

import common
import data_image as D
import eval_image as E


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def export_shape_classifier(model):
    from diffusers import AutoencoderKL
    weights = os.path.join(model, "vae", "diffusion_pytorch_model.safetensors")
    vae = AutoencoderKL.from_pretrained(os.path.join(model, "vae"), torch_dtype=torch.float32).eval()
    clf = E.cached_shape_classifier(vae, weights)
    classes = [D.SHAPES[int(c)] for c in clf.classes_]
    coef = np.asarray(clf.coef_, np.float64)
    intercept = np.asarray(clf.intercept_, np.float64)
    assert coef.shape == (len(classes), E.CROP * E.CROP + 3), coef.shape
    out = os.path.join(model, "eval", "shape_classifier.json")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    common.write_json(out, {
        "about": "shape classifier of Models/recipes/eval_image.py for diffuse-image-64 outputs: "
                 "features = mask_features(object_mask(image)) (the mask's bounding-box crop resized to "
                 "crop x crop with PIL bilinear, / 255, row-major, then fill, centre and aspect), "
                 "class = argmax(coef @ features + intercept), probabilities = softmax of the same",
        "classes": classes,
        "crop": E.CROP,
        "mask_threshold": 55.0,
        "coef": coef.tolist(),
        "intercept": intercept.tolist(),
        "trained_through_vae": {"file": os.path.relpath(weights, common.REPO), "bytes": os.path.getsize(weights),
                                "sha256": sha256(weights)},
    })
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default=os.path.join(common.MODELS, "diffuse-image-64"))
    a = p.parse_args()
    common.set_threads(1)
    print(export_shape_classifier(a.model))


if __name__ == "__main__":
    main()
