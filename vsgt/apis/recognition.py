"""Running an action recognizer of a config on a whole video."""
import os.path as osp
from typing import List, Optional, Tuple

import numpy as np
import torch
from mmengine.dataset import Compose, pseudo_collate

from .inference import build_model, load_model_config, test_pipeline
from .video import VideoSource


def read_class_names(path: str) -> List[str]:
    """Class names of a label map with one name per line (class 0 first, as mmaction2's)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'label map not found: {path}')
    with open(path) as file:
        names = [line.strip() for line in file if line.strip()]
    if not names:
        raise ValueError(f'label map {path} holds no label')
    return names


class ActionRecognizer:
    """An action recognizer of a config (a model with a ``cls_head``) that scores a whole video
    with the config's test pipeline: its frame sampler picks the frames (all clips and crops of
    the test protocol), the steps after its decoder prepare them.

    Args:
        config: Config file.
        checkpoint: Checkpoint of that config; None keeps random weights.
        device: ``'cpu'`` or ``'cuda'``.
        label_map: Text label map, one class name per line; None names the classes
            ``class <index>``.
        cfg_options: Overrides of config entries.

    Attributes:
        labels: Name of each class.
    """

    def __init__(self, config: str, checkpoint: Optional[str] = None, device: str = 'cpu',
                 label_map: Optional[str] = None, cfg_options: Optional[dict] = None):
        self.cfg = load_model_config(config, cfg_options)
        head = self.cfg.model.get('cls_head')
        if not head or self.cfg.model.get('roi_head'):
            raise ValueError(f'{config} is not an action recognizer (its model needs a cls_head '
                             'and no roi_head)')
        pipeline = test_pipeline(self.cfg)
        kinds = [step['type'].split('.')[-1] for step in pipeline]
        samplers = [i for i, kind in enumerate(kinds) if kind.endswith('SampleFrames')]
        decoders = [i for i, kind in enumerate(kinds) if kind.endswith('Decode')]
        if not samplers or not decoders:
            raise ValueError(f'{config}: the test pipeline needs a frame sampler (*SampleFrames) '
                             'and a decoder (*Decode)')
        self.model = build_model(self.cfg, checkpoint, device)  # sets the registry scope
        self.sampler = Compose([pipeline[samplers[0]]])
        self.transforms = Compose(pipeline[decoders[0] + 1:])
        num_classes = int(head.num_classes)
        names = read_class_names(label_map) if label_map else []
        if names and len(names) != num_classes:
            raise ValueError(f'label map {label_map} has {len(names)} names, the model '
                             f'{num_classes} classes')
        self.labels = names or [f'class {i}' for i in range(num_classes)]

    @torch.no_grad()
    def predict(self, video: VideoSource) -> np.ndarray:
        """Class scores of ``video`` (the model's test output, e.g. softmax averaged over the
        clips)."""
        num_frames = sum(1 for _ in video)
        results = self.sampler(dict(total_frames=num_frames, start_index=0, modality='RGB'))
        frames = video.read(np.asarray(results['frame_inds']).reshape(-1).tolist())
        height, width = frames[0].shape[:2]
        results.update(imgs=[frame[..., ::-1] for frame in frames], img_shape=(height, width),
                       original_shape=(height, width))
        sample = self.model.test_step(pseudo_collate([self.transforms(results)]))[0]
        return sample.pred_score.float().cpu().numpy()

    def top_k(self, scores: np.ndarray, k: int) -> List[Tuple[str, float]]:
        """The ``k`` best (label, score) pairs, best first."""
        best = np.argsort(-scores, kind='stable')[:k]
        return [(self.labels[i], float(scores[i])) for i in best]

