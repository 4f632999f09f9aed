"""A PyTorch DeepLab-v2 (kazuto1011/deeplab-pytorch, "dlp", commit 4219467) written for
eps-dist's test fixtures, from the facts in the stage-2 reference notes (part 2). dlp
itself is not needed.

The module tree and state_dict names are dlp's `DeepLabV2_ResNet101_MSC`:

    base.layer1.conv1.{conv.weight, bn.{weight,bias,running_mean,running_var,num_batches_tracked}}
    base.layer{2..5}.block{k}.{reduce,conv3x3,increase}.{conv.weight, bn.*}
    base.layer{2..5}.block1.shortcut.{conv.weight, bn.*}        (block1 of every layer)
    base.aspp.c{0..3}.{weight,bias}

At width divisor 1 with the `resnet101` preset the keys (names, order, shapes) equal those of
dlp's own classes: `python3 scripts/pytorch/deeplabv2_model.py --dlp-src DIR` (DIR = a dlp
checkout) builds both and compares them; on 4219467 it prints "keys equal: 632 entries (names, order, shapes)".

Presets (as Engine's DeepLabV2Spec): resnet101 blocks [3, 4, 23, 3], resnet50 [3, 4, 6, 3], both
stem 64 and outputs 256/512/1024/2048; tiny [1, 1, 1, 1], stem 16, outputs 64/128/256/512.
A width divisor d turns every width c (stem and layer outputs) into max(c // d, 1); the
bottleneck's mid width is max(out // 4, 1) of the divided output (dlp: out // 4).

Semantics: layer1 = conv1 7x7 s2 p3 + BN + ReLU, maxpool 3x3 s2 p1 ceil_mode=True; layer2 s1 d1;
layer3 s2 (in block1's 1x1 `reduce` and in its 1x1 shortcut); layer4 d2; layer5 d4; every conv
bias=False, BN eps 1e-5 (momentum 0.001 as dlp); bottleneck = reduce 1x1 (stride) -> conv3x3
(pad = dilation) -> increase 1x1 (BN, no ReLU) + shortcut -> ReLU. ASPP: 3x3 convs with bias,
padding = dilation = rate, outputs summed. MSC: l1 = base(x); l_p = base(bilinear(x, scale_factor=p,
align_corners=False)); lmax = max(l1, up(l_0.5), up(l_0.75)) with up = bilinear to l1's size
(align_corners=False). Training output [l1, l_0.5, l_0.75, lmax], eval output lmax.
"""
import argparse
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

PRESETS = {
    "resnet101": dict(blocks=(3, 4, 23, 3), stem=64, outs=(256, 512, 1024, 2048)),
    "resnet50": dict(blocks=(3, 4, 6, 3), stem=64, outs=(256, 512, 1024, 2048)),
    "tiny": dict(blocks=(1, 1, 1, 1), stem=16, outs=(64, 128, 256, 512)),
}
RATES = (6, 12, 18, 24)
SCALES = (0.5, 0.75)
BN_EPS = 1e-5
BN_MOMENTUM = 1 - 0.999  # dlp's value; irrelevant while BN is frozen


def divided(c, d):
    return max(c // d, 1)


class ConvBnReLU(nn.Sequential):
    """dlp's _ConvBnReLU: children conv, bn (and relu)."""

    def __init__(self, cin, cout, kernel, stride, padding, dilation, relu=True):
        super().__init__()
        self.add_module("conv", nn.Conv2d(cin, cout, kernel, stride, padding, dilation, bias=False))
        self.add_module("bn", nn.BatchNorm2d(cout, eps=BN_EPS, momentum=BN_MOMENTUM))
        if relu:
            self.add_module("relu", nn.ReLU())


class Bottleneck(nn.Module):
    """dlp's _Bottleneck (caffe/MSRA style: the stride is in the 1x1 reduce)."""

    def __init__(self, cin, cout, stride, dilation, downsample):
        super().__init__()
        mid = max(cout // 4, 1)
        self.reduce = ConvBnReLU(cin, mid, 1, stride, 0, 1, True)
        self.conv3x3 = ConvBnReLU(mid, mid, 3, 1, dilation, dilation, True)
        self.increase = ConvBnReLU(mid, cout, 1, 1, 0, 1, False)
        self.shortcut = ConvBnReLU(cin, cout, 1, stride, 0, 1, False) if downsample else nn.Identity()

    def forward(self, x):
        h = self.increase(self.conv3x3(self.reduce(x)))
        return F.relu(h + self.shortcut(x))


class ResLayer(nn.Sequential):
    """dlp's _ResLayer: block1 (stride, shortcut) then blocks 2..n."""

    def __init__(self, n, cin, cout, stride, dilation):
        super().__init__()
        for i in range(n):
            self.add_module(f"block{i + 1}", Bottleneck(cin if i == 0 else cout, cout, stride if i == 0 else 1,
                                                        dilation, i == 0))


class Stem(nn.Sequential):
    def __init__(self, cout):
        super().__init__()
        self.add_module("conv1", ConvBnReLU(3, cout, 7, 2, 3, 1))
        self.add_module("pool", nn.MaxPool2d(3, 2, 1, ceil_mode=True))


class ASPP(nn.Module):
    def __init__(self, cin, classes, rates=RATES):
        super().__init__()
        for i, rate in enumerate(rates):
            self.add_module(f"c{i}", nn.Conv2d(cin, classes, 3, 1, padding=rate, dilation=rate, bias=True))

    def forward(self, x):
        return sum(stage(x) for stage in self.children())


class DeepLabV2(nn.Sequential):
    def __init__(self, num_classes=21, preset="resnet101", width_divisor=1, rates=RATES):
        super().__init__()
        p = PRESETS[preset]
        stem = divided(p["stem"], width_divisor)
        outs = [divided(c, width_divisor) for c in p["outs"]]
        b = p["blocks"]
        self.add_module("layer1", Stem(stem))
        self.add_module("layer2", ResLayer(b[0], stem, outs[0], 1, 1))
        self.add_module("layer3", ResLayer(b[1], outs[0], outs[1], 2, 1))
        self.add_module("layer4", ResLayer(b[2], outs[1], outs[2], 1, 2))
        self.add_module("layer5", ResLayer(b[3], outs[2], outs[3], 1, 4))
        self.add_module("aspp", ASPP(outs[3], num_classes, rates))

    def freeze_bn(self):
        for m in self.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.eval()


class MSC(nn.Module):
    def __init__(self, base, scales=SCALES):
        super().__init__()
        self.base = base
        self.scales = list(scales)

    def forward(self, x):
        logits = self.base(x)
        h, w = logits.shape[2:]
        pyramid = [self.base(F.interpolate(x, scale_factor=p, mode="bilinear", align_corners=False))
                   for p in self.scales]
        up = [F.interpolate(l, size=(h, w), mode="bilinear", align_corners=False) for l in pyramid]
        logits_max = torch.max(torch.stack([logits] + up), dim=0)[0]
        return [logits] + pyramid + [logits_max] if self.training else logits_max


def deeplabv2_msc(num_classes=21, preset="resnet101", width_divisor=1):
    return MSC(DeepLabV2(num_classes, preset, width_divisor))


def dlp_param_groups(model, lr, weight_decay):
    """dlp main.py's get_params: 1x = every Conv2d under a module named *layer* (the backbone
    conv weights), 10x = ASPP weights, 20x = ASPP biases (no weight decay). BN: no group."""
    def convs(key):
        return [m for name, m in model.named_modules() if key in name and isinstance(m, nn.Conv2d)]
    return [
        {"params": [p for m in convs("layer") for p in m.parameters()], "lr": lr, "weight_decay": weight_decay},
        {"params": [m.weight for m in convs("aspp")], "lr": 10 * lr, "weight_decay": weight_decay},
        {"params": [m.bias for m in convs("aspp")], "lr": 20 * lr, "weight_decay": 0.0},
    ]


def trainable_names(model):
    """The names of the tensors in dlp's optimizer groups, in state_dict order."""
    in_groups = {id(p) for g in dlp_param_groups(model, 1.0, 0.0) for p in g["params"]}
    return [n for n, p in model.named_parameters() if id(p) in in_groups]


def compare_with_dlp(dlp_src):
    """Builds dlp's DeepLabV2_ResNet101_MSC layout from its own libs/models/{resnet,deeplabv2,msc}.py
    (imported as a package from DIR/libs/models without its __init__, which needs more modules)
    and ours, and compares the state_dict keys, order and shapes."""
    import importlib.util
    import os
    import types

    pkg = types.ModuleType("dlpmodels")
    pkg.__path__ = [os.path.join(dlp_src, "libs", "models")]
    sys.modules["dlpmodels"] = pkg

    def load(name):
        spec = importlib.util.spec_from_file_location(f"dlpmodels.{name}", os.path.join(pkg.__path__[0], f"{name}.py"))
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod
        spec.loader.exec_module(mod)
        return mod

    load("resnet")
    v2, msc = load("deeplabv2"), load("msc")
    theirs = msc.MSC(base=v2.DeepLabV2(n_classes=21, n_blocks=[3, 4, 23, 3], atrous_rates=[6, 12, 18, 24]),
                     scales=[0.5, 0.75]).state_dict()
    ours = deeplabv2_msc(21, "resnet101", 1).state_dict()
    a = [(k, tuple(v.shape)) for k, v in theirs.items()]
    b = [(k, tuple(v.shape)) for k, v in ours.items()]
    if a != b:
        print("keys differ:", [x for x in a if x not in b][:5], [x for x in b if x not in a][:5])
        return 1
    print(f"keys equal: {len(a)} entries (names, order, shapes)")
    return 0


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dlp-src", required=True, help="a kazuto1011/deeplab-pytorch checkout")
    sys.exit(compare_with_dlp(ap.parse_args().dlp_src))
