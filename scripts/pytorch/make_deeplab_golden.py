#!/usr/bin/env python3
"""The DeepLab-v2 (stage 2) golden cases and whole-network fixtures, as deeplab-pytorch
("dlp", github.com/kazuto1011/deeplab-pytorch at 4219467) computes them.

    python3 scripts/pytorch/make_deeplab_golden.py [--out DIR] [--fixtures-out DIR] [--only NAME ...]

Single-layer cases (kinds seg_ce, label_nearest, bilinear_scale, maxpool_ceil, aspp,
caffe_bottleneck, msc_max) go to DIR (default Tests/EngineTests/Golden) in the format of
make_golden_cases.py (same writer, metadata and float64 rerun; see the folder's README). After a
full run the folder's manifest.json and CASES.md are rebuilt: the entries of the other cases are
kept as they are and this script's entries follow them, which is also what
`make_golden_cases.py` (which runs these cases after its own) writes.

Whole-network fixtures go to --fixtures-out (default Tests/EngineTests/Fixtures):
* deeplabv2_resnet101_w16.safetensors: MSC(DeepLabV2 resnet101, width // 16, 21 classes) in dlp's
  training mode (model.train(), base.freeze_bn(): BN on running statistics, BN affine in no
  optimizer group), x [2,3,65,89], labels [2,65,89] with 255s; the four MSC outputs, dlp's four
  loss terms (labels PIL-nearest resized to each output, CE ignore 255, mean) and their sum, and
  the gradient of the sum w.r.t. every tensor of dlp's optimizer groups (backbone conv weights,
  ASPP weights and biases).
* deeplabv2_tiny_w4_bntrain.safetensors: the `tiny` preset at width // 4, x [2,3,49,57], with every
  BatchNorm trainable and in training mode (batch statistics, as eps-dist trains the tiny preset
  from scratch); gradients of every parameter incl. BN weight/bias, and the running statistics
  after the forward (the MSC runs the base three times: 1, 0.5, 0.75; momentum in the metadata).
Both are robust to float32 rounding differences between implementations: the input is drawn
(seed + 1 + 1000·attempt, `input_attempt`) until the MSC max has a margin (`msc_min_margin`) and
every ReLU input of the three branches is several float32 errors away from 0
(`relu_min_margin_in_f32_errors`), because a ReLU gate that flips moves a gradient by the whole
upstream gradient of that element (observed: one gate at |x| = 1.2e-7 moved a BN-bias gradient by
2.5% of its largest value). The frozen network's BN biases put each ReLU channel on or off
(keep_relus_away_from_zero); the trained one keeps random biases (see NETWORK_FIXTURES).

Quirk recorded, not copied: dlp's resize_labels passes (H, W) where Pillow expects (width,
height); with its square 321 crops that is the same. The fixtures use non-square inputs, so the
labels are resized to (W, H) — what dlp means.

Pillow's NEAREST resize (ImagingScaleAffine) does not evaluate floor((dst + 0.5)·in/out): it
starts at xo = 0.5·(in/out) and adds in/out once per output pixel, in double, truncating each
xo. The accumulated rounding moves the index down by one wherever (dst + 0.5)·in/out is an exact
integer and the sum falls just below it (e.g. 100 -> 75, 2 -> 7, 240 -> 11); the label_nearest
cases include such sizes.
"""
import argparse
import copy
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_common  # noqa: E402
import make_golden_cases as golden  # noqa: E402
from deeplabv2_model import (BN_EPS, MSC, Bottleneck, DeepLabV2, trainable_names)  # noqa: E402
from make_golden_cases import Case, f32, leaf, normal, uniform, vjp  # noqa: E402

DLP_COMMIT = "4219467"
IGNORE = 255
FIXTURES_OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                             "..", "..", "Tests", "EngineTests", "Fixtures"))

CASES = {
    "seg_ce": [
        dict(name="seg_ce_n1c21_41x41", seed=2001, n=1, c=21, h=41, w=41, scale=2.0, ignore=0.1),
        dict(name="seg_ce_n2c21_21x21", seed=2002, n=2, c=21, h=21, w=21, scale=3.0, ignore=0.2),
        dict(name="seg_ce_n1c21_31x31_offset", seed=2003, n=1, c=21, h=31, w=31, scale=2.0, ignore=0.05,
             offset=40.0),
        dict(name="seg_ce_n2c5_7x9_one_image_ignored", seed=2004, n=2, c=5, h=7, w=9, scale=1.5, ignore=0.3,
             ignore_image=1),
        dict(name="seg_ce_n1c3_1x1", seed=2005, n=1, c=3, h=1, w=1, scale=1.0, ignore=0.0),
    ],
    # sizes [out_h, out_w]; the 321 ones are dlp's loss sizes, the 75x100 ones its augmentation's int(h s)
    "label_nearest": [
        dict(name="label_nearest_321x321_loss_sizes", seed=2101, n=1, h=321, w=321,
             sizes=[[41, 41], [21, 21], [31, 31], [161, 161], [11, 11]]),
        dict(name="label_nearest_240x240", seed=2102, n=1, h=240, w=240, sizes=[[31, 31], [11, 13], [14, 22], [60, 61]]),
        dict(name="label_nearest_41x41_up", seed=2103, n=1, h=41, w=41, sizes=[[321, 37], [45, 321], [82, 83]]),
        dict(name="label_nearest_37x29_odd", seed=2104, n=1, h=37, w=29,
             sizes=[[13, 7], [5, 4], [74, 58], [50, 37], [29, 37], [1, 1], [37, 29]]),
        dict(name="label_nearest_n2_100x75_augmentation", seed=2105, n=2, h=100, w=75,
             sizes=[[50, 37], [75, 56], [125, 93], [150, 112]]),
        dict(name="label_nearest_2x3_boundaries", seed=2106, n=1, h=2, w=3, sizes=[[7, 7], [15, 21], [5, 9]]),
    ],
    "bilinear_scale": [
        dict(name="bilinear_scale_n1c2_321x33", seed=2201, shape=[1, 2, 321, 33], scales=[0.5, 0.75]),
        dict(name="bilinear_scale_n2c3_41x41", seed=2202, shape=[2, 3, 41, 41], scales=[0.5, 0.75]),
        dict(name="bilinear_scale_n1c3_37x29", seed=2203, shape=[1, 3, 37, 29], scales=[0.5, 0.75]),
    ],
    "maxpool_ceil": [
        dict(name="maxpool_ceil_3x3_s2_p1_n1c1_160x40", seed=2301, shape=[1, 1, 160, 40], ties=False),
        dict(name="maxpool_ceil_3x3_s2_p1_n1c2_161x30", seed=2302, shape=[1, 2, 161, 30], ties=False),
        dict(name="maxpool_ceil_3x3_s2_p1_n2c3_8x9", seed=2303, shape=[2, 3, 8, 9], ties=False),
        dict(name="maxpool_ceil_3x3_s2_p1_n1c2_10x7_ties", seed=2304, shape=[1, 2, 10, 7], ties=True),
    ],
    "aspp": [
        dict(name="aspp_r2_3_4_6_n2c8_9x11", seed=2401, n=2, cin=8, classes=5, h=9, w=11, rates=[2, 3, 4, 6]),
        dict(name="aspp_r6_12_18_24_n1c4_41x41", seed=2402, n=1, cin=4, classes=3, h=41, w=41,
             rates=[6, 12, 18, 24]),
    ],
    "caffe_bottleneck": [
        dict(name="caffe_bottleneck_s2_down_bneval", seed=2501, n=2, cin=8, cout=16, h=9, w=11, stride=2,
             dilation=1, downsample=True, bn="eval"),
        dict(name="caffe_bottleneck_d2_down_bneval", seed=2502, n=1, cin=8, cout=16, h=9, w=9, stride=1,
             dilation=2, downsample=True, bn="eval"),
        dict(name="caffe_bottleneck_d4_identity_bneval", seed=2503, n=2, cin=16, cout=16, h=7, w=10, stride=1,
             dilation=4, downsample=False, bn="eval"),
        dict(name="caffe_bottleneck_s2_down_bntrain", seed=2504, n=2, cin=8, cout=16, h=9, w=8, stride=2,
             dilation=1, downsample=True, bn="train"),
    ],
    # logits at l1's size and at the 0.5 / 0.75 branches' sizes (321 crop: 41, 21, 31)
    "msc_max": [
        dict(name="msc_max_n2c4_11x9", seed=2601, n=2, c=4, h=11, w=9, h05=6, w05=5, h075=9, w075=7),
        dict(name="msc_max_n1c3_41x41", seed=2602, n=1, c=3, h=41, w=41, h05=21, w05=21, h075=31, w075=31),
    ],
}

# Outputs that are decisions: float32 and float64 runs must agree exactly (all outputs of these kinds).
DISCRETE_KINDS = ("label_nearest",)


# --------------------------------------------------------------------------------------
# PIL label resizes (dlp's resize_labels and augmentation)
# --------------------------------------------------------------------------------------
def pil_nearest_f(label, h, w):
    """dlp's loss: Image.fromarray(label.float().numpy()) (mode 'F') .resize((w, h), NEAREST)."""
    return np.asarray(Image.fromarray(np.asarray(label, np.float32)).resize((w, h), resample=Image.NEAREST))


def pil_nearest_i(label, h, w):
    """dlp's augmentation: Image.fromarray(int32 label) (mode 'I') .resize((w, h), NEAREST)."""
    return np.asarray(Image.fromarray(np.asarray(label, np.int32)).resize((w, h), resample=Image.NEAREST))


def resize_label_batch(labels, h, w):
    """[n, H, W] float labels -> [n, h, w] float64 via dlp's PIL 'F' nearest."""
    return np.stack([pil_nearest_f(l, h, w) for l in labels]).astype(np.float64)


def random_labels(rng, shape, classes, ignore_frac):
    """Independent per-pixel classes (so a wrong source index is visible), some 255."""
    lab = rng.integers(0, classes, size=shape).astype(np.float32)
    lab[rng.random(shape) < ignore_frac] = IGNORE
    return lab


# --------------------------------------------------------------------------------------
# case builders
# --------------------------------------------------------------------------------------
def make_seg_ce(spec):
    rng = np.random.default_rng(spec["seed"])
    n, c, h, w = spec["n"], spec["c"], spec["h"], spec["w"]
    logits = normal(rng, (n, c, h, w), spec["scale"])
    logits = f32(logits + rng.standard_normal((n, c, 1, 1)) * spec.get("offset", 0.0))
    labels = random_labels(rng, (n, h, w), c, spec["ignore"])
    if "ignore_image" in spec:
        labels[spec["ignore_image"]] = IGNORE
    counted = int((labels != IGNORE).sum())
    assert counted > 0

    def run(t):
        x = leaf(t["logits"])
        loss = F.cross_entropy(x, t["labels"].long(), ignore_index=IGNORE, reduction="mean")
        (g,) = torch.autograd.grad(loss, x)
        return {"grad_logits": g, "loss": loss.detach()}

    desc = ("torch.nn.CrossEntropyLoss(ignore_index=255) (reduction mean) as dlp's criterion: loss = sum over pixels "
            "with label != 255 of -log softmax(logits)[label] / their count (over the whole batch); grad_logits = "
            "d loss / d logits (0 at ignored pixels). labels are class indices stored as float32.")
    return Case({"logits": logits, "labels": labels}, run,
                {"ignore_index": str(IGNORE), "reduction": "mean", "counted": str(counted), "dlp_commit": DLP_COMMIT},
                desc)


def make_label_nearest(spec):
    rng = np.random.default_rng(spec["seed"])
    labels = random_labels(rng, (spec["n"], spec["h"], spec["w"]), 21, 0.1)
    identical = True
    for oh, ow in spec["sizes"]:  # the augmentation's mode 'I' gives the same maps
        for l in labels:
            identical &= np.array_equal(pil_nearest_f(l, oh, ow), pil_nearest_i(l, oh, ow).astype(np.float32))
    assert identical, spec["name"]

    def run(t):
        lab = t["labels"].numpy().astype(np.float32)
        return {f"y_{oh}x{ow}": torch.from_numpy(resize_label_batch(lab, oh, ow)) for oh, ow in spec["sizes"]}

    params = {"sizes": ",".join(f"{oh}x{ow}" for oh, ow in spec["sizes"]), "pil_mode_I_identical": str(identical),
              "dlp_commit": DLP_COMMIT}
    import PIL
    params["pillow_version"] = PIL.__version__
    desc = ("Label maps [n,H,W] (classes 0..20 and 255, as float32) resized per map with Pillow NEAREST as dlp does: "
            "Image.fromarray(label as float32) (mode 'F').resize((w, h), NEAREST) (loss), identical to mode 'I' from "
            "int32 (augmentation; checked). Output y_<h>x<w> [n,h,w]. Pillow's index per axis: xo = 0.5 a, a = in/out "
            "in double, src = int(xo), then xo += a per output pixel (accumulated, not (dst + 0.5) a).")
    return Case({"labels": labels}, run, params, desc)


def make_bilinear_scale(spec):
    rng = np.random.default_rng(spec["seed"])
    inputs = {"x": normal(rng, spec["shape"])}

    def run(t):
        return {f"y_{p}": F.interpolate(t["x"], scale_factor=p, mode="bilinear", align_corners=False)
                for p in spec["scales"]}

    h, w = spec["shape"][2:]
    sizes = ", ".join(f"{p}: {math.floor(h * p)}x{math.floor(w * p)}" for p in spec["scales"])
    desc = ("MSC's input pyramid: y_<p> = F.interpolate(x, scale_factor=p, mode='bilinear', align_corners=False), "
            f"output floor(H p) x floor(W p) ({sizes}); the source coordinate uses the scale 1/p (not in/out).")
    return Case(inputs, run, {"scale_factors": ",".join(map(str, spec["scales"])), "dlp_commit": DLP_COMMIT}, desc)


def make_maxpool_ceil(spec):
    rng = np.random.default_rng(spec["seed"])
    n, c, h, w = spec["shape"]
    x = f32(rng.integers(0, 3, size=spec["shape"])) if spec["ties"] else normal(rng, spec["shape"])
    with torch.no_grad():
        out = F.max_pool2d(torch.from_numpy(x), 3, 2, 1, ceil_mode=True).shape
    inputs = {"x": x, "grad_y": normal(rng, tuple(out))}

    def run(t):
        x = leaf(t["x"])
        y = F.max_pool2d(x, kernel_size=3, stride=2, padding=1, ceil_mode=True)
        return {"y": y.detach(), "grad_x": vjp(y, [x], t["grad_y"])[0]}

    floor_hw = ((h - 1) // 2 + 1, (w - 1) // 2 + 1)
    desc = (f"dlp's stem pool nn.MaxPool2d(3, 2, 1, ceil_mode=True): {h}x{w} -> {out[2]}x{out[3]} (floor mode: "
            f"{floor_hw[0]}x{floor_hw[1]}); out = ceil((in + 2 - 3) / 2) + 1, minus 1 if the last window would start "
            "in the padding; padding as -inf, first maximum wins on ties; grad_x adds grad_y at each window's argmax.")
    if spec["ties"]:
        desc += " x holds the integers 0..2, so windows tie."
    return Case(inputs, run, {"kernel": "3", "stride": "2", "padding": "1", "ceil_mode": "True"}, desc)


def make_aspp(spec):
    rng = np.random.default_rng(spec["seed"])
    n, cin, k, h, w = spec["n"], spec["cin"], spec["classes"], spec["h"], spec["w"]
    inputs = {"x": normal(rng, (n, cin, h, w))}
    for i in range(len(spec["rates"])):
        inputs[f"param.c{i}.weight"] = normal(rng, (k, cin, 3, 3), 1 / math.sqrt(9 * cin))
        inputs[f"param.c{i}.bias"] = normal(rng, (k,), 0.5)
    inputs["grad_y"] = normal(rng, (n, k, h, w))
    names = [nm for nm in inputs if nm.startswith("param.")]

    def run(t):
        x = leaf(t["x"])
        p = {nm: leaf(t[nm]) for nm in names}
        y = sum(F.conv2d(x, p[f"param.c{i}.weight"], p[f"param.c{i}.bias"], padding=r, dilation=r)
                for i, r in enumerate(spec["rates"]))
        grads = vjp(y, [x] + [p[nm] for nm in names], t["grad_y"])
        out = {"y": y.detach(), "grad_x": grads[0]}
        out.update({"grad." + nm[len("param."):]: g for nm, g in zip(names, grads[1:])})
        return out

    desc = ("dlp's _ASPP: y = sum_i conv2d(x, c<i>.weight, c<i>.bias, 3x3, padding = dilation = rate_i); "
            "grad_x and grad.c<i>.{weight,bias} = vector-Jacobian products with grad_y.")
    return Case(inputs, run, {"rates": ",".join(map(str, spec["rates"])), "dlp_commit": DLP_COMMIT}, desc)


def make_caffe_bottleneck(spec):
    rng = np.random.default_rng(spec["seed"])
    train_bn = spec["bn"] == "train"

    def block():
        return Bottleneck(spec["cin"], spec["cout"], spec["stride"], spec["dilation"], spec["downsample"])

    inputs = golden.block_inputs(rng, block(), (spec["n"], spec["cin"], spec["h"], spec["w"]),
                                 lambda name: name.endswith("bn.weight"))
    momentum = 0.1

    def run(t):
        m = golden.load_block_params(block(), t)
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.momentum = momentum
        m.train(train_bn)
        x = leaf(t["x"])
        names = [n for n, _ in m.named_parameters() if train_bn or not n.endswith(("bn.weight", "bn.bias"))]
        params = dict(m.named_parameters())
        y = m(x)
        grads = vjp(y, [x] + [params[n] for n in names], t["grad_y"])
        out = {"y": y.detach(), "grad_x": grads[0]}
        out.update({"grad." + n: g for n, g in zip(names, grads[1:])})
        if train_bn:
            out.update({"running." + n: v.clone() for n, v in m.state_dict().items()
                        if n.endswith(("running_mean", "running_var"))})
        return out

    args = {k: spec[k] for k in ("cin", "cout", "stride", "dilation", "downsample")}
    if train_bn:
        bn_text = (f"every BatchNorm in training mode (batch statistics, eps {BN_EPS}, momentum {momentum}): grad.* "
                   "includes the BN weights and biases; running.<bn> = the running statistics after the forward")
    else:
        bn_text = (f"every BatchNorm frozen as dlp trains (eval: running statistics, eps {BN_EPS}); grad.* = the conv "
                   "weights only (BN affine is in no optimizer group)")
    desc = (f"dlp's caffe/MSRA _Bottleneck({json.dumps(args)}) (scripts/pytorch/deeplabv2_model.Bottleneck, dlp names): "
            "reduce 1x1 (stride) -> conv3x3 (padding = dilation) -> increase 1x1 (no ReLU) + shortcut (1x1 conv "
            f"stride + BN when downsample, else identity) -> ReLU; mid = cout / 4; {bn_text}. Parameters "
            "'param.<name>'; 'grad.<name>' = d sum(y grad_y) / d parameter.")
    params = {"args": json.dumps(args, sort_keys=True), "bn_mode": spec["bn"], "eps": repr(BN_EPS),
              "dlp_commit": DLP_COMMIT}
    if train_bn:
        params["momentum"] = repr(momentum)
    return Case(inputs, run, params, desc)


MSC_MARGIN = 1e-4


def msc_inputs(spec, rng):
    n, c, h, w = spec["n"], spec["c"], spec["h"], spec["w"]
    return {"l1": normal(rng, (n, c, h, w), 2.0), "l_0.5": normal(rng, (n, c, spec["h05"], spec["w05"]), 2.0),
            "l_0.75": normal(rng, (n, c, spec["h075"], spec["w075"]), 2.0), "grad_y": normal(rng, (n, c, h, w))}


def msc_upsampled(t, h, w):
    return [t["l1"]] + [F.interpolate(t[b], size=(h, w), mode="bilinear", align_corners=False)
                        for b in ("l_0.5", "l_0.75")]


def make_msc_max(spec):
    h, w = spec["h"], spec["w"]
    for attempt in range(100):  # inputs whose max has a margin, so float32 and float64 pick the same map
        inputs = msc_inputs(spec, np.random.default_rng([spec["seed"], attempt]))
        top2 = torch.stack(msc_upsampled(golden.as_torch(inputs, torch.float64), h, w)).topk(2, dim=0).values
        margin = (top2[0] - top2[1]).min().item()
        if margin > MSC_MARGIN:
            break
    else:
        raise RuntimeError(f"{spec['name']}: no inputs with a margin in 100 attempts")
    branches = ["l1", "l_0.5", "l_0.75"]

    def run(t):
        ls = {b: leaf(t[b]) for b in branches}
        y = torch.max(torch.stack(msc_upsampled(ls, h, w)), dim=0)[0]
        grads = vjp(y, [ls[b] for b in branches], t["grad_y"])
        return {"y": y.detach(), **{"grad_" + b: g for b, g in zip(branches, grads)}}

    desc = ("dlp's MSC pixel-wise max: y = max(l1, up(l_0.5), up(l_0.75)) over the stacked maps (torch.max(dim=0)), "
            "up = F.interpolate(size = l1's h x w, bilinear, align_corners=False); grad_<branch> = d sum(y grad_y) / "
            "d branch: grad_y goes to the winning map, through the upsampling's backward for the two smaller ones. "
            f"Inputs drawn (seed [seed, attempt]) so that the top two maps differ by more than {MSC_MARGIN} everywhere.")
    return Case(inputs, run, {"dlp_commit": DLP_COMMIT, "design_attempt": str(attempt),
                              "min_margin": f"{margin:.3e}"}, desc)


MAKERS = {
    "seg_ce": make_seg_ce,
    "label_nearest": make_label_nearest,
    "bilinear_scale": make_bilinear_scale,
    "maxpool_ceil": make_maxpool_ceil,
    "aspp": make_aspp,
    "caffe_bottleneck": make_caffe_bottleneck,
    "msc_max": make_msc_max,
}


# --------------------------------------------------------------------------------------
# whole-network fixtures
# --------------------------------------------------------------------------------------
class FixtureMSC(MSC):
    """MSC plus the two hooks fixture_common.calibrate_frozen_bn calls."""

    def forward_features(self, x):
        return self.base(x)

    def freeze_like_eps(self):  # here: dlp's recipe, model.train() then base.freeze_bn()
        self.train()
        self.base.freeze_bn()


def conv_std_rule(aspp_gain):
    """He for convs followed by ReLU (conv1, reduce, conv3x3), sqrt(1/fan_in) for the residual branch's last
    conv and the shortcut, sqrt(aspp_gain/fan_in) for the four summed ASPP convs."""
    def conv_std(name, weight):
        fan_in = weight.shape[1] * weight.shape[2] * weight.shape[3]
        if name.endswith(("conv1.conv.weight", "reduce.conv.weight", "conv3x3.conv.weight")):
            return math.sqrt(2.0 / fan_in)
        return math.sqrt((aspp_gain if ".aspp." in name else 1.0) / fan_in)
    return conv_std


def msc_loss(outputs, labels):
    """dlp's loss: per output, labels PIL-nearest resized to its size ((W, H), see the docstring), CE ignore 255,
    summed. Returns the four terms and the sum."""
    terms = []
    for logit in outputs:
        h, w = logit.shape[2:]
        target = torch.from_numpy(resize_label_batch(labels, h, w)).long()
        terms.append(F.cross_entropy(logit, target, ignore_index=IGNORE))
    return terms, sum(terms)


def network_forward_backward(model, x, labels, names):
    outputs = model(x)
    terms, total = msc_loss(outputs, labels)
    params = dict(model.named_parameters())
    grads = torch.autograd.grad(total, [params[n] for n in names])
    return [o.detach() for o in outputs], [t.detach() for t in terms], dict(zip(names, grads))


def network_labels(g, n, h, w, classes):
    """Blocky labels (regions of 5x5 pixels, so every resized map keeps all kinds) with a 255 border band and
    scattered 255s."""
    blocks = torch.randint(0, classes, (n, (h + 4) // 5, (w + 4) // 5), generator=g)
    lab = blocks.repeat_interleave(5, 1).repeat_interleave(5, 2)[:, :h, :w].numpy().astype(np.float32)
    lab[:, :, :3] = IGNORE
    lab[torch.rand((n, h, w), generator=g).numpy() < 0.05] = IGNORE
    return lab


def msc_decisions(outputs):
    """The MSC max's winning map per element and the smallest gap between the two largest maps."""
    h, w = outputs[0].shape[2:]
    stacked = torch.stack([outputs[0]] + [F.interpolate(o, size=(h, w), mode="bilinear", align_corners=False)
                                          for o in outputs[1:3]])
    top2 = stacked.topk(2, dim=0).values
    return stacked.argmax(0), (top2[0] - top2[1]).min().item()


ATTEMPTS = 300  # inputs tried per network fixture
RELU_ON = 0.7  # share of the channels of a BN before a ReLU that are on; the others are off (bias -6 weights)


@torch.no_grad()
def keep_relus_away_from_zero(model, gen, on_offset, stem_offset):
    """BN biases that put few ReLU inputs near their kink, so that float32 rounding differences between two
    implementations are unlikely to flip a ReLU gate (a flipped gate changes a gradient by the whole upstream
    gradient of that element: at 65x89 there are 0.4-1.3 million ReLU inputs, and with random BN biases tens of
    them lie within the float32 error of 0); the input search below then demands a margin. The channel of a BN
    followed by a ReLU (stem, reduce, conv3x3) is on (bias +on_offset weights) or off (bias -6 weights: always
    0); the shortcut BN is on, so the blocks' sums are mostly positive; the increase BN keeps its random bias.
    on_offset 6 makes the on channels linear (frozen BN); 2 gates about 2% of their values (trained BN: a channel
    that is never gated would get an exactly zero bias gradient, its shift being removed by the next BN's batch
    mean). The stem gets stem_offset: with trained BN its channels feed only BNs (through the max pool), so
    its bias gradient lives on the gated values alone."""
    for name, m in model.named_modules():
        if not isinstance(m, torch.nn.BatchNorm2d) or name.endswith("increase.bn"):
            continue
        on = torch.ones(m.num_features, dtype=torch.bool)
        if not name.endswith("shortcut.bn"):
            on = torch.rand(m.num_features, generator=gen) < RELU_ON
        offset = stem_offset if name.endswith("layer1.conv1.bn") else on_offset
        m.bias.copy_(torch.where(on, offset, -6.0) * m.weight)


def relu_inputs(base, inputs):
    """Every ReLU input of `base` run on each of `inputs` (the stem/reduce/conv3x3 ReLUs and the block sums)."""
    caught = []
    hooks = [mod.register_forward_hook(lambda mod, inp, out: caught.append(inp[0].detach()))
             for mod in base.modules() if isinstance(mod, torch.nn.ReLU)]

    def block_forward(mod, x):
        h = mod.increase(mod.conv3x3(mod.reduce(x))) + mod.shortcut(x)
        caught.append(h.detach())
        return F.relu(h)

    blocks = [mod for mod in base.modules() if isinstance(mod, Bottleneck)]
    for mod in blocks:
        mod.forward = block_forward.__get__(mod)
    with torch.no_grad():
        for x in inputs:
            base(x)
    for h in hooks:
        h.remove()
    for mod in blocks:
        del mod.forward
    return caught


def relu_margin(model, m64, x):
    """The smallest |ReLU input| (float64 run) over every ReLU input tensor of the three MSC branches, in units of
    that tensor's max |float32 - float64|. Both runs read the same float32 pyramid (bilinear by scale factor
    computes its coordinates in the input's dtype, so a float64 pyramid differs by more than rounding)."""
    pyramid = [x] + [F.interpolate(x, scale_factor=p, mode="bilinear", align_corners=False) for p in model.scales]
    a = relu_inputs(copy.deepcopy(model).base, pyramid)
    b = relu_inputs(copy.deepcopy(m64).base, [p.double() for p in pyramid])
    worst = math.inf
    for p, q in zip(a, b):
        err = (p.double() - q).abs().max().item()
        worst = min(worst, q.abs().min().item() / max(err, 1e-30))
    return worst


def make_network_fixture(out_dir, file_name, preset, width_divisor, bn_trainable, seed, bn_rules, aspp_gain,
                         min_margin, relu_offset, stem_offset, x_shape, min_relu_margin):
    classes = 21
    torch.manual_seed(seed)
    model = FixtureMSC(DeepLabV2(classes, preset, width_divisor))
    gen = torch.Generator().manual_seed(seed)
    fixture_common.initialize_weights(model, gen, conv_std_rule(aspp_gain), bn_rules)
    if relu_offset is not None:
        keep_relus_away_from_zero(model, gen, relu_offset, stem_offset)
    if bn_trainable:
        model.train()  # batch statistics; running stats stay mean 0 / var 1 (BN of a net trained from scratch)
        momentum = 0.1
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.momentum = momentum
        names = [n for n, _ in model.named_parameters()]
    else:
        fixture_common.calibrate_frozen_bn(model, torch.randn((4,) + x_shape[1:], generator=gen), gen)
        model.freeze_like_eps()
        names = trainable_names(model)
    assert model.training
    state_before = {k: v.clone() for k, v in model.state_dict().items()}
    m64 = copy.deepcopy(model).double()
    # Inputs whose MSC max has a margin and picks the same maps in float32 and float64 (a flipped pick
    # would route the gradient through another branch), and whose ReLU inputs are all far from 0.
    for attempt in range(ATTEMPTS):
        g = torch.Generator().manual_seed(seed + 1 + 1000 * attempt)
        x = torch.randn(x_shape, generator=g)
        labels = network_labels(g, x_shape[0], x_shape[2], x_shape[3], classes)
        with torch.no_grad():
            pick32, margin = msc_decisions(copy.deepcopy(model)(x))
            pick64, _ = msc_decisions(copy.deepcopy(m64)(x.double()))
        relu_ok = relu_margin(model, m64, x)
        if margin > min_margin and torch.equal(pick32, pick64) and relu_ok > min_relu_margin:
            break
    else:
        raise RuntimeError(f"{file_name}: no input with an MSC margin above {min_margin} and ReLU inputs "
                           f"{min_relu_margin}x their float32 error away from 0 in {ATTEMPTS} attempts")
    outputs, terms, grads = network_forward_backward(model, x, labels, names)
    state_after = model.state_dict()
    outputs64, terms64, grads64 = network_forward_backward(m64, x.double(), labels, names)

    out_names = ["l1", "l_0.5", "l_0.75", "lmax"]
    tensors = {"x": x, "labels": torch.from_numpy(labels), "losses": torch.stack(terms)}
    tensors.update(dict(zip(out_names, outputs)))
    tensors.update({"param." + k: v for k, v in state_before.items() if not k.endswith("num_batches_tracked")})
    tensors.update({"grad." + k: v for k, v in grads.items()})
    if bn_trainable:
        tensors.update({"running_after." + k: v for k, v in state_after.items()
                        if k.endswith(("running_mean", "running_var"))})
    tensors = fixture_common.as_float32(tensors)

    err = {}
    for nm, a, b in list(zip(out_names, outputs, outputs64)) + [("losses", torch.stack(terms), torch.stack(terms64))]:
        err.update(fixture_common._f64_errors(nm, a, b))
    for nm in names:
        err.update(fixture_common._f64_errors("grad." + nm, grads[nm], grads64[nm]))
    worst_grad = max(float(v) for k, v in err.items() if k.startswith("f64_rel_err.grad."))
    kind = "deeplabv2_net"
    mode = ("model.train(), every BatchNorm in training mode (batch statistics, trainable affine, momentum 0.1)"
            if bn_trainable else "model.train(), base.freeze_bn(): every BatchNorm on running statistics, affine frozen")
    meta = fixture_common.network_meta(kind, mode, seed, width_divisor, classes)
    meta.update({
        "num_outputs": str(classes),
        "preset": preset,
        "bn_trainable": str(bn_trainable),
        "rates": "6,12,18,24",
        "scales": "0.5,0.75",
        "output_shapes": ";".join(f"{n}={'x'.join(map(str, o.shape))}" for n, o in zip(out_names, outputs)),
        "loss_terms": ",".join(repr(float(np.float32(t.item()))) for t in terms),
        "loss_total": repr(float(np.float32(sum(t.item() for t in terms)))),
        "loss_terms_f64": ",".join(repr(t.item()) for t in terms64),
        "trainable": ",".join(names),
        "inputs": "x,labels,param.*",
        "outputs": "l1,l_0.5,l_0.75,lmax,losses,grad.*" + (",running_after.*" if bn_trainable else ""),
        "description": (
            f"dlp's MSC(DeepLabV2) ({preset} preset, widths // {width_divisor}, {classes} classes, ASPP 6/12/18/24) "
            f"in training mode ({mode}): outputs [l1, l_0.5, l_0.75, lmax] for x; losses[i] = "
            "CrossEntropyLoss(ignore_index=255)(output_i, labels PIL-nearest resized to output_i's size); "
            "grad.<name> = d sum(losses) / d <name> for the trained tensors (`trainable`). "
            + ("running_after.<bn> = running statistics after the forward (base run at scales 1, 0.5, 0.75 in that "
               "order). " if bn_trainable else "")
            + "Weights: scripts/pytorch/make_deeplab_golden.py"),
        "command": "python3 scripts/pytorch/make_deeplab_golden.py",
        "dlp_commit": DLP_COMMIT,
        "input_attempt": str(attempt),
        "msc_min_margin": f"{margin:.3e}",
        "relu_min_margin_in_f32_errors": f"{relu_ok:.3e}",
        "f64_rel_err.worst_grad": repr(worst_grad),
    })
    if bn_trainable:
        meta["momentum"] = repr(momentum)
    meta.update(err)
    fixture_common.save_network_fixture(
        out_dir, file_name, tensors, meta, kind, outputs[3],
        ("f64_rel_err.lmax", "f64_rel_err.losses", "f64_rel_err.worst_grad", "loss_terms"),
        lines=("outputs: " + meta["output_shapes"], f"trained {len(names)} tensors"))


NETWORK_FIXTURES = [
    # 33 blocks on frozen BN: increase.bn.weight U[0.05, 0.15] keeps the post-ReLU residual stream O(1) (with
    # U[0.2, 0.4] layer4's output std is 9.8 and the float64 rerun differs by 9e-5 at l_0.75); every ReLU input
    # far from 0 (keep_relus_away_from_zero with on channels linear).
    dict(file="deeplabv2_resnet101_w16.safetensors", preset="resnet101", width_divisor=16, bn_trainable=False,
         seed=20260101, bn_rules=[(".increase.bn.weight", 0.05, 0.1)], aspp_gain=0.1, min_margin=1e-4, relu_offset=6.0,
         stem_offset=6.0, x_shape=(2, 3, 65, 89), min_relu_margin=20.0),
    # Trained BN removes any per-channel shift of its input, so channels that a ReLU never gates would get exactly
    # zero bias gradients (0 +- float32 noise): the BN biases stay random (about half the values gated), and the
    # fixture is small enough (0.1 million ReLU inputs: widths / 4, 49x57) that an input with every ReLU input 5
    # float32 errors away from 0 exists.
    dict(file="deeplabv2_tiny_w4_bntrain.safetensors", preset="tiny", width_divisor=4, bn_trainable=True,
         seed=20260102, bn_rules=[], aspp_gain=0.25, min_margin=1e-4, relu_offset=None, stem_offset=None,
         x_shape=(2, 3, 49, 57), min_relu_margin=5.0),
]


# --------------------------------------------------------------------------------------
def generate_all(out_dir, only=None):
    """Writes this script's golden cases; returns their manifest entries."""
    entries = []
    for kind, specs in CASES.items():
        for spec in specs:
            if only is not None and spec["name"] not in only:
                continue
            m = golden.generate(kind, spec, out_dir, makers=MAKERS)
            if kind in DISCRETE_KINDS:
                bad = [k for k, (a, _, _) in m["errors"].items() if a != 0]
                assert not bad, (spec["name"], bad)
            entries.append(m)
            worst = max(m["errors"].items(), key=lambda kv: kv[1][1])
            print(f"{m['file']:60s} {m['bytes']:8d} B  float32 vs float64: worst rel {worst[1][1]:.2e} ({worst[0]})")
    return entries


def merge_manifest(out_dir, entries):
    """manifest.json / CASES.md of out_dir: the other cases' entries as stored, then `entries`."""
    path = os.path.join(out_dir, "manifest.json")
    kept = []
    if os.path.exists(path):
        with open(path) as f:
            mine = {e["file"] for e in entries} | {s["name"] + ".safetensors" for v in CASES.values() for s in v}
            kept = [e for e in json.load(f) if e["file"] not in mine]
    manifest = kept + entries
    with open(path, "w") as f:
        json.dump(manifest, f, indent=1)
    golden.write_cases_md(out_dir, manifest)
    return manifest


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=golden.DEFAULT_OUT)
    ap.add_argument("--fixtures-out", default=FIXTURES_OUT)
    ap.add_argument("--only", nargs="*", default=None, help="case names (no fixtures, no manifest)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(args.out, exist_ok=True)
    entries = generate_all(args.out, args.only)
    if args.only is None:
        manifest = merge_manifest(args.out, entries)
        print(f"{len(entries)} DeepLab cases; manifest of {args.out}: {len(manifest)} cases")
        for fx in NETWORK_FIXTURES:
            make_network_fixture(args.fixtures_out, fx["file"], fx["preset"], fx["width_divisor"], fx["bn_trainable"],
                                 fx["seed"], fx["bn_rules"], fx["aspp_gain"], fx["min_margin"], fx["relu_offset"],
                                 fx["stem_offset"], fx["x_shape"], fx["min_relu_margin"])


if __name__ == "__main__":
    main()
