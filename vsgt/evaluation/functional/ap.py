"""PASCAL VOC average precision and greedy matching of ranked detections."""
from dataclasses import dataclass
from typing import Sequence, Tuple

import numpy as np


def voc_ap(precision: np.ndarray, recall: np.ndarray) -> float:
    """Area under the interpolated precision/recall curve (PASCAL VOC, all points).

    The curve is extended with ``(recall 0, precision 0)`` and ``(recall 1, precision 0)``;
    precision is replaced by its maximum at any higher recall and summed over the recall steps.
    """
    recall = np.concatenate([[0.0], recall, [1.0]])
    precision = np.concatenate([[0.0], precision, [0.0]])
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    steps = np.flatnonzero(recall[1:] != recall[:-1]) + 1
    return float(np.sum((recall[steps] - recall[steps - 1]) * precision[steps]))


def ranked_pr(scores: np.ndarray, is_tp: np.ndarray, num_gt: int
              ) -> Tuple[np.ndarray, np.ndarray]:
    """Precision and recall of detections sorted by decreasing score, after each rank.

    Detections with equal scores form one rank: precision and recall are taken only after the
    last of them, so the curve does not depend on the order of tied detections. Recall is 0
    throughout when ``num_gt`` is 0.
    """
    if len(scores) == 0:
        return np.zeros(0), np.zeros(0)
    tp = np.cumsum(is_tp)
    rank_ends = np.flatnonzero(np.append(scores[1:] != scores[:-1], True))
    return tp[rank_ends] / (rank_ends + 1.0), tp[rank_ends] / float(max(num_gt, 1))


def ranked_ap(scores: np.ndarray, is_tp: np.ndarray, num_gt: int) -> float:
    """AP (:func:`voc_ap`) of the :func:`ranked_pr` curve; nan when ``num_gt`` is 0."""
    if num_gt == 0:
        return float('nan')
    return voc_ap(*ranked_pr(scores, is_tp, num_gt))


def greedy_true_positives(order: np.ndarray, best_gt: np.ndarray, best_iou: np.ndarray,
                          iou_thr: float) -> np.ndarray:
    """True-positive flags of ranked detections matched to their best ground truth.

    Detection ``i`` is a true positive when ``best_iou[i] >= iou_thr`` and no detection ranked
    before it (in ``order``) has the same ``best_gt``: a ground truth is matched at most once and
    a detection never falls back to its second-best ground truth (PASCAL VOC, ACT, AVA).

    Args:
        order: Detection indices, best first.
        best_gt: Index of each detection's highest-IoU ground truth (globally unique ids).
        best_iou: That IoU (-1 without any ground truth).
        iou_thr: IoU threshold.

    Returns:
        Boolean flags in the order of ``order``.
    """
    ranked_gt = np.where(best_iou[order] >= iou_thr, best_gt[order], -1)
    candidates = np.flatnonzero(ranked_gt >= 0)
    _, first = np.unique(ranked_gt[candidates], return_index=True)
    is_tp = np.zeros(len(order), bool)
    is_tp[candidates[first]] = True
    return is_tp


@dataclass(frozen=True)
class ClassAP:
    """Per-class AP at several IoU thresholds.

    Attributes:
        labels: Class names.
        iou_thrs: The thresholds.
        ap: ``(len(iou_thrs), len(labels))`` APs; nan for a class without ground truth.
        num_gt: Ground-truth instances (boxes or tubes) per class.
        num_dets: Detections (boxes or tubes) per class.
    """

    labels: Tuple[str, ...]
    iou_thrs: Tuple[float, ...]
    ap: np.ndarray
    num_gt: np.ndarray
    num_dets: np.ndarray

    @property
    def mean_ap(self) -> np.ndarray:
        """mAP at each threshold: mean over the classes with ground truth."""
        return self.ap[:, self.num_gt > 0].mean(axis=1)


def class_ap(labels: Sequence[str], iou_thrs: Sequence[float], det_labels: np.ndarray,
             det_scores: np.ndarray, best_gt: np.ndarray, best_iou: np.ndarray,
             num_gt: np.ndarray) -> ClassAP:
    """Per-class AP of matched detections (see :func:`greedy_true_positives`).

    Args:
        labels: Class names.
        iou_thrs: IoU thresholds.
        det_labels, det_scores: Class index and score of each detection.
        best_gt, best_iou: Each detection's best ground truth of its class and their IoU.
        num_gt: Ground-truth instances per class.
    """
    num_classes = len(labels)
    order = np.lexsort((-det_scores, det_labels))
    sorted_labels, sorted_scores = det_labels[order], det_scores[order]
    bounds = np.searchsorted(sorted_labels, np.arange(num_classes + 1))
    ap = np.full((len(iou_thrs), num_classes), np.nan)
    for t, iou_thr in enumerate(iou_thrs):
        is_tp = greedy_true_positives(order, best_gt, best_iou, iou_thr)
        for c in range(num_classes):
            ranks = slice(bounds[c], bounds[c + 1])
            ap[t, c] = ranked_ap(sorted_scores[ranks], is_tp[ranks], int(num_gt[c]))
    return ClassAP(tuple(labels), tuple(float(t) for t in iou_thrs), ap,
                   np.asarray(num_gt, np.int64), np.diff(bounds))
