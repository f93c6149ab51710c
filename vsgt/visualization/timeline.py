"""A video's temporal detections (and ground truth) on its timeline (matplotlib, Agg)."""
from typing import Optional, Sequence

import numpy as np


def pack(segments: np.ndarray) -> np.ndarray:
    """Tier of each of the start-sorted ``segments``: the first tier where it overlaps none."""
    ends, tiers = [], []
    for start, end in segments:
        tier = next((i for i, last in enumerate(ends) if last <= start), len(ends))
        ends[tier:tier + 1] = [end]
        tiers.append(tier)
    return np.array(tiers, np.int64)


def timeline_figure(class_names: Sequence[str], duration: float, segments: np.ndarray,
                    scores: np.ndarray, labels: np.ndarray,
                    gt_segments: Optional[np.ndarray] = None,
                    gt_labels: Optional[np.ndarray] = None, title: str = ''):
    """A matplotlib figure with a lane per class that has a detection or ground truth: its
    ground truth (dark) above, its detections below (overlapping ones in tiers; opacity and
    label by score). Segments are ``(n, 2)`` seconds; labels index ``class_names``."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    segments = np.asarray(segments, np.float64).reshape(-1, 2)
    scores, labels = np.asarray(scores, np.float64), np.asarray(labels, np.int64)
    if gt_segments is None:
        gt_segments, gt_labels = np.zeros((0, 2)), np.zeros(0, np.int64)
    gt_segments = np.asarray(gt_segments, np.float64).reshape(-1, 2)
    gt_labels = np.asarray(gt_labels, np.int64)
    classes = sorted(set(gt_labels.tolist()) | set(labels.tolist()))
    figure, axes = plt.subplots(figsize=(10, 0.9 + 0.8 * len(classes)))
    colours = plt.get_cmap('tab10')
    for lane, label in enumerate(classes):
        y = 2 * (len(classes) - 1 - lane)
        for start, end in gt_segments[gt_labels == label]:
            axes.broken_barh([(start, end - start)], (y + 1.05, 0.8), color='0.25')
        rows = np.flatnonzero(labels == label)
        rows = rows[np.argsort(segments[rows, 0], kind='stable')]
        tiers = pack(segments[rows])
        height = 0.8 / max(tiers.max(initial=0) + 1, 1)
        for row, tier in zip(rows, tiers):
            start, end = segments[row]
            score = scores[row]
            bottom = y + 0.95 - (tier + 1) * height
            axes.broken_barh([(start, end - start)], (bottom, height * 0.9),
                             color=colours(lane % 10), alpha=0.25 + 0.75 * min(max(score, 0.), 1.))
            axes.text(end, bottom + height * 0.45, f' {score:.2f}', fontsize=6, va='center')
    axes.set_yticks([2 * (len(classes) - 1 - lane) + 1 for lane in range(len(classes))])
    axes.set_yticklabels([class_names[label] for label in classes])
    axes.set_xlim(0, duration)
    axes.set_ylim(0, 2 * max(len(classes), 1))
    axes.set_xlabel('time (s)')
    axes.set_title(title, fontsize=9)
    figure.tight_layout()
    return figure
