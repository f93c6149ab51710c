"""A RoI extractor that reads each feature cell where the backbone's convolutions centre it."""
from mmaction.models.roi_heads.roi_extractors import SingleRoIExtractor3D
from mmdet.registry import MODELS
from torch import Tensor


@MODELS.register_module()  # in mmdet's registry, as mmaction's RoI extractors
class TokenCentredRoIExtractor3D(SingleRoIExtractor3D):
    """``SingleRoIExtractor3D`` for backbones whose stride-2 convolutions (3x3, padding 1) centre
    feature cell i on input pixel ``i * featmap_stride + 0.5``, as SGFormer3D's stem and
    downsampling layers do (and PAE's masks assume).

    mmcv's ``RoIAlign`` reads cell i at pixel ``(i + 0.5) * stride`` (``aligned=True``) or
    ``i * stride`` (``aligned=False``); the boxes are shifted by ``stride / 2 - 0.5`` (or
    ``-0.5``) before pooling, so each box pools the cells under it. The arguments are those of
    :class:`mmaction.models.SingleRoIExtractor3D`; the RoIs given are not modified.
    """

    def forward(self, feat, rois: Tensor) -> tuple:
        shift = self.featmap_stride / 2 - 0.5 if self.aligned else -0.5
        rois = rois.clone()
        rois[:, 1:] += shift
        return super().forward(feat, rois)
