"""Every shipped VSGN config builds; its model trains one step and predicts on random features
passed through the config's own transforms after loading (stitching, packing)."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmaction.registry import MODELS
from mmengine.dataset import Compose, pseudo_collate
from mmengine.optim import build_optim_wrapper

from vsgt.testing import (assert_predicts_in_video, assert_registered, assert_train_step_learns,
                          load_config, random_tal_window)

torch.set_num_threads(1)

CONFIG_DIR = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs')
CONFIGS = sorted(osp.basename(path) for path in glob.glob(osp.join(CONFIG_DIR, '*.py')))


def random_window(cfg, num_valid, seed):
    """A loaded window as LoadTALFeature leaves it: random features, two actions."""
    return random_tal_window(np.random.default_rng(seed), cfg.model.window_size,
                             cfg.model.in_channels, num_valid,
                             labels=[0, cfg.model.num_classes - 1], feature_rate=5.)


def test_all_configs_are_here():
    assert {'vsgn_thumos14-tsn-1280.py', 'vsgn_thumos14-i3d-320.py', 'vsgn_anet13-tsn-1280.py',
            'vsgn_anet13-i3d-256.py', 'vsgn_thumos14-tsn-1280_novss.py',
            'vsgn_thumos14-tsn-1280_noxgpn.py', 'baseline_single-scale.py',
            'vsgn_synthetic.py'} <= set(CONFIGS)


@pytest.mark.parametrize('name', CONFIGS)
def test_config_builds_trains_and_predicts(name):
    cfg = load_config(osp.join(CONFIG_DIR, name))
    assert cfg.custom_imports.imports == ['vsgt', 'vsgt_projects.vsgn.vsgn']
    assert_registered(cfg)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[loader].dataset.window_size == cfg.model.window_size
    stitches = any(step.type == 'VideoSelfStitch' and step.get('stitch_ratio', 0.4) > 0
                   for step in cfg.train_dataloader.dataset.pipeline)
    assert stitches == (cfg.train_dataloader.dataset.type == 'VSSCutDataset')
    after_loading = Compose(cfg.train_dataloader.dataset.pipeline[1:])

    model = MODELS.build(cfg.model)
    short = int(0.3 * cfg.model.window_size)
    data = pseudo_collate([after_loading(random_window(cfg, short, 0)),
                           after_loading(random_window(cfg, cfg.model.window_size, 1))])
    assert (data['data_samples'][0].metainfo.get('stitch', {}).get('m', 0) > 0) == stitches
    assert_train_step_learns(model, data, build_optim_wrapper(model, cfg.optim_wrapper))
    assert_predicts_in_video(model, data)
