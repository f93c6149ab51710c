"""Box and tube overlaps, with continuous coordinates (no ``+ 1`` on widths).

A box is ``x1, y1, x2, y2``; a tube is an ``(n, 5+)`` array of rows ``frame, x1, y1, x2, y2[,
...]`` with strictly increasing frames. IoU is 0 where the union is empty.
"""
import numpy as np


def _area(boxes: np.ndarray) -> np.ndarray:
    return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])


def _iou(boxes: np.ndarray, others: np.ndarray) -> np.ndarray:
    """IoU of broadcast-compatible ``(..., 4)`` box arrays."""
    width = np.minimum(boxes[..., 2], others[..., 2]) - np.maximum(boxes[..., 0], others[..., 0])
    height = np.minimum(boxes[..., 3], others[..., 3]) - np.maximum(boxes[..., 1], others[..., 1])
    inter = np.clip(width, 0, None) * np.clip(height, 0, None)
    union = _area(boxes) + _area(others) - inter
    return np.divide(inter, union, out=np.zeros(np.shape(inter)), where=union > 0)


def box_iou(boxes: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Pairwise IoU: ``(n, 4)`` and ``(m, 4)`` boxes give an ``(n, m)`` array."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    others = np.asarray(others, np.float64).reshape(-1, 4)
    return _iou(boxes[:, None], others[None])


def paired_box_iou(boxes: np.ndarray, others: np.ndarray) -> np.ndarray:
    """IoU of ``boxes[i]`` with ``others[i]`` for two ``(n, 4)`` arrays."""
    return _iou(np.asarray(boxes, np.float64), np.asarray(others, np.float64))


def temporal_iou(starts: np.ndarray, ends: np.ndarray, other_starts: np.ndarray,
                 other_ends: np.ndarray) -> np.ndarray:
    """Temporal IoU of frame ranges, frames taken as instants (ACT / MultiSports).

    ``(min(ends) - max(starts)) / (max(ends) - min(starts))``: 0 when the ranges do not overlap
    or only touch, 1 for two identical single-frame ranges (where the reference divides 0 by 0).
    """
    inter = np.minimum(ends, other_ends) - np.maximum(starts, other_starts)
    union = np.maximum(ends, other_ends) - np.minimum(starts, other_starts)
    inter = np.asarray(inter, np.float64)
    ratio = np.divide(inter, union, out=np.zeros(np.shape(inter)), where=union > 0)
    return np.where(union == 0, 1.0, np.clip(ratio, 0, None))


def tube_pair_iou(tube_rows: np.ndarray, tube_ptr: np.ndarray, other_rows: np.ndarray,
                  other_ptr: np.ndarray, tubes: np.ndarray, others: np.ndarray,
                  chunk_rows: int = 1 << 21) -> np.ndarray:
    """Spatio-temporal IoU of tube ``tubes[p]`` with tube ``others[p]``, for every pair ``p``.

    Tubes are stored concatenated: tube ``i`` of a set is ``rows[ptr[i]:ptr[i + 1]]``. The IoU is
    the temporal IoU (:func:`temporal_iou`) times the mean box IoU over the frames where both
    tubes have a box (0 when there is none). For two tubes with a box on every frame of their
    ranges these are the frames of the temporal overlap, as in ACT's ``iou3dt``.

    Args:
        tube_rows, tube_ptr: First tube set: ``(R, 5+)`` rows ``frame, x1, y1, x2, y2`` and the
            ``(T + 1,)`` offsets of its tubes.
        other_rows, other_ptr: Second tube set, same layout.
        tubes, others: ``(P,)`` tube indices into the first and the second set.
        chunk_rows: Frames of ``others`` processed at once (bounds the memory).

    Returns:
        ``(P,)`` float64 IoUs.
    """
    tubes = np.asarray(tubes, np.int64)
    others = np.asarray(others, np.int64)
    starts, ends = tube_rows[tube_ptr[:-1], 0], tube_rows[tube_ptr[1:] - 1, 0]
    other_starts, other_ends = other_rows[other_ptr[:-1], 0], other_rows[other_ptr[1:] - 1, 0]
    t_iou = temporal_iou(starts[tubes], ends[tubes], other_starts[others], other_ends[others])

    # Look up the other tube's frames among this tube's rows by the key (tube, frame).
    spatial_sum = np.zeros(len(tubes))
    common = np.zeros(len(tubes))
    candidates = np.flatnonzero(t_iou > 0)
    if len(candidates):
        span = int(max(tube_rows[:, 0].max(), other_rows[:, 0].max())) + 1
        tube_of_row = np.repeat(np.arange(len(tube_ptr) - 1), np.diff(tube_ptr))
        row_keys = tube_of_row * span + tube_rows[:, 0].astype(np.int64)
        lengths = np.diff(other_ptr)[others]
        num_chunks = -(-int(lengths[candidates].sum()) // chunk_rows)
        for chunk in np.array_split(candidates, num_chunks):
            pair = np.repeat(chunk, lengths[chunk])
            first_row = np.repeat(other_ptr[others[chunk]] - np.cumsum(lengths[chunk])
                                  + lengths[chunk], lengths[chunk])
            other_row = first_row + np.arange(len(pair))
            query = tubes[pair] * span + other_rows[other_row, 0].astype(np.int64)
            pos = np.minimum(np.searchsorted(row_keys, query), len(row_keys) - 1)
            found = row_keys[pos] == query
            ious = paired_box_iou(tube_rows[pos[found], 1:5], other_rows[other_row[found], 1:5])
            spatial_sum += np.bincount(pair[found], ious, minlength=len(tubes))
            common += np.bincount(pair[found], minlength=len(tubes))
    spatial = np.divide(spatial_sum, common, out=np.zeros(len(tubes)), where=common > 0)
    return spatial * t_iou


def tube_iou(tube: np.ndarray, other: np.ndarray) -> float:
    """Spatio-temporal IoU of two tubes (see :func:`tube_pair_iou`)."""
    tube = np.asarray(tube, np.float64)
    other = np.asarray(other, np.float64)
    return float(tube_pair_iou(tube, np.array([0, len(tube)]), other, np.array([0, len(other)]),
                               np.array([0]), np.array([0]))[0])
