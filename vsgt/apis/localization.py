"""Running a temporal action localizer of a config on one video's feature file."""
import json
import os.path as osp
import tempfile
from typing import List, Optional, Tuple

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.logging import MMLogger

from vsgt.datasets.tal import FEATURE_EXTENSIONS, load_tal_annotations, read_feature_shape
from vsgt.evaluation.functional import check_nms_cfg, postprocess_detections
from .inference import build_model, load_model_config

DEMO_SUBSET = 'demo'


def _tal_metric(cfg) -> dict:
    """The config's ``TALDetectionMetric`` settings (its post-processing), or the defaults."""
    evaluators = cfg.get('test_evaluator') or cfg.get('val_evaluator') or []
    for evaluator in evaluators if isinstance(evaluators, (list, tuple)) else [evaluators]:
        if str(evaluator.get('type', '')).split('.')[-1] == 'TALDetectionMetric':
            return evaluator
    return {}


class TemporalLocalizer:
    """A temporal action localizer of a config that finds the actions of one video from its
    feature file: the windows of the config's test dataset, the model's test step on each, then
    the post-processing of its ``TALDetectionMetric`` (merging the windows, NMS, the best
    ``max_per_video``).

    Args:
        config: Config file.
        checkpoint: Checkpoint of that config; None keeps random weights.
        device: ``'cpu'`` or ``'cuda'``.
        cfg_options: Overrides of config entries.

    Attributes:
        labels: Class names: the test dataset's ``classes``, else the sorted labels of its
            annotation file when it exists, else ``class <index>``.
    """

    def __init__(self, config: str, checkpoint: Optional[str] = None, device: str = 'cpu',
                 cfg_options: Optional[dict] = None):
        self.cfg = load_model_config(config, cfg_options)
        loader = self.cfg.get('test_dataloader') or self.cfg.get('val_dataloader')
        if not loader or 'window_size' not in loader.dataset:
            raise ValueError(f'{config} is not a temporal action localizer (its test dataset '
                             'reads feature windows: it needs window_size)')
        self.dataset_cfg = loader.dataset
        self.model = build_model(self.cfg, checkpoint, device)
        self.device = device
        num_classes = int(self.cfg.model.num_classes)
        self.labels = self._class_names(num_classes)
        metric = _tal_metric(self.cfg)
        self.nms = check_nms_cfg(metric.get('nms', dict(type='soft_nms', sigma=0.5)))
        self.max_per_video = int(metric.get('max_per_video', 200))
        self.min_score = float(metric.get('min_score', 0.))
        self.max_duration = metric.get('max_duration')

    def _class_names(self, num_classes: int) -> List[str]:
        names = self.dataset_cfg.get('classes')
        ann_file = str(self.dataset_cfg.get('ann_file'))
        if not names and osp.isfile(ann_file):
            videos = load_tal_annotations(ann_file)
            names = sorted({a[2] for video in videos.values() for a in video['annotations']})
        names = list(names or [])
        if len(names) != num_classes:
            names = [f'class {i}' for i in range(num_classes)]
        return names

    def duration_of(self, feature_file: str) -> float:
        """Seconds a feature file spans at the config's ``feature_rate``."""
        rate = self.dataset_cfg.get('feature_rate')
        if not rate:
            raise ValueError('the config has no feature_rate (its features span each video '
                             'evenly): give the video\'s duration')
        return read_feature_shape(feature_file)[0] / rate

    @torch.no_grad()
    def predict(self, feature_file: str, duration: Optional[float] = None,
                batch_size: int = 8) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(segments (n, 2) in seconds, scores (n,), labels (n,)) of the video, best first."""
        stem, extension = osp.splitext(osp.basename(feature_file))
        if extension not in FEATURE_EXTENSIONS:
            raise ValueError(f'{feature_file}: a feature file must be one of '
                             f'{FEATURE_EXTENSIONS}')
        duration = self.duration_of(feature_file) if duration is None else float(duration)
        if not duration > 0:
            raise ValueError(f'the duration must be positive, got {duration}')
        from mmaction.registry import DATASETS
        with tempfile.TemporaryDirectory() as folder:
            ann_file = osp.join(folder, 'annotations.json')
            with open(ann_file, 'w') as file:
                json.dump(dict(database={stem: dict(subset=DEMO_SUBSET, duration=duration,
                                                    annotations=[])}), file)
            logger = MMLogger.get_current_instance()
            level = logger.level
            logger.setLevel('WARNING')  # not the summary of a one-video temporary file
            try:
                dataset = DATASETS.build(dict(
                    self.dataset_cfg, ann_file=ann_file, subset=DEMO_SUBSET, classes=self.labels,
                    data_prefix=dict(feature=osp.dirname(osp.abspath(feature_file))),
                    feature_name='{video}', feature_ext=extension, test_mode=True,
                    keep_window='any'))
            finally:
                logger.setLevel(level)
            outputs = []
            for start in range(0, len(dataset), batch_size):
                batch = [dataset[i] for i in range(start, min(start + batch_size, len(dataset)))]
                outputs += self.model.test_step(pseudo_collate(batch))
        parts = [(sample.pred_instances.segments, sample.pred_instances.scores,
                  sample.pred_instances.labels) for sample in outputs]
        segments, scores, labels = (np.concatenate([torch.as_tensor(p[k]).cpu().numpy().reshape(
            (-1, 2) if k == 0 else (-1, )) for p in parts]) for k in range(3))
        segments, scores = segments.astype(np.float64), scores.astype(np.float64)
        index, new_scores = postprocess_detections(segments, scores, labels, self.nms,
                                                   self.max_per_video, self.min_score,
                                                   self.max_duration)
        return segments[index], new_scores, labels[index].astype(np.int64)
