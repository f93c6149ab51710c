"""video-mAP (with tube linking) as an mmengine metric."""
import os.path as osp
from typing import List, Sequence

from mmengine.logging import MMLogger

from mmaction.registry import METRICS
from ..functional import HIGH_IOU_THRS, dump_pickle, link_tubes, video_ap
from .base import DetectionMetric, format_ap_table


@METRICS.register_module()
class VideoMAP(DetectionMetric):
    """video-mAP (ACT / MultiSports ``videoAP``) of an AVA-style detector.

    Reads predictions as :class:`~.base.DetectionMetric`, links them into tubes with
    :func:`vsgt.evaluation.functional.link_tubes` and computes
    :func:`vsgt.evaluation.functional.video_ap`. Logs a per-class AP table and returns
    ``video_mAP@{thr}`` for each of ``iou_thrs`` and ``video_mAP@0.5:0.95``, the mean over
    0.5, 0.55, ..., 0.95 (values in [0, 1]).

    With ``out_dir``, writes ``video_detections.pkl`` (the MultiSports ``videoAP`` input) there.

    Args:
        gt_file: ACT-format ground-truth pickle.
        iou_thrs: Spatio-temporal IoU thresholds reported one by one. Defaults to
            (0.2, 0.5, 0.75).
        link_iou_thr: Minimum IoU of consecutive boxes of a tube. Defaults to 0.5.
        top_k: Boxes per class and frame considered for linking. Defaults to 10.
        min_length: Shortest tube kept, in frames. Defaults to 15 (MultiSports).
        **kwargs: ``split``, ``action_thr``, ``out_dir``, ``collect_device``, ``prefix`` of
            :class:`~.base.DetectionMetric`.
    """

    def __init__(self,
                 gt_file: str,
                 iou_thrs: Sequence[float] = (0.2, 0.5, 0.75),
                 link_iou_thr: float = 0.5,
                 top_k: int = 10,
                 min_length: int = 15,
                 **kwargs) -> None:
        super().__init__(gt_file, **kwargs)
        if not all(0 < thr <= 1 for thr in iou_thrs):
            raise ValueError(f'iou_thrs must be thresholds in (0, 1], got {iou_thrs!r}')
        self.iou_thrs = tuple(iou_thrs)
        self.link_args = dict(link_iou_thr=link_iou_thr, top_k=top_k, min_length=min_length)

    def compute_metrics(self, results: List) -> dict:
        """video-mAP of the tubes linked from the collected predictions."""
        tubes = link_tubes(self.gt, self.frame_detections(results), **self.link_args)
        if self.out_dir is not None:
            dump_pickle(tubes, osp.join(self.out_dir, 'video_detections.pkl'))
        result = video_ap(self.gt, tubes, self.iou_thrs + HIGH_IOU_THRS)
        high = result.ap[len(self.iou_thrs):].mean(axis=0)
        columns = [(f'AP@{thr:g}', result.ap[t]) for t, thr in enumerate(self.iou_thrs)]
        MMLogger.get_current_instance().info(
            f'video AP (%) on {self.gt_file}:\n' +
            format_ap_table(result, columns + [('AP@0.5:0.95', high)], 'tubes'))
        metrics = {f'video_mAP@{thr:g}': float(value)
                   for thr, value in zip(self.iou_thrs, result.mean_ap)}
        metrics['video_mAP@0.5:0.95'] = float(result.mean_ap[len(self.iou_thrs):].mean())
        return metrics
