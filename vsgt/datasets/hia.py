"""HIA (AVA layout: frames + CSVs + label map) to the ACT / MultiSports ground-truth pickle.

Inputs: ``train.csv`` and ``val.csv`` (rows ``video_id,frame,x1,y1,x2,y2,action_id,person_id``,
boxes normalised, a timestamp being a frame number), the ``.pbtxt`` label map (ids ``1..N``)
and the frames ``{frames_dir}/{video}/{filename_tmpl}`` numbered from 1.

:func:`build_hia_gt` validates the rows (:func:`validate_hia`) and writes the pickle: ``labels``
in id order (``label_index = action_id - 1``); ``gttubes``: the boxes of one (video, person_id,
action) sorted by frame form a tube, split where two consecutive boxes are more than
``max_gap`` frames apart, boxes converted to pixels with the video's frame size; ``nframes``: the
consecutive frame files from 1; ``resolution`` ``(height, width)`` of the first frame;
``train_videos`` / ``test_videos``: one list each, the videos of ``train.csv`` / ``val.csv``.
Tubes have boxes on the annotated frames only.
"""
import json
import os
import os.path as osp
from collections import Counter, defaultdict
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np

from vsgt.evaluation.functional.formats import atomic_write, dump_pickle
from vsgt.evaluation.functional.ground_truth import check_act_annotations
from .frame_ava import read_label_map

PROBLEMS = {
    'unknown_labels': 'rows whose action id is not in the label map',
    'boxes_out_of_range': 'rows whose box is not inside [0, 1] with x2 > x1 and y2 > y1',
    'frames_missing': 'rows whose frame is not on disk (among the consecutive frames from 1)',
    'duplicate_boxes': 'rows repeating the (video, frame, person_id, action_id) of a row',
}
_EXAMPLES = 5


class HIAValidationError(ValueError):
    """The inputs have problems (``strict`` mode); ``report`` holds the validation report."""

    def __init__(self, message: str, report: dict) -> None:
        super().__init__(message)
        self.report = report


def read_label_names(label_file: str) -> List[str]:
    """Class names of a label map whose ids are exactly ``1..N``, in id order."""
    names = read_label_map(label_file)
    if sorted(names) != list(range(1, len(names) + 1)):
        raise ValueError(f'{label_file}: the ids must be 1..N, each once; got {sorted(names)}')
    return [names[index] for index in sorted(names)]


def _read_rows(csv_file: str) -> List[tuple]:
    """``(row_number, video, frame, box, action_id, person_id)`` of an AVA CSV."""
    if not osp.isfile(csv_file):
        raise FileNotFoundError(f'annotation file {csv_file} not found')
    rows = []
    with open(csv_file) as file:
        for number, line in enumerate(file, 1):
            if not line.strip():
                continue
            fields = line.strip().split(',')
            where = f'{csv_file}, row {number}'
            if len(fields) != 8 or not fields[0]:
                raise ValueError(f'{where}: expected video_id,frame,x1,y1,x2,y2,action_id,'
                                 f'person_id: {line.strip()!r}')
            try:
                frame, action, person = int(fields[1]), int(fields[6]), int(fields[7])
                box = tuple(float(value) for value in fields[2:6])
            except ValueError:
                raise ValueError(f'{where}: frame, box, action_id and person_id must be '
                                 f'numbers: {line.strip()!r}') from None
            rows.append((number, fields[0], frame, box, action, person))
    if not rows:
        raise ValueError(f'{csv_file}: no rows')
    return rows


def _video_frames(frames_dir: str, video: str, filename_tmpl: str
                  ) -> Tuple[int, Optional[Tuple[int, int]]]:
    """Consecutive frame files from 1 and the (height, width) of the first (None if none)."""
    folder = osp.join(frames_dir, video)
    if not osp.isdir(folder):
        return 0, None
    names = set(os.listdir(folder))
    count = 0
    while filename_tmpl.format(count + 1) in names:
        count += 1
    if count == 0:
        return 0, None
    first = osp.join(folder, filename_tmpl.format(1))
    image = cv2.imread(first)
    if image is None:
        raise ValueError(f'{first}: not a readable image')
    return count, image.shape[:2]


def _stats(values: List[int]) -> dict:
    return dict(min=min(values), mean=round(sum(values) / len(values), 3), max=max(values)) \
        if values else dict(min=0, mean=0, max=0)


def validate_hia(train_csv: str, val_csv: str, label_file: str, frames_dir: str,
                 filename_tmpl: str = 'img_{:05}.jpg') -> Tuple[dict, dict, dict]:
    """Read and validate the HIA inputs.

    Returns:
        ``(report, rows, videos)``: the validation report (per split: videos, boxes, annotated
        frames, boxes per class, persons per annotated frame; per problem of :data:`PROBLEMS`:
        count and first examples), the rows without problems per split, and
        ``{video: (nframes, (height, width))}``. A row with several problems counts under the
        first one in :data:`PROBLEMS` order.
    """
    labels = read_label_names(label_file)
    splits = dict(train=(train_csv, _read_rows(train_csv)), val=(val_csv, _read_rows(val_csv)))
    split_videos = {name: {row[1] for row in rows} for name, (_, rows) in splits.items()}
    both = sorted(split_videos['train'] & split_videos['val'])
    if both:
        raise ValueError(f'video {both[0]!r} is in both {train_csv} and {val_csv}')
    videos = {video: _video_frames(frames_dir, video, filename_tmpl)
              for video in sorted(split_videos['train'] | split_videos['val'])}

    problems = {name: [] for name in PROBLEMS}
    kept_rows, report = {}, dict(label_file=label_file, frames_dir=frames_dir, splits={})
    for split, (csv_file, rows) in splits.items():
        seen, kept = set(), []
        for number, video, frame, box, action, person in rows:
            where = f'{csv_file} row {number}'
            x1, y1, x2, y2 = box
            if not 1 <= action <= len(labels):
                problems['unknown_labels'].append(f'{where}: action id {action}')
            elif not (0 <= x1 < x2 <= 1 and 0 <= y1 < y2 <= 1):
                problems['boxes_out_of_range'].append(f'{where}: box {box}')
            elif not 1 <= frame <= videos[video][0]:
                problems['frames_missing'].append(
                    f'{where}: video {video!r} frame {frame} ({videos[video][0]} frames on disk)')
            elif (video, frame, person, action) in seen:
                problems['duplicate_boxes'].append(
                    f'{where}: video {video!r} frame {frame} person {person} action {action}')
            else:
                seen.add((video, frame, person, action))
                kept.append((video, frame, box, action - 1, person))
        persons = defaultdict(set)
        for video, frame, _, _, person in kept:
            persons[video, frame].add(person)
        per_class = Counter(label for _, _, _, label, _ in kept)
        report['splits'][split] = dict(
            csv=csv_file, videos=len(split_videos[split]), rows=len(rows), boxes=len(kept),
            annotated_frames=len(persons),
            boxes_per_class={name: per_class[index] for index, name in enumerate(labels)},
            persons_per_frame=_stats([len(p) for p in persons.values()]))
        kept_rows[split] = kept
    report['problems'] = {name: dict(count=len(found), examples=found[:_EXAMPLES])
                          for name, found in problems.items()}
    return report, kept_rows, videos


def _tubes(rows: List[tuple], videos: Dict[str, tuple], max_gap: int
           ) -> Dict[str, Dict[int, List[np.ndarray]]]:
    """Tubes per video and label index: the boxes of one (video, person, action) by frame."""
    boxes_of = defaultdict(list)
    for video, frame, box, label, person in rows:
        boxes_of[video, person, label].append((frame, *box))
    tubes = defaultdict(lambda: defaultdict(list))
    for (video, _, label), boxes in sorted(boxes_of.items()):
        height, width = videos[video][1]
        boxes = np.array(sorted(boxes), np.float64)
        boxes[:, 1:] *= [width, height, width, height]
        breaks = np.flatnonzero(np.diff(boxes[:, 0]) > max_gap) + 1
        tubes[video][label] += [tube.astype(np.float32) for tube in np.split(boxes, breaks)]
    return tubes


def annotation_step(rows: List[tuple]) -> int:
    """Smallest gap between consecutive annotated frames of a video (1 if there is none)."""
    frames = defaultdict(set)
    for video, frame, *_ in rows:
        frames[video].add(frame)
    gaps = [int(np.diff(sorted(f)).min()) for f in frames.values() if len(f) > 1]
    return min(gaps) if gaps else 1


def format_report(report: dict) -> str:
    """The validation report as text."""
    lines = []
    for split, info in report['splits'].items():
        persons = info['persons_per_frame']
        lines.append(f'{split} ({info["csv"]}): {info["videos"]} videos, {info["rows"]} rows, '
                     f'{info["boxes"]} boxes kept on {info["annotated_frames"]} frames; persons '
                     f'per frame min {persons["min"]}, mean {persons["mean"]}, max '
                     f'{persons["max"]}')
        width = max(len(name) for name in info['boxes_per_class'])
        lines += [f'  {name:{width}s} {count:8d}' for name, count in
                  info['boxes_per_class'].items()]
    for name, found in report['problems'].items():
        lines.append(f'{PROBLEMS[name]}: {found["count"]}')
        lines += [f'  {example}' for example in found['examples']]
    if 'tubes' in report:
        lines.append(f'{report["tubes"]} tubes (max_gap {report["max_gap"]} frames) written to '
                     f'{report["gt_file"]}')
    return '\n'.join(lines)


def build_hia_gt(train_csv: str,
                 val_csv: str,
                 label_file: str,
                 frames_dir: str,
                 out_file: str,
                 filename_tmpl: str = 'img_{:05}.jpg',
                 max_gap: Optional[int] = None,
                 strict: bool = True,
                 report_file: Optional[str] = None,
                 overwrite: bool = False) -> dict:
    """Validate the HIA inputs and write the ground-truth pickle (see the module docstring).

    Args:
        train_csv, val_csv: AVA CSVs of the train and val splits.
        label_file: ``.pbtxt`` label map with ids ``1..N``.
        frames_dir: Root of the frame folders.
        out_file: The ground-truth pickle to write.
        filename_tmpl: Frame file name template.
        max_gap: Largest frame gap inside a tube. None: :func:`annotation_step` of all rows.
        strict: Raise :class:`HIAValidationError` (writing no pickle) when there is a problem;
            otherwise drop the rows with problems.
        report_file: Also write the report there as JSON.
        overwrite: Replace an existing ``out_file``.

    Returns:
        The report, with ``tubes``, ``max_gap`` and ``gt_file`` added.
    """
    if osp.exists(out_file) and not overwrite:
        raise FileExistsError(f'{out_file} exists; pass overwrite=True (--overwrite)')
    if max_gap is not None and (not isinstance(max_gap, int) or max_gap < 1):
        raise ValueError(f'max_gap must be an int >= 1, got {max_gap!r}')
    report, rows, videos = validate_hia(train_csv, val_csv, label_file, frames_dir,
                                        filename_tmpl)
    found = {name: p['count'] for name, p in report['problems'].items() if p['count']}
    if found and strict:
        if report_file:
            atomic_write(report_file, lambda f: json.dump(report, f, indent=2), binary=False)
        first = next(name for name in found)
        raise HIAValidationError(
            f'{sum(found.values())} problem row(s) (' + ', '.join(
                f'{name}: {count}' for name, count in found.items()) +
            f'), first: {report["problems"][first]["examples"][0]}; fix them or pass '
            'strict=False (--no-strict) to drop those rows', report)
    for split, csv_file in (('train', train_csv), ('val', val_csv)):
        if not rows[split]:
            raise ValueError(f'{csv_file}: no row is left without a problem')
    all_rows = rows['train'] + rows['val']
    max_gap = annotation_step(all_rows) if max_gap is None else max_gap
    labels = read_label_names(label_file)
    split_videos = {split: sorted({row[0] for row in rows[split]}) for split in rows}
    kept_videos = split_videos['train'] + split_videos['val']
    tubes = _tubes(all_rows, videos, max_gap)
    gt = dict(labels=labels,
              gttubes={video: dict(tubes[video]) for video in kept_videos},
              nframes={video: videos[video][0] for video in kept_videos},
              train_videos=[split_videos['train']],
              test_videos=[split_videos['val']],
              resolution={video: tuple(videos[video][1]) for video in kept_videos})
    check_act_annotations(gt, out_file)
    report.update(tubes=sum(len(t) for video in tubes.values() for t in video.values()),
                  max_gap=max_gap, gt_file=out_file)
    dump_pickle(gt, out_file)
    if report_file:
        atomic_write(report_file, lambda f: json.dump(report, f, indent=2), binary=False)
    return report

