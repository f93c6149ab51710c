"""FBIL head: foreground/background-masked interaction learning (Chen et al., ACM MM 2023).

A shared head of mmaction's ``AVARoIHead`` (as mmaction2's ``ACRNHead``): each actor token
attends to its clip's encoded context through a foreground mask (the actors' region) and a
background mask (the rest), and the two results are fused under the actor's guidance.
"""
import math
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmaction.registry import MODELS
from mmdet.models.layers import SinePositionalEncoding
from mmdet.models.layers.transformer import DetrTransformerDecoderLayer, DetrTransformerEncoder
from mmdet.registry import MODELS as MMDET_MODELS
from mmengine.model import BaseModule
from torch import Tensor

BRANCHES = ('fg', 'bg')
TEST_MASKS = ('round', 'random')
FUSIONS = ('afa', 'sum')
ACTOR_SELF_ATTN = ('none', 'clip')


def foreground_region(boxes: Tensor, stride: float, grid: Tuple[int, int]) -> Tensor:
    """(h, w) bool map of the foreground region F of a clip's actors on its feature grid.

    With several actors F is the rectangle enclosing all their boxes, with one actor its box
    doubled about the centre; in cells, from the floor of the lower corner to the ceil of the
    upper one, both inclusive, clipped to the grid (the clip's unpadded cells).

    Args:
        boxes: (n, 4) boxes x1, y1, x2, y2 in input pixels, n >= 1. Not modified.
        stride: Input pixels per feature cell.
        grid: (h, w) unpadded cells of the clip.
    """
    if len(boxes) == 1:
        centre = (boxes[0, :2] + boxes[0, 2:]) / 2
        size = boxes[0, 2:] - boxes[0, :2]
        lower, upper = centre - size, centre + size
    else:
        lower, upper = boxes[:, :2].min(0).values, boxes[:, 2:].max(0).values
    height, width = grid
    x1, y1 = (torch.floor(lower / stride).long().tolist())
    x2, y2 = (torch.ceil(upper / stride).long().tolist())
    region = torch.zeros(height, width, dtype=torch.bool, device=boxes.device)
    region[max(y1, 0):max(y2 + 1, 0), max(x1, 0):max(x2 + 1, 0)] = True
    return region


def draw_hidden(region: Tensor, ratios: Tuple[float, float],
                generator: Optional[torch.Generator] = None) -> Tensor:
    """Hide ``int(beta * |F|)`` cells of F and ``int(delta * |B|)`` of B, uniformly without
    replacement; ratios (beta, delta). Returns the flat (h * w,) bool mask, True = hidden."""
    flat = region.flatten()
    hidden = torch.zeros_like(flat)
    for cells, ratio in zip((flat, ~flat), ratios):
        index = cells.nonzero().flatten()
        count = int(ratio * len(index))
        if count:
            order = torch.randperm(len(index), generator=generator).to(index.device)
            hidden[index[order[:count]]] = True
    return hidden


def _ratio_pair(value: Sequence[float], name: str) -> Tuple[float, float]:
    if len(value) != 2 or not all(0 <= ratio <= 1 for ratio in value):
        raise ValueError(f'{name} must be (foreground, background) ratios in [0, 1], '
                         f'got {value!r}')
    return float(value[0]), float(value[1])


class _Branch(nn.ModuleList):
    """Mask-guided cross attention: DETR decoder layers (post-norm; self-attention over the
    actor queries, cross-attention to the masked context without positional terms, FFN)."""

    def forward(self, queries: Tensor, context: Tensor, hidden: Tensor,
                self_attn_mask: Optional[Tensor]) -> Tensor:
        for layer in self:
            queries = layer(queries, context, context, self_attn_mask=self_attn_mask,
                            key_padding_mask=hidden)
        return queries


@MODELS.register_module()
class FBILHead(BaseModule):
    """FBIL: foreground/background-masked interaction learning, a shared head of
    mmaction's ``AVARoIHead``.

    The RoI features ``x`` and the clip maps ``feat`` of ``SingleRoIExtractor3D`` (temporal
    pooling on) are reduced to ``hidden_channels`` by one 1x1 convolution (it commutes with
    RoIAlign); an actor token is the max over its RoI's bins. A clip's unpadded cells (from
    ``img_shape`` and ``featmap_stride``) go once through a DETR encoder with a normalised 2D
    sine term. Per clip, a foreground region F (:func:`foreground_region`) of the clip's person
    boxes and its complement B give one key mask per branch. The person boxes are
    ``img_metas[i]['person_boxes']`` where the detector sets them (``VSGTFastRCNN``: the ground
    truth in training, the proposals in testing, as the public code's RoIs), else the clip's
    RoIs. The masks: the foreground branch hides ``fg_mask_ratios`` (F, B) of the
    cells, the background branch ``bg_mask_ratios``. In training the hidden cells are drawn at
    random (:func:`draw_hidden`); in testing (and with ``random_mask=False``) ``test_mask='round'``
    rounds the ratios to 0 or 1, so that the foreground branch sees exactly F and the background
    one exactly B, and ``'random'`` draws as in training (the public code's behaviour). A mask
    hiding every key is replaced by one showing all the clip's cells. Each branch is a stack of
    mask-guided cross-attention layers with the actor tokens as queries; the two results are
    fused by actor-guided aggregation (``'afa'``: LayerNorm(w0 fg + w1 bg), w = softmax(MLP(a)))
    or summed (``'sum'``), and concatenated to the actor token.

    Args:
        in_channels: Channels of ``x`` and ``feat`` (the backbone's).
        hidden_channels: Width d of tokens, attention and fusion.
        featmap_stride: Input pixels per cell of ``feat`` (the RoI extractor's).
        num_heads: Attention heads.
        ffn_channels: Hidden width of the feed-forward blocks.
        encoder_depth: Context encoder layers (0: no encoder, no positional term).
        fg_depth: Layers of the foreground branch.
        bg_depth: Layers of the background branch.
        dropout: Dropout of attention and feed-forward blocks.
        fg_mask_ratios: Fractions of (F, B) hidden from the foreground branch in training.
        bg_mask_ratios: Fractions of (F, B) hidden from the background branch in training.
        with_fg: Build the foreground branch.
        with_bg: Build the background branch.
        random_mask: Draw random masks in training; False: the test masks of ``'round'``.
        test_mask: ``'round'`` (deterministic) or ``'random'``.
        fusion: ``'afa'`` or ``'sum'`` (used with both branches).
        actor_self_attn: ``'none'`` (each actor query attends to itself only) or ``'clip'`` (a
            clip's actors attend to each other).
        seed: Seed of the head's own generator for the random masks (a new draw per call, the
            sequence repeatable); None: torch's global generator.
        init_cfg: mmengine initialisation config.

    Shapes: ``x`` (R, C, T, 7, 7), ``feat`` (B, C, T, H, W), ``rois`` (R, 5) batch index and
    box in input pixels (never modified); returns (R, out_channels, 1, 1, 1) for
    ``BBoxHeadAVA``, ``out_channels`` = 2 d with a branch, d without. A clip of ``img_metas``
    without RoIs, a box outside its frame or maps of another width are one-line errors.
    """

    def __init__(self,
                 in_channels: int,
                 hidden_channels: int = 1024,
                 featmap_stride: int = 16,
                 num_heads: int = 8,
                 ffn_channels: int = 2048,
                 encoder_depth: int = 3,
                 fg_depth: int = 3,
                 bg_depth: int = 3,
                 dropout: float = 0.1,
                 fg_mask_ratios: Sequence[float] = (0.2, 1.0),
                 bg_mask_ratios: Sequence[float] = (0.9, 0.2),
                 with_fg: bool = True,
                 with_bg: bool = True,
                 random_mask: bool = True,
                 test_mask: str = 'round',
                 fusion: str = 'afa',
                 actor_self_attn: str = 'none',
                 seed: Optional[int] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if hidden_channels % num_heads or hidden_channels % 2:
            raise ValueError(f'shared_head.hidden_channels ({hidden_channels}) must be even and '
                             f'divisible by shared_head.num_heads ({num_heads})')
        for name, value, choices in (('test_mask', test_mask, TEST_MASKS),
                                     ('fusion', fusion, FUSIONS),
                                     ('actor_self_attn', actor_self_attn, ACTOR_SELF_ATTN)):
            if value not in choices:
                raise ValueError(f'shared_head.{name} must be one of {choices}, got {value!r}')
        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.featmap_stride = featmap_stride
        self.random_mask = random_mask
        self.test_mask = test_mask
        self.fusion = fusion
        self.actor_self_attn = actor_self_attn
        self.mask_ratios = dict(fg=_ratio_pair(fg_mask_ratios, 'shared_head.fg_mask_ratios'),
                                bg=_ratio_pair(bg_mask_ratios, 'shared_head.bg_mask_ratios'))
        self.generator = None if seed is None else torch.Generator().manual_seed(seed)

        self.reduce = nn.Conv2d(in_channels, hidden_channels, 1, bias=False)
        attn_cfg = dict(embed_dims=hidden_channels, num_heads=num_heads, attn_drop=dropout,
                        dropout_layer=dict(type='Dropout', drop_prob=dropout), batch_first=True)
        ffn_cfg = dict(embed_dims=hidden_channels, feedforward_channels=ffn_channels, num_fcs=2,
                       ffn_drop=dropout, act_cfg=dict(type='ReLU', inplace=True))
        self.positional_encoding = SinePositionalEncoding(hidden_channels // 2, normalize=True)
        self.encoder = DetrTransformerEncoder(
            num_layers=encoder_depth, layer_cfg=dict(self_attn_cfg=attn_cfg, ffn_cfg=ffn_cfg)
        ) if encoder_depth else None
        depths = dict(fg=fg_depth, bg=bg_depth)
        switches = dict(fg=with_fg, bg=with_bg)
        self.branches = nn.ModuleDict({
            name: _Branch([
                DetrTransformerDecoderLayer(self_attn_cfg=dict(attn_cfg),
                                            cross_attn_cfg=dict(attn_cfg), ffn_cfg=ffn_cfg)
                for _ in range(depths[name])
            ])
            for name in BRANCHES if switches[name]
        })
        if len(self.branches) == 2 and fusion == 'afa':
            self.afa = nn.Sequential(
                nn.Linear(hidden_channels, hidden_channels), nn.ReLU(inplace=True),
                nn.Linear(hidden_channels, hidden_channels), nn.ReLU(inplace=True),
                nn.Linear(hidden_channels, 2))
        if self.branches:
            self.fusion_norm = nn.LayerNorm(hidden_channels)

    @property
    def out_channels(self) -> int:
        """Channels of the output: the actor token, and the fused context with a branch."""
        return self.hidden_channels * (2 if self.branches else 1)

    def init_weights(self) -> None:
        """Xavier-uniform weights of the attention, feed-forward and fusion layers (DETR)."""
        super().init_weights()
        for name, parameter in self.named_parameters():
            if parameter.dim() > 1 and not name.startswith('reduce.'):
                nn.init.xavier_uniform_(parameter)

    def fusion_weights(self, actors: Tensor) -> Tensor:
        """(R, 2) weights of the foreground and background results: softmax(MLP(a))."""
        return self.afa(actors).softmax(dim=-1)

    def hidden_keys(self, region: Tensor) -> Dict[str, Tensor]:
        """Flat key masks (True = hidden) of each built branch for a clip's region F."""
        masks = {}
        for name in self.branches:
            ratios = self.mask_ratios[name]
            if not (self.training and self.random_mask) and self.test_mask == 'round':
                ratios = tuple(float(round(ratio)) for ratio in ratios)
            hidden = draw_hidden(region, ratios, self.generator)
            masks[name] = hidden & ~hidden.all()
        return masks

    def encode(self, context: Tensor) -> Tensor:
        """(h * w, d) encoded tokens of one clip's (d, h, w) unpadded context map."""
        height, width = context.shape[-2:]
        tokens = context.flatten(1).t()[None]
        if self.encoder is None:
            return tokens[0]
        pos = self.positional_encoding(context.new_zeros(1, height, width, dtype=torch.bool))
        return self.encoder(tokens, pos.flatten(2).transpose(1, 2), key_padding_mask=None)[0]

    def _grid(self, feat: Tensor, img_meta: dict, sample: int) -> Tuple[int, int]:
        """Unpadded cells (h, w) of a clip's map, from its ``img_shape``."""
        height, width = feat.shape[-2:]
        if 'img_shape' not in img_meta:
            return height, width
        img_h, img_w = img_meta['img_shape']
        grid = (math.ceil(img_h / self.featmap_stride), math.ceil(img_w / self.featmap_stride))
        if grid[0] > height or grid[1] > width:
            raise ValueError(
                f'{_sample_name(img_meta, sample)}: a {img_h}x{img_w} input needs {grid[0]}x'
                f'{grid[1]} cells at shared_head.featmap_stride={self.featmap_stride}, the '
                f'feature map has {height}x{width}: set it to the RoI extractor\'s stride')
        return grid

    def _check_boxes(self, boxes: Tensor, img_meta: dict, sample: int,
                     feat: Tensor) -> None:
        img_h, img_w = img_meta.get('img_shape', [size * self.featmap_stride
                                                  for size in feat.shape[-2:]])
        # Crops clip boxes to the frame, leaving empty boxes on its edge: those are fine.
        outside = ~torch.isfinite(boxes).all(1) | (boxes[:, 0] > img_w) | (
            boxes[:, 1] > img_h) | (boxes[:, 2] < 0) | (boxes[:, 3] < 0) | (
                boxes[:, 2] < boxes[:, 0]) | (boxes[:, 3] < boxes[:, 1])
        if outside.any():
            box = [round(value, 2) for value in boxes[outside.nonzero()[0, 0]].tolist()]
            raise ValueError(f'{_sample_name(img_meta, sample)}: box {box} lies outside its '
                             f'{img_w}x{img_h} frame (img_shape)')

    def _check_channels(self, x: Tensor, feat: Tensor) -> None:
        for name, tensor in (('RoI features', x), ('a feature map', feat)):
            if tensor.dim() != 5 or tensor.shape[1] != self.in_channels:
                raise ValueError(f'shared_head.in_channels={self.in_channels} does not fit the '
                                 f'backbone, which gives {name} of shape {tuple(tensor.shape)} '
                                 '(N, C, T, H, W)')

    def forward(self, x: Tensor, feat: Tensor, rois: Tensor,
                img_metas: Optional[List[dict]] = None) -> Tensor:
        """RoI features (R, C, T, 7, 7) -> (R, out_channels, 1, 1, 1); see the class."""
        self._check_channels(x, feat)
        clip_of = rois[:, 0].long()
        for clip, img_meta in enumerate(img_metas or []):
            if not (clip_of == clip).any():
                raise ValueError(f'{_sample_name(img_meta, clip)}: no proposals (RoIs) to '
                                 'score; give every clip at least one person box')
        if len(rois) == 0:
            return x.new_zeros(0, self.out_channels, 1, 1, 1)
        actors = self.reduce(x.mean(2)).amax(dim=(2, 3))
        if not self.branches:
            return actors[:, :, None, None, None]
        contexts = self.reduce(feat.mean(2))
        outputs = {name: actors.new_zeros(actors.shape) for name in self.branches}
        for clip in clip_of.unique().tolist():
            index = (clip_of == clip).nonzero().flatten()
            img_meta = img_metas[clip] if img_metas else {}
            boxes = rois[index, 1:]
            self._check_boxes(boxes, img_meta, clip, feat)
            persons = img_meta.get('person_boxes')
            if persons is not None and len(persons):
                boxes = torch.as_tensor(persons, dtype=rois.dtype,
                                        device=rois.device).reshape(-1, 4)
                self._check_boxes(boxes, img_meta, clip, feat)
            height, width = self._grid(feat, img_meta, clip)
            context = self.encode(contexts[clip, :, :height, :width])[None]
            region = foreground_region(boxes, self.featmap_stride, (height, width))
            queries = actors[index][None]
            self_attn_mask = None
            if self.actor_self_attn == 'none':
                self_attn_mask = ~torch.eye(len(index), dtype=torch.bool, device=x.device)
            for name, hidden in self.hidden_keys(region).items():
                outputs[name] = outputs[name].index_put(
                    (index, ), self.branches[name](queries, context, hidden[None],
                                                   self_attn_mask)[0])
        if len(outputs) == 1:
            fused, = outputs.values()
        elif self.fusion == 'afa':
            weights = self.fusion_weights(actors)
            fused = weights[:, :1] * outputs['fg'] + weights[:, 1:] * outputs['bg']
        else:
            fused = outputs['fg'] + outputs['bg']
        fused = self.fusion_norm(fused)
        return torch.cat([actors, fused], dim=1)[:, :, None, None, None]


def _sample_name(img_meta: dict, sample: int) -> str:
    key = img_meta.get('img_key')
    return f'sample {sample}' + (f' ({key})' if key else '')


MMDET_MODELS.register_module()(FBILHead)
