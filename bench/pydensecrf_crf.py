#!/usr/bin/env python3
"""pydensecrf (pip install pydensecrf2) on the picture `eps-dist bench --crf` times:
synth_000000 of `eps-dist synth --seed 0 --scale 1.43`, cropped to 500×375, with
21 and 3 labels, the deeplab and psa parameter sets, 10 iterations; mean of
--repeats runs after one warm-up. The figures for docs/PERFORMANCE.md, not CI.

    python3 bench/pydensecrf_crf.py --image DIR/JPEGImages/synth_000000.jpg [--json FILE]
"""
import argparse
import json
import time

import numpy as np
import pydensecrf.densecrf as dcrf
from PIL import Image
from pydensecrf.utils import unary_from_softmax

PARAMS = {"deeplab": (1, 3, 67, 3, 4), "psa": (3, 3, 80, 13, 10)}  # Sources/DenseCRF/CRFParameters.swift


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--image", required=True)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--json")
    a = ap.parse_args()
    w, h = 500, 375
    rgb = np.ascontiguousarray(np.array(Image.open(a.image).convert("RGB"))[:h, :w])
    rng = np.random.default_rng(0)
    rows = []
    for labels in (21, 3):
        prob = rng.random((labels, h, w)).astype(np.float32)
        prob /= prob.sum(0, keepdims=True)
        for name, (gsxy, gcompat, bsxy, bsrgb, bcompat) in PARAMS.items():
            times = []
            for _ in range(a.repeats + 1):
                t0 = time.perf_counter()
                d = dcrf.DenseCRF2D(w, h, labels)
                d.setUnaryEnergy(unary_from_softmax(prob))
                d.addPairwiseGaussian(sxy=gsxy, compat=gcompat)
                d.addPairwiseBilateral(sxy=bsxy, srgb=bsrgb, rgbim=rgb, compat=bcompat)
                t1 = time.perf_counter()
                np.array(d.inference(10))
                times.append((t1 - t0, time.perf_counter() - t1))
            setup, inference = np.mean(times[1:], axis=0)
            print(f"pydensecrf {name} 500×375, {labels:2d} labels, 10 iterations: {setup + inference:.3f} s per image "
                  f"(setup {setup:.3f} s, mean field {inference:.3f} s)")
            rows.append({"parameters": name, "labels": labels, "seconds_per_image": setup + inference,
                         "setup_seconds": setup, "inference_seconds": inference})
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
