"""Every shipped VSGN config builds; its model trains one step and predicts on random features
passed through the config's own transforms after loading (stitching, packing)."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmaction.registry import DATASETS, METRICS, MODELS, TRANSFORMS
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

torch.set_num_threads(1)

CONFIG_DIR = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs')
CONFIGS = sorted(osp.basename(path) for path in glob.glob(osp.join(CONFIG_DIR, '*.py')))


def load(name):
    cfg = Config.fromfile(osp.join(CONFIG_DIR, name))
    init_default_scope(cfg.default_scope)
    return cfg


def random_window(cfg, num_valid, seed):
    """A loaded window as LoadTALFeature leaves it: random features, two actions."""
    rng = np.random.default_rng(seed)
    size = cfg.model.window_size
    feature = np.zeros((size, cfg.model.in_channels), np.float32)
    feature[:num_valid] = rng.standard_normal((num_valid, cfg.model.in_channels))
    segments = np.array([[0.1, 0.3], [0.5, 0.55]]) * num_valid
    return dict(feature=feature, num_valid=num_valid, gt_segments=segments,
                gt_labels=np.array([0, cfg.model.num_classes - 1]), video_name='v',
                duration=100., feature_rate=5., feature_offset=0., window_start=0,
                window_size=size, scale=1.)


def test_all_configs_are_here():
    assert {'vsgn_thumos14-tsn-1280.py', 'vsgn_thumos14-i3d-320.py', 'vsgn_anet13-tsn-1280.py',
            'vsgn_anet13-i3d-256.py', 'vsgn_thumos14-tsn-1280_novss.py',
            'vsgn_thumos14-tsn-1280_noxgpn.py', 'baseline_single-scale.py',
            'vsgn_synthetic.py'} <= set(CONFIGS)


@pytest.mark.parametrize('name', CONFIGS)
def test_config_builds_trains_and_predicts(name):
    cfg = load(name)
    assert cfg.custom_imports.imports == ['vsgt', 'projects.vsgn.vsgn']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[loader].dataset
        assert DATASETS.get(dataset.type) is not None
        assert all(TRANSFORMS.get(step.type) for step in dataset.pipeline)
        assert dataset.window_size == cfg.model.window_size
    assert METRICS.get(cfg.val_evaluator.type) is not None
    stitches = any(step.type == 'VideoSelfStitch' for step in cfg.train_dataloader.dataset.pipeline)
    assert stitches == (cfg.train_dataloader.dataset.type == 'VSSCutDataset')
    after_loading = Compose(cfg.train_dataloader.dataset.pipeline[1:])

    model = MODELS.build(cfg.model)
    short = int(0.3 * cfg.model.window_size)
    data = pseudo_collate([after_loading(random_window(cfg, short, 0)),
                           after_loading(random_window(cfg, cfg.model.window_size, 1))])
    assert ('stitch' in data['data_samples'][0].metainfo) == stitches
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    before = [p.detach().clone() for p in model.parameters()]
    losses = model.train_step(data, optim_wrapper)
    assert all(torch.isfinite(value) for value in losses.values())
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))

    model.eval()
    results = model.test_step(data)
    for result in results:
        pred = result.pred_instances
        assert pred.segments.shape == (len(pred.scores), 2)
        assert (pred.segments >= 0).all() and (pred.segments <= 100.).all()
