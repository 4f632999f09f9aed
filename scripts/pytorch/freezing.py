"""The EPS freezing shared by the fixture models: every BatchNorm in eval mode
with frozen affine parameters, and the parameters under `frozen_prefixes`
(the stem: conv1a + b2 for ResNet-38, conv1 + bn1 + layer1 for ResNet-50)."""
import torch.nn as nn


def freeze_like_eps(model, frozen_prefixes):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
            m.weight.requires_grad_(False)
            m.bias.requires_grad_(False)
    for name, p in model.named_parameters():
        if name.startswith(frozen_prefixes):
            p.requires_grad_(False)
    return model
