"""VideoLightFormer head: a spatial transformer per frame, then a spatio-temporal transformer.

VLF(X) = MLP(h(g(f(x_1)), ..., g(f(x_T)))) (Koot and Lu, arXiv 2107.00451): ``f`` is the 2D
backbone of :class:`mmaction.models.Recognizer2D`, this head is ``g``, ``h`` and the MLP.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.models.heads import BaseHead
from mmaction.registry import MODELS
from mmcv.cnn.bricks.transformer import BaseTransformerLayer
from mmdet.models.layers import SinePositionalEncoding
from mmengine.model.weight_init import trunc_normal_
from torch.utils.checkpoint import checkpoint

TEMPORAL_PE = ('learned', 'sine', None)
POOLS = ('frames', 'mean', 'cls')


def sine_temporal_encoding(num_frames: int, dims: int, temperature: float = 10000.) -> torch.Tensor:
    """(num_frames, dims) 1D sine/cosine encoding of the frame index (Vaswani et al.)."""
    position = torch.arange(num_frames, dtype=torch.float32)[:, None]
    freqs = temperature**(torch.arange(0, dims, 2, dtype=torch.float32) / dims)
    angles = position / freqs
    return torch.stack([angles.sin(), angles.cos()], dim=2).flatten(1)[:, :dims]


def _encoder_layer(dims: int, num_heads: int, ffn_dims: int, dropout: float,
                   drop_path: float) -> BaseTransformerLayer:
    """A pre-norm transformer encoder layer (attention, GELU FFN, drop-path on both)."""
    drop_path_cfg = dict(type='DropPath', drop_prob=drop_path)
    return BaseTransformerLayer(
        attn_cfgs=dict(type='MultiheadAttention', embed_dims=dims, num_heads=num_heads,
                       attn_drop=dropout, proj_drop=dropout, dropout_layer=drop_path_cfg,
                       batch_first=True),
        ffn_cfgs=dict(type='FFN', embed_dims=dims, feedforward_channels=ffn_dims, num_fcs=2,
                      ffn_drop=dropout, act_cfg=dict(type='GELU'),
                      dropout_layer=drop_path_cfg),
        operation_order=('norm', 'self_attn', 'norm', 'ffn'),
        norm_cfg=dict(type='LN'),
        batch_first=True)


@MODELS.register_module()
class VLFHead(BaseHead):
    """VideoLightFormer head on the unpooled frame feature maps of a 2D backbone.

    Each frame's (C, h, w) map is projected to ``embed_dims`` tokens (1x1 conv, LayerNorm) with
    a normalised 2D sine position term (DETR) and refined by the spatial transformer ``g``. The
    tokens of the ``num_segments`` frames of a view go together (T*h*w tokens), with the spatial
    term again and a temporal one, through the spatio-temporal transformer ``h``; then pooling,
    LayerNorm and an MLP give the view's class scores.

    The default pooling keeps the frames apart: each frame's tokens are averaged and the T
    vectors enter the MLP in time order. Averaging all T*h*w tokens (``'mean'``) leaves the
    frame order to the temporal embedding alone; trained from scratch on the synthetic reversal
    set it never learnt the walking direction (0.5 on the reversal pairs, the order-blind
    bound), where ``'frames'`` reached 1.0 (``tools/benchmark.py``).

    Args:
        num_classes: Number of classes.
        in_channels: Channels of the backbone's map.
        num_segments: Frames T per view. At multi-view testing the head receives V*T maps per
            clip and returns one score row per view; :class:`BaseHead` averages them.
        embed_dims: Token width D.
        spatial_depth: Layers of ``g``.
        temporal_depth: Layers of ``h``.
        num_heads: Attention heads.
        ffn_ratio: FFN width over ``embed_dims``.
        dropout: Dropout of attention weights, projections and FFNs.
        drop_path_rate: Drop-path probability, rising linearly over ``g`` then ``h`` to this.
        temporal_pe: ``'learned'`` (``temporal_slots`` embeddings resampled to T: averages of
            neighbouring slots for fewer frames, linear interpolation for more), ``'sine'``
            (fixed) or None. ``h`` is permutation-equivariant, so with None only
            ``pool='frames'`` sees the order.
        temporal_slots: Learned temporal embeddings.
        pool: ``'frames'`` (each frame's mean, the T means concatenated in time order),
            ``'mean'`` over all tokens, or a ``'cls'`` token prepended in ``h``. With
            ``'mean'`` or ``'cls'`` and ``temporal_pe=None`` the head is blind to frame order.
        mlp_dropout: Dropout before the last linear layer.
        with_cp: Checkpoint every transformer layer (saves memory, costs a second forward).
        init_std: Std of the truncated-normal init of the embeddings. Linear layers and the
            attention projections get Xavier-uniform weights (DETR's init), which scale
            with the width: a fixed std of 0.02 made the MLP and the attention branches so
            small at ``embed_dims=64`` that the head did not train from scratch.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 num_segments: int = 8,
                 embed_dims: int = 256,
                 spatial_depth: int = 2,
                 temporal_depth: int = 2,
                 num_heads: int = 8,
                 ffn_ratio: float = 4.,
                 dropout: float = 0.1,
                 drop_path_rate: float = 0.1,
                 temporal_pe: Optional[str] = 'learned',
                 temporal_slots: int = 32,
                 pool: str = 'frames',
                 mlp_dropout: float = 0.5,
                 with_cp: bool = False,
                 init_std: float = 0.02,
                 **kwargs) -> None:
        super().__init__(num_classes, in_channels, **kwargs)
        if temporal_pe not in TEMPORAL_PE:
            raise ValueError(f'temporal_pe must be one of {TEMPORAL_PE}, got {temporal_pe!r}')
        if pool not in POOLS:
            raise ValueError(f'pool must be one of {POOLS}, got {pool!r}')
        if embed_dims % 4:
            raise ValueError(f'embed_dims must be a multiple of 4, got {embed_dims}')
        self.num_segments = num_segments
        self.temporal_pe = temporal_pe
        self.pool = pool
        self.with_cp = with_cp
        self.init_std = init_std

        self.proj = nn.Conv2d(in_channels, embed_dims, kernel_size=1)
        self.proj_norm = nn.LayerNorm(embed_dims)
        self.spatial_pe = SinePositionalEncoding(num_feats=embed_dims // 2, normalize=True)
        if temporal_pe == 'learned':
            self.temporal_embed = nn.Parameter(torch.zeros(temporal_slots, embed_dims))
        if pool == 'cls':
            self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dims))
        rates = torch.linspace(0, drop_path_rate, spatial_depth + temporal_depth).tolist()
        ffn_dims = int(embed_dims * ffn_ratio)
        self.spatial_layers = nn.ModuleList(
            _encoder_layer(embed_dims, num_heads, ffn_dims, dropout, rate)
            for rate in rates[:spatial_depth])
        self.temporal_layers = nn.ModuleList(
            _encoder_layer(embed_dims, num_heads, ffn_dims, dropout, rate)
            for rate in rates[spatial_depth:])
        self.norm = nn.LayerNorm(embed_dims)
        pooled_dims = embed_dims * num_segments if pool == 'frames' else embed_dims
        self.mlp = nn.Sequential(
            nn.Linear(pooled_dims, embed_dims), nn.GELU(), nn.Dropout(mlp_dropout),
            nn.Linear(embed_dims, num_classes))

    def init_weights(self) -> None:
        """Xavier-uniform linear and attention weights, zero biases, truncated-normal
        embeddings."""
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.xavier_uniform_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.MultiheadAttention):
                nn.init.xavier_uniform_(module.in_proj_weight)
                nn.init.zeros_(module.in_proj_bias)
        for name in ('temporal_embed', 'cls_token'):
            if hasattr(self, name):
                trunc_normal_(getattr(self, name), std=self.init_std)

    def _temporal_term(self, num_frames: int, like: torch.Tensor) -> Optional[torch.Tensor]:
        """(T, D) temporal embedding, or None without one."""
        if self.temporal_pe == 'learned':
            embed = self.temporal_embed
            if len(embed) != num_frames:
                # Averages of neighbouring slots when T < slots, so every slot is trained.
                mode = 'area' if num_frames < len(embed) else 'linear'
                embed = F.interpolate(embed.t()[None], size=num_frames, mode=mode)[0].t()
            return embed
        if self.temporal_pe == 'sine':
            return sine_temporal_encoding(num_frames, like.shape[-1]).to(like)
        return None

    def _run(self, layers: nn.ModuleList, tokens: torch.Tensor) -> torch.Tensor:
        for layer in layers:
            if self.with_cp and tokens.requires_grad:
                tokens = checkpoint(layer, tokens, use_reentrant=False)
            else:
                tokens = layer(tokens)
        return tokens

    def forward(self, x: torch.Tensor, num_segs: Optional[int] = None, **kwargs) -> torch.Tensor:
        """Class scores of each view.

        Args:
            x: (N * V * T, C, h, w) frame maps, views and frames of a clip consecutive.
            num_segs: Maps per clip (V * T) given by :class:`Recognizer2D`; unused, views are
                split by ``num_segments``.

        Returns:
            torch.Tensor: (N * V, num_classes).
        """
        if x.dim() != 4 or x.shape[0] % self.num_segments:
            raise ValueError(f'VLFHead expects (N*V*{self.num_segments}, C, h, w) maps, got '
                             f'{tuple(x.shape)}')
        frames, _, height, width = x.shape
        tokens = self.proj_norm(self.proj(x).flatten(2).transpose(1, 2))  # (NVT, hw, D)
        mask = x.new_zeros((1, height, width), dtype=torch.bool)
        spatial = self.spatial_pe(mask).flatten(2).transpose(1, 2)  # (1, hw, D)
        tokens = self._run(self.spatial_layers, tokens + spatial)

        num_frames = self.num_segments
        tokens = tokens.reshape(frames // num_frames, num_frames, height * width, -1)
        tokens = tokens + spatial[:, None]
        temporal = self._temporal_term(num_frames, tokens)
        if temporal is not None:
            tokens = tokens + temporal[None, :, None]
        tokens = tokens.flatten(1, 2)  # (NV, T*hw, D)
        if self.pool == 'cls':
            tokens = torch.cat([self.cls_token.expand(len(tokens), -1, -1), tokens], dim=1)
        tokens = self._run(self.temporal_layers, tokens)
        if self.pool == 'frames':
            pooled = tokens.reshape(len(tokens), num_frames, height * width, -1).mean(dim=2)
            return self.mlp(self.norm(pooled).flatten(1))
        pooled = tokens[:, 0] if self.pool == 'cls' else tokens.mean(dim=1)
        return self.mlp(self.norm(pooled))
