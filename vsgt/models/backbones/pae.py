"""Person Attention Enhancement (PAE): person boxes steer the backbone towards the actors.

The key frame's person boxes are rasterised onto each stage's token grid as a soft mask M in
[0, 1] (the fraction of each token cell covered by any box), the same for every frame. The backbone
uses it twice per stage:

* guidance: a significance-guided block sorts its tokens by ``S + alpha * M * mean(S)`` instead of
  the significance ``S``, so person tokens land in the finely merged groups. Sorting has no
  gradient, so the same ``alpha`` also scales person tokens by ``1 + alpha * M`` before they are
  merged into keys and values; this is what alpha learns through.
* enhancement: after the stage, ``x = x + gamma * (M * x)`` with a per-channel gate ``gamma``.

``alpha = |a|`` for a parameter ``a`` per stage with significance-guided blocks: non-negative
without a dead zone. ``gamma`` starts at 0. With ``a = 0`` and ``gamma = 0`` the backbone computes
exactly what it computes without PAE.
"""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn


def box_coverage(boxes: torch.Tensor, grid_size: Tuple[int, int],
                 cell_size: float) -> torch.Tensor:
    """Fraction of each grid cell covered by the union of ``boxes`` (exact area).

    Args:
        boxes: (n, 4) boxes x1, y1, x2, y2 in pixels.
        grid_size: (H, W) cells; cell (i, j) spans pixels [j, j + 1) * cell_size horizontally and
            [i, i + 1) * cell_size vertically.
        cell_size: cell side in pixels.

    Returns:
        (H, W) float64 coverage in [0, 1].
    """
    height, width = grid_size
    boxes = boxes.detach().to(torch.float64).reshape(-1, 4)
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


def person_box_masks(person_boxes: Optional[Sequence[torch.Tensor]], batch_size: int,
                     grid: Tuple[int, int, int], cell_size: float,
                     device: Optional[torch.device] = None) -> torch.Tensor:
    """Soft person masks (B, T, H, W) on a token grid, the same for every T.

    Args:
        person_boxes: one (n_i, 4) tensor of x1, y1, x2, y2 boxes per sample, in input pixels, or
            None for no persons.
        batch_size: B.
        grid: (T, H, W) token grid.
        cell_size: pixels per token cell side (the stage's spatial stride).
        device: device of the masks.
    """
    t, h, w = grid
    masks = torch.zeros(batch_size, h, w, device=device)
    if person_boxes is not None:
        if len(person_boxes) != batch_size:
            raise ValueError(f'got person boxes for {len(person_boxes)} samples, '
                             f'expected {batch_size}')
        for i, boxes in enumerate(person_boxes):
            boxes = torch.as_tensor(boxes, device=device)
            masks[i] = box_coverage(boxes, (h, w), cell_size).to(masks.dtype)
    return masks[:, None].expand(batch_size, t, h, w)


def guide_significance(significance: torch.Tensor, person_weight: torch.Tensor) -> torch.Tensor:
    """``S + alpha * M * mean(S)``: (B, T, H, W) significance raised on person tokens.

    Args:
        significance: (B, T, H, W) significance ``S``.
        person_weight: (B, T, H, W) ``alpha * M``.
    """
    return significance + person_weight * significance.mean(dim=(1, 2, 3), keepdim=True)


class PersonAttentionEnhancement(nn.Module):
    """Per-stage guidance weights ``alpha`` and enhancement gates ``gamma`` of PAE.

    Args:
        embed_dims: token width of each stage.
        strides: spatial stride of each stage's token grid in input pixels.
        guided_stages: whether each stage has significance-guided blocks (gets an ``alpha``).
        guidance_init: initial value of every ``alpha``.
        enhancement: whether stages enhance person tokens (``gamma``); False leaves only the
            guidance (an ablation: PAE's two parts are measured apart by
            ``tools/analysis/benchmark_detectors.py``).
    """

    def __init__(self, embed_dims: Sequence[int], strides: Sequence[int],
                 guided_stages: Sequence[bool], guidance_init: float = 1.0,
                 enhancement: bool = True):
        super().__init__()
        if not len(embed_dims) == len(strides) == len(guided_stages):
            raise ValueError('embed_dims, strides and guided_stages need one entry per stage')
        self.strides = tuple(strides)
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
        """(B, T, H, W) person mask of ``stage`` on ``grid``; see :func:`person_box_masks`."""
        return person_box_masks(person_boxes, batch_size, grid, self.strides[stage], device)

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
