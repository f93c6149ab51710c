"""``tools/test.py --show-dir``: key frames with the predicted person boxes and top actions."""
import os
import os.path as osp
from typing import Optional, Sequence

import cv2
import numpy as np
from mmengine.dataset import Compose
from mmengine.hooks import Hook

from mmaction.registry import HOOKS
from vsgt.apis.inference import SAMPLERS, action_names
from vsgt.visualization.draw import draw_person


def key_frame_loader(pipeline: Sequence[dict]) -> Compose:
    """The loading steps of a test pipeline with its frame sampler cut to the key frame alone."""
    steps = []
    for step in pipeline:
        kind = step['type'].split('.')[-1]
        if kind in SAMPLERS:
            steps.append(dict(step, clip_len=1, frame_interval=1, test_mode=True))
        elif steps:
            steps.append(step)
            if kind.endswith('Decode'):
                return Compose(steps)
    raise ValueError('the test pipeline has no frame sampler followed by a decoder')


@HOOKS.register_module()
class DetectionShowHook(Hook):
    """Write every test key frame with its predicted boxes and top actions to ``out_dir``
    (``<video_id>_<timestamp>.jpg``).

    Args:
        out_dir: Folder of the images (made when missing).
        top_k: Actions written per box, best first.
        score_thr: Lowest action score written (a box is drawn whatever its scores).
        label_map: Action names (``.pbtxt`` or one per line); None reads the test dataset's
            ``label_file`` when it exists, else writes ``action <id>``.
    """

    priority = 'LOW'

    def __init__(self, out_dir: str, top_k: int = 3, score_thr: float = 0.0,
                 label_map: Optional[str] = None):
        self.out_dir, self.top_k, self.score_thr = out_dir, top_k, score_thr
        self.label_map = label_map

    def before_test(self, runner) -> None:
        dataset = runner.test_dataloader.dataset
        self.dataset = dataset
        self.index = {dataset.get_data_info(i)['img_key']: i for i in range(len(dataset))}
        self.load = key_frame_loader(runner.cfg.test_dataloader.dataset.pipeline)
        model = runner.cfg.model
        self.labels = action_names(runner.cfg.test_dataloader.dataset,
                                   int(model.roi_head.bbox_head.num_classes), self.label_map)
        os.makedirs(self.out_dir, exist_ok=True)

    def key_frame(self, img_key: str) -> np.ndarray:
        """The BGR key frame of ``img_key`` as the test pipeline decodes it."""
        results = self.load(self.dataset.get_data_info(self.index[img_key]))
        return np.ascontiguousarray(results['imgs'][0][..., ::-1])

    def after_test_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        for sample in outputs:
            img_key = sample.metainfo['img_key']
            frame = self.key_frame(img_key)
            height, width = frame.shape[:2]
            pred = sample.pred_instances
            boxes = pred.bboxes.cpu().numpy() * np.array([width, height] * 2)
            scores = pred.scores.cpu().numpy()[:, 1:]  # column 0: the unused background
            for box, row in zip(boxes, scores):
                best = [i for i in np.argsort(-row, kind='stable')[:self.top_k]
                        if row[i] >= self.score_thr]
                draw_person(frame, box, [f'{self.labels[i]} {row[i]:.2f}' for i in best])
            name = img_key.replace(',', '_').replace(os.sep, '_') + '.jpg'
            if not cv2.imwrite(osp.join(self.out_dir, name), frame):
                raise OSError(f'cannot write {osp.join(self.out_dir, name)}')
