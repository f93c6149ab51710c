"""mmaction2's AVA dataset with its proposals read safely, and AVA CSVs as ground truth for
the project's exact frame-mAP."""
from collections import defaultdict
from typing import Optional, Sequence

import numpy as np
from mmaction.datasets import AVADataset
from mmaction.evaluation import read_labelmap
from mmaction.registry import DATASETS

from vsgt.utils.safe_pickle import safe_load


@DATASETS.register_module()
class SafeAVADataset(AVADataset):
    """:class:`mmaction.datasets.AVADataset` whose ``proposal_file`` is loaded with
    :func:`vsgt.utils.safe_pickle.safe_load` (builtin and numpy types only: the pickle cannot
    run code) instead of ``pickle.load``; everything else is ``AVADataset``'s.

    Args:
        proposal_file: Proposals pickle ``{"video_id,%04d": (n, 4 or 5) array}`` (boxes
            normalised, optional score). Defaults to None.
        **kwargs: ``AVADataset`` arguments.
    """

    def __init__(self, *args, proposal_file: str = None, **kwargs) -> None:
        proposals = None
        if proposal_file is not None:
            proposals = safe_load(proposal_file, 'proposal file')
            if not isinstance(proposals, dict):
                raise ValueError(f'{proposal_file}: expected a dict "video_id,timestamp" -> '
                                 f'array, got {type(proposals).__name__}')
        super().__init__(*args, proposal_file=None, **kwargs)
        self.proposal_file = proposal_file
        self.proposals = proposals


def ava_ground_truth(csv_file: str, label_file: str,
                     custom_classes: Optional[Sequence[int]] = None) -> dict:
    """An AVA CSV as an ACT-format ground truth (``FrameMAP`` / ``VideoMAP``'s ``gt_file``).

    ``labels`` are the label map's names of ``custom_classes`` (default: all its ids, ascending),
    so that label index ``i`` is score column ``i + 1`` of a head trained with those
    ``custom_classes``. A tube per (video, class, person) holds the person's boxes at the
    timestamps of the class, a timestamp (second) being a frame; boxes stay normalised and
    ``resolution`` is (1, 1), which leaves every IoU unchanged. ``nframes`` is a video's last
    timestamp; all videos are ``test_videos``. Rows of other classes are skipped.
    """
    with open(label_file) as file:
        label_map, ids = read_labelmap(file)
    names = {item['id']: item['name'] for item in label_map}
    classes = list(custom_classes) if custom_classes is not None else sorted(ids)
    unknown = sorted(set(classes) - set(names))
    if unknown:
        raise ValueError(f'custom_classes {unknown} are not in {label_file}')
    label_index = {action: index for index, action in enumerate(classes)}
    rows = defaultdict(dict)
    last_frame = {}
    with open(csv_file) as file:
        for row_number, line in enumerate(file, 1):
            fields = line.strip().split(',')
            if not line.strip():
                continue
            try:
                video, frame, box, action = (fields[0], int(fields[1]),
                                             [float(v) for v in fields[2:6]], int(fields[6]))
                person = fields[7]
            except (IndexError, ValueError):
                raise ValueError(f'{csv_file}, row {row_number}: expected video_id,timestamp,x1,'
                                 f'y1,x2,y2,action_id,person_id, got {line.strip()!r}') from None
            last_frame[video] = max(last_frame.get(video, 1), frame)
            if action in label_index:
                rows[video, label_index[action], person][frame] = box
    if not last_frame:
        raise ValueError(f'{csv_file}: no rows')
    tubes = {video: defaultdict(list) for video in last_frame}
    for (video, label, _), boxes in sorted(rows.items()):
        tubes[video][label].append(
            np.array([[frame, *boxes[frame]] for frame in sorted(boxes)], np.float32))
    videos = sorted(last_frame)
    return dict(labels=[names[action] for action in classes],
                gttubes={video: dict(tubes[video]) for video in videos},
                nframes=dict(last_frame), train_videos=[[]], test_videos=[videos],
                resolution={video: (1, 1) for video in videos})
