"""``RawframeDataset`` that checks every list row before training starts."""
import os.path as osp
from typing import List, Optional

from mmaction.datasets import RawframeDataset
from mmaction.registry import DATASETS


@DATASETS.register_module()
class CheckedRawframeDataset(RawframeDataset):
    """mmaction2's ``RawframeDataset`` with each row of the list file checked at load time.

    A row is ``frame_dir [offset] total_frames label``. Refused, with a one-line error naming
    the list file and the row: a malformed row, a label outside ``0..num_classes-1``, a missing
    frame folder or last frame, and a clip with fewer frames than the pipeline's frame sampler
    takes (``clip_len * num_clips``; mmaction2 would silently repeat frames).

    Args:
        num_classes: Number of classes; labels must lie in ``0..num_classes-1``.
        min_frames: Frames every clip must have; by default those the sampler takes.
        **kwargs: Arguments of ``RawframeDataset`` (``multi_class`` is not supported).
    """

    def __init__(self, ann_file: str, pipeline: List, num_classes: int,
                 min_frames: Optional[int] = None, **kwargs) -> None:
        if kwargs.get('multi_class'):
            raise ValueError('CheckedRawframeDataset takes one label per row (multi_class=False)')
        self.min_frames = min_frames
        super().__init__(ann_file, pipeline, num_classes=num_classes, **kwargs)

    def _frames_sampled(self) -> int:
        if self.min_frames is not None:
            return self.min_frames
        for transform in self.pipeline.transforms:
            if hasattr(transform, 'clip_len') and hasattr(transform, 'num_clips'):
                return transform.clip_len * transform.num_clips
        return 1

    def load_data_list(self) -> List[dict]:
        """Load the rows with ``RawframeDataset`` after checking them."""
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'list file not found: {self.ann_file}')
        with open(self.ann_file) as file:
            rows = file.read().splitlines()
        fields = 4 if self.with_offset else 3
        layout = 'frame_dir offset total_frames label' if self.with_offset else \
            'frame_dir total_frames label'
        for number, row in enumerate(rows, 1):
            values = row.split()
            if len(values) != fields or not all(v.lstrip('-').isdigit() for v in values[1:]):
                raise ValueError(f'{self.ann_file} row {number}: expected "{layout}" '
                                 f'(integers after the folder), got {row!r}')
        data_list = super().load_data_list()
        needed = self._frames_sampled()
        for number, info in enumerate(data_list, 1):
            where = f'{self.ann_file} row {number}'
            label, total = info['label'], info['total_frames']
            if not 0 <= label < self.num_classes:
                raise ValueError(f'{where}: label {label} outside the {self.num_classes} '
                                 f'classes 0..{self.num_classes - 1}')
            if total < needed:
                raise ValueError(f'{where}: clip of {total} frames is shorter than the '
                                 f'{needed} frames sampled')
            if not osp.isdir(info['frame_dir']):
                raise FileNotFoundError(f'{where}: frame folder not found: {info["frame_dir"]}')
            last = self.start_index + info.get('offset', 0) + total - 1
            last_frame = osp.join(info['frame_dir'], self.filename_tmpl.format(last))
            if not osp.isfile(last_frame):
                raise FileNotFoundError(f'{where}: {total} frames listed but the last one is '
                                        f'missing: {last_frame}')
        return data_list
