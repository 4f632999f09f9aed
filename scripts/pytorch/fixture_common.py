"""The one deterministic ResNet-38 test model shared by make_resnet38_golden.py
and make_state_dict_fixture.py, so that both fixtures hold identical weights.

build_fixture_model(width_divisor=16, num_classes=20, seed=20210713) returns a
ResNet38EPS (fc8 with num_classes + 1 outputs) in the EPS training mode that the
Swift tests compare against: every BatchNorm in eval mode (frozen), conv1a and
the b2 stage frozen, and model.eval() so Dropout2d is off.

Weights (all drawn from one torch.Generator, in state_dict order, so the result
does not depend on how torch initialises modules):
* conv weights: normal, std = sqrt(2 / fan_in) (He) for the first conv of a
  branch, sqrt(1 / fan_in) for the last conv of a branch and for the projection
  shortcut, so the residual sums stay O(1);
* fc8: Xavier-uniform (as the official head);
* BatchNorm: weight U[0.8, 1.2], bias U[-0.1, 0.1]; running_mean / running_var
  are first calibrated to the per-channel batch statistics of a separate random
  calibration input (so every normalised activation is O(1), like a pretrained
  net), then perturbed: mean += 0.1 * sqrt(var) * N(0, 1), var *= U[0.5, 1.5];
  num_batches_tracked = 0.
"""
import math

import torch
import torch.nn as nn

from resnet38_model import ResNet38EPS

SEED = 20210713
WIDTH_DIVISOR = 16
NUM_CLASSES = 20


def _conv_std(name, weight):
    fan_in = weight.shape[1] * weight.shape[2] * weight.shape[3]
    # ResBlock branch: 2a (first) -> 2b1 (last); bottleneck: 2a, 2b1 -> 2b2 (last).
    if name == "conv1a.weight":
        first = True
    elif name.startswith(("b6.", "b7.")):
        first = name.endswith(("conv_branch2a.weight", "conv_branch2b1.weight"))
    else:
        first = name.endswith("conv_branch2a.weight")
    return math.sqrt((2.0 if first else 1.0) / fan_in)


@torch.no_grad()
def build_fixture_model(width_divisor=WIDTH_DIVISOR, num_classes=NUM_CLASSES, seed=SEED):
    torch.manual_seed(seed)
    model = ResNet38EPS(num_outputs=num_classes + 1, width_divisor=width_divisor)
    g = torch.Generator().manual_seed(seed)
    sd = model.state_dict()  # references to the live tensors
    for name, t in sd.items():
        if name == "fc8.weight":
            fan_out, fan_in = t.shape[0], t.shape[1]
            a = math.sqrt(6.0 / (fan_in + fan_out))
            t.copy_(torch.rand(t.shape, generator=g) * 2 * a - a)
        elif t.dim() == 4:
            t.copy_(torch.randn(t.shape, generator=g) * _conv_std(name, t))
        elif name.endswith(".weight"):
            t.copy_(0.8 + 0.4 * torch.rand(t.shape, generator=g))
        elif name.endswith(".bias"):
            t.copy_(0.2 * torch.rand(t.shape, generator=g) - 0.1)
        elif name.endswith(".num_batches_tracked"):
            t.zero_()
    return calibrate_frozen_bn(model, torch.randn(4, 3, 48, 44, generator=g), g)


@torch.no_grad()
def calibrate_frozen_bn(model, calib, g):
    """BN running statistics from one pass over `calib` in training mode with
    momentum 1 (running = batch statistics), then momentum restored and the
    statistics perturbed; finally eval mode and the EPS freezing."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    for m in bns:
        m.momentum = 1.0
    model.train()
    model.forward_features(calib)
    for m in bns:
        m.momentum = 0.1
        c = m.num_features
        m.running_mean.add_(0.1 * m.running_var.sqrt() * torch.randn(c, generator=g))
        m.running_var.mul_(0.5 + torch.rand(c, generator=g))
        m.num_batches_tracked.zero_()
    model.eval()
    model.freeze_like_eps()
    return model


def forward_backward(model, x, grad_cam, hook_name):
    """Forward + backward in the model's dtype. `hook_name` is the model's
    keyword for the hook on the first trained stage's input. Returns cam,
    {trainable name: grad}, and the gradient w.r.t. that input."""
    captured = {}

    def hook(t):
        t = t.detach().requires_grad_(True)
        captured["input"] = t
        return t

    _, cam = model(x, **{hook_name: hook})
    names = model.trainable_names()
    params = dict(model.named_parameters())
    inputs = [params[n] for n in names] + [captured["input"]]
    grads = torch.autograd.grad((cam * grad_cam).sum(), inputs)
    return cam.detach(), dict(zip(names, grads[:-1])), grads[-1]


def write_safetensors(path, tensors, metadata):
    """Byte-deterministic safetensors writer (the safetensors package orders the
    JSON header through a hash map, so its bytes vary from run to run).
    Header: sorted keys, "__metadata__" first, padded with spaces to a multiple
    of 8; data: float32 little-endian, C-contiguous, in sorted-name order."""
    import json
    import struct

    import numpy as np

    header = {"__metadata__": {k: str(metadata[k]) for k in sorted(metadata)}}
    blobs, offset = [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name].detach().cpu().to(torch.float32).numpy()).astype("<f4")
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":"), ensure_ascii=True).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
