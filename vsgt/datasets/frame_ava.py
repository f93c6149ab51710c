"""AVA-layout dataset over rawframes where a CSV timestamp is a frame number."""
import os
import os.path as osp
from collections import defaultdict
from typing import Callable, Dict, List, Optional, Set, Union

import numpy as np
from mmengine.fileio import list_from_file
from mmengine.logging import MMLogger

from mmaction.datasets import AVADataset
from mmaction.evaluation import read_labelmap
from mmaction.registry import DATASETS
from mmaction.utils import ConfigType

from vsgt.utils.safe_pickle import safe_load

_CSV_FIELDS = 'video_id,timestamp,x1,y1,x2,y2,action_id,person_id'


def read_label_map(label_file: str) -> Dict[int, str]:
    """Action id -> name of an AVA ``.pbtxt`` label map; one-line error if it is unusable or
    gives an id twice."""
    if not osp.isfile(label_file):
        raise FileNotFoundError(f'label map {label_file} not found')
    try:
        with open(label_file) as file:
            items, _ = read_labelmap(file)
    except (ValueError, IndexError) as error:
        raise ValueError(
            f'{label_file}: malformed label map ({error})') from None
    if not items:
        raise ValueError(f'{label_file}: no "item {{ name: ... id: ... }}" '
                         'entries in the label map')
    names = {}
    for item in items:
        if item['id'] in names:
            raise ValueError(f'{label_file}: id {item["id"]} is given twice ('
                             f'{names[item["id"]]!r} and {item["name"]!r})')
        names[item['id']] = item['name']
    return names


def read_label_ids(label_file: str) -> Set[int]:
    """Action ids of an AVA ``.pbtxt`` label map (:func:`read_label_map`)."""
    return set(read_label_map(label_file))


def load_proposals(proposal_file: str) -> Dict[str, np.ndarray]:
    """Load and check an AVA proposals pickle ``{"video,%04d": (n, 4|5)}``.

    Only builtin and numpy types are admitted (:func:`vsgt.utils.safe_pickle.safe_load`): the
    file is refused before any of its content runs.
    """
    proposals = safe_load(proposal_file, 'proposal file')
    if not isinstance(proposals, dict):
        raise ValueError(f'{proposal_file}: expected a dict "video_id,'
                         f'timestamp" -> array, got {type(proposals).__name__}')
    if not proposals:
        raise ValueError(f'{proposal_file}: the proposals dict is empty')
    for key, boxes in proposals.items():
        if not isinstance(boxes, np.ndarray) or boxes.ndim != 2 or \
                boxes.shape[1] not in (4, 5) or len(boxes) == 0:
            shape = getattr(boxes, 'shape', type(boxes).__name__)
            raise ValueError(f'{proposal_file}, key {key!r}: expected a '
                             f'non-empty (n, 4) or (n, 5) array, got {shape}')
        if not (np.isfinite(boxes).all() and boxes[:, :4].min() >= 0
                and boxes[:, :4].max() <= 1):
            raise ValueError(f'{proposal_file}, key {key!r}: box corners '
                             'must be finite and normalised to [0, 1]')
    return proposals


@DATASETS.register_module()
class FrameAVADataset(AVADataset):
    """AVA dataset for rawframes whose CSV timestamps are frame numbers.

    For UCF101-24, MultiSports-like and the synthetic set. The clip of
    timestamp ``t`` is centred exactly on frame file
    ``filename_tmpl.format(t - timestamp_start + start_index)`` (file ``t``
    with the defaults) and its indices are clamped to the frames of that
    video: the consecutive files from ``start_index``, counted once per video.
    ``AVADataset`` instead uses one ``shot_info`` for all videos and
    ``SampleAVAFrames`` adds ``start_index`` twice.

    The annotations are checked while loading; bad input raises one
    ``ValueError`` / ``FileNotFoundError`` naming the file and row (or key).
    Action ids must lie in ``1..num_classes - 1`` (index 0 is unused, as in
    mmaction's AVA heads) and in the label map when one is given; with
    ``custom_classes``, rows of other label-map classes are skipped.

    Args:
        ann_file: AVA CSV ``video_id,timestamp,x1,y1,x2,y2,action_id,
            person_id`` with boxes normalised to [0, 1].
        pipeline: Data transforms, e.g. ``SampleAVAFrames``,
            ``RawFrameDecode``, ...
        label_file: AVA ``.pbtxt`` label map. Defaults to None.
        num_classes: Label vector length (classes + 1). Defaults to None:
            ``len(custom_classes) + 1`` or the label map's largest id + 1.
        custom_classes: Subset of action ids to train on. Defaults to None.
        proposal_file: Proposals pickle. Defaults to None.
        filename_tmpl: Frame file name template. Defaults to
            ``'img_{:05}.jpg'``.
        start_index: Number of the first frame file. Defaults to 1.
        timestamp_start: Timestamp of the first frame file. Defaults to 1.
        clip_person_boxes: Also hand the pipeline the person boxes of every
            annotated frame of the sample's video (ground truth and proposals,
            proposals filtered as the key frame's), for the
            ``LoadClipPersonBoxes`` transform. For sets that box every frame
            (UCF101-24, the synthetic set). Defaults to False.
        fps: Must be 1 (a timestamp is a frame number).
        use_frames: Must be True.
        **kwargs: Other ``AVADataset`` arguments (``data_prefix``,
            ``exclude_file``, ``person_det_score_thr``, ``test_mode``, ...).
    """

    def __init__(self,
                 ann_file: str,
                 pipeline: List[Union[ConfigType, Callable]],
                 label_file: Optional[str] = None,
                 num_classes: Optional[int] = None,
                 custom_classes: Optional[List[int]] = None,
                 proposal_file: Optional[str] = None,
                 filename_tmpl: str = 'img_{:05}.jpg',
                 start_index: int = 1,
                 timestamp_start: int = 1,
                 clip_person_boxes: bool = False,
                 fps: int = 1,
                 use_frames: bool = True,
                 **kwargs) -> None:
        if fps != 1:
            raise ValueError(f'FrameAVADataset needs fps=1 (a timestamp is a '
                             f'frame number), got fps={fps!r}')
        if not use_frames:
            raise ValueError('FrameAVADataset reads rawframes; use '
                             'AVADataset for videos (use_frames=False)')
        self.label_ids = read_label_ids(label_file) if label_file else None
        num_classes = self._resolve_num_classes(num_classes, custom_classes,
                                                label_file)
        # AVADataset would load ``proposal_file`` unchecked; load it here and
        # give it None. ``load_data_list`` reads ``self.proposals``.
        self.proposals = load_proposals(proposal_file) if proposal_file \
            else None
        proposals = self.proposals
        self.num_frames_by_video: Dict[str, int] = {}
        self.clip_person_boxes = clip_person_boxes
        self.frame_boxes: Dict[str, Dict[int, dict]] = {}
        super().__init__(
            ann_file,
            pipeline,
            label_file=label_file,
            num_classes=num_classes,
            custom_classes=custom_classes,
            filename_tmpl=filename_tmpl,
            start_index=start_index,
            timestamp_start=timestamp_start,
            fps=fps,
            use_frames=True,
            **kwargs)
        self.proposal_file = proposal_file
        self.proposals = proposals

    def _resolve_num_classes(self, num_classes: Optional[int],
                             custom_classes: Optional[List[int]],
                             label_file: Optional[str]) -> int:
        """Check ``num_classes``/``custom_classes`` and infer the former."""
        if custom_classes is not None:
            if self.label_ids is None:
                raise ValueError('custom_classes needs label_file')
            bad = sorted(c for c in custom_classes
                         if c == 0 or c not in self.label_ids)
            if bad:
                raise ValueError(f'custom_classes has ids {bad} that are 0 or '
                                 f'not in {label_file}')
            if num_classes is None:
                num_classes = len(custom_classes) + 1
            if num_classes != len(custom_classes) + 1:
                raise ValueError(f'num_classes must be len(custom_classes) + '
                                 f'1 = {len(custom_classes) + 1}, got '
                                 f'{num_classes}')
        if num_classes is None:
            if self.label_ids is None:
                raise ValueError('FrameAVADataset needs num_classes or '
                                 'label_file')
            num_classes = max(self.label_ids) + 1
        if not isinstance(num_classes, int) or num_classes < 2:
            raise ValueError(
                f'num_classes must be an int >= 2, got {num_classes!r}')
        if custom_classes is None and self.label_ids is not None and \
                max(self.label_ids) >= num_classes:
            raise ValueError(f'{label_file} has id {max(self.label_ids)} but '
                             f'num_classes={num_classes} allows ids up to '
                             f'{num_classes - 1}')
        return num_classes

    def _frame_file(self, frame_number: int) -> str:
        if self.modality == 'Flow':
            return self.filename_tmpl.format('x', frame_number)
        return self.filename_tmpl.format(frame_number)

    def _count_frames(self, video_id: str, frame_dir: str,
                      row_number: int) -> int:
        """Consecutive frame files of a video from ``start_index`` (cached)."""
        if video_id not in self.num_frames_by_video:
            where = f'{self.ann_file}, row {row_number}'
            if not osp.isdir(frame_dir):
                raise FileNotFoundError(f'{where}: frame folder {frame_dir} '
                                        f'of video {video_id!r} not found')
            names = set(os.listdir(frame_dir))
            count = 0
            while self._frame_file(self.start_index + count) in names:
                count += 1
            if count == 0:
                raise FileNotFoundError(
                    f'{where}: no frame {self._frame_file(self.start_index)}'
                    f' in {frame_dir}')
            self.num_frames_by_video[video_id] = count
        return self.num_frames_by_video[video_id]

    def _parse_row(self, line: str, row_number: int) -> Optional[dict]:
        """Check one CSV row; None when ``custom_classes`` skips it."""
        where = f'{self.ann_file}, row {row_number}'
        fields = line.strip().split(',')
        if len(fields) != 8:
            raise ValueError(f'{where}: expected 8 fields ({_CSV_FIELDS}), '
                             f'got {len(fields)}: {line.strip()!r}')
        try:
            timestamp, action, person = (int(fields[1]), int(fields[6]),
                                         int(fields[7]))
            box = np.array([float(value) for value in fields[2:6]])
        except ValueError:
            raise ValueError(f'{where}: timestamp, box, action_id and '
                             f'person_id must be numbers: {line.strip()!r}'
                             ) from None
        video_id = fields[0]
        if not video_id:
            raise ValueError(f'{where}: empty video_id')
        if not ((box >= 0).all() and (box <= 1).all()
                and box[2] > box[0] and box[3] > box[1]):
            raise ValueError(f'{where}: box {fields[2:6]} must lie in [0, 1] '
                             'with x2 > x1 and y2 > y1')
        if self.label_ids is not None and action not in self.label_ids:
            raise ValueError(f'{where}: action id {action} is not in the '
                             f'label map {self.label_file}')
        if self.custom_classes is not None:
            if action not in self.custom_classes:
                return None
            action = self.custom_classes.index(action)
        elif not 1 <= action < self.num_classes:
            raise ValueError(f'{where}: action id {action} is outside '
                             f'1..{self.num_classes - 1} (num_classes='
                             f'{self.num_classes})')

        frame_dir = video_id
        if self.data_prefix['img'] is not None:
            frame_dir = osp.join(self.data_prefix['img'], video_id)
        num_frames = self._count_frames(video_id, frame_dir, row_number)
        frame_offset = timestamp - self.timestamp_start
        if not 0 <= frame_offset < num_frames:
            raise ValueError(
                f'{where}: timestamp {timestamp} is outside video '
                f'{video_id!r}, whose {num_frames} frames have timestamps '
                f'{self.timestamp_start}..{self.timestamp_start + num_frames - 1}')
        return dict(
            video_id=video_id,
            timestamp=timestamp,
            frame_dir=frame_dir,
            entity_box=box,
            label=action,
            entity_id=person)

    def load_data_list(self) -> List[dict]:
        """Load and check the CSV rows, grouped by key frame."""
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'annotation file {self.ann_file} not found')
        records_by_key = defaultdict(list)
        for row_number, line in enumerate(list_from_file(self.ann_file), 1):
            if not line.strip():
                continue
            record = self._parse_row(line, row_number)
            if record is not None:
                key = f'{record["video_id"]},{record["timestamp"]:04d}'
                records_by_key[key].append(record)
        if not records_by_key:
            raise ValueError(f'{self.ann_file}: no annotation rows'
                             + (' of custom_classes' if self.custom_classes
                                else ''))
        if self.proposals is not None:
            missing = len(records_by_key.keys() - self.proposals.keys())
            if missing:
                MMLogger.get_current_instance().warning(
                    f'no proposals for {missing} of {len(records_by_key)} key '
                    f'frames of {self.ann_file}; they get the whole frame')
        data_list = []
        for img_key, records in records_by_key.items():
            bboxes, labels, entity_ids = self.parse_img_record(records)
            video_id = records[0]['video_id']
            if self.clip_person_boxes:
                self.frame_boxes.setdefault(video_id, {})[records[0]['timestamp']] = dict(
                    gt=bboxes, proposals=self._frame_proposals(img_key))
            num_frames = self.num_frames_by_video[video_id]
            data_list.append(
                dict(
                    frame_dir=records[0]['frame_dir'],
                    video_id=video_id,
                    timestamp=records[0]['timestamp'],
                    img_key=img_key,
                    total_frames=num_frames,
                    shot_info=(0, num_frames),
                    fps=1,
                    ann=dict(
                        gt_bboxes=bboxes,
                        gt_labels=labels,
                        entity_ids=entity_ids)))
        return data_list

    def get_data_info(self, idx: int) -> dict:
        """Get the annotation of a key frame, ready for ``SampleAVAFrames``.

        ``SampleAVAFrames`` computes the centre index
        ``fps * (timestamp - timestamp_start) + start_index``, clamps it to
        ``0..total_frames - 1`` and adds ``start_index`` again. Handing it
        ``timestamp_start + start_index`` (fps is 1) makes the centre file
        ``timestamp - timestamp_start + start_index`` and the clamped range
        ``start_index..start_index + total_frames - 1``.
        """
        data_info = super().get_data_info(idx)
        data_info['timestamp_start'] = self.timestamp_start + self.start_index
        if self.clip_person_boxes:
            data_info['frame_person_boxes'] = self.frame_boxes[data_info['video_id']]
            data_info['frame_timestamp_offset'] = self.timestamp_start - self.start_index
        return data_info

    def _frame_proposals(self, img_key: str) -> np.ndarray:
        """(n, 4) normalised proposals of one frame, kept as ``AVADataset``
        keeps the key frame's: scores at or above ``person_det_score_thr``
        (or the frame's best), at most ``num_max_proposals``; none without a
        proposal file or entry."""
        proposals = None if self.proposals is None else self.proposals.get(img_key)
        if proposals is None or len(proposals) == 0:
            return np.zeros((0, 4), dtype=np.float32)
        if proposals.shape[1] == 5:
            thr = min(self.person_det_score_thr, proposals[:, 4].max())
            proposals = proposals[proposals[:, 4] >= thr]
        return proposals[:self.num_max_proposals, :4].astype(np.float32)
