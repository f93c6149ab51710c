"""Temporal action detection mAP (ActivityNet / THUMOS14) as an mmengine metric."""
from collections import defaultdict
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmengine.structures import BaseDataElement

from mmaction.registry import METRICS
from ..functional import (THUMOS14_TIOU_THRS, TALPredictions, check_nms_cfg, detection_ap,
                          load_tal_ground_truth, postprocess_detections, recall_at_avg_proposals,
                          short_action_ap, write_tal_submission)
from .base import _to_numpy, format_ap_table

_Window = Tuple[int, np.ndarray, np.ndarray, np.ndarray]

DEFAULT_NMS = dict(type='soft_nms', sigma=0.5, class_agnostic=False)


@METRICS.register_module()
class TALDetectionMetric(BaseMetric):
    """Detection mAP of a temporal action localizer, as the official ActivityNet evaluation.

    Each data sample holds ``video_name`` (metainfo) and ``pred_instances`` with ``segments``
    ``(n, 2)`` in seconds of the whole video, ``scores`` ``(n,)`` and ``labels`` ``(n,)``
    (0-based indices into the classes). The windows of a video are merged, filtered
    (``min_score``, ``max_duration``), suppressed (``nms``) and cut to the ``max_per_video``
    best; then :func:`vsgt.evaluation.functional.detection_ap` runs against every video of the
    subset. Logs a per-class AP table; returns ``mAP@<thr>`` for each threshold and ``mAP``
    (their mean), ``AR@<n>`` with ``ar_at_an`` and ``AP_short@0.5`` with ``short_max_length``.

    Args:
        ann_file: Annotation JSON in the ActivityNet layout (``database`` -> video ->
            ``subset``, ``duration``, ``annotations``), or its loaded dict.
        subset: Evaluated subset name(s).
        classes: Class names, as given to the dataset. None: the sorted labels of the file.
            Checked against the dataset's ``classes`` (``dataset_meta``) when the runner sets it.
        tiou_thrs: tIoU thresholds. Defaults to THUMOS14's 0.3:0.1:0.7.
        nms: None, ``dict(type='nms', iou_thr=...)`` or ``dict(type='soft_nms', sigma=...,
            iou_thr=0.)``, each with ``class_agnostic`` (default False). Defaults to a
            class-wise Gaussian soft-NMS with sigma 0.5.
        max_per_video: Predictions kept per video (-1: all).
        min_score: Predictions (and soft-NMS scores) below it are dropped.
        max_duration: Predictions lasting this many seconds or more are dropped (None: none).
        ar_at_an: Average numbers of proposals per video for ``AR@<n>`` (the predictions of
            all classes as proposals, at the same tIoU thresholds, budget ``max(ar_at_an)``).
        short_max_length: With a length in seconds, also the DETAD-style AP on the actions of
            at most that length (:func:`vsgt.evaluation.functional.short_action_ap`).
        out_file: Where to write the official submission JSON (atomically).
        collect_device: ``'cpu'`` or ``'gpu'``, for collecting results across ranks.
        prefix: Prefix of the metric names. Defaults to none.
    """

    default_prefix: Optional[str] = ''

    def __init__(self,
                 ann_file: Union[str, dict],
                 subset: Union[str, Sequence[str]] = 'validation',
                 classes: Optional[Sequence[str]] = None,
                 tiou_thrs: Sequence[float] = THUMOS14_TIOU_THRS,
                 nms: Optional[dict] = DEFAULT_NMS,
                 max_per_video: int = 200,
                 min_score: float = 0.,
                 max_duration: Optional[float] = None,
                 ar_at_an: Optional[Sequence[int]] = None,
                 short_max_length: Optional[float] = None,
                 out_file: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not tiou_thrs or not all(0 < thr <= 1 for thr in tiou_thrs):
            raise ValueError(f'tiou_thrs must be thresholds in (0, 1], got {tiou_thrs!r}')
        if ar_at_an is not None and (not ar_at_an or min(ar_at_an) <= 0):
            raise ValueError(f'ar_at_an must be positive numbers of proposals, got {ar_at_an!r}')
        self.nms = check_nms_cfg(nms)
        self.gt = load_tal_ground_truth(ann_file, subset, classes)
        self.subset = subset
        self.tiou_thrs = tuple(float(thr) for thr in tiou_thrs)
        self.max_per_video = int(max_per_video)
        self.min_score = float(min_score)
        self.max_duration = max_duration
        self.ar_at_an = tuple(ar_at_an) if ar_at_an else None
        self.short_max_length = short_max_length
        self.out_file = out_file

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Check each window's predictions and keep them."""
        for sample in data_samples:
            self.results.append(self._window_of(sample))

    def _window_of(self, sample: Any) -> _Window:
        if isinstance(sample, BaseDataElement):
            sample = sample.to_dict()
        if 'video_name' not in sample or 'pred_instances' not in sample:
            raise ValueError('a data sample has no video_name or no pred_instances')
        video = sample['video_name']
        where = f'predictions for video {video!r}'
        if video not in self.gt.video_index:
            raise ValueError(f'{where}: unknown video (not in subset {self.subset!r} of '
                             f'{self.gt.source})')
        pred = sample['pred_instances']
        segments = _to_numpy(pred['segments']).astype(np.float64)
        scores = _to_numpy(pred['scores']).astype(np.float64)
        labels = _to_numpy(pred['labels'])
        num = len(scores)
        if segments.shape != (num, 2) or scores.shape != (num, ) or labels.shape != (num, ):
            raise ValueError(f'{where}: expected segments (n, 2), scores (n,) and labels (n,), '
                             f'got {segments.shape}, {scores.shape} and {labels.shape}')
        if not (np.isfinite(segments).all() and np.isfinite(scores).all()):
            raise ValueError(f'{where}: segments and scores must be finite')
        if (segments[:, 1] < segments[:, 0]).any():
            raise ValueError(f'{where}: a segment ends before it starts')
        num_classes = len(self.gt.labels)
        if num and not ((labels == np.round(labels)) & (labels >= 0) &
                        (labels < num_classes)).all():
            raise ValueError(f'{where}: labels must be class indices in 0..{num_classes - 1} '
                             f'(the classes of {self.gt.source})')
        return self.gt.video_index[video], segments, scores, labels.astype(np.int64)

    def predictions(self, results: List[_Window]) -> TALPredictions:
        """Merge the windows of each video and post-process them."""
        windows = defaultdict(list)
        for window in results:
            windows[window[0]].append(window[1:])
        kept = []
        for video, parts in sorted(windows.items()):
            segments, scores, labels = (np.concatenate(arrays) for arrays in zip(*parts))
            index, new_scores = postprocess_detections(
                segments, scores, labels, self.nms, self.max_per_video, self.min_score,
                self.max_duration)
            kept.append(TALPredictions(np.full(len(index), video, np.int64), segments[index],
                                       new_scores, labels[index]))
        if not kept:
            return TALPredictions.empty()
        return TALPredictions(*(np.concatenate(arrays) for arrays in
                                zip(*((p.video, p.segments, p.scores, p.label) for p in kept))))

    def compute_metrics(self, results: List[_Window]) -> dict:
        """mAP (and AR@AN, short-action AP) of the collected predictions."""
        classes = (self.dataset_meta or {}).get('classes')
        if classes is not None and tuple(classes) != self.gt.labels:
            raise ValueError(f'the dataset\'s classes {list(classes)} are not the metric\'s '
                             f'{list(self.gt.labels)} (give both the same classes)')
        logger = MMLogger.get_current_instance()
        preds = self.predictions(results)
        if not len(preds):
            logger.warning(f'TALDetectionMetric: no prediction for any of the '
                           f'{len(self.gt.videos)} videos of {self.gt.source}; mAP is 0')
        if self.out_file is not None:
            write_tal_submission(self.out_file, self.gt, preds)
        result = detection_ap(self.gt, preds, self.tiou_thrs)
        columns = [(f'AP@{thr:g}', result.ap[t]) for t, thr in enumerate(self.tiou_thrs)]
        columns.append(('AP', result.ap.mean(axis=0)))
        logger.info(f'temporal detection AP (%) on {self.gt.source}:\n' +
                    format_ap_table(result, columns, 'instances'))
        mean_ap = result.mean_ap
        metrics = {f'mAP@{thr:g}': float(value) for thr, value in zip(self.tiou_thrs, mean_ap)}
        metrics['mAP'] = float(mean_ap.mean())
        if self.ar_at_an:
            metrics.update(self._average_recall(preds))
        if self.short_max_length is not None:
            short = short_action_ap(self.gt, preds, self.short_max_length)
            metrics['AP_short@0.5'] = float(short.mean_ap[0])
        return metrics

    def _average_recall(self, preds: TALPredictions) -> dict:
        videos = np.unique(self.gt.video)
        recall = recall_at_avg_proposals(
            [self.gt.segments[self.gt.video == v] for v in videos],
            [(preds.segments[preds.video == v], preds.scores[preds.video == v]) for v in videos],
            self.ar_at_an, max(self.ar_at_an), self.tiou_thrs)
        return {f'AR@{n:g}': float(value) for n, value in zip(self.ar_at_an,
                                                               recall.mean(axis=0))}
