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
from dataclasses import asdict, dataclass, replace
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


# --------------------------------------------------------------------------------------------
# Frame-level sets: small videos in the layout of TALFrameDataset.


@dataclass(frozen=True)
class TALFramePreset:
    """Parameters of a synthetic frame-level TAL set (times in frames, sizes as fractions of
    the side of the square frame unless in pixels)."""

    frame_size: int
    num_classes: int
    video_frames: Tuple[int, int]
    actions_per_video: Tuple[int, int]
    action_length: Tuple[int, int]
    distractors_per_video: Tuple[int, int]
    num_videos: int
    frame_rate: float = 10.
    gap: int = 4
    sprite: float = 0.25
    amplitude: float = 0.2
    period: int = 12
    distractor_speed: Tuple[float, float] = (0.01, 0.03)
    distractor_class_colour: float = 0.5
    background_speed: float = 0.015
    background_contrast: float = 30.
    noise: float = 6.
    flow_bound: float = 20.
    feature_stride: int = 4
    feature_grid: int = 4
    val_fraction: float = 0.25


TAL_FRAME_PRESETS: Dict[str, TALFramePreset] = {
    'frames': TALFramePreset(
        frame_size=32, num_classes=3, video_frames=(100, 300), actions_per_video=(1, 4),
        action_length=(10, 60), distractors_per_video=(1, 4), num_videos=48),
    'frames_tiny': TALFramePreset(
        frame_size=32, num_classes=3, video_frames=(64, 128), actions_per_video=(1, 3),
        action_length=(8, 32), distractors_per_video=(1, 2), num_videos=6),
}
_FRAME_PRESET_KEYS = {'frames': 3, 'frames_tiny': 4}


def _class_colours(num_classes: int) -> np.ndarray:
    """Saturated colours at evenly spaced hues (red, green, blue for three classes)."""
    hues = np.arange(num_classes) / num_classes
    sector = (hues[:, None] * 6 + np.array([5, 3, 1])) % 6  # HSV -> RGB with S = 1, V = 1
    rgb = 1 - np.clip(np.minimum(sector, 4 - sector), 0, 1)
    return 40 + 190 * rgb


def _sprite_mask(shape: int, side: int) -> np.ndarray:
    """Boolean ``(side, side)`` mask: square, disc, cross, diamond, triangle, then again."""
    y, x = np.mgrid[:side, :side] + 0.5 - side / 2
    half = side / 2
    masks = (np.ones((side, side), bool), x ** 2 + y ** 2 <= half ** 2,
             (abs(x) <= side / 6) | (abs(y) <= side / 6), abs(x) + abs(y) <= half,
             y >= 2 * abs(x) - half)
    return masks[shape % len(masks)]


def _paste(frame: np.ndarray, flow: Optional[np.ndarray], mask: np.ndarray, centre: np.ndarray,
           colour: np.ndarray, velocity: np.ndarray) -> None:
    """Draw a sprite centred at ``centre`` (x, y); clipped to the frame."""
    side, size = len(mask), frame.shape[0]
    left, top = np.rint(centre - side / 2).astype(int)
    y0, y1, x0, x1 = max(top, 0), min(top + side, size), max(left, 0), min(left + side, size)
    if y0 >= y1 or x0 >= x1:
        return
    region = mask[y0 - top:y1 - top, x0 - left:x1 - left]
    frame[y0:y1, x0:x1][region] = colour
    if flow is not None:
        flow[y0:y1, x0:x1][region] = velocity


def _bounce(start: float, velocity: float, steps: np.ndarray, low: float,
            high: float) -> np.ndarray:
    """Positions of a point moving at ``velocity`` that reflects off ``low`` and ``high``."""
    span = high - low
    phase = np.mod(start - low + velocity * steps, 2 * span)
    return low + np.where(phase <= span, phase, 2 * span - phase)


def _frame_video_plan(preset: TALFramePreset, rng: np.random.Generator) -> dict:
    """Every random choice of a video, drawn in a fixed order."""
    size = preset.frame_size
    num_frames = int(rng.integers(preset.video_frames[0], preset.video_frames[1] + 1))
    count = int(rng.integers(preset.actions_per_video[0], preset.actions_per_video[1] + 1))
    lengths = _fit(rng, rng.integers(preset.action_length[0], preset.action_length[1] + 1,
                                     count), num_frames, preset.gap)
    starts = _place(rng, lengths, num_frames, preset.gap)
    labels = rng.integers(0, preset.num_classes, len(lengths))
    side = max(3, int(round(preset.sprite * size)))
    margin = side / 2 + preset.amplitude * size
    actions = [dict(start=int(s), length=int(n), label=int(c),
                    centre=rng.uniform(margin, size - margin, 2), phase=rng.uniform(0, 2 * np.pi))
               for s, n, c in zip(starts, lengths, labels)]
    distractors = []
    for _ in range(int(rng.integers(preset.distractors_per_video[0],
                                    preset.distractors_per_video[1] + 1))):
        length = int(rng.integers(preset.action_length[0], preset.action_length[1] + 1))
        angle, speed = rng.uniform(0, 2 * np.pi), rng.uniform(*preset.distractor_speed) * size
        class_colour = rng.uniform() < preset.distractor_class_colour
        distractors.append(dict(
            start=int(rng.integers(0, max(1, num_frames - length + 1))), length=length,
            shape=int(rng.integers(0, preset.num_classes)),
            colour=int(rng.integers(0, preset.num_classes)) if class_colour else None,
            grey=rng.uniform(170, 250), centre=rng.uniform(side / 2, size - side / 2, 2),
            velocity=speed * np.array([np.cos(angle), np.sin(angle)])))
    angle = rng.uniform(0, 2 * np.pi)
    background = dict(
        velocity=rng.uniform(0, preset.background_speed) * size * np.array(
            [np.cos(angle), np.sin(angle)]),
        tint=rng.uniform(70, 130, 3),
        waves=rng.integers(-2, 3, (3, 2)) + np.array([[1, 0], [0, 1], [1, 1]]) *
        (rng.integers(0, 2, (3, 1)) * 2 - 1),
        wave_phase=rng.uniform(0, 2 * np.pi, 3), channel_gain=rng.uniform(0.6, 1.4, (3, 3)))
    noise = rng.normal(0, preset.noise, (num_frames, size, size, 3)).astype(np.float32)
    return dict(num_frames=num_frames, side=side, actions=actions, distractors=distractors,
                background=background, noise=noise)


def render_synthetic_tal_frames(preset: TALFramePreset, plan: dict, draw_actions: bool = True,
                                flow: bool = True) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """Render a planned video: uint8 ``(T, S, S, 3)`` RGB frames and uint8 ``(T, S, S, 2)``
    flow (or None), as :func:`generate_synthetic_tal_frames` writes them.

    ``draw_actions=False`` renders the same video without its actions (the same background,
    noise and distractors), e.g. to check that an action changes only the frames of its span.
    """
    size, num_frames, side = preset.frame_size, plan['num_frames'], plan['side']
    times = np.arange(num_frames, dtype=np.float64)
    background = plan['background']
    y, x = np.mgrid[:size, :size].astype(np.float64)
    pattern = np.zeros((num_frames, size, size, 3))
    velocity = background['velocity']
    for (fx, fy), phase, gain in zip(background['waves'], background['wave_phase'],
                                     background['channel_gain']):
        shifted_x = x[None] - velocity[0] * times[:, None, None]
        shifted_y = y[None] - velocity[1] * times[:, None, None]
        wave = np.sin(2 * np.pi * (fx * shifted_x + fy * shifted_y) / size + phase)
        pattern += wave[..., None] * gain / 3
    frames = background['tint'] + preset.background_contrast * pattern
    motion = None
    if flow:
        motion = np.broadcast_to(velocity, (num_frames, size, size, 2)).copy()
    colours = _class_colours(preset.num_classes)
    for item in plan['distractors']:
        steps = np.arange(item['length'], dtype=np.float64)
        low, high = side / 2, size - side / 2
        xs = _bounce(item['centre'][0], item['velocity'][0], np.append(steps, item['length']),
                     low, high)
        ys = _bounce(item['centre'][1], item['velocity'][1], np.append(steps, item['length']),
                     low, high)
        mask = _sprite_mask(item['shape'], side)
        colour = colours[item['colour']] if item['colour'] is not None else \
            np.full(3, item['grey'])
        for step in range(item['length']):
            t = item['start'] + step
            if t >= num_frames:
                break
            centre = np.array([xs[step], ys[step]])
            _paste(frames[t], None if motion is None else motion[t], mask, centre, colour,
                   np.array([xs[step + 1], ys[step + 1]]) - centre)
    if draw_actions:
        for item in plan['actions']:
            angle = np.pi * item['label'] / preset.num_classes  # the class's axis of motion
            axis = np.array([np.cos(angle), np.sin(angle)])
            steps = np.arange(item['length'] + 1, dtype=np.float64)
            offsets = preset.amplitude * size * np.sin(
                2 * np.pi * steps / preset.period + item['phase'])
            centres = item['centre'] + offsets[:, None] * axis
            mask = _sprite_mask(item['label'], side)
            for step in range(item['length']):
                t = item['start'] + step
                _paste(frames[t], None if motion is None else motion[t], mask, centres[step],
                       colours[item['label']], centres[step + 1] - centres[step])
    frames = np.clip(np.rint(frames + plan['noise']), 0, 255).astype(np.uint8)
    if motion is not None:  # denseflow's encoding: [-bound, bound] -> [0, 255]
        motion = np.clip(np.rint((motion + preset.flow_bound) * 255 / (2 * preset.flow_bound)),
                         0, 255).astype(np.uint8)
    return frames, motion


def frames_to_features(frames: np.ndarray, stride: int = 4, grid: int = 4) -> np.ndarray:
    """Per-step features of uint8 ``(T, S, S, 3)`` frames: step ``i`` summarises frames
    ``stride i .. stride i + stride - 1`` as their mean average-pooled to ``grid x grid`` and
    the pooled change from their first to their last frame, both in AFSD's scale (``x / 255 *
    2 - 1`` and differences ``x / 255 * 2``); float32 ``(ceil(T / stride), 6 grid^2)``."""
    num_frames, size = frames.shape[:2]
    if size % grid:
        raise ValueError(f'frame size {size} is not a multiple of the feature grid {grid}')
    cell = size // grid
    pooled = frames.astype(np.float64).reshape(num_frames, grid, cell, grid, cell, 3).mean(
        axis=(2, 4)).reshape(num_frames, -1) / 255
    steps = []
    for start in range(0, num_frames, stride):
        block = pooled[start:start + stride]
        steps.append(np.concatenate([block.mean(axis=0) * 2 - 1, (block[-1] - block[0]) * 2]))
    return np.stack(steps).astype(np.float32)


def _check_frame_args(preset: str, num_videos: Optional[int], seed: int,
                      frame_size: Optional[int]) -> TALFramePreset:
    if preset not in TAL_FRAME_PRESETS:
        raise ValueError(f'preset must be one of {sorted(TAL_FRAME_PRESETS)}, got {preset!r}')
    if num_videos is not None and (not isinstance(num_videos, int) or num_videos < 2):
        raise ValueError(f'num_videos must be an int >= 2, got {num_videos!r}')
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f'seed must be an int >= 0, got {seed!r}')
    parameters = TAL_FRAME_PRESETS[preset]
    if frame_size is not None:
        if not isinstance(frame_size, int) or frame_size < 16 or \
                frame_size % parameters.feature_grid:
            raise ValueError(f'frame_size must be an int >= 16 and a multiple of '
                             f'{parameters.feature_grid}, got {frame_size!r}')
        parameters = replace(parameters, frame_size=frame_size)
    return parameters


def generate_synthetic_tal_frames(out_dir: str,
                                  preset: str = 'frames',
                                  num_videos: Optional[int] = None,
                                  seed: int = 0,
                                  frame_size: Optional[int] = None,
                                  flow: bool = True,
                                  features: bool = True,
                                  overwrite: bool = False,
                                  progress: bool = True) -> dict:
    """Write a synthetic frame-level TAL set into ``out_dir``.

    Each video is ``T`` frames at 10 fps of a ``S x S`` scene: a textured background drifting
    slowly (a camera pan) with pixel noise, distractor sprites that drift in straight lines
    and bounce off the borders for a while (clutter: no action), and the actions. An action of
    class ``c`` is a sprite of the class's shape and colour that oscillates along the class's
    axis (angle ``180 c / num_classes`` degrees, period 12 frames); it is drawn only on the
    frames of its span ``[a, a + L)``, annotated ``[a / 10, (a + L) / 10]`` seconds. Half of
    the distractors wear a class colour (never the class's motion). Actions of a video do not
    overlap in time and are at least 4 frames apart.

    Layout (the layout of :class:`~vsgt.datasets.tal_frames.TALFrameDataset` and, for the
    features, :class:`~vsgt.datasets.tal.TALFeatureDataset`)::

        out_dir/
          frames/{video}.npy     uint8 (T, S, S, 3) RGB
          flows/{video}.npy      uint8 (T, S, S, 2) the rendered motion in pixels per frame
                                 (x, y), denseflow's encoding (bound 20 -> 0..255)
          features/{video}.npy   float32 (ceil(T / 4), 96): frames_to_features, 2.5 steps/s
          annotations.json       ActivityNet layout, subsets 'training' and 'validation'
          summary.json           preset, parameters, seed, classes, rates, statistics, and
                                 the distractors' spans per video ([start, end] seconds)

    Args:
        out_dir: Output directory; must be absent or empty unless ``overwrite``.
        preset: ``'frames'`` (48 videos of 100..300 frames) or ``'frames_tiny'`` (6 videos of
            64..128 frames, for tests).
        num_videos: Number of videos (>= 2). Defaults to the preset's.
        seed: Seed; equal arguments give byte-identical files.
        frame_size: Side ``S`` of the frames (a multiple of 4, >= 16). Defaults to the
            preset's (32); e.g. 112 for AFSD's frames and 96 crops.
        flow: Write ``flows/``.
        features: Write ``features/``.
        overwrite: Replace a non-empty ``out_dir``.
        progress: Show a progress bar.

    Returns:
        dict: the content of ``summary.json`` and ``out_dir``.
    """
    name, parameters = preset, _check_frame_args(preset, num_videos, seed, frame_size)
    num_videos = num_videos or parameters.num_videos
    out_dir = Path(out_dir)
    _prepare_out_dir(out_dir, overwrite)
    classes = tal_class_names(parameters.num_classes)
    key = _FRAME_PRESET_KEYS[name]
    order = np.random.default_rng([seed, key, 0]).permutation(num_videos)
    num_val = min(max(1, round(num_videos * parameters.val_fraction)), num_videos - 1)
    validation = {int(index) for index in order[:num_val]}

    database, distractors = {}, {}
    gathered = {s: dict(frames=[], lengths=[], distractors=0) for s in ('training', 'validation')}
    rate = parameters.frame_rate
    staging_dir = Path(tempfile.mkdtemp(prefix=f'.{out_dir.name}.tmp-', dir=out_dir.parent))
    try:
        folders = ['frames'] + ['flows'] * flow + ['features'] * features
        for folder in folders:
            (staging_dir / folder).mkdir()
        bar = ProgressBar(num_videos) if progress else None
        for index in range(num_videos):
            video = f'video_{index:04d}'
            subset = 'validation' if index in validation else 'training'
            plan = _frame_video_plan(parameters, np.random.default_rng([seed, key, 1, index]))
            frames, motion = render_synthetic_tal_frames(parameters, plan, flow=flow)
            np.save(staging_dir / 'frames' / f'{video}.npy', frames, allow_pickle=False)
            if flow:
                np.save(staging_dir / 'flows' / f'{video}.npy', motion, allow_pickle=False)
            if features:
                np.save(staging_dir / 'features' / f'{video}.npy',
                        frames_to_features(frames, parameters.feature_stride,
                                           parameters.feature_grid), allow_pickle=False)
            database[video] = dict(
                subset=subset,
                duration=plan['num_frames'] / rate,
                annotations=[dict(segment=[a['start'] / rate, (a['start'] + a['length']) / rate],
                                  label=classes[a['label']]) for a in plan['actions']])
            distractors[video] = [[d['start'] / rate, min(d['start'] + d['length'],
                                                          plan['num_frames']) / rate]
                                  for d in plan['distractors']]
            gathered[subset]['frames'].append(plan['num_frames'])
            gathered[subset]['lengths'].extend(a['length'] for a in plan['actions'])
            gathered[subset]['distractors'] += len(plan['distractors'])
            if bar is not None:
                bar.update()
        summary = dict(
            preset=name,
            seed=seed,
            parameters=asdict(parameters),
            classes=classes,
            frame_rate=rate,
            frame_size=parameters.frame_size,
            feature_rate=rate / parameters.feature_stride if features else None,
            feature_dim=6 * parameters.feature_grid ** 2 if features else None,
            folders=folders,
            statistics={subset: dict(
                videos=len(values['frames']), frames=int(sum(values['frames'])),
                video_frames=[int(min(values['frames'])), int(max(values['frames']))],
                actions=len(values['lengths']),
                action_frames=[int(min(values['lengths'])), int(max(values['lengths']))],
                distractors=values['distractors'])
                for subset, values in gathered.items()},
            distractors=distractors)
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
