"""AFSD (Lin et al., CVPR 2021) on pre-extracted features: pyramid, anchor-free coarse head,
saliency-based boundary pooling refinement, frame-level start/end branch, losses, inference."""
import math
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.model import BaseModel
from mmengine.structures import InstanceData

from vsgt.datasets.tal import window_to_seconds
from .pooling import boundary_max_pool, max_sparse_table

Outputs = Dict[str, torch.Tensor]


class SameConv1d(nn.Conv1d):
    """Conv1d with TensorFlow's 'same' padding, AFSD's ``Unit1D``: ``max(k - s, 0)`` steps in
    all when the stride ``s`` divides the length ``t`` (else ``max(k - t % s, 0)``), the smaller
    half before (a stride-2 k=3 conv on an even length pads 0 before, 1 after)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 1,
                 stride: int = 1, bias: bool = True):
        super().__init__(in_channels, out_channels, kernel_size, stride, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        (kernel, ), (stride, ) = self.kernel_size, self.stride
        length = x.shape[-1]
        pad = max(kernel - (stride if length % stride == 0 else length % stride), 0)
        return super().forward(F.pad(x, (pad // 2, pad - pad // 2)))


def conv_gn_relu(in_channels: int, out_channels: int, kernel_size: int = 1, stride: int = 1,
                 groups: int = 32) -> nn.Sequential:
    """Conv1d ('same' padding) + GroupNorm + ReLU, AFSD's ``Unit1D`` block."""
    return nn.Sequential(
        SameConv1d(in_channels, out_channels, kernel_size, stride),
        nn.GroupNorm(groups, out_channels), nn.ReLU(inplace=True))


def glorot_uniform_(module: nn.Module) -> None:
    """AFSD's ``reset_params``: every Conv1d/2d/3d weight ~ U(-a, a), ``a = sqrt(3 / max(1,
    (fan_in + fan_out) / 2))``, biases 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose3d)):
            fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(m.weight)
            limit = math.sqrt(3. / max(1., (fan_in + fan_out) / 2.))
            nn.init.uniform_(m.weight, -limit, limit)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def boundary_ranges(start: torch.Tensor, end: torch.Tensor, length: torch.Tensor
                    ) -> torch.Tensor:
    """AFSD's start and end ranges ``(..., 4)``, rounded: ``[s - l / 10, s + l / 4]`` and
    ``[e - l / 4, e + l / 10]`` (each side at least 1) of segments ``[s, e]`` of length ``l``."""
    inner, outer = (length / 4).clamp(min=1), (length / 10).clamp(min=1)
    return torch.stack([start - outer, start + inner, end - inner, end + outer], dim=-1).round()


def boundary_regions(segments: torch.Tensor, unit: float = 1.) -> torch.Tensor:
    """The frame-level ranges (:func:`boundary_ranges`) of ``(..., 2)`` segments whose ends
    are ``unit`` frames per window step, as AFSD's: frame index = position, length
    ``e - s + 1``."""
    start, end = segments[..., 0] * unit, segments[..., 1] * unit
    return boundary_ranges(start, end, end - start + 1)


class ProposalBranch(nn.Module):
    """Saliency-based refinement features of one head (localisation or classification).

    Boundary max pooling of the level features (a 1x1 to ``2 x channels``: half pooled over the
    start ranges, half over the end ranges) and of the frame-level features, concatenated with
    a 1x1 of the point feature, then a 1x1 back to ``channels``.
    """

    def __init__(self, channels: int, frame_channels: int, groups: int = 32):
        super().__init__()
        self.point = conv_gn_relu(channels, channels, groups=groups)
        self.boundary = conv_gn_relu(channels, 2 * channels, groups=groups)
        self.frame = conv_gn_relu(frame_channels, channels, groups=groups)
        self.fuse = conv_gn_relu(4 * channels, channels, groups=groups)

    def forward(self, feature: torch.Tensor, frame_feature: torch.Tensor,
                regions: torch.Tensor, frame_regions: torch.Tensor,
                frame_table: Optional[Tuple[torch.Tensor, torch.Tensor]] = None
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Refinement features ``(B, channels, t)`` and the pre-pooling boundary features
        ``(B, 2 x channels, t)`` (start half, end half); ``frame_table`` is
        ``max_sparse_table(frame_feature)`` when shared."""
        boundary = self.boundary(feature)
        pooled = boundary_max_pool(boundary, regions)
        frame = self.frame(boundary_max_pool(frame_feature, frame_regions, frame_table))
        return self.fuse(torch.cat([frame, pooled, self.point(feature)], dim=1)), boundary


def assign_priors(centres: torch.Tensor, gt_segments: torch.Tensor) -> torch.Tensor:
    """Index of the ground truth each prior belongs to, -1 for background: the segment
    containing the prior's centre (ends included), the shortest when several do."""
    if len(gt_segments) == 0:
        return centres.new_full(centres.shape, -1, dtype=torch.long)
    inside = (centres[:, None] >= gt_segments[None, :, 0]) & \
        (centres[:, None] <= gt_segments[None, :, 1])
    lengths = (gt_segments[:, 1] - gt_segments[:, 0])[None].expand(len(centres), -1)
    lengths = torch.where(inside, lengths, torch.full_like(lengths, float('inf')))
    shortest, index = lengths.min(1)
    return torch.where(torch.isfinite(shortest), index, torch.full_like(index, -1))


def segment_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Element-wise tIoU of ``(n, 2)`` segments."""
    inter = (torch.minimum(a[:, 1], b[:, 1]) - torch.maximum(a[:, 0], b[:, 0])).clamp(min=0)
    union = (a[:, 1] - a[:, 0]) + (b[:, 1] - b[:, 0]) - inter
    return inter / union.clamp(min=1e-6)


def giou_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Element-wise ``1 - GIoU`` of ``(n, 2)`` segments."""
    hull = torch.maximum(pred[:, 1], target[:, 1]) - torch.minimum(pred[:, 0], target[:, 0])
    inter = (torch.minimum(pred[:, 1], target[:, 1]) -
             torch.maximum(pred[:, 0], target[:, 0])).clamp(min=0)
    union = (pred[:, 1] - pred[:, 0]) + (target[:, 1] - target[:, 0]) - inter
    iou = inter / union.clamp(min=1e-6)
    return 1 - iou + (hull - union) / hull.clamp(min=1e-6)


def softmax_focal_loss(logits: torch.Tensor, targets: torch.Tensor, gamma: float = 2.,
                       alpha: float = 0.25, eps: float = 1e-6) -> torch.Tensor:
    """AFSD's softmax focal loss, summed: ``-a_t (1 - p_t)^gamma log p_t`` with
    ``p_t = softmax + eps``, ``a_t = alpha`` for background (target 0) and ``1 - alpha`` for the
    classes."""
    p = F.softmax(logits, -1).gather(1, targets[:, None])[:, 0] + eps
    weight = torch.where(targets == 0, alpha, 1 - alpha)
    return -(weight * (1 - p)**gamma * p.log()).sum()


def boundary_labels(gt_segments: torch.Tensor, num_frames: int, frame_ratio: int = 1
                    ) -> torch.Tensor:
    """``(2, num_frames)`` start / end labels of the frame-level branch, as AFSD's: segments in
    window steps of ``frame_ratio`` frames (index = position), ``d = max(L / 10, 2)`` (``L``
    the length in frames), 1 on the frames ``round(b - d / 2) .. round(b + d / 2)`` around each
    boundary ``b``."""
    labels = gt_segments.new_zeros(2, num_frames)
    for start, end in (gt_segments * frame_ratio).tolist():
        radius = max((end - start) / 10, 2.) / 2
        for row, centre in enumerate((start, end)):
            lo = min(max(round(centre - radius), 0), num_frames - 1)
            hi = min(max(round(centre + radius), 0), num_frames - 1)
            labels[row, lo:hi + 1] = 1.
    return labels


def complement_intervals(gt_segments: torch.Tensor, num_valid: float,
                         min_length: float = 1e-3) -> torch.Tensor:
    """The gaps of ``[0, num_valid]`` not covered by ``(k, 2)`` segments, ``(m, 2)`` in
    order (gaps shorter than ``min_length`` dropped)."""
    gaps, cursor = [], 0.
    for start, end in sorted(gt_segments.tolist()):
        if start - cursor >= min_length:
            gaps.append((cursor, min(start, num_valid)))
        cursor = max(cursor, end)
    if num_valid - cursor >= min_length:
        gaps.append((cursor, float(num_valid)))
    return torch.tensor(gaps, dtype=gt_segments.dtype, device=gt_segments.device).reshape(-1, 2)


def paste_background(window: torch.Tensor, gt_segments: torch.Tensor, num_valid: int,
                     th: Optional[int] = None) -> Optional[Tuple[torch.Tensor, torch.Tensor]]:
    """AFSD's boundary-consistency augmentation (``augment_``) on one window ``(C, T, ...)``.

    An action longer than ``2 th`` (``th``: the shortest action's length in steps, rounded up,
    unless given) is cut at a step ``t`` (``ceil(s) + floor(th) .. ceil(s) + ceil(L - th) - 1``),
    and ``th`` steps of a background region (a gap between the sorted boundaries of the
    actions and ``0``, ``num_valid - 1`` longer than ``th``) are moved into the cut; the steps
    between the two shift by ``th``, the window keeps its length. Choices are drawn from
    torch's generator. A span starting at or after the action's end counts as following it
    (AFSD's code takes the other branch when it starts exactly at the end).

    Returns:
        The new window and ``(3, 2)`` segments in window steps: the action's part before the
        pasted span, its part after, and the span's inside (``[t + 1, t + th - 1]`` when the
        span follows the action); None when no action is long enough or no region fits.
    """
    if len(gt_segments) == 0:
        return None
    if th is None:
        th = math.ceil(float((gt_segments[:, 1] - gt_segments[:, 0]).min()))
    actions = [(s, e) for s, e in gt_segments.tolist() if e - s > 2 * th]
    times = sorted([t for segment in gt_segments.tolist() for t in segment] +
                   [0., float(num_valid - 1)])
    annotated = [list(segment) for segment in gt_segments.tolist()]
    regions = [(math.ceil(a), math.floor(b)) for a, b in zip(times[:-1], times[1:])
               if [a, b] not in annotated and math.floor(b) - math.ceil(a) > th]
    if not actions or not regions:
        return None

    def pick(count: int) -> int:
        return int(torch.randint(count, ()))

    start, end = actions[pick(len(actions))]
    t = math.floor(th) + pick(math.ceil(end - start - th) - math.floor(th)) + math.ceil(start)
    region_start, region_end = regions[pick(len(regions))]
    span = region_start + pick(region_end - region_start - th)
    new = window.clone()
    if span >= end:  # the span follows the action: steps t..span move right
        new[:, t:t + th] = window[:, span:span + th]
        new[:, t + th:span + th] = window[:, t:span]
        parts = [[start, t], [t + th, end + th], [t + 1, t + th - 1]]
    else:  # it precedes the action: steps span + th..t move left
        new[:, span:t - th] = window[:, span + th:t]
        new[:, t - th:t] = window[:, span:span + th]
        parts = [[start - th, t - th], [t, end], [t - th + 1, t - 1]]
    return new, torch.tensor(parts, dtype=gt_segments.dtype, device=gt_segments.device)


class AFSDBase(BaseModel):
    """What the two AFSD variants share: the coarse head, the refinement, losses, inference.

    The variants build the pyramid (:meth:`pyramid`: level features, coarsest last, and the
    frame-level feature). Priors sit at the centres of the positions of every level, level
    ``l`` one per ``level0_stride x 2^l`` window steps. The frame-level branch (AFSD's
    ``deconv``) holds ``window_size x frame_ratio`` frames, nearest-upsampled from level 0,
    start and end features in its halves. Coarse head: shared towers, per prior two distances
    (window steps) ``exp(s_l x)`` (times the level's stride with ``distances_in_strides``) and
    ``num_classes + 1`` logits (0 = background). Refinement: :class:`ProposalBranch` pooled
    over the coarse segment's boundary ranges (level indices ``i``, length = sum of the two
    distances; frame indices = positions, length ``e - s + 1``; all rounded) -> offsets in units
    of half the coarse width, logits, and AFSD's quality (``center_head``, k=3).

    Losses (AFSD's ``MultiSegmentLoss`` and ``train.py``; ``lw`` localisation and ``cw``
    classification weights, ``piou`` the coarse tIoU for a refined positive): coarse GIoU x
    ``lw`` and softmax focal x ``cw`` (per positive prior); refined L1 x ``lw`` and focal x
    ``cw`` on the priors whose coarse segment reaches ``piou`` with their ground truth (per such
    prior); quality BCE to the refined tIoU x ``cw``; start/end BCE of the frame-level branch
    (tanh-mean of the half's channels) plus ``prop_boundary_weight`` x the same on the level-0
    boundary features of both refinement branches; the boundary-consistency triplet loss x
    ``ssl_weight`` (:meth:`ssl_loss`). Priors centred in the padding after ``num_valid`` steps
    are ignored.

    Inference (AFSD's ``test.py``): score ``mean(softmax coarse, softmax refined) x
    sigmoid(quality)`` per class, refined segments clipped to the window, candidates above
    ``score_thr`` (the best ``max_per_window``; None: all), mapped to seconds (the metric
    merges windows and runs the per-class Gaussian soft-NMS).

    Convolutions start as AFSD's ``reset_params`` (:func:`glorot_uniform_`).
    """
    distances_in_strides = False

    def __init__(self,
                 num_classes: int,
                 window_size: int,
                 level0_stride: int,
                 frame_ratio: int,
                 channels: int = 512,
                 num_levels: int = 6,
                 frame_channels: int = 512,
                 lw: float = 10.,
                 cw: float = 1.,
                 piou: float = 0.5,
                 boundary_weight: float = 1.,
                 prop_boundary_weight: float = 0.1,
                 ssl_weight: float = 0.1,
                 focal_gamma: float = 2.,
                 focal_alpha: float = 0.25,
                 norm_groups: int = 32,
                 test_cfg: Optional[Dict] = None,
                 data_preprocessor: Optional[Dict] = None,
                 init_cfg: Optional[Dict] = None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        coarsest = level0_stride * 2**(num_levels - 1)
        if window_size % coarsest:
            raise ValueError(f'window_size {window_size} must be a multiple of '
                             f'{level0_stride} x 2^(num_levels - 1) = {coarsest}')
        self.window_size, self.num_classes = window_size, num_classes
        self.num_levels, self.level0_stride, self.frame_ratio = num_levels, level0_stride, \
            frame_ratio
        self.lw, self.cw, self.piou = lw, cw, piou
        self.boundary_weight, self.prop_boundary_weight = boundary_weight, prop_boundary_weight
        self.ssl_weight = ssl_weight
        self.focal_gamma, self.focal_alpha = focal_gamma, focal_alpha
        self.test_cfg = dict(dict(score_thr=0.01, max_per_window=None), **(test_cfg or {}))
        groups = norm_groups
        self.frame_branch = nn.Sequential(
            conv_gn_relu(channels, frame_channels, 3, groups=groups),
            conv_gn_relu(frame_channels, frame_channels, 3, groups=groups),
            conv_gn_relu(frame_channels, frame_channels, groups=groups))
        self.loc_tower = nn.Sequential(*(conv_gn_relu(channels, channels, 3, groups=groups)
                                         for _ in range(2)))
        self.conf_tower = nn.Sequential(*(conv_gn_relu(channels, channels, 3, groups=groups)
                                          for _ in range(2)))
        self.loc_head = SameConv1d(channels, 2, 3)
        self.conf_head = SameConv1d(channels, num_classes + 1, 3)
        self.loc_scales = nn.Parameter(torch.ones(num_levels))
        self.loc_branch = ProposalBranch(channels, frame_channels, groups)
        self.conf_branch = ProposalBranch(channels, frame_channels, groups)
        self.prop_loc_head = SameConv1d(channels, 2, 1)
        self.prop_conf_head = SameConv1d(channels, num_classes + 1, 1)
        self.quality_head = SameConv1d(channels, 1, 3)
        strides = [level0_stride * 2**level for level in range(num_levels)]
        self.register_buffer('prior_centres', torch.cat([
            (torch.arange(window_size // stride) + 0.5) * stride for stride in strides]),
            persistent=False)
        self.register_buffer('prior_strides', torch.cat([
            torch.full((window_size // stride, ), float(stride)) for stride in strides]),
            persistent=False)

    # ---------------------------------------------------------------- forward
    @property
    def input_shape(self) -> Tuple[int, ...]:
        """The shape of one window the model takes."""
        raise NotImplementedError

    def select_inputs(self, inputs: Union[torch.Tensor, List[torch.Tensor]]) -> torch.Tensor:
        """Stack the windows, check the shape."""
        if isinstance(inputs, (list, tuple)):
            inputs = torch.stack(inputs)
        if tuple(inputs.shape[1:]) != self.input_shape:
            raise ValueError(f'{type(self).__name__} expects windows of shape '
                             f'{self.input_shape}, got {tuple(inputs.shape[1:])}')
        return inputs

    def pyramid(self, x: torch.Tensor) -> Tuple[List[torch.Tensor], torch.Tensor]:
        """The level features ``(B, channels, T / stride_l)`` and the frame-level feature
        ``(B, frame_channels, T x frame_ratio)`` of windows ``x``."""
        raise NotImplementedError

    def frame_feature(self, level0: torch.Tensor) -> torch.Tensor:
        """AFSD's frame-level branch: level 0 nearest-upsampled to the frames, ``deconv``."""
        return self.frame_branch(F.interpolate(level0, size=self.window_size * self.frame_ratio))

    def detect(self, x: torch.Tensor) -> Outputs:
        """Raw outputs of windows ``x`` (:meth:`head`)."""
        return self.head(*self.pyramid(x))

    def head(self, levels: List[torch.Tensor], frame: torch.Tensor) -> Outputs:
        """Raw outputs on the pyramid: ``distances`` ``(B, N, 2)`` (window steps from the prior
        centre), ``logits`` ``(B, N, K + 1)``, ``offsets`` ``(B, N, 2)`` (units of half the
        coarse width), ``prop_logits`` ``(B, N, K + 1)``, ``quality`` ``(B, N)``, the
        frame-level ``start`` / ``end`` probabilities ``(B, T x frame_ratio)`` and
        ``prop_start`` / ``prop_end`` ``(2, B, T / level0_stride)`` (loc and conf branches,
        level 0)."""
        frame_table = max_sparse_table(frame)
        outputs = {key: [] for key in ('distances', 'logits', 'offsets', 'prop_logits',
                                       'quality')}
        for level, feature in enumerate(levels):
            stride = self.level0_stride * 2**level
            loc, conf = self.loc_tower(feature), self.conf_tower(feature)
            distances = torch.exp(self.loc_scales[level] * self.loc_head(loc)).transpose(1, 2)
            if self.distances_in_strides:
                distances = stride * distances  # (B, t, 2)
            with torch.no_grad():
                index = torch.arange(feature.shape[-1], device=feature.device,
                                     dtype=distances.dtype)
                steps = distances / stride
                regions = boundary_ranges(index - steps[..., 0], index + steps[..., 1],
                                          steps[..., 0] + steps[..., 1])
                centres = (index + 0.5) * stride
                frame_regions = boundary_regions(torch.stack(
                    [centres - distances[..., 0], centres + distances[..., 1]], -1),
                    float(self.frame_ratio))
            loc_feature, loc_boundary = self.loc_branch(loc, frame, regions, frame_regions,
                                                        frame_table)
            conf_feature, conf_boundary = self.conf_branch(conf, frame, regions, frame_regions,
                                                           frame_table)
            if level == 0:
                half = loc_boundary.shape[1] // 2
                boundaries = torch.stack([loc_boundary, conf_boundary])
                outputs['prop_start'] = torch.tanh(boundaries[:, :, :half]).mean(2)
                outputs['prop_end'] = torch.tanh(boundaries[:, :, half:]).mean(2)
            outputs['distances'].append(distances)
            outputs['logits'].append(self.conf_head(conf).transpose(1, 2))
            outputs['offsets'].append(self.prop_loc_head(loc_feature).transpose(1, 2))
            outputs['prop_logits'].append(self.prop_conf_head(conf_feature).transpose(1, 2))
            outputs['quality'].append(self.quality_head(loc_feature)[:, 0])
        outputs = {key: torch.cat(value, 1) if isinstance(value, list) else value
                   for key, value in outputs.items()}
        half = frame.shape[1] // 2
        outputs['start'] = torch.tanh(frame[:, :half]).mean(1)
        outputs['end'] = torch.tanh(frame[:, half:]).mean(1)
        return outputs

    def forward(self, inputs: Union[torch.Tensor, List[torch.Tensor]],
                data_samples: Optional[List] = None, mode: str = 'tensor'):
        """``mode='loss'``: dict of losses; ``'predict'``: data samples with ``pred_instances``
        (seconds of the whole video); ``'tensor'``: the raw outputs (:meth:`head`)."""
        x = self.select_inputs(inputs)
        num_valid = None if data_samples is None else self._valid_steps(data_samples)
        outputs = self.detect(self.detector_input(x, num_valid))
        if mode == 'tensor':
            return outputs
        if mode == 'loss':
            return dict(self.loss(outputs, data_samples), **self.ssl_loss(x, data_samples))
        if mode == 'predict':
            return self.predict(outputs, data_samples)
        raise ValueError(f"mode must be 'loss', 'predict' or 'tensor', got {mode!r}")

    def decode(self, outputs: Outputs) -> Tuple[torch.Tensor, torch.Tensor]:
        """Coarse and refined segments ``(B, N, 2)`` in window steps."""
        distances = outputs['distances']
        width = distances.sum(-1, keepdim=True)
        refined = distances.detach() + 0.5 * width.detach() * outputs['offsets']
        centres = self.prior_centres[:, None]
        sides = torch.tensor([-1., 1.], device=distances.device)
        return centres + sides * distances, centres + sides * refined

    # ---------------------------------------------------------------- losses
    def loss(self, outputs: Outputs, data_samples: List) -> Dict[str, torch.Tensor]:
        """AFSD's losses against the ground truth of ``data_samples``."""
        targets = [(sample.gt_instances.segments.to(outputs['distances']).reshape(-1, 2),
                    sample.gt_instances.labels.to(outputs['distances'].device).long())
                   for sample in data_samples]
        return self.detection_loss(outputs, targets, self._valid_steps(data_samples))

    def detector_input(self, x: torch.Tensor, num_valid: Optional[List[int]]) -> torch.Tensor:
        """What the detector sees of ``(B, C, T)`` windows with ``num_valid`` valid steps
        (None: all): the features themselves."""
        return x

    def ssl_loss(self, x: torch.Tensor, data_samples: List) -> Dict[str, torch.Tensor]:
        """AFSD's boundary-consistency triplet loss x ``ssl_weight`` (``{}`` when 0).

        Each window gets :func:`paste_background` (``th``: the metainfo's
        ``min_action_frames`` when the dataset gives it, AFSD's per-video shortest action in
        frames; else the window's shortest action); the detector (on :meth:`detector_input` of
        the new windows) pools the end range of the action's first part (anchor), the start
        range of its second part (positive) and that of the pasted span (negative) from the
        frame-level feature (frame ranges of :func:`boundary_regions`) and the level-0
        boundary features of both refinement branches (the frame ranges / the frames per
        level-0 step, truncated; anchor from the end half of the channels, the others from
        the start half): triplet margin loss (margin 1), weights 1, 0.1, 0.1, averaged over
        the augmented windows. Zero when no window can be augmented.
        """
        if not self.ssl_weight:
            return {}
        windows, triplets, num_valid = [], [], []
        for window, sample, valid in zip(x, data_samples, self._valid_steps(data_samples)):
            pasted = paste_background(window, sample.gt_instances.segments.to(x).reshape(-1, 2),
                                      valid, sample.metainfo.get('min_action_frames'))
            if pasted is not None:
                windows.append(pasted[0])
                triplets.append(pasted[1])
                num_valid.append(valid)
        if not windows:
            return dict(loss_ssl=x.new_zeros(()))
        levels, frame = self.pyramid(self.detector_input(torch.stack(windows), num_valid))
        boundaries = [branch.boundary(tower(levels[0])) for branch, tower in
                      ((self.loc_branch, self.loc_tower), (self.conf_branch, self.conf_tower))]
        frame_ranges = boundary_regions(torch.stack(triplets), float(self.frame_ratio))
        level_ranges = (frame_ranges / (self.level0_stride * self.frame_ratio)).trunc()
        loss = 0.
        for feature, ranges, weight in ((frame, frame_ranges, 1.), (boundaries[0], level_ranges,
                                                                     0.1),
                                        (boundaries[1], level_ranges, 0.1)):
            pooled = boundary_max_pool(feature, ranges)
            half = pooled.shape[1] // 2
            loss = loss + weight * F.triplet_margin_loss(
                pooled[:, half:, 0], pooled[:, :half, 1], pooled[:, :half, 2], margin=1.)
        return dict(loss_ssl=self.ssl_weight * loss)

    def _valid_steps(self, data_samples: List) -> List[int]:
        return [int(sample.metainfo.get('num_valid', self.window_size))
                for sample in data_samples]

    def detection_loss(self, outputs: Outputs, targets: List[Tuple[torch.Tensor, torch.Tensor]],
                       num_valid: List[int], boundary: bool = True) -> Dict[str, torch.Tensor]:
        """Losses for ``targets``, per window ``(segments (k, 2) window steps, labels (k,))``.

        A label ``-1`` marks a background segment: its priors say background and, as AFSD's
        losses regress the positives only, regress nothing; they count in the normalisation.
        ``boundary=False`` leaves out the start/end losses."""
        coarse, refined = self.decode(outputs)
        parts = {key: [] for key in ('loc', 'prop_loc', 'quality', 'valid', 'cls_targets',
                                     'prop_targets')}
        num_pos = num_prop_pos = 0
        for b, (gt, labels) in enumerate(targets):
            valid = self.prior_centres < num_valid[b]
            matched = assign_priors(self.prior_centres, gt)
            matched[~valid] = -1
            matched_any = matched >= 0
            positive = matched_any & (labels[matched.clamp(min=0)] >= 0)
            target = gt[matched[positive]]
            label = labels[matched[positive]] + 1
            parts['loc'].append(giou_loss(coarse[b, positive], target))
            iou = segment_iou(coarse[b, positive].detach(), target)
            refine = iou >= self.piou
            width = (coarse[b, positive, 1] - coarse[b, positive, 0]).detach()[:, None]
            offset_target = (torch.stack([
                coarse[b, positive, 0].detach() - target[:, 0],
                target[:, 1] - coarse[b, positive, 1].detach()], -1)) / (0.5 * width)
            parts['prop_loc'].append(
                (outputs['offsets'][b, positive][refine] - offset_target[refine]).abs().sum(-1))
            quality_target = segment_iou(refined[b, positive].detach(), target)
            parts['quality'].append(F.binary_cross_entropy_with_logits(
                outputs['quality'][b, positive], quality_target, reduction='none'))
            cls_target = torch.zeros_like(matched)
            cls_target[positive] = label
            prop_target = torch.zeros_like(matched)
            prop_target[positive] = torch.where(refine, label, torch.zeros_like(label))
            parts['valid'].append(valid)
            parts['cls_targets'].append(cls_target)
            parts['prop_targets'].append(prop_target)
            num_pos += int(matched_any.sum())
            num_prop_pos += int(refine.sum())
        valid = torch.stack(parts['valid'])
        cls_targets = torch.stack(parts['cls_targets'])[valid]
        prop_targets = torch.stack(parts['prop_targets'])[valid]
        focal = dict(gamma=self.focal_gamma, alpha=self.focal_alpha)
        pos, prop_pos = max(num_pos, 1), max(num_prop_pos, 1)
        zero = 0. * outputs['distances'].sum() + 0. * outputs['offsets'].sum() + \
            0. * outputs['quality'].sum()
        losses = dict(
            loss_loc=self.lw * torch.cat(parts['loc']).sum() / pos + zero,
            loss_cls=self.cw * softmax_focal_loss(outputs['logits'][valid], cls_targets,
                                                  **focal) / pos,
            loss_prop_loc=self.lw * torch.cat(parts['prop_loc']).sum() / prop_pos + zero,
            loss_prop_cls=self.cw * softmax_focal_loss(outputs['prop_logits'][valid],
                                                       prop_targets, **focal) / prop_pos,
            loss_quality=self.cw * torch.cat(parts['quality']).sum() / pos + zero)
        if boundary:
            losses.update(self.boundary_loss(outputs, [gt[labels >= 0] for gt, labels in targets],
                                             num_valid))
        return losses

    def boundary_loss(self, outputs: Outputs, gt_segments: List[torch.Tensor],
                      num_valid: List[int]) -> Dict[str, torch.Tensor]:
        """Start / end BCE of the frame-level branch (+ the level-0 boundary features, against
        every ``level0_stride x frame_ratio``-th frame's label)."""
        ratio, frames = self.frame_ratio, self.window_size * self.frame_ratio
        labels = torch.stack([boundary_labels(gt, frames, ratio) for gt in gt_segments])
        frame_valid = torch.stack([torch.arange(frames, device=labels.device) < n * ratio
                                   for n in num_valid])
        every = self.level0_stride * ratio
        step_labels, step_valid = labels[..., ::every], frame_valid[..., ::every]
        losses = {}
        for row, name in enumerate(('start', 'end')):
            frame_loss = F.binary_cross_entropy(
                outputs[name][frame_valid].clamp(0, 1), labels[:, row][frame_valid])
            prop_loss = sum(F.binary_cross_entropy(
                probs[step_valid].clamp(0, 1), step_labels[:, row][step_valid])
                for probs in outputs[f'prop_{name}'])
            losses[f'loss_{name}'] = self.boundary_weight * frame_loss + \
                self.prop_boundary_weight * prop_loss
        return losses

    # ---------------------------------------------------------------- inference
    def predict(self, outputs: Outputs, data_samples: List) -> List:
        """Per window: the candidates above ``score_thr`` (best ``max_per_window``) in seconds."""
        _, refined = self.decode(outputs)
        probs = (outputs['logits'].softmax(-1) + outputs['prop_logits'].softmax(-1))[..., 1:] / 2
        scores = probs * outputs['quality'].sigmoid()[..., None]
        cfg = self.test_cfg
        for b, sample in enumerate(data_samples):
            num_valid = sample.metainfo.get('num_valid', self.window_size)
            segments = refined[b].detach().clamp(0, num_valid)
            candidate = (scores[b] > cfg['score_thr']) & \
                (segments[:, 1:] > segments[:, :1]) & \
                (self.prior_centres < num_valid)[:, None]
            prior, label = torch.nonzero(candidate, as_tuple=True)
            score = scores[b, prior, label].detach()
            order = score.argsort(descending=True)[:cfg['max_per_window']]  # None: all
            sample.pred_instances = InstanceData(
                segments=window_to_seconds(segments[prior[order]], sample.metainfo),
                scores=score[order], labels=label[order])
        return data_samples


@MODELS.register_module()
class AFSDLocalizer(AFSDBase):
    """AFSD (:class:`AFSDBase`) on a window of pre-extracted features.

    ``(B, C, T)`` features (optionally the channels ``input_range`` only) -> level 0, a 1x1
    conv, and ``num_levels - 1`` stride-2 k=3 convs ('same' padding): priors at the centres of
    the ``T / 2^l`` positions of every level, distances ``2^l x exp(s_l x)`` window steps. The
    frame-level branch holds ``frame_ratio`` frames per window step (AFSD's frames: 4 with
    features one per four frames).

    Args:
        in_channels: feature width (of ``input_range`` when given).
        window_size: ``T``, a multiple of ``2^(num_levels - 1)``.
        num_classes: action classes.
        channels: pyramid and head width (AFSD: 512).
        num_levels: pyramid levels (AFSD: 6, on 64 steps).
        frame_ratio: frame-level steps per window step.
        frame_channels: frame-level width (halves: start, end).
        input_range: ``(start, stop)`` channels of the input to use (e.g. the RGB half).
        norm_groups: GroupNorm groups.
        **kwargs: :class:`AFSDBase`'s loss weights and ``test_cfg``.
    """
    distances_in_strides = True

    def __init__(self,
                 in_channels: int,
                 window_size: int,
                 num_classes: int,
                 channels: int = 512,
                 num_levels: int = 6,
                 frame_ratio: int = 4,
                 frame_channels: int = 512,
                 input_range: Optional[Sequence[int]] = None,
                 norm_groups: int = 32,
                 **kwargs):
        if input_range is not None and input_range[1] - input_range[0] != in_channels:
            raise ValueError(f'input_range {tuple(input_range)} holds '
                             f'{input_range[1] - input_range[0]} channels, in_channels is '
                             f'{in_channels}')
        super().__init__(num_classes, window_size, 1, frame_ratio, channels=channels,
                         num_levels=num_levels, frame_channels=frame_channels,
                         norm_groups=norm_groups, **kwargs)
        self.in_channels = in_channels
        self.input_range = None if input_range is None else tuple(input_range)
        self.stem = conv_gn_relu(in_channels, channels, groups=norm_groups)
        self.downsample = nn.ModuleList(
            conv_gn_relu(channels, channels, 3, 2, norm_groups) for _ in range(num_levels - 1))
        glorot_uniform_(self)

    @property
    def input_shape(self) -> Tuple[int, ...]:
        return (self.in_channels, self.window_size)

    def select_inputs(self, inputs: Union[torch.Tensor, List[torch.Tensor]]) -> torch.Tensor:
        """Stack the windows, keep ``input_range``, check the shape."""
        if isinstance(inputs, (list, tuple)):
            inputs = torch.stack(inputs)
        if self.input_range is not None:
            inputs = inputs[:, self.input_range[0]:self.input_range[1]]
        return super().select_inputs(inputs)

    def pyramid(self, x: torch.Tensor) -> Tuple[List[torch.Tensor], torch.Tensor]:
        levels = [self.stem(x)]
        for layer in self.downsample:
            levels.append(layer(levels[-1]))
        return levels, self.frame_feature(levels[0])


@MODELS.register_module()
class AFSD(AFSDBase):
    """AFSD end to end, as the official ``BDNet``: a video backbone and AFSD's ``CoarsePyramid``.

    Windows ``(B, C, T, H, W)`` of frames (one window step = one frame) -> the backbone's two
    maps (I3D: Mixed_4f ``(B, 832, T / 4, H / 16, W / 16)`` and Mixed_5c ``(B, 1024, T / 8,
    H / 32, W / 32)``) -> level 0 by a Conv3d collapsing the space of the first map
    (kernel ``[1, H / 16, W / 16]``) + GroupNorm + ReLU, level 1 likewise from the second,
    level 0 += level 1 nearest-upsampled (top-down), levels 2.. by stride-2 k=3 convs from level
    1. Priors every ``4 x 2^l`` frames, distances ``exp(s_l x)`` frames; the frame-level branch
    on the ``T`` frames (:class:`AFSDBase`).

    Args:
        backbone: config of the backbone (mmaction ``MODELS``), returning the two maps.
        num_classes: action classes.
        in_channels: 3 for RGB, 2 for optical flow.
        window_size: ``T`` frames per window (AFSD: 256).
        crop_size: ``H = W`` of the frames (AFSD: 96).
        feature_channels: channels of the two maps.
        **kwargs: :class:`AFSDBase`'s ``channels``, ``num_levels``, ``frame_channels``, loss
            weights, ``norm_groups``, ``test_cfg``.
    """

    def __init__(self,
                 backbone: Dict,
                 num_classes: int,
                 in_channels: int = 3,
                 window_size: int = 256,
                 crop_size: int = 96,
                 feature_channels: Sequence[int] = (832, 1024),
                 channels: int = 512,
                 num_levels: int = 6,
                 norm_groups: int = 32,
                 **kwargs):
        if crop_size % 32:
            raise ValueError(f'crop_size {crop_size} must be a multiple of 32')
        if num_levels < 2:
            raise ValueError(f'num_levels must be at least 2 (the two maps), got {num_levels}')
        super().__init__(num_classes, window_size, 4, 1, channels=channels,
                         num_levels=num_levels, norm_groups=norm_groups, **kwargs)
        self.in_channels, self.crop_size = in_channels, crop_size
        self.lateral = nn.ModuleList(
            nn.Sequential(nn.Conv3d(width, channels, (1, crop_size // scale, crop_size // scale)),
                          nn.GroupNorm(norm_groups, channels), nn.ReLU(inplace=True))
            for width, scale in zip(feature_channels, (16, 32)))
        self.downsample = nn.ModuleList(
            conv_gn_relu(channels, channels, 3, 2, norm_groups) for _ in range(num_levels - 2))
        glorot_uniform_(self)
        self.backbone = MODELS.build(backbone)

    @property
    def input_shape(self) -> Tuple[int, ...]:
        return (self.in_channels, self.window_size, self.crop_size, self.crop_size)

    def pyramid(self, x: torch.Tensor) -> Tuple[List[torch.Tensor], torch.Tensor]:
        return self.neck(self.backbone(x))

    def neck(self, maps: Sequence[torch.Tensor]) -> Tuple[List[torch.Tensor], torch.Tensor]:
        """The levels and the frame-level feature of the backbone's two maps."""
        level0, level1 = (lateral(feature).flatten(2)
                          for lateral, feature in zip(self.lateral, maps))
        levels = [level0 + F.interpolate(level1, size=level0.shape[-1]), level1]
        for layer in self.downsample:
            levels.append(layer(levels[-1]))
        return levels, self.frame_feature(levels[0])
