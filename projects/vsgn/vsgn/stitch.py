"""Video self-stitching (VSS): cut short clips out of long windows, magnify and stitch."""
import math
from typing import Dict, List, Tuple

import numpy as np
import torch
from mmaction.registry import DATASETS, TRANSFORMS
from mmcv.transforms import BaseTransform

from vsgt.datasets.tal import TALFeatureDataset


def magnify(feature: np.ndarray, length: int) -> np.ndarray:
    """``(n, C)`` features linearly interpolated to ``(length, C)``, ends aligned."""
    position = np.linspace(0, len(feature) - 1, length)
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, len(feature) - 1)
    weight = (position - low)[:, None].astype(feature.dtype)
    return feature[low] * (1 - weight) + feature[high] * weight


def stitch_segments(segments: np.ndarray, n: int, gap: int, m: int,
                    round_steps: bool = True) -> np.ndarray:
    """Segments of the original ``n`` steps and their copies in the magnified part.

    ``round_steps`` (official): ``[s, e]`` rounded to whole steps and clipped to ``[0, n - 1]``,
    the copy ``n + gap + round(x m / n)`` clipped to ``[n + gap, n + gap + m - 1]``; otherwise in
    float steps, clipped to ``[0, n]`` and ``[n + gap, n + gap + m]``.
    """
    if round_steps:
        original = np.clip(np.round(segments), 0, n - 1)
        copy_ = n + gap + np.clip(np.round(segments / n * m), 0, m - 1)
    else:
        original = np.clip(segments, 0, n)
        copy_ = np.clip(n + gap + segments * (m / n), n + gap, n + gap + m)
    return np.concatenate([original, copy_])


def map_back(segments: torch.Tensor, n: int, gap: int, m: int) -> torch.Tensor:
    """Segments of a stitched window in the original part's steps: those starting at ``>= n``
    (gap or copy) by ``x -> (x - n - gap) n / m``, the others as they are (not clipped)."""
    in_copy = segments[..., :1] >= n
    return torch.where(in_copy, (segments - n - gap) * (n / m), segments)


@TRANSFORMS.register_module()
class VideoSelfStitch(BaseTransform):
    """Stitch a short window to a magnified copy of itself.

    A sample with ``n <= stitch_ratio * T`` valid steps becomes ``[the n steps | gap zero
    steps | the n steps magnified to m = T - n - gap]``; its ground truth is doubled (see
    :func:`stitch_segments`). A clip cut by :class:`VSSCutDataset` (``vss_clip_length`` in the
    results) is first cut to that length. With ``round_gt`` (official) the ground truth of every
    sample, stitched or not, is rounded to whole steps inside its ``n`` valid ones.

    Required keys: ``feature`` ``(T, C)``, ``num_valid``, ``gt_segments``, ``gt_labels``
    (optional ``vss_clip_length``). Modified: ``feature``, ``num_valid`` (``T`` once stitched),
    ``gt_segments``, ``gt_labels``. Added: ``stitch = dict(n=, gap=, m=)`` (``gap = m = 0``: not
    stitched).

    Args:
        stitch_ratio: longest stitched sample, in windows.
        gap: zero steps between the original and the copy (30 at ``T = 1280``).
        round_gt: round the ground truth to whole steps (``False``: float steps).
    """

    def __init__(self, stitch_ratio: float = 0.4, gap: int = 30, round_gt: bool = True):
        self.stitch_ratio = stitch_ratio
        self.gap = gap
        self.round_gt = round_gt

    def transform(self, results: Dict) -> Dict:
        feature = results['feature']
        window = len(feature)
        n = int(results['num_valid'])
        if 'vss_clip_length' in results:
            n = min(n, int(results['vss_clip_length']))
            feature = feature.copy()
            feature[n:] = 0
        m = window - n - self.gap
        segments = np.asarray(results['gt_segments'], dtype=np.float64).reshape(-1, 2)
        if n < 1 or n > self.stitch_ratio * window or m < 1:
            if self.round_gt and n >= 1:
                segments = np.clip(np.round(segments), 0, n - 1)
            results.update(feature=feature, num_valid=n, stitch=dict(n=n, gap=0, m=0),
                           gt_segments=segments)
            return results
        stitched = np.zeros_like(feature)
        stitched[:n] = feature[:n]
        stitched[n + self.gap:] = magnify(feature[:n], m)
        results.update(feature=stitched, num_valid=window, stitch=dict(n=n, gap=self.gap, m=m),
                       gt_segments=stitch_segments(segments, n, self.gap, m, self.round_gt),
                       gt_labels=np.concatenate([results['gt_labels']] * 2))
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(stitch_ratio={self.stitch_ratio}, '
                f'gap={self.gap}, round_gt={self.round_gt})')


def draw_clip(actions: np.ndarray, seed: int, span: Tuple[float, float],
              length: int) -> Tuple[int, float, np.ndarray]:
    """Draw a clip of at most ``length`` steps around action ``seed``.

    The start is a whole step drawn uniformly in ``[s - (length - len), s]`` of the seed action
    ``[s, e]``, no earlier than the window ``span``'s start or the end of an action ending before
    ``s``, and no later than the span allows; the clip ends at the start of an action straddling
    its end.

    Returns:
        (start step, end, indices of the actions inside the clip).
    """
    start, end = actions[seed]
    earlier_ends = actions[actions[:, 1] <= start, 1]
    low = max(span[0], start - (length - (end - start)), *earlier_ends)
    high = max(low, min(start, span[1] - length))
    first, last = math.ceil(low), math.floor(high)
    clip_start = np.random.randint(first, last + 1) if first <= last else last
    clip_end = min(clip_start + length, span[1])
    straddling = actions[(actions[:, 0] >= clip_start) & (actions[:, 0] < clip_end) &
                         (actions[:, 1] > clip_end), 0]
    if len(straddling):
        clip_end = straddling.min()
    inside = np.flatnonzero((actions[:, 0] >= clip_start) & (actions[:, 1] <= clip_end))
    return int(clip_start), float(clip_end), inside


@DATASETS.register_module()
class VSGNWindowDataset(TALFeatureDataset):
    """:class:`~vsgt.datasets.tal.TALFeatureDataset` with VSGN's window tiling.

    With ``tail_windows`` (official) a video of ``N`` steps gives a window at every multiple of
    ``window_stride`` below ``N``; the last ones are shorter than ``window_size`` (zero-padded
    by ``LoadTALFeature``), and those of at most ``stitch_ratio * T`` steps get stitched. E.g.
    ``N = 2400``, ``T = 1280``, stride 320: 8 windows, the last two (480 and 160 steps)
    stitched. ``tail_windows=False``: the core dataset's tiling, the last window aligned to the
    video's end.

    Args:
        tail_windows: official tiling (windows without ``resize`` only).
        **kwargs: the :class:`~vsgt.datasets.tal.TALFeatureDataset` arguments.
    """

    def __init__(self, *args, tail_windows: bool = True, **kwargs):
        self.tail_windows = tail_windows
        super().__init__(*args, **kwargs)

    def _window_starts(self, num_steps: int) -> List[int]:
        if not self.tail_windows:
            return super()._window_starts(num_steps)
        return list(range(0, num_steps, self.window_stride * self.subsample))


@DATASETS.register_module()
class VSSCutDataset(VSGNWindowDataset):
    """:class:`VSGNWindowDataset` windows plus short clips cut from them (the "cut" of VSS), for
    training.

    Each action of at most ``round(clip_ratio * T)`` steps in a window spanning more than
    ``stitch_ratio * T`` steps of its video seeds one extra sample: a clip of that length drawn
    around it (:func:`draw_clip`) in the video's own steps (before any resizing), redrawn at every
    visit with the global NumPy generator (seeded by mmengine in each worker). The pipeline's
    :class:`VideoSelfStitch` then stitches it. The windows come first, the clips after them.

    Args:
        clip_ratio: clip length in windows (0.38: 486 steps at ``T = 1280``).
        stitch_ratio: the :class:`VideoSelfStitch` threshold; longer windows are cut.
        **kwargs: the :class:`VSGNWindowDataset` arguments.
    """

    def __init__(self, *args, clip_ratio: float = 0.38, stitch_ratio: float = 0.4, **kwargs):
        self.clip_ratio, self.stitch_ratio = clip_ratio, stitch_ratio
        self.clips: List[Tuple[int, int]] = []
        super().__init__(*args, **kwargs)

    def full_init(self):
        if self._fully_initialized:
            return
        super().full_init()
        self.num_windows = super().__len__()
        for index in range(self.num_windows):
            info = super().get_data_info(index)
            span = self._span(info)
            if span[1] - span[0] <= self.stitch_ratio * info['window_size']:
                continue
            lengths = np.diff(self._actions(info), axis=1)[:, 0]
            limit = round(self.clip_ratio * info['window_size'])
            self.clips += [(index, seed) for seed in np.flatnonzero(lengths <= limit)]

    @staticmethod
    def _span(info) -> Tuple[float, float]:
        """The window's valid part in the video's steps."""
        end = min(info['window_start'] + info['window_size'] * info['scale'], info['num_steps'])
        return float(info['window_start']), float(end)

    @staticmethod
    def _actions(info) -> np.ndarray:
        segments = np.asarray(info['gt_segments'], dtype=np.float64).reshape(-1, 2)
        return info['window_start'] + segments * info['scale']

    def __len__(self) -> int:
        return super().__len__() + len(self.clips)

    def get_data_info(self, index: int) -> Dict:
        """A window's data info, or a freshly drawn clip's (``vss_clip_length`` set)."""
        if index < self.num_windows:
            return super().get_data_info(index)
        window_index, seed = self.clips[index - self.num_windows]
        info = super().get_data_info(window_index)
        actions = self._actions(info)
        length = round(self.clip_ratio * info['window_size'])
        start, end, inside = draw_clip(actions, seed, self._span(info), length)
        info.update(window_start=start, scale=1.0, vss_clip_length=math.ceil(end) - start,
                    gt_segments=actions[inside] - start,
                    gt_labels=np.asarray(info['gt_labels'])[inside])
        return info
