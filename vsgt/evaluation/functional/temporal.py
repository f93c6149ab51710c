"""Temporal action localization: tIoU, detection AP, AR@AN, (soft-)NMS and the official JSON files.

Segments are ``(n, 2)`` float64 arrays of ``start, end`` in seconds. The detection AP is the
official ActivityNet algorithm (``eval_detection.py``): per class, predictions ranked by score
take, in that order, the unmatched ground truth of their video with the highest tIoU at or above
the threshold; AP is the area under the interpolated precision/recall curve (:func:`.voc_ap`).
"""
import json
import math
from dataclasses import dataclass
from functools import cached_property
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from .ap import ClassAP, ranked_ap
from vsgt.utils.jsonfile import load_json
from .formats import atomic_write

THUMOS14_TIOU_THRS = (0.3, 0.4, 0.5, 0.6, 0.7)
ACTIVITYNET_TIOU_THRS = tuple(round(0.5 + 0.05 * i, 2) for i in range(10))
SUBMISSION_VERSION = 'VERSION 1.3'


def segment_iou(segments: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Pairwise tIoU in float64: ``(n, 2)`` and ``(m, 2)`` segments give an ``(n, m)`` array.

    The union is ``length_b + length_a - intersection`` as in the official ``segment_iou``, so
    the values are bitwise those of the official evaluator; 0 where the union is empty.
    """
    segments = np.asarray(segments, np.float64).reshape(-1, 2)[:, None]
    others = np.asarray(others, np.float64).reshape(-1, 2)[None]
    inter = np.clip(np.minimum(segments[..., 1], others[..., 1]) -
                    np.maximum(segments[..., 0], others[..., 0]), 0, None)
    union = (others[..., 1] - others[..., 0]) + (segments[..., 1] - segments[..., 0]) - inter
    return np.divide(inter, union, out=np.zeros(inter.shape), where=union > 0)


def match_ranked(iou: np.ndarray, tiou_thrs: Sequence[float]) -> np.ndarray:
    """Greedy matching of one video's ranked predictions to its ground truth.

    Args:
        iou: ``(num_preds, num_gt)`` tIoU, predictions best first.
        tiou_thrs: tIoU thresholds.

    Returns:
        ``(len(tiou_thrs), num_preds)`` true-positive flags: prediction ``i`` takes the
        ground truth of highest tIoU (the first one on equal tIoU) that is ``>= thr`` and not
        taken by a prediction ranked before it.
    """
    hits = np.zeros((len(tiou_thrs), len(iou)), bool)
    if iou.size == 0:
        return hits
    for t, thr in enumerate(tiou_thrs):
        candidate = iou >= thr
        contested = candidate[:, candidate.sum(axis=0) > 1].any(axis=1)
        # A prediction none of whose candidates is wanted by another one takes its best.
        hits[t] = candidate.any(axis=1) & ~contested
        rows = np.flatnonzero(contested)
        if not len(rows):
            continue
        order = np.argsort(-iou[rows], axis=1, kind='stable')
        ranked_iou = np.take_along_axis(iou[rows], order, axis=1)
        taken = set()
        for row, gts, ious in zip(rows.tolist(), order.tolist(), ranked_iou.tolist()):
            for gt, value in zip(gts, ious):
                if value < thr:
                    break
                if gt not in taken:
                    taken.add(gt)
                    hits[t, row] = True
                    break
    return hits


def _group_bounds(keys: np.ndarray, num_groups: int) -> np.ndarray:
    """Boundaries of sorted ``keys`` for the groups ``0..num_groups - 1``."""
    return np.searchsorted(keys, np.arange(num_groups + 1))


def class_detection_ap(gt_videos: np.ndarray, gt_segments: np.ndarray, pred_videos: np.ndarray,
                       pred_segments: np.ndarray, pred_scores: np.ndarray,
                       tiou_thrs: Sequence[float]) -> np.ndarray:
    """Detection AP of one class at each tIoU threshold (nan without ground truth).

    Predictions are ranked by decreasing score, ties in input order; tied predictions form one
    rank of the precision/recall curve (:func:`.ranked_pr`).

    Args:
        gt_videos, gt_segments: Video index (any integers) and ``(k, 2)`` segment of each
            ground-truth instance.
        pred_videos, pred_segments, pred_scores: The same for the predictions, and their scores.
        tiou_thrs: tIoU thresholds.

    Returns:
        ``(len(tiou_thrs),)`` AP.
    """
    tiou_thrs = tuple(float(thr) for thr in tiou_thrs)
    pred_scores = np.asarray(pred_scores, np.float64)
    pred_segments = np.asarray(pred_segments, np.float64).reshape(-1, 2)
    gt_segments = np.asarray(gt_segments, np.float64).reshape(-1, 2)
    _, codes = np.unique(np.concatenate([gt_videos, pred_videos]).astype(np.int64),
                         return_inverse=True)
    gt_codes, pred_codes = codes[:len(gt_segments)], codes[len(gt_segments):]
    num_codes = int(codes.max()) + 1 if len(codes) else 0
    rank = np.argsort(-pred_scores, kind='stable')
    by_video = rank[np.argsort(pred_codes[rank], kind='stable')]
    gt_order = np.argsort(gt_codes, kind='stable')
    pred_bounds = _group_bounds(pred_codes[by_video], num_codes)
    gt_bounds = _group_bounds(gt_codes[gt_order], num_codes)
    hits = np.zeros((len(tiou_thrs), len(pred_scores)), bool)
    for code in np.flatnonzero(np.diff(pred_bounds) * np.diff(gt_bounds)):
        preds = by_video[pred_bounds[code]:pred_bounds[code + 1]]
        gts = gt_order[gt_bounds[code]:gt_bounds[code + 1]]
        hits[:, preds] = match_ranked(segment_iou(pred_segments[preds], gt_segments[gts]),
                                      tiou_thrs)
    return np.array([ranked_ap(pred_scores[rank], hits[t, rank], len(gt_segments))
                     for t in range(len(tiou_thrs))])


@dataclass(frozen=True)
class TALGroundTruth:
    """The annotated instances of the evaluated videos.

    Attributes:
        videos: Video ids of the subset, in file order (ids exactly as in the file).
        labels: Class names; a label index is a position in it.
        durations: ``(V,)`` video durations in seconds.
        video: ``(K,)`` video index of each instance.
        segments: ``(K, 2)`` float64 segments in seconds.
        label: ``(K,)`` label index of each instance.
        source: Where it was read from (for messages).
    """

    videos: Tuple[str, ...]
    labels: Tuple[str, ...]
    durations: np.ndarray
    video: np.ndarray
    segments: np.ndarray
    label: np.ndarray
    source: str = 'ground truth'

    @cached_property
    def video_index(self) -> Dict[str, int]:
        return {name: index for index, name in enumerate(self.videos)}


@dataclass(frozen=True)
class TALPredictions:
    """Detections of several videos: ``video`` indexes ``TALGroundTruth.videos``."""

    video: np.ndarray
    segments: np.ndarray
    scores: np.ndarray
    label: np.ndarray

    def __len__(self) -> int:
        return len(self.scores)

    def take(self, index: np.ndarray) -> 'TALPredictions':
        return TALPredictions(self.video[index], self.segments[index], self.scores[index],
                              self.label[index])

    @staticmethod
    def empty() -> 'TALPredictions':
        return TALPredictions(np.zeros(0, np.int64), np.zeros((0, 2)), np.zeros(0),
                              np.zeros(0, np.int64))


def detection_ap(gt: TALGroundTruth, preds: TALPredictions,
                 tiou_thrs: Sequence[float] = THUMOS14_TIOU_THRS) -> ClassAP:
    """Per-class detection AP (:func:`class_detection_ap`) of ``preds`` against ``gt``."""
    num_classes = len(gt.labels)
    ap = np.full((len(tiou_thrs), num_classes), np.nan)
    for c in range(num_classes):
        in_gt, in_pred = gt.label == c, preds.label == c
        if in_gt.any():
            ap[:, c] = class_detection_ap(gt.video[in_gt], gt.segments[in_gt],
                                          preds.video[in_pred], preds.segments[in_pred],
                                          preds.scores[in_pred], tiou_thrs)
    return ClassAP(gt.labels, tuple(float(thr) for thr in tiou_thrs), ap,
                   np.bincount(gt.label, minlength=num_classes),
                   np.bincount(preds.label, minlength=num_classes))


def best_ground_truth(gt: TALGroundTruth, preds: TALPredictions
                      ) -> Tuple[np.ndarray, np.ndarray]:
    """Each prediction's ground truth of highest tIoU in its video and class (the first on
    ties) and that tIoU; -1 and -1 when there is none."""
    num_videos = len(gt.videos)
    gt_keys, pred_keys = gt.label * num_videos + gt.video, preds.label * num_videos + preds.video
    gt_order, pred_order = np.argsort(gt_keys, kind='stable'), np.argsort(pred_keys, kind='stable')
    num_keys = len(gt.labels) * num_videos
    gt_bounds = _group_bounds(gt_keys[gt_order], num_keys)
    pred_bounds = _group_bounds(pred_keys[pred_order], num_keys)
    best, best_iou = np.full(len(preds), -1, np.int64), np.full(len(preds), -1.0)
    for key in np.flatnonzero(np.diff(pred_bounds) * np.diff(gt_bounds)):
        rows = pred_order[pred_bounds[key]:pred_bounds[key + 1]]
        gts = gt_order[gt_bounds[key]:gt_bounds[key + 1]]
        iou = segment_iou(preds.segments[rows], gt.segments[gts])
        column = iou.argmax(axis=1)
        best[rows], best_iou[rows] = gts[column], iou[np.arange(len(rows)), column]
    return best, best_iou


def short_action_ap(gt: TALGroundTruth, preds: TALPredictions, max_length: float,
                    tiou_thr: float = 0.5, match_thr: float = 0.1) -> ClassAP:
    """DETAD-style AP on short actions.

    Only ground truth lasting at most ``max_length`` seconds counts; a prediction whose best
    ground truth of its class and video (tIoU ``>= match_thr``) is a longer one is dropped, so
    that detecting long actions is neither rewarded nor punished. AP at ``tiou_thr``; nan for a
    class without short ground truth.
    """
    is_short = np.diff(gt.segments, axis=1)[:, 0] <= max_length
    best, best_iou = best_ground_truth(gt, preds)
    keep = np.flatnonzero((best_iou < match_thr) | np.append(is_short, True)[best])
    short_gt = TALGroundTruth(gt.videos, gt.labels, gt.durations, gt.video[is_short],
                              gt.segments[is_short], gt.label[is_short], gt.source)
    return detection_ap(short_gt, preds.take(keep), (tiou_thr, ))


def recall_at_avg_proposals(gt_segments: Sequence[np.ndarray],
                            proposals: Sequence[Tuple[np.ndarray, np.ndarray]],
                            avg_proposals: Sequence[float],
                            max_avg_proposals: Optional[float] = None,
                            tiou_thrs: Sequence[float] = ACTIVITYNET_TIOU_THRS) -> np.ndarray:
    """Recall at average numbers of proposals per video, as the official proposal evaluation.

    Each video keeps its ``int(n x ratio)`` best proposals, ``ratio = max_avg_proposals x videos
    / all proposals``; at ``AN`` proposals per video on average, each video then uses the first
    ``int(kept x AN x videos / all kept)`` of them (float operations in the official order). A
    ground truth is recalled when one of those has tIoU ``>= thr`` with it (no one-to-one
    matching). AR@AN is the mean over the thresholds; the official curve is
    ``avg_proposals = max_avg_proposals x (1..100) / 100``.

    Args:
        gt_segments: Per video, its ``(k, 2)`` ground truth (the videos evaluated).
        proposals: Per video, its ``(n, 2)`` segments and ``(n,)`` scores (any class).
        avg_proposals: Average numbers of proposals per video (AN).
        max_avg_proposals: The AN of the full budget. Defaults to all proposals / videos.
        tiou_thrs: tIoU thresholds.

    Returns:
        ``(len(tiou_thrs), len(avg_proposals))`` recall.
    """
    num_videos = len(gt_segments)
    total = sum(len(scores) for _, scores in proposals)
    num_gt = sum(len(gts) for gts in gt_segments)
    if num_gt == 0:
        return np.full((len(tiou_thrs), len(avg_proposals)), np.nan)
    if total == 0:
        return np.zeros((len(tiou_thrs), len(avg_proposals)))
    if not max_avg_proposals:
        max_avg_proposals = float(total) / num_videos
    ratio = max_avg_proposals * float(num_videos) / total
    kept = []
    for (segments, scores), gts in zip(proposals, gt_segments):
        num = min(int(len(scores) * ratio), len(scores))
        order = np.argsort(-np.asarray(scores, np.float64), kind='stable')[:num]
        kept.append(segment_iou(gts, np.asarray(segments).reshape(-1, 2)[order]))
    total_kept = sum(iou.shape[1] for iou in kept)
    if total_kept == 0:
        return np.zeros((len(tiou_thrs), len(avg_proposals)))
    recalled = np.zeros((len(tiou_thrs), len(avg_proposals)))
    for iou in kept:
        # best[i, j]: best tIoU of ground truth i with the first j proposals.
        best = np.maximum.accumulate(np.concatenate([np.full((len(iou), 1), -1.), iou], 1), 1)
        for a, avg in enumerate(avg_proposals):
            fraction = avg / max_avg_proposals * (max_avg_proposals * float(num_videos) /
                                                  total_kept)
            num = min(int(iou.shape[1] * fraction), iou.shape[1])
            recalled[:, a] += (best[:, num][None] >= np.asarray(tiou_thrs)[:, None]).sum(1)
    return recalled / num_gt


def _best_first(scores: np.ndarray, index: Optional[np.ndarray] = None) -> np.ndarray:
    """Order of decreasing score; ties by increasing ``index`` (default: position)."""
    if index is None:
        return np.argsort(-scores, kind='stable')
    return np.lexsort((index, -scores))


def nms_1d(segments: np.ndarray, scores: np.ndarray, iou_thr: float,
           labels: Optional[np.ndarray] = None, max_num: int = -1) -> np.ndarray:
    """Greedy 1-D NMS: indices of the kept segments, best first.

    A segment is dropped when its tIoU with a kept, higher-scored one (of the same label when
    ``labels`` is given; all together otherwise) is ``> iou_thr``. Equal scores keep input order.

    Args:
        segments: ``(n, 2)`` segments.
        scores: ``(n,)`` scores.
        iou_thr: Suppression threshold.
        labels: ``(n,)`` class indices for class-wise NMS; None for class-agnostic.
        max_num: Keep at most this many (-1: all).
    """
    segments = np.asarray(segments, np.float64).reshape(-1, 2)
    scores = np.asarray(scores, np.float64)
    if labels is not None:
        # Classes do not interact: suppress each alone, then merge in score order.
        labels = np.asarray(labels)
        kept = np.concatenate([np.zeros(0, np.int64)] + [
            index[nms_1d(segments[index], scores[index], iou_thr, max_num=max_num)]
            for index in (np.flatnonzero(labels == label) for label in np.unique(labels))])
        kept = kept[_best_first(scores[kept], kept)]
        return kept if max_num < 0 else kept[:max_num]
    remaining = _best_first(scores)
    keep = []
    while len(remaining) and len(keep) != max_num:
        keep.append(remaining[0])
        rest = remaining[1:]
        remaining = rest[segment_iou(segments[remaining[0]], segments[rest])[0] <= iou_thr]
    return np.array(keep, np.int64)


def soft_nms_1d(segments: np.ndarray, scores: np.ndarray, sigma: float,
                labels: Optional[np.ndarray] = None, iou_thr: float = 0.,
                min_score: float = 0., max_num: int = -1) -> Tuple[np.ndarray, np.ndarray]:
    """Gaussian soft-NMS of segments.

    Repeatedly takes the segment of highest current score (the first on ties) and multiplies
    the score of every remaining one (of the same label when ``labels`` is given) whose tIoU
    with it is ``> iou_thr`` by ``exp(-tIoU ** 2 / sigma)``; segments whose score falls below
    ``min_score`` are dropped.

    Returns:
        Indices of the kept segments, in the order taken, and their decayed scores.
    """
    segments = np.asarray(segments, np.float64).reshape(-1, 2)
    current = np.array(scores, np.float64)
    labels = np.zeros(len(current), np.int64) if labels is None else np.asarray(labels)
    current[current < min_score] = -np.inf
    keep, kept_scores = [], []
    limit = len(current) if max_num < 0 else min(max_num, len(current))
    while len(keep) < limit:
        index = int(np.argmax(current))
        if current[index] == -np.inf:
            break
        keep.append(index)
        kept_scores.append(current[index])
        current[index] = -np.inf
        rest = np.flatnonzero((current > -np.inf) & (labels == labels[index]))
        iou = segment_iou(segments[index], segments[rest])[0]
        decayed = np.where(iou > iou_thr, current[rest] * np.exp(-iou**2 / sigma), current[rest])
        current[rest] = np.where(decayed < min_score, -np.inf, decayed)
    return np.array(keep, np.int64), np.array(kept_scores, np.float64)


NMS_KEYS = {'nms': {'iou_thr'}, 'soft_nms': {'sigma', 'iou_thr'}}


def check_nms_cfg(nms: Optional[dict]) -> dict:
    """A copy of an NMS config for :func:`postprocess_detections`; KeyError naming a bad key."""
    cfg = dict(nms or {})
    if not cfg:
        return cfg
    kind = cfg.get('type')
    if kind not in NMS_KEYS:
        raise KeyError(f"nms type must be 'nms' or 'soft_nms', got {kind!r}")
    required = {'iou_thr'} if kind == 'nms' else {'sigma'}
    missing = required - set(cfg)
    unknown = set(cfg) - NMS_KEYS[kind] - {'type', 'class_agnostic'}
    if missing:
        raise KeyError(f'nms (type {kind!r}): missing {sorted(missing)}')
    if unknown:
        raise KeyError(f'nms (type {kind!r}): unknown keys {sorted(unknown)}')
    return cfg


def postprocess_detections(segments: np.ndarray, scores: np.ndarray, labels: np.ndarray,
                           nms: Optional[dict] = None, max_num: int = -1,
                           min_score: float = 0., max_duration: Optional[float] = None
                           ) -> Tuple[np.ndarray, np.ndarray]:
    """Filter one video's detections and suppress duplicates.

    Drops scores below ``min_score`` and segments lasting ``max_duration`` or more, then applies
    ``nms``: None, ``dict(type='nms', iou_thr=..., class_agnostic=False)`` or
    ``dict(type='soft_nms', sigma=..., iou_thr=0., class_agnostic=False)``; keeps the
    ``max_num`` best (-1: all).

    Returns:
        Indices of the kept detections, best first, and their (decayed) scores.
    """
    scores = np.asarray(scores, np.float64)
    valid = scores >= min_score
    if max_duration is not None:
        segments = np.asarray(segments, np.float64).reshape(-1, 2)
        valid &= segments[:, 1] - segments[:, 0] < max_duration
    index = np.flatnonzero(valid)
    cfg = check_nms_cfg(nms)
    kind = cfg.pop('type', None)
    per_class = None if cfg.pop('class_agnostic', False) else np.asarray(labels)[index]
    if kind is None:
        order = _best_first(scores[index])
        keep = order if max_num < 0 else order[:max_num]
        return index[keep], scores[index][keep]
    if kind == 'nms':
        keep = nms_1d(np.asarray(segments)[index], scores[index], labels=per_class,
                      max_num=max_num, **cfg)
        return index[keep], scores[index][keep]
    keep, kept_scores = soft_nms_1d(np.asarray(segments)[index], scores[index],
                                    labels=per_class, min_score=min_score, max_num=max_num,
                                    **cfg)
    return index[keep], kept_scores


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and \
        math.isfinite(value)


def _check_segment(segment, where: str) -> Tuple[float, float]:
    if not (isinstance(segment, (list, tuple)) and len(segment) == 2 and
            all(_is_number(value) for value in segment)):
        raise ValueError(f'{where}: segment must be two finite numbers [start, end], got '
                         f'{segment!r}')
    if segment[1] < segment[0]:
        raise ValueError(f'{where}: segment {list(segment)} ends before it starts')
    return float(segment[0]), float(segment[1])


def load_tal_ground_truth(ann_file: Union[str, dict], subset: Union[str, Sequence[str]] =
                          'validation', classes: Optional[Sequence[str]] = None
                          ) -> TALGroundTruth:
    """Read the ground truth of a subset from an ActivityNet-layout annotation JSON.

    ``{"database": {video: {"subset", "duration", "annotations": [{"segment": [s, e],
    "label"}]}}}``; video ids are used as written. The file is checked as
    :class:`~vsgt.datasets.tal.TALFeatureDataset` checks it (what the dataset refuses is refused
    here too). Every video of the subset is evaluated, with or without annotations.

    Args:
        ann_file: The JSON file (or its loaded dict).
        subset: Subset name(s), e.g. ``'validation'`` or ``['validation', 'testing']``.
        classes: Class names (label index = position). None: the sorted labels of the whole
            file.
    """
    from vsgt.datasets.tal import parse_tal_annotations  # the dataset's checks, imported late
    source = ann_file if isinstance(ann_file, str) else 'annotations'
    data = load_json(ann_file, 'annotation file') if isinstance(ann_file, str) else ann_file
    database = parse_tal_annotations(data, source)
    subsets = {subset} if isinstance(subset, str) else set(subset)
    if classes is None:
        classes = sorted({a[2] for info in database.values() for a in info['annotations']})
    label_index = {label: index for index, label in enumerate(classes)}
    videos, durations, video, segments, label = [], [], [], [], []
    for name, info in database.items():
        if info['subset'] not in subsets:
            continue
        for row, (start, end, name_of_label) in enumerate(info['annotations']):
            if name_of_label not in label_index:
                raise ValueError(f'{source}, video {name!r}, annotation {row}: unknown label '
                                 f'{name_of_label!r} (not in the {len(classes)} classes)')
            segments.append((start, end))
            label.append(label_index[name_of_label])
            video.append(len(videos))
        videos.append(name)
        durations.append(info['duration'])
    if not videos:
        raise ValueError(f'{source}: no video of subset {subset!r}')
    return TALGroundTruth(tuple(videos), tuple(classes), np.array(durations),
                          np.array(video, np.int64), np.array(segments, np.float64).reshape(-1, 2),
                          np.array(label, np.int64), source)


def read_tal_submission(path: str, gt: TALGroundTruth) -> TALPredictions:
    """Read and check an official detection submission JSON against ``gt``.

    ``{"version", "results": {video: [{"label", "score", "segment": [s, e]}]}, "external_data"}``.
    Raises one ``ValueError`` naming the file, video and entry; also when it holds no prediction.
    """
    data = load_json(path, 'submission')
    results = data.get('results') if isinstance(data, dict) else None
    if not isinstance(results, dict):
        raise ValueError(f'{path}: expected a JSON object with a "results" object')
    label_index = {label: index for index, label in enumerate(gt.labels)}
    video_index = gt.video_index
    video, segments, scores, label = [], [], [], []
    for name, entries in results.items():
        where = f'{path}, video {name!r}'
        if name not in video_index:
            raise ValueError(f'{where}: unknown video (not in the evaluated subset of '
                             f'{gt.source})')
        if not isinstance(entries, list):
            raise ValueError(f'{where}: expected a list of predictions')
        for row, entry in enumerate(entries):
            at = f'{where}, prediction {row}'
            if not isinstance(entry, dict) or not {'label', 'score', 'segment'} <= set(entry):
                raise ValueError(f'{at}: expected {{"label", "score", "segment"}}')
            if not isinstance(entry['label'], str) or entry['label'] not in label_index:
                raise ValueError(f'{at}: unknown label {entry["label"]!r} (labels are class '
                                 'names)')
            if not _is_number(entry['score']):
                raise ValueError(f'{at}: score {entry["score"]!r} is not a finite number')
            segments.append(_check_segment(entry['segment'], at))
            scores.append(float(entry['score']))
            label.append(label_index[entry['label']])
            video.append(video_index[name])
    if not scores:
        raise ValueError(f'{path}: the results hold no prediction')
    return TALPredictions(np.array(video, np.int64), np.array(segments, np.float64),
                          np.array(scores, np.float64), np.array(label, np.int64))


def write_tal_submission(path: str, gt: TALGroundTruth, preds: TALPredictions,
                         external_data: Optional[dict] = None) -> None:
    """Write ``preds`` atomically as an official detection submission JSON.

    Every video of ``gt`` is listed (an empty list without predictions), predictions best
    first; numbers are written exactly (shortest round-trip repr).
    """
    order = np.lexsort((-preds.scores, preds.video))
    bounds = _group_bounds(preds.video[order], len(gt.videos))
    results: Dict[str, List[dict]] = {}
    for index, name in enumerate(gt.videos):
        rows = order[bounds[index]:bounds[index + 1]]
        results[name] = [dict(label=gt.labels[preds.label[row]], score=float(preds.scores[row]),
                              segment=[float(value) for value in preds.segments[row]])
                         for row in rows]
    submission = dict(version=SUBMISSION_VERSION, results=results,
                      external_data=external_data or dict(used=False, details=''))
    atomic_write(path, lambda file: json.dump(submission, file), binary=False)
