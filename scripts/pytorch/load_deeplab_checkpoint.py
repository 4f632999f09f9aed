#!/usr/bin/env python3
"""Loads an eps-dist DeepLab-v2 checkpoint (seg-train) into a PyTorch DeepLab-v2 whose module
tree and state_dict names are deeplab-pytorch's `DeepLabV2_ResNet101_MSC`
(deeplabv2_model.deeplabv2_msc: `base.layer1.conv1.conv.weight`, ..., `base.aspp.c3.bias`), with
load_state_dict(strict=True):

    python3 scripts/pytorch/load_deeplab_checkpoint.py CHECKPOINT.safetensors \
        [--preset resnet101|resnet50|tiny] [--width-divisor D] [--num-classes C] [--forward]

* Tensors whose names start with `optimizer.` (momentum buffers of step checkpoints) are ignored.
* `<bn>.num_batches_tracked` (an int64 PyTorch buffer eps-dist does not keep) is filled with 0
  when the file lacks it; the script says how many.
* Defaults come from the tensors: the preset from the number of blocks in layer4 (23 resnet101,
  6 resnet50, 1 tiny), the width divisor from the stem's channels (preset stem / channels), the
  classes from base.aspp.c0.weight.
* Floating tensors are cast to float32 (safetensors F16/F64 too).
* --forward also runs one eval-mode MSC forward on a random 1x3x65x65 input and checks it is finite.
Prints "OK: loaded N tensors ..." and exits 0; exits 1 on any missing, unexpected or mis-shaped
tensor (listed), 2 on a file that is not a DeepLab-v2 checkpoint.
"""
import argparse
import os
import re
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deeplabv2_model import PRESETS, deeplabv2_msc  # noqa: E402
from fixture_common import load_checkpoint_strict, read_checkpoint  # noqa: E402

STEM = "base.layer1.conv1.conv.weight"


def infer_preset(names):
    blocks = {int(m.group(1)) for n in names if (m := re.match(r"base\.layer4\.block(\d+)\.", n))}
    count = max(blocks) if blocks else 0
    return next((p for p, spec in PRESETS.items() if spec["blocks"][2] == count), None)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("--preset", choices=sorted(PRESETS), default=None)
    ap.add_argument("--width-divisor", type=int, default=None)
    ap.add_argument("--num-classes", type=int, default=None)
    ap.add_argument("--forward", action="store_true")
    args = ap.parse_args()

    tensors, meta, skipped_opt = read_checkpoint(args.checkpoint)

    preset = args.preset or infer_preset(tensors)
    if STEM not in tensors or "base.aspp.c0.weight" not in tensors or preset is None:
        print(f"FAIL: {args.checkpoint} is not a DeepLab-v2 checkpoint (arch={meta.get('arch')!r}; needs {STEM}, "
              "base.aspp.c0.weight and layer4 blocks of a known preset)")
        return 2
    d = args.width_divisor or max(PRESETS[preset]["stem"] // tensors[STEM].shape[0], 1)
    c = args.num_classes or tensors["base.aspp.c0.weight"].shape[0]
    model = deeplabv2_msc(c, preset, d)
    filled = load_checkpoint_strict(model, tensors)

    if args.forward:
        model.eval()
        with torch.no_grad():
            lmax = model(torch.randn(1, 3, 65, 65, generator=torch.Generator().manual_seed(0)))
        if not torch.isfinite(lmax).all():
            print("FAIL: forward pass produced non-finite values")
            return 1
        print(f"forward OK: lmax {tuple(lmax.shape)}")

    print(f"OK: loaded {len(tensors) - len(filled)} tensors from {args.checkpoint} into DeepLabV2_{preset}_MSC "
          f"(width_divisor {d}, num_classes {c}); ignored {skipped_opt} optimizer.* tensors; "
          f"filled {len(filled)} missing num_batches_tracked with 0; strict=True state_dict has {len(model.state_dict())} entries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
