"""A PyTorch ResNet-50 (torchvision v1.5 layout) with the EPS head, written for
eps-dist's test fixtures. torchvision is not needed (and not imported).

The state_dict names and order are torchvision's `resnet50()` minus `fc.*`,
plus the EPS head `fc8.weight`, so torchvision ImageNet weights load with
`load_state_dict(..., strict=False)` (only `fc8.weight` missing, `fc.*`
unexpected):

    conv1.weight, bn1.{weight,bias,running_mean,running_var,num_batches_tracked}
    layer{1..4}.{i}.{conv1,bn1,conv2,bn2,conv3,bn3}.*          blocks [3, 4, 6, 3]
    layer{1..4}.0.downsample.{0,1}.*   (1x1 conv with the block's stride, BN)
    fc8.weight   (1x1 conv, 2048 // d -> num_outputs, no bias)

Semantics (torchvision v1.5): conv1 7x7/2 pad 3 -> bn1 -> relu -> maxpool 3x3/2
pad 1 -> layer1 (stride 1) -> layer2 (2) -> layer3 (2) -> layer4. Bottleneck:
conv1 1x1 -> bn1 -> relu -> conv2 3x3 (stride, padding = dilation, dilation)
-> bn2 -> relu -> conv3 1x1 (planes * 4) -> bn3; out = relu(out + identity),
identity = downsample(x) when stride != 1 or inplanes != planes * 4.

layer4 uses torchvision's replace_stride_with_dilation=[False, False, True],
i.e. `_make_layer(dilate=True)`: `previous_dilation = self.dilation (1);
self.dilation *= stride (2); stride = 1`; the first block gets stride 1 and
dilation previous_dilation = 1, the later blocks dilation 2 (padding 2); the
downsample is a 1x1 stride-1 conv (needed because 1024 != 2048). Output stride
16. No avgpool / fc.

`width_divisor` d turns every width c into max(c // d, 1): conv1 64 -> 64 // d
and planes -> planes // d (the expansion stays 4). d = 1 is the real network.
All convolutions bias=False; every BatchNorm has eps 1e-5 (PyTorch default).
"""
import torch.nn as nn
import torch.nn.functional as F

from freezing import freeze_like_eps

LAYERS = [3, 4, 6, 3]
PLANES = [64, 128, 256, 512]
EXPANSION = 4
# torchvision replace_stride_with_dilation for layer2, layer3, layer4
REPLACE_STRIDE_WITH_DILATION = [False, False, True]
FROZEN_PREFIXES = ("conv1.", "bn1.", "layer1.")


class Bottleneck(nn.Module):
    expansion = EXPANSION

    def __init__(self, inplanes, planes, stride=1, downsample=None, dilation=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=dilation,
                               dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * EXPANSION, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * EXPANSION)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet50EPS(nn.Module):
    """Backbone (conv1 ... layer4, output stride 16) + EPS head fc8.

    forward(x) -> (pred, cam): cam = fc8(layer4 output) [N, K, h, w] raw scores,
    pred = global average pool of cam [N, K]; K = num_outputs (C + 1 for EPS).
    """

    def __init__(self, num_outputs=21, width_divisor=1,
                 replace_stride_with_dilation=REPLACE_STRIDE_WITH_DILATION):
        super().__init__()
        d = width_divisor

        def w(c):
            return max(c // d, 1)

        self.width_divisor = d
        self.inplanes = w(64)
        self.dilation = 1
        self.conv1 = nn.Conv2d(3, self.inplanes, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = self._make_layer(w(PLANES[0]), LAYERS[0])
        self.layer2 = self._make_layer(w(PLANES[1]), LAYERS[1], stride=2,
                                       dilate=replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(w(PLANES[2]), LAYERS[2], stride=2,
                                       dilate=replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(w(PLANES[3]), LAYERS[3], stride=2,
                                       dilate=replace_stride_with_dilation[2])
        self.fc8 = nn.Conv2d(self.inplanes, num_outputs, 1, bias=False)
        nn.init.xavier_uniform_(self.fc8.weight)

    def _make_layer(self, planes, blocks, stride=1, dilate=False):
        # torchvision ResNet._make_layer, same rule for stride/dilation.
        downsample = None
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * EXPANSION:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes * EXPANSION, 1, stride=stride, bias=False),
                nn.BatchNorm2d(planes * EXPANSION),
            )
        layers = [Bottleneck(self.inplanes, planes, stride, downsample, previous_dilation)]
        self.inplanes = planes * EXPANSION
        for _ in range(1, blocks):
            layers.append(Bottleneck(self.inplanes, planes, dilation=self.dilation))
        return nn.Sequential(*layers)

    def forward_features(self, x, layer2_input_hook=None, shapes=None):
        """layer4 output. `layer2_input_hook(t) -> t` may replace the layer1
        output before it enters layer2 (used to take d/d(layer2 input)).
        `shapes`, if a list, receives (stage name, tuple(shape))."""
        def rec(name, t):
            if shapes is not None:
                shapes.append((name, tuple(t.shape)))
            return t

        x = rec("input", x)
        x = rec("conv1", self.relu(self.bn1(self.conv1(x))))
        x = rec("maxpool", self.maxpool(x))
        x = rec("layer1", self.layer1(x))
        if layer2_input_hook is not None:
            x = layer2_input_hook(x)
        x = rec("layer2", self.layer2(x))
        x = rec("layer3", self.layer3(x))
        return rec("layer4", self.layer4(x))

    def forward(self, x, layer2_input_hook=None, shapes=None):
        cam = self.fc8(self.forward_features(x, layer2_input_hook, shapes))
        if shapes is not None:
            shapes.append(("cam", tuple(cam.shape)))
        pred = F.adaptive_avg_pool2d(cam, 1).flatten(1)
        return pred, cam

    def freeze_like_eps(self):
        """The freezing eps-dist's Swift ResNet-50 uses: every BatchNorm in eval
        mode with frozen affine parameters; conv1, bn1 and layer1 frozen."""
        return freeze_like_eps(self, FROZEN_PREFIXES)

    def trainable_names(self):
        """Conv weights of layer2 ... layer4 (incl. downsample.0) and fc8."""
        bn_names = {n + "." for n, m in self.named_modules() if isinstance(m, nn.BatchNorm2d)}
        return [n for n, p in self.named_parameters()
                if not n.startswith(FROZEN_PREFIXES)
                and not any(n.startswith(b) for b in bn_names)]

    def conv2_layout(self, layer="layer4"):
        """[(name, stride, padding, dilation)] of every block's conv2 in `layer`."""
        return [(f"{layer}.{i}.conv2", b.conv2.stride[0], b.conv2.padding[0], b.conv2.dilation[0])
                for i, b in enumerate(getattr(self, layer))]
