"""SGFormer3D: the VSG-Transformer backbone, SG-Former's self-guided attention on video tokens.

Four stages work on a 3D token grid (T, H, W). Within stages 1-3 two kinds of block alternate:

* a *hybrid-scale* block (even index) splits its heads in two halves: one attends to a grid
  reduced by a strided Conv3d, the other within non-overlapping 3D windows. The attention each
  token receives, averaged over heads and queries, is the *significance* handed to the next block.
* a *significance-guided* block (odd index) sorts the tokens by that significance and merges them
  into a shorter key/value sequence: the least significant quarter in large groups, the middle
  half in medium groups and the most significant quarter in small groups (each group merged by a
  learned linear map over its members). Two such sequences, from the (T, H, W) and the (T, W, H)
  flattening, serve half of the heads each. Salient regions keep fine tokens; the background is
  summarised.

Stage 4 uses plain global attention. Every attention adds a locally-enhanced positional term
(LePE) and every MLP holds a depthwise 3x3x3 convolution, so there is no absolute position
embedding and any clip length and frame size work. Person Attention Enhancement (:mod:`.pae`) can
steer the significance and gate each stage's output with person boxes.

Choices the description of VSGT leaves open:

* Sorting is stable, so tokens of equal significance keep their flattening order; this is what
  makes the (T, H, W) and (T, W, H) sequences differ where the significance is flat.
* A part whose token count is not a multiple of its group size gets one partial group at its
  significant end; its empty slots are filled with the mean of the group's real tokens, so a
  merged token is always a combination of real tokens on the usual scale.
* Windows are shrunk to the grid where the grid is smaller; padded window positions are masked
  out of the keys and left out of the significance, and the attention a window's tokens receive
  is divided by the full window volume, so a window cut by the grid's edge is not more
  significant for having fewer tokens. The reduction conv pads the grid with zeros up to a
  multiple of its kernel (ceil mode); with ``num_frames`` its temporal kernel shrinks to a
  stage's time slices where they are fewer than the ratio.
* The global half of the significance is scaled by (reduced tokens) / (window volume), so that
  both halves hand out the same total; in the 2D SG-Former the two counts are equal (49) and the
  factor is 1.
* The hybrid-scale block computes its attention explicitly because the significance needs the
  probabilities; the significance is reduced from them without gradient. The other blocks use
  :func:`torch.nn.functional.scaled_dot_product_attention`.
"""
import math
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.model import BaseModule
from timm.layers import DropPath
from torch.utils.checkpoint import checkpoint

from .pae import PersonAttentionEnhancement, guide_significance

Grid = Tuple[int, int, int]
TokenGroups = Sequence[Tuple[float, int]]

REDUCTION_RATIOS = (8, 4, 2, 1)

ARCH_SETTINGS = {
    'tiny': dict(embed_dims=(16, 32, 64, 128), depths=(2, 2, 2, 1), num_heads=(2, 2, 4, 8),
                 drop_path_rate=0.0),
    'small': dict(embed_dims=(64, 128, 256, 512), depths=(2, 4, 16, 1), num_heads=(2, 4, 8, 16),
                  drop_path_rate=0.1),
    'medium': dict(embed_dims=(64, 128, 256, 512), depths=(2, 6, 28, 2), num_heads=(2, 4, 8, 16),
                   drop_path_rate=0.2),
    'base': dict(embed_dims=(96, 192, 384, 768), depths=(4, 6, 24, 2), num_heads=(4, 6, 12, 24),
                 drop_path_rate=0.4),
}

# For each reduction ratio: (fraction of the tokens, group size) from least to most significant.
# 'faithful' reuses the 2D SG-Former group sizes, as the public 3D port did. 'light' merges twice
# as many tokens per group at ratios 8 and 4 and, at ratio 2, merges every part instead of keeping
# the upper half, which is where the faithful setting spends most of its attention cost.
# 'small' on one 32x224x224 clip (fvcore): 142.1 GFLOPs faithful, 122.2 with stem='light',
# 95.6 with stem='light' and token_groups='light', 49.8 with stem='light_t4' (mmaction2's Video
# Swin-T: 88.1; with 4x4x4 patches, the token grid of 'light_t4': 44.3).
TOKEN_GROUPS = {
    'faithful': {
        8: ((0.25, 196), (0.5, 56), (0.25, 28)),
        4: ((0.25, 49), (0.5, 14), (0.25, 7)),
        2: ((0.5, 2), (0.5, 1)),
    },
    'light': {
        8: ((0.25, 392), (0.5, 112), (0.25, 56)),
        4: ((0.25, 98), (0.5, 28), (0.25, 14)),
        2: ((0.25, 8), (0.5, 4), (0.25, 2)),
    },
}

STEM_TYPES = ('faithful', 'light', 'light_t4')


def group_tokens_by_significance(
        significance: torch.Tensor,
        token_groups: TokenGroups) -> List[Tuple[torch.Tensor, torch.Tensor]]:
    """Sort tokens by significance and cut the order into groups.

    Args:
        significance: (B, N) significance of each token.
        token_groups: (fraction, group size) per part, from least to most significant; the
            fractions sum to 1. The last part takes whatever the rounding of the others leaves.

    Returns:
        One ``(index, valid)`` pair per part: ``index`` (B, num_groups, group_size) holds token
        indices, ``valid`` (num_groups, group_size) is False on the slots that pad the last group.
    """
    batch_size, num_tokens = significance.shape
    order = torch.sort(significance, dim=1, stable=True).indices
    groups = []
    start, cumulative = 0, 0.0
    for part, (fraction, group_size) in enumerate(token_groups):
        cumulative += fraction
        end = (num_tokens if part == len(token_groups) - 1 else
               math.floor(cumulative * num_tokens + 1e-6))
        count = end - start
        num_groups = math.ceil(count / group_size)
        index = F.pad(order[:, start:end], (0, num_groups * group_size - count))
        valid = torch.arange(num_groups * group_size, device=significance.device) < count
        groups.append((index.view(batch_size, num_groups, group_size),
                       valid.view(num_groups, group_size)))
        start = end
    return groups


def merge_token_groups(tokens: torch.Tensor, groups: List[Tuple[torch.Tensor, torch.Tensor]],
                       merges: nn.ModuleList) -> torch.Tensor:
    """Merge each group of tokens into one token with its part's ``Linear(group_size, 1)``.

    Args:
        tokens: (B, N, C) tokens.
        groups: output of :func:`group_tokens_by_significance`.
        merges: one ``nn.Linear(group_size, 1)`` per part.

    Returns:
        (B, total number of groups, C), parts in order of increasing significance.
    """
    batch_size, _, channels = tokens.shape
    merged = []
    for (index, valid), merge in zip(groups, merges):
        num_groups, group_size = valid.shape
        members = torch.gather(tokens, 1, index.flatten(1, 2)[..., None].expand(-1, -1, channels))
        members = members.view(batch_size, num_groups, group_size, channels)
        if not bool(valid.all()):
            mask = valid[..., None].to(members.dtype)
            mean = (members * mask).sum(2, keepdim=True) / mask.sum(1, keepdim=True)
            members = torch.where(valid[..., None], members, mean)
        merged.append(F.linear(members.transpose(2, 3), merge.weight, merge.bias).squeeze(-1))
    return torch.cat(merged, dim=1)


def _window_partition(x: torch.Tensor, window: Grid) -> torch.Tensor:
    """(B, T, H, W, C) with each size a multiple of ``window`` -> (B, num_windows, volume, C)."""
    batch_size, t, h, w, channels = x.shape
    wt, wh, ww = window
    x = x.view(batch_size, t // wt, wt, h // wh, wh, w // ww, ww, channels)
    return x.permute(0, 1, 3, 5, 2, 4, 6, 7).reshape(batch_size, -1, wt * wh * ww, channels)


def _window_reverse(windows: torch.Tensor, window: Grid, grid: Grid) -> torch.Tensor:
    """Inverse of :func:`_window_partition`: (B, num_windows, volume, C) -> (B, T, H, W, C)."""
    batch_size, channels = windows.shape[0], windows.shape[-1]
    (wt, wh, ww), (t, h, w) = window, grid
    x = windows.view(batch_size, t // wt, h // wh, w // ww, wt, wh, ww, channels)
    return x.permute(0, 1, 4, 2, 5, 3, 6, 7).reshape(batch_size, t, h, w, channels)


def _pad_grid(x: torch.Tensor, multiple: Grid) -> torch.Tensor:
    """Zero-pad the three grid dims of a (B, T, H, W, C) tensor up to multiples of ``multiple``."""
    pads = [(-size) % m for size, m in zip(x.shape[1:4], multiple)]
    if not any(pads):
        return x
    return F.pad(x, (0, 0, 0, pads[2], 0, pads[1], 0, pads[0]))


def _to_map(tokens: torch.Tensor, grid: Grid) -> torch.Tensor:
    """(B, N, C) tokens -> (B, C, T, H, W) map, a channels-last view where the tokens are
    contiguous (CPU convolutions are many times faster on channels-last input)."""
    return tokens.view(tokens.shape[0], *grid, -1).permute(0, 4, 1, 2, 3)


class ConvNorm3d(nn.Sequential):
    """Conv3d without bias followed by a GroupNorm with one group."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Grid, stride: Grid,
                 padding: Grid, groups: int = 1):
        super().__init__()
        self.conv = nn.Conv3d(in_channels, out_channels, kernel_size, stride, padding,
                              groups=groups, bias=False)
        self.norm = nn.GroupNorm(1, out_channels)


class Stem(nn.Module):
    """Three Conv3d+norm layers with GELU between them, then LayerNorm.

    ``'faithful'``: (1,3,3)/(1,2,2), (3,3,3)/(2,1,1), (1,3,3)/(1,2,2), all ``out_channels`` wide;
    net stride (2, 4, 4).
    ``'light'``: the 3x3x3 conv halves time and space at once and reads ``out_channels // 2``
    channels, so it runs on a quarter of the grid: (1,3,3)/(1,2,2), (3,3,3)/(2,2,2), (1,3,3)/1;
    net stride (2, 4, 4).
    ``'light_t4'``: as ``'light'`` with the first conv also 3x3x3 and halving time:
    (3,3,3)/(2,2,2), (3,3,3)/(2,2,2), (1,3,3)/1; net stride (4, 4, 4), so every stage has half
    the tokens of the other stems.
    """

    def __init__(self, in_channels: int, out_channels: int, stem_type: str = 'faithful'):
        super().__init__()
        kernel1 = (1, 3, 3)
        if stem_type == 'faithful':
            hidden, strides = out_channels, ((1, 2, 2), (2, 1, 1), (1, 2, 2))
        elif stem_type == 'light':
            hidden, strides = out_channels // 2, ((1, 2, 2), (2, 2, 2), (1, 1, 1))
        elif stem_type == 'light_t4':
            kernel1 = (3, 3, 3)
            hidden, strides = out_channels // 2, ((2, 2, 2), (2, 2, 2), (1, 1, 1))
        else:
            raise ValueError(f'stem must be one of {STEM_TYPES}, got {stem_type!r}')
        self.conv1 = ConvNorm3d(in_channels, hidden, kernel1, strides[0],
                                tuple(k // 2 for k in kernel1))
        self.conv2 = ConvNorm3d(hidden, out_channels, (3, 3, 3), strides[1], (1, 1, 1))
        self.conv3 = ConvNorm3d(out_channels, out_channels, (1, 3, 3), strides[2], (0, 1, 1))
        self.act = nn.GELU()
        self.norm = nn.LayerNorm(out_channels)  # PyTorch's eps 1e-5, as in the public SG-Former

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv3(self.act(self.conv2(self.act(self.conv1(x)))))
        return self.norm(x.movedim(1, -1)).movedim(-1, 1)


class Downsample(nn.Module):
    """1x1x1 conv to the new width, depthwise (1,3,3) conv with spatial stride 2, 1x1x1 conv."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv1 = ConvNorm3d(in_channels, out_channels, (1, 1, 1), (1, 1, 1), (0, 0, 0))
        self.conv2 = ConvNorm3d(out_channels, out_channels, (1, 3, 3), (1, 2, 2), (0, 1, 1),
                                groups=out_channels)
        self.conv3 = ConvNorm3d(out_channels, out_channels, (1, 1, 1), (1, 1, 1), (0, 0, 0))
        self.act = nn.GELU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv3(self.act(self.conv2(self.act(self.conv1(x)))))


class DepthwiseConv3d(nn.Module):
    """Depthwise 3x3x3 convolution over the token grid of (B, N, C) tokens."""

    def __init__(self, dim: int):
        super().__init__()
        self.conv = nn.Conv3d(dim, dim, 3, padding=1, groups=dim)

    def forward(self, x: torch.Tensor, grid: Grid) -> torch.Tensor:
        return self.conv(_to_map(x, grid)).flatten(2).transpose(1, 2)


class LePE(nn.Module):
    """Locally-enhanced positional term: a linear layer, then a depthwise 3x3x3 conv."""

    def __init__(self, dim: int):
        super().__init__()
        self.linear = nn.Linear(dim, dim)
        self.conv = DepthwiseConv3d(dim)

    def forward(self, x: torch.Tensor, grid: Grid) -> torch.Tensor:
        return self.conv(self.linear(x), grid)


class Mlp(nn.Module):
    """``fc2(act(h + dwconv(h)))`` with ``h = fc1(x)``."""

    def __init__(self, dim: int, hidden_dim: int, drop: float = 0.0):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden_dim)
        self.dwconv = DepthwiseConv3d(hidden_dim)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_dim, dim)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor, grid: Grid) -> torch.Tensor:
        x = self.fc1(x)
        x = self.drop(self.act(x + self.dwconv(x, grid)))
        return self.drop(self.fc2(x))


class _Attention(nn.Module):
    """Shared parts: head layout, LePE and output projection."""

    def __init__(self, dim: int, num_heads: int, attn_drop: float, proj_drop: float):
        super().__init__()
        if dim % num_heads:
            raise ValueError(f'dim {dim} is not divisible by num_heads {num_heads}')
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.scale = self.head_dim ** -0.5
        self.attn_drop = attn_drop
        self.lepe = LePE(dim)
        self.proj = nn.Linear(dim, dim)
        self.proj_drop = nn.Dropout(proj_drop)

    def _heads(self, x: torch.Tensor, parts: int) -> torch.Tensor:
        """(B, L, parts * heads * head_dim) -> (parts, B, heads, L, head_dim)."""
        batch_size, length, _ = x.shape
        return x.view(batch_size, length, parts, -1, self.head_dim).permute(2, 0, 3, 1, 4)

    def _sdpa(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return F.scaled_dot_product_attention(
            q, k, v, dropout_p=self.attn_drop if self.training else 0.0)

    def _output(self, x: torch.Tensor, attn_input: torch.Tensor, grid: Grid) -> torch.Tensor:
        return self.proj_drop(self.proj(x + self.lepe(attn_input, grid)))


class _WindowedAttention(_Attention):
    """Attention within non-overlapping 3D windows of ``q_local`` / ``kv_local`` projections."""

    def _attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                key_mask: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, torch.Tensor]:
        """Explicit attention; also returns the probabilities before dropout."""
        logits = (q * self.scale) @ k.transpose(-2, -1)
        if key_mask is not None:
            logits = logits.masked_fill(~key_mask[..., None, :], float('-inf'))
        probs = logits.softmax(dim=-1)
        dropped = F.dropout(probs, self.attn_drop, self.training) if self.attn_drop else probs
        return dropped @ v, probs

    def _local(self, x: torch.Tensor, grid: Grid) -> Tuple[torch.Tensor, torch.Tensor]:
        batch_size, num_tokens, _ = x.shape
        window = tuple(min(w, g) for w, g in zip(self.window_size, grid))
        qkv = torch.cat([self.q_local(x), self.kv_local(x)], dim=-1)
        qkv = _pad_grid(qkv.view(batch_size, *grid, -1), window)
        padded_grid = qkv.shape[1:4]
        windows = _window_partition(qkv, window)
        num_windows, volume = windows.shape[1:3]
        q, k, v = windows.view(batch_size * num_windows, volume, 3, -1, self.head_dim).permute(
            2, 0, 3, 1, 4)
        valid = None
        if padded_grid != tuple(grid):
            valid = torch.zeros(padded_grid, dtype=torch.bool, device=x.device)
            valid[:grid[0], :grid[1], :grid[2]] = True
            valid = _window_partition(valid[None, ..., None], window).view(num_windows, volume)
            valid = valid.repeat(batch_size, 1)[:, None]
        out, probs = self._attend(q, k, v, valid)
        with torch.no_grad():
            # Attention received, summed over the valid queries and divided by the full window
            # volume: a window with v valid tokens hands out v / volume in all, so a token of a
            # partial window weighs as much as one of a full window.
            probs = probs.mean(dim=1)
            if valid is not None:
                probs = probs * valid[:, 0, :, None].to(probs.dtype)
            received = probs.sum(dim=1) / volume
            received = _window_reverse(received.view(batch_size, num_windows, volume, 1), window,
                                       padded_grid)
            significance = received[:, :grid[0], :grid[1], :grid[2], 0]
        out = out.transpose(1, 2).reshape(batch_size, num_windows, volume, -1)
        out = _window_reverse(out, window, padded_grid)[:, :grid[0], :grid[1], :grid[2]]
        return out.reshape(batch_size, num_tokens, -1), significance


class WindowAttention(_WindowedAttention):
    """Plain multi-head attention within 3D windows (no shift, no significance): the
    ``attention='window'`` replacement of the hybrid-scale and significance-guided blocks."""

    def __init__(self, dim: int, num_heads: int, window_size: Grid, qkv_bias: bool = True,
                 attn_drop: float = 0.0, proj_drop: float = 0.0):
        super().__init__(dim, num_heads, attn_drop, proj_drop)
        self.window_size = tuple(window_size)
        self.q_local = nn.Linear(dim, dim, bias=qkv_bias)
        self.kv_local = nn.Linear(dim, 2 * dim, bias=qkv_bias)

    def forward(self, x: torch.Tensor, grid: Grid) -> torch.Tensor:
        return self._output(self._local(x, grid)[0], x, grid)


class HybridScaleAttention(_WindowedAttention):
    """Half the heads attend to a reduced grid, half within 3D windows; yields the significance.

    Args:
        dim: token width.
        num_heads: number of heads (even; split into a global and a local half).
        reduction_ratio: kernel and stride of the Conv3d that reduces the grid for the global
            half, one int for all three dims or a (T, H, W) triple.
        window_size: (T, H, W) window of the local half, shrunk to the grid where it is smaller.
        qkv_bias: add a bias to the query/key/value projections.
        attn_drop: dropout on the attention probabilities.
        proj_drop: dropout after the output projection.
    """

    def __init__(self, dim: int, num_heads: int, reduction_ratio: Union[int, Grid],
                 window_size: Grid,
                 qkv_bias: bool = True, attn_drop: float = 0.0, proj_drop: float = 0.0):
        super().__init__(dim, num_heads, attn_drop, proj_drop)
        if num_heads % 2:
            raise ValueError(f'hybrid-scale attention needs an even num_heads, got {num_heads}')
        self.reduction = ((reduction_ratio, ) * 3 if isinstance(reduction_ratio, int) else
                          tuple(reduction_ratio))
        self.window_size = tuple(window_size)
        self.q_global = nn.Linear(dim, dim // 2, bias=qkv_bias)
        self.kv_global = nn.Linear(dim, dim, bias=qkv_bias)
        self.q_local = nn.Linear(dim, dim // 2, bias=qkv_bias)
        self.kv_local = nn.Linear(dim, dim, bias=qkv_bias)
        self.reduce = nn.Conv3d(dim, dim, self.reduction, stride=self.reduction)
        self.reduce_norm = nn.LayerNorm(dim)  # eps 1e-5, as in the public SG-Former
        self.reduce_act = nn.GELU()

    def _global(self, x: torch.Tensor, grid: Grid) -> Tuple[torch.Tensor, torch.Tensor]:
        batch_size, num_tokens, _ = x.shape
        reduced = _pad_grid(x.view(batch_size, *grid, -1), self.reduction).movedim(-1, 1)
        reduced = self.reduce(reduced)
        reduced_grid = reduced.shape[2:]
        reduced = self.reduce_act(self.reduce_norm(reduced.flatten(2).transpose(1, 2)))
        q = self._heads(self.q_global(x), 1)[0]
        k, v = self._heads(self.kv_global(reduced), 2)
        out, probs = self._attend(q, k, v)
        with torch.no_grad():
            received = probs.mean(dim=(1, 2)).view(batch_size, *reduced_grid)
            for dim, ratio in zip((1, 2, 3), self.reduction):
                received = received.repeat_interleave(ratio, dim=dim)
            significance = received[:, :grid[0], :grid[1], :grid[2]]
        return out.transpose(1, 2).reshape(batch_size, num_tokens, -1), significance

    def forward(self, x: torch.Tensor, grid: Grid) -> Tuple[torch.Tensor, torch.Tensor]:
        """Attend over (B, N, C) tokens of ``grid``; return the output and the (B, T, H, W)
        significance: the attention received from the global half (nearest-upsampled) and from
        the local half, each on the scale of one window.

        Each half's attention sums to 1 per query over its keys, so a key's share is about one
        over the half's key count: the reduced tokens for the global half, the window volume for
        the local one. The global half is rescaled by (reduced tokens) / (window volume), so that
        under uniform attention both halves give every token the same 1 / volume and neither
        decides the order by its scale alone. In the 2D SG-Former both counts are 49 at every
        stage (7x7 reduced tokens, 7x7 windows), so the factor is exactly 1 there and the sum is
        the public model's."""
        global_out, global_significance = self._global(x, grid)
        local_out, local_significance = self._local(x, grid)
        out = self._output(torch.cat([global_out, local_out], dim=-1), x, grid)
        num_reduced = math.prod(math.ceil(g / r) for g, r in zip(grid, self.reduction))
        volume = math.prod(min(w, g) for w, g in zip(self.window_size, grid))
        if num_reduced != volume:
            global_significance = global_significance * (num_reduced / volume)
        return out, global_significance + local_significance


class SignificanceGuidedAttention(_Attention):
    """All tokens query keys/values built from significance-sorted, group-merged tokens.

    Args:
        dim: token width.
        num_heads: number of heads (even; half per flattening order).
        token_groups: (fraction, group size) per part, from least to most significant.
        qkv_bias: add a bias to the query/key/value projections.
        attn_drop: dropout on the attention probabilities.
        proj_drop: dropout after the output projection.
    """

    def __init__(self, dim: int, num_heads: int, token_groups: TokenGroups,
                 qkv_bias: bool = True, attn_drop: float = 0.0, proj_drop: float = 0.0):
        super().__init__(dim, num_heads, attn_drop, proj_drop)
        if num_heads % 2:
            raise ValueError(f'significance-guided attention needs an even num_heads, '
                             f'got {num_heads}')
        self.token_groups = tuple((float(f), int(s)) for f, s in token_groups)
        if abs(sum(f for f, _ in self.token_groups) - 1) > 1e-6:
            raise ValueError(f'token group fractions must sum to 1, got {token_groups}')
        self.q = nn.Linear(dim, dim, bias=qkv_bias)
        self.kv_thw = nn.Linear(dim, dim, bias=qkv_bias)
        self.kv_twh = nn.Linear(dim, dim, bias=qkv_bias)
        self.merges = nn.ModuleList(nn.Linear(size, 1) for _, size in self.token_groups)
        self.guidance_mode = 'additive'

    def forward(self, x: torch.Tensor, grid: Grid, significance: torch.Tensor,
                person_weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Attend over (B, N, C) tokens of ``grid`` given the (B, T, H, W) ``significance``.

        ``person_weight`` (B, T, H, W), from Person Attention Enhancement, guides the sort
        (:func:`.pae.guide_significance` in the ``guidance_mode`` the backbone sets) and scales
        person tokens by ``1 + person_weight`` before merging.
        """
        batch_size, num_tokens, channels = x.shape
        tokens = x
        if person_weight is not None:
            significance = guide_significance(significance, person_weight.detach(),
                                              self.guidance_mode)
            tokens = x * (1 + person_weight.reshape(batch_size, num_tokens, 1))
        t, h, w = grid
        tokens_twh = tokens.view(batch_size, t, h, w, channels).transpose(2, 3)
        sequences = []
        for kv, seq, sig in ((self.kv_thw, tokens, significance),
                             (self.kv_twh, tokens_twh, significance.transpose(2, 3))):
            groups = group_tokens_by_significance(sig.reshape(batch_size, num_tokens),
                                                  self.token_groups)
            merged = merge_token_groups(seq.reshape(batch_size, num_tokens, channels), groups,
                                        self.merges)
            sequences.append(self._heads(kv(merged), 2))
        k, v = torch.cat(sequences, dim=2)
        q = self._heads(self.q(x), 1)[0]
        out = self._sdpa(q, k, v).transpose(1, 2).reshape(batch_size, num_tokens, channels)
        return self._output(out, x, grid)


class GlobalAttention(_Attention):
    """Plain multi-head self-attention over all tokens (stage 4)."""

    def __init__(self, dim: int, num_heads: int, qkv_bias: bool = True, attn_drop: float = 0.0,
                 proj_drop: float = 0.0):
        super().__init__(dim, num_heads, attn_drop, proj_drop)
        self.q = nn.Linear(dim, dim, bias=qkv_bias)
        self.kv = nn.Linear(dim, dim * 2, bias=qkv_bias)

    def forward(self, x: torch.Tensor, grid: Grid) -> torch.Tensor:
        batch_size, num_tokens, channels = x.shape
        q = self._heads(self.q(x), 1)[0]
        k, v = self._heads(self.kv(x), 2)
        out = self._sdpa(q, k, v).transpose(1, 2).reshape(batch_size, num_tokens, channels)
        return self._output(out, x, grid)


class SGFormerBlock(nn.Module):
    """Pre-norm transformer block around one of the three attention kinds.

    Args:
        dim: token width.
        num_heads: number of attention heads.
        kind: ``'hybrid'``, ``'guided'``, ``'global'`` or ``'window'``.
        reduction_ratio: grid reduction of the hybrid-scale global half (an int or a
            (T, H, W) triple).
        window_size: window of the hybrid-scale local half.
        token_groups: merge groups of the significance-guided attention.
        mlp_ratio: MLP hidden width over ``dim``.
        qkv_bias: add a bias to the query/key/value projections.
        drop: dropout after the projections.
        attn_drop: dropout on the attention probabilities.
        drop_path: stochastic depth rate.
    """

    def __init__(self, dim: int, num_heads: int, kind: str,
                 reduction_ratio: Union[int, Grid] = 1,
                 window_size: Grid = (8, 7, 7), token_groups: Optional[TokenGroups] = None,
                 mlp_ratio: float = 4.0, qkv_bias: bool = True, drop: float = 0.0,
                 attn_drop: float = 0.0, drop_path: float = 0.0):
        super().__init__()
        self.kind = kind
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        if kind == 'hybrid':
            self.attn = HybridScaleAttention(dim, num_heads, reduction_ratio, window_size,
                                             qkv_bias, attn_drop, drop)
        elif kind == 'guided':
            self.attn = SignificanceGuidedAttention(dim, num_heads, token_groups, qkv_bias,
                                                    attn_drop, drop)
        elif kind == 'global':
            self.attn = GlobalAttention(dim, num_heads, qkv_bias, attn_drop, drop)
        elif kind == 'window':
            self.attn = WindowAttention(dim, num_heads, window_size, qkv_bias, attn_drop, drop)
        else:
            raise ValueError(f'unknown block kind {kind!r}')
        self.drop_path = DropPath(drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), drop)

    def forward(self, x: torch.Tensor, grid: Grid, significance: Optional[torch.Tensor] = None,
                person_weight: Optional[torch.Tensor] = None
                ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        """Return the new tokens and the significance for the next block (a hybrid-scale block
        computes it, the others pass theirs on)."""
        y = self.norm1(x)
        if self.kind == 'hybrid':
            y, significance = self.attn(y, grid)
        elif self.kind == 'guided':
            y = self.attn(y, grid, significance, person_weight)
        else:
            y = self.attn(y, grid)
        x = x + self.drop_path(y)
        x = x + self.drop_path(self.mlp(self.norm2(x), grid))
        return x, significance


class SGFormerStage(nn.Module):
    """Entry layer (stem or downsampling), blocks and a closing LayerNorm."""

    def __init__(self, entry: nn.Module, blocks: List[SGFormerBlock], dim: int):
        super().__init__()
        self.entry = entry
        self.blocks = nn.ModuleList(blocks)
        self.norm = nn.LayerNorm(dim, eps=1e-6)


@MODELS.register_module()
class SGFormer3D(BaseModule):
    """The VSG-Transformer backbone: SG-Former's self-guided attention on spatio-temporal tokens.

    Args:
        arch: ``'tiny'``, ``'small'``, ``'medium'``, ``'base'`` or a dict with ``embed_dims``,
            ``depths`` and ``num_heads`` (four entries each; heads even in stages 1-3).
        in_channels: input channels.
        stem: ``'faithful'`` (VSGT's stem), ``'light'`` or ``'light_t4'`` (temporal stride
            4, half the tokens; see :class:`Stem`).
        token_groups: ``'faithful'``, ``'light'`` (see ``TOKEN_GROUPS``) or a dict mapping each
            reduction ratio 8, 4, 2 to ((fraction, group size), ...) from least to most
            significant.
        window_size: (T, H, W) window of the hybrid-scale local half.
        num_frames: the clip length the model is built for, or None. Where a stage has fewer
            time slices than its reduction ratio (e.g. 8 frames: 4 slices at stage 1, ratio 8),
            the reduction's temporal kernel and stride shrink to the slice count, so that no
            temporal tap only ever sees padding; clips of other lengths still run (padded up to
            the kernel). None keeps the full ratio (the faithful shapes, e.g. 32 frames: 16
            slices, every tap used).
        attention: ``'self_guided'`` (SG-Former's hybrid-scale and significance-guided blocks)
            or ``'window'``: every block of stages 1-3 is plain windowed attention instead (same
            window, no shift, no significance), the ablation that isolates the reallocation.
        mlp_ratio: MLP hidden width over the token width.
        qkv_bias: add a bias to the query/key/value projections.
        drop_rate: dropout after projections and in MLPs.
        attn_drop_rate: dropout on attention probabilities.
        drop_path_rate: stochastic depth of the last block, rising linearly from 0 over all blocks
            of the network; None takes the arch's default (0.1 / 0.2 / 0.4 for S / M / B).
        out_indices: stages (0-3) whose outputs are returned. Stages after the last of them are
            not built (the drop-path schedule still spans all blocks of the arch).
        frozen_stages: -1 freezes nothing, 0 the stem, i the stem and stages 1..i (eval mode,
            no gradient). PAE parameters are never frozen.
        with_cp: recompute each block in the backward pass (gradient checkpointing).
        with_pae: enable Person Attention Enhancement (see :mod:`.pae`).
        pae_guidance_init: initial guidance weight alpha of Person Attention Enhancement.
        pae_guidance: PAE raises the significance of person tokens (alpha); needs
            ``attention='self_guided'``.
        pae_guidance_mode: ``'additive'`` (sort by ``S + alpha * M * mean(S)``) or ``'rank'``
            (covered tokens sort above every uncovered one, so they take the finest groups
            first); see :mod:`.pae`.
        pae_enhancement: PAE enhances person tokens after each stage (gamma).
        pretrained: checkpoint to load in :meth:`init_weights` (sets a ``Pretrained`` init_cfg).
        init_cfg: mmengine initialisation config, applied by :meth:`init_weights` on top of the
            SG-Former initialisation the weights get at construction.

    Calling the backbone returns a (B, C, T, H, W) map, or a tuple of them when ``out_indices``
    names several stages. The net strides of stages 1-4 are (s, 4, 4), (s, 8, 8), (s, 16, 16) and
    (s, 32, 32) with the stem's temporal stride s (2, or 4 for ``'light_t4'``); sizes are rounded
    up at each stride.
    """

    def __init__(self,
                 arch: Union[str, Dict] = 'small',
                 in_channels: int = 3,
                 stem: str = 'faithful',
                 token_groups: Union[str, Dict[int, TokenGroups]] = 'faithful',
                 window_size: Grid = (8, 7, 7),
                 num_frames: Optional[int] = None,
                 attention: str = 'self_guided',
                 mlp_ratio: float = 4.0,
                 qkv_bias: bool = True,
                 drop_rate: float = 0.0,
                 attn_drop_rate: float = 0.0,
                 drop_path_rate: Optional[float] = None,
                 out_indices: Sequence[int] = (3, ),
                 frozen_stages: int = -1,
                 with_cp: bool = False,
                 with_pae: bool = False,
                 pae_guidance_init: float = 1.0,
                 pae_guidance: bool = True,
                 pae_guidance_mode: str = 'additive',
                 pae_enhancement: bool = True,
                 pretrained: Optional[str] = None,
                 init_cfg: Optional[Union[Dict, List[Dict]]] = None):
        if pretrained is not None:
            if init_cfg is not None:
                raise ValueError('give either pretrained or init_cfg, not both')
            init_cfg = dict(type='Pretrained', checkpoint=pretrained)
        super().__init__(init_cfg=init_cfg)
        if isinstance(arch, str):
            if arch not in ARCH_SETTINGS:
                raise ValueError(f'arch must be one of {sorted(ARCH_SETTINGS)}, got {arch!r}')
            arch = ARCH_SETTINGS[arch]
        embed_dims, depths, num_heads = (tuple(arch[k]) for k in
                                         ('embed_dims', 'depths', 'num_heads'))
        if not len(embed_dims) == len(depths) == len(num_heads) == len(REDUCTION_RATIOS):
            raise ValueError('arch needs four embed_dims, depths and num_heads')
        if drop_path_rate is None:
            drop_path_rate = arch.get('drop_path_rate', 0.0)
        if isinstance(token_groups, str):
            if token_groups not in TOKEN_GROUPS:
                raise ValueError(f'token_groups must be one of {sorted(TOKEN_GROUPS)} or a dict, '
                                 f'got {token_groups!r}')
            token_groups = TOKEN_GROUPS[token_groups]
        if attention not in ('self_guided', 'window'):
            raise ValueError(f"attention must be 'self_guided' or 'window', got {attention!r}")
        if with_pae and pae_guidance and attention == 'window':
            raise ValueError("PAE's guidance steers the significance, which attention='window' "
                             'does not compute: set pae_guidance=False')
        if with_pae and not (pae_guidance or pae_enhancement):
            raise ValueError('with_pae needs pae_guidance or pae_enhancement')
        self.out_indices = tuple(out_indices)
        if not self.out_indices or any(i not in range(4) for i in self.out_indices):
            raise ValueError(f'out_indices must be a non-empty subset of 0..3, got {out_indices}')
        num_stages = max(self.out_indices) + 1
        if frozen_stages not in range(-1, num_stages + 1):
            raise ValueError(f'frozen_stages must be in -1..{num_stages} (the stages built for '
                             f'out_indices {self.out_indices}), got {frozen_stages}')
        self.frozen_stages = frozen_stages
        self.with_cp = with_cp

        if num_frames is not None and num_frames < 1:
            raise ValueError(f'num_frames must be positive or None, got {num_frames}')
        time_slices = (None if num_frames is None else
                       math.ceil(num_frames / (4 if stem == 'light_t4' else 2)))
        drop_path = torch.linspace(0, drop_path_rate, sum(depths)).tolist()
        self.stages = nn.ModuleList()
        for i, (dim, depth, heads, ratio) in enumerate(
                zip(embed_dims[:num_stages], depths, num_heads, REDUCTION_RATIOS)):
            if ratio > 1 and depth > 1 and ratio not in token_groups:
                raise ValueError(f'token_groups has no entry for reduction ratio {ratio}')
            entry = Stem(in_channels, dim, stem) if i == 0 else Downsample(embed_dims[i - 1], dim)
            blocks = []
            for j in range(depth):
                kind = 'global' if ratio == 1 else 'window' if attention == 'window' else (
                    'hybrid' if j % 2 == 0 else 'guided')
                reduction = ratio if time_slices is None else (min(ratio, time_slices), ratio,
                                                               ratio)
                blocks.append(SGFormerBlock(
                    dim, heads, kind, reduction_ratio=reduction, window_size=window_size,
                    token_groups=token_groups.get(ratio), mlp_ratio=mlp_ratio, qkv_bias=qkv_bias,
                    drop=drop_rate, attn_drop=attn_drop_rate,
                    drop_path=drop_path[sum(depths[:i]) + j]))
            self.stages.append(SGFormerStage(entry, blocks, dim))

        self.pae = None
        if with_pae:
            self.pae = PersonAttentionEnhancement(
                embed_dims[:num_stages], strides=[4 * 2 ** i for i in range(num_stages)],
                guided_stages=[r > 1 and pae_guidance for r in REDUCTION_RATIOS[:num_stages]],
                guidance_init=pae_guidance_init, guidance_mode=pae_guidance_mode,
                enhancement=pae_enhancement,
                temporal_stride=4 if stem == 'light_t4' else 2)
            for module in self.modules():
                if isinstance(module, SignificanceGuidedAttention):
                    module.guidance_mode = pae_guidance_mode

        self.apply(self._init_module)
        self._freeze_stages()

    @staticmethod
    def _init_module(module: nn.Module):
        """SG-Former's initialisation: trunc-normal linears, He-normal convs (fan-out per group),
        unit norms."""
        if isinstance(module, nn.Linear):
            nn.init.trunc_normal_(module.weight, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Conv3d):
            fan_out = math.prod(module.kernel_size) * module.out_channels // module.groups
            nn.init.normal_(module.weight, 0, math.sqrt(2.0 / fan_out))
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, (nn.LayerNorm, nn.GroupNorm)):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)

    def _freeze_stages(self):
        """Put the frozen part (``stages[0].entry`` is the stem) in eval mode without gradients."""
        if self.frozen_stages < 0:
            return
        frozen = [self.stages[0].entry] + list(self.stages[:self.frozen_stages])
        for module in frozen:
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True) -> 'SGFormer3D':
        """Set the training mode, keeping frozen stages in eval mode."""
        super().train(mode)
        self._freeze_stages()
        return self

    def _run_block(self, block: SGFormerBlock, *args):
        if self.with_cp and torch.is_grad_enabled():
            return checkpoint(block, *args, use_reentrant=False)
        return block(*args)

    def forward(self, x: torch.Tensor, person_boxes: Optional[Sequence[torch.Tensor]] = None
                ) -> Union[torch.Tensor, Tuple[torch.Tensor, ...]]:
        """Compute the feature maps of a clip.

        Args:
            x: (B, C, T, H, W) clip.
            person_boxes: with ``with_pae``, one tensor of person boxes per sample, in the
                clip's pixel coordinates: (n_i, 4) x1, y1, x2, y2 (the key frame's boxes, marked
                on every time slice) or (n_i, 5) frame, x1, y1, x2, y2 (each box on the slice of
                its clip frame). None means no persons. Ignored without ``with_pae``.

        Returns:
            The (B, C_i, T_i, H_i, W_i) map of the single out index, or a tuple in stage order.
        """
        batch_size = x.shape[0]
        outs = []
        for i, stage in enumerate(self.stages):
            x = stage.entry(x)
            grid = tuple(x.shape[2:])
            tokens = x.flatten(2).transpose(1, 2)
            person_mask = person_weight = None
            if self.pae is not None:
                person_mask = self.pae.person_masks(person_boxes, batch_size, grid, i, x.device)
                person_weight = self.pae.guidance_weight(i, person_mask)
            significance = None
            for block in stage.blocks:
                tokens, significance = self._run_block(block, tokens, grid, significance,
                                                       person_weight)
            tokens = stage.norm(tokens)
            if self.pae is not None:
                tokens = self.pae.enhance(i, tokens, person_mask)
            x = _to_map(tokens, grid)
            if i in self.out_indices:
                outs.append(x.contiguous())
        return outs[0] if len(outs) == 1 else tuple(outs)
