"""video-mAP: per-class PASCAL VOC AP of action tubes (ACT / MultiSports ``videoAP``)."""
from typing import Sequence

import numpy as np

from .ap import ClassAP, class_ap
from .boxes import tube_pair_iou
from .formats import VideoDetections, check_video_detections
from .ground_truth import GroundTruth

#: The thresholds averaged into video-mAP@0.5:0.95, computed as in the MultiSports evaluator.
HIGH_IOU_THRS = tuple(0.5 + 0.05 * i for i in range(10))


def video_ap(gt: GroundTruth, detections: VideoDetections,
             iou_thrs: Sequence[float] = (0.2, 0.5, 0.75)) -> ClassAP:
    """Per-class video AP of tubes against the ground-truth tubes of the split.

    For each class, tubes are ranked by score; a tube is a true positive when its
    highest-IoU ground-truth tube of that class in its video has spatio-temporal IoU
    (:func:`~.boxes.tube_pair_iou`) >= the threshold and was not matched by a higher-ranked
    tube. AP, ties, classes without ground truth or without detections: as
    :func:`~.frame_map.frame_ap`.

    Args:
        gt: Ground truth (:func:`~.ground_truth.load_ground_truth`).
        detections: Video detections (see :mod:`.formats`), boxes in pixels.
        iou_thrs: IoU thresholds.
    """
    tubes = check_video_detections(detections, gt)
    num_videos = len(gt.videos)
    gt_key = gt.tube_label * num_videos + gt.tube_video
    gt_order = np.argsort(gt_key, kind='stable')
    det_key = tubes.label * num_videos + tubes.video
    first = np.searchsorted(gt_key[gt_order], det_key, side='left')
    count = np.searchsorted(gt_key[gt_order], det_key, side='right') - first

    # Every (detected tube, ground-truth tube of its class and video) pair.
    pair_det = np.repeat(np.arange(len(det_key)), count)
    pair_rank = np.arange(len(pair_det)) - np.repeat(np.cumsum(count) - count, count)
    pair_gt = gt_order[first[pair_det] + pair_rank]
    ious = tube_pair_iou(tubes.rows, tubes.ptr, gt.tube_rows, gt.tube_ptr, pair_det, pair_gt)

    # The best ground truth of each detected tube: the first maximum, in ground-truth order.
    best_gt = np.full(len(det_key), -1, np.int64)
    best_iou = np.full(len(det_key), -1.0)
    for rank in range(int(count.max()) if len(count) else 0):
        at_rank = pair_rank == rank
        det, iou = pair_det[at_rank], ious[at_rank]
        better = iou > best_iou[det]
        best_gt[det[better]] = pair_gt[at_rank][better]
        best_iou[det[better]] = iou[better]
    num_gt = np.bincount(gt.tube_label, minlength=len(gt.labels))
    return class_ap(gt.labels, iou_thrs, tubes.label, tubes.score, best_gt, best_iou, num_gt)
