"""The official detection formats, checked, and their atomic writers.

* Frame detections (MultiSports / ACT ``frameAP`` input, ``frame_detections.pkl``): a float
  array ``(N, 8)`` of rows ``video_index, frame, label_index, score, x1, y1, x2, y2``, the video
  index into the evaluated split's video list, the label index 0-based, boxes in pixels.
* Video detections (``videoAP`` input, ``video_detections.pkl``): ``{label_index: [(video_name,
  tube_score, (n, 6) array of rows frame, x1, y1, x2, y2, box_score)]}``, frames increasing.
* AVA detection CSV: rows ``video_id, frame, x1, y1, x2, y2, action_id, score`` with boxes
  normalised by the frame size and ``action_id = label_index + 1``.
"""
import os
import os.path as osp
import pickle
import tempfile
from dataclasses import dataclass
from typing import Callable, Dict, List, Tuple

import numpy as np

from .ground_truth import GroundTruth

VideoDetections = Dict[int, List[Tuple[str, float, np.ndarray]]]


def atomic_write(path: str, write: Callable, binary: bool = True) -> None:
    """Call ``write(file)`` on a temporary file beside ``path``, then rename it to ``path``."""
    directory = osp.dirname(osp.abspath(path))
    os.makedirs(directory, exist_ok=True)
    handle, temp_path = tempfile.mkstemp(prefix=f'.{osp.basename(path)}.', suffix='.tmp',
                                         dir=directory)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp_path, 0o666 & ~umask)  # mkstemp makes 0600; give the usual file mode
        with os.fdopen(handle, 'wb' if binary else 'w') as file:
            write(file)
        os.replace(temp_path, path)
    except BaseException:
        if osp.exists(temp_path):
            os.unlink(temp_path)
        raise


def dump_pickle(obj: object, path: str) -> None:
    """Pickle ``obj`` into ``path`` atomically."""
    atomic_write(path, lambda file: pickle.dump(obj, file, protocol=pickle.HIGHEST_PROTOCOL))


def _is_index(values: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Whether each value is an integer in ``0..upper - 1``."""
    return (values == np.round(values)) & (values >= 0) & (values < upper)


def _describe_row(gt: GroundTruth, row: np.ndarray) -> str:
    video, frame, label = row[:3]
    parts = [f'video {gt.videos[int(video)]!r}' if _is_index(video, len(gt.videos))
             else f'video index {video:g}', f'frame {frame:g}']
    parts.append(f'class {int(label)} ({gt.labels[int(label)]})' if
                 _is_index(label, len(gt.labels)) else f'class index {label:g}')
    return ', '.join(parts)


def check_frame_detections(detections, gt: GroundTruth,
                           source: str = 'frame detections') -> np.ndarray:
    """Check frame detections against ``gt``; return them as a float64 ``(N, 8)`` array.

    Raises one ``ValueError`` naming the first bad row (its video, frame and class).
    """
    try:
        dets = np.array(detections, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f'{source}: not a numeric array') from None
    if dets.size == 0:
        return np.zeros((0, 8))
    if dets.ndim != 2 or dets.shape[1] != 8:
        raise ValueError(f'{source}: expected an (N, 8) array of rows video_index, frame, '
                         f'label_index, score, x1, y1, x2, y2, got shape {dets.shape}')
    video_ok = _is_index(dets[:, 0], len(gt.videos))
    nframes = gt.nframes[np.where(video_ok, dets[:, 0], 0).astype(np.int64)]
    checks = [
        (~video_ok, f'unknown video index (the split has {len(gt.videos)} videos)'),
        (~_is_index(dets[:, 2], len(gt.labels)),
         f'unknown class index (the ground truth has {len(gt.labels)} classes)'),
        (~_is_index(dets[:, 1] - 1, nframes), 'frame is not an integer in 1..nframes'),
        (~np.isfinite(dets[:, 3]), 'score is not finite'),
        (~np.isfinite(dets[:, 4:]).all(axis=1), 'box is not finite'),
        ((dets[:, 6] < dets[:, 4]) | (dets[:, 7] < dets[:, 5]), 'box has x2 < x1 or y2 < y1'),
    ]
    for bad, message in checks:
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(f'{source}, row {row} ({_describe_row(gt, dets[row])}): {message}')
    return dets


@dataclass(frozen=True)
class TubeSet:
    """Checked video detections as arrays: tube ``i`` is ``rows[ptr[i]:ptr[i + 1]]``."""

    label: np.ndarray
    video: np.ndarray
    score: np.ndarray
    rows: np.ndarray
    ptr: np.ndarray


def check_video_detections(detections: VideoDetections, gt: GroundTruth,
                           source: str = 'video detections') -> TubeSet:
    """Check video detections against ``gt``; one ``ValueError`` naming the class and tube."""
    if not isinstance(detections, dict):
        raise ValueError(f'{source}: expected a dict label_index -> list of (video_name, score, '
                         f'tube), got {type(detections).__name__}')
    labels, videos, scores, tubes = [], [], [], []
    for key, entries in detections.items():
        if isinstance(key, (bool, np.bool_)) or not isinstance(key, (int, np.integer)) or \
                not 0 <= key < len(gt.labels):
            raise ValueError(f'{source}: unknown class index {key!r} (the ground truth has '
                             f'{len(gt.labels)} classes)')
        if not isinstance(entries, (list, tuple)):
            raise ValueError(f'{source}, class {key}: expected a list of tubes')
        for index, entry in enumerate(entries):
            where = f'{source}, class {key} ({gt.labels[key]}), tube {index}'
            if not isinstance(entry, (list, tuple)) or len(entry) != 3:
                raise ValueError(f'{where}: expected (video_name, score, tube)')
            video, score, tube = entry
            if video not in gt.video_index:
                raise ValueError(f'{where}: unknown video {video!r} (not in {gt.source} '
                                 'test split)')
            if not isinstance(score, (float, int, np.floating, np.integer)) or \
                    not np.isfinite(score):
                raise ValueError(f'{where} (video {video!r}): tube score {score!r} is not a '
                                 'finite number')
            if not isinstance(tube, np.ndarray) or tube.ndim != 2 or tube.shape[1] != 6 or \
                    len(tube) == 0:
                raise ValueError(f'{where} (video {video!r}): expected a non-empty (n, 6) '
                                 f'array, got {getattr(tube, "shape", type(tube).__name__)}')
            labels.append(int(key))
            videos.append(gt.video_index[video])
            scores.append(float(score))
            tubes.append(tube)
    ptr = np.concatenate([[0], np.cumsum([len(tube) for tube in tubes])]).astype(np.int64)
    rows = np.concatenate(tubes).astype(np.float64) if tubes else np.zeros((0, 6))
    video = np.array(videos, np.int64)
    tube_of_row = np.repeat(np.arange(len(tubes)), np.diff(ptr))
    frames = rows[:, 0]
    follows = np.append(False, tube_of_row[1:] == tube_of_row[:-1])
    checks = [
        (~np.isfinite(rows).all(axis=1), 'non-finite values'),
        (~_is_index(frames - 1, gt.nframes[video[tube_of_row]]),
         'frame is not an integer in 1..nframes'),
        (follows & (np.diff(frames, prepend=0) <= 0), 'frames are not strictly increasing'),
        ((rows[:, 3] < rows[:, 1]) | (rows[:, 4] < rows[:, 2]), 'box has x2 < x1 or y2 < y1'),
    ]
    for bad, message in checks:
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            tube = int(tube_of_row[row])
            index = tube - labels.index(labels[tube])
            raise ValueError(f'{source}, class {labels[tube]} ({gt.labels[labels[tube]]}), '
                             f'tube {index} (video {gt.videos[video[tube]]!r}), frame '
                             f'{frames[row]:g}: {message}')
    return TubeSet(np.array(labels, np.int64), video, np.array(scores), rows, ptr)


def write_ava_csv(path: str, gt: GroundTruth, detections: np.ndarray) -> None:
    """Write checked frame detections as an AVA detection CSV (boxes normalised)."""
    size = gt.resolution[detections[:, 0].astype(np.int64)][:, ::-1]
    boxes = detections[:, 4:8] / np.tile(size, 2)
    video = detections[:, 0].astype(np.int64)
    order = np.lexsort((-detections[:, 3], detections[:, 2], detections[:, 1], video))
    starts = np.searchsorted(video[order], np.arange(len(gt.videos) + 1))

    def write(file):
        for index, name in enumerate(gt.videos):
            rows = order[starts[index]:starts[index + 1]]
            if len(rows):
                table = np.column_stack([detections[rows, 1], boxes[rows],
                                         detections[rows, 2] + 1, detections[rows, 3]])
                np.savetxt(file, table, delimiter=',',
                           fmt=[name.replace('%', '%%') + ',%d'] + ['%.9g'] * 4 + ['%d', '%.9g'])

    atomic_write(path, write, binary=False)
