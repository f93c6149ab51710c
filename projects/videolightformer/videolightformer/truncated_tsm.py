"""mmaction2's ``ResNetTSM`` cut after an earlier stage."""
from mmaction.models.backbones import ResNetTSM
from mmaction.registry import MODELS


@MODELS.register_module()
class TruncatedResNetTSM(ResNetTSM):
    """``ResNetTSM`` keeping only its first ``num_stages`` stages.

    ``ResNetTSM`` inserts its temporal shifts into all four stages and so cannot be built with
    ``num_stages < 4``; this builds the four and drops the later ones, e.g. for a stride-16
    TSM baseline with ``num_stages=3, out_indices=(2, )``.

    Args:
        depth: ResNet depth.
        num_stages: Stages kept (1-4).
        out_indices: Stages whose output is returned, each below ``num_stages``.
        **kwargs: Further arguments of ``ResNetTSM`` (four ``strides`` and ``dilations``).
    """

    def __init__(self, depth: int, num_stages: int = 4, out_indices=(3, ), **kwargs) -> None:
        if not 1 <= num_stages <= 4 or max(out_indices) >= num_stages:
            raise ValueError(f'need 1 <= num_stages <= 4 and out_indices below it, got '
                             f'num_stages={num_stages}, out_indices={out_indices}')
        super().__init__(depth, out_indices=out_indices, **kwargs)
        for name in self.res_layers[num_stages:]:
            delattr(self, name)
        self.res_layers = self.res_layers[:num_stages]
        self.num_stages = num_stages
