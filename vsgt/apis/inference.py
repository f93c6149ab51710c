"""Building a model from a config and running a spatio-temporal action detector on a clip."""
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate

from vsgt.utils.checkpoint import check_checkpoint_fits, read_state_dict
from vsgt.utils.launch import check_option_keys

SAMPLERS = ('SampleAVAFrames', 'SampleFrames')


def load_model_config(config: str, cfg_options: Optional[dict] = None) -> Config:
    """Read ``config`` and merge ``cfg_options`` (unknown arguments refused, as in train.py)."""
    if not osp.isfile(config):
        raise FileNotFoundError(f'config file not found: {config}')
    cfg = Config.fromfile(config)
    if cfg_options:
        check_option_keys(cfg, cfg_options)
        cfg.merge_from_dict(cfg_options)
    return cfg


def build_model(cfg: Config, checkpoint: Optional[str] = None,
                device: str = 'cpu') -> nn.Module:
    """The model of ``cfg`` in eval mode on ``device``, with the weights of ``checkpoint``.

    The checkpoint must fit the model key for key (a checkpoint of another config is refused
    with one line); without one the model keeps its random initial weights.
    """
    from mmengine.registry import init_default_scope
    from mmaction.registry import MODELS

    init_default_scope(cfg.get('default_scope', 'mmaction'))
    model = MODELS.build(cfg.model)
    if checkpoint is not None:
        weights = read_state_dict(checkpoint)
        check_checkpoint_fits(model, weights, checkpoint)
        model.load_state_dict(weights)
    return model.to(device).eval()


def random_weights_banner(what: str) -> str:
    """The loud warning of a demo run without a checkpoint (``what``: e.g. ``'recognizer'``)."""
    return '\n'.join(['!' * 78, f'WARNING: RANDOM WEIGHTS: no --checkpoint was given, the {what} '
                      'has random weights:', 'its labels and scores mean nothing.', '!' * 78])


def test_pipeline(cfg: Config) -> List[dict]:
    """The test (else val) pipeline of ``cfg``."""
    for loader in ('test_dataloader', 'val_dataloader'):
        if cfg.get(loader):
            return list(cfg[loader].dataset.pipeline)
    raise ValueError('the config has no test_dataloader or val_dataloader pipeline')


def clip_sampling(pipeline: Sequence[dict]) -> dict:
    """``clip_len`` and ``frame_interval`` of the pipeline's frame sampler."""
    for step in pipeline:
        if step['type'].split('.')[-1] in SAMPLERS:
            return dict(clip_len=int(step['clip_len']),
                        frame_interval=int(step.get('frame_interval', 1)))
    raise ValueError(f'the test pipeline has no frame sampler ({", ".join(SAMPLERS)})')


def read_label_names(path: str) -> Dict[int, str]:
    """Action id -> name of an AVA ``.pbtxt`` label map, or of a text file with one name per
    line (ids from 1)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'label map not found: {path}')
    if path.endswith('.pbtxt'):
        from vsgt.datasets.frame_ava import read_label_map
        names = read_label_map(path)
    else:
        with open(path) as file:
            names = {i: line.strip() for i, line in enumerate(
                (line for line in file if line.strip()), 1)}
    if not names:
        raise ValueError(f'label map {path} holds no label')
    return names


def action_names(dataset: dict, num_classes: int, label_map: Optional[str] = None) -> List[str]:
    """Name of each score column after column 0 of a detector with ``num_classes`` on the
    ``dataset`` config: from ``label_map``, else the dataset's ``label_file`` when it exists,
    else ``action <id>`` (ids through the dataset's ``custom_classes``)."""
    if label_map is None and osp.isfile(str(dataset.get('label_file'))):
        label_map = dataset['label_file']
    names = read_label_names(label_map) if label_map else {}
    ids = dataset.get('custom_classes') or range(1, num_classes)
    return [names.get(i, f'action {i}') for i in ids]


class ActionDetector:
    """A spatio-temporal action detector of a config (a model with a RoI head) that scores
    person boxes on a clip, with the config's test pipeline after its frame decoding.

    Args:
        config: Config file.
        checkpoint: Checkpoint of that config; None keeps random weights.
        device: ``'cpu'`` or ``'cuda'``.
        label_map: ``.pbtxt`` or text label map; None reads the config's ``label_file`` when it
            exists, else names the actions ``action <id>``.
        cfg_options: Overrides of config entries.

    Attributes:
        clip_len, frame_interval: The clip sampled around a key frame.
        labels: Name of each score column after column 0 (the unused background).
    """

    def __init__(self, config: str, checkpoint: Optional[str] = None, device: str = 'cpu',
                 label_map: Optional[str] = None, cfg_options: Optional[dict] = None):
        self.cfg = load_model_config(config, cfg_options)
        if not self.cfg.model.get('roi_head'):
            raise ValueError(f'{config} is not a spatio-temporal action detector (its model '
                             'has no roi_head)')
        pipeline = test_pipeline(self.cfg)
        sampling = clip_sampling(pipeline)
        self.clip_len, self.frame_interval = sampling['clip_len'], sampling['frame_interval']
        self.model = build_model(self.cfg, checkpoint, device)
        last_loader = max(i for i, step in enumerate(pipeline)
                          if step['type'].split('.')[-1] in SAMPLERS or
                          step['type'].endswith(('Decode', 'Init')))
        self.transforms = Compose(pipeline[last_loader + 1:])
        self.num_classes = int(self.cfg.model.roi_head.bbox_head.num_classes)
        self.labels = self._label_names(label_map)

    def _label_names(self, label_map: Optional[str]) -> List[str]:
        dataset = (self.cfg.get('test_dataloader') or self.cfg.val_dataloader).dataset
        return action_names(dataset, self.num_classes, label_map)

    @property
    def clip_offsets(self) -> np.ndarray:
        """Frame offsets of a clip from its key frame (as mmaction's ``SampleAVAFrames``)."""
        return (np.arange(self.clip_len) - self.clip_len // 2) * self.frame_interval

    def clip_indices(self, center: int, last: int) -> np.ndarray:
        """Frame indices of the clip centred on ``center``, clamped to ``0..last``."""
        return np.clip(center + self.clip_offsets, 0, last)

    def prepare(self, frames: Sequence[np.ndarray], boxes: np.ndarray) -> dict:
        """Model input of BGR ``frames`` (the clip) and (n, 4) pixel ``boxes``, before the data
        preprocessor (a batch of one)."""
        height, width = frames[0].shape[:2]
        # mmaction's PackActionInputs packs the proposals only beside (here empty) ground truth
        results = dict(
            imgs=[frame[..., ::-1] for frame in frames], img_shape=(height, width),
            original_shape=(height, width), modality='RGB', num_clips=1,
            clip_len=len(frames), proposals=np.asarray(boxes, np.float32).reshape(-1, 4),
            gt_bboxes=np.zeros((0, 4), np.float32),
            gt_labels=np.zeros((0, self.num_classes), np.float32))
        return pseudo_collate([self.transforms(results)])

    def backbone_input(self, frames: Sequence[np.ndarray], boxes: np.ndarray):
        """(normalised (1, C, T, H, W) clip, its (n, 4) boxes in the clip's pixels)."""
        data = self.model.data_preprocessor(self.prepare(frames, boxes), False)
        return data['inputs'], data['data_samples'][0].proposals.bboxes

    @torch.no_grad()
    def predict(self, frames: Sequence[np.ndarray], boxes: np.ndarray) -> np.ndarray:
        """(n, number of labels) action scores of the (n, 4) pixel ``boxes`` on the clip."""
        if len(boxes) == 0:
            return np.zeros((0, len(self.labels)), np.float32)
        sample = self.model.test_step(self.prepare(frames, boxes))[0]
        scores = sample.pred_instances.scores.cpu().numpy()
        if len(scores) != len(boxes):
            raise RuntimeError(f'the detector scored {len(scores)} boxes, given {len(boxes)}')
        return scores[:, 1:]
