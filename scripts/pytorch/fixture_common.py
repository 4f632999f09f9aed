"""The one deterministic ResNet-38 test model shared by make_resnet38_golden.py
and make_state_dict_fixture.py, so that both fixtures hold identical weights,
plus the steps both golden scripts share (seeded weight init, inputs, float64
error metadata, deterministic safetensors writing).

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
import argparse
import copy
import math
import os

import torch
import torch.nn as nn

from resnet38_model import ResNet38EPS

SEED = 20210713
WIDTH_DIVISOR = 16
NUM_CLASSES = 20
DEFAULT_OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                            "..", "..", "Tests", "EngineTests", "Fixtures"))


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


def build_fixture_model(width_divisor=WIDTH_DIVISOR, num_classes=NUM_CLASSES, seed=SEED):
    return build_seeded_model(
        lambda: ResNet38EPS(num_outputs=num_classes + 1, width_divisor=width_divisor),
        seed, _conv_std, calib_shape=(4, 3, 48, 44))


@torch.no_grad()
def build_seeded_model(make_model, seed, conv_std, calib_shape, bn_weight_rules=()):
    """make_model() with every weight drawn from one Generator(seed) (see
    initialize_weights), then BN statistics calibrated on a random input of
    calib_shape drawn from the same generator, and the EPS freezing."""
    # Seeds torch's module init (overwritten below) and leaves the global RNG in the
    # state check_against_official.py then draws its input from.
    torch.manual_seed(seed)
    model = make_model()
    g = torch.Generator().manual_seed(seed)
    initialize_weights(model, g, conv_std, bn_weight_rules)
    return calibrate_frozen_bn(model, torch.randn(calib_shape, generator=g), g)


@torch.no_grad()
def initialize_weights(model, g, conv_std, bn_weight_rules=()):
    """Overwrites the state_dict in place, in state_dict order (so the draws from
    `g`, and hence the fixtures, do not depend on torch's module init): fc8
    Xavier-uniform, 4-d conv weights normal with std conv_std(name, weight),
    BN weight U[low, low + width] with (low, width) from the first
    (suffix, low, width) of bn_weight_rules that matches, else U[0.8, 1.2],
    BN bias U[-0.1, 0.1], num_batches_tracked 0. Running stats are left to
    calibrate_frozen_bn."""
    weight_rules = tuple(bn_weight_rules) + ((".weight", 0.8, 0.4),)
    for name, t in model.state_dict().items():  # live tensors
        if name == "fc8.weight":
            fan_out, fan_in = t.shape[0], t.shape[1]
            a = math.sqrt(6.0 / (fan_in + fan_out))
            t.copy_(torch.rand(t.shape, generator=g) * 2 * a - a)
        elif t.dim() == 4:
            t.copy_(torch.randn(t.shape, generator=g) * conv_std(name, t))
        elif name.endswith(".weight"):
            low, width = next((lo, w) for suffix, lo, w in weight_rules if name.endswith(suffix))
            t.copy_(low + width * torch.rand(t.shape, generator=g))
        elif name.endswith(".bias"):
            t.copy_(0.2 * torch.rand(t.shape, generator=g) - 0.1)
        elif name.endswith(".num_batches_tracked"):
            t.zero_()


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


def parse_args_deterministic(doc):
    """The golden scripts' command line (--out DIR) plus the settings that make
    their float32 results byte-reproducible."""
    ap = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    return args


def check_eps_mode(model):
    """Asserts eval mode and that exactly trainable_names() require grad;
    returns trainable_names()."""
    assert not model.training
    trainable = model.trainable_names()
    for n, p in model.named_parameters():  # the EPS freezing
        assert p.requires_grad == (n in set(trainable)), n
    return trainable


def draw_inputs(model, seed, x_shape, **forward_kwargs):
    """x and a grad_cam shaped like cam, from Generator(seed + 1) (seed itself
    made the weights). Needs a no-grad forward for cam's shape; returns
    x, grad_cam and that probe cam (forward_kwargs go to that forward)."""
    g = torch.Generator().manual_seed(seed + 1)
    x = torch.randn(x_shape, generator=g)
    with torch.no_grad():
        _, cam_probe = model(x, **forward_kwargs)
    grad_cam = torch.randn(cam_probe.shape, generator=g)
    return x, grad_cam, cam_probe


def _f64_errors(name, a, b):
    abs_err = (a.double() - b).abs().max().item()
    return {f"f64_abs_err.{name}": repr(abs_err),
            f"f64_rel_err.{name}": repr(abs_err / max(b.abs().max().item(), 1e-300))}


def float64_error_meta(model, x, grad_cam, hook_name, input_grad_name, cam, grads, input_grad):
    """Reruns forward_backward in float64 on the same float32 values and returns
    (metadata, worst): f64_abs_err.<t> = max|f32 - f64| and f64_rel_err.<t> =
    that / max|f64| for t = cam, input_grad_name and every grad.<name>, and the
    largest f64_rel_err over the grad.<name> entries."""
    m64 = copy.deepcopy(model).double()
    cam64, grads64, input_grad64 = forward_backward(m64, x.double(), grad_cam.double(), hook_name)
    err_meta = _f64_errors("cam", cam, cam64)
    err_meta.update(_f64_errors(input_grad_name, input_grad, input_grad64))
    for n in grads:
        err_meta.update(_f64_errors("grad." + n, grads[n], grads64[n]))
    worst_grad_rel = max(float(v) for k, v in err_meta.items() if k.startswith("f64_rel_err.grad."))
    return err_meta, worst_grad_rel


def as_float32(tensors):
    """The exact float32 values written, so the read-back check compares like with like."""
    return {k: v.detach().to(torch.float32).contiguous() for k, v in tensors.items()}


def check_readback(path, tensors, kind):
    """Reads a written file back with the safetensors package as a format check."""
    from safetensors import safe_open

    with safe_open(path, "pt") as f:
        assert set(f.keys()) == set(tensors) and f.metadata()["kind"] == kind
        for k in tensors:
            assert torch.equal(f.get_tensor(k), tensors[k]), k


def network_meta(kind, mode, seed, width_divisor, num_classes):
    """The metadata every whole-network fixture starts with."""
    return {
        "kind": kind,
        "width_divisor": str(width_divisor),
        "num_classes": str(num_classes),
        "num_outputs": str(num_classes + 1),
        "seed": str(seed),
        "torch_version": torch.__version__,
        "dtype": "float32",
        "layout": "NCHW; conv weights [out, in, kh, kw]",
        "mode": mode,
    }


def save_network_fixture(out_dir, file_name, tensors, meta, kind, cam, summary_keys, lines=()):
    """Writes a whole-network fixture, reads it back, and prints its summary: the
    extra `lines`, the float64 errors named by `summary_keys`, the cam's scale."""
    import json

    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, file_name)
    write_safetensors(path, tensors, meta)
    check_readback(path, tensors, kind)
    print(f"wrote {path} ({os.path.getsize(path)} bytes, {len(tensors)} tensors)")
    for line in lines:
        print(line)
    print(json.dumps({k: meta[k] for k in summary_keys}, indent=1))
    print("cam", tuple(cam.shape), "std %.3f max|.| %.3f" % (cam.std().item(), cam.abs().max().item()))
    return path


def read_checkpoint(path):
    """An eps-dist checkpoint's tensors without the `optimizer.*` ones, its metadata, and how many were skipped."""
    from safetensors import safe_open

    tensors, skipped = {}, 0
    with safe_open(path, "pt") as f:
        meta = f.metadata() or {}
        for k in f.keys():
            if k.startswith("optimizer."):
                skipped += 1
            else:
                tensors[k] = f.get_tensor(k)
    return tensors, meta, skipped


def load_checkpoint_strict(model, tensors):
    """Loads checkpoint `tensors` (optimizer.* already removed) into `model` with
    load_state_dict(strict=True): a missing `num_batches_tracked` is filled with 0, floating
    tensors are cast to the model's dtype. Returns the filled names; on a missing, unexpected or
    mis-shaped tensor prints "FAIL: ..." and exits with status 1."""
    expected = model.state_dict()
    filled = []
    for k, v in expected.items():
        if k.endswith(".num_batches_tracked") and k not in tensors:
            tensors[k] = torch.zeros_like(v)
            filled.append(k)
    problems = []
    for k, v in tensors.items():
        if k in expected:
            if tuple(v.shape) != tuple(expected[k].shape):
                problems.append(f"{k}: shape {tuple(v.shape)} in file, {tuple(expected[k].shape)} expected")
            else:
                tensors[k] = v.to(expected[k].dtype)
    if problems:
        print("FAIL: shape mismatch\n  " + "\n  ".join(problems))
        raise SystemExit(1)
    try:
        model.load_state_dict(tensors, strict=True)
    except RuntimeError as e:
        print(f"FAIL: load_state_dict(strict=True): {e}")
        raise SystemExit(1)
    for k, v in tensors.items():  # the values really landed
        assert torch.equal(model.state_dict()[k], v), k
    return filled


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
