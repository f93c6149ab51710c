"""mmdet's Fast R-CNN flow with a backbone that sees the clip's person boxes."""
from typing import List, Optional, Tuple

import torch
from mmdet.models.detectors import FastRCNN
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmdet.utils import InstanceList
from torch import Tensor


PAE_BOXES = ('key_frame', 'clip')
CLIP_BOX_KEYS = {'proposals': 'clip_proposals', 'gt': 'clip_gt_bboxes'}


@MODELS.register_module()
class VSGTFastRCNN(FastRCNN):
    """FastRCNN that hands each clip's person boxes to a backbone with Person Attention
    Enhancement (a backbone whose ``pae`` is set, e.g. ``SGFormer3D(with_pae=True)``) and to the
    RoI head.

    The backbone gets the proposals at test time and the ground-truth boxes plus the proposals in
    training, clipped to the frame (``img_shape`` of the sample). With ``pae_boxes='key_frame'``
    these are the key frame's (``proposals.bboxes``, ``gt_instances.bboxes``), marked on every
    time slice; with ``'clip'`` the boxes of every frame of the clip, (n, 5) rows ``frame, x1,
    y1, x2, y2`` in the metainfo keys ``clip_proposals`` and ``clip_gt_bboxes`` (the
    ``LoadClipPersonBoxes`` transform makes them for datasets that box every frame), each marked
    on its own time slice. All boxes are in the pixels of the network input: mmaction's transforms
    scale, crop and flip them together with the frames, and batching pads only at the bottom and
    right.

    The RoI head's samples carry ``metainfo['person_boxes']``: the ground-truth boxes in training,
    the proposals in testing (FBIL builds its foreground region from them). Otherwise, with any
    other backbone, this is exactly ``FastRCNN``.

    Args:
        pae_boxes: ``'key_frame'`` or ``'clip'``.
        The other arguments are those of :class:`mmdet.models.detectors.FastRCNN`.
    """

    def __init__(self, *args, pae_boxes: str = 'key_frame', **kwargs):
        if pae_boxes not in PAE_BOXES:
            raise ValueError(f'pae_boxes must be one of {PAE_BOXES}, got {pae_boxes!r}')
        super().__init__(*args, **kwargs)
        self.pae_boxes = pae_boxes

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
        """Person boxes per sample, in input pixels clipped to the sample's frame: (n_i, 4) of
        the key frame, or (n_i, 5) with the clip frame first for ``pae_boxes='clip'``.

        Args:
            batch_inputs: (B, C, T, H, W) clips; their size is the frame of a sample without
                ``img_shape``.
            batch_data_samples: samples with ``proposals`` (and ``gt_instances`` with
                ``with_gt``), or with the clip keys for ``pae_boxes='clip'``.
            with_gt: add the ground-truth boxes to the proposals (training).
        """
        sources = ('proposals', 'gt') if with_gt else ('proposals', )
        return [torch.cat([self._sample_boxes(batch_inputs, sample, i, source,
                                              self.pae_boxes == 'clip') for source in sources])
                for i, sample in enumerate(batch_data_samples)]

    def _sample_boxes(self, batch_inputs: Tensor, sample, index: int, source: str,
                      clip: bool) -> Tensor:
        """A sample's ``source`` boxes ('proposals' or 'gt'), clipped to its frame."""
        width = 4
        if clip:
            key = CLIP_BOX_KEYS[source]
            if key not in sample.metainfo:
                raise ValueError(f"data_samples[{index}] has no metainfo {key!r}: pae_boxes='clip' "
                                 'needs the LoadClipPersonBoxes transform and PackActionInputs '
                                 f'with {key!r} in its meta_keys')
            boxes, width = sample.metainfo[key], 5
        elif source == 'proposals':
            boxes = self._proposals([sample])[0].bboxes
        else:
            boxes = sample.gt_instances.bboxes
        boxes = torch.as_tensor(boxes).reshape(-1, width).to(device=batch_inputs.device,
                                                              dtype=torch.float32)
        height, frame_width = sample.metainfo.get('img_shape', batch_inputs.shape[-2:])
        limits = boxes.new_tensor([frame_width, height, frame_width, height])
        corners = torch.minimum(boxes[:, -4:].clamp(min=0), limits)
        return torch.cat([boxes[:, :-4], corners], dim=1)

    def _backbone_boxes(self, batch_inputs: Tensor, batch_data_samples: SampleList,
                        with_gt: bool) -> Optional[List[Tensor]]:
        if not self.with_pae:
            return None
        return self.person_boxes(batch_inputs, batch_data_samples, with_gt)

    def _mark_person_boxes(self, batch_inputs: Tensor, batch_data_samples: SampleList,
                           training: bool) -> None:
        """Set ``metainfo['person_boxes']`` of each sample for the RoI head."""
        for i, sample in enumerate(batch_data_samples):
            boxes = self._sample_boxes(batch_inputs, sample, i, 'gt' if training else 'proposals',
                                       clip=False)
            sample.set_metainfo(dict(person_boxes=boxes))

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
        self._mark_person_boxes(batch_inputs, batch_data_samples, False)
        return (self.roi_head.forward(x, self._proposals(batch_data_samples),
                                      batch_data_samples), )

    def loss(self, batch_inputs: Tensor, batch_data_samples: SampleList) -> dict:
        """Losses of the RoI head on the proposals."""
        x = self.extract_feat(batch_inputs,
                              self._backbone_boxes(batch_inputs, batch_data_samples, True))
        self._mark_person_boxes(batch_inputs, batch_data_samples, True)
        return self.roi_head.loss(x, self._proposals(batch_data_samples), batch_data_samples)

    def predict(self, batch_inputs: Tensor, batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        """Scores of the proposals, as ``pred_instances`` of the data samples."""
        x = self.extract_feat(batch_inputs,
                              self._backbone_boxes(batch_inputs, batch_data_samples, False))
        self._mark_person_boxes(batch_inputs, batch_data_samples, False)
        results_list = self.roi_head.predict(x, self._proposals(batch_data_samples),
                                             batch_data_samples, rescale=rescale)
        return self.add_pred_to_datasample(batch_data_samples, results_list)
