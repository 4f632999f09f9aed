#!/usr/bin/env python3
"""Makes the EfficientNet-Lite0 + EPS-head reference fixture for Tests/EngineTests.

    python3 scripts/pytorch/make_lite0_golden.py [--out DIR] [--check-package WEIGHTS.pth]

Model: lite0_model.Lite0EPS(num_outputs=21, width_divisor=8, output_stride=16)
(the state_dict names of PyPI efficientnet-lite-pytorch 0.1.0; the last
stride-2 stage at stride 1, dilated 2), built with a fixed seed in the mode the
Swift test compares: every BatchNorm in eval mode (running stats, eps 1e-3,
frozen affine), the stem and blocks 0-2 frozen.
Input x [2, 3, 93, 99]: odd sides, so the static "SAME" padding of the port
((0, 1) for 3x3/2, (1, 2) for 5x5/2) is exercised off the 224 grid; stem 46x50
-> stage 2 23x25 -> stage 3 11x12 -> stage 4 5x6 -> (stride 1, dilation 2) 5x6,
cam [2, 21, 5, 6]. Backward: the vector-Jacobian product of sum(cam * grad_cam)
for a random grad_cam w.r.t. every trainable conv weight (expand, depthwise,
project convs of blocks 3-15, _conv_head, fc8) and the input of block 3.

--check-package: first proves lite0_model equal to the PyPI port on the real
weights (strict load, max |logit difference| printed; needs the
efficientnet_lite_pytorch package importable).

One file (~1 MB): lite0_w8_eps.safetensors with x, grad_cam, cam,
param.<name>, grad.<name>, grad_block3_input, and metadata as the ResNet-50 one
(float32 error against a float64 rerun: f64_abs_err.<t>, f64_rel_err.<t>).

Seed: the first from 20240516 on whose float32 gradients agree with a float64
rerun within 1e-4 relative (first_stable_seed: some seeds put a ReLU6 input
within rounding of its kink, where float32 implementations may differ).
Weights (one torch.Generator, state_dict order, fixture_common.build_seeded_model):
convs normal with std sqrt(2 / fan_in) when ReLU6 follows (stem, expand,
depthwise, head), sqrt(1 / fan_in) for the project convs; BN weight U[0.8, 1.2]
except _bn2 of each block (the residual branch's last BN) U[0.4, 0.6]; running
statistics calibrated on a separate random [4, 3, 93, 99] input, then perturbed.
"""
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_common import (as_float32, build_seeded_model, check_eps_mode, save_network_fixture,  # noqa: E402
                            draw_inputs, float64_error_meta, forward_backward, network_meta,
                            DEFAULT_OUT)
from lite0_model import Lite0EPS, check_against_package  # noqa: E402

SEED = 20240516
WIDTH_DIVISOR = 8
OUTPUT_STRIDE = 16
NUM_CLASSES = 20
X_SHAPE = (2, 3, 93, 99)
FILE_NAME = "lite0_w8_eps.safetensors"
HOOK = "first_trained_hook"


def _conv_std(name, weight):
    fan_in = weight.shape[1] * weight.shape[2] * weight.shape[3]
    return math.sqrt((1.0 if name.endswith("_project_conv.weight") else 2.0) / fan_in)


def build_fixture_model(seed):
    return build_seeded_model(
        lambda: Lite0EPS(num_outputs=NUM_CLASSES + 1, width_divisor=WIDTH_DIVISOR, output_stride=OUTPUT_STRIDE),
        seed, _conv_std, calib_shape=(4,) + X_SHAPE[1:], bn_weight_rules=[("._bn2.weight", 0.4, 0.2)])


def first_stable_seed(tries=40, tolerance=1e-4):
    """The first seed from SEED on whose float32 gradients agree with float64
    within `tolerance` (relative to max|grad|): with 16 narrow blocks some
    seeds put a ReLU6 input within rounding of 0, where float32 and float64
    (and hence eps-dist) take different sides of the kink and a gradient
    differs by percent. Returns (seed, model, x, grad_cam, shapes, cam, grads,
    input grad, error metadata, worst relative gradient error)."""
    for seed in range(SEED, SEED + tries):
        model = build_fixture_model(seed)
        shapes = []
        x, grad_cam, cam_probe = draw_inputs(model, seed, X_SHAPE, shapes=shapes)
        cam, grads, grad_in = forward_backward(model, x, grad_cam, HOOK)
        assert torch.equal(cam, cam_probe)
        err_meta, worst = float64_error_meta(model, x, grad_cam, HOOK, "grad_block3_input", cam, grads, grad_in)
        worst = max(worst, float(err_meta["f64_rel_err.grad_block3_input"]))
        print(f"seed {seed}: worst float32-vs-float64 gradient error {worst:.2e}")
        if worst <= tolerance:
            return seed, model, x, grad_cam, shapes, cam, grads, grad_in, err_meta, worst
    raise RuntimeError(f"no seed in {SEED}..{SEED + tries - 1} keeps float32 within {tolerance} of float64")


def main():
    import argparse
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--check-package", metavar="WEIGHTS.pth")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    if args.check_package:
        print("lite0_model vs efficientnet_lite_pytorch, max |logit diff|:", check_against_package(args.check_package))

    seed, model, x, grad_cam, shapes, cam, grads, grad_in, err_meta, worst_grad_rel = first_stable_seed()
    trainable = check_eps_mode(model)
    frozen = [n for n, p in model.named_parameters() if not p.requires_grad]

    tensors = {"x": x, "grad_cam": grad_cam, "cam": cam, "grad_block3_input": grad_in}
    tensors.update({"param." + k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")})
    tensors.update({"grad." + k: v for k, v in grads.items()})
    tensors = as_float32(tensors)

    meta = network_meta("lite0_net", "every BatchNorm eval (running stats, eps 1e-3, frozen affine); "
                        "_conv_stem, _bn0, _blocks.0-2 frozen", seed, WIDTH_DIVISOR, NUM_CLASSES)
    meta.update({
        "output_stride": str(OUTPUT_STRIDE),
        "blocks": ";".join(f"{i}:k{k},s{s},d{d}" for i, k, s, d in model.layout),
        "stage_shapes": ";".join(f"{n}={'x'.join(map(str, s))}" for n, s in shapes),
        "description": (
            "EfficientNet-Lite0 (efficientnet-lite-pytorch names, every width // 8, static TF SAME padding, "
            "BN eps 1e-3, ReLU6, last stride-2 stage at stride 1 dilated 2: output stride 16) + EPS head fc8 "
            "(1x1, no bias, 21 outputs); grad.<name> = d sum(cam*grad_cam) / d <name> for the trainable conv "
            "weights; grad_block3_input = d sum(cam*grad_cam) / d (input of _blocks.3). "
            "Weights: see scripts/pytorch/make_lite0_golden.py"),
        "command": "python3 scripts/pytorch/make_lite0_golden.py",
        "inputs": "x,grad_cam,param.*",
        "outputs": "cam,grad.*,grad_block3_input",
        "trainable": ",".join(trainable),
        "frozen": ",".join(frozen),
        "f64_rel_err.worst_grad": repr(worst_grad_rel),
    })
    meta.update(err_meta)
    save_network_fixture(
        args.out, FILE_NAME, tensors, meta, "lite0_net", cam,
        ("f64_rel_err.cam", "f64_abs_err.cam", "f64_rel_err.worst_grad", "f64_rel_err.grad_block3_input"),
        lines=("stages: " + str(meta["stage_shapes"]), "blocks: " + str(meta["blocks"]),
               f"trainable {len(trainable)}, frozen {len(frozen)} parameters"))


if __name__ == "__main__":
    main()
