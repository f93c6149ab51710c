"""What the frame- and video-mAP metrics share: reading the model's predictions, the AP table."""
import math
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.structures import BaseDataElement

from ..functional import ClassAP, load_ground_truth

_Detections = Tuple[int, int, np.ndarray, np.ndarray, np.ndarray]


def _to_numpy(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def format_ap_table(result: ClassAP, columns: Sequence[Tuple[str, np.ndarray]],
                    count_name: str) -> str:
    """A text table: one row per class (AP in %, '-' without ground truth) and the mean.

    Args:
        result: Per-class APs (for the class names and counts).
        columns: ``(header, per-class values)`` of the AP columns.
        count_name: What the counts count ('boxes' or 'tubes').
    """
    headers = ['class', f'GT {count_name}', f'detected {count_name}'] + [h for h, _ in columns]

    def cell(value: float) -> str:
        return '-' if math.isnan(value) else f'{100 * value:.2f}'

    rows = [[name, str(result.num_gt[c]), str(result.num_dets[c])] +
            [cell(values[c]) for _, values in columns] for c, name in enumerate(result.labels)]
    has_gt = result.num_gt > 0
    rows.append([f'mean ({int(has_gt.sum())} classes)', str(result.num_gt.sum()),
                 str(result.num_dets.sum())] + [cell(values[has_gt].mean()) for _, values in
                                                columns])
    widths = [max(len(row[i]) for row in [headers] + rows) for i in range(len(headers))]
    lines = [' | '.join(text.ljust(width) if i == 0 else text.rjust(width)
                        for i, (text, width) in enumerate(zip(row, widths)))
             for row in [headers] + rows]
    lines.insert(1, '-+-'.join('-' * width for width in widths))
    lines.insert(len(lines) - 1, lines[1])
    return '\n'.join(lines)


class DetectionMetric(BaseMetric):
    """Collects the per-frame predictions of an AVA-style detector against an ACT-format GT.

    A prediction is a data sample with ``video_id``, ``timestamp`` (the frame number) and
    ``pred_instances`` holding ``bboxes`` ``(n, 4)`` normalised to [0, 1] (what mmaction's
    ``BBoxHeadAVA`` returns) and ``scores`` ``(n, num_classes + 1)``, column 0 being the unused
    background slot and column ``c`` the class of label index ``c - 1`` of the ground truth. Each
    (box, class) pair with a score above ``action_thr`` is a detection; boxes are converted to
    pixels with the video's ``resolution``.

    Args:
        gt_file: ACT-format ground-truth pickle (``UCF101v2-GT.pkl``, ``gt.pkl``, ...).
        split: 1-based split of ``test_videos`` evaluated.
        action_thr: Scores at or below it are dropped.
        out_dir: Where to write the detections in the official formats (None: nowhere).
        collect_device: ``'cpu'`` or ``'gpu'``, for collecting results across ranks.
        prefix: Prefix of the metric names. Defaults to none.
    """

    default_prefix: Optional[str] = ''

    def __init__(self,
                 gt_file: str,
                 split: int = 1,
                 action_thr: float = 0.002,
                 out_dir: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not (isinstance(action_thr, (int, float)) and math.isfinite(action_thr)):
            raise ValueError(f'action_thr must be a finite number, got {action_thr!r}')
        self.gt_file = gt_file
        self.gt = load_ground_truth(gt_file, split)
        self.action_thr = float(action_thr)
        self.out_dir = out_dir

    def process(self, data_batch: Any, data_samples: Sequence[Any]) -> None:
        """Check each prediction and keep its detections."""
        for sample in data_samples:
            self.results.append(self._detections_of(sample))

    def _detections_of(self, sample: Any) -> _Detections:
        if isinstance(sample, BaseDataElement):
            sample = sample.to_dict()
        missing = [key for key in ('video_id', 'timestamp', 'pred_instances')
                   if key not in sample]
        if missing:
            raise ValueError(f'a data sample has no {", ".join(missing)}')
        video, frame = sample['video_id'], sample['timestamp']
        where = f'prediction for video {video!r}, frame {frame!r}'
        if video not in self.gt.video_index:
            raise ValueError(f'{where}: unknown video (not in the evaluated split of '
                             f'{self.gt_file})')
        index = self.gt.video_index[video]
        if isinstance(frame, bool) or not isinstance(frame, (int, np.integer)) or \
                not 1 <= frame <= self.gt.nframes[index]:
            raise ValueError(f'{where}: the timestamp must be a frame number in '
                             f'1..{self.gt.nframes[index]}')
        pred = sample['pred_instances']
        boxes = _to_numpy(pred['bboxes']).astype(np.float32)
        scores = _to_numpy(pred['scores']).astype(np.float32)
        num_columns = len(self.gt.labels) + 1
        if boxes.ndim != 2 or boxes.shape[1] != 4 or scores.shape != (len(boxes), num_columns):
            raise ValueError(f'{where}: expected bboxes (n, 4) and scores (n, {num_columns}) '
                             f'(the {len(self.gt.labels)} classes of {self.gt_file} after the '
                             f'unused column 0), got {boxes.shape} and {scores.shape}')
        if not np.isfinite(scores).all():
            raise ValueError(f'{where}: scores are not all finite')
        if not np.isfinite(boxes).all() or (boxes[:, 2] < boxes[:, 0]).any() or \
                (boxes[:, 3] < boxes[:, 1]).any():
            raise ValueError(f'{where}: boxes must be finite with x2 >= x1 and y2 >= y1')
        box, column = np.nonzero(scores[:, 1:] > self.action_thr)
        return (index, int(frame), column.astype(np.int32), scores[box, column + 1], boxes[box])

    def frame_detections(self, results: List[_Detections]) -> np.ndarray:
        """The collected detections as frame detections, boxes in pixels."""
        keys = np.array([(index, frame) for index, frame, *_ in results],
                        np.int64).reshape(-1, 2)
        unique, counts = np.unique(keys, axis=0, return_counts=True)
        if (counts > 1).any():
            repeated = np.flatnonzero(counts > 1)[0]
            index, frame = unique[repeated]
            raise ValueError(f'video {self.gt.videos[index]!r}, frame {frame} was predicted '
                             f'{counts[repeated]} times; each frame must be predicted once')
        sizes = [len(scores) for _, _, _, scores, _ in results]
        if sum(sizes) == 0:
            return np.zeros((0, 8))
        video = np.repeat(keys[:, 0], sizes)
        frame = np.repeat(keys[:, 1], sizes)
        labels = np.concatenate([labels for _, _, labels, _, _ in results])
        scores = np.concatenate([scores for _, _, _, scores, _ in results]).astype(np.float64)
        boxes = np.concatenate([boxes for *_, boxes in results]).astype(np.float64)
        size = self.gt.resolution[video][:, ::-1]
        return np.column_stack([video, frame, labels, scores, boxes * np.tile(size, 2)])
