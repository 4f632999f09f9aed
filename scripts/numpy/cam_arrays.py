#!/usr/bin/env python3
"""The field's CAM file format (official EPS infer.py --cam_npy, PSA): a .npy
holding a pickled dict {0-based class index: H x W float32 map}.

  make-fixture OUT_DIR   write the fixtures eps-dist's tests read (NumPy's own np.save output)
  check DIR [LABELS]     read every <id>.npy in DIR with NumPy, as the official tools do, and check it is
                         a dict of 2-D float32 maps; with LABELS (cls_labels.npy, a label file, or a
                         ground-truth folder of <id>.png), that its keys are exactly the image's classes

Needs numpy; CI never runs this (the fixtures are committed).
"""
import os
import sys

import numpy as np


def fixture_maps(height, width, classes):
    """Deterministic values a test can recompute: class c, pixel (y, x) -> c + y / 16 + x / 256."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    return {c: (np.float32(c) + y / np.float32(16) + x / np.float32(256)).astype(np.float32) for c in classes}


def make_fixture(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    # Python int keys, as infer.py writes them; arrays large enough for BINBYTES (> 255 bytes).
    np.save(os.path.join(out_dir, "cam_dict_numpy.npy"), fixture_maps(5, 7, [2, 11, 19]))
    # NumPy integer keys (np.nonzero's), which some forks write.
    d = {np.int64(c): v for c, v in fixture_maps(3, 4, [0, 6]).items()}
    np.save(os.path.join(out_dir, "cam_dict_numpy_int64_keys.npy"), d)
    print("wrote", out_dir, "numpy", np.__version__)


def read_labels(path):
    if os.path.isdir(path):  # ground truth: the classes present (PNG value c + 1 is class c)
        from PIL import Image
        return {f[:-4]: sorted(int(v) - 1 for v in np.unique(np.array(Image.open(os.path.join(path, f))))
                               if v not in (0, 255))
                for f in os.listdir(path) if f.endswith(".png")}
    if path.endswith(".npy"):
        return {k: [int(i) for i in np.nonzero(v)[0]] for k, v in np.load(path, allow_pickle=True).item().items()}
    out = {}
    for line in open(path):
        parts = line.split()
        if parts:
            out[parts[0]] = [int(i) for i in parts[1:]]
    return out


def check(directory, labels_path=None):
    labels = read_labels(labels_path) if labels_path else None
    files = sorted(f for f in os.listdir(directory) if f.endswith(".npy"))
    assert files, f"no .npy in {directory}"
    for f in files:
        d = np.load(os.path.join(directory, f), allow_pickle=True).item()
        assert isinstance(d, dict), f"{f}: {type(d)} is not a dict"
        shapes = {v.shape for v in d.values()}
        assert len(shapes) <= 1, f"{f}: maps of several shapes {shapes}"
        for k, v in d.items():
            assert isinstance(k, int), f"{f}: key {k!r} is not an int"
            assert v.dtype == np.float32 and v.ndim == 2, f"{f}: class {k}: {v.dtype} {v.shape}"
            assert np.isfinite(v).all() and v.max() <= 1.0 + 1e-6, f"{f}: class {k}: values out of range"
        if labels is not None:
            expected = labels[f[:-4]]
            assert sorted(d.keys()) == sorted(expected), f"{f}: keys {sorted(d.keys())}, labels {expected}"
    print(f"ok: {len(files)} file(s) in {directory} read by NumPy {np.__version__} as dicts of float32 maps"
          + (" with exactly the image's classes" if labels is not None else ""))


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "make-fixture":
        make_fixture(sys.argv[2])
    elif len(sys.argv) >= 3 and sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    else:
        sys.exit(__doc__)
