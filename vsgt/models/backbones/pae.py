"""Person Attention Enhancement (PAE): person boxes steer the backbone towards the actors.

The person boxes are rasterised onto each stage's token grid as a soft mask M in [0, 1] (the
fraction of each token cell covered by any box). Boxes given per frame are rasterised per time
slice, each slice taking the boxes of the frames it stands for; boxes given once (the key frame's)
are marked on every slice. Token cells are centred where the convolutions centre their outputs:
token i of a stage with stride s at pixel ``i * s + 0.5`` (a 3x3 convolution with stride 2 and
padding 1 centres output i on input i * 2), and time slice t on frame ``t * s_t`` of the clip.
The backbone uses the mask twice per stage:

* guidance: a significance-guided block sorts its tokens by a guided key instead of the
  significance ``S``, so person tokens land in the finely merged groups. ``'additive'`` sorts by
  ``S + alpha * M * mean(S)``; ``'rank'`` sorts every covered token (M > 0) above every uncovered
  one, by ``S`` within each set, so persons fill the finest groups first whatever S is (all of
  them land there when they are at most that group's share of the tokens). Sorting has no
  gradient, so the same ``alpha`` also scales person tokens by ``1 + alpha * M`` before they are
  merged into keys and values; this is what alpha learns through.
* enhancement: after the stage, ``x = x + gamma * (M * x)`` with a per-channel gate ``gamma``.

``alpha = |a|`` for a parameter ``a`` per stage with significance-guided blocks: non-negative
without a dead zone. ``gamma`` starts at 0. With ``a = 0`` and ``gamma = 0`` the backbone computes
exactly what it computes without PAE. Both are gates, not weights to shrink: configs leave them
out of weight decay (``paramwise_cfg=dict(custom_keys={'backbone.pae': dict(decay_mult=0.0)})``).
"""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn


def box_coverage(boxes: torch.Tensor, grid_size: Tuple[int, int], cell_size: float,
                 offset: float = 0.0) -> torch.Tensor:
    """Fraction of each grid cell covered by the union of ``boxes`` (exact area).

    Args:
        boxes: (n, 4) boxes x1, y1, x2, y2 in pixels.
        grid_size: (H, W) cells; cell (i, j) spans pixels ``offset + [j, j + 1) * cell_size``
            horizontally and ``offset + [i, i + 1) * cell_size`` vertically.
        cell_size: cell side in pixels.
        offset: pixel position of the first cell's edge.

    Returns:
        (H, W) float64 coverage in [0, 1].
    """
    height, width = grid_size
    boxes = boxes.detach().to(torch.float64).reshape(-1, 4) - offset
    coverage = boxes.new_zeros(height, width)
    if boxes.shape[0] == 0:
        return coverage
    axes = []
    for size, low, high in ((width, 0, 2), (height, 1, 3)):
        lines = torch.arange(size + 1, dtype=torch.float64, device=boxes.device) * cell_size
        edges = torch.cat([lines, boxes[:, low], boxes[:, high]]).clamp(0, size * cell_size)
        edges = torch.unique(edges)
        middle = (edges[1:] + edges[:-1]) / 2
        inside = (boxes[:, low:low + 1] < middle) & (middle < boxes[:, high:high + 1])
        cell = (middle // cell_size).long().clamp(max=size - 1)
        to_cells = nn.functional.one_hot(cell, size).to(torch.float64)
        axes.append((inside.to(torch.float64), edges.diff(), to_cells))
    (in_x, dx, cells_x), (in_y, dy, cells_y) = axes
    covered = (in_y.T @ in_x > 0).to(torch.float64)
    area = covered * dy[:, None] * dx[None, :]
    return cells_y.T @ area @ cells_x / cell_size ** 2


def frame_to_slice(frames: torch.Tensor, temporal_stride: int, num_slices: int) -> torch.Tensor:
    """Time slice of each frame index: slice t stands for frames ``[t * s - s / 2, t * s + s / 2)``
    around its centre frame ``t * s`` (frames past the last slice go to it)."""
    slices = torch.div(frames + temporal_stride // 2, temporal_stride, rounding_mode='floor')
    return slices.clamp(0, num_slices - 1)


def person_box_masks(person_boxes: Optional[Sequence[torch.Tensor]], batch_size: int,
                     grid: Tuple[int, int, int], cell_size: float,
                     device: Optional[torch.device] = None, offset: float = 0.0,
                     temporal_stride: int = 1) -> torch.Tensor:
    """Soft person masks (B, T, H, W) on a token grid.

    Args:
        person_boxes: one tensor per sample, or None for no persons: (n_i, 4) boxes x1, y1, x2, y2
            marked on every time slice (the key frame's boxes), or (n_i, 5) rows
            ``frame, x1, y1, x2, y2`` with the index of the clip frame each box belongs to, each
            marked on the slice that frame falls in (:func:`frame_to_slice`). Boxes in input
            pixels.
        batch_size: B.
        grid: (T, H, W) token grid.
        cell_size: pixels per token cell side (the stage's spatial stride).
        device: device of the masks.
        offset: pixel position of the first cell's edge (see :func:`box_coverage`).
        temporal_stride: clip frames per time slice.
    """
    t, h, w = grid
    masks = torch.zeros(batch_size, t, h, w, device=device)
    if person_boxes is None:
        return masks
    if len(person_boxes) != batch_size:
        raise ValueError(f'got person boxes for {len(person_boxes)} samples, '
                         f'expected {batch_size}')
    for i, boxes in enumerate(person_boxes):
        boxes = torch.as_tensor(boxes, device=device)
        if boxes.ndim != 2 or boxes.shape[1] not in (4, 5):
            raise ValueError(f'person boxes of sample {i} must be (n, 4) or (n, 5) '
                             f'(frame, x1, y1, x2, y2), got shape {tuple(boxes.shape)}')
        if boxes.shape[1] == 4:
            masks[i] = box_coverage(boxes, (h, w), cell_size, offset).to(masks.dtype)
            continue
        slices = frame_to_slice(boxes[:, 0].round().long(), temporal_stride, t)
        for index in slices.unique().tolist():
            masks[i, index] = box_coverage(boxes[slices == index, 1:], (h, w), cell_size,
                                           offset).to(masks.dtype)
    return masks


GUIDANCE_MODES = ('additive', 'rank')


def guide_significance(significance: torch.Tensor, person_weight: torch.Tensor,
                       mode: str = 'additive') -> torch.Tensor:
    """The sort key of a significance-guided block under PAE's guidance.

    Args:
        significance: (B, T, H, W) significance ``S`` (non-negative).
        person_weight: (B, T, H, W) ``alpha * M``.
        mode: ``'additive'``: ``S + alpha * M * mean(S)``. ``'rank'``: ``S`` plus twice the
            sample's largest ``S`` where ``alpha * M > 0``, so every covered token sorts above
            every uncovered one and the order within each set is that of ``S``.
    """
    if mode == 'additive':
        return significance + person_weight * significance.mean(dim=(1, 2, 3), keepdim=True)
    if mode == 'rank':
        lift = 2 * significance.amax(dim=(1, 2, 3), keepdim=True).clamp_min(
            torch.finfo(significance.dtype).tiny)
        return significance + (person_weight > 0).to(significance.dtype) * lift
    raise ValueError(f'PAE guidance mode must be one of {GUIDANCE_MODES}, got {mode!r}')


class PersonAttentionEnhancement(nn.Module):
    """Per-stage guidance weights ``alpha`` and enhancement gates ``gamma`` of PAE.

    Args:
        embed_dims: token width of each stage.
        strides: spatial stride of each stage's token grid in input pixels.
        guided_stages: whether each stage has significance-guided blocks (gets an ``alpha``).
        guidance_init: initial value of every ``alpha``.
        guidance_mode: ``'additive'`` or ``'rank'`` (see :func:`guide_significance`).
        enhancement: whether stages enhance person tokens (``gamma``); False leaves only the
            guidance (an ablation: PAE's two parts are measured apart by
            ``tools/analysis/benchmark_detectors.py``).
        temporal_stride: clip frames per time slice (the stem's temporal stride); places boxes
            given per frame on their slices.
    """

    def __init__(self, embed_dims: Sequence[int], strides: Sequence[int],
                 guided_stages: Sequence[bool], guidance_init: float = 1.0,
                 guidance_mode: str = 'additive', enhancement: bool = True,
                 temporal_stride: int = 2):
        super().__init__()
        if not len(embed_dims) == len(strides) == len(guided_stages):
            raise ValueError('embed_dims, strides and guided_stages need one entry per stage')
        if guidance_mode not in GUIDANCE_MODES:
            raise ValueError(f'PAE guidance mode must be one of {GUIDANCE_MODES}, '
                             f'got {guidance_mode!r}')
        self.strides = tuple(strides)
        self.guidance_mode = guidance_mode
        self.temporal_stride = temporal_stride
        self.alpha_index = []
        count = 0
        for guided in guided_stages:
            self.alpha_index.append(count if guided else None)
            count += int(guided)
        self.alpha = nn.Parameter(torch.full((count, ), float(guidance_init)))
        self.gamma = nn.ParameterList(nn.Parameter(torch.zeros(dim)) for dim in embed_dims) \
            if enhancement else None

    def person_masks(self, person_boxes: Optional[Sequence[torch.Tensor]], batch_size: int,
                     grid: Tuple[int, int, int], stage: int,
                     device: Optional[torch.device] = None) -> torch.Tensor:
        """(B, T, H, W) person mask of ``stage`` on ``grid``, on the token centres of the
        convolutions; see :func:`person_box_masks`."""
        stride = self.strides[stage]
        return person_box_masks(person_boxes, batch_size, grid, stride, device,
                                offset=0.5 - stride / 2, temporal_stride=self.temporal_stride)

    def guidance_weight(self, stage: int, mask: torch.Tensor) -> Optional[torch.Tensor]:
        """``alpha * M`` for the significance-guided blocks of ``stage`` (None if it has none)."""
        index = self.alpha_index[stage]
        if index is None:
            return None
        return self.alpha[index].abs() * mask

    def enhance(self, stage: int, tokens: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``x + gamma * (M * x)`` on (B, N, C) tokens with the (B, T, H, W) mask of ``stage``."""
        if self.gamma is None:
            return tokens
        mask = mask.reshape(tokens.shape[0], -1, 1).to(tokens.dtype)
        return tokens + self.gamma[stage] * (mask * tokens)
