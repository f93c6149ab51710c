"""Linking per-frame detections into action tubes (greedy, per video and class, ACT-style).

For each video the *timeline* is the sorted list of frames that have at least one detection (of
any class): the frames the detector was run on. Each class is linked on its own:

1. On every timeline frame keep the class's ``top_k`` highest-scored boxes.
2. Walk the timeline. The tubes alive at frame ``t`` are those whose last box is on the previous
   timeline frame. In decreasing order of tube score (the mean score of its boxes; ties by the
   tube's first box), each tube takes, among the boxes of ``t`` not yet taken whose IoU with the
   tube's last box is >= ``link_iou_thr``, the highest-scored one. A tube that takes none ends;
   a box that no tube took starts a new tube.
3. Tubes spanning fewer than ``min_length`` frames are dropped. A tube's score is the mean
   score of its boxes. It gets a box on every frame from its first to its last: between two
   linked boxes (timeline frames apart), boxes and box scores are linearly interpolated.

The result does not depend on the order of the detections: ties (equal scores) are broken by
the box coordinates, then by position on the timeline.
"""
from typing import Sequence

import numpy as np

from .boxes import paired_box_iou
from .formats import VideoDetections, check_frame_detections
from .ground_truth import GroundTruth


def _group_bounds(keys: np.ndarray) -> np.ndarray:
    """Start offsets (plus the end) of the runs of equal values in sorted ``keys``."""
    return np.flatnonzero(np.diff(keys, prepend=keys[0] - 1, append=keys[-1] + 1))


def _greedy_link(group_bounds: Sequence[int], previous: Sequence[int], scores: Sequence[float],
                 succ_ptr: Sequence[int], succ: Sequence[int]) -> np.ndarray:
    """Tube of every detection (the index of its tube's first detection); see the module doc."""
    tube_of = list(range(len(scores)))
    score_sum = list(scores)
    count = [1] * len(scores)
    for group, prev in enumerate(previous):
        if prev < 0:
            continue
        alive = range(group_bounds[prev], group_bounds[prev + 1])
        if len(alive) > 1:
            alive = sorted(alive, key=lambda i: (-score_sum[tube_of[i]] / count[tube_of[i]],
                                                 tube_of[i]))
        taken = set()
        for last in alive:
            for det in succ[succ_ptr[last]:succ_ptr[last + 1]]:
                if det not in taken:
                    taken.add(det)
                    tube = tube_of[last]
                    tube_of[det] = tube
                    score_sum[tube] += scores[det]
                    count[tube] += 1
                    break
    return np.array(tube_of, np.int64)


def link_tubes(gt: GroundTruth, detections: np.ndarray, link_iou_thr: float = 0.5,
               top_k: int = 10, min_length: int = 15) -> VideoDetections:
    """Link frame detections into tubes (algorithm: module docstring).

    Args:
        gt: Ground truth of the split (for its videos, classes and frame counts).
        detections: Frame detections (see :mod:`.formats`), boxes in pixels.
        link_iou_thr: Minimum IoU between a tube's last box and the box that extends it.
        top_k: Boxes per class and frame considered for linking.
        min_length: Shortest tube kept, in frames (last - first + 1).

    Returns:
        Video detections ``{label_index: [(video_name, tube_score, (n, 6) float64 rows frame,
        x1, y1, x2, y2, box_score)]}`` with every class of ``gt`` as a key.
    """
    if not isinstance(top_k, int) or top_k < 1:
        raise ValueError(f'top_k must be an int >= 1, got {top_k!r}')
    if not isinstance(min_length, int) or min_length < 1:
        raise ValueError(f'min_length must be an int >= 1, got {min_length!r}')
    if not 0 <= link_iou_thr <= 1:
        raise ValueError(f'link_iou_thr must be in [0, 1], got {link_iou_thr!r}')
    dets = check_frame_detections(detections, gt)
    result = {label: [] for label in range(len(gt.labels))}
    if len(dets) == 0:
        return result

    video, frame, label = (dets[:, i].astype(np.int64) for i in range(3))
    boxes = dets[:, 4:8]
    order = np.lexsort((boxes[:, 3], boxes[:, 2], boxes[:, 1], boxes[:, 0], -dets[:, 3], frame,
                        label, video))
    span = int(gt.nframes.max()) + 1
    timeline = np.unique(video * span + frame)
    position = np.searchsorted(timeline, video * span + frame)[order]
    series = (video * len(gt.labels) + label)[order]
    group_key = series * len(timeline) + position
    bounds = _group_bounds(group_key)
    rank = np.arange(len(order)) - np.repeat(bounds[:-1], np.diff(bounds))
    kept = rank < top_k
    order, position, group_key = order[kept], position[kept], group_key[kept]
    video, frame, label, scores, boxes = (video[order], frame[order], label[order],
                                          dets[order, 3], boxes[order])

    # Groups (series, timeline position) and the group on the previous timeline frame.
    bounds = _group_bounds(group_key)
    starts = bounds[:-1]
    group_keys = group_key[starts]
    prev_pos = np.searchsorted(group_keys, group_keys - 1)
    has_prev = (position[starts] > 0) & (group_keys[np.minimum(prev_pos, len(starts) - 1)] ==
                                         group_keys - 1)
    previous = np.where(has_prev, prev_pos, -1)

    # Candidate links (box of the previous group -> box of this group) with IoU >= threshold.
    group_of = np.repeat(np.arange(len(starts)), np.diff(bounds))
    prev_group = previous[group_of]
    linked = np.flatnonzero(prev_group >= 0)
    prev_first = bounds[prev_group[linked]]
    prev_count = bounds[prev_group[linked] + 1] - prev_first
    sources, targets = [], []
    for offset in range(int(prev_count.max()) if len(linked) else 0):
        has = np.flatnonzero(prev_count > offset)
        source = prev_first[has] + offset
        target = linked[has]
        close = paired_box_iou(boxes[source], boxes[target]) >= link_iou_thr
        sources.append(source[close])
        targets.append(target[close])
    sources = np.concatenate(sources) if sources else np.zeros(0, np.int64)
    targets = np.concatenate(targets) if targets else np.zeros(0, np.int64)
    link_order = np.lexsort((targets, sources))
    succ = targets[link_order]
    succ_ptr = np.searchsorted(sources[link_order], np.arange(len(order) + 1))

    tube_of = _greedy_link(bounds.tolist(), previous.tolist(), scores.tolist(),
                           succ_ptr.tolist(), succ.tolist())
    return _build_tubes(gt, tube_of, video, label, frame, scores, boxes, min_length, result)


def _build_tubes(gt: GroundTruth, tube_of: np.ndarray, video: np.ndarray, label: np.ndarray,
                 frame: np.ndarray, scores: np.ndarray, boxes: np.ndarray, min_length: int,
                 result: VideoDetections) -> VideoDetections:
    """Filter the linked tubes by length, interpolate them densely and list them per class."""
    order = np.lexsort((frame, tube_of))
    tube_of, video, label, frame, scores, boxes = (tube_of[order], video[order], label[order],
                                                   frame[order], scores[order], boxes[order])
    bounds = _group_bounds(tube_of)
    first, last = bounds[:-1], bounds[1:] - 1
    long_enough = frame[last] - frame[first] + 1 >= min_length
    tube_score = np.add.reduceat(scores, first)[long_enough] / (last - first + 1)[long_enough]
    first, last = first[long_enough], last[long_enough]
    if len(first) == 0:
        return result

    # Rows of the kept tubes; each row fills the frames up to the tube's next row.
    row = np.flatnonzero(np.repeat(long_enough, np.diff(bounds)))
    is_last = np.isin(row, last)
    following = np.where(is_last, row, row + 1)
    gap = np.where(is_last, 1, frame[following] - frame[row])
    source = np.repeat(row, gap)
    target = np.repeat(following, gap)
    step = np.arange(len(source)) - np.repeat(np.cumsum(gap) - gap, gap)
    weight = (step / np.repeat(gap, gap))[:, None]
    values = np.column_stack([boxes, scores])
    dense = np.column_stack([frame[source] + step,
                             values[source] + (values[target] - values[source]) * weight])
    lengths = frame[last] - frame[first] + 1
    for tube_label, tube_video, score, rows in zip(label[first].tolist(), video[first].tolist(),
                                                   tube_score.tolist(),
                                                   np.split(dense, np.cumsum(lengths)[:-1])):
        result[tube_label].append((gt.videos[tube_video], score, rows))
    return result
