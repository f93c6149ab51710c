"""Deterministic synthetic temporal action localization (TAL) feature sets.

A video is a ``(num_steps, C)`` sequence: an AR(1) background (unit variance, correlation
``rho`` between steps) on every channel, plus planted actions. An action of class ``c`` on steps
``a..a+L-1`` adds ``amplitude * g * prototype_c`` to the class channels (``g`` uniform in
[0.75, 1.25] per action, prototypes of unit RMS) and a class-independent start (end)
transient centred on its first (last) step, weights 0.5, 1, 0.5. Its annotation is
``[a / rate, (a + L) / rate]`` seconds (feature offset 0). Actions of a video never overlap and
are at least ``gap`` steps apart.

Presets (:data:`TAL_PRESETS`):

* ``'multiscale'`` (VSGN): 32-d, 4 classes on all channels, lengths log-uniform in 2..160
  steps (a third <= 8 steps), 7.5 steps/s, videos of 300..1200 steps with 3..10 actions (the
  longest dropped when they do not fit); a fifth of the videos ("sparse") hold one action of
  2..8 steps in 600..1200 steps.
* ``'clutter'`` (GAF): 64-d, 3 classes on channels 0-15, lengths log-uniform in 3..48 steps;
  channels 16-31 carry 2..6 strong action-like bursts of 3..48 steps (3 distractor prototypes
  with the same transients, amplitude 3) at random places unrelated to the actions; channels
  32-63 only the background. 2.5 steps/s, videos of 192..512 steps with 2..6 actions.

Layout written by :func:`generate_synthetic_tal`::

    out_dir/
      features/{video}.npy   float32 (num_steps, C)
      annotations.json       ActivityNet layout, subsets 'training' and 'validation'
      summary.json           preset, seed, classes and the statistics of each subset
"""
import json
import math
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np
from mmengine.utils import ProgressBar

from .synthetic import _move_into_place, _prepare_out_dir


@dataclass(frozen=True)
class TALPreset:
    """Parameters of a synthetic TAL set (lengths and positions in feature steps)."""

    feature_dim: int
    num_classes: int
    class_channels: Tuple[int, int]
    action_length: Tuple[int, int]
    actions_per_video: Tuple[int, int]
    video_steps: Tuple[int, int]
    feature_rate: float
    num_videos: int
    rho: float = 0.9
    amplitude: float = 2.0
    transient_amplitude: float = 1.5
    gap: int = 3
    sparse_fraction: float = 0.
    sparse_length: Tuple[int, int] = (2, 8)
    sparse_steps: Tuple[int, int] = (600, 1200)
    clutter_channels: Optional[Tuple[int, int]] = None
    clutter_amplitude: float = 3.0
    num_clutter_prototypes: int = 3
    short_max: int = 8
    val_fraction: float = 0.25


TAL_PRESETS: Dict[str, TALPreset] = {
    'multiscale': TALPreset(
        feature_dim=32, num_classes=4, class_channels=(0, 32), action_length=(2, 160),
        actions_per_video=(3, 10), video_steps=(300, 1200), feature_rate=7.5, num_videos=48,
        sparse_fraction=0.2),
    'clutter': TALPreset(
        feature_dim=64, num_classes=3, class_channels=(0, 16), action_length=(3, 48),
        actions_per_video=(2, 6), video_steps=(192, 512), feature_rate=2.5, num_videos=48,
        clutter_channels=(16, 32), short_max=8),
}
_PRESET_KEYS = {'multiscale': 1, 'clutter': 2}


def tal_class_names(num_classes: int) -> List[str]:
    """Label names ``class_1, class_2, ...`` (their sorted order is the index order)."""
    return [f'class_{index:0{len(str(num_classes))}d}' for index in range(1, num_classes + 1)]


def _unit_rms(rng: np.random.Generator, shape: Tuple[int, int]) -> np.ndarray:
    patterns = rng.standard_normal(shape)
    return patterns / np.sqrt((patterns ** 2).mean(axis=1, keepdims=True))


def _patterns(preset: TALPreset, seed: int, name: str) -> Dict[str, np.ndarray]:
    """Class prototypes, transients and distractor prototypes shared by the videos of a set."""
    rng = np.random.default_rng([seed, _PRESET_KEYS[name]])
    width = preset.class_channels[1] - preset.class_channels[0]
    patterns = dict(prototypes=_unit_rms(rng, (preset.num_classes, width)),
                    transients=_unit_rms(rng, (2, width)))
    if preset.clutter_channels is not None:
        clutter_width = preset.clutter_channels[1] - preset.clutter_channels[0]
        patterns['clutter_prototypes'] = _unit_rms(
            rng, (preset.num_clutter_prototypes, clutter_width))
        patterns['clutter_transients'] = _unit_rms(rng, (2, clutter_width))
    return patterns


def _log_uniform_lengths(rng: np.random.Generator, bounds: Tuple[int, int],
                         count: int) -> np.ndarray:
    low, high = bounds
    lengths = np.rint(np.exp(rng.uniform(math.log(low), math.log(high), count)))
    return np.clip(lengths, low, high).astype(np.int64)


def _place(rng: np.random.Generator, lengths: np.ndarray, num_steps: int,
           gap: int) -> np.ndarray:
    """Start steps of non-overlapping segments at least ``gap`` apart (and from the ends)."""
    free = num_steps - int(lengths.sum()) - gap * (len(lengths) + 1)
    cuts = np.sort(rng.integers(0, free + 1, len(lengths)))
    return gap + cuts + np.concatenate([[0], np.cumsum(lengths[:-1] + gap)])


def _fit(rng: np.random.Generator, lengths: np.ndarray, num_steps: int,
         gap: int) -> np.ndarray:
    """Drop the longest segments until the rest fit in the video."""
    while lengths.sum() + gap * (len(lengths) + 1) > num_steps:
        lengths = np.delete(lengths, np.argmax(lengths))
    return rng.permutation(lengths)


def _ar1_background(rng: np.random.Generator, num_steps: int, width: int,
                    rho: float) -> np.ndarray:
    noise = rng.standard_normal((num_steps, width))
    background = np.empty_like(noise)
    background[0] = noise[0]
    innovation = math.sqrt(1 - rho ** 2)
    for step in range(1, num_steps):
        background[step] = rho * background[step - 1] + innovation * noise[step]
    return background


def _plant(feature: np.ndarray, channels: Tuple[int, int], start: int, length: int,
           pattern: np.ndarray, transients: np.ndarray, gain: float,
           transient_gain: float) -> None:
    """Add a segment's pattern and its start/end transients (weights 0.5, 1, 0.5)."""
    block = feature[:, channels[0]:channels[1]]
    block[start:start + length] += gain * pattern
    for transient, centre in zip(transients, (start, start + length - 1)):
        for offset, weight in ((-1, 0.5), (0, 1.), (1, 0.5)):
            if 0 <= centre + offset < len(block):
                block[centre + offset] += transient_gain * weight * transient


def render_synthetic_tal_video(preset: TALPreset, patterns: Dict[str, np.ndarray],
                               rng: np.random.Generator,
                               sparse: bool) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One video: float32 features ``(num_steps, C)``, int64 ``(k, 2)`` action
    ``[first step, end step)`` and int64 ``(k,)`` labels, ordered in time."""
    if sparse:
        num_steps = int(rng.integers(preset.sparse_steps[0], preset.sparse_steps[1] + 1))
        lengths = rng.integers(preset.sparse_length[0], preset.sparse_length[1] + 1, 1)
    else:
        num_steps = int(rng.integers(preset.video_steps[0], preset.video_steps[1] + 1))
        count = int(rng.integers(preset.actions_per_video[0], preset.actions_per_video[1] + 1))
        lengths = _fit(rng, _log_uniform_lengths(rng, preset.action_length, count), num_steps,
                       preset.gap)
    starts = _place(rng, lengths, num_steps, preset.gap)
    labels = rng.integers(0, preset.num_classes, len(lengths))
    feature = _ar1_background(rng, num_steps, preset.feature_dim, preset.rho)
    for start, length, label in zip(starts, lengths, labels):
        _plant(feature, preset.class_channels, start, length, patterns['prototypes'][label],
               patterns['transients'], preset.amplitude * rng.uniform(0.75, 1.25),
               preset.transient_amplitude)
    if preset.clutter_channels is not None:
        count = int(rng.integers(preset.actions_per_video[0], preset.actions_per_video[1] + 1))
        bursts = _fit(rng, _log_uniform_lengths(rng, preset.action_length, count), num_steps,
                      preset.gap)
        for start, length in zip(_place(rng, bursts, num_steps, preset.gap), bursts):
            prototype = patterns['clutter_prototypes'][rng.integers(
                preset.num_clutter_prototypes)]
            _plant(feature, preset.clutter_channels, start, length, prototype,
                   patterns['clutter_transients'],
                   preset.clutter_amplitude * rng.uniform(0.75, 1.25),
                   preset.transient_amplitude)
    segments = np.stack([starts, starts + lengths], axis=1).astype(np.int64)
    return feature.astype(np.float32), segments, labels.astype(np.int64)


def _check_args(preset: str, num_videos: Optional[int], seed: int) -> TALPreset:
    if preset not in TAL_PRESETS:
        raise ValueError(f'preset must be one of {sorted(TAL_PRESETS)}, got {preset!r}')
    if num_videos is not None and (not isinstance(num_videos, int) or num_videos < 2):
        raise ValueError(f'num_videos must be an int >= 2, got {num_videos!r}')
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f'seed must be an int >= 0, got {seed!r}')
    return TAL_PRESETS[preset]


def _subset_statistics(lengths: List[int], num_steps: List[int], num_sparse: int,
                       short_max: int) -> dict:
    lengths = np.array(lengths)
    return dict(
        videos=len(num_steps),
        sparse_videos=num_sparse,
        steps=int(sum(num_steps)),
        video_steps=[int(min(num_steps)), int(max(num_steps))],
        actions=len(lengths),
        action_steps=[int(lengths.min()), int(lengths.max())],
        median_action_steps=float(np.median(lengths)),
        short_fraction=float((lengths <= short_max).mean()))


def generate_synthetic_tal(out_dir: str,
                           preset: str = 'multiscale',
                           num_videos: Optional[int] = None,
                           seed: int = 0,
                           overwrite: bool = False,
                           progress: bool = True) -> dict:
    """Write a synthetic TAL set into ``out_dir`` (layout and presets: module docstring).

    Args:
        out_dir: Output directory; must be absent or empty unless ``overwrite``.
        preset: ``'multiscale'`` or ``'clutter'``.
        num_videos: Number of videos (>= 2). Defaults to the preset's (48).
        seed: Seed; equal arguments give byte-identical files.
        overwrite: Replace a non-empty ``out_dir``.
        progress: Show a progress bar.

    Returns:
        dict: the content of ``summary.json`` (``preset``, ``parameters``, ``seed``,
        ``classes``, ``feature_rate``, ``feature_dim``, ``short_max``, per-subset ``statistics``)
        and ``out_dir``.
    """
    name, preset = preset, _check_args(preset, num_videos, seed)
    num_videos = num_videos or preset.num_videos
    out_dir = Path(out_dir)
    _prepare_out_dir(out_dir, overwrite)
    classes = tal_class_names(preset.num_classes)
    patterns = _patterns(preset, seed, name)

    split_rng = np.random.default_rng([seed, _PRESET_KEYS[name], 0])
    order = split_rng.permutation(num_videos)
    num_val = min(max(1, round(num_videos * preset.val_fraction)), num_videos - 1)
    subsets = {int(index): 'validation' for index in order[:num_val]}
    sparse = set()
    for subset_indices in (order[:num_val], order[num_val:]):
        count = round(len(subset_indices) * preset.sparse_fraction)
        sparse.update(int(i) for i in split_rng.permutation(subset_indices)[:count])

    database = {}
    gathered = {s: dict(lengths=[], num_steps=[], num_sparse=0)
                for s in ('training', 'validation')}
    staging_dir = Path(tempfile.mkdtemp(prefix=f'.{out_dir.name}.tmp-', dir=out_dir.parent))
    try:
        (staging_dir / 'features').mkdir()
        bar = ProgressBar(num_videos) if progress else None
        for index in range(num_videos):
            video = f'video_{index:04d}'
            subset = subsets.get(index, 'training')
            rng = np.random.default_rng([seed, _PRESET_KEYS[name], 1, index])
            feature, segments, labels = render_synthetic_tal_video(preset, patterns, rng,
                                                                   index in sparse)
            np.save(staging_dir / 'features' / f'{video}.npy', feature, allow_pickle=False)
            database[video] = dict(
                subset=subset,
                duration=len(feature) / preset.feature_rate,
                annotations=[dict(segment=[int(a) / preset.feature_rate,
                                           int(b) / preset.feature_rate],
                                  label=classes[label])
                             for (a, b), label in zip(segments, labels)])
            gathered[subset]['lengths'].extend(int(b - a) for a, b in segments)
            gathered[subset]['num_steps'].append(len(feature))
            gathered[subset]['num_sparse'] += index in sparse
            if bar is not None:
                bar.update()
        summary = dict(
            preset=name,
            seed=seed,
            parameters=asdict(preset),
            classes=classes,
            feature_rate=preset.feature_rate,
            feature_offset=0.,
            feature_dim=preset.feature_dim,
            short_max=preset.short_max,
            statistics={subset: _subset_statistics(short_max=preset.short_max, **values)
                        for subset, values in gathered.items()})
        (staging_dir / 'annotations.json').write_text(json.dumps(
            dict(version=f'synthetic_tal {name} seed {seed}', database=database)))
        (staging_dir / 'summary.json').write_text(json.dumps(summary, indent=2) + '\n')
        _move_into_place(staging_dir, out_dir)
    except BaseException:
        shutil.rmtree(staging_dir, ignore_errors=True)
        raise
    if bar is not None:
        print()
    return dict(summary, out_dir=str(out_dir))
