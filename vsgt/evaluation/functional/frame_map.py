"""frame-mAP: per-class PASCAL VOC AP of per-frame detections (ACT / MultiSports ``frameAP``)."""
from typing import NamedTuple, Optional, Sequence

import numpy as np

from .ap import ClassAP, class_ap
from .boxes import paired_box_iou
from .formats import check_frame_detections
from .ground_truth import GroundTruth


class FrameMatches(NamedTuple):
    """Each detection's class, score and highest-IoU ground-truth box of its class on its frame
    (``best_gt`` indexes the evaluated boxes, -1 and ``best_iou`` -1 without any), and the
    number of ground-truth boxes per class."""
    labels: np.ndarray
    scores: np.ndarray
    best_gt: np.ndarray
    best_iou: np.ndarray
    num_gt: np.ndarray


def frame_ap(gt: GroundTruth, detections: np.ndarray, iou_thrs: Sequence[float] = (0.5, ),
             key_frames: Optional[np.ndarray] = None) -> ClassAP:
    """Per-class frame AP of detections against every ground-truth box of the split.

    For each class, detections are ranked by score; a detection is a true positive when its
    highest-IoU ground-truth box of that class on its frame has IoU >= the threshold and was not
    matched by a higher-ranked detection. A frame's ground-truth boxes are those of the tubes
    through it. AP is :func:`~.ap.voc_ap` of the precision/recall curve, with detections of equal
    score taken as one rank (:func:`~.ap.ranked_ap`). A class without ground truth gets nan (and
    is left out of the mean); one with ground truth but no detection gets 0.

    Args:
        gt: Ground truth (:func:`~.ground_truth.load_ground_truth`).
        detections: Frame detections (see :mod:`.formats`), boxes in pixels.
        iou_thrs: IoU thresholds.
        key_frames: Optional ``(K, 2)`` array of ``video_index, frame``: evaluate these frames
            only (ground truth and detections elsewhere are ignored), e.g. the key frames of an
            AVA CSV that annotates some frames only.
    """
    return class_ap(gt.labels, iou_thrs, *frame_matches(gt, detections, key_frames))


def frame_matches(gt: GroundTruth, detections: np.ndarray,
                  key_frames: Optional[np.ndarray] = None) -> FrameMatches:
    """Match detections to the ground truth of their frame and class, as :func:`frame_ap` does
    (same arguments), before any ranking."""
    dets = check_frame_detections(detections, gt)
    rows, ptr = gt.tube_rows, gt.tube_ptr
    lengths = np.diff(ptr)
    gt_label = np.repeat(gt.tube_label, lengths)
    gt_video = np.repeat(gt.tube_video, lengths)
    gt_frame = rows[:, 0].astype(np.int64)
    det_video, det_frame = dets[:, 0].astype(np.int64), dets[:, 1].astype(np.int64)
    det_label = dets[:, 2].astype(np.int64)

    span = int(gt.nframes.max()) + 1
    if key_frames is not None:
        keys = np.unique(np.asarray(key_frames, np.int64).reshape(-1, 2) @ [span, 1])
        gt_kept = np.isin(gt_video * span + gt_frame, keys)
        gt_label, gt_video, gt_frame = gt_label[gt_kept], gt_video[gt_kept], gt_frame[gt_kept]
        rows = rows[gt_kept]
        det_kept = np.isin(det_video * span + det_frame, keys)
        dets, det_video, det_frame, det_label = (dets[det_kept], det_video[det_kept],
                                                 det_frame[det_kept], det_label[det_kept])
    if len(rows) == 0:
        raise ValueError(f'{gt.source}: no ground-truth box on the evaluated frames')

    # Each detection's highest-IoU box among the ground truth of its (class, video, frame).
    num_videos = len(gt.videos)
    gt_key = (gt_label * num_videos + gt_video) * span + gt_frame
    order = np.argsort(gt_key, kind='stable')
    gt_key, gt_boxes = gt_key[order], rows[order, 1:5]
    det_key = (det_label * num_videos + det_video) * span + det_frame
    first = np.searchsorted(gt_key, det_key, side='left')
    count = np.searchsorted(gt_key, det_key, side='right') - first
    best_gt = np.full(len(dets), -1, np.int64)
    best_iou = np.full(len(dets), -1.0)
    for offset in range(int(count.max()) if len(dets) else 0):
        has = np.flatnonzero(count > offset)
        candidate = first[has] + offset
        iou = paired_box_iou(dets[has, 4:8], gt_boxes[candidate])
        better = iou > best_iou[has]
        best_gt[has[better]] = candidate[better]
        best_iou[has[better]] = iou[better]
    num_gt = np.bincount(gt_label, minlength=len(gt.labels))
    return FrameMatches(det_label, dets[:, 3], best_gt, best_iou, num_gt)
