"""Ground truth in the ACT / MultiSports pickle format, loaded and checked.

The pickle (``UCF101v2-GT.pkl``, ``JHMDB-GT.pkl``, MultiSports' and this project's ``gt.pkl``)
is a dict with ``labels`` (class names), ``gttubes`` ``{video: {label_index: [(n, 5) arrays of
rows frame, x1, y1, x2, y2 in pixels]}}``, ``nframes`` ``{video: int}``, ``train_videos`` /
``test_videos`` (a list holding one list of video names per split) and ``resolution``
``{video: (height, width)}``. Frames are numbered from 1. Pickles written by Python 2 (the
public UCF101-24 and JHMDB-21 ones) are read too.
"""
import os.path as osp
from dataclasses import dataclass
from functools import cached_property
from typing import Dict, Sequence, Tuple, Union

import numpy as np

from vsgt.utils.safe_pickle import safe_load

VIDEO_FIELDS = ('gttubes', 'nframes', 'resolution')
SPLIT_FIELDS = ('train_videos', 'test_videos')


def read_act_pickle(path: str, what: str = 'ground-truth file') -> dict:
    """Load a pickled dict (Python 2 pickles too), without checking its content.

    Only builtin and numpy types are admitted (:func:`vsgt.utils.safe_pickle.safe_load`).

    Args:
        path: The pickle.
        what: What it is, for the message when it is missing.
    """
    data = safe_load(path, what, encoding='latin1')
    if not isinstance(data, dict):
        raise ValueError(f'{path}: expected a dict, got {type(data).__name__}')
    return data


def _as_int(value, where: str, what: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f'{where}: {what} must be an int, got {value!r}')
    return int(value)


def _check_tube(tube, where: str, num_frames: int) -> np.ndarray:
    if not isinstance(tube, np.ndarray) or tube.ndim != 2 or tube.shape[1] != 5 or \
            len(tube) == 0:
        shape = getattr(tube, 'shape', type(tube).__name__)
        raise ValueError(f'{where}: expected a non-empty (n, 5) array of rows frame, x1, y1, '
                         f'x2, y2, got {shape}')
    tube = tube.astype(np.float64)
    frames = tube[:, 0]
    if not np.isfinite(tube).all():
        raise ValueError(f'{where}: non-finite values')
    if (frames != np.round(frames)).any() or frames.min() < 1 or frames.max() > num_frames:
        raise ValueError(f'{where}: frame numbers must be integers in 1..{num_frames} (nframes),'
                         f' got {frames.min():g}..{frames.max():g}')
    if (np.diff(frames) <= 0).any():
        raise ValueError(f'{where}: frame numbers must be strictly increasing')
    if (tube[:, 3] < tube[:, 1]).any() or (tube[:, 4] < tube[:, 2]).any():
        row = int(np.flatnonzero((tube[:, 3] < tube[:, 1]) | (tube[:, 4] < tube[:, 2]))[0])
        raise ValueError(f'{where}: box of frame {frames[row]:g} has x2 < x1 or y2 < y1')
    return tube


def _check_video(ann: dict, video: str, source: str, num_labels: int) -> Dict[int, list]:
    """Check a video's ``nframes``, ``resolution`` and tubes; return its tubes as float64."""
    where = f'{source}, video {video!r}'
    for field in VIDEO_FIELDS:
        if video not in ann[field]:
            raise ValueError(f'{where}: missing from {field!r}')
    num_frames = _as_int(ann['nframes'][video], where, 'nframes')
    if num_frames < 1:
        raise ValueError(f'{where}: nframes must be >= 1, got {num_frames}')
    resolution = ann['resolution'][video]
    if len(resolution) != 2 or min(_as_int(v, where, 'resolution') for v in resolution) < 1:
        raise ValueError(f'{where}: resolution must be (height, width) > 0, got {resolution!r}')
    tubes = ann['gttubes'][video]
    if not isinstance(tubes, dict):
        raise ValueError(f'{where}: gttubes entry must be a dict label_index -> list of tubes')
    checked = {}
    for label, label_tubes in tubes.items():
        label = _as_int(label, where, 'a gttubes label index')
        if not 0 <= label < num_labels:
            raise ValueError(f'{where}: gttubes label index {label} is outside '
                             f'0..{num_labels - 1}')
        if not isinstance(label_tubes, (list, tuple)):
            raise ValueError(f'{where}, label {label}: expected a list of tubes')
        checked[label] = [
            _check_tube(tube, f'{where}, label {label}, tube {index}', num_frames)
            for index, tube in enumerate(label_tubes)
        ]
    return checked


def _check_header(ann: dict, source: str, split_fields: Sequence[str]) -> None:
    """Check the fields, labels and split lists (not the videos)."""
    missing = [f for f in ('labels', *VIDEO_FIELDS, *split_fields) if f not in ann]
    if missing:
        raise ValueError(f'{source}: missing field(s) {", ".join(missing)}')
    labels = ann['labels']
    if not isinstance(labels, (list, tuple)) or not labels or \
            not all(isinstance(label, str) and label for label in labels):
        raise ValueError(f'{source}: labels must be a non-empty list of class names')
    if len(set(labels)) != len(labels):
        raise ValueError(f'{source}: labels has duplicate class names')
    for field in VIDEO_FIELDS:
        if not isinstance(ann[field], dict):
            raise ValueError(f'{source}: {field} must be a dict keyed by video name')
    for field in split_fields:
        splits = ann[field]
        if not isinstance(splits, (list, tuple)) or not splits or \
                not all(isinstance(videos, (list, tuple)) for videos in splits):
            raise ValueError(f'{source}: {field} must be a list holding one list of video '
                             'names per split')
        for number, videos in enumerate(splits, 1):
            if not all(isinstance(video, str) and video for video in videos):
                raise ValueError(f'{source}: {field} split {number} has a video name that is '
                                 'not a non-empty string')
            if len(set(videos)) != len(videos):
                raise ValueError(f'{source}: {field} split {number} lists a video twice')


def check_act_annotations(ann: dict, source: str,
                          split_fields: Sequence[str] = SPLIT_FIELDS) -> None:
    """Check an ACT-format dict: one ``ValueError`` naming the field, video, label or tube.

    Args:
        ann: The loaded pickle.
        source: Its name in messages (e.g. the file path).
        split_fields: Split lists to check, with every video they list.
    """
    _check_header(ann, source, split_fields)
    for field in split_fields:
        for video in dict.fromkeys(video for videos in ann[field] for video in videos):
            _check_video(ann, video, source, len(ann['labels']))


@dataclass(frozen=True, eq=False)
class GroundTruth:
    """The checked ground truth of one evaluated split.

    Attributes:
        source: Where it came from (for messages).
        labels: Class names; a label index is a position in it.
        videos: The split's videos; a video index is a position in it.
        nframes: ``(V,)`` frame count of each video.
        resolution: ``(V, 2)`` height and width of each video.
        tubes: ``(video_index, label_index, (n, 5) float64 tube)`` in the order of the
            videos, then label indices, then the pickle's lists.
    """

    source: str
    labels: Tuple[str, ...]
    videos: Tuple[str, ...]
    nframes: np.ndarray
    resolution: np.ndarray
    tubes: Tuple[Tuple[int, int, np.ndarray], ...]

    @cached_property
    def video_index(self) -> Dict[str, int]:
        """Video name -> video index."""
        return {video: index for index, video in enumerate(self.videos)}

    @cached_property
    def tube_rows(self) -> np.ndarray:
        """All tubes' rows, concatenated (``tube_ptr`` holds the offsets)."""
        return np.concatenate([tube for _, _, tube in self.tubes]) if self.tubes else \
            np.zeros((0, 5))

    @cached_property
    def tube_ptr(self) -> np.ndarray:
        """``(T + 1,)`` offsets of the tubes in ``tube_rows``."""
        return np.concatenate([[0], np.cumsum([len(tube) for _, _, tube in self.tubes])]
                              ).astype(np.int64)

    @cached_property
    def tube_video(self) -> np.ndarray:
        """Video index of each tube."""
        return np.array([video for video, _, _ in self.tubes], np.int64)

    @cached_property
    def tube_label(self) -> np.ndarray:
        """Label index of each tube."""
        return np.array([label for _, label, _ in self.tubes], np.int64)


def load_ground_truth(gt: Union[str, dict, GroundTruth], split: int = 1) -> GroundTruth:
    """Load and check the ground truth of ``test_videos[split - 1]``.

    Args:
        gt: ACT-format pickle path, its loaded dict, or a :class:`GroundTruth` (returned as is).
        split: 1-based split number (UCF101-24 has 1 split, JHMDB-21 3).
    """
    if isinstance(gt, GroundTruth):
        return gt
    source = gt if isinstance(gt, str) else 'ground truth'
    ann = read_act_pickle(gt) if isinstance(gt, str) else gt
    if not isinstance(ann, dict):
        raise ValueError(f'{source}: expected a dict, got {type(ann).__name__}')
    _check_header(ann, source, ('test_videos', ))
    splits = ann['test_videos']
    if not isinstance(split, int) or not 1 <= split <= len(splits):
        raise ValueError(f'{source}: split must be in 1..{len(splits)} (test_videos holds '
                         f'{len(splits)} split(s)), got {split!r}')
    videos = tuple(splits[split - 1])
    if not videos:
        raise ValueError(f'{source}: test_videos split {split} is empty')
    tubes = []
    for index, video in enumerate(videos):
        video_tubes = _check_video(ann, video, source, len(ann['labels']))
        tubes += [(index, label, tube) for label in sorted(video_tubes)
                  for tube in video_tubes[label]]
    if not tubes:
        raise ValueError(f'{source}: test_videos split {split} has no ground-truth tube')
    return GroundTruth(
        source=source,
        labels=tuple(ann['labels']),
        videos=videos,
        nframes=np.array([int(ann['nframes'][v]) for v in videos], np.int64),
        resolution=np.array([[int(x) for x in ann['resolution'][v]] for v in videos], np.int64),
        tubes=tuple(tubes))


def read_key_frames(csv_file: str, gt: GroundTruth) -> np.ndarray:
    """The ``(video_index, frame)`` pairs of an AVA CSV (rows ``video_id, timestamp, ...``).

    Every video must be in ``gt``'s split and every timestamp a frame of it; one ``ValueError``
    names the file and row otherwise.
    """
    if not osp.isfile(csv_file):
        raise FileNotFoundError(f'annotation file {csv_file} not found')
    pairs = []
    with open(csv_file) as file:
        for row_number, line in enumerate(file, 1):
            if not line.strip():
                continue
            fields = line.strip().split(',')
            where = f'{csv_file}, row {row_number}'
            if len(fields) < 2:
                raise ValueError(f'{where}: expected video_id,timestamp,...: {line.strip()!r}')
            video = fields[0]
            if video not in gt.video_index:
                raise ValueError(f'{where}: video {video!r} is not in the evaluated split of '
                                 f'{gt.source}')
            index = gt.video_index[video]
            try:
                frame = int(fields[1])
            except ValueError:
                raise ValueError(f'{where}: timestamp {fields[1]!r} is not an int') from None
            if not 1 <= frame <= gt.nframes[index]:
                raise ValueError(f'{where}: frame {frame} is outside 1..{gt.nframes[index]} of '
                                 f'video {video!r}')
            pairs.append((index, frame))
    if not pairs:
        raise ValueError(f'{csv_file}: no rows')
    return np.unique(np.array(pairs, np.int64), axis=0)
