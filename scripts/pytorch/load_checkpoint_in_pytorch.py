#!/usr/bin/env python3
"""Loads an eps-dist ResNet-38 checkpoint into a PyTorch ResNet-38 whose
state_dict names are the official EPS ones (resnet38_model.ResNet38EPS, same
names as network/resnet38d.Net + resnet38_eps.Net), with load_state_dict(strict=True):

    python3 scripts/pytorch/load_checkpoint_in_pytorch.py CHECKPOINT.safetensors \
        [--width-divisor D] [--num-classes C] [--method eps|cam] [--forward]

* Tensors whose names start with `optimizer.` (momentum buffers of step
  checkpoints) are ignored.
* `<bn>.num_batches_tracked` (an int64 PyTorch buffer that eps-dist does not
  keep) is filled with 0 when the file lacks it; the script says how many.
* Defaults come from the checkpoint: num_classes and method from its
  `__metadata__` (eps-dist-checkpoint-1), the width divisor from
  conv1a.weight (64 / out channels; 1 for the real network). fc8 has C + 1
  outputs for method eps, C for cam (the official cls head; same names).
* Floating tensors are cast to the model's float32 (safetensors F16/F64 too).
* --forward also runs one eval-mode forward pass on a random 1x3x64x64 input
  and checks the output is finite.
Prints "OK: loaded N tensors ..." and exits 0; exits 1 on any missing,
unexpected or mis-shaped tensor (listed), 2 on a file that is not ResNet-38.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_common import load_checkpoint_strict, read_checkpoint  # noqa: E402
from resnet38_model import ResNet38EPS  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("--width-divisor", type=int, default=None)
    ap.add_argument("--num-classes", type=int, default=None, help="foreground classes C (VOC 20, COCO 80)")
    ap.add_argument("--method", choices=["eps", "cam"], default=None)
    ap.add_argument("--forward", action="store_true")
    args = ap.parse_args()

    tensors, meta, skipped_opt = read_checkpoint(args.checkpoint)

    if meta.get("arch", "resnet38") != "resnet38" or "conv1a.weight" not in tensors:
        print(f"FAIL: {args.checkpoint} is not a ResNet-38 checkpoint (arch={meta.get('arch')!r}, "
              f"conv1a.weight {'present' if 'conv1a.weight' in tensors else 'absent'})")
        return 2
    method = args.method or meta.get("method", "eps")
    d = args.width_divisor or max(64 // tensors["conv1a.weight"].shape[0], 1)
    if args.num_classes is not None:
        c = args.num_classes
    elif "num_classes" in meta:
        c = int(meta["num_classes"])
    else:
        c = tensors["fc8.weight"].shape[0] - (1 if method == "eps" else 0)
    outputs = c + 1 if method == "eps" else c
    model = ResNet38EPS(num_outputs=outputs, width_divisor=d)
    filled = load_checkpoint_strict(model, tensors)

    if args.forward:
        model.eval()
        with torch.no_grad():
            pred, cam = model(torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0)))
        if not (torch.isfinite(cam).all() and torch.isfinite(pred).all()):
            print("FAIL: forward pass produced non-finite values")
            return 1
        print(f"forward OK: cam {tuple(cam.shape)}, pred {tuple(pred.shape)}")

    print(f"OK: loaded {len(tensors) - len(filled)} tensors from {args.checkpoint} "
          f"(width_divisor {d}, num_classes {c}, method {method}, fc8 outputs {outputs}); "
          f"ignored {skipped_opt} optimizer.* tensors; "
          f"filled {len(filled)} missing num_batches_tracked with 0; strict=True state_dict has {len(model.state_dict())} entries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
