"""Two-stream (RGB + flow) late fusion of AFSD / GAF models: the mean of their raw outputs."""
from typing import Dict, List, Optional

import torch
from mmaction.registry import MODELS
from mmengine.model import BaseModel

from vsgt.utils.checkpoint import read_state_dict

STREAMS = ('rgb', 'flow')


@MODELS.register_module()
class TwoStreamFusion(BaseModel):
    """Test-time fusion of two trained models (AFSD's ``--fusion``): both read their channels of
    the input (``input_range``), their raw outputs (:meth:`AFSDLocalizer.detect`) are averaged
    and decoded by the RGB model's inference. Train each stream alone with its own config, then
    join the checkpoints with ``projects/gaf/tools/fuse_checkpoints.py``.

    Args:
        rgb, flow: the two model configs (same window, classes and pyramid).
    """

    def __init__(self, rgb: Dict, flow: Dict, data_preprocessor: Optional[Dict] = None,
                 init_cfg: Optional[Dict] = None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.rgb, self.flow = MODELS.build(rgb), MODELS.build(flow)
        for key in ('window_size', 'num_classes', 'num_levels', 'frame_ratio'):
            if getattr(self.rgb, key) != getattr(self.flow, key):
                raise ValueError(f'TwoStreamFusion: the rgb and flow models differ in {key} '
                                 f'({getattr(self.rgb, key)} vs {getattr(self.flow, key)})')

    def forward(self, inputs, data_samples: Optional[List] = None, mode: str = 'tensor'):
        """``'tensor'``: the averaged raw outputs; ``'predict'``: data samples with
        ``pred_instances``. Training happens per stream."""
        if mode == 'loss':
            raise ValueError('TwoStreamFusion is for testing; train the rgb and flow configs '
                             'separately and join them with tools/fuse_checkpoints.py')
        outputs = [stream(inputs, data_samples, mode='tensor') for stream in (self.rgb,
                                                                               self.flow)]
        mean = {key: (outputs[0][key] + outputs[1][key]) / 2 for key in outputs[0]}
        if mode == 'tensor':
            return mean
        if mode == 'predict':
            return self.rgb.predict(mean, data_samples)
        raise ValueError(f"mode must be 'loss', 'predict' or 'tensor', got {mode!r}")


def join_stream_checkpoints(model: TwoStreamFusion,
                            paths: Dict[str, str]) -> Dict[str, torch.Tensor]:
    """The state dict of ``model`` from one checkpoint per stream (``rgb``, ``flow``).

    Raises:
        ValueError: one line naming the checkpoint and the first key that is missing, extra
            or of the wrong shape for its stream's model.
    """
    state_dict = {}
    for name in STREAMS:
        path, stream = paths[name], getattr(model, name)
        weights, expected = read_state_dict(path), stream.state_dict()
        for key, value in expected.items():
            if key not in weights:
                raise ValueError(f'checkpoint {path} does not fit the {name} model: key {key!r} '
                                 'is missing')
            if weights[key].shape != value.shape:
                raise ValueError(f'checkpoint {path} does not fit the {name} model: key {key!r} '
                                 f'has shape {tuple(weights[key].shape)}, the model '
                                 f'{tuple(value.shape)}')
        extra = sorted(set(weights) - set(expected))
        if extra:
            raise ValueError(f'checkpoint {path} does not fit the {name} model: unexpected key '
                             f'{extra[0]!r}' + (f' (+{len(extra) - 1} more)' if len(extra) > 1
                                                else ''))
        state_dict.update({f'{name}.{key}': weights[key] for key in expected})
    return state_dict
