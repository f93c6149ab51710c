"""AVA's pose-softmax classification loss (ACAR-Net's ``ava_pose_softmax``) for mmaction's
``BBoxHeadAVA``."""
from typing import List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmaction.models.roi_heads.bbox_heads.bbox_head import BBoxHeadAVA
from mmaction.registry import MODELS
from mmdet.models.task_modules.samplers import SamplingResult
from mmdet.registry import MODELS as MMDET_MODELS
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from torch import Tensor

# The 13 pose (person movement) classes among AVA's 60 evaluated ones, as label-vector indices
# with custom_classes = the 60 ids in ascending order (index 0 is the unused background slot).
AVA60_POSE_CLASSES = tuple(range(1, 14))


@MODELS.register_module()
class BBoxHeadAVAPoseSoftmax(BBoxHeadAVA):
    """``BBoxHeadAVA`` whose scores are a softmax over the pose classes and sigmoids over the
    others, trained with one binary cross-entropy on those scores (ACAR-Net's AVA loss).

    Args:
        pose_classes: Label-vector indices of the mutually exclusive pose classes.
        **kwargs: Arguments of :class:`BBoxHeadAVA` (``multilabel`` must stay True; focal
            terms are not supported).
    """

    def __init__(self, pose_classes: Sequence[int] = AVA60_POSE_CLASSES, **kwargs) -> None:
        super().__init__(**kwargs)
        pose_classes = sorted(set(pose_classes))
        first = 1 if self.background_class else 0
        if len(pose_classes) < 2 or pose_classes[0] < first or \
                pose_classes[-1] >= self.num_classes:
            raise ValueError(f'bbox_head.pose_classes must be at least 2 label indices in '
                             f'{first}..{self.num_classes - 1}, got {pose_classes}')
        if not self.multilabel or self.focal_gamma != 0 or self.focal_alpha != 1:
            raise ValueError('BBoxHeadAVAPoseSoftmax needs multilabel=True, focal_gamma=0 and '
                             'focal_alpha=1')
        is_pose = torch.zeros(self.num_classes, dtype=torch.bool)
        is_pose[pose_classes] = True
        self.register_buffer('is_pose', is_pose, persistent=False)

    def scores(self, cls_score: Tensor) -> Tensor:
        """Probabilities: softmax over the pose classes, sigmoid elsewhere."""
        probs = cls_score.sigmoid()
        pose_probs = cls_score[:, self.is_pose].softmax(dim=1)
        return probs.masked_scatter(self.is_pose.expand_as(probs), pose_probs)

    def pose_softmax_loss(self, cls_score: Tensor, labels: Tensor) -> Tensor:
        """Mean binary cross-entropy of :meth:`scores` against ``labels`` (N, num_classes),
        over the columns after the background slot; in log space for the pose classes
        (log(1 - p_i) is the log-sum-exp of the other pose logits minus that of all)."""
        first = 1 if self.background_class else 0
        is_pose = self.is_pose
        pose = cls_score[:, is_pose]
        log_p = pose.log_softmax(dim=1)
        others = pose[:, None, :].expand(-1, pose.shape[1], -1).clone()
        others.diagonal(dim1=1, dim2=2).fill_(float('-inf'))
        log_not_p = others.logsumexp(dim=2) - pose.logsumexp(dim=1, keepdim=True)
        pose_targets = labels[:, is_pose]
        pose_loss = -(pose_targets * log_p + (1 - pose_targets) * log_not_p)
        rest = ~is_pose
        rest[:first] = False
        rest_loss = F.binary_cross_entropy_with_logits(
            cls_score[:, rest], labels[:, rest], reduction='none')
        return torch.cat([pose_loss, rest_loss], dim=1).mean()

    def loss_and_target(self, cls_score: Tensor, rois: Tensor,
                        sampling_results: List[SamplingResult],
                        rcnn_train_cfg: ConfigDict, **kwargs) -> dict:
        """``BBoxHeadAVA``'s losses with ``loss_action_cls`` the pose-softmax BCE of the
        positive RoIs."""
        result = super().loss_and_target(cls_score, rois, sampling_results, rcnn_train_cfg)
        labels = result['bbox_targets'][0]
        first = 1 if self.background_class else 0
        positive = labels[:, first:].sum(dim=-1) > 0
        result['loss_bbox']['loss_action_cls'] = self.pose_softmax_loss(
            cls_score[positive], labels[positive])
        return result

    def _predict_by_feat_single(self, roi: Tensor, cls_score: Tensor, img_meta: dict,
                                rcnn_test_cfg: Optional[ConfigDict] = None,
                                **kwargs) -> InstanceData:
        results = super()._predict_by_feat_single(roi, cls_score, img_meta, rcnn_test_cfg,
                                                  **kwargs)
        if isinstance(cls_score, list):
            cls_score = sum(cls_score) / float(len(cls_score))
        results.scores = self.scores(cls_score)
        return results


MMDET_MODELS.register_module()(BBoxHeadAVAPoseSoftmax)
