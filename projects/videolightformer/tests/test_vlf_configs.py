"""Every shipped VideoLightFormer config builds through the registries (without its data or
ImageNet weights) and takes one training step and one multi-view test step on tiny clips."""
import glob
import os.path as osp

import pytest
import torch
from mmaction.registry import MODELS, TRANSFORMS
from mmaction.structures import ActionDataSample
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope

from vsgt.testing import ROOT

CONFIG_DIR = osp.join(ROOT, 'projects', 'videolightformer', 'configs')
CONFIGS = sorted(p for p in glob.glob(osp.join(CONFIG_DIR, '**', '*.py'), recursive=True)
                 if '_base_' not in p)
SIZE = 64


def test_every_config_is_listed():
    names = {osp.relpath(p, CONFIG_DIR) for p in CONFIGS}
    for dataset in ('sthv2', 'kinetics400', 'ek100-verb', 'ek100-noun'):
        for depth in (18, 50):
            assert any(n.startswith(f'vlf_r{depth}_') and dataset in n for n in names), dataset
    for depth in (18, 50):
        for frames in (8, 16):
            assert f'vlf_r{depth}_in1k-pre_8xb16-1x1x{frames}-50e_sthv2-rgb.py' in names
    for model in ('vlf_r18s3', 'vlf_r18s3-notpe', 'tsn_r18s3', 'tsm_r18s3'):
        assert f'synthetic/{model}_synthetic.py' in names


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, CONFIG_DIR))
def test_config_trains_and_tests_a_step(path):
    cfg = Config.fromfile(path)
    init_default_scope('mmaction')
    assert 'vsgt_projects.videolightformer.videolightformer' in cfg.custom_imports['imports']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        pipeline = Compose([TRANSFORMS.build(step) for step in cfg[loader].dataset.pipeline])
        assert pipeline.transforms[-1].__class__.__name__ == 'PackActionInputs'
        if 'CheckedRawframeDataset' == cfg[loader].dataset.type:
            assert cfg[loader].dataset.num_classes == cfg.model.cls_head.num_classes
    if 'synthetic' in path:  # a flip turns walk_left into walk_right
        assert not any(step['type'] == 'Flip' for step in cfg.train_dataloader.dataset.pipeline)

    cfg.model.backbone.pretrained = None
    if 'TSM' in cfg.model.backbone.type:
        cfg.model.backbone.pretrained2d = False  # else ResNetTSM loads weights regardless
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    head = model.cls_head
    frames = getattr(head, 'num_segments', None) or cfg.train_dataloader.dataset.pipeline[0].get(
        'num_clips')
    assert frames in (8, 16)
    num_classes = head.num_classes
    labels = [0, num_classes - 1]
    wrapper = cfg.optim_wrapper.copy()
    wrapper.pop('type', None)  # AMP needs CUDA; the optimizer and its parameter groups stay
    optim_wrapper = build_optim_wrapper(model, wrapper)

    def batch(views):
        return dict(
            inputs=[torch.randint(0, 256, (views * frames, 3, SIZE, SIZE), dtype=torch.uint8)
                    for _ in labels],
            data_samples=[ActionDataSample().set_gt_label(label) for label in labels])

    before = [p.detach().clone() for p in model.parameters()]
    model.train()
    losses = model.train_step(batch(1), optim_wrapper)
    assert torch.isfinite(losses['loss_cls'])
    changed = [not torch.equal(b, p) for b, p in zip(before, model.parameters())]
    assert sum(changed) > 0.9 * len(changed)
    model.eval()
    with torch.no_grad():
        results = model.test_step(batch(2))
    assert len(results) == len(labels)
    for result in results:
        assert result.pred_score.shape == (num_classes, )
        assert torch.allclose(result.pred_score.sum(), torch.tensor(1.), atol=1e-5)
