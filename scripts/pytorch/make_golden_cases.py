#!/usr/bin/env python3
"""Regenerates the single-layer golden cases in Tests/EngineTests/Golden with PyTorch.

    python3 scripts/pytorch/make_golden_cases.py [--out DIR] [--only NAME ...]

Writes one DIR/<case>.safetensors per case, plus manifest.json and CASES.md. The
DeepLab-v2 cases of make_deeplab_golden.py run after these and share the manifest.
The case names, kinds, tensor names, shapes and metadata keys are those of the
stored files (see Tests/EngineTests/Golden/README.md). The inputs come from
numpy Generators seeded as recorded in each file's `spec`, drawn in the same
order, so the inputs are bit-identical to the stored ones. Outputs are
computed twice from the same float32 values. The float32 run is stored and
the float64 run only measures the rounding error (metadata f64_abs_err.* /
f64_rel_err.*).

Nothing here comes from the official EPS repository. The saliency loss, the
poly-lr SGD with its momentum quirk and the CAM inference post-processing are
written from the EPS reference notes (docs/REFERENCE.md, sections 3–5). The ResNet-38
blocks are resnet38_model.ResBlock / ResBlockBot. Everything else is plain
torch.nn.functional and torch.optim.SGD.

Determinism: torch.set_num_threads(1), torch.use_deterministic_algorithms(True)
and fixture_common.write_safetensors (a sorted header). Two runs give the same
bytes. Compare a run against the stored files with
    python3 scripts/pytorch/compare_golden.py Tests/EngineTests/Golden DIR
With torch 2.13.0+cpu against the stored files (made with torch 2.15.0 and the
official EPS code): 38 of 38 cases, with the same tensor names, shapes and
metadata keys. All 461 tensors are bit-identical, and so are the losses and the
float64 error figures. Only `description` and `torch_version` differ.
"""
import argparse
import hashlib
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fixture_common import as_float32, check_readback, write_safetensors  # noqa: E402
from resnet38_model import ResBlock, ResBlockBot  # noqa: E402

# The EPS code whose semantics these cases pin down (github.com/halbielee/EPS).
EPS_COMMIT = "0c2cdd03239ef036b0dfbeef74bb45c03e5c09bd"
C = 20  # VOC classes; channel C of a cam is the background
DEFAULT_OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                            "..", "..", "Tests", "EngineTests", "Golden"))

# --------------------------------------------------------------------------------------
# The case list: one spec per file. The spec is stored as the file's `spec` metadata.
# --------------------------------------------------------------------------------------
CASES = {
    # eps_loss: per batch item, the labelled classes' designs:
    #   pass         a region inside the salient area (overlap ~1 > tau)
    #   fail_offsal  a region outside it (overlap ~0)
    #   noregion     labelled, but never above 0.5 (overlap 0)
    #   partial_pass / partial_fail  a region straddling the salient border, overlap above / below tau
    # and `distractor`: an unlabelled class with a confident region inside the salient area.
    "eps_loss": [
        dict(name="eps_loss_b2_7x7_sal28_tau0.4_lam0.5", seed=101, b=2, h=7, w=7, sal_h=28, sal_w=28,
             tau=0.4, lam=0.5, modes=[["pass", "fail_offsal"], ["pass", "partial_pass"]],
             distractor=[False, True]),
        dict(name="eps_loss_b3_14x14_sal28_tau0.5_lam0.3", seed=102, b=3, h=14, w=14, sal_h=28, sal_w=28,
             tau=0.5, lam=0.3, modes=[["pass", "pass", "fail_offsal"], ["noregion", "partial_fail"],
                                      ["pass", "noregion"]],
             distractor=[True, False, False]),
        dict(name="eps_loss_b2_10x10_sal28_tau0.4_lam0.7", seed=103, b=2, h=10, w=10, sal_h=28, sal_w=28,
             tau=0.4, lam=0.7, modes=[["fail_offsal", "noregion", "partial_fail"], ["pass", "pass"]],
             distractor=[True, False]),
        dict(name="eps_loss_b3_9x12_sal30x41_tau0.4_lam0.5", seed=104, b=3, h=9, w=12, sal_h=30, sal_w=41,
             tau=0.4, lam=0.5, modes=[["pass"], ["pass", "fail_offsal", "pass"], ["fail_offsal"]],
             distractor=[False, True, True]),
        # 62 -> 14 rows and 84 -> 20 columns: the float32 nearest index differs from the exact one.
        dict(name="eps_loss_b2_14x20_sal62x84_tau0.5_lam0.5", seed=105, b=2, h=14, w=20, sal_h=62, sal_w=84,
             tau=0.5, lam=0.5, modes=[["pass", "fail_offsal", "partial_fail"], ["pass", "pass", "noregion"]],
             distractor=[True, True]),
    ],
    "cls_loss": [
        dict(name="cls_loss_b2_7x7", seed=201, b=2, h=7, w=7, logit_scale=2.0, npos=[1, 3]),
        dict(name="cls_loss_b3_14x14", seed=202, b=3, h=14, w=14, logit_scale=3.0, npos=[2, 1, 3]),
        dict(name="cls_loss_b2_8x8_large_logits", seed=203, b=2, h=8, w=8, logit_scale=2.0,
             channel_offset=60.0, npos=[2, 0]),
    ],
    "conv2d": [
        dict(name="conv2d_3x3_s1_p1", seed=301, n=2, cin=3, cout=4, h=8, w=9, k=3, stride=1, pad=1, dil=1, bias=True),
        dict(name="conv2d_3x3_s2_p1", seed=302, n=2, cin=4, cout=5, h=9, w=10, k=3, stride=2, pad=1, dil=1, bias=True),
        dict(name="conv2d_1x1_s2_p0", seed=303, n=2, cin=6, cout=4, h=9, w=8, k=1, stride=2, pad=0, dil=1, bias=False),
        dict(name="conv2d_3x3_s1_p2_d2", seed=304, n=1, cin=4, cout=3, h=10, w=11, k=3, stride=1, pad=2, dil=2,
             bias=True),
        dict(name="conv2d_7x7_s2_p3", seed=305, n=2, cin=3, cout=8, h=15, w=16, k=7, stride=2, pad=3, dil=1,
             bias=False),
        dict(name="conv2d_3x3_s1_p4_d4", seed=306, n=1, cin=5, cout=4, h=12, w=11, k=3, stride=1, pad=4, dil=4,
             bias=False),
        # TensorFlow "SAME" at stride 2 (EfficientNet-Lite's stem): 0 rows/columns before, 1 after.
        dict(name="conv2d_3x3_s2_same01", seed=307, n=2, cin=3, cout=4, h=10, w=9, k=3, stride=2, pad=0, pad_end=1,
             dil=1, bias=False),
    ],
    # Depthwise (groups = channels), EfficientNet-Lite's padding: SAME (k - stride split begin/end), odd sizes.
    "depthwise_conv2d": [
        dict(name="dwconv_3x3_s1_same_n2c5_9x7", seed=311, n=2, cin=5, cout=5, groups=5, h=9, w=7, k=3, stride=1,
             pad=1, dil=1, bias=False),
        dict(name="dwconv_3x3_s2_same01_n2c4_10x11", seed=312, n=2, cin=4, cout=4, groups=4, h=10, w=11, k=3,
             stride=2, pad=0, pad_end=1, dil=1, bias=False),
        dict(name="dwconv_5x5_s2_same12_n3c3_13x12", seed=313, n=3, cin=3, cout=3, groups=3, h=13, w=12, k=5,
             stride=2, pad=1, pad_end=2, dil=1, bias=False),
        dict(name="dwconv_5x5_s1_d2_p4_n1c6_11x9", seed=314, n=1, cin=6, cout=6, groups=6, h=11, w=9, k=5, stride=1,
             pad=4, dil=2, bias=True),
    ],
    "batchnorm2d_train": [
        dict(name="batchnorm2d_train_n2c3_5x6", seed=401, n=2, c=3, h=5, w=6),
        dict(name="batchnorm2d_train_n4c5_3x3", seed=402, n=4, c=5, h=3, w=3),
    ],
    "batchnorm2d_eval": [dict(name="batchnorm2d_eval_n2c4_5x5", seed=411, n=2, c=4, h=5, w=5)],
    "relu": [dict(name="relu_n2c3_6x7", seed=501, shape=[2, 3, 6, 7])],
    "maxpool": [
        dict(name="maxpool_3x3_s2_p1_9x10", seed=601, shape=[2, 3, 9, 10], ties=False),
        dict(name="maxpool_3x3_s2_p1_8x8_ties", seed=602, shape=[1, 2, 8, 8], ties=True),
    ],
    "adaptive_avgpool": [dict(name="adaptive_avgpool_1x1_n2c5_7x9", seed=701, shape=[2, 5, 7, 9])],
    "softmax": [dict(name="softmax_channels_n2c21_5x6", seed=801, shape=[2, 21, 5, 6], scale=3.0)],
    "bilinear": [
        dict(name="bilinear_ac0_5x7_to_13x17", seed=901, shape=[2, 3, 5, 7], size=[13, 17], align_corners=False),
        dict(name="bilinear_ac0_7x7_to_28x28", seed=902, shape=[1, 4, 7, 7], size=[28, 28], align_corners=False),
        dict(name="bilinear_ac0_infer_6x8_to_45x61", seed=903, shape=[1, 21, 6, 8], size=[45, 61],
             align_corners=False),
        dict(name="bilinear_ac0_down_13x17_to_5x7", seed=904, shape=[1, 3, 13, 17], size=[5, 7],
             align_corners=False),
        dict(name="bilinear_ac1_5x7_to_13x17", seed=905, shape=[1, 2, 5, 7], size=[13, 17], align_corners=True),
    ],
    "nearest": [
        dict(name="nearest_28x28_to_7x7", seed=1001, shape=[2, 1, 28, 28], size=[7, 7]),
        dict(name="nearest_28x28_to_10x10", seed=1002, shape=[2, 1, 28, 28], size=[10, 10]),
        dict(name="nearest_62x84_to_14x20_f32_floor", seed=1003, shape=[1, 1, 62, 84], size=[14, 20]),
        dict(name="nearest_5x6_to_13x17_up", seed=1004, shape=[1, 2, 5, 6], size=[13, 17]),
    ],
    "sgd": [dict(name="sgd_momentum0.9_wd5e-4_3steps", seed=1101, lr=0.01, momentum=0.9, weight_decay=5e-4,
                 steps=3, shapes=[[4, 3, 3, 3], [4], [21, 4, 1, 1]])],
    "poly_sgd": [dict(name="poly_optimizer_official_4groups", seed=1201, lr=0.01, wt_dec=5e-4, max_step=5, steps=7,
                      groups=[[[4, 3, 3, 3], [6, 4, 1, 1]], [[4]], [[21, 6, 1, 1]], [[21]]])],
    "poly_adam": [dict(name="poly_adam_4groups", seed=1251, lr=0.001, wt_dec=1e-4, max_step=5, steps=7,
                       groups=[[[4, 3, 3, 3], [6, 4, 1, 1]], [[4]], [[21, 6, 1, 1]], [[21]]])],
    "resblock_basic": [dict(name="resblock_basic_bntrain_n2c4_6x6", seed=1301, n=2, c=4, h=6, w=6)],
    "resnet38_block": [
        dict(name="resnet38_ResBlock_s2_bneval", seed=1401, type="ResBlock", n=2, h=9, w=8,
             args={"in_channels": 4, "mid_channels": 6, "out_channels": 8, "stride": 2}),
        dict(name="resnet38_ResBlock_same_d2_bneval", seed=1402, type="ResBlock", n=1, h=8, w=8,
             args={"in_channels": 8, "mid_channels": 4, "out_channels": 8, "dilation": 2}),
        dict(name="resnet38_ResBlock_bot_d4_bneval", seed=1403, type="ResBlock_bot", n=1, h=9, w=9,
             args={"in_channels": 8, "out_channels": 16, "dilation": 4, "dropout": 0.0}),
    ],
    "infer_cam": [dict(name="infer_cam_eps_37x50", seed=1501, orig_h=37, orig_w=50, scales=[0.5, 1.0, 1.5, 2.0],
                       labels=[4, 14], thr=0.2)],
}

# Outputs that are decisions, not values: float32 and float64 must agree exactly.
DISCRETE = {"eps_loss": ["valid_channel"], "infer_cam": ["pred"]}


# --------------------------------------------------------------------------------------
# A case = Case(inputs, run, params, description); run(tensors) -> {output name: tensor or 0-d scalar}
# --------------------------------------------------------------------------------------
class Case:
    def __init__(self, inputs, run, params, description, run_meta=None):
        self.inputs = inputs              # name -> float32 numpy array, in draw order
        self.run = run                    # dict of torch tensors (float32 or float64) -> outputs
        self.params = params              # per-kind metadata known before running
        self.description = description
        self.run_meta = run_meta if run_meta is not None else {}  # metadata that run() fills in


def f32(a):
    return np.ascontiguousarray(a, dtype=np.float32)


def normal(rng, shape, std=1.0):
    """float32 of standard_normal * std (the product taken in float64)."""
    return f32(rng.standard_normal(shape) * std)


def uniform(rng, low, high, shape):
    return f32(rng.uniform(low, high, shape))


def vjp(y, wrt, grad_y):
    """d(sum(y * grad_y)) / d each of wrt."""
    return list(torch.autograd.grad(y, wrt, grad_outputs=grad_y))


def leaf(t):
    return t.clone().requires_grad_(True)


# ----- EPS pieces, from docs/REFERENCE.md, section 3 -------------------------------------------------
def nearest_resize(x, h, w):
    """F.interpolate's default (legacy) nearest mode, which eps.py uses on the saliency."""
    return F.interpolate(x, size=(h, w))


def saliency_overlap(prob_fg, sal_small):
    """|round(p_c) ∩ round(S)| / (|round(p_c)| + 1e-4·h·w) per image and class; torch.round
    rounds half to even, so exactly 0.5 counts as 0."""
    p = torch.round(prob_fg)
    z = torch.round(sal_small)
    n, k = p.shape[:2]
    return (p * z).reshape(n, k, -1).sum(-1) / (p + 1e-4).reshape(n, k, -1).sum(-1)


def eps_saliency_loss(cam, saliency, label, tau, lam):
    """The EPS saliency loss (docs/REFERENCE.md, section 3.2). Returns the loss and the intermediate maps."""
    n, k, h, w = cam.shape
    classes = k - 1
    sal_small = nearest_resize(saliency, h, w)
    prob = F.softmax(cam, dim=1)
    with torch.no_grad():
        overlap = saliency_overlap(prob[:, :classes].detach(), sal_small)
        valid = overlap > tau
    present = label > 0.5
    background = torch.ones(n, 1, dtype=torch.bool)
    fg_set = torch.cat([present & valid, ~background], dim=1)
    bg_set = torch.cat([present & ~valid, background], dim=1)
    fg_map = (prob * fg_set.to(prob.dtype)[:, :, None, None]).sum(dim=1, keepdim=True)
    bg_map = 1 - (prob * bg_set.to(prob.dtype)[:, :, None, None]).sum(dim=1, keepdim=True)
    sal_pred = fg_map * lam + bg_map * (1 - lam)
    loss = F.mse_loss(sal_pred, sal_small)
    return loss, dict(saliency_resized=sal_small, prob=prob, iou_saliency=overlap, valid_channel=valid,
                      fg_map=fg_map, bg_map=bg_map, sal_pred=sal_pred)


def class_scores(cam):
    """The EPS head's image scores: the average of the cam over its whole map, all channels."""
    n, k, h, w = cam.shape
    return F.avg_pool2d(cam, kernel_size=(h, w)).reshape(n, k)


def classification_loss(pred, label):
    """Multi-label soft-margin loss on the class channels; the background score is left out."""
    return F.multilabel_soft_margin_loss(pred[:, :label.shape[1]], label)


class PolySGD(torch.optim.SGD):
    """EPS's poly-lr SGD (docs/REFERENCE.md, section 4.1). Its constructor hands the weight decay value to SGD
    where SGD expects the momentum, so the SGD momentum is wt_dec (5e-4) and the default weight decay
    is 0; every group here sets its own decay. 0.9 is the poly power, not a momentum. Before step t
    (0-based) the lr of each group is initial_lr·(1 − t/max_step)^power while t < max_step; after that
    it keeps its last value."""

    def __init__(self, groups, lr, wt_dec, max_step, power=0.9):
        super().__init__(groups, lr=lr, momentum=wt_dec, weight_decay=0)
        self.max_step, self.power, self.global_step = max_step, power, 0
        self.initial_lrs = [g["lr"] for g in self.param_groups]

    def step(self, closure=None):
        if self.global_step < self.max_step:
            factor = (1 - self.global_step / self.max_step) ** self.power
            for group, lr0 in zip(self.param_groups, self.initial_lrs):
                group["lr"] = lr0 * factor
        out = super().step(closure)
        self.global_step += 1
        return out


class PolyAdam(torch.optim.Adam):
    """eps-dist's Adam option for networks trained from scratch: torch.optim.Adam (L2 weight decay per group)
    with the poly schedule of PolySGD above (lr_g = initial lr_g (1 - t/max_step)^power before step t)."""

    def __init__(self, groups, lr, max_step, power=0.9):
        super().__init__(groups, lr=lr, betas=(0.9, 0.999), eps=1e-8)
        self.max_step, self.power, self.global_step = max_step, power, 0
        self.initial_lrs = [g["lr"] for g in self.param_groups]

    def step(self, closure=None):
        if self.global_step < self.max_step:
            factor = (1 - self.global_step / self.max_step) ** self.power
            for group, lr0 in zip(self.param_groups, self.initial_lrs):
                group["lr"] = lr0 * factor
        out = super().step(closure)
        self.global_step += 1
        return out


# ----- case builders ----------------------------------------------------------------------
def eps_item(rng, h, w, sh, sw, modes, distractor, tau):
    """One batch item of an eps_loss case: cam logits [21,h,w], saliency [1,sh,sw], label [20], and
    the (class, design) list. The salient cells are rows [r0,r1) × columns [0,c1); the region
    outside the salient area is columns [c2,w)."""
    cam = rng.standard_normal((C + 1, h, w)) * 1.0
    cam[C] += 2.5                           # a moderately confident background everywhere
    c1 = max(2, int(round(0.55 * w)))
    c2 = min(w - 2, c1 + max(1, w // 4))
    r0 = int(rng.integers(0, max(1, h // 4)))
    r1 = h - int(rng.integers(0, max(1, h // 4)))
    salient = np.zeros((h, w), bool)
    salient[r0:r1, :c1] = True
    order = rng.permutation(C)
    label = np.zeros(C)
    n_inside = sum(m == "pass" or m.startswith("partial") for m in modes) + (1 if distractor else 0)
    n_outside = sum(m == "fail_offsal" for m in modes)

    def bands(lo, hi, count):
        cuts = np.linspace(lo, hi, count + 1).round().astype(int)
        return [(int(cuts[i]), int(cuts[i + 1])) for i in range(count)]

    inside, outside = bands(r0, r1, max(1, n_inside)), bands(0, h, max(1, n_outside))
    boost, gap = 6.0, c2 - c1
    design = []
    classes = iter(order)
    for mode in modes:
        k = int(next(classes))
        label[k] = 1
        if mode == "pass":
            a, b = inside.pop(0)
            cam[k, a:b, :c1] += boost
        elif mode == "fail_offsal":
            a, b = outside.pop(0)
            cam[k, a:b, c2:] += boost
        elif mode in ("partial_pass", "partial_fail"):
            # `cols` salient columns next to the gap: the overlap is about cols / (cols + gap)
            def fits(cols):
                r = cols / (cols + gap)
                return (0.2 <= r <= 0.85 and abs(r - tau) >= 0.05
                        and (r > tau if mode == "partial_pass" else r < tau))
            choices = [cols for cols in range(1, c1 + 1) if fits(cols)]
            if not choices:
                raise ValueError(f"no {mode} layout for w={w}, tau={tau}")
            cols = int(choices[rng.integers(0, len(choices))])
            a, b = inside.pop(0)
            cam[k, a:b, c1 - cols:c2] += boost
            mode = f"{mode}(iou~{cols}/{cols + gap})"
        elif mode != "noregion":
            raise ValueError(mode)
        design.append((k, mode))
    if distractor:
        k = int(next(classes))
        a, b = inside.pop(0)
        cam[k, a:b, :c1] += boost
        design.append((k, "distractor_unlabelled"))
    if rng.random() < 0.5:
        cam, salient = cam[:, :, ::-1], salient[:, ::-1]
    if rng.random() < 0.5:
        cam, salient = cam[:, ::-1, :], salient[::-1, :]
    # Saliency at full size: each pixel takes the cell whose float32 nearest sample index is the
    # last one at or before it, so every cell's sample lands in its own zone.
    def owner(size, cells):
        samples = np.floor(np.arange(cells, dtype=np.float32) *
                           np.float32(np.float32(size) / np.float32(cells))).astype(int)
        return np.searchsorted(samples, np.arange(size), side="right") - 1
    full = salient[owner(sh, h)[:, None], owner(sw, w)[None, :]]
    high = rng.uniform(0.53, 1.0, size=(sh, sw))
    low = rng.uniform(0.0, 0.47, size=(sh, sw))
    sal = np.where(full, high, low)
    return f32(cam), f32(sal[None]), f32(label), design


def eps_inputs_are_robust(inputs, designs, tau):
    """Every discrete decision has a margin (so float32 and float64 agree, and so does any other
    summation order), and every design behaves as designed."""
    cam = torch.from_numpy(inputs["cam"])
    h, w = cam.shape[2:]
    sal_small = nearest_resize(torch.from_numpy(inputs["saliency"]), h, w)
    prob = F.softmax(cam, dim=1)[:, :C]
    overlap = saliency_overlap(prob, sal_small)
    if (prob - 0.5).abs().min() <= 2e-3 or (sal_small - 0.5).abs().min() <= 2e-3 \
            or (overlap - tau).abs().min() <= 0.02:
        return False
    for i, design in enumerate(designs):
        for k, mode in design:
            passes = bool(overlap[i, k] > tau)
            if mode in ("pass", "distractor_unlabelled") and not passes:
                return False
            if mode in ("fail_offsal", "noregion") and passes:
                return False
            if mode.startswith("partial"):
                num, den = mode[mode.index("~") + 1:-1].split("/")
                if abs(float(overlap[i, k]) - int(num) / int(den)) > 0.05:
                    return False
    return True


def make_eps_loss(spec):
    tau, lam = spec["tau"], spec["lam"]
    for attempt in range(200):
        rng = np.random.default_rng([spec["seed"], attempt])
        items = [eps_item(rng, spec["h"], spec["w"], spec["sal_h"], spec["sal_w"], spec["modes"][i],
                          spec["distractor"][i], tau) for i in range(spec["b"])]
        inputs = {"cam": np.stack([it[0] for it in items]), "saliency": np.stack([it[1] for it in items]),
                  "label": np.stack([it[2] for it in items])}
        designs = [it[3] for it in items]
        if eps_inputs_are_robust(inputs, designs, tau):
            break
    else:
        raise RuntimeError(f"{spec['name']}: no robust layout in 200 attempts")

    def run(t):
        cam = leaf(t["cam"])
        loss_sal, parts = eps_saliency_loss(cam, t["saliency"], t["label"], tau, lam)
        (grad_sal,) = torch.autograd.grad(loss_sal, cam, retain_graph=True)
        pred = class_scores(cam)
        loss_cls = classification_loss(pred, t["label"])
        loss_total = loss_cls + loss_sal
        (grad_total,) = torch.autograd.grad(loss_total, cam)
        out = {k: v.detach() for k, v in parts.items()}
        out["valid_channel"] = parts["valid_channel"].to(cam.dtype)
        out.update(grad_cam=grad_sal, pred=pred.detach(), grad_cam_total=grad_total,
                   loss_sal=loss_sal.detach(), loss_cls=loss_cls.detach(), loss_total=loss_total.detach())
        return out

    design = "; ".join(f"item{i}: " + ",".join(f"class{k}={m}" for k, m in d) for i, d in enumerate(designs))
    params = {"num_classes": str(C), "tau": repr(tau), "lam": repr(lam), "design": design,
              "design_attempt": str(attempt)}
    desc = ("EPS saliency loss (docs/REFERENCE.md, section 3.2): saliency_resized = legacy nearest resize of the saliency "
            "to the cam size; prob = softmax(cam) over 21 channels; iou_saliency = |round(prob_c) & "
            "round(sal)| / (|round(prob_c)| + 1e-4 h w) (no gradient); valid_channel = iou > tau; fg = labelled "
            "and valid, bg = background channel + labelled and not valid; fg_map = sum of fg probs, bg_map = 1 - "
            "sum of bg probs, sal_pred = lam fg_map + (1-lam) bg_map; loss_sal = mse(sal_pred, saliency_resized); "
            "grad_cam = d loss_sal/d cam. pred = average of cam over h,w (21 channels); loss_cls = "
            "multilabel_soft_margin_loss(pred[:, :20], label); loss_total = loss_cls + loss_sal; grad_cam_total = "
            "d loss_total/d cam.")
    return Case(inputs, run, params, desc)


def make_cls_loss(spec):
    rng = np.random.default_rng(spec["seed"])
    b, h, w = spec["b"], spec["h"], spec["w"]
    cam = normal(rng, (b, C + 1, h, w), spec["logit_scale"])
    # A per-channel offset pushes |pred| past 88, where a naive float32 log-sigmoid overflows.
    cam = f32(cam + rng.standard_normal((b, C + 1, 1, 1)) * spec.get("channel_offset", 0.0))
    label = np.zeros((b, C), np.float32)
    for i in range(b):
        label[i, rng.permutation(C)[:spec["npos"][i]]] = 1

    def run(t):
        cam = leaf(t["cam"])
        pred = class_scores(cam)
        loss = classification_loss(pred, t["label"])
        (g,) = torch.autograd.grad(loss, cam)
        return {"pred": pred.detach(), "grad_cam": g, "loss_cls": loss.detach()}

    desc = ("pred = average of cam over h,w, [N,21]; loss_cls = mean over n of -(1/20) sum_c<20 [y log sigmoid(x) + "
            "(1-y) log sigmoid(-x)], x = pred[:, :20]; grad_cam = d loss_cls/d cam (0 on channel 20).")
    return Case({"cam": cam, "label": label}, run, {"num_classes": str(C)}, desc)


def make_conv2d(spec):
    rng = np.random.default_rng(spec["seed"])
    n, cin, cout, h, w, k = (spec[key] for key in ("n", "cin", "cout", "h", "w", "k"))
    s, p, d = spec["stride"], spec["pad"], spec["dil"]
    groups, p_end = spec.get("groups", 1), spec.get("pad_end", p)  # p before (top/left), p_end after
    out_h, out_w = ((size + p + p_end - d * (k - 1) - 1) // s + 1 for size in (h, w))
    fan_in = cin // groups * k * k
    inputs = {"x": normal(rng, (n, cin, h, w)), "weight": normal(rng, (cout, cin // groups, k, k), 1 / math.sqrt(fan_in))}
    if spec["bias"]:
        inputs["bias"] = normal(rng, (cout,), 0.5)
    inputs["grad_y"] = normal(rng, (n, cout, out_h, out_w))

    def run(t):
        names = [nm for nm in ("x", "weight", "bias") if nm in t]
        leaves = {nm: leaf(t[nm]) for nm in names}
        x = leaves["x"] if p == p_end else F.pad(leaves["x"], (p, p_end, p, p_end))  # TF "SAME" as the Lite port
        y = F.conv2d(x, leaves["weight"], leaves.get("bias"), stride=s, padding=p if p == p_end else 0, dilation=d,
                     groups=groups)
        grads = vjp(y, [leaves[nm] for nm in names], t["grad_y"])
        return {"y": y.detach(), **{"grad_" + nm: g for nm, g in zip(names, grads)}}

    params = {"stride": str(s), "padding": str(p), "dilation": str(d), "groups": str(groups),
              "has_bias": str(spec["bias"])}
    padding_text = f"zero padding {p}"
    if p_end != p:
        params["padding_end"] = str(p_end)
        padding_text = f"zero padding {p} before (top/left) and {p_end} after (bottom/right)"
    desc = (f"y = conv2d(x, weight, bias; stride {s}, {padding_text}, dilation {d}, groups {groups}), a "
            "cross-correlation with weight [out,in/groups,kh,kw]; grad_x, grad_weight, grad_bias = vector-Jacobian "
            "products with grad_y.")
    return Case(inputs, run, params, desc)


def make_batchnorm(spec, training):
    rng = np.random.default_rng(spec["seed"])
    n, c, h, w = spec["n"], spec["c"], spec["h"], spec["w"]
    x = f32(normal(rng, (n, c, h, w), 1.5) + rng.standard_normal((1, c, 1, 1)))
    inputs = {"x": x, "weight": uniform(rng, 0.5, 1.5, c), "bias": normal(rng, (c,), 0.3),
              "running_mean": normal(rng, (c,), 0.2), "running_var": uniform(rng, 0.5, 1.5, c),
              "grad_y": normal(rng, (n, c, h, w))}
    momentum, eps = 0.1, 1e-5

    def run(t):
        x, weight, bias = leaf(t["x"]), leaf(t["weight"]), leaf(t["bias"])
        running_mean, running_var = t["running_mean"].clone(), t["running_var"].clone()
        y = F.batch_norm(x, running_mean, running_var, weight, bias, training=training, momentum=momentum, eps=eps)
        gx, gw, gb = vjp(y, [x, weight, bias], t["grad_y"])
        out = {"y": y.detach(), "grad_x": gx, "grad_weight": gw, "grad_bias": gb}
        if training:
            out.update(running_mean_out=running_mean, running_var_out=running_var,
                       batch_mean=t["x"].mean(dim=(0, 2, 3)), batch_var_biased=t["x"].var(dim=(0, 2, 3),
                                                                                         unbiased=False))
        return out

    params = {"momentum": repr(momentum), "eps": repr(eps), "training": str(training)}
    if training:
        desc = ("BatchNorm2d, training mode (momentum 0.1, eps 1e-5): batch mean and biased variance over N,H,W; "
                "y = (x - mean)/sqrt(var + eps) weight + bias, gradients through the statistics; running_mean_out = "
                "0.9 running_mean + 0.1 mean, running_var_out = 0.9 running_var + 0.1 var M/(M-1), M = N H W.")
    else:
        desc = ("BatchNorm2d, eval mode (how EPS trains ResNet-38): y = (x - running_mean)/sqrt(running_var + eps) "
                "weight + bias, eps 1e-5; the running statistics do not change.")
    return Case(inputs, run, params, desc)


def make_relu(spec):
    rng = np.random.default_rng(spec["seed"])
    x = normal(rng, spec["shape"])
    x.reshape(-1)[::7] = 0.0  # exact zeros get gradient 0
    inputs = {"x": x, "grad_y": normal(rng, spec["shape"])}

    def run(t):
        x = leaf(t["x"])
        y = F.relu(x)
        return {"y": y.detach(), "grad_x": vjp(y, [x], t["grad_y"])[0]}

    return Case(inputs, run, {}, "y = max(x, 0); grad_x = grad_y where x > 0, else 0 (every 7th element of x is 0).")


def make_maxpool(spec):
    rng = np.random.default_rng(spec["seed"])
    n, c, h, w = spec["shape"]
    x = f32(rng.integers(0, 3, size=spec["shape"])) if spec["ties"] else normal(rng, spec["shape"])
    inputs = {"x": x, "grad_y": normal(rng, (n, c, (h - 1) // 2 + 1, (w - 1) // 2 + 1))}

    def run(t):
        x = leaf(t["x"])
        y = F.max_pool2d(x, kernel_size=3, stride=2, padding=1)
        return {"y": y.detach(), "grad_x": vjp(y, [x], t["grad_y"])[0]}

    desc = ("y = max pool, kernel 3, stride 2, padding 1 (as -inf), floor mode; grad_x adds grad_y at each window's "
            "argmax (windows overlap).")
    if spec["ties"]:
        desc += " x holds the integers 0..2, so windows tie: the first maximum in row-major window order wins."
    return Case(inputs, run, {"kernel": "3", "stride": "2", "padding": "1"}, desc)


def make_adaptive_avgpool(spec):
    rng = np.random.default_rng(spec["seed"])
    n, c = spec["shape"][:2]
    inputs = {"x": normal(rng, spec["shape"]), "grad_y": normal(rng, (n, c, 1, 1))}

    def run(t):
        x = leaf(t["x"])
        y = F.adaptive_avg_pool2d(x, 1)
        return {"y": y.detach(), "grad_x": vjp(y, [x], t["grad_y"])[0]}

    return Case(inputs, run, {}, "y = mean of x over H,W (adaptive average pool to 1x1); grad_x = grad_y/(H W).")


def make_softmax(spec):
    rng = np.random.default_rng(spec["seed"])
    inputs = {"x": normal(rng, spec["shape"], spec["scale"]), "grad_y": normal(rng, spec["shape"])}

    def run(t):
        x = leaf(t["x"])
        y = F.softmax(x, dim=1)
        return {"y": y.detach(), "grad_x": vjp(y, [x], t["grad_y"])[0]}

    return Case(inputs, run, {"dim": "1"}, "y = softmax over channels; grad_x = y (grad_y - sum_c grad_y y).")


def make_resize(spec, mode):
    rng = np.random.default_rng(spec["seed"])
    n, c = spec["shape"][:2]
    out_h, out_w = spec["size"]
    inputs = {"x": normal(rng, spec["shape"]), "grad_y": normal(rng, (n, c, out_h, out_w))}
    corners = spec.get("align_corners")

    def run(t):
        x = leaf(t["x"])
        if mode == "bilinear":
            y = F.interpolate(x, size=(out_h, out_w), mode="bilinear", align_corners=corners)
        else:
            y = nearest_resize(x, out_h, out_w)
        return {"y": y.detach(), "grad_x": vjp(y, [x], t["grad_y"])[0]}

    if mode == "bilinear":
        params = {"mode": "bilinear", "align_corners": str(corners), "out_h": str(out_h), "out_w": str(out_w)}
        if corners:
            desc = f"bilinear resize to {out_h}x{out_w}, align_corners=True: src = dst (in-1)/(out-1)."
        else:
            desc = (f"bilinear resize to {out_h}x{out_w}, align_corners=False (infer.py's CAM resize): scale = "
                    "in/out in float32, src = max(scale (dst+0.5) - 0.5, 0), i0 = floor(src), i1 = min(i0+1, in-1), "
                    "lambda = src - i0, no antialiasing; the backward pass scatters with the same weights.")
    else:
        params = {"mode": "nearest", "out_h": str(out_h), "out_w": str(out_w)}
        desc = (f"legacy nearest resize to {out_h}x{out_w} (how eps.py resizes the saliency): src = "
                "min(floor(float32(dst) float32(in/out)), in-1) in float32 (out == 2 in: dst>>1; out == in: copy); "
                "the backward pass adds grad_y into each source pixel.")
    return Case(inputs, run, params, desc)


def make_sgd(spec):
    rng = np.random.default_rng(spec["seed"])
    inputs = {}
    for i, shape in enumerate(spec["shapes"]):
        inputs[f"param{i}"] = normal(rng, shape)
        for s in range(spec["steps"]):
            inputs[f"grad{i}_step{s}"] = normal(rng, shape, 0.5)
    lr, momentum, wd = spec["lr"], spec["momentum"], spec["weight_decay"]

    def run(t):
        params = [leaf(t[f"param{i}"]) for i in range(len(spec["shapes"]))]
        opt = torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=wd)
        out = {}
        for s in range(spec["steps"]):
            for i, p in enumerate(params):
                p.grad = t[f"grad{i}_step{s}"].clone()
            opt.step()
            for i, p in enumerate(params):
                out[f"param{i}_after_step{s}"] = p.detach().clone()
                out[f"momentum_buffer{i}_after_step{s}"] = opt.state[p]["momentum_buffer"].clone()
        return out

    params = {"lr": repr(lr), "momentum": repr(momentum), "weight_decay": repr(wd), "dampening": "0.0",
              "nesterov": "False", "steps": str(spec["steps"])}
    desc = ("SGD with momentum and weight decay, no dampening, no Nesterov; at step t: g = grad + wd p; buf = g "
            "(t = 0) or momentum buf + g; p = p - lr buf. Step t's gradients are the inputs grad{i}_step{t}.")
    return Case(inputs, run, params, desc)


def make_poly_sgd(spec):
    inputs, members = grouped_params(spec)
    lr, wt_dec = spec["lr"], spec["wt_dec"]
    run_meta = {}

    def run(t):
        params = {name: leaf(t[name]) for _, name in members}
        opt = PolySGD(eps_groups(params, members, lr, wt_dec), lr=lr, wt_dec=wt_dec, max_step=spec["max_step"])
        run_meta["effective_sgd_momentum"] = repr(opt.param_groups[0]["momentum"])
        run_meta["poly_power"] = repr(opt.power)
        out = {}
        for s in range(spec["steps"]):
            for _, name in members:
                params[name].grad = t[f"grad_{name}_step{s}"].clone()
            opt.step()
            for g, group in enumerate(opt.param_groups):
                run_meta[f"lr_group{g}_step{s}"] = repr(group["lr"])
            for _, name in members:
                out[f"{name}_after_step{s}"] = params[name].detach().clone()
                out[f"momentum_buffer_{name}_after_step{s}"] = opt.state[params[name]]["momentum_buffer"].clone()
        return out

    params = {"lr": repr(lr), "wt_dec": repr(wt_dec), "max_step": str(spec["max_step"]), "steps": str(spec["steps"]),
              "group_lr_mult": "1,2,10,20", "group_weight_decay": f"{wt_dec},0,{wt_dec},0"}
    desc = ("EPS's poly-lr SGD (docs/REFERENCE.md, sections 4.1–4.2) with its four groups: g0 backbone conv weights (lr, wd = "
            "wt_dec), g1 backbone conv biases (2 lr, wd 0), g2 fc8 weight (10 lr, wd = wt_dec), g3 fc8 bias (20 lr, "
            "wd 0). The weight decay value lands in SGD's momentum slot, so SGD momentum = wt_dec = 5e-4; 0.9 is the "
            "poly power. Before step t (0-based), while t < max_step, lr_g = initial lr_g (1 - t/max_step)^0.9; "
            "later steps keep the last lr. Params g<group>p<j>.")
    return Case(inputs, run, params, desc, run_meta)


def grouped_params(spec):
    """The optimizer cases' inputs: params g<group>p<j> and their gradient per step."""
    rng = np.random.default_rng(spec["seed"])
    inputs, members = {}, []
    for g, shapes in enumerate(spec["groups"]):
        for j, shape in enumerate(shapes):
            name = f"g{g}p{j}"
            members.append((g, name))
            inputs[name] = normal(rng, shape)
            for s in range(spec["steps"]):
                inputs[f"grad_{name}_step{s}"] = normal(rng, shape, 0.5)
    return inputs, members


def eps_groups(params, members, lr, wt_dec):
    """The four groups of EPS's get_optimizer (docs/REFERENCE.md, section 4.2): lr x1/x2/x10/x20, weight
    decay on the weights (groups 0 and 2) only."""
    in_group = [[params[name] for gg, name in members if gg == g] for g in range(4)]
    return [{"params": in_group[g], "lr": mult * lr, "weight_decay": wt_dec if g in (0, 2) else 0}
            for g, mult in enumerate([1, 2, 10, 20])]


def make_poly_adam(spec):
    inputs, members = grouped_params(spec)
    lr, wt_dec = spec["lr"], spec["wt_dec"]
    run_meta = {}

    def run(t):
        params = {name: leaf(t[name]) for _, name in members}
        opt = PolyAdam(eps_groups(params, members, lr, wt_dec), lr=lr, max_step=spec["max_step"])
        out = {}
        for s in range(spec["steps"]):
            for _, name in members:
                params[name].grad = t[f"grad_{name}_step{s}"].clone()
            opt.step()
            for _, name in members:
                state = opt.state[params[name]]
                out[f"{name}_after_step{s}"] = params[name].detach().clone()
                out[f"exp_avg_{name}_after_step{s}"] = state["exp_avg"].clone()
                out[f"exp_avg_sq_{name}_after_step{s}"] = state["exp_avg_sq"].clone()
        return out

    params = {"lr": repr(lr), "wt_dec": repr(wt_dec), "max_step": str(spec["max_step"]), "steps": str(spec["steps"]),
              "group_lr_mult": "1,2,10,20", "group_weight_decay": f"{wt_dec},0,{wt_dec},0"}
    desc = ("torch.optim.Adam (betas 0.9/0.999, eps 1e-8, L2 weight decay in the gradient) on the poly schedule, "
            "with EPS's four groups (lr x1/x2/x10/x20, weight decay on the weights only). Params g<group>p<j>.")
    return Case(inputs, run, params, desc, run_meta)


def make_resblock_basic(spec):
    rng = np.random.default_rng(spec["seed"])
    n, c, h, w = spec["n"], spec["c"], spec["h"], spec["w"]
    inputs = {"x": normal(rng, (n, c, h, w))}
    for i in (1, 2):
        inputs[f"conv{i}.weight"] = normal(rng, (c, c, 3, 3), 1 / math.sqrt(9 * c))
        inputs[f"bn{i}.weight"] = uniform(rng, 0.5, 1.5, c)
        inputs[f"bn{i}.bias"] = normal(rng, (c,), 0.2)
        inputs[f"bn{i}.running_mean"] = np.zeros(c, np.float32)
        inputs[f"bn{i}.running_var"] = np.ones(c, np.float32)
    inputs["grad_y"] = normal(rng, (n, c, h, w))
    trained = ["conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight", "bn2.weight", "bn2.bias"]

    def run(t):
        x = leaf(t["x"])
        p = {k: leaf(t[k]) for k in trained}
        stats = {k: t[k].clone() for k in t if "running" in k}

        def conv_bn(z, i):
            z = F.conv2d(z, p[f"conv{i}.weight"], None, stride=1, padding=1)
            return F.batch_norm(z, stats[f"bn{i}.running_mean"], stats[f"bn{i}.running_var"], p[f"bn{i}.weight"],
                                p[f"bn{i}.bias"], training=True, momentum=0.1, eps=1e-5)

        y = F.relu(conv_bn(F.relu(conv_bn(x, 1)), 2) + x)
        grads = vjp(y, [x] + [p[k] for k in trained], t["grad_y"])
        out = {"y": y.detach(), "grad_x": grads[0]}
        out.update({"grad_" + k: g for k, g in zip(trained, grads[1:])})
        for i in (1, 2):
            out[f"bn{i}.running_mean_out"] = stats[f"bn{i}.running_mean"]
            out[f"bn{i}.running_var_out"] = stats[f"bn{i}.running_var"]
        return out

    desc = ("Basic residual block with BatchNorm in training mode (momentum 0.1, eps 1e-5): y = relu(bn2(conv2(relu("
            "bn1(conv1(x))))) + x), 3x3 convs, stride 1, padding 1, no bias. Gradients for x and every conv/BN weight; "
            "the updated running statistics.")
    return Case(inputs, run, {"bn_training": "True", "momentum": "0.1", "eps": "1e-05"}, desc)


def resnet38_block(kind, args):
    """resnet38_model's block for the spec's `type` and `args` (EPS's constructor argument names)."""
    if kind == "ResBlock":
        return ResBlock(args["in_channels"], args["mid_channels"], args["out_channels"], stride=args.get("stride", 1),
                        first_dilation=args.get("first_dilation"), dilation=args.get("dilation", 1))
    if kind == "ResBlock_bot":
        return ResBlockBot(args["in_channels"], args["out_channels"], stride=args.get("stride", 1),
                           dilation=args.get("dilation", 1), dropout=args.get("dropout", 0.0))
    raise ValueError(kind)


def block_inputs(rng, block, x_shape, is_bn_weight):
    """x, then `param.<name>` for every state_dict entry of `block` but num_batches_tracked, drawn in
    state_dict order (running_var and BN weights U[0.5, 1.5], running_mean and biases N(0, 0.2), conv
    weights N(0, 1/fan_in)), then grad_y shaped like the eval-mode output."""
    inputs = {"x": normal(rng, x_shape)}
    for name, value in block.state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue
        shape = tuple(value.shape)
        if name.endswith("running_var") or is_bn_weight(name):
            inputs["param." + name] = uniform(rng, 0.5, 1.5, shape)
        elif name.endswith(("running_mean", "bias")):
            inputs["param." + name] = normal(rng, shape, 0.2)
        else:
            inputs["param." + name] = normal(rng, shape, 1 / math.sqrt(int(np.prod(shape[1:]))))
    with torch.no_grad():
        y_shape = block.eval()(torch.from_numpy(inputs["x"])).shape
    inputs["grad_y"] = normal(rng, tuple(y_shape))
    return inputs


def load_block_params(block, t):
    """`block` in t's dtype with the case's `param.*` loaded (only num_batches_tracked may be missing)."""
    m = block.to(t["x"].dtype)
    missing, unexpected = m.load_state_dict({k[len("param."):]: v for k, v in t.items() if k.startswith("param.")},
                                            strict=False)
    assert not unexpected and all(k.endswith("num_batches_tracked") for k in missing), (missing, unexpected)
    return m


def make_resnet38_block(spec):
    rng = np.random.default_rng(spec["seed"])
    block = resnet38_block(spec["type"], spec["args"])
    inputs = block_inputs(rng, block, (spec["n"], spec["args"]["in_channels"], spec["h"], spec["w"]),
                          lambda name: name.startswith("bn") and name.endswith("weight"))

    def run(t):
        m = load_block_params(resnet38_block(spec["type"], spec["args"]), t)
        m.eval()  # every BN on its running statistics, Dropout2d off: how EPS trains the backbone
        x = leaf(t["x"])
        names, params = zip(*m.named_parameters())
        y = m(x)
        grads = vjp(y, [x, *params], t["grad_y"])
        out = {"y": y.detach(), "grad_x": grads[0]}
        out.update({"grad." + k: g for k, g in zip(names, grads[1:])})
        return out

    desc = (f"ResNet-38 {spec['type']}({json.dumps(spec['args'])}) (scripts/pytorch/resnet38_model.py, EPS "
            "state_dict names) as EPS trains it: every BatchNorm2d in eval mode, Dropout2d off. Parameters "
            "'param.<state_dict name>'; 'grad.<name>' = d(sum(y grad_y))/d parameter (BN weight/bias included "
            "although EPS freezes them).")
    return Case(inputs, run, {"type": spec["type"], "args": json.dumps(spec["args"]), "bn_mode": "eval"}, desc)


def cam_size(n):
    """The cam size for an image side n: three 3x3 stride-2 convs, each ceil(n / 2)."""
    for _ in range(3):
        n = (n - 1) // 2 + 1
    return n


def make_infer_cam(spec):
    rng = np.random.default_rng(spec["seed"])
    H, W, scales, thr = spec["orig_h"], spec["orig_w"], spec["scales"], spec["thr"]
    label = np.zeros(C, np.float32)
    label[spec["labels"]] = 1
    inputs, entries = {"label": label}, []
    for s in scales:
        # infer.py resizes to (round(W s), round(H s)) with Python's half-to-even round
        img_h, img_w = round(H * s), round(W * s)
        ch, cw = cam_size(img_h), cam_size(img_w)
        for flip in (0, 1):
            cam = normal(rng, (1, C + 1, ch, cw), 2.0)
            cam[0, spec["labels"][0], :ch // 2 + 1, :cw // 2 + 1] += 3.0
            inputs[f"cam_{len(entries)}"] = cam
            entries.append((s, flip, img_h, img_w, ch, cw))

    def run(t):
        lab = t["label"]
        maps = []
        for k, (_, flip, _, _, _, _) in enumerate(entries):
            # docs/REFERENCE.md, section 5.1 step 2: softmax over the 21 channels, bilinear to the image, fg × label, unflip
            up = F.interpolate(F.softmax(t[f"cam_{k}"], dim=1), size=(H, W), mode="bilinear", align_corners=False)[0]
            fg = up[:C] * lab[:, None, None]
            maps.append((fg.flip(-1) if flip else fg).numpy())
        sum_cam = np.sum(np.stack(maps), axis=0)
        norm_cam = sum_cam / (np.max(sum_cam, axis=(1, 2), keepdims=True) + 1e-5)
        scores = np.zeros((C + 1, H, W), norm_cam.dtype)
        scores[0] = thr
        for c in np.flatnonzero(lab.numpy() > 1e-5):
            scores[c + 1] = norm_cam[c]
        pred = np.argmax(scores, axis=0)  # ties go to the lower index, so the background wins at thr
        return {"sum_cam": torch.from_numpy(sum_cam), "norm_cam": torch.from_numpy(norm_cam),
                "pred": torch.from_numpy(pred.astype(np.float64))}

    params = {"orig_h": str(H), "orig_w": str(W), "scales": ",".join(map(str, scales)), "thr": repr(thr),
              "entries": "; ".join(f"cam_{k}: scale={s} flip={fl} image={ih}x{iw} cam={ch}x{cw}"
                                   for k, (s, fl, ih, iw, ch, cw) in enumerate(entries))}
    desc = ("EPS CAM inference after the network (docs/REFERENCE.md, section 5): cam_k = network logits [1,21,h,w] for each "
            "scale in the given order, unflipped then flipped. Each: softmax over channels, bilinear "
            "(align_corners=False) to the original HxW, channels 0..19 times label, flipped ones flipped back. "
            "sum_cam = sum_k; norm_cam = sum_cam / (max over H,W + 1e-5); pred = argmax over [thr, norm_cam of the "
            "labelled classes at class+1], 0 = background, stored as float32 class index.")
    return Case(inputs, run, params, desc)


MAKERS = {
    "eps_loss": make_eps_loss,
    "cls_loss": make_cls_loss,
    "conv2d": make_conv2d,
    "depthwise_conv2d": make_conv2d,
    "batchnorm2d_train": lambda spec: make_batchnorm(spec, True),
    "batchnorm2d_eval": lambda spec: make_batchnorm(spec, False),
    "relu": make_relu,
    "maxpool": make_maxpool,
    "adaptive_avgpool": make_adaptive_avgpool,
    "softmax": make_softmax,
    "bilinear": lambda spec: make_resize(spec, "bilinear"),
    "nearest": lambda spec: make_resize(spec, "nearest"),
    "sgd": make_sgd,
    "poly_sgd": make_poly_sgd,
    "poly_adam": make_poly_adam,
    "resblock_basic": make_resblock_basic,
    "resnet38_block": make_resnet38_block,
    "infer_cam": make_infer_cam,
}


# --------------------------------------------------------------------------------------
# Running a case and writing it
# --------------------------------------------------------------------------------------
def as_torch(inputs, dtype):
    return {k: torch.from_numpy(v.copy()).to(dtype) for k, v in inputs.items()}


def generate(kind, spec, out_dir, makers=None):
    case = (makers or MAKERS)[kind](spec)
    out64 = case.run(as_torch(case.inputs, torch.float64))
    out32 = case.run(as_torch(case.inputs, torch.float32))  # last, so run_meta holds the float32 run's values
    meta = {"case": spec["name"], "kind": kind, "description": case.description,
            "spec": json.dumps(spec, sort_keys=True), "torch_version": torch.__version__,
            "eps_commit": EPS_COMMIT, "dtype": "float32", "layout": "NCHW; conv weight [out,in,kh,kw]",
            **case.params, **case.run_meta}
    tensors = {k: torch.from_numpy(v) for k, v in case.inputs.items()}
    shapes, scalars, errors = {}, {}, {}
    for name, v32 in out32.items():
        a32, a64 = v32.detach().double(), out64[name].detach().double()
        abs_err = (a32 - a64).abs().max().item() if a32.numel() else 0.0
        ref = a64.abs().max().item() if a64.numel() else 0.0
        rel = abs_err / ref if ref > 0 else abs_err
        errors[name] = (abs_err, rel, ref)
        meta[f"f64_abs_err.{name}"] = f"{abs_err:.3e}"
        meta[f"f64_rel_err.{name}"] = f"{rel:.3e}"
        if name in DISCRETE.get(kind, ()) and abs_err != 0:
            raise RuntimeError(f"{spec['name']}: the decision {name} differs between float32 and float64")
        if v32.dim() > 0:
            tensors[name] = v32
            shapes[name] = list(v32.shape)
        else:  # a loss: the float32 value, exactly, as a Python float
            meta[name] = repr(float(np.float32(v32.item())))
            meta[name + "_f64"] = repr(out64[name].item())
            scalars[name] = meta[name]
            shapes[name] = "scalar (metadata)"
    meta["inputs"] = ",".join(case.inputs)
    meta["outputs"] = ",".join(out32)
    tensors = as_float32(tensors)
    path = os.path.join(out_dir, spec["name"] + ".safetensors")
    write_safetensors(path, tensors, meta)
    check_readback(path, tensors, kind)
    with open(path, "rb") as f:
        data = f.read()
    return {"file": os.path.basename(path), "kind": kind, "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data), "inputs": {k: list(v.shape) for k, v in case.inputs.items()}, "outputs": shapes,
            "scalars": scalars, "params": case.params, "extra": dict(case.run_meta), "errors": errors,
            "description": case.description}


def write_cases_md(out_dir, manifest):
    lines = ["# Golden cases (generated by scripts/pytorch/make_golden_cases.py and make_deeplab_golden.py)", "",
             f"torch {torch.__version__}; EPS semantics of commit {EPS_COMMIT}; DeepLab-v2 cases (seg_ce, "
             "label_nearest, bilinear_scale, maxpool_ceil, aspp, caffe_bottleneck, msc_max) as deeplab-pytorch "
             "4219467.",
             "err = max |float32 result - float64 rerun| (abs), and that over max |float64| (rel).", ""]
    for m in manifest:
        lines += [f"## {m['file']}  ({m['kind']}, {m['bytes']} bytes)", "", m["description"], ""]
        if m["params"]:
            lines.append("params: " + "; ".join(f"{k}={v}" for k, v in m["params"].items()))
        if m["extra"]:
            lines += ["", "extra metadata: " + "; ".join(f"{k}={v}" for k, v in m["extra"].items())]
        lines += ["", "| tensor | role | shape | f64 abs err | f64 rel err |", "|---|---|---|---|---|"]
        lines += [f"| {k} | input | {s} | | |" for k, s in m["inputs"].items()]
        for k, s in m["outputs"].items():
            a, r, _ = m["errors"][k]
            value = f" = {m['scalars'][k]}" if k in m["scalars"] else ""
            lines.append(f"| {k} | output | {s}{value} | {a:.2e} | {r:.2e} |")
        lines.append("")
    with open(os.path.join(out_dir, "CASES.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--only", nargs="*", default=None, help="case names to make (default: all; then manifest.json "
                                                            "and CASES.md are written too)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(args.out, exist_ok=True)
    manifest = []
    for kind, specs in CASES.items():
        for spec in specs:
            if args.only is not None and spec["name"] not in args.only:
                continue
            m = generate(kind, spec, args.out)
            manifest.append(m)
            worst = max(m["errors"].items(), key=lambda kv: kv[1][1])
            print(f"{m['file']:60s} {m['bytes']:8d} B  float32 vs float64: worst rel {worst[1][1]:.2e} ({worst[0]})")
    import make_deeplab_golden  # the stage-2 cases share this folder, its manifest and CASES.md

    manifest += make_deeplab_golden.generate_all(args.out, args.only)
    if args.only is None:
        with open(os.path.join(args.out, "manifest.json"), "w") as f:
            json.dump(manifest, f, indent=1)
        write_cases_md(args.out, manifest)
    print(f"{len(manifest)} cases, {sum(m['bytes'] for m in manifest)} bytes, in {args.out}")


if __name__ == "__main__":
    main()
