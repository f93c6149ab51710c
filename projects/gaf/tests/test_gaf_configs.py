"""Every shipped GAF / AFSD config builds; its model trains one step with the config's optimizer
(two for GAF) and predicts on random windows; the tools join checkpoints and relabel."""
import glob
import json
import os.path as osp

import numpy as np
import pytest
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.optim import OptimWrapperDict, build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from vsgt_projects.gaf.tools import class_agnostic_annotations, fuse_checkpoints
from vsgt.testing import (assert_predicts_in_video, assert_registered, assert_train_step_learns,
                          load_config, random_tal_window, run_in_process)

torch.set_num_threads(1)

CONFIG_DIR = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs')
ALL_CONFIGS = sorted(osp.basename(path) for path in glob.glob(osp.join(CONFIG_DIR, '*.py')))
# End-to-end configs (frames in, TALFrameDataset) and feature-sequence ones.
FRAME_CONFIGS = [name for name in ALL_CONFIGS if Config.fromfile(osp.join(
    CONFIG_DIR, name)).train_dataloader.dataset.type == 'TALFrameDataset']
CONFIGS = [name for name in ALL_CONFIGS if name not in FRAME_CONFIGS]


def random_batch(cfg, width):
    """Two packed windows (one padded) with two actions each."""
    pack = Compose(cfg.test_dataloader.dataset.pipeline[1:])
    size = cfg.test_dataloader.dataset.window_size
    rng = np.random.default_rng(0)
    return pseudo_collate([pack(random_tal_window(rng, size, width, num_valid, labels=[0, 0],
                                                  feature_rate=1.))
                           for num_valid in (size, int(0.6 * size))])


def test_all_configs_are_here():
    assert {'afsd_thumos14-i3d.py', 'gaf_thumos14-i3d-rgb.py', 'gaf_thumos14-i3d-flow.py',
            'gaf_thumos14-i3d-twostream.py', 'gaf_anet13-i3d.py', 'afsd_synthetic.py',
            'gaf_synthetic.py', 'gaf-kd_thumos14-i3d.py', 'afsd_synthetic-frames-features.py',
            'gaf_synthetic-frames-features.py'} <= set(CONFIGS)
    assert {'afsd_thumos14-rgb.py', 'afsd_thumos14-flow.py', 'afsd_thumos14-fusion.py',
            'afsd_synthetic-frames.py', 'gaf_thumos14-rgb.py', 'gaf_thumos14-flow.py',
            'gaf_thumos14-fusion.py', 'gaf_synthetic-frames.py'} <= set(FRAME_CONFIGS)


@pytest.mark.parametrize('name', CONFIGS)
def test_config_builds_trains_and_predicts(name):
    cfg = load_config(osp.join(CONFIG_DIR, name))
    assert cfg.custom_imports.imports == ['vsgt', 'vsgt_projects.gaf.gaf']
    assert_registered(cfg)
    model = MODELS.build(cfg.model)
    data = random_batch(cfg, cfg.test_dataloader.dataset.feature_dim)
    if cfg.model.type != 'TwoStreamFusion':
        assert cfg.model.window_size == cfg.train_dataloader.dataset.window_size
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        assert isinstance(optim_wrapper, OptimWrapperDict) == model.__dict__.get('with_gaf',
                                                                                  False)
        assert_train_step_learns(model, data, optim_wrapper)
    assert_predicts_in_video(model, data)


def frame_batch(cfg):
    """Two packed random windows of frames (one padded) with two actions each."""
    size, crop = cfg.model.window_size, cfg.model.crop_size
    generator = torch.Generator().manual_seed(0)
    inputs, samples = [], []
    for num_valid in (size, int(0.6 * size)):
        sample = ActionDataSample()
        sample.gt_instances = InstanceData(
            segments=torch.tensor([[0.1, 0.3], [0.5, 0.55]]) * num_valid,
            labels=torch.tensor([0, 0]))
        sample.set_metainfo(dict(video_name='v', duration=100., feature_rate=10.,
                                 feature_offset=0., window_start=0, window_size=size, scale=1.,
                                 num_valid=num_valid))
        inputs.append(torch.rand(cfg.model.in_channels, size, crop, crop,
                                 generator=generator) * 2 - 1)
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)




@pytest.mark.parametrize('name', ['afsd_thumos14-rgb.py', 'afsd_thumos14-flow.py'])
def test_afsd_thumos14_configs_are_the_official_recipe(name):
    """configs/thumos14.yaml and thumos14_flow.yaml of the official code, and train.py's flags."""
    cfg = load_config(osp.join(CONFIG_DIR, name))
    assert cfg.custom_imports.imports == ['vsgt', 'vsgt_projects.gaf.gaf']
    channels = 2 if 'flow' in name else 3
    train, test = cfg.train_dataloader, cfg.test_dataloader
    assert train.batch_size == 1 and cfg.train_cfg.max_epochs == 16 and cfg.randomness.seed == 2020
    assert cfg.optim_wrapper.optimizer == dict(type='Adam', lr=1e-5, weight_decay=1e-3)
    assert (train.dataset.window_size, train.dataset.window_stride,
            test.dataset.window_stride) == (256, 30, 128)
    assert train.dataset.modality == test.dataset.modality == ('Flow' if channels == 2 else 'RGB')
    assert [step.get('size') for step in train.dataset.pipeline][1] == 96
    assert test.dataset.pipeline[1] == dict(type='TALFrameCenterCrop', size=96)
    model = cfg.model
    assert (model.in_channels, model.backbone.in_channels, model.window_size,
            model.crop_size) == (channels, channels, 256, 96)
    assert (model.lw, model.cw, model.piou, model.ssl_weight) == (10., 1., 0.5, 0.1)
    assert model.backbone.freeze_bn and model.backbone.freeze_bn_affine
    assert model.backbone.init_cfg.checkpoint.endswith(
        'flow_imagenet.pth' if channels == 2 else 'rgb_imagenet.pth')
    assert model.test_cfg == dict(score_thr=0.01, max_per_window=None)
    assert cfg.test_evaluator.nms == dict(type='soft_nms', sigma=0.5, iou_thr=0.,
                                          class_agnostic=False)
    assert (cfg.test_evaluator.min_score, cfg.test_evaluator.max_per_video) == (0.001, -1)
    built = MODELS.build(model)
    assert built.backbone.Conv3d_1a_7x7.conv3d.weight.shape[1] == channels
    assert len(built.prior_centres) == 64 + 32 + 16 + 8 + 4 + 2
    assert_registered(cfg)


@pytest.mark.parametrize('name, rgb_name, rgb_type', [
    ('afsd_thumos14-fusion.py', 'afsd_thumos14-rgb.py', 'AFSD'),
    ('gaf_thumos14-fusion.py', 'gaf_thumos14-rgb.py', 'GAFE2E')])
def test_fusion_configs_read_both_streams_of_one_window(name, rgb_name, rgb_type):
    """test.py --fusion: the RGB model on channels 0-2, the flow model (AFSD, also for GAF) on
    3-4 of 'RGB+Flow' windows, every other setting as the single-stream test."""
    cfg = load_config(osp.join(CONFIG_DIR, name))
    rgb = load_config(osp.join(CONFIG_DIR, rgb_name))
    assert cfg.model.type == 'TwoStreamFusion'
    assert (cfg.model.rgb.type, cfg.model.flow.type) == (rgb_type, 'AFSD')
    assert cfg.test_dataloader.batch_size == rgb.test_dataloader.batch_size
    assert (cfg.model.rgb.input_range, cfg.model.flow.input_range) == ((0, 3), (3, 5))
    assert (cfg.model.rgb.backbone.in_channels, cfg.model.flow.backbone.in_channels) == (3, 2)
    test = cfg.test_dataloader.dataset
    assert test.modality == 'RGB+Flow' and set(test.data_prefix) == {'frames', 'flows'}
    assert test.pipeline == rgb.test_dataloader.dataset.pipeline
    assert cfg.test_evaluator == rgb.test_evaluator
    for key in ('window_size', 'crop_size', 'num_levels', 'test_cfg'):
        assert cfg.model.rgb[key] == cfg.model.flow[key] == rgb.model[key]
    assert_registered(cfg)


def test_afsd_synthetic_frames_config_trains_and_predicts():
    cfg = load_config(osp.join(CONFIG_DIR, 'afsd_synthetic-frames.py'))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    data = frame_batch(cfg)
    assert_train_step_learns(model, data, build_optim_wrapper(model, cfg.optim_wrapper))
    assert_predicts_in_video(model, data)
    assert_registered(cfg)


def test_fuse_checkpoints_tool(tmp_path, capsys):
    config = tmp_path / 'twostream.py'
    config.write_text(
        f"_base_ = '{osp.join(CONFIG_DIR, 'gaf_thumos14-i3d-twostream.py')}'\n"
        "model = dict(rgb=dict(channels=32, frame_channels=32, attention=dict(hidden=32, "
        "length=64), cvae_hidden=32), flow=dict(channels=32, frame_channels=32))\n")
    cfg = Config.fromfile(str(config))
    init_default_scope('mmaction')
    paths = {}
    for name in ('rgb', 'flow'):
        paths[name] = str(tmp_path / f'{name}.pth')
        torch.save(dict(state_dict=MODELS.build(cfg.model[name]).state_dict()), paths[name])
    out = tmp_path / 'fused.pth'
    code, stdout, _ = run_in_process(capsys, fuse_checkpoints, config, paths['rgb'],
                                     paths['flow'], out)
    assert code == 0 and 'wrote' in stdout
    fused = torch.load(out, weights_only=True)['state_dict']
    assert {key.split('.')[0] for key in fused} == {'rgb', 'flow'}
    code, _, stderr = run_in_process(capsys, fuse_checkpoints, config, paths['flow'],
                                     paths['flow'], tmp_path / 'bad.pth')
    assert code == 1 and len(stderr.strip().splitlines()) == 1
    assert f'checkpoint {paths["flow"]} does not fit the rgb model: key' in stderr
    assert not (tmp_path / 'bad.pth').exists()


def test_class_agnostic_annotations_tool(tmp_path, capsys):
    source = tmp_path / 'anet.json'
    source.write_text(json.dumps(dict(version='1.3', taxonomy=[], database=dict(
        a=dict(subset='training', duration=10., annotations=[
            dict(segment=[1, 2], label='x'), dict(segment=[3, 5], label='y')]),
        b=dict(subset='validation', duration=5., annotations=[])))))
    out = tmp_path / 'agnostic.json'
    code, stdout, _ = run_in_process(capsys, class_agnostic_annotations, source, out)
    assert code == 0 and '2 actions' in stdout
    database = json.loads(out.read_text())['database']
    assert [a['label'] for a in database['a']['annotations']] == ['action', 'action']
    assert database['a']['annotations'][1]['segment'] == [3, 5]
    source.write_text(json.dumps(dict(database=dict(a=dict(subset='training', duration=1.,
                                                           annotations=[dict(segment=[0, 3],
                                                                             label='x')])))))
    code, _, stderr = run_in_process(capsys, class_agnostic_annotations, source,
                                     tmp_path / 'bad.json')
    assert code == 1 and "video 'a', annotation 0: segment [0.0, 3.0] is outside" in stderr
    assert not (tmp_path / 'bad.json').exists()
