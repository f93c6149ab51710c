"""VSGN, the model: xGPN, anchor head, boundary adjustment and scoring, losses, inference."""
import math
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.model import BaseModel
from mmengine.structures import InstanceData
from torchvision.ops import batched_nms, sigmoid_focal_loss

from vsgt.datasets.tal import window_to_seconds
from .anchors import AnchorAssigner, SegmentCoder, giou_loss, make_anchors, segments_as_boxes
from .head import BoundaryAdjust, BoundaryScoring, VSGNHead
from .stitch import map_back
from .xgpn import XGPN


def boundary_targets(gt_segments: torch.Tensor, window_size: int,
                     region: float = 3.) -> torch.Tensor:
    """BSN-style ``(3, T)`` targets: actionness 1 on the steps ``round(s) .. round(e)`` of each
    action ``[s, e]`` (both ends included); for start and end, the largest overlap of the step
    ``[t, t + 1]`` with a ``region``-step interval centred on a boundary."""
    steps = torch.arange(window_size, dtype=torch.float32, device=gt_segments.device)[:, None]
    targets = steps.new_zeros(3, window_size)
    if len(gt_segments) == 0:
        return targets
    first, last = gt_segments[None, :, 0].round(), gt_segments[None, :, 1].round()
    targets[0] = ((steps >= first) & (steps <= last)).any(1).float()
    for i in range(2):
        centre = gt_segments[None, :, i]
        overlap = (torch.minimum(steps + 1, centre + region / 2) -
                   torch.maximum(steps, centre - region / 2)).clamp(min=0)
        targets[i + 1] = overlap.amax(1)
    return targets


def balanced_logistic_loss(probs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """BSN's class-balanced binary log loss (``log(p + 1e-5)``); targets above 0.5 count as
    positive."""
    positive = (targets > 0.5).float()
    ratio = len(targets) / positive.sum().clamp(min=1)
    pos_weight, neg_weight = 0.5 * ratio, 0.5 * ratio / (ratio - 1).clamp(min=1e-6)
    return -(pos_weight * positive * (probs + 1e-5).log() +
             neg_weight * (1 - positive) * (1 - probs + 1e-5).log()).mean()


@MODELS.register_module()
class VSGN(BaseModel):
    """Video Self-Stitching Graph Network (Zhao et al., ICCV 2021) on window features.

    Input ``(B, C, T)`` feature windows, stitched or not by
    :class:`~vsgt_projects.vsgn.vsgn.stitch.VideoSelfStitch`. xGPN gives ``num_levels`` decoder levels
    of strides ``4 .. 2^(num_levels + 1)``; the levels ``anchor_levels`` carry anchors of lengths
    ``stride * anchor_ratios``. Stage 1 classifies and regresses the anchors; stage 2 adjusts the
    regressed boundaries and scores start, end and actionness on the stride-4 level.

    Args:
        in_channels: feature width.
        window_size: ``T``, steps per window.
        num_classes: action classes.
        channels: width of xGPN and the heads.
        num_levels: pyramid levels.
        num_neighbours: ``k`` of the graphs.
        use_xgpn: graph branches in the encoder (``False``: stride-2 convs only).
        anchor_levels: decoder levels with anchors (``None``: all); ``(1, )`` with
            ``use_xgpn=False`` and no stitching is the single-scale baseline (stride 8).
        anchor_ratios: anchor lengths in strides.
        cls_loss: ``'softmax'`` (background + classes; cross-entropy, mean over positives plus
            mean over negatives) or ``'focal'`` (per-class sigmoid focal loss / positives).
        focal_gamma, focal_alpha: the focal loss's parameters.
        assigner: anchor assignment of the regression targets, ``'max_iou'`` or ``'atss'``.
        reg_iou, cls_iou, adjust_iou: IoU for a positive of the regression (anchors), the
            classification (regressed segments) and the adjustment (regressed segments); each
            ground truth also keeps its best-overlapping ones (low-quality matches).
        official_iou: the fixed-IoU assignments on the official IoU, whose union counts the
            predicted length (only it) as ``end - start + 1`` (default: the plain IoU).
        score_loss_weight: weight of the actionness, start and end losses.
        head_depth, norm_groups: convs per tower and their GroupNorm groups.
        ignore_padding: leave a window's zero padding out of the graphs' neighbours, the
            classification loss (anchors centred in it) and the actionness, start and end losses
            (the official model takes it in everywhere: ``False``).
        test_cfg: ``score_thr`` (class probability), ``nms_iou_thr`` (per window and class;
            torchvision's NMS on the segments as unit-height boxes), ``max_per_window``
            (``None``, official: no cap).
    """

    def __init__(self, in_channels: int, window_size: int, num_classes: int,
                 channels: int = 256, num_levels: int = 5, num_neighbours: int = 12,
                 use_xgpn: bool = True, anchor_levels: Optional[Sequence[int]] = None,
                 anchor_ratios: Sequence[float] = (1., 1.5), cls_loss: str = 'softmax',
                 focal_gamma: float = 2., focal_alpha: float = 0.35, assigner: str = 'max_iou',
                 reg_iou: float = 0.5, cls_iou: float = 0.5, adjust_iou: float = 0.7,
                 score_loss_weight: float = 0.2, head_depth: int = 4, norm_groups: int = 32,
                 official_iou: bool = False, ignore_padding: bool = False,
                 test_cfg: Optional[Dict] = None, data_preprocessor: Optional[Dict] = None,
                 init_cfg: Optional[Dict] = None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if window_size % 2**(num_levels + 1):
            raise ValueError(f'window_size {window_size} must be a multiple of '
                             f'2^(num_levels + 1) = {2**(num_levels + 1)}')
        if cls_loss not in ('softmax', 'focal'):
            raise ValueError(f"cls_loss must be 'softmax' or 'focal', got {cls_loss!r}")
        self.window_size, self.num_classes, self.cls_loss = window_size, num_classes, cls_loss
        self.focal_gamma, self.focal_alpha = focal_gamma, focal_alpha
        self.anchor_levels = list(range(num_levels) if anchor_levels is None else anchor_levels)
        self.xgpn = XGPN(in_channels, channels, num_levels, num_neighbours, use_xgpn)
        self.head = VSGNHead(channels, len(anchor_ratios),
                             num_classes + (cls_loss == 'softmax'), head_depth, norm_groups)
        if cls_loss == 'focal':  # RetinaNet's prior: every class starts at probability 0.01
            nn.init.constant_(self.head.cls.bias, -math.log(99))
        self.adjust = BoundaryAdjust(channels, stride=4)
        self.scoring = BoundaryScoring(channels)
        self.coder = SegmentCoder()
        self.reg_assigner = AnchorAssigner(assigner, reg_iou, official_iou=official_iou)
        self.cls_assigner = AnchorAssigner('max_iou', cls_iou, official_iou=official_iou)
        self.adjust_assigner = AnchorAssigner('max_iou', adjust_iou, official_iou=official_iou)
        self.score_loss_weight, self.ignore_padding = score_loss_weight, ignore_padding
        strides = [2**(level + 2) for level in self.anchor_levels]
        sizes = [window_size // stride for stride in strides]
        self.num_level_anchors = [size * len(anchor_ratios) for size in sizes]
        self.register_buffer('anchors', make_anchors(sizes, strides, anchor_ratios),
                             persistent=False)
        self.test_cfg = dict(dict(score_thr=0.005, nms_iou_thr=0.4, max_per_window=None),
                             **(test_cfg or {}))

    def forward(self, inputs: Union[torch.Tensor, List[torch.Tensor]],
                data_samples: Optional[List] = None, mode: str = 'tensor'):
        """``mode='loss'``: dict of losses; ``'predict'``: data samples with ``pred_instances``
        (seconds of the whole video); ``'tensor'``: (class logits ``(B, N, K)``, stage-1 segments
        ``(B, N, 2)``, adjusted segments ``(B, N, 2)``, boundary probabilities ``(B, 3, T)``)."""
        if isinstance(inputs, (list, tuple)):
            inputs = torch.stack(inputs)
        if inputs.shape[-1] != self.window_size:
            raise ValueError(f'VSGN got windows of {inputs.shape[-1]} steps, its window_size is '
                             f'{self.window_size}')
        outputs = self._forward(inputs, data_samples)
        if mode == 'tensor':
            return outputs
        if mode == 'loss':
            return self.loss(outputs, data_samples)
        if mode == 'predict':
            return self.predict(outputs, data_samples)
        raise ValueError(f"mode must be 'loss', 'predict' or 'tensor', got {mode!r}")

    def _step_counts(self, data_samples, device):
        """Per sample: where the magnified copy starts and how many input steps are valid."""
        if not data_samples:
            return None, None
        magnified_from, valid = [], []
        for sample in data_samples:
            stitch = sample.metainfo.get('stitch')
            stitched = stitch is not None and stitch['m'] > 0
            magnified_from.append(stitch['n'] + stitch['gap'] if stitched else self.window_size)
            valid.append(sample.metainfo.get('num_valid', self.window_size))
        return (torch.tensor(magnified_from, dtype=torch.float32, device=device),
                torch.tensor(valid, dtype=torch.float32, device=device))

    def _forward(self, inputs, data_samples):
        magnified_from, num_valid = self._step_counts(data_samples, inputs.device)
        levels = self.xgpn(inputs, magnified_from, num_valid if self.ignore_padding else None)
        logits, deltas = self.head([levels[i] for i in self.anchor_levels])
        segments = self.coder.decode(self.anchors, deltas)
        adjusted = self.adjust(levels[0], segments, self.window_size)
        return logits, segments, adjusted, self.scoring(levels[0], self.window_size)

    def loss(self, outputs, data_samples) -> Dict[str, torch.Tensor]:
        """Classification, regression (1 - GIoU), adjustment (1 - GIoU) and boundary losses.

        Regression targets are assigned to the anchors, classification and adjustment targets
        to the regressed segments (not detached: the adjustment loss also trains the stage-1
        regression). Each loss is summed over the batch's positives and divided by their number.
        """
        logits, segments, adjusted, probs = outputs
        anchor_centres = self.anchors.mean(1)
        reg_losses, adjust_losses, cls_targets, cls_valid = [], [], [], []
        score_probs, score_targets = [], []
        for b, sample in enumerate(data_samples):
            gt = sample.gt_instances.segments.to(segments).reshape(-1, 2)
            labels = sample.gt_instances.labels.to(segments.device).long()
            num_valid = self.window_size
            if self.ignore_padding:
                num_valid = int(sample.metainfo.get('num_valid', self.window_size))
            matched = self.reg_assigner.assign(self.anchors, gt, self.num_level_anchors)
            positive = matched >= 0
            reg_losses.append(giou_loss(segments[b, positive], gt[matched[positive]]))
            matched = self.cls_assigner.assign(segments[b], gt, self.num_level_anchors)
            cls_targets.append(torch.cat([labels.new_full((1, ), -1), labels])[matched + 1] + 1)
            cls_valid.append(anchor_centres < num_valid)
            matched = self.adjust_assigner.assign(segments[b], gt, self.num_level_anchors)
            positive = matched >= 0
            adjust_losses.append(giou_loss(adjusted[b, positive], gt[matched[positive]]))
            score_probs.append(probs[b, :, :num_valid])
            score_targets.append(boundary_targets(gt, self.window_size)[:, :num_valid])
        cls_targets, cls_valid = torch.stack(cls_targets), torch.stack(cls_valid)
        losses = dict(loss_cls=self._cls_loss(logits[cls_valid], cls_targets[cls_valid]))
        losses['loss_reg'] = self._mean_over_items(reg_losses, segments)
        losses['loss_adj'] = self._mean_over_items(adjust_losses, adjusted)
        score_probs, score_targets = torch.cat(score_probs, 1), torch.cat(score_targets, 1)
        for i, name in enumerate(('action', 'start', 'end')):
            losses[f'loss_{name}'] = self.score_loss_weight * balanced_logistic_loss(
                score_probs[i], score_targets[i])
        return losses

    @staticmethod
    def _mean_over_items(item_losses, reference):
        """Sum over the batch's positives / their number (0 with a gradient path if none)."""
        total = torch.cat(item_losses) if item_losses else reference.new_zeros(0)
        return total.sum() / max(len(total), 1) + 0. * reference.sum()

    def _cls_loss(self, logits, targets):
        positive = targets > 0
        if self.cls_loss == 'softmax':
            loss = F.cross_entropy(logits, targets, reduction='none')
            pos = loss[positive].sum() / max(int(positive.sum()), 1)
            return pos + loss[~positive].sum() / max(int((~positive).sum()), 1)
        one_hot = F.one_hot(targets, self.num_classes + 1)[:, 1:].to(logits)
        loss = sigmoid_focal_loss(logits, one_hot, self.focal_alpha, self.focal_gamma, 'sum')
        return loss / max(int(positive.sum()), 1)

    def predict(self, outputs, data_samples):
        """Per window: score = p(class) x start x end, each boundary score the mean of the
        probabilities at the floor and ceiling of the adjusted boundary (clamped to the window);
        stitched copies mapped back; class-wise NMS; segments in seconds of the video."""
        logits, _, adjusted, probs = outputs
        if self.cls_loss == 'softmax':
            class_probs = logits.softmax(-1)[..., 1:]
        else:
            class_probs = logits.sigmoid()
        cfg = self.test_cfg
        for b, sample in enumerate(data_samples):
            stitch = sample.metainfo.get('stitch')
            num_valid = sample.metainfo.get('num_valid', self.window_size)
            segments = adjusted[b].clamp(0, self.window_size - 1)
            low, high = (bound.long().clamp(0, self.window_size - 1)  # NaN: any index
                         for bound in (segments.floor(), segments.ceil()))
            boundary_score = ((probs[b, 1, low[:, 0]] + probs[b, 1, high[:, 0]]) / 2 *
                              (probs[b, 2, low[:, 1]] + probs[b, 2, high[:, 1]]) / 2)
            if stitch is not None and stitch['m'] > 0:
                segments, num_valid = map_back(segments, **stitch), stitch['n']
            segments = segments.clamp(0, num_valid - 1)
            candidate = (class_probs[b] > cfg['score_thr']) & (segments[:, 1:] > segments[:, :1])
            anchor, label = torch.nonzero(candidate, as_tuple=True)
            scores = (class_probs[b, anchor, label] * boundary_score[anchor]).detach()
            segments = segments[anchor].detach()
            keep = batched_nms(segments_as_boxes(segments), scores, label, cfg['nms_iou_thr'])
            if cfg['max_per_window'] is not None:
                keep = keep[:cfg['max_per_window']]
            sample.pred_instances = InstanceData(
                segments=window_to_seconds(segments[keep], sample.metainfo),
                scores=scores[keep], labels=label[keep])
        return data_samples
