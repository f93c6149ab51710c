"""Temporal action localization (TAL) on pre-extracted per-video feature files.

Units: a feature file holds ``(num_steps, C)`` features; step ``i`` is at
``(i + feature_offset) / feature_rate`` seconds. Inside the pipeline a segment is in float
*window steps*: position 0 is the window's first step, and with resizing one window step is
``scale`` original steps. A video of ``N`` steps spans ``[0, N]`` in steps, a window
``[window_start, window_start + window_size * scale]``; :func:`window_to_seconds` maps window steps
back to seconds of the video and is the one conversion every model uses.

The annotation file is in the official ActivityNet layout::

    {"version": ..., "taxonomy": [...] (optional), "database": {video: {
        "subset": "training" | "validation" | "testing", "duration": seconds,
        "annotations": [{"segment": [start, end], "label": name}, ...]}}}
"""
import math
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.logging import MMLogger

from mmaction.datasets import BaseActionDataset
from mmaction.registry import DATASETS
from mmaction.utils import ConfigType
from vsgt.utils.jsonfile import load_json

#: Seconds an annotation may reach past the video's duration (float rounding of the files).
DURATION_TOLERANCE = 1e-3
FEATURE_EXTENSIONS = ('.npy', '.csv')
#: The subsets of the ActivityNet layout; a video of any other subset is reported.
KNOWN_SUBSETS = ('training', 'validation', 'testing')
RESIZE_MODES = (None, 'down_only', 'always')
KEEP_WINDOW_MODES = ('whole_action', 'any')
_EPS = 1e-3  # steps: a float rounding margin at window edges

Segments = Union[np.ndarray, torch.Tensor]


def window_to_seconds(segments: Segments, metainfo: dict) -> Segments:
    """Map segments in window steps to seconds of the video, clipped to ``[0, duration]``.

    ``(window_start + x * scale + feature_offset) / feature_rate``, for numpy arrays or tensors
    of any shape (the type comes back).

    Args:
        segments: Positions in window steps, e.g. ``(N, 2)`` starts and ends.
        metainfo: A data sample's metainfo (or data info) with ``window_start``, ``scale``,
            ``feature_offset``, ``feature_rate`` and ``duration``.
    """
    seconds = (segments * metainfo['scale'] + (metainfo['window_start'] +
                                               metainfo['feature_offset'])) / \
        metainfo['feature_rate']
    if isinstance(seconds, torch.Tensor):
        return seconds.clamp(0, metainfo['duration'])
    return np.clip(seconds, 0, metainfo['duration'])


def seconds_to_window(seconds: Segments, metainfo: dict) -> Segments:
    """Inverse of :func:`window_to_seconds` (without clipping)."""
    return (seconds * metainfo['feature_rate'] - metainfo['feature_offset'] -
            metainfo['window_start']) / metainfo['scale']


def window_starts(num_steps: int, window_size: int, window_stride: int) -> List[int]:
    """First steps of the windows of a video: every ``window_stride`` steps, the last one
    aligned to the video's end so that no step is lost; one window when the video fits."""
    if num_steps <= window_size:
        return [0]
    starts = list(range(0, num_steps - window_size, window_stride))
    return starts + [num_steps - window_size]


def action_overlap(segments: np.ndarray, low: float, high: float) -> np.ndarray:
    """Fraction of each ``(k, 2)`` segment inside ``[low, high]`` (negative when apart), the
    intersection over the action's length that AFSD's ``split_videos`` compares with 0.5."""
    starts, ends = segments[:, 0], segments[:, 1]
    return (np.minimum(ends, high) - np.maximum(starts, low)) / (ends - starts)


def read_feature_shape(path: str) -> Tuple[int, int]:
    """``(num_steps, C)`` of a feature file, read cheaply (npy header; csv header + rows)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'feature file {path} not found')
    if path.endswith('.csv'):
        with open(path) as file:
            header = file.readline()
            num_steps = sum(1 for line in file if line.strip())
        if not header.strip():
            raise ValueError(f'{path}: empty csv (expected a header row, then one row per step)')
        return num_steps, len(header.split(','))
    try:
        array = np.load(path, mmap_mode='r', allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise ValueError(f'{path}: not a readable .npy array ({error})') from None
    real = np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)
    if array.ndim != 2 or not real:
        raise ValueError(f'{path}: expected a real-valued (num_steps, C) array, got '
                         f'{array.dtype} {array.shape}')
    return array.shape


def read_feature_rows(path: str, start: int, stop: int) -> np.ndarray:
    """Rows ``start:stop`` of a feature file as float32 ``(n, C)`` (npy via mmap); a value that
    is not finite in float32 raises one line naming the file and the step."""
    if path.endswith('.csv'):
        try:
            feature = np.loadtxt(path, dtype=np.float32, delimiter=',', skiprows=1, ndmin=2)
        except ValueError as error:
            raise ValueError(f'{path}: malformed feature csv ({error})') from None
    else:
        feature = np.load(path, mmap_mode='r', allow_pickle=False)
    with np.errstate(over='ignore'):  # values beyond float32 become inf, refused below
        rows = np.array(feature[start:stop], dtype=np.float32)
    finite = np.isfinite(rows)
    if not finite.all():
        row, column = np.argwhere(~finite)[0]
        raise ValueError(f'{path}: feature step {start + row} holds {rows[row, column]} (column '
                         f'{column}); features must be finite')
    return rows


def resample_steps(feature: np.ndarray, scale: float, num_out: int) -> np.ndarray:
    """Linear interpolation of ``(n, C)`` rows at positions ``0, scale, 2 scale, ...``.

    Output row ``j`` is the feature at original position ``j * scale`` (the mapping of
    :func:`window_to_seconds`); positions past the last row repeat it.
    """
    positions = np.arange(num_out, dtype=np.float64) * scale
    last = len(feature) - 1
    lower = np.minimum(np.floor(positions).astype(np.int64), last)
    upper = np.minimum(lower + 1, last)
    weight = np.clip(positions - lower, 0, 1)[:, None].astype(np.float32)
    return feature[lower] * (1 - weight) + feature[upper] * weight


def check_window_arguments(data_prefix: dict, prefix_key: str, what: str,
                           subset: Union[str, Sequence[str]], name_format: str,
                           format_arg: str, classes: Optional[Sequence[str]],
                           window_size: int) -> Tuple[List[str], Optional[tuple]]:
    """The arguments the windowed TAL datasets share, checked with one-line errors: the
    ``data_prefix`` key, the subset name(s), a file-name format of ``{video}`` only, the window
    size and the class names. Returns the subsets as a list and the classes as a tuple."""
    if prefix_key not in data_prefix:
        raise KeyError(f'data_prefix needs the key "{prefix_key}" (folder of the {what}), got '
                       f'keys {sorted(data_prefix)}')
    subsets = [subset] if isinstance(subset, str) else list(subset)
    if not subsets or not all(isinstance(s, str) for s in subsets):
        raise ValueError(f'subset must be a name or a list of names, got {subset!r}')
    try:
        name_format.format(video='')
    except (KeyError, IndexError, ValueError):
        raise ValueError(f'{format_arg} must be a format using only {{video}}, got '
                         f'{name_format!r}') from None
    if not isinstance(window_size, int) or window_size < 1:
        raise ValueError(f'window_size must be an int >= 1, got {window_size!r}')
    classes = None if classes is None else tuple(classes)
    if classes is not None and len(set(classes)) != len(classes):
        raise ValueError(f'classes has duplicates: {list(classes)}')
    return subsets, classes


def check_window_stride(window_stride: int, window_size: int) -> None:
    """One-line error for a window stride outside ``1..window_size``."""
    if not isinstance(window_stride, int) or not 1 <= window_stride <= window_size:
        raise ValueError(f'window_stride must be an int in 1..window_size={window_size}, '
                         f'got {window_stride!r}')


def _describe(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + '...'


def load_tal_annotations(ann_file: str) -> Dict[str, dict]:
    """Read and check the ``database`` of an ActivityNet-layout annotation JSON.

    Returns:
        dict: video -> ``dict(subset, duration, annotations=[(start, end, label), ...]
        [, fps])``. Bad input raises a one-line error naming the file, video and annotation.
    """
    return parse_tal_annotations(load_json(ann_file, 'annotation file'), ann_file)


def parse_tal_annotations(content: object, ann_file: str) -> Dict[str, dict]:
    """Check the parsed content of an annotation JSON (:func:`load_tal_annotations`);
    ``ann_file`` names it in the errors."""
    if not isinstance(content, dict) or 'database' not in content:
        raise KeyError(f'{ann_file}: no "database" key (ActivityNet layout expected)')
    database = content['database']
    if not isinstance(database, dict):
        raise ValueError(f'{ann_file}: "database" must map video names to entries')
    videos = {}
    for video, entry in database.items():
        where = f'{ann_file}: video {video!r}'
        if not isinstance(entry, dict):
            raise ValueError(f'{where}: entry must be an object, got {_describe(entry)}')
        for key in ('subset', 'duration', 'annotations'):
            if key not in entry:
                raise KeyError(f'{where}: missing key {key!r}')
        duration = entry['duration']
        if isinstance(duration, bool) or not isinstance(duration, (int, float)) or \
                not math.isfinite(duration) or duration <= 0:
            raise ValueError(f'{where}: duration must be a positive number, got '
                             f'{_describe(duration)}')
        if not isinstance(entry['subset'], str):
            raise ValueError(f'{where}: subset must be a string, got {_describe(entry["subset"])}')
        if not isinstance(entry['annotations'], list):
            raise ValueError(f'{where}: annotations must be a list')
        annotations = []
        for index, annotation in enumerate(entry['annotations']):
            annotations.append(_check_annotation(annotation, duration,
                                                 f'{where}, annotation {index}'))
        info = dict(subset=entry['subset'], duration=float(duration), annotations=annotations)
        if 'fps' in entry:
            fps = entry['fps']
            if isinstance(fps, bool) or not isinstance(fps, (int, float)) or \
                    not math.isfinite(fps) or fps <= 0:
                raise ValueError(f'{where}: fps must be a positive number, got {_describe(fps)}')
            info['fps'] = float(fps)
        videos[str(video)] = info
    return videos


def _check_annotation(annotation: object, duration: float, where: str) -> tuple:
    if not isinstance(annotation, dict):
        raise ValueError(f'{where}: must be an object, got {_describe(annotation)}')
    for key in ('segment', 'label'):
        if key not in annotation:
            raise KeyError(f'{where}: missing key {key!r}')
    segment, label = annotation['segment'], annotation['label']
    if not (isinstance(segment, (list, tuple)) and len(segment) == 2 and
            all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                for v in segment)):
        raise ValueError(f'{where}: segment must be [start, end] in seconds, got '
                         f'{_describe(segment)}')
    if not isinstance(label, str):
        raise ValueError(f'{where}: label must be a string, got {_describe(label)}')
    start, end = float(segment[0]), float(segment[1])
    if start < 0 or end > duration + DURATION_TOLERANCE or start >= end:
        raise ValueError(f'{where}: segment [{start}, {end}] is outside the video '
                         f'[0, {duration}] or not start < end')
    return start, min(end, duration), label


@DATASETS.register_module()
class TALFeatureDataset(BaseActionDataset):
    """Temporal action localization on per-video feature files, cut into windows.

    Each sample is one window of one video (units in the module docstring). Without ``resize``
    a video of ``N`` steps gives windows of ``window_size`` steps every ``window_stride`` steps,
    the last one ending at the video's end (a video shorter than a window gives one window,
    zero-padded by :class:`LoadTALFeature`); with ``subsample`` ``s`` a window step is every
    ``s``-th original step (``scale = s``; size and stride count window steps). With ``resize``
    a video gives one sample of
    ``window_size`` steps, linearly resampled: ``'always'``, or ``'down_only'`` when longer
    (shorter videos are kept native and padded, as VSGN on ActivityNet).

    Ground truth of a window, ``gt_segments`` float64 ``(k, 2)`` in window steps and
    ``gt_labels`` int64 ``(k,)`` (0-based class index): in training the actions wholly inside
    the window (or, with ``min_action_overlap``, those at least that fraction inside, clipped to
    it), in ``test_mode`` every action overlapping it, clipped to it. Actions are first clipped
    to the span of the features ``[0, N]``.

    Everything is checked at construction; bad input raises a one-line ``ValueError`` /
    ``FileNotFoundError`` / ``KeyError`` naming the file, video and annotation.

    Args:
        ann_file: Annotation JSON in the ActivityNet layout (module docstring).
        pipeline: Transforms, e.g. ``LoadTALFeature``, ``PackTALInputs``.
        data_prefix: ``dict(feature=folder of the feature files)``.
        subset: Subset name(s) of the videos to use. Defaults to ``'validation'``.
        classes: Class names; the label index is the position. Defaults to the sorted labels of
            the whole file.
        feature_rate: Feature steps per second. None: the features of a video evenly span it,
            ``num_steps / duration`` per video (features resampled to a fixed length, as
            mmaction2's ActivityNet ``csv_mean_100``).
        feature_offset: Step ``i`` is at ``(i + feature_offset) / feature_rate`` seconds.
        feature_dim: Expected feature width ``C``; checked for every file when given. All
            files must have the same width in any case.
        feature_name: File stem of a video, a format of ``{video}``, e.g. ``'v_{video}'``.
        feature_ext: ``'.npy'`` (``(num_steps, C)`` array) or ``'.csv'`` (header row, then
            one comma-separated row per step).
        window_size: Steps per sample ``T``.
        window_stride: Steps between window starts (without ``resize``), in
            ``1..window_size``. Defaults to ``window_size``.
        resize: None (windows), ``'down_only'`` or ``'always'``.
        subsample: Keep every ``subsample``-th feature step (without ``resize``), e.g. 3 for
            AFSD-style windows of 0.4 s steps from 7.5 steps/s features. Defaults to 1.
        keep_window: ``'whole_action'`` keeps only windows holding at least one whole action,
            ``'any'`` keeps all. Defaults to ``'any'`` in ``test_mode``, else ``'whole_action'``.
        min_action_overlap: Training ground truth. None: the actions wholly inside the window.
            A fraction in (0, 1]: every action with at least that fraction of its length inside
            the window, clipped to it; 0.5 is AFSD's ``split_videos`` (which also keeps only
            windows holding a whole action, ``keep_window='whole_action'``). No effect in
            ``test_mode``. Defaults to None.
        test_mode: Test mode (all windows, clipped ground truth).
        **kwargs: Other ``BaseActionDataset`` arguments (``data_root``, ``indices``, ...).
    """

    def __init__(self,
                 ann_file: str,
                 pipeline: List[Union[ConfigType, Callable]],
                 data_prefix: ConfigType = dict(feature='data/thumos14/features'),
                 subset: Union[str, Sequence[str]] = 'validation',
                 classes: Optional[Sequence[str]] = None,
                 feature_rate: Optional[float] = None,
                 feature_offset: float = 0.,
                 feature_dim: Optional[int] = None,
                 feature_name: str = '{video}',
                 feature_ext: str = '.npy',
                 window_size: int = 128,
                 window_stride: Optional[int] = None,
                 resize: Optional[str] = None,
                 subsample: int = 1,
                 keep_window: Optional[str] = None,
                 min_action_overlap: Optional[float] = None,
                 test_mode: bool = False,
                 **kwargs) -> None:
        self.subsets, self.classes = check_window_arguments(
            data_prefix, 'feature', 'feature files', subset, feature_name, 'feature_name',
            classes, window_size)
        if feature_rate is not None and not feature_rate > 0:
            raise ValueError(f'feature_rate must be > 0 steps per second, got {feature_rate!r}')
        if feature_ext not in FEATURE_EXTENSIONS:
            raise ValueError(f'feature_ext must be one of {FEATURE_EXTENSIONS}, got '
                             f'{feature_ext!r}')
        if resize not in RESIZE_MODES:
            raise ValueError(f'resize must be one of {RESIZE_MODES}, got {resize!r}')
        if resize is not None and window_stride is not None:
            raise ValueError(f'window_stride has no effect with resize={resize!r}; drop it')
        if not isinstance(subsample, int) or subsample < 1:
            raise ValueError(f'subsample must be an int >= 1, got {subsample!r}')
        if resize is not None and subsample != 1:
            raise ValueError(f'subsample={subsample} has no effect with resize={resize!r}; '
                             'drop it')
        window_stride = window_size if window_stride is None else window_stride
        check_window_stride(window_stride, window_size)
        keep_window = keep_window or ('any' if test_mode else 'whole_action')
        if keep_window not in KEEP_WINDOW_MODES:
            raise ValueError(f'keep_window must be one of {KEEP_WINDOW_MODES}, got '
                             f'{keep_window!r}')
        if min_action_overlap is not None and (
                isinstance(min_action_overlap, bool) or
                not isinstance(min_action_overlap, (int, float)) or
                not 0 < min_action_overlap <= 1):
            raise ValueError(f'min_action_overlap must be None or a fraction in (0, 1], got '
                             f'{min_action_overlap!r}')
        if feature_dim is not None and (not isinstance(feature_dim, int) or feature_dim < 1):
            raise ValueError(f'feature_dim must be an int >= 1, got {feature_dim!r}')
        self.feature_rate = feature_rate
        self.feature_offset = float(feature_offset)
        self.feature_dim = feature_dim
        self.feature_name = feature_name
        self.feature_ext = feature_ext
        self.window_size = window_size
        self.window_stride = window_stride
        self.resize = resize
        self.subsample = subsample
        self.keep_window = keep_window
        self.min_action_overlap = min_action_overlap
        super().__init__(
            ann_file, pipeline, data_prefix=dict(data_prefix), test_mode=test_mode, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read the annotations and the feature lengths; cut the videos into windows."""
        videos = load_tal_annotations(self.ann_file)
        if self.classes is None:
            self.classes = tuple(sorted({a[2] for v in videos.values() for a in v['annotations']}))
        self._metainfo['classes'] = self.classes
        class_index = {name: index for index, name in enumerate(self.classes)}
        selected = {name: info for name, info in videos.items() if info['subset'] in self.subsets}
        unknown = [(name, info['subset']) for name, info in videos.items()
                   if info['subset'] not in KNOWN_SUBSETS + tuple(self.subsets)]
        if unknown:
            seen = sorted({info['subset'] for info in videos.values()})
            MMLogger.get_current_instance().warning(
                f'{self.ann_file}: {len(unknown)} videos have a subset that is none of '
                f'{sorted(set(KNOWN_SUBSETS + tuple(self.subsets)))} and are left out, e.g. '
                f'video {unknown[0][0]!r} (subset {unknown[0][1]!r}); subsets seen: {seen}')
        if not selected:
            found = sorted({info['subset'] for info in videos.values()})
            raise ValueError(f'{self.ann_file}: no video of subset {self.subsets} (subsets in '
                             f'the file: {found})')

        data_list, width_source = [], None
        stats = dict(actions=0, lost=0, outside=0, off_rate=0)
        for video, info in selected.items():
            where = f'{self.ann_file}: video {video!r}'
            labels = []
            for index, (_, _, label) in enumerate(info['annotations']):
                if label not in class_index:
                    raise ValueError(f'{where}, annotation {index}: unknown label {label!r} '
                                     f'(not in the {len(self.classes)} classes)')
                labels.append(class_index[label])
            path = osp.join(self.data_prefix['feature'],
                            self.feature_name.format(video=video) + self.feature_ext)
            if not osp.isfile(path):
                raise FileNotFoundError(f'{where}: feature file {path} not found')
            num_steps, width = read_feature_shape(path)
            if self.feature_dim is not None and width != self.feature_dim:
                hint = ' (transposed? expected (num_steps, C))' \
                    if num_steps == self.feature_dim else ''
                raise ValueError(f'{path}: features are {width}-d, feature_dim='
                                 f'{self.feature_dim}{hint}')
            if width_source is None:
                width_source = (path, width)
            elif width != width_source[1]:
                raise ValueError(f'{path}: features are {width}-d, but {width_source[0]} has '
                                 f'{width_source[1]}')
            rate = self.feature_rate or num_steps / info['duration']
            if num_steps < 1 or info['duration'] * rate < 1:
                raise ValueError(f'{where}: shorter than one feature step ({num_steps} steps '
                                 f'in {path}, {info["duration"]} s at {rate:g} steps/s)')
            if abs(num_steps / rate - info['duration']) > 0.05 * info['duration'] + 2 / rate:
                stats['off_rate'] += 1
            video_info = dict(
                video_name=video,
                feature_path=path,
                duration=info['duration'],
                feature_rate=rate,
                feature_offset=self.feature_offset,
                num_steps=num_steps,
                subset=info['subset'])
            if 'fps' in info:
                video_info['fps'] = info['fps']
            seconds = np.array([a[:2] for a in info['annotations']],
                               np.float64).reshape(-1, 2)
            steps = np.clip(seconds * rate - self.feature_offset, 0, num_steps)
            inside = steps[:, 1] - steps[:, 0] > _EPS
            stats['actions'] += len(steps)
            stats['outside'] += int((~inside).sum())
            windows, lost = self._windows(video_info, steps[inside],
                                          np.array(labels, np.int64)[inside])
            stats['lost'] += lost
            data_list.extend(windows)
        if not data_list:
            raise ValueError(f'{self.ann_file}: no window of subset {self.subsets} holds a whole '
                             f'action (window_size={self.window_size}); use a larger window or '
                             "keep_window='any'")
        self._log_summary(len(selected), len(data_list), stats)
        return data_list

    def _window_starts(self, num_steps: int) -> List[int]:
        """First steps of a video's windows when they are not resized."""
        sub = self.subsample
        return window_starts(num_steps, self.window_size * sub, self.window_stride * sub)

    def _windows(self, video_info: dict, steps: np.ndarray,
                 labels: np.ndarray) -> Tuple[List[dict], int]:
        """Windows of a video and the number of its actions in the training ground truth of none
        of them (wholly inside none, or, with ``min_action_overlap``, not enough inside any)."""
        num_steps, size = video_info['num_steps'], self.window_size
        if self.resize == 'always' or (self.resize == 'down_only' and num_steps > size):
            spans = [(0, num_steps / size)]
        elif self.resize is not None:
            spans = [(0, 1.)]
        else:
            spans = [(start, float(self.subsample)) for start in self._window_starts(num_steps)]
        windows, ever_kept = [], np.zeros(len(steps), bool)
        for start, scale in spans:
            end = start + size * scale
            whole = (steps[:, 0] >= start - _EPS) & (steps[:, 1] <= end + _EPS)
            ever_kept |= whole
            if self.keep_window == 'whole_action' and not whole.any():
                continue
            if self.test_mode:
                keep = (steps[:, 1] > start + _EPS) & (steps[:, 0] < end - _EPS)
                segments = np.clip(steps[keep], start, end)
            elif self.min_action_overlap is not None:
                keep = action_overlap(steps, start, end) >= self.min_action_overlap - 1e-9
                ever_kept |= keep
                segments = np.clip(steps[keep], start, end)
            else:
                keep = whole
                segments = steps[keep]
            windows.append(dict(
                video_info,
                window_start=int(start),
                window_size=size,
                scale=float(scale),
                gt_segments=(segments - start) / scale,
                gt_labels=labels[keep]))
        return windows, int((~ever_kept).sum())

    def _log_summary(self, num_videos: int, num_windows: int, stats: dict) -> None:
        logger = MMLogger.get_current_instance()
        logger.info(f'TALFeatureDataset {self.ann_file} {self.subsets}: {num_videos} videos, '
                    f'{num_windows} samples, {stats["actions"]} actions, {len(self.classes)} '
                    f'classes')
        if stats['outside']:
            logger.warning(f'{stats["outside"]} actions lie outside the span of their features '
                           'and are dropped')
        if stats['lost'] and not self.test_mode:
            inside = 'wholly' if self.min_action_overlap is None else \
                f'at least {self.min_action_overlap:g} of their length'
            logger.warning(f'{stats["lost"]} actions are {inside} inside no training sample '
                           f'(window_size={self.window_size} steps)')
        if stats['off_rate']:
            logger.warning(f'{stats["off_rate"]} videos have num_steps / feature_rate more than '
                           f'5% off their duration: is feature_rate={self.feature_rate} right?')
