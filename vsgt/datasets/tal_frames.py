"""Temporal action localization on per-video frame arrays, AFSD's THUMOS14 ``.npy`` layout.

A video is one ``.npy`` file: uint8 ``(T, H, W, 3)`` RGB frames or ``(T, H, W, 2)`` optical flow
(x, y), sampled at a fixed rate. AFSD's preparation (``AFSD/common/video2npy.py``) keeps 10
frames per second of video and resizes them to 112x112 (bicubic); its flow
(``gen_denseflow_npy.py``) is TV-L1 on those frames, bound 20, stored as two uint8 images. Frame
``i`` is at ``i / frame_rate`` seconds, so an annotation ``[s, e]`` seconds is
``[s * frame_rate, e * frame_rate]`` frames.

Units are those of :mod:`vsgt.datasets.tal` with one step per frame: a window starts at frame
``window_start`` and ``gt_segments`` are in frames from it (``scale = 1``, ``feature_offset = 0``,
``feature_rate = frame_rate``), so :func:`~vsgt.datasets.tal.window_to_seconds` and the TAL
metric work unchanged.
"""
import math
import os.path as osp
from typing import Callable, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.logging import MMLogger

from mmaction.datasets import BaseActionDataset
from mmaction.registry import DATASETS, TRANSFORMS
from mmaction.utils import ConfigType
from .tal import (KNOWN_SUBSETS, action_overlap, check_window_arguments, check_window_stride,
                  load_tal_annotations, window_starts)
from .tal_transforms import PackTALInputs

#: Channels of a frame array per ``modality`` (``'RGB+Flow'``: an RGB and a flow array, stacked).
MODALITY_CHANNELS = {'RGB': 3, 'Flow': 2, 'RGB+Flow': 5}
_TOLERANCE = 1e-9  # relative: float rounding of the overlap fractions


def read_frames_shape(path: str, channels: int) -> Tuple[int, int, int]:
    """``(T, H, W)`` of a frame ``.npy``, read from its header; anything but uint8
    ``(T, H, W, channels)`` with ``T >= 1`` raises one line naming the file."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'frame file {path} not found')
    try:
        array = np.load(path, mmap_mode='r', allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise ValueError(f'{path}: not a readable .npy array ({error})') from None
    shape = tuple(array.shape)
    if len(shape) != 4 or shape[3] != channels or array.dtype != np.uint8:
        hint = ' (channels first? the layout is (T, H, W, C))' \
            if len(shape) == 4 and shape[0] == channels else ''
        raise ValueError(f'{path}: expected uint8 frames (T, H, W, {channels}), got '
                         f'{array.dtype} {shape}{hint}')
    if shape[0] < 1 or shape[1] < 1 or shape[2] < 1:
        raise ValueError(f'{path}: no frames ({shape})')
    return shape[:3]


def afsd_window_actions(segments: np.ndarray, start: int,
                        window_size: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """AFSD's ``split_videos`` rule for one training window.

    The window's span for the rule is frames ``[start + 1, start + window_size]`` (as the
    official code: one frame less on the left than the frames it feeds). An action is *whole*
    when wholly inside that span, *kept* when at least half of its length is; a kept action is
    clipped to ``[1, window_size]`` in window frames.

    Args:
        segments: ``(k, 2)`` actions in frames of the video.
        start: The window's first frame.
        window_size: Frames per window.

    Returns:
        tuple: bool ``(k,)`` whole, bool ``(k,)`` kept and float64 ``(k, 2)`` clipped
        segments in window frames (meaningful where kept).
    """
    overlap = action_overlap(segments, start + 1, start + window_size)
    clipped = np.stack([np.maximum(segments[:, 0] - start, 1),
                        np.minimum(segments[:, 1] - start, window_size)], axis=1)
    return overlap >= 1 - _TOLERANCE, overlap >= 0.5 - _TOLERANCE, clipped


@DATASETS.register_module()
class TALFrameDataset(BaseActionDataset):
    """Temporal action localization on per-video frame arrays, in AFSD's windows.

    Each sample is one window of ``window_size`` frames of one video (module docstring for the
    files and units). Windows start every ``window_stride`` frames, plus one ending at the
    video's last frame when the stride does not reach it; a video of at most ``window_size``
    frames gives one window from frame 0 (padded by :class:`PackTALFrames`). This is the
    windowing of AFSD's ``split_videos`` (training) and ``test.py`` (testing).

    Training (AFSD's ``split_videos``, :func:`afsd_window_actions`): a window is kept only when
    it holds a whole action; its ground truth is every action at least half inside it, clipped.
    In ``test_mode`` every window is kept, with every action overlapping it, clipped to
    ``[0, window_size]``.

    Each data info holds ``video_name``, ``frames_path``, ``duration``, ``num_frames``,
    ``window_start`` and ``window_size`` (frames), ``feature_rate`` (= the frame rate),
    ``feature_offset`` (0.), ``scale`` (1.), ``min_action_frames`` (AFSD's per-video ``th``: the
    shortest kept action over the video's windows in frames, rounded up, at most
    ``window_size``, used by its boundary augmentation), ``gt_segments`` float64 ``(k, 2)``
    window frames and ``gt_labels`` int64 ``(k,)`` (0-based). Construction reads only the
    headers of the arrays; :class:`LoadTALFrames` reads a window's frames, memory-mapped.

    Everything is checked at construction; bad input raises a one-line ``ValueError`` /
    ``FileNotFoundError`` / ``KeyError`` naming the file, video and annotation.

    Args:
        ann_file: Annotation JSON in the ActivityNet layout (seconds; see
            :mod:`vsgt.datasets.tal`).
        pipeline: Transforms, e.g. ``LoadTALFrames``, ``TALFrameRandomCrop``,
            ``TALFrameFlip``, ``PackTALFrames``.
        data_prefix: ``dict(frames=folder of the .npy files)``; with ``modality='RGB+Flow'``
            also ``flows=folder of the flow .npy files`` (same names, at least as many frames).
        subset: Subset name(s) of the videos to use. Defaults to ``'validation'``.
        classes: Class names; the label index is the position. Defaults to the sorted labels of
            the whole file.
        modality: ``'RGB'`` (3 channels), ``'Flow'`` (2 channels) or ``'RGB+Flow'`` (both
            arrays of a video, the window's frames stacked to 5 channels, RGB first: the input
            of a two-stream model, AFSD's ``--fusion`` test).
        frame_rate: Frames per second of the arrays (AFSD: 10, with which its test maps
            windows back to seconds). None: per video ``num_frames / duration``, AFSD's
            training conversion ``frame * sample_count / count`` when ``duration`` is
            ``count / fps``.
        frame_size: Expected ``(H, W)`` of every array when given (AFSD: ``(112, 112)``).
        file_name: File stem of a video, a format of ``{video}``.
        window_size: Frames per window (AFSD's ``clip_length``, 256).
        window_stride: Frames between window starts (AFSD's ``clip_stride``). Defaults to 30
            in training and 128 in ``test_mode``, AFSD's THUMOS14 values.
        test_mode: Test mode (all windows, clipped ground truth).
        **kwargs: Other ``BaseActionDataset`` arguments (``data_root``, ``indices``, ...).
    """

    def __init__(self,
                 ann_file: str,
                 pipeline: List[Union[ConfigType, Callable]],
                 data_prefix: ConfigType = dict(frames='data/thumos14/frames'),
                 subset: Union[str, Sequence[str]] = 'validation',
                 classes: Optional[Sequence[str]] = None,
                 modality: str = 'RGB',
                 frame_rate: Optional[float] = 10.,
                 frame_size: Optional[Sequence[int]] = None,
                 file_name: str = '{video}',
                 window_size: int = 256,
                 window_stride: Optional[int] = None,
                 test_mode: bool = False,
                 **kwargs) -> None:
        self.subsets, self.classes = check_window_arguments(
            data_prefix, 'frames', 'frame .npy files', subset, file_name, 'file_name', classes,
            window_size)
        if modality not in MODALITY_CHANNELS:
            raise ValueError(f'modality must be one of {sorted(MODALITY_CHANNELS)}, got '
                             f'{modality!r}')
        if modality == 'RGB+Flow' and 'flows' not in data_prefix:
            raise KeyError(f'modality RGB+Flow needs data_prefix key "flows" (folder of the flow '
                           f'.npy files), got keys {sorted(data_prefix)}')
        if frame_rate is not None and (isinstance(frame_rate, bool) or
                                       not isinstance(frame_rate, (int, float)) or
                                       not frame_rate > 0):
            raise ValueError(f'frame_rate must be None or > 0 frames per second, got '
                             f'{frame_rate!r}')
        if frame_size is not None and (len(frame_size) != 2 or not all(
                isinstance(v, int) and v > 0 for v in frame_size)):
            raise ValueError(f'frame_size must be None or (H, W), got {frame_size!r}')
        if window_stride is None:
            window_stride = min(128 if test_mode else 30, window_size)
        check_window_stride(window_stride, window_size)
        self.channels = MODALITY_CHANNELS[modality]
        self.frame_rate = None if frame_rate is None else float(frame_rate)
        self.frame_size = None if frame_size is None else tuple(frame_size)
        self.file_name = file_name
        self.window_size = window_size
        self.window_stride = window_stride
        super().__init__(ann_file, pipeline, data_prefix=dict(data_prefix),
                         test_mode=test_mode, modality=modality, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read the annotations and the array headers; cut the videos into windows."""
        videos = load_tal_annotations(self.ann_file)
        if self.classes is None:
            self.classes = tuple(sorted({a[2] for v in videos.values() for a in v['annotations']}))
        self._metainfo['classes'] = self.classes
        class_index = {name: index for index, name in enumerate(self.classes)}
        selected = {name: info for name, info in videos.items() if info['subset'] in self.subsets}
        unknown = [name for name, info in videos.items()
                   if info['subset'] not in KNOWN_SUBSETS + tuple(self.subsets)]
        if unknown:
            MMLogger.get_current_instance().warning(
                f'{self.ann_file}: {len(unknown)} videos have a subset that is none of '
                f'{sorted(set(KNOWN_SUBSETS + tuple(self.subsets)))} and are left out, e.g. '
                f'video {unknown[0]!r}')
        if not selected:
            found = sorted({info['subset'] for info in videos.values()})
            raise ValueError(f'{self.ann_file}: no video of subset {self.subsets} (subsets in '
                             f'the file: {found})')

        data_list = []
        stats = dict(actions=0, lost=0, clipped=0, short=0, off_rate=0)
        for video, info in selected.items():
            where = f'{self.ann_file}: video {video!r}'
            labels = []
            for index, (_, _, label) in enumerate(info['annotations']):
                if label not in class_index:
                    raise ValueError(f'{where}, annotation {index}: unknown label {label!r} '
                                     f'(not in the {len(self.classes)} classes)')
                labels.append(class_index[label])
            path = osp.join(self.data_prefix['frames'],
                            self.file_name.format(video=video) + '.npy')
            if not osp.isfile(path):
                raise FileNotFoundError(f'{where}: frame file {path} not found')
            num_frames, height, width = read_frames_shape(path, min(self.channels, 3))
            flows_path = self._flows_path(video, path, (num_frames, height, width))
            if self.frame_size is not None and (height, width) != self.frame_size:
                raise ValueError(f'{path}: frames are {height}x{width}, frame_size='
                                 f'{self.frame_size}')
            rate = self.frame_rate or num_frames / info['duration']
            if abs(num_frames / rate - info['duration']) > 0.05 * info['duration'] + 2 / rate:
                stats['off_rate'] += 1
            stats['short'] += num_frames < self.window_size
            video_info = dict(
                video_name=video,
                frames_path=path,
                duration=info['duration'],
                num_frames=num_frames,
                feature_rate=rate,
                feature_offset=0.,
                scale=1.,
                window_size=self.window_size,
                subset=info['subset'])
            if 'fps' in info:
                video_info['fps'] = info['fps']
            if flows_path is not None:
                video_info['flows_path'] = flows_path
            segments = np.array([a[:2] for a in info['annotations']],
                                np.float64).reshape(-1, 2) * rate
            stats['actions'] += len(segments)
            windows, counts = self._windows(video_info, segments, np.array(labels, np.int64))
            stats['lost'] += counts[0]
            stats['clipped'] += counts[1]
            data_list.extend(windows)
        if not data_list:
            raise ValueError(f'{self.ann_file}: no window of subset {self.subsets} holds a whole '
                             f'action (window_size={self.window_size} frames)')
        self._log_summary(len(selected), len(data_list), stats)
        return data_list

    def _flows_path(self, video: str, frames_path: str,
                    frames_shape: Tuple[int, int, int]) -> Optional[str]:
        """The flow array of ``video`` for ``'RGB+Flow'`` (None otherwise), checked against its
        RGB array: the same frame size and at least as many frames."""
        if self.modality != 'RGB+Flow':
            return None
        path = osp.join(self.data_prefix['flows'], self.file_name.format(video=video) + '.npy')
        if not osp.isfile(path):
            raise FileNotFoundError(f'{self.ann_file}: video {video!r}: flow file {path} not '
                                    f'found')
        num_frames, height, width = read_frames_shape(path, 2)
        if (height, width) != frames_shape[1:] or num_frames < frames_shape[0]:
            raise ValueError(f'{path}: flow frames {num_frames}x{height}x{width} do not cover '
                             f'the RGB frames {frames_path} '
                             f'({"x".join(map(str, frames_shape))})')
        return path

    def _windows(self, video_info: dict, segments: np.ndarray,
                 labels: np.ndarray) -> Tuple[List[dict], Tuple[int, int]]:
        """Windows of a video, and the numbers of its actions kept in no training window and
        of clipped actions in training windows."""
        size = self.window_size
        starts = window_starts(video_info['num_frames'], size, self.window_stride)
        # AFSD's th: starts at the window size; a video of one window also counts its actions
        # as annotated; then the kept actions of every window, clipped.
        shortest = float(size)
        if video_info['num_frames'] <= size and len(segments):
            shortest = min(shortest, float((segments[:, 1] - segments[:, 0]).min()))
        windows, ever_kept, clipped = [], np.zeros(len(segments), bool), 0
        for start in starts:
            whole, kept, parts = afsd_window_actions(segments, start, size)
            if kept.any():
                shortest = min(shortest, float((parts[kept, 1] - parts[kept, 0]).min()))
            if self.test_mode:
                keep = (segments[:, 1] > start) & (segments[:, 0] < start + size)
                window_segments = np.clip(segments[keep] - start, 0, size)
            elif whole.any():
                ever_kept |= kept
                clipped += int((kept & ~whole).sum())
                keep, window_segments = kept, parts[kept]
            else:
                continue
            windows.append(dict(video_info, window_start=int(start),
                                gt_segments=window_segments.reshape(-1, 2),
                                gt_labels=labels[keep]))
        for window in windows:
            window['min_action_frames'] = int(math.ceil(shortest))
        return windows, (int((~ever_kept).sum()), clipped)

    def _log_summary(self, num_videos: int, num_windows: int, stats: dict) -> None:
        logger = MMLogger.get_current_instance()
        logger.info(f'TALFrameDataset {self.ann_file} {self.subsets}: {num_videos} videos, '
                    f'{num_windows} windows of {self.window_size} frames every '
                    f'{self.window_stride}, {stats["actions"]} actions, {len(self.classes)} '
                    f'classes')
        if stats['short']:
            logger.info(f'{stats["short"]} videos are shorter than a window (padded)')
        if not self.test_mode:
            if stats['clipped']:
                logger.info(f'{stats["clipped"]} ground-truth actions of training windows are '
                            'partly inside their window and clipped to it')
            if stats['lost']:
                logger.warning(f'{stats["lost"]} actions are in no training window (none holds '
                               f'at least half of them next to a whole action)')
        if stats['off_rate']:
            logger.warning(f'{stats["off_rate"]} videos have num_frames / frame_rate more than '
                           f'5% off their duration: is frame_rate={self.frame_rate} right?')


@TRANSFORMS.register_module()
class LoadTALFrames(BaseTransform):
    """Read a window's frames from the video's array, memory-mapped (no other frame is read).

    Required keys: ``frames_path``, ``num_frames``, ``window_start``, ``window_size``; optional
    ``flows_path`` (``'RGB+Flow'``: the flow frames are stacked after the RGB channels). Added
    keys: ``frames`` uint8 ``(n, H, W, C)``, the ``n = num_valid`` frames of the window inside
    the video (``n < window_size`` at a short video's end; :class:`PackTALFrames` pads).
    """

    def transform(self, results: dict) -> dict:
        start = results['window_start']
        stop = min(results['num_frames'], start + results['window_size'])
        paths = [results['frames_path']] + ([results['flows_path']]
                                            if 'flows_path' in results else [])
        parts = []
        for path in paths:
            array = np.load(path, mmap_mode='r', allow_pickle=False)
            parts.append(np.array(array[start:stop]))
            if len(parts[-1]) != stop - start:
                raise ValueError(f'{path}: expected at least {stop} frames, got {len(array)}')
            del array
        frames = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-1)
        results['frames'] = frames
        results['num_valid'] = len(frames)
        return results


def _check_crop(results: dict, size: Tuple[int, int]) -> Tuple[int, int]:
    height, width = results['frames'].shape[1:3]
    if height < size[0] or width < size[1]:
        raise ValueError(f'{results.get("frames_path", "frames")}: frames of {height}x{width} '
                         f'are smaller than the crop {size[0]}x{size[1]}')
    return height, width


def _pair(size: Union[int, Sequence[int]]) -> Tuple[int, int]:
    pair = (size, size) if isinstance(size, int) else tuple(size)
    if len(pair) != 2 or not all(isinstance(v, int) and v > 0 for v in pair):
        raise ValueError(f'size must be an int or (h, w) of positive ints, got {size!r}')
    return pair


@TRANSFORMS.register_module()
class TALFrameRandomCrop(BaseTransform):
    """One random ``size`` crop for all frames of a window (AFSD's training ``RandomCrop``:
    top row and left column uniform in ``0..H-h`` and ``0..W-w``).

    Required keys: ``frames`` ``(T, H, W, C)``. Modified: ``frames``. Added: ``crop_offset``
    ``(top, left)``.
    """

    def __init__(self, size: Union[int, Sequence[int]] = 96) -> None:
        self.size = _pair(size)

    def transform(self, results: dict) -> dict:
        height, width = _check_crop(results, self.size)
        top = int(np.random.randint(0, height - self.size[0] + 1))
        left = int(np.random.randint(0, width - self.size[1] + 1))
        results['frames'] = results['frames'][:, top:top + self.size[0],
                                              left:left + self.size[1]]
        results['crop_offset'] = (top, left)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(size={self.size})'


@TRANSFORMS.register_module()
class TALFrameCenterCrop(BaseTransform):
    """The centre ``size`` crop of all frames (AFSD's ``CenterCrop``: top row
    ``round((H - h) / 2)``, halves to even, likewise the left column).

    Required keys: ``frames`` ``(T, H, W, C)``. Modified: ``frames``. Added: ``crop_offset``.
    """

    def __init__(self, size: Union[int, Sequence[int]] = 96) -> None:
        self.size = _pair(size)

    def transform(self, results: dict) -> dict:
        height, width = _check_crop(results, self.size)
        top = int(np.round((height - self.size[0]) / 2.))
        left = int(np.round((width - self.size[1]) / 2.))
        results['frames'] = results['frames'][:, top:top + self.size[0],
                                              left:left + self.size[1]]
        results['crop_offset'] = (top, left)
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(size={self.size})'


@TRANSFORMS.register_module()
class TALFrameFlip(BaseTransform):
    """Mirror all frames of a window left-right with probability ``flip_ratio`` (AFSD's
    ``RandomHorizontalFlip``; flow is mirrored as an image, its x values unchanged, as the
    official code does).

    Required keys: ``frames`` ``(T, H, W, C)``. Modified: ``frames``. Added: ``flip`` (bool).
    """

    def __init__(self, flip_ratio: float = 0.5) -> None:
        if not 0 <= flip_ratio <= 1:
            raise ValueError(f'flip_ratio must be in [0, 1], got {flip_ratio!r}')
        self.flip_ratio = flip_ratio

    def transform(self, results: dict) -> dict:
        flip = bool(np.random.rand() < self.flip_ratio)
        if flip:
            results['frames'] = results['frames'][:, :, ::-1]
        results['flip'] = flip
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(flip_ratio={self.flip_ratio})'


@TRANSFORMS.register_module()
class PackTALFrames(PackTALInputs):
    """Pack a frame window: ``inputs`` float32 ``(C, window_size, h, w)`` in [-1, 1]
    (``x / 255 * 2 - 1``, AFSD's scaling) and an ``ActionDataSample`` as
    :class:`~vsgt.datasets.tal_transforms.PackTALInputs` (ground truth in window frames; the
    metainfo :data:`~vsgt.datasets.tal_transforms.TAL_META_KEYS` plus ``meta_keys``).

    Frames past ``num_valid`` are ``pad_value``: AFSD pads its training windows with zero
    frames before scaling (-1.) and its test windows with zeros after scaling (0.).

    Args:
        pad_value: Value of the padded frames (-1. in training, 0. in testing as AFSD).
        meta_keys: Metainfo keys packed besides ``TAL_META_KEYS`` when present in the results.
    """

    def __init__(self, pad_value: float = -1.,
                 meta_keys: Sequence[str] = ('num_frames', 'min_action_frames', 'flip')) -> None:
        super().__init__(meta_keys=meta_keys)
        self.pad_value = float(pad_value)

    def pack_inputs(self, results: dict) -> torch.Tensor:
        frames = torch.from_numpy(np.ascontiguousarray(results['frames']))
        clip = frames.permute(3, 0, 1, 2).float() / 255.0 * 2.0 - 1.0
        size = results['window_size']
        if clip.shape[1] < size:
            pad = clip.new_full((clip.shape[0], size - clip.shape[1], *clip.shape[2:]),
                                self.pad_value)
            clip = torch.cat([clip, pad], dim=1)
        return clip.contiguous()

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(pad_value={self.pad_value}, ' \
               f'meta_keys={self.meta_keys})'
