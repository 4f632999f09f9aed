#!/usr/bin/env python3
"""Checks resnet38_model.ResNet38EPS against the official EPS code (maintainers
only; needs a checkout of github.com/halbielee/EPS, e.g. commit 0c2cdd0):

    python3 scripts/pytorch/check_against_official.py --eps-src /path/to/EPS

At full width (width_divisor 1) it builds the official resnet38_eps.Net(21),
loads our state_dict into it with strict=True (same keys, same order, same
shapes), compares the eval-mode (pred, cam) on a random 1x3x26x22 input, and
compares the set of parameters the official Net.train() override leaves
trainable with ResNet38EPS.trainable_names(). `util.imutils` (only Normalize is
imported by resnet38d.py, and never used) is stubbed.
"""
import argparse
import os
import sys
import types

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_common import build_fixture_model  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--eps-src", required=True, help="folder with network/resnet38d.py, network/resnet38_eps.py")
    args = ap.parse_args()
    stub = types.ModuleType("util.imutils")
    stub.Normalize = type("Normalize", (), {"__init__": lambda self, *a, **k: None})
    sys.modules.setdefault("util", types.ModuleType("util"))
    sys.modules["util.imutils"] = stub
    sys.path.insert(0, args.eps_src)
    import network.resnet38_eps as official

    torch.manual_seed(0)
    mine = build_fixture_model(width_divisor=1)
    off = official.Net(21)
    assert list(off.state_dict()) == list(mine.state_dict()), "state_dict key order differs"
    off.load_state_dict(mine.state_dict(), strict=True)
    off.eval()
    x = torch.randn(1, 3, 26, 22)
    with torch.no_grad():
        p1, c1 = off(x)
        p2, c2 = mine(x)
    diff = (c1 - c2).abs().max().item()
    off.train()  # the official override: BN eval + frozen, conv1a/b2 frozen
    trainable = {n for n, p in off.named_parameters() if p.requires_grad}
    assert trainable == set(mine.trainable_names()), "trainable sets differ"
    print(f"OK: {len(mine.state_dict())} keys match; cam {tuple(c1.shape)} max|diff| {diff:g} "
          f"(max|cam| {c1.abs().max().item():.3g}); {len(trainable)} trainable tensors match")
    return 0 if diff <= 1e-5 * max(c1.abs().max().item(), 1.0) else 1


if __name__ == "__main__":
    sys.exit(main())
