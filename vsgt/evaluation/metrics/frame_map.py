"""frame-mAP as an mmengine metric."""
import os.path as osp
from typing import List, Optional, Sequence

from mmengine.logging import MMLogger

from mmaction.registry import METRICS
from ..functional import dump_pickle, frame_ap, read_key_frames, write_ava_csv
from .base import DetectionMetric, format_ap_table


@METRICS.register_module()
class FrameMAP(DetectionMetric):
    """frame-mAP (ACT / MultiSports ``frameAP``) of an AVA-style detector.

    Reads predictions as :class:`~.base.DetectionMetric` and computes
    :func:`vsgt.evaluation.functional.frame_ap` against every ground-truth box of the split (or
    of the frames of ``ann_file``). Logs a per-class AP table and returns
    ``{'frame_mAP@0.5': ...}`` (one key per threshold, values in [0, 1]).

    With ``out_dir``, writes ``frame_detections.pkl`` (the MultiSports ``frameAP`` input) and
    ``frame_detections.csv`` (an AVA detection CSV) there.

    Args:
        gt_file: ACT-format ground-truth pickle.
        ann_file: Optional AVA CSV whose frames alone are evaluated, for a split annotated (and
            predicted) on key frames only. None: every frame of the ground-truth tubes.
        iou_thrs: IoU thresholds. Defaults to (0.5, ).
        **kwargs: ``split``, ``action_thr``, ``out_dir``, ``collect_device``, ``prefix`` of
            :class:`~.base.DetectionMetric`.
    """

    def __init__(self,
                 gt_file: str,
                 ann_file: Optional[str] = None,
                 iou_thrs: Sequence[float] = (0.5, ),
                 **kwargs) -> None:
        super().__init__(gt_file, **kwargs)
        if not iou_thrs or not all(0 < thr <= 1 for thr in iou_thrs):
            raise ValueError(f'iou_thrs must be thresholds in (0, 1], got {iou_thrs!r}')
        self.iou_thrs = tuple(iou_thrs)
        self.key_frames = read_key_frames(ann_file, self.gt) if ann_file else None

    def compute_metrics(self, results: List) -> dict:
        """frame-mAP of the collected predictions."""
        detections = self.frame_detections(results)
        if self.out_dir is not None:
            dump_pickle(detections, osp.join(self.out_dir, 'frame_detections.pkl'))
            write_ava_csv(osp.join(self.out_dir, 'frame_detections.csv'), self.gt, detections)
        result = frame_ap(self.gt, detections, self.iou_thrs, self.key_frames)
        columns = [(f'AP@{thr:g}', result.ap[t]) for t, thr in enumerate(self.iou_thrs)]
        MMLogger.get_current_instance().info(
            f'frame AP (%) on {self.gt_file}:\n' + format_ap_table(result, columns, 'boxes'))
        return {f'frame_mAP@{thr:g}': float(value)
                for thr, value in zip(self.iou_thrs, result.mean_ap)}
