"""Per-class frame AP and precision-recall curves of a detector's results, and their plots.

Matching and AP follow :func:`vsgt.evaluation.functional.frame_ap` (each detection against the
highest-IoU ground-truth box of its class on its frame, greedy by score, tied scores one rank);
the tests check that the APs agree.
"""
from dataclasses import dataclass
from typing import List, Optional, Tuple

import numpy as np

from vsgt.evaluation.functional import (GroundTruth, frame_matches, greedy_true_positives,
                                        ranked_pr, voc_ap)
from .figures import save_figure


@dataclass(frozen=True)
class PRCurves:
    """Precision-recall curves per class.

    Attributes:
        labels: Class names.
        iou_thr: IoU threshold of a true positive.
        curves: (recall, precision) arrays per class, one point per rank.
        ap: AP per class (nan without ground truth).
        num_gt: Ground-truth boxes per class.
    """

    labels: Tuple[str, ...]
    iou_thr: float
    curves: List[Tuple[np.ndarray, np.ndarray]]
    ap: np.ndarray
    num_gt: np.ndarray

    @property
    def mean_ap(self) -> float:
        """Mean AP over the classes with ground truth."""
        return float(self.ap[self.num_gt > 0].mean())


def frame_pr_curves(gt: GroundTruth, detections: np.ndarray, iou_thr: float = 0.5,
                    key_frames: Optional[np.ndarray] = None) -> PRCurves:
    """Per-class precision-recall of frame detections (rows ``video_index, frame, label_index,
    score, x1, y1, x2, y2``, pixels) against ``gt``, on ``key_frames`` ((K, 2) ``video_index,
    frame``) only when given."""
    matches = frame_matches(gt, detections, key_frames)
    curves, ap = [], np.full(len(gt.labels), np.nan)
    for label in range(len(gt.labels)):
        members = np.flatnonzero(matches.labels == label)
        order = members[np.argsort(-matches.scores[members], kind='stable')]
        is_tp = greedy_true_positives(order, matches.best_gt, matches.best_iou, iou_thr)
        precision, recall = ranked_pr(matches.scores[order], is_tp, matches.num_gt[label])
        curves.append((recall, precision))
        if matches.num_gt[label]:
            ap[label] = voc_ap(precision, recall)
    return PRCurves(tuple(gt.labels), float(iou_thr), curves, ap, matches.num_gt)


def plot_class_ap(result: PRCurves, out_file: str, title: str = '', dpi: int = 80,
                  colors: Optional[int] = None) -> None:
    """Horizontal bars of each class's AP (%), classes without ground truth marked."""
    from matplotlib.figure import Figure

    labels = list(result.labels)
    figure = Figure(figsize=(5, 1.1 + 0.28 * len(labels)), layout='constrained')
    ax = figure.subplots()
    values = np.nan_to_num(result.ap * 100)
    positions = np.arange(len(labels))[::-1]
    ax.barh(positions, values, color='tab:blue')
    ax.axvline(result.mean_ap * 100, color='tab:red', linestyle='--', linewidth=1,
               label=f'mAP {result.mean_ap * 100:.1f}')
    ax.set_yticks(positions, labels, fontsize=7)
    ax.set_ylim(-0.6, len(labels) - 0.4)
    # each class's AP in a column right of the plot, clear of the bars and the mAP line
    values_axis = ax.secondary_yaxis('right')
    values_axis.set_yticks(positions, [f'{value:.1f}' if count else 'no GT'
                                       for value, count in zip(values, result.num_gt)],
                           fontsize=7)
    values_axis.tick_params(length=0)
    ax.set_xlim(0, 100)
    ax.set_xlabel(f'frame AP@{result.iou_thr:g} (%)', fontsize=8)
    ax.tick_params(axis='x', labelsize=7)
    ax.legend(fontsize=7, loc='lower right', bbox_to_anchor=(1, 1), frameon=False,
              borderaxespad=0.1)
    ax.set_title(title, fontsize=8, loc='left')
    save_figure(figure, out_file, dpi, colors)


def plot_pr_curves(result: PRCurves, out_file: str, title: str = '', dpi: int = 80,
                  colors: Optional[int] = None) -> None:
    """The precision-recall curve (one point per rank) of each class with ground truth, its AP
    in the legend."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(5, 4))
    ax = figure.subplots()
    for label, (recall, precision), ap, count in zip(result.labels, result.curves, result.ap,
                                                     result.num_gt):
        if count:
            ax.plot(recall, precision, linewidth=1.2, label=f'{label} (AP {ap * 100:.1f})')
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel('recall', fontsize=8)
    ax.set_ylabel('precision', fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6, ncol=1 + len(result.labels) // 12, loc='lower left')
    ax.set_title(title, fontsize=8)
    figure.tight_layout()
    save_figure(figure, out_file, dpi, colors)
