"""FLOP counting with fvcore, including ``scaled_dot_product_attention``.

FLOPs follow fvcore's convention: one multiply-add is one FLOP (the convention of mmaction2's
and the SG-Former papers' GFLOPs). Most element-wise operators (additions, activations, softmax)
have no fvcore handle and are not counted; fvcore reports them as unsupported operators.
"""
import warnings
from collections import Counter
from typing import Sequence, Tuple

import torch
import torch.nn as nn
from fvcore.nn import FlopCountAnalysis
from fvcore.nn.jit_handles import get_shape


def sdpa_flop_jit(inputs, outputs) -> int:
    """fvcore handle of ``aten::scaled_dot_product_attention(q, k, v, ...)``.

    ``q @ k^T`` costs ``B * heads * Lq * Lk * d`` multiply-adds and ``attn @ v``
    ``B * heads * Lq * Lk * d_v``.
    """
    q, k, v = (get_shape(value) for value in inputs[:3])
    *batch, length_q, dim = q
    length_k, dim_v = k[-2], v[-1]
    count = 1
    for size in batch:
        count *= size
    return count * length_q * length_k * (dim + dim_v)


def flop_analysis(model: nn.Module, inputs: Tuple) -> FlopCountAnalysis:
    """fvcore's analysis of ``model(*inputs)`` with the SDPA handle, its warnings off.

    The model is put in eval mode. Nothing is traced until a result is asked for; ask within
    :func:`torch.no_grad`.
    """
    model.eval()  # not chained: mmaction2's SwinTransformer3D.train returns None
    analysis = FlopCountAnalysis(model, inputs)
    analysis.set_op_handle('aten::scaled_dot_product_attention', sdpa_flop_jit)
    return analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)


def count_flops(model: nn.Module, *inputs) -> Tuple[int, Counter]:
    """(FLOPs of ``model(*inputs)``, Counter of the operators fvcore left uncounted)."""
    analysis = flop_analysis(model, inputs)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        return analysis.total(), Counter(analysis.unsupported_ops())


def spread_boxes(num_boxes: int, height: int, width: int) -> torch.Tensor:
    """``num_boxes`` person-sized (x1, y1, x2, y2) pixel boxes spread across a frame."""
    boxes = []
    for i in range(num_boxes):
        x1 = 0.75 * width * i / max(num_boxes - 1, 1)
        boxes.append([x1, 0.1 * height, x1 + 0.25 * width, 0.9 * height])
    return torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)


def _takes_boxes(backbone: nn.Module) -> bool:
    return getattr(backbone, 'pae', None) is not None


class DetectorForFlops(nn.Module):
    """A Fast R-CNN style action detector on given person boxes: backbone (given the boxes when
    it takes them), RoI extractor and box head, as in its ``predict`` without the post-processing.

    mmdet's ``mode='tensor'`` cannot be used: mmaction's ``AVARoIHead`` breaks it upstream.
    """

    def __init__(self, model: nn.Module, boxes: torch.Tensor):
        super().__init__()
        self.model = model
        self.register_buffer('boxes', boxes, persistent=False)

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        from mmdet.structures.bbox import bbox2roi
        boxes = [self.boxes] * clip.shape[0]
        if _takes_boxes(self.model.backbone):
            feats = self.model.extract_feat(clip, boxes)
        else:
            feats = self.model.extract_feat(clip)
        roi_head = self.model.roi_head
        return roi_head._bbox_forward(feats, bbox2roi(boxes), [{}] * len(boxes))['cls_score']


class RecognizerForFlops(nn.Module):
    """A recognizer on one view: backbone, neck if any, classification head.

    A 3D recognizer takes the (N, C, T, H, W) clip as one view; a 2D one (``Recognizer2D``:
    TSN, TSM, VideoLightFormer) its T frames as segments, (N, T, C, H, W), as at test time.
    """

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        if is_2d_recognizer(self.model):
            return self.model.extract_feat(clip.transpose(1, 2), stage='head',
                                           test_mode=True)[0]
        return self.model.extract_feat(clip[:, None], stage='head')[0]


class LocalizerForFlops(nn.Module):
    """A temporal action localizer on one (N, C, T) window of features: its raw outputs
    (``mode='tensor'``), without the post-processing."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, window: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        outputs = self.model(window, mode='tensor')
        if isinstance(outputs, dict):
            outputs = [outputs[key] for key in sorted(outputs)]
        return tuple(outputs)


def is_2d_recognizer(model: nn.Module) -> bool:
    from mmaction.models import Recognizer2D
    return isinstance(model, Recognizer2D)


def is_localizer(model: nn.Module) -> bool:
    """A model of feature windows: a ``window_size`` (its own or its streams'), no backbone."""
    streams = [getattr(model, name) for name in ('rgb', 'flow') if hasattr(model, name)]
    return getattr(model, 'backbone', None) is None and all(
        hasattr(stream, 'window_size') for stream in streams or [model])


def localizer_window(model: nn.Module, model_cfg: dict) -> Tuple[int, int]:
    """(channels, steps) of the feature window a localizer reads.

    Channels: the widest ``input_range`` end of the model (or of its ``rgb`` / ``flow`` streams),
    else its config's ``in_channels``.
    """
    names = [name for name in ('rgb', 'flow') if hasattr(model, name)]
    streams = [(getattr(model, name), model_cfg[name]) for name in names] or [(model, model_cfg)]
    channels = [stream.input_range[1] if getattr(stream, 'input_range', None) is not None
                else cfg['in_channels'] for stream, cfg in streams]
    return max(channels), streams[0][0].window_size


def model_for_flops(model: nn.Module, shape: Sequence[int], num_boxes: int) -> nn.Module:
    """``model`` as a module of one input of ``shape`` (without the batch dimension).

    A detector (a model with a ``roi_head``) runs on ``num_boxes`` boxes spread across the frame
    of a (C, T, H, W) clip (its backbone gets them too when it takes person boxes); a recognizer
    (a ``cls_head``) on the clip; a localizer on a (C, T) window of features. Raises ValueError
    for other models.
    """
    if getattr(model, 'roi_head', None) is not None:
        if num_boxes < 1:
            raise ValueError(f'--num-boxes must be at least 1 for a detector, got {num_boxes}')
        return DetectorForFlops(model, spread_boxes(num_boxes, shape[-2], shape[-1]))
    if getattr(model, 'cls_head', None) is not None:
        return RecognizerForFlops(model)
    if is_localizer(model):
        return LocalizerForFlops(model)
    raise ValueError(f'{type(model).__name__} is neither a detector (roi_head), a recognizer '
                     '(cls_head) nor a localizer of feature windows (window_size)')
