"""A PyTorch ResNet-38 ("Wider or Deeper" model A1, as used by EPS) with the
EPS head, written for eps-dist's test fixtures.

Written from the description in docs/REFERENCE.md, sections 2.1–2.3 (not copied from the
official code). The state_dict names match the official
`network/resnet38d.Net` + `network/resnet38_eps.Net` exactly, so an official
checkpoint loads into this module with strict=True and vice versa:

    conv1a.weight
    b2.{bn_branch2a,bn_branch2b1}.{weight,bias,running_mean,running_var,num_batches_tracked}
    b2.{conv_branch2a,conv_branch2b1,conv_branch1}.weight     (conv_branch1 only when the shape changes)
    b2_1, b2_2, b3, b3_1, b3_2, b4, b4_1..b4_5, b5, b5_1, b5_2   (ResBlock)
    b6, b7  (ResBlockBot: bn_branch2a, conv_branch2a, bn_branch2b1, conv_branch2b1,
             bn_branch2b2, conv_branch2b2, conv_branch1)
    bn7.*
    fc8.weight   (1x1 conv, features -> num_outputs, no bias)

`width_divisor` d divides every channel count c into max(c // d, 1) (tests only;
d = 1 is the real network). All convolutions have bias=False; every BatchNorm
has eps 1e-5 (PyTorch default).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from freezing import freeze_like_eps


class ResBlock(nn.Module):
    """Pre-activation residual block with two 3x3 convolutions."""

    def __init__(self, in_ch, mid_ch, out_ch, stride=1, first_dilation=None, dilation=1):
        super().__init__()
        if first_dilation is None:
            first_dilation = dilation
        self.same_shape = in_ch == out_ch and stride == 1
        self.bn_branch2a = nn.BatchNorm2d(in_ch)
        self.conv_branch2a = nn.Conv2d(in_ch, mid_ch, 3, stride=stride, padding=first_dilation,
                                       dilation=first_dilation, bias=False)
        self.bn_branch2b1 = nn.BatchNorm2d(mid_ch)
        self.conv_branch2b1 = nn.Conv2d(mid_ch, out_ch, 3, stride=1, padding=dilation,
                                        dilation=dilation, bias=False)
        if not self.same_shape:
            self.conv_branch1 = nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False)

    def forward(self, x):
        t = F.relu(self.bn_branch2a(x))
        shortcut = x if self.same_shape else self.conv_branch1(t)
        u = self.conv_branch2a(t)
        u = F.relu(self.bn_branch2b1(u))
        u = self.conv_branch2b1(u)
        return shortcut + u


class ResBlockBot(nn.Module):
    """Pre-activation bottleneck block (1x1 -> 3x3 dilated -> 1x1), always projected."""

    def __init__(self, in_ch, out_ch, stride=1, dilation=1, dropout=0.0):
        super().__init__()
        q, h = out_ch // 4, out_ch // 2
        self.bn_branch2a = nn.BatchNorm2d(in_ch)
        self.conv_branch2a = nn.Conv2d(in_ch, q, 1, stride=stride, bias=False)
        self.bn_branch2b1 = nn.BatchNorm2d(q)
        self.dropout_2b1 = nn.Dropout2d(dropout)
        self.conv_branch2b1 = nn.Conv2d(q, h, 3, padding=dilation, dilation=dilation, bias=False)
        self.bn_branch2b2 = nn.BatchNorm2d(h)
        self.dropout_2b2 = nn.Dropout2d(dropout)
        self.conv_branch2b2 = nn.Conv2d(h, out_ch, 1, bias=False)
        self.conv_branch1 = nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False)

    def forward(self, x):
        t = F.relu(self.bn_branch2a(x))
        shortcut = self.conv_branch1(t)
        u = self.conv_branch2a(t)
        u = self.dropout_2b1(F.relu(self.bn_branch2b1(u)))
        u = self.conv_branch2b1(u)
        u = self.dropout_2b2(F.relu(self.bn_branch2b2(u)))
        u = self.conv_branch2b2(u)
        return shortcut + u


# (name, kind, args, kwargs) in forward order; channel counts are the real network's.
STAGES = [
    ("b2", "res", (64, 128, 128), dict(stride=2)),
    ("b2_1", "res", (128, 128, 128), {}),
    ("b2_2", "res", (128, 128, 128), {}),
    ("b3", "res", (128, 256, 256), dict(stride=2)),
    ("b3_1", "res", (256, 256, 256), {}),
    ("b3_2", "res", (256, 256, 256), {}),
    ("b4", "res", (256, 512, 512), dict(stride=2)),
] + [("b4_%d" % i, "res", (512, 512, 512), {}) for i in range(1, 6)] + [
    ("b5", "res", (512, 512, 1024), dict(stride=1, first_dilation=1, dilation=2)),
    ("b5_1", "res", (1024, 512, 1024), dict(dilation=2)),
    ("b5_2", "res", (1024, 512, 1024), dict(dilation=2)),
    ("b6", "bot", (1024, 2048), dict(dilation=4, dropout=0.3)),
    ("b7", "bot", (2048, 4096), dict(dilation=4, dropout=0.5)),
]

FROZEN_PREFIXES = ("conv1a.", "b2.", "b2_1.", "b2_2.")  # EPS's not_training list


class ResNet38EPS(nn.Module):
    """Backbone (conv1a ... bn7 + ReLU, output stride 8) + EPS head fc8.

    forward(x) -> (pred, cam): cam = fc8(features) [N, K, h, w] raw scores,
    pred = global average pool of cam [N, K]; K = num_outputs (C + 1 for EPS,
    background last). For the official cls head use num_outputs = C and
    `forward_features` + your own pooling (its state_dict names are the same).
    """

    def __init__(self, num_outputs=21, width_divisor=1):
        super().__init__()
        d = width_divisor

        def w(c):
            return max(c // d, 1)

        self.width_divisor = d
        self.conv1a = nn.Conv2d(3, w(64), 3, padding=1, bias=False)
        self.stage_names = []
        for name, kind, chans, kw in STAGES:
            chans = tuple(w(c) for c in chans)
            block = ResBlock(*chans, **kw) if kind == "res" else ResBlockBot(*chans, **kw)
            setattr(self, name, block)
            self.stage_names.append(name)
        self.bn7 = nn.BatchNorm2d(w(4096))
        self.fc8 = nn.Conv2d(w(4096), num_outputs, 1, bias=False)
        nn.init.xavier_uniform_(self.fc8.weight)

    def forward_features(self, x, b3_input_hook=None):
        """conv6 = relu(bn7(b7(...))). `b3_input_hook(t) -> t` may replace the
        b2_2 output before it enters b3 (used to take d/d(b3 input))."""
        x = self.conv1a(x)
        for name in self.stage_names:
            if name == "b3" and b3_input_hook is not None:
                x = b3_input_hook(x)
            x = getattr(self, name)(x)
        return F.relu(self.bn7(x))

    def forward(self, x, b3_input_hook=None):
        cam = self.fc8(self.forward_features(x, b3_input_hook))
        pred = F.adaptive_avg_pool2d(cam, 1).flatten(1)
        return pred, cam

    def freeze_like_eps(self):
        """What the official Net.train() override does: every BatchNorm in eval
        mode with frozen affine parameters; conv1a and the b2 stage frozen.
        Dropout2d keeps following self.training."""
        return freeze_like_eps(self, FROZEN_PREFIXES)

    def trainable_names(self):
        """state_dict names EPS trains: conv weights of b3...b7 and fc8."""
        return [n for n, p in self.named_parameters()
                if n.endswith(".weight") and not n.startswith(FROZEN_PREFIXES)
                and ".bn" not in n and not n.startswith("bn7.")]
