"""mmdet's Fast R-CNN flow with a backbone that sees the clip's person boxes."""
from typing import List, Optional, Tuple

import torch
from mmdet.models.detectors import FastRCNN
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.utils import InstanceList
from torch import Tensor


@MODELS.register_module()
class VSGTFastRCNN(FastRCNN):
    """FastRCNN that hands each clip's person boxes to a backbone with Person Attention
    Enhancement (a backbone whose ``pae`` is set, e.g. ``SGFormer3D(with_pae=True)``).

    The backbone gets the proposals at test time and the ground-truth boxes plus the proposals in
    training, clipped to the frame (``img_shape`` of the sample). Both come from the data samples
    (``proposals.bboxes``, ``gt_instances.bboxes``) in the pixels of the network input: mmaction's
    transforms scale, crop and flip them together with the frames, and batching pads only at the
    bottom and right. With any other backbone this is exactly ``FastRCNN``.

    The arguments are those of :class:`mmdet.models.detectors.FastRCNN`.
    """

    @property
    def with_pae(self) -> bool:
        """Whether the backbone takes person boxes."""
        return getattr(self.backbone, 'pae', None) is not None

    def extract_feat(self, batch_inputs: Tensor,
                     person_boxes: Optional[List[Tensor]] = None) -> Tuple[Tensor]:
        """Backbone (given ``person_boxes`` when it takes them) and neck features."""
        if not self.with_pae:
            return super().extract_feat(batch_inputs)
        x = self.backbone(batch_inputs, person_boxes=person_boxes)
        return self.neck(x) if self.with_neck else x

    def person_boxes(self, batch_inputs: Tensor, batch_data_samples: SampleList,
                     with_gt: bool) -> List[Tensor]:
        """(n_i, 4) person boxes per sample, in input pixels clipped to the sample's frame.

        Args:
            batch_inputs: (B, C, T, H, W) clips; their size is the frame of a sample without
                ``img_shape``.
            batch_data_samples: samples with ``proposals`` (and ``gt_instances`` with ``with_gt``).
            with_gt: add the ground-truth boxes to the proposals (training).
        """
        boxes = []
        for proposals, sample in zip(self._proposals(batch_data_samples), batch_data_samples):
            sample_boxes = [proposals.bboxes]
            if with_gt:
                sample_boxes.append(sample.gt_instances.bboxes)
            sample_boxes = torch.cat([torch.as_tensor(b).reshape(-1, 4) for b in sample_boxes])
            height, width = sample.metainfo.get('img_shape', batch_inputs.shape[-2:])
            limits = sample_boxes.new_tensor([width, height, width, height])
            boxes.append(torch.minimum(sample_boxes.clamp(min=0), limits).to(
                device=batch_inputs.device, dtype=torch.float32))
        return boxes

    def _backbone_boxes(self, batch_inputs: Tensor, batch_data_samples: SampleList,
                        with_gt: bool) -> Optional[List[Tensor]]:
        if not self.with_pae:
            return None
        return self.person_boxes(batch_inputs, batch_data_samples, with_gt)

    @staticmethod
    def _proposals(batch_data_samples: SampleList) -> InstanceList:
        for i, sample in enumerate(batch_data_samples):
            if sample.get('proposals', None) is None:
                raise ValueError(f'data_samples[{i}] has no proposals: VSGTFastRCNN reads the '
                                 'person boxes from data_samples[i].proposals (there is no RPN)')
        return [sample.proposals for sample in batch_data_samples]

    def _forward(self, batch_inputs: Tensor, batch_data_samples: SampleList) -> tuple:
        """RoI head outputs on the proposals."""
        x = self.extract_feat(batch_inputs,
                              self._backbone_boxes(batch_inputs, batch_data_samples, False))
        return (self.roi_head.forward(x, self._proposals(batch_data_samples),
                                      batch_data_samples), )

    def loss(self, batch_inputs: Tensor, batch_data_samples: SampleList) -> dict:
        """Losses of the RoI head on the proposals."""
        x = self.extract_feat(batch_inputs,
                              self._backbone_boxes(batch_inputs, batch_data_samples, True))
        return self.roi_head.loss(x, self._proposals(batch_data_samples), batch_data_samples)

    def predict(self, batch_inputs: Tensor, batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """Scores of the proposals, as ``pred_instances`` of the data samples."""
        x = self.extract_feat(batch_inputs,
                              self._backbone_boxes(batch_inputs, batch_data_samples, False))
        results_list = self.roi_head.predict(x, self._proposals(batch_data_samples),
                                             batch_data_samples, rescale=rescale)
        return self.add_pred_to_datasample(batch_data_samples, results_list)
