"""VSGN's heads: the anchor head shared over pyramid levels, the boundary adjustment and the
boundary scoring modules (stage 2)."""
from typing import List, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


def tower(channels: int, depth: int, groups: int) -> nn.Sequential:
    layers = []
    for _ in range(depth):
        layers += [nn.Conv1d(channels, channels, 3, padding=1), nn.GroupNorm(groups, channels),
                   nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


class VSGNHead(nn.Module):
    """Classification and regression towers shared over the levels.

    For each position and each of ``num_anchors`` anchors: ``num_scores`` class logits and the
    two deltas of :class:`~vsgt_projects.vsgn.vsgn.anchors.SegmentCoder`.
    """

    def __init__(self, channels: int, num_anchors: int, num_scores: int, depth: int = 4,
                 groups: int = 32):
        super().__init__()
        self.num_anchors, self.num_scores = num_anchors, num_scores
        self.cls_tower = tower(channels, depth, groups)
        self.reg_tower = tower(channels, depth, groups)
        self.cls = nn.Conv1d(channels, num_anchors * num_scores, 3, padding=1)
        self.reg = nn.Conv1d(channels, num_anchors * 2, 3, padding=1)

    def forward(self, levels: List[torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor]:
        """Logits ``(B, N, num_scores)`` and deltas ``(B, N, 2)``, anchors ordered as
        :func:`~vsgt_projects.vsgn.vsgn.anchors.make_anchors` orders them."""
        logits, deltas = [], []
        for x in levels:
            batch, _, length = x.shape
            logits.append(self.cls(self.cls_tower(x)).transpose(1, 2).reshape(
                batch, length * self.num_anchors, self.num_scores))
            deltas.append(self.reg(self.reg_tower(x)).transpose(1, 2).reshape(
                batch, length * self.num_anchors, 2))
        return torch.cat(logits, 1), torch.cat(deltas, 1)


class BoundaryAdjust(nn.Module):
    """Stage-2 boundary offsets from the stride-``stride`` level around each boundary.

    The segments are clamped to the window only to read features: for a clamped ``[s, e]`` and
    ``d = (e - s + 1) / 8``, the level is read at ``floor((b - d) / stride)``, ``floor(b /
    stride)``, ``floor((b + d) / stride)`` around each boundary ``b``; a stride-2 conv (k3, no
    padding) and ReLU reduce the three to one, and a 1x1 conv gives the offset in steps, added to
    the unclamped boundary (gradients reach the stage-1 segments through the sum).
    """

    def __init__(self, channels: int, stride: int = 4):
        super().__init__()
        self.stride = stride
        self.start, self.end = (nn.Sequential(
            nn.Conv1d(channels, channels, 3, stride=2), nn.ReLU(inplace=True),
            nn.Conv1d(channels, 1, 1)) for _ in range(2))

    def forward(self, feature: torch.Tensor, segments: torch.Tensor,
                window_size: int) -> torch.Tensor:
        """Adjusted ``(B, N, 2)`` segments of ``segments`` ``(B, N, 2)``."""
        clamped = segments.detach().clamp(0, window_size - 1)
        spread = (clamped[..., 1] - clamped[..., 0] + 1) / 8
        adjusted = []
        for i, branch in enumerate((self.start, self.end)):
            boundary = clamped[..., i]
            points = torch.stack([boundary - spread, boundary, boundary + spread], dim=-1)
            index = torch.div(points, self.stride, rounding_mode='floor').long().clamp(
                0, feature.shape[-1] - 1)
            batch, num, _ = index.shape
            sampled = torch.gather(feature, 2, index.reshape(batch, 1, -1).expand(
                -1, feature.shape[1], -1))  # (B, C, N * 3)
            sampled = sampled.reshape(batch, -1, num, 3).permute(0, 2, 1, 3).reshape(
                batch * num, -1, 3)
            adjusted.append(segments[..., i] + branch(sampled).reshape(batch, num))
        return torch.stack(adjusted, dim=-1)


class BoundaryScoring(nn.Module):
    """Actionness, start and end probabilities ``(B, 3, T)``: one branch each (conv k3, ReLU,
    1x1 conv, sigmoid) on the stride-4 level, linearly upsampled to the window with the end
    positions aligned (``align_corners=True``)."""

    def __init__(self, channels: int):
        super().__init__()
        self.action, self.start, self.end = (nn.Sequential(
            nn.Conv1d(channels, channels, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv1d(channels, 1, 1)) for _ in range(3))

    def forward(self, feature: torch.Tensor, window_size: int) -> torch.Tensor:
        probs = torch.cat([branch(feature) for branch in (self.action, self.start, self.end)],
                          dim=1).sigmoid()
        return F.interpolate(probs, size=window_size, mode='linear', align_corners=True)
