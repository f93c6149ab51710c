"""Every shipped FBIL config builds (no weights, no data) and takes one training and one test
step on tiny clips through VSGTFastRCNN; the detector's bad input gives one-line errors."""
import glob
import math
import os.path as osp

import pytest
import torch
from mmaction.registry import DATASETS, METRICS, MODELS, TRANSFORMS
from mmaction.structures import ActionDataSample
from mmengine.config import Config, ConfigDict
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from vsgt.testing import ROOT

torch.set_num_threads(1)

CONFIG_DIR = osp.join(ROOT, 'projects', 'fbil', 'configs')
CONFIGS = sorted(osp.relpath(p, CONFIG_DIR)
                 for p in glob.glob(osp.join(CONFIG_DIR, '**', '*.py'), recursive=True)
                 if '_base_' not in p)
SIZE = 64


def load(name):
    cfg = Config.fromfile(osp.join(CONFIG_DIR, name))
    init_default_scope('mmaction')
    return cfg


def batch(cfg, boxes=(([[4, 6, 30, 60], [34, 8, 62, 58]], [[5, 6, 30, 58]]),
                      ([[10, 10, 50, 60]], [[12, 8, 48, 62], [0, 0, 20, 30]]))):
    """Clips with proposals and labelled ground truth, as mmaction's AVA pipeline packs them."""
    frames = 8 if 'SlowFast' in cfg.model.backbone.type else 4
    num_classes = cfg.model.roi_head.bbox_head.num_classes
    generator = torch.Generator().manual_seed(0)
    inputs, samples = [], []
    for index, (proposals, gt_boxes) in enumerate(boxes):
        inputs.append(torch.rand(3, frames, SIZE, SIZE, generator=generator) * 255)
        sample = ActionDataSample()
        sample.proposals = InstanceData(
            bboxes=torch.tensor(proposals, dtype=torch.float32).reshape(-1, 4))
        labels = torch.zeros(len(gt_boxes), num_classes)
        labels[:, 1] = 1
        sample.gt_instances = InstanceData(
            bboxes=torch.tensor(gt_boxes, dtype=torch.float32).reshape(-1, 4), labels=labels)
        sample.set_metainfo(dict(img_shape=(SIZE, SIZE), img_key=f'video,{index + 1:04d}'))
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def test_every_config_is_shipped():
    for name in ('fbil_slowfast-r50_k400-pre_8xb2-32x2x1-8e_ava22-rgb.py',
                 'fbil_slowfast-r101_k400-pre_8xb2-32x2x1-8e_ava22-rgb.py',
                 'fbil_slowfast-r50_k400-pre_8xb2-amp-32x2x1-20e_ucf101-24-rgb.py',
                 'fbil_slowfast-r50_k400-pre_8xb2-amp-32x2x1-20e_multisports-rgb.py',
                 'fbil_vsgt-s_k400-pre_8xb2-amp-32x2x1-20e_ucf101-24-rgb.py',
                 'fbil_vsgt-s_k400-pre_8xb2-amp-32x2x1-20e_hia-rgb.py',
                 'synthetic/fbil-vsgt-tiny_synthetic.py',
                 'synthetic/fbil-slowonly-r18_synthetic.py'):
        assert name in CONFIGS


@pytest.mark.parametrize('name', [name for name in CONFIGS if 'slowfast' in name])
def test_slowfast_res5_is_dilated_by_2_in_both_pathways(name):
    """ACAR-Net's SlowFast (FBIL's backbone) keeps res5 at stride 16 with 3x3 convolutions
    dilated by 2 in the slow and the fast pathway."""
    cfg = load(name)
    for pathway in ('slow_pathway', 'fast_pathway'):
        assert cfg.model.backbone[pathway].dilations == (1, 1, 1, 2)
        assert cfg.model.backbone[pathway].spatial_strides == (1, 2, 2, 1)
    if '101' in name:
        return  # same options; one build is enough
    model = MODELS.build(cfg.model)
    for pathway in (model.backbone.slow_path, model.backbone.fast_path):
        conv = pathway.layer4[0].conv2.conv
        assert conv.dilation[1:] == (2, 2) and conv.padding[1:] == (2, 2)
        assert pathway.layer3[0].conv2.conv.dilation[1:] == (1, 1)
    with torch.no_grad():
        slow, fast = model.backbone(torch.zeros(1, 3, 32, 64, 64))
    assert slow.shape[-2:] == fast.shape[-2:] == (4, 4)  # stride 16


@pytest.mark.parametrize('name', CONFIGS)
def test_config_trains_and_tests_a_step(name):
    cfg = load(name)
    assert cfg.custom_imports.imports == ['vsgt', 'vsgt_projects.fbil.fbil']
    assert cfg.model.type == 'VSGTFastRCNN'
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[loader].dataset
        assert DATASETS.get(dataset.type) is not None
        assert all(TRANSFORMS.get(step.type) for step in dataset.pipeline)
        assert dataset.num_classes == cfg.model.roi_head.bbox_head.num_classes
        if 'synthetic' in name:  # a flip turns walk_left into walk_right
            assert not any(step.type == 'Flip' for step in dataset.pipeline)
    for evaluator in (cfg.val_evaluator, cfg.test_evaluator):
        for metric in evaluator if isinstance(evaluator, list) else [evaluator]:
            assert METRICS.get(metric.type) is not None
    assert cfg.load_from is None or cfg.load_from.startswith('checkpoints/')

    if cfg.model.backbone.get('slow_pathway', {}).get('norm_eval'):
        # Frozen BatchNorm with the running statistics of random weights (0 and 1) normalises
        # nothing: activations explode through the random R50/R101 and the SGD step diverges.
        # The configs load Kinetics weights, whose statistics are real.
        cfg.model.backbone.slow_pathway.norm_eval = cfg.model.backbone.fast_pathway.norm_eval = \
            False
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    roi_head = model.roi_head
    roi_head.init_weights()  # the head's own initialisation (the backbone's is slow)
    shared = getattr(roi_head, 'shared_head', None)
    if type(shared).__name__ == 'FBILHead':
        assert shared.featmap_stride == roi_head.bbox_roi_extractor.featmap_stride
        assert roi_head.bbox_head.in_channels == shared.out_channels
    optim_cfg = ConfigDict(cfg.optim_wrapper)
    optim_cfg.type = 'OptimWrapper'  # AMP needs CUDA; the optimizer is the same
    optim_wrapper = build_optim_wrapper(model, optim_cfg)
    head_before = [p.detach().clone() for p in roi_head.parameters()]
    model.train()
    log_vars = model.train_step(batch(cfg), optim_wrapper)
    assert math.isfinite(float(log_vars['loss']))
    # Random backbones can saturate the fusion weights: a branch may get no gradient here (the
    # unit tests check that every weight gets one).
    stepped = [not torch.equal(b, p) for b, p in zip(head_before, roi_head.parameters())]
    assert sum(stepped) > 0.5 * len(stepped) and stepped[-1]

    model.eval()
    test_batch = {key: value[:1] for key, value in batch(cfg).items()}
    with torch.no_grad():
        result, = model.test_step(test_batch)
    scores = result.pred_instances.scores
    assert scores.shape == (2, cfg.model.roi_head.bbox_head.num_classes)
    assert torch.isfinite(scores).all() and (scores >= 0).all() and (scores <= 1).all()


def test_detector_bad_input():
    cfg = load('synthetic/fbil-slowonly-r18_synthetic.py')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()
    empty = batch(cfg, boxes=(([], [[5, 6, 30, 58]]), ))
    with pytest.raises(ValueError, match=r'^sample 0 \(video,0001\): no proposals \(RoIs\) to '
                                         r'score; give every clip at least one person box$'):
        model.test_step(empty)

    outside = batch(cfg, boxes=(([[70, 6, 90, 60]], [[5, 6, 30, 58]]), ))
    with pytest.raises(ValueError, match=r'^sample 0 \(video,0001\): box \[70.0, 6.0, 90.0, '
                                         r'60.0\] lies outside its 64x64 frame'):
        model.test_step(outside)
    missing = batch(cfg)
    del missing['data_samples'][1].proposals
    with pytest.raises(ValueError, match=r'^data_samples\[1\] has no proposals'):
        model.train().train_step(missing, build_optim_wrapper(model, cfg.optim_wrapper))

    cfg.model.roi_head.shared_head.in_channels = 64
    narrow = MODELS.build(cfg.model)
    with pytest.raises(ValueError, match=r'^shared_head.in_channels=64 does not fit the '
                                         r'backbone, which gives RoI features of shape'):
        narrow.eval().test_step(batch(cfg, boxes=(([[4, 6, 30, 60]], [[5, 6, 30, 58]]), )))
