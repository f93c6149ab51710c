"""UCF101-24 and JHMDB-21 (ACT ground-truth pickle) to rawframes and the AVA layout.

Inputs: the standard ground-truth pickle (``UCF101v2-GT.pkl`` / ``JHMDB-GT.pkl``, format in
:mod:`vsgt.evaluation.functional.ground_truth`) and the videos, or frames already extracted.

* :func:`extract_frames` writes ``{frames_dir}/{video}/{filename_tmpl}`` for frames
  ``1..nframes`` of every video (resumable: complete videos are skipped; each video is written
  into a temporary folder renamed into place).
* :func:`build_annotations` writes, for one split, ``train.csv`` / ``val.csv`` (AVA rows
  ``video,frame,x1,y1,x2,y2,action_id,person_id``: boxes normalised by the video's resolution and
  clipped to the frame, ``action_id = label_index + 1``, ``person_id`` = index of the tube in its
  video), the label map and ``proposals_train.pkl`` / ``proposals_val.pkl``
  ``{"video,%04d": float32 (n, 5) normalised x1, y1, x2, y2, score}``, either from the ground
  truth (plus jittered copies) or from a person detector's output (:func:`load_detections`).
"""
import glob
import io
import os
import os.path as osp
import shutil
import sys
import tempfile
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.utils import track_parallel_progress, track_progress

from vsgt.evaluation.functional.boxes import paired_box_iou
from vsgt.evaluation.functional.formats import atomic_write, dump_pickle
from vsgt.evaluation.functional.ground_truth import check_act_annotations, read_act_pickle

#: Per dataset: number of classes, of splits, and the label map file name.
DATASET_INFO = {
    'ucf101_24': dict(num_classes=24, num_splits=1, label_map='ucf101_24_action_list.pbtxt'),
    'jhmdb21': dict(num_classes=21, num_splits=3, label_map='jhmdb21_action_list.pbtxt'),
}
VIDEO_EXTENSIONS = ('.avi', '.mp4', '.mkv', '.webm', '.mov')
_JPEG_PARAMS = [cv2.IMWRITE_JPEG_QUALITY, 95]
_CSV_DECIMALS = 4


def load_act_gt(gt_file: str, dataset: str = 'ucf101_24') -> dict:
    """Load and check the ground-truth pickle of ``dataset`` ('ucf101_24' or 'jhmdb21')."""
    if dataset not in DATASET_INFO:
        raise ValueError(f'dataset must be one of {", ".join(DATASET_INFO)}, got {dataset!r}')
    info = DATASET_INFO[dataset]
    ann = read_act_pickle(gt_file)
    check_act_annotations(ann, gt_file)
    if len(ann['labels']) != info['num_classes']:
        raise ValueError(f'{gt_file}: {dataset} has {info["num_classes"]} classes, the pickle '
                         f'has {len(ann["labels"])} labels')
    for field in ('train_videos', 'test_videos'):
        if len(ann[field]) != info['num_splits']:
            raise ValueError(f'{gt_file}: {dataset} has {info["num_splits"]} split(s), '
                             f'{field} holds {len(ann[field])}')
    return ann


def _check_split(ann: dict, split: int, source: str) -> None:
    if not isinstance(split, int) or not 1 <= split <= len(ann['train_videos']):
        raise ValueError(f'{source}: split must be in 1..{len(ann["train_videos"])}, got '
                         f'{split!r}')


def check_filename_tmpl(filename_tmpl: str) -> None:
    """A frame template must name frames 1 and 2 differently (e.g. ``'{:05}.jpg'``)."""
    try:
        distinct = filename_tmpl.format(1) != filename_tmpl.format(2)
    except (IndexError, KeyError, ValueError):
        distinct = False
    if not distinct:
        raise ValueError(f'filename_tmpl must format a frame number, e.g. "{{:05}}.jpg", got '
                         f'{filename_tmpl!r}')


def frames_complete(frame_dir: str, num_frames: int, filename_tmpl: str) -> bool:
    """Whether ``frame_dir`` holds the files of frames ``1..num_frames``."""
    if not osp.isdir(frame_dir):
        return False
    names = set(os.listdir(frame_dir))
    return all(filename_tmpl.format(n) in names for n in range(1, num_frames + 1))


def find_video(video_dir: str, video: str) -> str:
    """Path of ``video`` under ``video_dir`` with one of :data:`VIDEO_EXTENSIONS`."""
    for extension in VIDEO_EXTENSIONS:
        path = osp.join(video_dir, video + extension)
        if osp.isfile(path):
            return path
    raise FileNotFoundError(f'video {video!r}: no {osp.join(video_dir, video)}'
                            f'{{{",".join(VIDEO_EXTENSIONS)}}}')


def _extract_video(task: Tuple[str, str, int, str, bool]) -> str:
    """Decode frames ``1..num_frames`` of one video into its folder; 'extracted' or 'skipped'."""
    video_path, frame_dir, num_frames, filename_tmpl, overwrite = task
    if frames_complete(frame_dir, num_frames, filename_tmpl):
        return 'skipped'
    if osp.exists(frame_dir) and not overwrite:
        raise FileExistsError(f'{frame_dir} exists but lacks some of frames 1..{num_frames}; '
                              'delete it or pass overwrite=True (--overwrite)')
    parent, name = osp.split(frame_dir)
    os.makedirs(parent, exist_ok=True)
    for stale in glob.glob(osp.join(parent, f'.{glob.escape(name)}.tmp-*')):
        shutil.rmtree(stale, ignore_errors=True)
    temp_dir = tempfile.mkdtemp(prefix=f'.{name}.tmp-', dir=parent)
    capture = cv2.VideoCapture(video_path)
    try:
        if not capture.isOpened():
            raise ValueError(f'{video_path}: OpenCV cannot open the video')
        decoded = 0
        while decoded < num_frames:
            ok, frame = capture.read()
            if not ok:
                break
            decoded += 1
            path = osp.join(temp_dir, filename_tmpl.format(decoded))
            if not cv2.imwrite(path, frame, _JPEG_PARAMS):
                raise OSError(f'could not write frame {path}')
        if decoded < num_frames:
            raise ValueError(f'{video_path}: decoded {decoded} frames, the ground truth has '
                             f'nframes={num_frames}')
        if osp.exists(frame_dir):
            shutil.rmtree(frame_dir)
        os.rename(temp_dir, frame_dir)
    except BaseException:
        shutil.rmtree(temp_dir, ignore_errors=True)
        raise
    finally:
        capture.release()
    return 'extracted'


def extract_frames(gt_file: str,
                   video_dir: str,
                   frames_dir: str,
                   dataset: str = 'ucf101_24',
                   filename_tmpl: str = '{:05}.jpg',
                   workers: int = 1,
                   overwrite: bool = False,
                   progress: bool = True) -> Dict[str, int]:
    """Extract the frames of every video of the ground truth (all splits) as JPEG files.

    Frames ``1..nframes[video]`` of ``{video_dir}/{video}.avi`` (or another of
    :data:`VIDEO_EXTENSIONS`) become ``{frames_dir}/{video}/{filename_tmpl.format(n)}``; extra
    decoded frames are ignored, fewer is an error. Videos whose frames are all there are
    skipped, so an interrupted run resumes.

    Args:
        gt_file: Ground-truth pickle.
        video_dir: Root of the videos.
        frames_dir: Root of the frame folders.
        dataset: 'ucf101_24' or 'jhmdb21'.
        filename_tmpl: Frame file name template (``FrameAVADataset``'s ``filename_tmpl``).
        workers: Parallel processes.
        overwrite: Replace an existing frame folder that lacks frames.
        progress: Show a progress bar.

    Returns:
        ``{'extracted': n, 'skipped': m}``.
    """
    ann = load_act_gt(gt_file, dataset)
    check_filename_tmpl(filename_tmpl)
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f'workers must be an int >= 1, got {workers!r}')
    videos = list(dict.fromkeys(video for field in ('train_videos', 'test_videos')
                                for videos in ann[field] for video in videos))
    tasks = [(find_video(video_dir, video), osp.join(frames_dir, video),
              int(ann['nframes'][video]), filename_tmpl, overwrite) for video in videos]
    stream = sys.stdout if progress else io.StringIO()
    if workers > 1:
        outcomes = track_parallel_progress(_extract_video, tasks, workers, file=stream)
    else:
        outcomes = track_progress(_extract_video, tasks, file=stream)
    return {outcome: outcomes.count(outcome) for outcome in ('extracted', 'skipped')}


def label_map_text(labels: Sequence[str]) -> str:
    """An AVA ``.pbtxt`` label map with ids ``1..len(labels)``."""
    return ''.join(f'item {{\n  name: "{name}"\n  id: {index}\n}}\n'
                   for index, name in enumerate(labels, 1))


def _normalise(boxes: np.ndarray, height: int, width: int) -> Tuple[np.ndarray, np.ndarray]:
    """Boxes divided by the frame size and clipped to [0, 1]; also which were clipped."""
    normalised = boxes / np.array([width, height, width, height], np.float64)
    clipped = np.clip(normalised, 0, 1)
    return clipped, (clipped != normalised).any(axis=1)


def _split_boxes(ann: dict, videos: Sequence[str], stride: int) -> List[tuple]:
    """``(video, frame, normalised box, label_index, person_id, clipped)`` of a split's frames
    ``1, 1 + stride, ...``, sorted by video (split order), frame and person."""
    records = []
    for video in videos:
        height, width = (int(v) for v in ann['resolution'][video])
        tubes = [(label, tube) for label in sorted(ann['gttubes'][video])
                 for tube in ann['gttubes'][video][label]]
        video_records = []
        for person, (label, tube) in enumerate(tubes):
            tube = np.asarray(tube, np.float64)
            kept = (tube[:, 0] - 1) % stride == 0
            boxes, clipped = _normalise(tube[kept, 1:5], height, width)
            rounded = np.round(boxes, _CSV_DECIMALS)
            empty = (rounded[:, 2] <= rounded[:, 0]) | (rounded[:, 3] <= rounded[:, 1])
            if empty.any():
                frame = int(tube[kept][np.flatnonzero(empty)[0], 0])
                raise ValueError(f'video {video!r}, label {label}, tube {person}, frame '
                                 f'{frame}: the box is empty once clipped to the '
                                 f'{width}x{height} frame')
            video_records += [(video, int(frame), box, int(label), person, bool(clip))
                              for frame, box, clip in zip(tube[kept, 0], boxes, clipped)]
        records += sorted(video_records, key=lambda r: (r[1], r[4]))
    return records


def _csv_text(records: Sequence[tuple]) -> str:
    return ''.join(
        f'{video},{frame},' + ','.join(f'{v:.{_CSV_DECIMALS}f}' for v in box) +
        f',{label + 1},{person}\n' for video, frame, box, label, person, _ in records)


def load_detections(det_file: str, ann: dict, box_format: str = 'pixels'
                    ) -> Dict[Tuple[str, int], np.ndarray]:
    """Read a person detector's output: ``{(video, frame): (n, 5) normalised boxes + score}``.

    The file is a pickle ``{"video,frame": (n, 5) array x1, y1, x2, y2, score}`` (frame an int,
    any zero padding), boxes in pixels of the video's ``resolution`` (``box_format='pixels'``) or
    normalised to [0, 1] (``'normalised'``). Boxes are clipped to the frame; empty ones dropped.
    """
    if box_format not in ('pixels', 'normalised'):
        raise ValueError(f"box_format must be 'pixels' or 'normalised', got {box_format!r}")
    detections = read_act_pickle(det_file, 'detection file')
    result = {}
    for key, boxes in detections.items():
        where = f'{det_file}, key {key!r}'
        video, _, frame = str(key).rpartition(',')
        if video not in ann['nframes']:
            raise ValueError(f'{where}: unknown video {video!r} (not in the ground truth)')
        try:
            frame = int(frame)
        except ValueError:
            raise ValueError(f'{where}: expected a key "video,frame"') from None
        if not 1 <= frame <= ann['nframes'][video]:
            raise ValueError(f'{where}: frame {frame} is outside 1..{ann["nframes"][video]}')
        if not isinstance(boxes, np.ndarray) or boxes.ndim != 2 or boxes.shape[1] != 5:
            raise ValueError(f'{where}: expected an (n, 5) array x1, y1, x2, y2, score, got '
                             f'{getattr(boxes, "shape", type(boxes).__name__)}')
        boxes = boxes.astype(np.float64)
        if not np.isfinite(boxes).all():
            raise ValueError(f'{where}: non-finite values')
        height, width = (int(v) for v in ann['resolution'][video])
        corners = boxes[:, :4] if box_format == 'normalised' else _normalise(
            boxes[:, :4], height, width)[0]
        corners = np.clip(corners, 0, 1)
        kept = (corners[:, 2] > corners[:, 0]) & (corners[:, 3] > corners[:, 1])
        order = np.argsort(-boxes[kept, 4], kind='stable')
        result[video, frame] = np.column_stack([corners[kept], boxes[kept, 4]])[order]
    return result


def gt_proposals(records: Sequence[tuple], jittered_copies: int, jitter: float,
                 rng: np.random.Generator) -> Dict[Tuple[str, int], np.ndarray]:
    """Ground-truth boxes (score 1) and jittered copies (score = IoU with their box) per frame.

    Each corner of a copy moves by a normal offset of std ``jitter`` times the box width or
    height; copies are clipped to the frame.
    """
    by_frame: Dict[Tuple[str, int], List[np.ndarray]] = {}
    for video, frame, box, *_ in records:
        by_frame.setdefault((video, frame), []).append(box)
    result = {}
    for key, boxes in by_frame.items():
        boxes = np.array(boxes)
        copies = np.repeat(boxes, jittered_copies, axis=0)
        size = np.tile(copies[:, 2:] - copies[:, :2], 2)
        copies = np.clip(copies + rng.normal(0, jitter, copies.shape) * size, 0, 1)
        copies = np.concatenate([np.minimum(copies[:, :2], copies[:, 2:]),
                                 np.maximum(copies[:, :2], copies[:, 2:])], axis=1)
        scores = np.concatenate([np.ones(len(boxes)), paired_box_iou(
            copies, np.repeat(boxes, jittered_copies, axis=0))])
        all_boxes = np.concatenate([boxes, copies])
        kept = (all_boxes[:, 2] > all_boxes[:, 0]) & (all_boxes[:, 3] > all_boxes[:, 1])
        order = np.argsort(-scores[kept], kind='stable')
        result[key] = np.column_stack([all_boxes[kept], scores[kept]])[order]
    return result


def build_annotations(gt_file: str,
                      frames_dir: str,
                      out_dir: str,
                      dataset: str = 'ucf101_24',
                      split: int = 1,
                      filename_tmpl: str = '{:05}.jpg',
                      stride: int = 1,
                      train_proposals: str = 'gt',
                      val_proposals: str = 'detections',
                      det_file: Optional[str] = None,
                      det_box_format: str = 'pixels',
                      jittered_copies: int = 2,
                      jitter: float = 0.05,
                      seed: int = 0,
                      overwrite: bool = False) -> dict:
    """Write one split's AVA-layout annotations (see the module docstring).

    Args:
        gt_file: Ground-truth pickle.
        frames_dir: Root of the frame folders: every video of the split must have its frames
            ``1..nframes`` there.
        out_dir: Output folder.
        dataset: 'ucf101_24' or 'jhmdb21'.
        split: 1-based split (JHMDB-21 has 3).
        filename_tmpl: Frame file name template.
        stride: Annotate frames ``1, 1 + stride, ...`` only.
        train_proposals, val_proposals: 'gt' (ground truth and jittered copies) or 'detections'
            (``det_file``).
        det_file: Person detections (:func:`load_detections`).
        det_box_format: 'pixels' or 'normalised', the boxes of ``det_file``.
        jittered_copies: Jittered copies of each box among 'gt' proposals.
        jitter: Std of the jitter, relative to the box size.
        seed: Seed of the jitter.
        overwrite: Replace existing output files.

    Returns:
        A summary: rows, videos and key frames without proposals per split, boxes clipped to the
        frame, and the written files.
    """
    ann = load_act_gt(gt_file, dataset)
    _check_split(ann, split, gt_file)
    check_filename_tmpl(filename_tmpl)
    if not isinstance(stride, int) or stride < 1:
        raise ValueError(f'stride must be an int >= 1, got {stride!r}')
    if not isinstance(jittered_copies, int) or jittered_copies < 0 or not jitter >= 0:
        raise ValueError(f'jittered_copies must be an int >= 0 and jitter >= 0, got '
                         f'{jittered_copies!r} and {jitter!r}')
    modes = dict(train=train_proposals, val=val_proposals)
    for split_name, mode in modes.items():
        if mode not in ('gt', 'detections'):
            raise ValueError(f"{split_name}_proposals must be 'gt' or 'detections', got {mode!r}")
    if 'detections' in modes.values() and det_file is None:
        raise ValueError("proposals from 'detections' need det_file (--detections); use 'gt' "
                         'for ground-truth boxes')
    files = dict(train_csv='train.csv', val_csv='val.csv',
                 label_map=DATASET_INFO[dataset]['label_map'],
                 train_proposals='proposals_train.pkl', val_proposals='proposals_val.pkl')
    files = {name: osp.join(out_dir, file) for name, file in files.items()}
    existing = [path for path in files.values() if osp.exists(path)]
    if existing and not overwrite:
        raise FileExistsError(f'{existing[0]} exists; pass overwrite=True (--overwrite)')

    split_videos = dict(train=ann['train_videos'][split - 1], val=ann['test_videos'][split - 1])
    for split_name, videos in split_videos.items():
        for video in videos:
            if not frames_complete(osp.join(frames_dir, video), int(ann['nframes'][video]),
                                   filename_tmpl):
                raise FileNotFoundError(
                    f'{split_name} video {video!r}: frames {filename_tmpl.format(1)}..'
                    f'{filename_tmpl.format(int(ann["nframes"][video]))} are not all in '
                    f'{osp.join(frames_dir, video)} (run extract_frames.py)')
    detections = load_detections(det_file, ann, det_box_format) if det_file else None

    rng = np.random.default_rng(seed)
    outputs, summary = {}, dict(dataset=dataset, split=split, files=files)
    for split_name, videos in split_videos.items():
        records = _split_boxes(ann, videos, stride)
        keys = list(dict.fromkeys((video, frame) for video, frame, *_ in records))
        if modes[split_name] == 'gt':
            proposals = gt_proposals(records, jittered_copies, jitter, rng)
        else:
            proposals = {key: detections[key] for key in keys
                         if key in detections and len(detections[key])}
        outputs[split_name] = (_csv_text(records), {
            f'{video},{frame:04d}': boxes.astype(np.float32)
            for (video, frame), boxes in proposals.items()})
        summary[split_name] = dict(
            videos=len(videos), rows=len(records), key_frames=len(keys),
            clipped_boxes=sum(record[-1] for record in records),
            key_frames_without_proposals=sum(key not in proposals for key in keys),
            proposals=modes[split_name])

    os.makedirs(out_dir, exist_ok=True)
    atomic_write(files['label_map'], lambda f: f.write(label_map_text(ann['labels'])),
                 binary=False)
    for split_name, (csv_text, proposals) in outputs.items():
        atomic_write(files[f'{split_name}_csv'], lambda f, text=csv_text: f.write(text),
                     binary=False)
        dump_pickle(proposals, files[f'{split_name}_proposals'])
    return summary
