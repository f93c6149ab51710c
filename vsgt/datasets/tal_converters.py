"""Converters of public TAL annotations to the ActivityNet-layout JSON of
:class:`~vsgt.datasets.tal.TALFeatureDataset`, and their validation report.

* :func:`convert_thumos14`: THUMOS14's per-class text files ``<Class>_val.txt`` /
  ``<Class>_test.txt`` (rows ``video start end``, seconds). Following common practice (G-TAD,
  VSGN, ActionFormer) the validation videos are the training set and the test videos the test
  set: subsets ``'training'`` and ``'testing'``. ``Ambiguous_*.txt`` is skipped.
* :func:`convert_activitynet`: the official ``activity_net.v1-3.min.json``, checked, reduced to
  ``subset``, ``duration`` and ``annotations`` and optionally to the videos with features.

Annotations that pass a video's end (or start before 0) by at most ``tolerance`` seconds are
clipped to it; bad rows raise a one-line ``ValueError`` naming the file and row (or video), or
are skipped and counted with ``skip_bad=True``.
"""
import csv
import glob
import json
import os.path as osp
from collections import Counter
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from vsgt.evaluation.functional.formats import atomic_write
from vsgt.utils.jsonfile import load_json
from .tal import parse_tal_annotations, read_feature_shape

THUMOS14_SUBSETS = {'val': 'training', 'test': 'testing'}


def read_durations(path: str) -> Dict[str, float]:
    """Video durations in seconds from a CSV (``video,duration`` rows, an optional header) or a
    JSON (``{video: seconds}`` or an ActivityNet-layout ``database``); a video listed twice is
    an error."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'duration file {path} not found')
    if path.endswith('.json'):
        content = load_json(path, 'duration file')
        if isinstance(content, dict) and isinstance(content.get('database'), dict):
            content = {video: entry.get('duration') for video, entry in
                       content['database'].items()}
        rows = list(content.items()) if isinstance(content, dict) else None
        if rows is None:
            raise ValueError(f'{path}: expected {{video: duration}} or an ActivityNet database')
        where = [f'{path}: video {video!r}' for video, _ in rows]
    else:
        with open(path, newline='') as file:
            rows = [row for row in csv.reader(file) if row]
        where = [f'{path}, row {number}' for number in range(1, len(rows) + 1)]
        if rows and len(rows[0]) == 2 and not _is_number(rows[0][1]):
            rows, where = rows[1:], where[1:]
    durations, first = {}, {}
    for row, place in zip(rows, where):
        if len(row) != 2 or not _is_number(row[1]) or not float(row[1]) > 0:
            raise ValueError(f'{place}: expected "video,duration" with a duration > 0, got '
                             f'{row!r}')
        video = str(row[0])
        if video in first:
            raise ValueError(f'{place}: video {video!r} is listed again (first at '
                             f'{first[video].rpartition(", ")[2]})')
        first[video] = place
        durations[video] = float(row[1])
    return durations


def _is_number(value: object) -> bool:
    if isinstance(value, bool):
        return False
    try:
        return np.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def feature_durations(videos: Sequence[str], feature_dir: str, feature_rate: float,
                      feature_offset: float = 0., feature_name: str = '{video}',
                      feature_ext: str = '.npy') -> Dict[str, float]:
    """Estimated durations ``(num_steps + 2 feature_offset) / feature_rate`` of the videos that
    have a feature file (an estimate: steps centred at ``(i + offset) / rate``)."""
    durations = {}
    for video in videos:
        path = osp.join(feature_dir, feature_name.format(video=video) + feature_ext)
        if osp.isfile(path):
            durations[video] = (read_feature_shape(path)[0] + 2 * feature_offset) / feature_rate
    return durations


class _Checker:
    """Checks segments against durations, clips small overshoots and counts what it did."""

    def __init__(self, tolerance: float, skip_bad: bool) -> None:
        self.tolerance, self.skip_bad = tolerance, skip_bad
        self.clipped, self.skipped = 0, []

    def segment(self, start: float, end: float, duration: float,
                where: str) -> Optional[Tuple[float, float]]:
        problem = None
        if start < -self.tolerance or end > duration + self.tolerance:
            problem = (f'segment [{start}, {end}] is outside the video [0, {duration}] by more '
                       f'than {self.tolerance} s')
        elif min(end, duration) <= max(start, 0.):
            problem = f'segment [{start}, {end}] is empty (start >= end) in [0, {duration}]'
        if problem is not None:
            if not self.skip_bad:
                raise ValueError(f'{where}: {problem}')
            self.skipped.append(f'{where}: {problem}')
            return None
        if start < 0 or end > duration:
            self.clipped += 1
        return max(start, 0.), min(end, duration)


def _thumos_files(ann_dirs: Sequence[str]) -> List[Tuple[str, str, str]]:
    """``(path, class, split)`` of every ``<Class>_<val|test>.txt`` in the folders."""
    files = []
    for ann_dir in ann_dirs:
        if not osp.isdir(ann_dir):
            raise FileNotFoundError(f'annotation folder {ann_dir} not found')
        for path in sorted(glob.glob(osp.join(ann_dir, '*.txt'))):
            name, _, split = osp.basename(path)[:-4].rpartition('_')
            if name and split in THUMOS14_SUBSETS:
                files.append((path, name, split))
    if not files:
        raise FileNotFoundError(f'no <Class>_val.txt or <Class>_test.txt in {list(ann_dirs)}')
    return files


def thumos14_videos(ann_dirs: Sequence[str]) -> List[str]:
    """Sorted names of the videos in THUMOS14 annotation files."""
    videos = set()
    for path, _, _ in _thumos_files(ann_dirs):
        with open(path) as file:
            videos.update(line.split()[0] for line in file if line.strip())
    return sorted(videos)


def convert_thumos14(ann_dirs: Sequence[str],
                     durations: Dict[str, float],
                     exclude: Sequence[str] = (),
                     tolerance: float = 1.,
                     skip_bad: bool = False) -> Tuple[dict, dict]:
    """THUMOS14 per-class text files to an ActivityNet-layout ``database``.

    Args:
        ann_dirs: Folders holding ``<Class>_val.txt`` and/or ``<Class>_test.txt``.
        durations: Video -> duration in seconds (:func:`read_durations`,
            :func:`feature_durations`); every annotated video needs one.
        exclude: Videos to leave out.
        tolerance: Seconds a segment may pass the video's ends; it is then clipped.
        skip_bad: Skip (and count) bad rows instead of raising.

    Returns:
        tuple: ``database`` and ``info`` (``skipped_ambiguous``, ``clipped``, ``skipped`` rows,
        ``excluded``, ``duplicates``).
    """
    checker, excluded = _Checker(tolerance, skip_bad), set(exclude)
    database, ambiguous, seen, duplicates, left_out = {}, 0, Counter(), 0, set()
    for path, name, split in _thumos_files(ann_dirs):
        with open(path) as file:
            lines = file.read().splitlines()
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f'{path}, row {number}'
            fields = line.split()
            if len(fields) != 3 or not all(_is_number(v) for v in fields[1:]):
                problem = f'expected "video start end" (seconds), got {line.strip()!r}'
                if not skip_bad:
                    raise ValueError(f'{where}: {problem}')
                checker.skipped.append(f'{where}: {problem}')
                continue
            if name == 'Ambiguous':
                ambiguous += 1
                continue
            video = fields[0]
            if video in excluded:
                left_out.add(video)
                continue
            if video not in durations:
                raise ValueError(f'{where}: no duration for video {video!r} (give it in the '
                                 'duration file or its feature file)')
            segment = checker.segment(float(fields[1]), float(fields[2]), durations[video],
                                      where)
            if segment is None:
                continue
            entry = database.setdefault(video, dict(subset=THUMOS14_SUBSETS[split],
                                                    duration=durations[video],
                                                    annotations=[]))
            if entry['subset'] != THUMOS14_SUBSETS[split]:
                raise ValueError(f'{where}: video {video!r} is annotated in both the '
                                 'validation and the test files')
            key = (video, name, *segment)
            duplicates += seen[key] > 0
            seen[key] += 1
            entry['annotations'].append(dict(segment=list(segment), label=name))
    for entry in database.values():
        entry['annotations'].sort(key=lambda a: (a['segment'], a['label']))
    info = dict(skipped_ambiguous=ambiguous, clipped=checker.clipped, skipped=checker.skipped,
                excluded=sorted(left_out), duplicates=duplicates)
    return dict(sorted(database.items())), info


def convert_activitynet(ann_file: str,
                        subsets: Optional[Sequence[str]] = None,
                        tolerance: float = 1.,
                        skip_bad: bool = False) -> Tuple[dict, dict]:
    """The official ActivityNet JSON (``activity_net.v1-3.min.json``) to our ``database``.

    Labels must be taxonomy nodes when the file has a taxonomy.

    Returns:
        tuple: ``database`` and ``info`` (``version``, ``taxonomy``, ``clipped``, ``skipped``).
    """
    content = load_json(ann_file, 'annotation file')
    if not isinstance(content, dict) or not isinstance(content.get('database'), dict):
        raise KeyError(f'{ann_file}: no "database" object (official ActivityNet layout '
                       'expected)')
    taxonomy = content.get('taxonomy') or []
    nodes = {node.get('nodeName') for node in taxonomy if isinstance(node, dict)}
    checker, database = _Checker(tolerance, skip_bad), {}
    for video, entry in content['database'].items():
        where = f'{ann_file}: video {video!r}'
        if not isinstance(entry, dict):
            raise ValueError(f'{where}: entry must be an object')
        for key in ('subset', 'duration'):
            if key not in entry:
                raise KeyError(f'{where}: missing key {key!r}')
        if subsets is not None and entry['subset'] not in subsets:
            continue
        duration = entry['duration']
        if not _is_number(duration) or not float(duration) > 0:
            raise ValueError(f'{where}: duration must be a positive number, got {duration!r}')
        duration = float(duration)
        annotations = []
        for index, annotation in enumerate(entry.get('annotations', [])):
            place = f'{where}, annotation {index}'
            segment = annotation.get('segment') if isinstance(annotation, dict) else None
            label = annotation.get('label') if isinstance(annotation, dict) else None
            if not (isinstance(segment, (list, tuple)) and len(segment) == 2 and
                    all(_is_number(v) for v in segment) and isinstance(label, str)):
                raise ValueError(f'{place}: expected {{"segment": [start, end], "label": '
                                 f'name}}, got {annotation!r}'[:300])
            if nodes and label not in nodes:
                raise ValueError(f'{place}: label {label!r} is not in the taxonomy')
            checked = checker.segment(float(segment[0]), float(segment[1]), duration, place)
            if checked is not None:
                annotations.append(dict(segment=list(checked), label=label))
        database[str(video)] = dict(subset=entry['subset'], duration=duration,
                                    annotations=annotations)
    if not database:
        raise ValueError(f'{ann_file}: no video of subsets {list(subsets or [])}')
    info = dict(version=content.get('version'), taxonomy=taxonomy, clipped=checker.clipped,
                skipped=checker.skipped)
    return database, info


def missing_features(database: dict, feature_dir: str, feature_name: str = '{video}',
                     feature_ext: str = '.npy') -> List[str]:
    """Videos of ``database`` without a feature file."""
    return [video for video in database if not osp.isfile(
        osp.join(feature_dir, feature_name.format(video=video) + feature_ext))]


def annotation_report(database: dict, missing: Optional[Sequence[str]] = None) -> List[str]:
    """Lines of a validation report: videos, instances and lengths per subset, classes, and
    the videos without features (when ``missing`` is given)."""
    lines = []
    by_subset: Dict[str, List[dict]] = {}
    for entry in database.values():
        by_subset.setdefault(entry['subset'], []).append(entry)
    classes = Counter(a['label'] for e in database.values() for a in e['annotations'])
    lines.append(f'{len(database)} videos, {sum(classes.values())} instances, {len(classes)} '
                 'classes')
    for subset, entries in sorted(by_subset.items()):
        lengths = np.array([a['segment'][1] - a['segment'][0] for e in entries
                            for a in e['annotations']])
        durations = np.array([e['duration'] for e in entries])
        text = (f'  {subset}: {len(entries)} videos ({durations.sum() / 3600:.2f} h, '
                f'{durations.min():.1f}..{durations.max():.1f} s), {len(lengths)} instances')
        if len(lengths):
            text += (f', lengths {lengths.min():.2f}/{np.median(lengths):.2f}/'
                     f'{lengths.mean():.2f}/{lengths.max():.2f} s (min/median/mean/max), '
                     f'{(lengths <= 2).mean():.1%} <= 2 s')
        lines.append(text)
    lines.append('  classes: ' + ', '.join(f'{name} {count}' for name, count in
                                          sorted(classes.items())))
    if missing is not None:
        shown = ', '.join(list(missing)[:10]) + (' ...' if len(missing) > 10 else '')
        lines.append(f'  videos without a feature file: {len(missing)}' +
                     (f' ({shown})' if missing else ''))
    return lines


def write_tal_annotations(out_file: str, database: dict, version: str,
                          taxonomy: Optional[list] = None) -> None:
    """Check an ActivityNet-layout annotation file as the dataset will, then write it
    atomically."""
    content = dict(version=version)
    if taxonomy:
        content['taxonomy'] = taxonomy
    content['database'] = database
    parse_tal_annotations(content, out_file)
    atomic_write(out_file, lambda file: json.dump(content, file), binary=False)
