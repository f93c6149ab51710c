"""A timm backbone that returns its last feature map unpooled, for 2D recognizers."""
import torch
import torch.nn as nn
from mmaction.registry import MODELS


@MODELS.register_module()
class TimmFeatures(nn.Module):
    """``timm.create_model(model_name, features_only=True)``'s last (N, C, h, w) map.

    :class:`mmaction.models.Recognizer2D`'s ``timm.`` backbone shortcut pools the map to 1x1;
    this wrapper keeps it for heads that need the spatial structure, such as ``VLFHead``.

    Args:
        model_name: timm model name, e.g. ``'resnet18'`` or ``'efficientnet_b0'``.
        pretrained: Load timm's pretrained weights (downloads them unless cached).
        out_index: Feature level returned (timm's ``out_indices``; -1 is the last).
        **kwargs: Further arguments of ``timm.create_model``.
    """

    def __init__(self, model_name: str, pretrained: bool = False, out_index: int = -1,
                 **kwargs) -> None:
        super().__init__()
        import timm
        self.model = timm.create_model(model_name, pretrained=pretrained, features_only=True,
                                       out_indices=(out_index, ), **kwargs)
        self.out_channels = self.model.feature_info.channels()[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)[-1]
