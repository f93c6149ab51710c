"""Boundary max pooling (AFSD) in plain PyTorch: exact maxima over integer step ranges."""
from typing import Optional, Tuple

import torch


@torch.no_grad()
def max_sparse_table(feature: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """Sparse table of maxima: ``(B, K, C, T)`` values and arg-max steps, level ``k`` over
    ``feature[..., t:t + 2^k]`` (``K = floor(log2 T) + 1``; entries that would run past the end
    repeat the last valid one and are never looked up). Ties keep the first step."""
    length = feature.shape[-1]
    steps = torch.arange(length, device=feature.device).expand_as(feature)
    values, indices = [feature], [steps]
    width = 1
    while 2 * width <= length:
        value, index = values[-1], indices[-1]
        shifted = torch.cat([value[..., width:], value[..., -width:]], dim=-1)
        shifted_index = torch.cat([index[..., width:], index[..., -width:]], dim=-1)
        keep = value >= shifted
        values.append(torch.where(keep, value, shifted))
        indices.append(torch.where(keep, index, shifted_index))
        width *= 2
    return torch.stack(values, dim=1), torch.stack(indices, dim=1)


def boundary_max_pool(feature: torch.Tensor, regions: torch.Tensor,
                      table: Optional[Tuple[torch.Tensor, torch.Tensor]] = None) -> torch.Tensor:
    """Max of the first half of the channels over a start range, of the second half over an
    end range, for every region.

    The arg-max of a range comes from two look-ups in a sparse table of maxima over widths
    ``2^k`` (:func:`max_sparse_table`); the result gathers the features there, so it is the
    exact maximum and its gradient reaches the arg-max (the first one on ties).

    Args:
        feature: ``(B, 2D, T)`` features.
        regions: ``(B, N, 4)`` ranges ``start_lo, start_hi, end_lo, end_hi`` in step indices
            (rounded, clipped into ``[0, T - 1]``, both ends included; a range whose ``lo``
            passes its ``hi`` is the single step ``lo``).
        table: ``max_sparse_table(feature)``, when several calls share the feature.

    Returns:
        ``(B, 2D, N)``: channels ``:D`` pooled over the start ranges, ``D:`` over the end ones.
    """
    batch, channels, length = feature.shape
    if channels % 2:
        raise ValueError(f'boundary_max_pool needs an even number of channels, got {channels}')
    half = channels // 2
    bounds = regions.detach().round().long().clamp(0, length - 1)
    values, indices = max_sparse_table(feature) if table is None else table
    argmax = []
    for part, (lo, hi) in enumerate(((bounds[..., 0], bounds[..., 1]),
                                     (bounds[..., 2], bounds[..., 3]))):
        hi = torch.maximum(hi, lo)
        level = torch.log2((hi - lo + 1).double()).floor().long()  # exact for the sizes used
        lookups = [(level * length + start)[:, None].expand(-1, half, -1)
                   for start in (lo, hi - 2**level + 1)]
        part_values, part_indices = (
            table[:, :, part * half:(part + 1) * half].permute(0, 2, 1, 3).reshape(
                batch, half, -1) for table in (values, indices))
        first, second = (part_values.gather(2, lookup) for lookup in lookups)
        first_index, second_index = (part_indices.gather(2, lookup) for lookup in lookups)
        argmax.append(torch.where(first >= second, first_index, second_index))
    return feature.gather(2, torch.cat(argmax, dim=1))
