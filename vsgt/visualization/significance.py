"""Significance maps of SGFormer3D's hybrid-scale blocks, captured with forward hooks and drawn
over the clip's frames.

A hybrid-scale block's attention returns ``(out, significance)``; the significance (B, T, H, W)
on the stage's token grid is what the next significance-guided block sorts tokens by. With
Person Attention Enhancement that block sorts by a guided key instead (``S + alpha * M * mean(S)``
or, in rank mode, persons above all others; M: the person boxes' coverage of each token), which is
what the "with PAE" maps show.
"""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn

from vsgt.models.backbones.pae import guide_significance
from vsgt.models.backbones.sgformer3d import HybridScaleAttention
from .figures import save_figure


def hybrid_blocks(backbone: nn.Module) -> Dict[str, nn.Module]:
    """``'stage.block'`` (0-based) -> hybrid-scale attention of each hybrid-scale block."""
    if not hasattr(backbone, 'stages'):
        raise ValueError(f'{type(backbone).__name__} has no hybrid-scale blocks (the '
                         'significance maps are SGFormer3D\'s)')
    return {f'{s}.{b}': block.attn for s, stage in enumerate(backbone.stages)
            for b, block in enumerate(stage.blocks) if isinstance(block.attn, HybridScaleAttention)}


def first_hybrid_blocks(backbone: nn.Module) -> List[str]:
    """The first hybrid-scale block of each stage that has one."""
    first = {}
    for name in hybrid_blocks(backbone):
        first.setdefault(name.split('.')[0], name)
    return list(first.values())


@torch.no_grad()
def capture_significance(backbone: nn.Module, clip: torch.Tensor,
                         person_boxes: Optional[List[torch.Tensor]],
                         blocks: Sequence[str]) -> Dict[str, torch.Tensor]:
    """Significance (B, T, H, W) of each named hybrid-scale block (see :func:`hybrid_blocks`)
    in a forward pass of ``backbone`` on ``clip``.

    With PAE, ``person_boxes`` (one (n, 4) tensor per sample, in clip pixels, or None for no
    person) steer the backbone and the maps are the guided significance the next block sorts by.
    """
    available = hybrid_blocks(backbone)
    unknown = [name for name in blocks if name not in available]
    if unknown:
        raise ValueError(f'no hybrid-scale block {unknown[0]} (stage.block); this backbone has '
                         f'{", ".join(available)}')
    captured = {}
    handles = [available[name].register_forward_hook(
        lambda module, args, output, name=name: captured.__setitem__(name, output[1]))
        for name in blocks]
    try:
        if getattr(backbone, 'pae', None) is not None:
            backbone(clip, person_boxes=person_boxes)
        else:
            backbone(clip)
    finally:
        for handle in handles:
            handle.remove()
    if getattr(backbone, 'pae', None) is not None and person_boxes is not None:
        for name, significance in captured.items():
            stage = int(name.split('.')[0])
            mask = backbone.pae.person_masks(person_boxes, clip.shape[0],
                                             tuple(significance.shape[1:]), stage, clip.device)
            weight = backbone.pae.guidance_weight(stage, mask)
            if weight is not None:
                captured[name] = guide_significance(significance, weight,
                                                    backbone.pae.guidance_mode)
    return captured


def significance_rows(backbone: nn.Module, clip: torch.Tensor, clip_boxes: torch.Tensor,
                      boxes: np.ndarray, blocks: Sequence[str]) -> List[dict]:
    """Rows for :func:`plot_significance`: per block, its significance without person boxes
    and, when the backbone has PAE, the significance guided by ``clip_boxes`` ((n, 4), in clip
    pixels; outlined as ``boxes``, the same boxes in frame pixels)."""
    with_pae = getattr(backbone, 'pae', None) is not None
    variants = [('no person boxes' if with_pae else 'no PAE', None, [])]
    if with_pae:
        variants.append((f'PAE: {len(boxes)} box(es)', [clip_boxes], boxes))
    maps = [capture_significance(backbone, clip, person_boxes, blocks)
            for _, person_boxes, _ in variants]
    # stage s of SGFormer3D has a spatial stride of 4 * 2 ** s
    return [dict(title=f'block {name}, {title}', map=captured[name][0].float().cpu().numpy(),
                 stride=4 * 2 ** int(name.split('.')[0]), boxes=outlined)
            for name in blocks for (title, _, outlined), captured in zip(variants, maps)]


def plot_significance(frames: Sequence[np.ndarray], rows: List[dict], input_size: Sequence[int],
                      out_file: str, num_frames: int = 4, dpi: int = 80,
                      colors: Optional[int] = None,
                      frame_ids: Optional[Sequence[int]] = None) -> None:
    """Draw significance maps over the frames of their clip and save a PNG.

    Each map is drawn over the middle frame of the frames its token time slice covers, titled
    with those frame numbers; each row has a colour bar of its significance values.

    Args:
        frames: The clip's BGR frames (original size).
        rows: One figure row each: ``title``, ``map`` ((T, H, W) array on the token grid),
            ``stride`` (token cell side in input pixels), ``boxes`` ((n, 4) pixel boxes of
            the original frames to outline, may be empty).
        input_size: (height, width) of the network input the grid covers.
        out_file: PNG path.
        num_frames: Time slices shown per row (evenly spaced).
        dpi: Resolution of the PNG.
        colors: Palette size of the PNG (see :func:`~.figures.save_figure`); None: full colour.
        frame_ids: The video's frame number of each clip frame (default: 0, 1, ...).
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    height, width = frames[0].shape[:2]
    frame_ids = list(range(len(frames))) if frame_ids is None else list(frame_ids)
    if len(frame_ids) != len(frames):
        raise ValueError(f'{len(frame_ids)} frame numbers for {len(frames)} frames')
    scale_y, scale_x = height / input_size[0], width / input_size[1]
    num_slices = rows[0]['map'].shape[0]
    slices = np.unique(np.linspace(0, num_slices - 1, min(num_frames, num_slices)).round()
                       ).astype(int)
    aspect = height / width
    figure = Figure(figsize=(2.2 * len(slices) + 0.9, (2.2 * aspect + 0.45) * len(rows)),
                    layout='constrained')
    axes = figure.subplots(len(rows), len(slices), squeeze=False)
    for row, row_axes in zip(rows, axes):
        values = row['map']
        low, high = float(values.min()), float(values.max())
        grid_h, grid_w = values.shape[1:]
        # token i's cell is centred on input pixel i * stride + 0.5, as the convolutions put it
        start = 0.5 - row['stride'] / 2
        extent = (start * scale_x, (start + grid_w * row['stride']) * scale_x,
                  (start + grid_h * row['stride']) * scale_y, start * scale_y)
        for t, ax in zip(slices, row_axes):
            # token slice t covers clip frames [first, last]
            first = t * len(frames) // num_slices
            last = max(first, (t + 1) * len(frames) // num_slices - 1)
            ax.imshow(frames[(first + last) // 2][..., ::-1], extent=(0, width, height, 0))
            image = ax.imshow(values[t], cmap='inferno', alpha=0.55, extent=extent,
                              interpolation='nearest', vmin=low,
                              vmax=high if high > low else low + 1)
            for x1, y1, x2, y2 in row['boxes']:
                ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False,
                                       edgecolor='cyan', linewidth=1.2))
            ax.set_xlim(0, width)
            ax.set_ylim(height, 0)
            ax.set_xticks([])
            ax.set_yticks([])
            span = (f'frame {frame_ids[first]}' if frame_ids[first] == frame_ids[last]
                    else f'frames {frame_ids[first]}-{frame_ids[last]}')
            ax.set_title(span, fontsize=7)
        row_axes[0].set_ylabel(row['title'], fontsize=7)
        bar = figure.colorbar(image, ax=list(row_axes), fraction=0.05, pad=0.02)
        bar.ax.tick_params(labelsize=6)
        bar.set_label('significance', fontsize=7)
    save_figure(figure, out_file, dpi, colors)
