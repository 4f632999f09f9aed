#!/usr/bin/env python3
"""Makes the reference fixture of the from-scratch `small` network (EPS head)
in training mode, for Tests/EngineTests/SmallNetworkTests.swift.

    python3 scripts/pytorch/make_small_golden.py [--out DIR]

Model (SmallEPS below, state_dict names as Sources/Engine/Networks/Backbones.swift):
nine blocks conv{i} (3x3, no bias, padding = dilation) -> bn{i} (BatchNorm2d,
eps 1e-5, momentum 0.1, trainable affine, TRAINING mode: batch statistics)
-> ReLU; widths 3->16->32->32->64->64->128->128->128->128, strides 2 at
conv2/conv4/conv6, dilation 2 at conv8/conv9 (output stride 8); fc8 1x1 no bias,
21 outputs; every width // WIDTH_DIVISOR (4). Input x [4, 3, 29, 35] -> cam [4, 21, 4, 5].

Outputs: cam; grad.<name> = d sum(cam * grad_cam) / d <name> for every
parameter (convs, BatchNorm weight and bias, fc8); after.<bn>.running_mean /
running_var = the running statistics after that one training forward. The
Swift test runs the batch whole and split over two replicas whose BatchNorm
statistics are summed across them (SyncBatchNorm): both must match this
whole-batch PyTorch BatchNorm.

Weights from torch.Generator(SEED) in state_dict order: conv He-normal
(std sqrt(2 / fan_in)), fc8 Xavier-uniform, bn weight U[0.8, 1.2], bias
U[-0.1, 0.1], running_mean N(0, 0.1), running_var U[0.5, 1.5].
Byte-deterministic (one thread, deterministic algorithms, sorted header).
"""
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_common import (as_float32, check_readback, network_meta,  # noqa: E402
                            parse_args_deterministic, write_safetensors)

SEED = 20210801
WIDTH_DIVISOR = 4  # every width // 4 (16 -> 4 ... 128 -> 32), as the Swift test builds it
NUM_CLASSES = 20
X_SHAPE = (4, 3, 29, 35)
FILE_NAME = "small_w4_eps_train.safetensors"
SPEC = [(3, 16, 1, 1), (16, 32, 2, 1), (32, 32, 1, 1), (32, 64, 2, 1), (64, 64, 1, 1),
        (64, 128, 2, 1), (128, 128, 1, 1), (128, 128, 1, 2), (128, 128, 1, 2)]


class SmallEPS(nn.Module):
    def __init__(self, num_outputs, d=WIDTH_DIVISOR):
        super().__init__()
        for i, (cin, cout, stride, dil) in enumerate(SPEC, 1):
            cin, cout = (cin if cin == 3 else cin // d), cout // d
            setattr(self, f"conv{i}", nn.Conv2d(cin, cout, 3, stride, padding=dil, dilation=dil, bias=False))
            setattr(self, f"bn{i}", nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1))
        self.fc8 = nn.Conv2d(128 // d, num_outputs, 1, bias=False)

    def forward(self, x):
        for i in range(1, len(SPEC) + 1):
            x = F.relu(getattr(self, f"bn{i}")(getattr(self, f"conv{i}")(x)))
        return self.fc8(x)


def initialize(model, g):
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if name.endswith("num_batches_tracked"):
                continue
            if name == "fc8.weight":
                fan_in, fan_out = t.shape[1], t.shape[0]
                bound = math.sqrt(6.0 / (fan_in + fan_out))
                t.copy_(torch.rand(t.shape, generator=g) * 2 * bound - bound)
            elif name.startswith("conv"):
                fan_in = t.shape[1] * t.shape[2] * t.shape[3]
                t.copy_(torch.randn(t.shape, generator=g) * math.sqrt(2.0 / fan_in))
            elif name.endswith(".weight"):
                t.copy_(0.8 + 0.4 * torch.rand(t.shape, generator=g))
            elif name.endswith(".bias"):
                t.copy_(-0.1 + 0.2 * torch.rand(t.shape, generator=g))
            elif name.endswith("running_mean"):
                t.copy_(0.1 * torch.randn(t.shape, generator=g))
            elif name.endswith("running_var"):
                t.copy_(0.5 + torch.rand(t.shape, generator=g))


def main():
    args = parse_args_deterministic(__doc__)
    model = SmallEPS(NUM_CLASSES + 1)
    g = torch.Generator().manual_seed(SEED)
    initialize(model, g)
    params = {k: v.clone() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    x = torch.randn(X_SHAPE, generator=g)
    model.train()
    cam = model(x)
    grad_cam = torch.randn(cam.shape, generator=g)
    names = [n for n, _ in model.named_parameters()]
    grads = torch.autograd.grad((cam * grad_cam).sum(), [p for _, p in model.named_parameters()])
    after = {f"after.{k}": v for k, v in model.state_dict().items() if "running_" in k}

    tensors = {"x": x, "grad_cam": grad_cam, "cam": cam.detach()}
    tensors.update({"param." + k: v for k, v in params.items()})
    tensors.update({"grad." + n: gr for n, gr in zip(names, grads)})
    tensors.update(after)
    tensors = as_float32(tensors)
    meta = network_meta("small_net_train", "every BatchNorm in training mode (batch statistics, momentum 0.1)",
                        SEED, WIDTH_DIVISOR, NUM_CLASSES)
    meta.update({
        "description": "small from-scratch net (see the script), EPS head; cam, grad.* of sum(cam*grad_cam), "
                       "after.* running statistics after one training forward",
        "command": "python3 scripts/pytorch/make_small_golden.py",
    })
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, FILE_NAME)
    write_safetensors(path, tensors, meta)
    check_readback(path, tensors, "small_net_train")
    print(f"wrote {path} ({os.path.getsize(path)} bytes, {len(tensors)} tensors); cam {tuple(cam.shape)} "
          f"std {cam.std().item():.3f}")


if __name__ == "__main__":
    main()
