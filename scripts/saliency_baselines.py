#!/usr/bin/env python3
"""What the saliency maps of a VOC-layout dataset allow, against pseudo-masks (docs/QUALITY.md).

Not CI; numpy and Pillow. For the images of a list, at saliency thresholds 0.3 and 0.5:
- "saliency + ground truth": salient pixels take the ground-truth class where there is an object,
  salient background takes the image's largest class; the ceiling of a method whose masks
  follow the saliency map exactly and split the classes perfectly;
- "saliency + image label": every salient pixel takes the image's first label (what saliency alone
  gives without any localisation), on all images and on the single-class ones.
Then each --masks directory (pseudo-masks, class-index PNGs) scored the same way, split into
single-class and multi-class images.

  python3 scripts/saliency_baselines.py DATA [--list ImageSets/Segmentation/train.txt] [--masks DIR ...]
"""
import argparse
import os
import sys

import numpy as np
from PIL import Image

CLASSES = 21


def confusion(gt, pred):
    valid = gt < 255
    return np.bincount(gt[valid] * CLASSES + np.minimum(pred[valid], CLASSES - 1),
                       minlength=CLASSES * CLASSES).reshape(CLASSES, CLASSES)


def miou(conf):
    """mIoU over the classes present in the ground truth, and the per-class IoU."""
    inter = np.diag(conf).astype(np.float64)
    union = conf.sum(0) + conf.sum(1) - inter
    present = conf.sum(1) > 0
    iou = np.where(union > 0, inter / np.maximum(union, 1), 0)
    return 100 * float(iou[present].mean()), {c: round(100 * float(iou[c]), 1) for c in range(CLASSES) if present[c]}


def read(path, what):
    if not os.path.exists(path):
        sys.exit(f"{path}: no such {what}")
    return np.array(Image.open(path))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("data")
    p.add_argument("--list", default="ImageSets/Segmentation/train.txt")
    p.add_argument("--masks", nargs="*", default=[])
    a = p.parse_args()
    ids = [line.split()[0] for line in open(os.path.join(a.data, a.list)) if line.strip()]
    gts = {i: read(os.path.join(a.data, "SegmentationClassAug", i + ".png"), "ground truth").astype(np.int64)
           for i in ids}
    labels = {i: [c for c in np.unique(g) if 0 < c < 255] for i, g in gts.items()}
    single = sum(len(v) == 1 for v in labels.values())
    print(f"{len(ids)} images, {single} single-class, {len(ids) - single} multi-class")
    for thr in (0.3, 0.5):
        oracle = np.zeros((CLASSES, CLASSES), np.int64)
        label_all = np.zeros_like(oracle)
        label_single = np.zeros_like(oracle)
        for i in ids:
            gt = gts[i]
            sal = read(os.path.join(a.data, "saliency", i + ".png"), "saliency map")
            salient = (sal if sal.ndim == 2 else sal[..., 0]).astype(np.float32) / 255 >= thr
            objects = (gt > 0) & (gt < 255)
            pred = np.zeros_like(gt)
            pred[salient & objects] = gt[salient & objects]
            if labels[i]:
                largest = max(labels[i], key=lambda c: (gt == c).sum())
                pred[salient & ~objects] = largest
            oracle += confusion(gt, pred)
            pred = np.zeros_like(gt)
            if labels[i]:
                pred[salient] = labels[i][0]
            c = confusion(gt, pred)
            label_all += c
            if len(labels[i]) == 1:
                label_single += c
        m, per = miou(oracle)
        print(f"saliency >= {thr}: saliency + ground truth {m:.1f} mIoU {per}")
        print(f"saliency >= {thr}: saliency + image label  {miou(label_all)[0]:.1f} mIoU (all), "
              f"{miou(label_single)[0]:.1f} (single-class images)")
    for d in a.masks:
        conf_single = np.zeros((CLASSES, CLASSES), np.int64)
        conf_multi = np.zeros_like(conf_single)
        for i in ids:
            c = confusion(gts[i], read(os.path.join(d, i + ".png"), "mask").astype(np.int64))
            if len(labels[i]) == 1:
                conf_single += c
            else:
                conf_multi += c
        m1, per1 = miou(conf_single)
        print(f"{d}: {miou(conf_single + conf_multi)[0]:.1f} mIoU (all), {m1:.1f} (single-class images) {per1}, "
              f"{miou(conf_multi)[0]:.1f} (multi-class)")


if __name__ == "__main__":
    main()
