"""Anchors, the segment coder and the anchor assigners of VSGN.

Segments are ``(N, 2)`` float tensors ``[start, end]`` in window steps. The fixed-IoU assigner is
the official one (:func:`match_max_iou`); the ATSS option is mmdet's
:class:`~mmdet.models.task_modules.ATSSAssigner` on segments lifted to boxes of unit height,
``[start, 0, end, 1]``: their IoU is the temporal IoU and their centre distance the distance of
the segment centres.
"""
import math
from typing import List, Sequence, Tuple

import torch
from mmdet.models.task_modules import ATSSAssigner
from mmengine.structures import InstanceData

IOU = dict(type='mmdet.BboxOverlaps2D')  # scoped: the configs' default scope is mmaction


def segments_as_boxes(segments: torch.Tensor) -> torch.Tensor:
    """``(N, 2)`` segments as ``(N, 4)`` boxes ``[start, 0, end, 1]``."""
    zeros, ones = segments.new_zeros(len(segments)), segments.new_ones(len(segments))
    return torch.stack([segments[:, 0], zeros, segments[:, 1], ones], dim=1)


def segment_iou(segments: torch.Tensor, others: torch.Tensor,
                plus_one: bool = False) -> torch.Tensor:
    """Pairwise temporal IoU ``(N, M)`` of ``(N, 2)`` and ``(M, 2)`` segments; ``plus_one``: the
    official union, which counts ``segments``' lengths (only theirs) as ``end - start + 1``."""
    inter = (torch.minimum(segments[:, None, 1], others[None, :, 1]) -
             torch.maximum(segments[:, None, 0], others[None, :, 0])).clamp(min=0)
    union = ((segments[:, 1] - segments[:, 0] + float(plus_one))[:, None] +
             (others[:, 1] - others[:, 0])[None] - inter)
    return inter / union.clamp(min=1e-6)


def giou_loss(segments: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """``1 - GIoU`` of aligned ``(N, 2)`` segments, ``(N,)``; a predicted segment's ends are
    sorted first (an inverted one counts by its span)."""
    start = torch.minimum(segments[:, 0], segments[:, 1])
    end = torch.maximum(segments[:, 0], segments[:, 1])
    inter = (torch.minimum(end, targets[:, 1]) - torch.maximum(start, targets[:, 0])).clamp(min=0)
    union = (end - start) + (targets[:, 1] - targets[:, 0]) - inter + 1e-7
    hull = torch.maximum(end, targets[:, 1]) - torch.minimum(start, targets[:, 0]) + 1e-7
    return 1 - inter / union + (hull - union) / hull


def make_anchors(level_sizes: Sequence[int], strides: Sequence[int],
                 ratios: Sequence[float]) -> torch.Tensor:
    """Anchors of every level, level by level, position by position, ratio by ratio.

    Position ``k`` of a stride-``s`` level is centred at ``c = (k + 1/2) s``; its anchor of
    inclusive length ``w = s * ratio`` (the coder's widths) is ``[c - (w - 1) / 2, c + (w - 1) /
    2]``, e.g. ``[0.5, 3.5]`` at ``k = 0``, ``s = 4``, ratio 1. Returns ``(sum(level_sizes) *
    len(ratios), 2)`` segments.
    """
    anchors = []
    for size, stride in zip(level_sizes, strides):
        centres = (torch.arange(size, dtype=torch.float32) + 0.5) * stride
        half = (torch.tensor(ratios, dtype=torch.float32) * stride - 1) / 2
        anchors.append(torch.stack([centres[:, None] - half, centres[:, None] + half],
                                   dim=-1).reshape(-1, 2))
    return torch.cat(anchors)


class SegmentCoder:
    """Deltas ``dx = wx (c - c_a) / w_a`` and ``dw = ww log(w / w_a)`` with inclusive widths
    (``end - start + 1``), as Detectron's box coder; decoded ``dw / ww`` is clamped at
    ``log(1000 / 16)``."""

    def __init__(self, weights: Tuple[float, float] = (10., 5.),
                 clamp: float = math.log(1000. / 16)):
        self.weights = weights
        self.clamp = clamp

    @staticmethod
    def _centre_width(segments):
        width = segments[..., 1] - segments[..., 0] + 1
        return segments[..., 0] + 0.5 * (width - 1), width

    def encode(self, anchors: torch.Tensor, segments: torch.Tensor) -> torch.Tensor:
        (centre_a, width_a), (centre, width) = map(self._centre_width, (anchors, segments))
        return torch.stack([self.weights[0] * (centre - centre_a) / width_a,
                            self.weights[1] * torch.log(width / width_a)], dim=-1)

    def decode(self, anchors: torch.Tensor, deltas: torch.Tensor) -> torch.Tensor:
        centre_a, width_a = self._centre_width(anchors)
        centre = centre_a + deltas[..., 0] / self.weights[0] * width_a
        width = width_a * torch.exp((deltas[..., 1] / self.weights[1]).clamp(max=self.clamp))
        return torch.stack([centre - 0.5 * (width - 1), centre + 0.5 * (width - 1)], dim=-1)


def match_max_iou(iou: torch.Tensor, threshold: float) -> torch.Tensor:
    """Detectron's matcher with low-quality matches, as the official VSGN: each of ``N``
    segments takes its best of ``M`` ground truths (``iou`` ``(N, M)``) if their IoU is >=
    ``threshold``; the segments with a ground truth's highest IoU (ties included) also take their
    best ground truth, whatever the IoU. Returns ``(N,)`` indices, ``-1`` for background.

    A ground truth that overlaps no segment at all matches none (officially, its "best" IoU 0
    would make every non-overlapping segment a positive).
    """
    best, matched = iou.max(1)
    result = torch.where(best >= threshold, matched, torch.full_like(matched, -1))
    gt_best = iou.max(0).values
    low_quality = ((iou == gt_best[None]) & (gt_best[None] > 0)).any(1)
    return torch.where(low_quality, matched, result)


class AnchorAssigner:
    """Matches anchors (or decoded segments) to ground truth.

    Args:
        kind: ``'max_iou'``: :func:`match_max_iou` at ``pos_iou_thr`` (official). ``'atss'``
            (mmdet's :class:`~mmdet.models.task_modules.ATSSAssigner`): per GT, the ``topk``
            anchors nearest to its centre on each level are candidates; those with IoU >= mean
            + std of the candidates' IoUs and the centre inside the GT are positive.
        pos_iou_thr: the IoU threshold of ``'max_iou'``.
        topk: candidates per level of ``'atss'``.
        official_iou: ``'max_iou'`` on the official IoU (:func:`segment_iou` ``plus_one``).
    """

    def __init__(self, kind: str = 'max_iou', pos_iou_thr: float = 0.5, topk: int = 9,
                 official_iou: bool = False):
        if kind not in ('max_iou', 'atss'):
            raise ValueError(f"assigner must be 'max_iou' or 'atss', got {kind!r}")
        self.kind, self.pos_iou_thr, self.official_iou = kind, pos_iou_thr, official_iou
        if kind == 'atss':
            self.assigner = ATSSAssigner(topk=topk, iou_calculator=IOU)

    def assign(self, segments: torch.Tensor, gt_segments: torch.Tensor,
               num_level_segments: List[int]) -> torch.Tensor:
        """Index of the matched GT for each of ``segments`` (``-1``: background)."""
        if len(gt_segments) == 0:
            return segments.new_full((len(segments), ), -1, dtype=torch.long)
        if self.kind == 'max_iou':
            iou = segment_iou(segments.detach(), gt_segments, self.official_iou)
            return match_max_iou(iou, self.pos_iou_thr)
        priors = InstanceData(priors=segments_as_boxes(segments.detach()))
        gts = InstanceData(bboxes=segments_as_boxes(gt_segments),
                           labels=torch.zeros(len(gt_segments), dtype=torch.long,
                                              device=segments.device))
        result = self.assigner.assign(priors, num_level_segments, gts)
        return result.gt_inds.long() - 1
