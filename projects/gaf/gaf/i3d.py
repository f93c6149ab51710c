"""Inception-v1 I3D (Carreira & Zisserman, CVPR 2017), the backbone of AFSD and GAF.

The parameter names are those of the released ``rgb_imagenet.pt`` / ``flow_imagenet.pt``
weights (``Conv3d_1a_7x7.conv3d.weight``, ``Mixed_3b.b1b.bn.running_var``, ...), so they and
the ``backbone._model.*`` part of AFSD/GAF checkpoints load by key mapping alone. Every conv
and max pool pads TensorFlow 'SAME' (the extra element at the back) with zeros.
"""
import math
from typing import Dict, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.model import BaseModule
from torch.nn.modules.batchnorm import _BatchNorm

I3D_ENDPOINTS = ('Conv3d_1a_7x7', 'MaxPool3d_2a_3x3', 'Conv3d_2b_1x1', 'Conv3d_2c_3x3',
                 'MaxPool3d_3a_3x3', 'Mixed_3b', 'Mixed_3c', 'MaxPool3d_4a_3x3', 'Mixed_4b',
                 'Mixed_4c', 'Mixed_4d', 'Mixed_4e', 'Mixed_4f', 'MaxPool3d_5a_2x2', 'Mixed_5b',
                 'Mixed_5c')

Triple = Tuple[int, int, int]

# endpoint -> ('conv', out_channels, kernel, stride) | ('pool', kernel, stride)
#           | ('mixed', (branch 0, branch 1 reduce, branch 1, branch 2 reduce, branch 2,
#                        branch 3 (after the pool)) channels)
_LAYERS = {
    'Conv3d_1a_7x7': ('conv', 64, (7, 7, 7), (2, 2, 2)),
    'MaxPool3d_2a_3x3': ('pool', (1, 3, 3), (1, 2, 2)),
    'Conv3d_2b_1x1': ('conv', 64, (1, 1, 1), (1, 1, 1)),
    'Conv3d_2c_3x3': ('conv', 192, (3, 3, 3), (1, 1, 1)),
    'MaxPool3d_3a_3x3': ('pool', (1, 3, 3), (1, 2, 2)),
    'Mixed_3b': ('mixed', (64, 96, 128, 16, 32, 32)),
    'Mixed_3c': ('mixed', (128, 128, 192, 32, 96, 64)),
    'MaxPool3d_4a_3x3': ('pool', (3, 3, 3), (2, 2, 2)),
    'Mixed_4b': ('mixed', (192, 96, 208, 16, 48, 64)),
    'Mixed_4c': ('mixed', (160, 112, 224, 24, 64, 64)),
    'Mixed_4d': ('mixed', (128, 128, 256, 24, 64, 64)),
    'Mixed_4e': ('mixed', (112, 144, 288, 32, 64, 64)),
    'Mixed_4f': ('mixed', (256, 160, 320, 32, 128, 128)),
    'MaxPool3d_5a_2x2': ('pool', (2, 2, 2), (2, 2, 2)),
    'Mixed_5b': ('mixed', (256, 160, 320, 32, 128, 128)),
    'Mixed_5c': ('mixed', (384, 192, 384, 48, 128, 128)),
}


def pad_same(x: torch.Tensor, kernel: Triple, stride: Triple) -> torch.Tensor:
    """Zero-pad ``(B, C, T, H, W)`` so that a ``kernel``/``stride`` window gives
    ``ceil(size / stride)`` outputs per axis; an odd total puts the extra element at the back."""
    pad = []
    for size, k, s in zip(reversed(x.shape[2:]), reversed(kernel), reversed(stride)):
        total = max((math.ceil(size / s) - 1) * s + k - size, 0)
        pad += [total // 2, total - total // 2]
    return F.pad(x, pad)


class ConvBNReLU3d(nn.Module):
    """'SAME'-padded Conv3d without bias, BatchNorm3d (eps 1e-3, momentum 0.01), ReLU."""

    def __init__(self, in_channels: int, out_channels: int, kernel: Triple = (1, 1, 1),
                 stride: Triple = (1, 1, 1)):
        super().__init__()
        self.kernel, self.stride = kernel, stride
        self.conv3d = nn.Conv3d(in_channels, out_channels, kernel, stride, bias=False)
        self.bn = nn.BatchNorm3d(out_channels, eps=1e-3, momentum=0.01)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv3d(pad_same(x, self.kernel, self.stride))))


class MaxPool3dSame(nn.MaxPool3d):
    """Max pooling after zero 'SAME' padding (its inputs follow a ReLU, so zeros never win
    over a real value)."""

    def __init__(self, kernel: Triple, stride: Triple):
        super().__init__(kernel, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(pad_same(x, self.kernel_size, self.stride))


class InceptionBlock(nn.Module):
    """Four branches, concatenated: 1x1 (``b0``); 1x1 -> 3x3x3 (``b1a``, ``b1b``);
    1x1 -> 3x3x3 (``b2a``, ``b2b``); 3x3x3 max pool (stride 1) -> 1x1 (``b3a``, ``b3b``)."""

    def __init__(self, in_channels: int, channels: Sequence[int]):
        super().__init__()
        self.b0 = ConvBNReLU3d(in_channels, channels[0])
        self.b1a = ConvBNReLU3d(in_channels, channels[1])
        self.b1b = ConvBNReLU3d(channels[1], channels[2], (3, 3, 3))
        self.b2a = ConvBNReLU3d(in_channels, channels[3])
        self.b2b = ConvBNReLU3d(channels[3], channels[4], (3, 3, 3))
        self.b3a = MaxPool3dSame((3, 3, 3), (1, 1, 1))
        self.b3b = ConvBNReLU3d(in_channels, channels[5])
        self.out_channels = channels[0] + channels[2] + channels[4] + channels[5]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.b0(x), self.b1b(self.b1a(x)), self.b2b(self.b2a(x)),
                          self.b3b(self.b3a(x))], dim=1)


@MODELS.register_module()
class InceptionI3D(BaseModule):
    """Inception-v1 I3D up to the last of ``out_endpoints`` (no classifier).

    Strides: 2 in time and space at ``Conv3d_1a_7x7``, ``MaxPool3d_4a_3x3`` and
    ``MaxPool3d_5a_2x2``, 2 in space at ``MaxPool3d_2a_3x3`` and ``MaxPool3d_3a_3x3``, each
    rounding up: a ``(B, 3, 256, 96, 96)`` clip gives Mixed_4f ``(B, 832, 64, 6, 6)`` and
    Mixed_5c ``(B, 1024, 32, 3, 3)``.

    Args:
        in_channels: 3 for RGB, 2 for optical flow.
        out_endpoints: the maps ``forward`` returns, in this order; names from
            ``I3D_ENDPOINTS``.
        freeze_bn: keep every BatchNorm in eval mode (running statistics untouched) when the
            model trains, as AFSD's THUMOS14 configs.
        freeze_bn_affine: with ``freeze_bn``, also keep the BatchNorm weights and biases fixed
            (``requires_grad=False``).
        init_cfg: mmengine initialisation config (e.g. a ``Pretrained`` checkpoint).
    """

    def __init__(self, in_channels: int = 3,
                 out_endpoints: Union[str, Sequence[str]] = ('Mixed_4f', 'Mixed_5c'),
                 freeze_bn: bool = True, freeze_bn_affine: bool = True,
                 init_cfg: Optional[Union[dict, list]] = None):
        super().__init__(init_cfg)
        if isinstance(out_endpoints, str):
            out_endpoints = (out_endpoints, )
        out_endpoints = tuple(out_endpoints)
        if not out_endpoints:
            raise ValueError('InceptionI3D: out_endpoints is empty; valid endpoints: '
                             + ', '.join(I3D_ENDPOINTS))
        for name in out_endpoints:
            if name not in I3D_ENDPOINTS:
                raise ValueError(f'InceptionI3D: unknown endpoint {name!r} in out_endpoints; '
                                 'valid endpoints: ' + ', '.join(I3D_ENDPOINTS))
        if len(set(out_endpoints)) != len(out_endpoints):
            raise ValueError(f'InceptionI3D: out_endpoints {out_endpoints} repeats an endpoint')
        self.in_channels = in_channels
        self.out_endpoints = out_endpoints
        self.freeze_bn, self.freeze_bn_affine = freeze_bn, freeze_bn_affine

        last = max(I3D_ENDPOINTS.index(name) for name in out_endpoints)
        self.endpoints = I3D_ENDPOINTS[:last + 1]
        channels = in_channels
        for name in self.endpoints:
            kind, *spec = _LAYERS[name]
            if kind == 'conv':
                layer = ConvBNReLU3d(channels, *spec)
                channels = spec[0]
            elif kind == 'pool':
                layer = MaxPool3dSame(*spec)
            else:
                layer = InceptionBlock(channels, *spec)
                channels = layer.out_channels
            self.add_module(name, layer)

        self.train()

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """``(B, in_channels, T, H, W)`` -> the ``out_endpoints`` maps, in that order."""
        if x.dim() != 5 or x.shape[1] != self.in_channels:
            raise ValueError(f'InceptionI3D: expected (B, {self.in_channels}, T, H, W) clips, '
                             f'got shape {tuple(x.shape)}')
        maps: Dict[str, torch.Tensor] = {}
        for name in self.endpoints:
            x = getattr(self, name)(x)
            if name in self.out_endpoints:
                maps[name] = x
        return tuple(maps[name] for name in self.out_endpoints)

    def train(self, mode: bool = True) -> 'InceptionI3D':
        """Train mode; under ``freeze_bn`` every BatchNorm stays in eval mode (and, under
        ``freeze_bn_affine``, its weight and bias stop requiring gradients)."""
        super().train(mode)
        if mode and self.freeze_bn:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
                    if self.freeze_bn_affine:
                        module.requires_grad_(False)
        return self
