#!/usr/bin/env python3
"""Writes the dense CRF fixtures of Tests/DenseCRFTests/Fixtures with pydensecrf
(the `pydensecrf2` package, which imports as `pydensecrf`; its C++ core is
Krähenbühl's densecrf, built here with the compiler's default flags, i.e. the
SSE lattice path). Needs numpy and pydensecrf2; CI never runs it.

    pip install pydensecrf2
    python3 scripts/pydensecrf/make_crf_fixtures.py

For each case: <case>_rgb.npy (uint8 H×W×3), <case>_prob.npy (float32 M×H×W, the
CRF input "probabilities"), <case>_unary.npy (float32 M×N, unary_from_softmax),
and <case>_<params>_q<n>.npy (float32 M×H×W, Q after n mean-field iterations).
cases.json lists the cases. A "cam" case builds its input as psa/EPS do from
max-normalised class maps: scores = [(1 − max_c v)^alpha, v...], not renormalised
(<case>_cams.npy holds the K maps, float32 K×H×W).
"""
import json
import os

import numpy as np
import pydensecrf.densecrf as dcrf
from pydensecrf.utils import unary_from_softmax

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "DenseCRFTests", "Fixtures")

# Sources/DenseCRF/CRFParameters.swift: (gaussian sxy, compat, bilateral sxy, srgb, compat)
PARAMS = {
    "deeplab": (1, 3, 67, 3, 4),  # deeplab-pytorch configs/voc12.yaml, EPS README
    "psa": (3, 3, 80, 13, 10),  # psa tool/imutils.py crf_inference, scale_factor 1
}
ITERATIONS = [0, 1, 5, 10]
CASES = [
    # name, width, height, labels, kind
    ("blobs32x24", 32, 24, 3, "softmax"),
    # N = 315, not a multiple of 4, and a near-black top-left corner: the simplex around the zero
    # feature vector that pydensecrf's padded last SSE block adds lies next to real vertices.
    ("odd21x15", 21, 15, 4, "softmax"),
    ("cam40x30", 40, 30, 3, "cam"),  # 2 class maps + background (1 − max)^4
]
CAM_ALPHA = 4


def scene(rng, w, h, regions):
    """An image of `regions` coloured discs on a coloured ground plus noise, and the region map."""
    yy, xx = np.mgrid[0:h, 0:w]
    region = np.zeros((h, w), np.int64)
    colours = rng.integers(0, 256, size=(regions, 3))
    for r in range(1, regions):
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        radius = rng.uniform(0.2, 0.45) * min(w, h)
        region[(xx - cx) ** 2 + (yy - cy) ** 2 < radius**2] = r
    rgb = colours[region] + rng.normal(0, 12, size=(h, w, 3))
    return np.clip(np.round(rgb), 0, 255).astype(np.uint8), region


def noisy_probabilities(rng, region, labels):
    """Softmax of logits that favour each pixel's region label, with noise and a blurred bias."""
    h, w = region.shape
    logits = rng.normal(0, 1.0, size=(labels, h, w))
    logits[region % labels, np.arange(h)[:, None], np.arange(w)[None, :]] += 1.2
    p = np.exp(logits - logits.max(0, keepdims=True))
    return (p / p.sum(0, keepdims=True)).astype(np.float32)


def cam_scores(rng, region, classes):
    """K max-normalised class maps (one per region 1..K, blurred and noisy) and psa's scores."""
    h, w = region.shape
    maps = []
    for k in range(1, classes + 1):
        m = (region == k).astype(np.float64) + np.abs(rng.normal(0, 0.25, size=(h, w)))
        m = np.maximum(m, 0)
        maps.append(m / (m.max() + 1e-5))
    v = np.stack(maps).astype(np.float32)
    bg = np.power(1 - np.max(v, 0, keepdims=True), CAM_ALPHA)
    return v, np.concatenate((bg, v), 0).astype(np.float32)


def crf_q(rgb, prob, params, n):
    m, h, w = prob.shape
    gsxy, gcompat, bsxy, bsrgb, bcompat = params
    d = dcrf.DenseCRF2D(w, h, m)
    d.setUnaryEnergy(unary_from_softmax(prob))
    d.addPairwiseGaussian(sxy=gsxy, compat=gcompat)
    d.addPairwiseBilateral(sxy=bsxy, srgb=bsrgb, rgbim=np.ascontiguousarray(np.copy(rgb)), compat=bcompat)
    return np.array(d.inference(n), dtype=np.float32).reshape((m, h, w))


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240613)
    listing = []
    for name, w, h, labels, kind in CASES:
        rgb, region = scene(rng, w, h, labels)
        if w * h % 4:
            rgb[:5, :5] = rng.integers(1, 3, size=(5, 5, 3))
        if kind == "cam":
            cams, prob = cam_scores(rng, region, labels - 1)
            np.save(os.path.join(OUT, f"{name}_cams.npy"), cams)
        else:
            prob = noisy_probabilities(rng, region, labels)
        np.save(os.path.join(OUT, f"{name}_rgb.npy"), rgb)
        np.save(os.path.join(OUT, f"{name}_prob.npy"), prob)
        np.save(os.path.join(OUT, f"{name}_unary.npy"), unary_from_softmax(prob))
        for pname, params in PARAMS.items():
            for n in ITERATIONS:
                np.save(os.path.join(OUT, f"{name}_{pname}_q{n}.npy"), crf_q(rgb, prob, params, n))
        entry = {"name": name, "width": w, "height": h, "labels": labels, "kind": kind}
        if kind == "cam":
            entry["alpha"] = CAM_ALPHA
        listing.append(entry)
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump({"cases": listing, "params": list(PARAMS), "iterations": ITERATIONS}, f, indent=1)
    print("written to", os.path.abspath(OUT))


if __name__ == "__main__":
    main()
