"""Every shipped config builds through the registries; its model trains and predicts one step.

The models are the configs' own (VSGT-S, Swin-T/S, SlowFast R50, ...) on a tiny clip on the CPU;
the data sections are checked for registered types, not read (the datasets are not here).
"""
import glob
import math
import os.path as osp

import pytest
import torch
from mmaction.registry import DATASETS, METRICS, MODELS, TRANSFORMS
from mmaction.structures import ActionDataSample
from mmengine.config import Config, ConfigDict
from mmengine.optim import build_optim_wrapper
from mmengine.registry import PARAM_SCHEDULERS, WEIGHT_INITIALIZERS, init_default_scope
from mmengine.structures import InstanceData

import vsgt  # noqa: F401  (registers VSGT's modules)

torch.set_num_threads(1)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    osp.relpath(path, ROOT)
    for path in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in osp.relpath(path, ROOT).split(osp.sep))
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
SIZE = 64


def load(path):
    cfg = Config.fromfile(osp.join(ROOT, path))
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    return cfg


def is_detector(cfg):
    return 'roi_head' in cfg.model


def clip_length(cfg):
    """Frames of the test clip: SlowFast's slow pathway reads every ``resample_rate``-th (4th)
    frame, so it gets 8 to have two; the others take 4."""
    return 8 if 'SlowFast' in cfg.model.backbone.type else 4


def find_values(node, key):
    """Every value under ``key`` in a nested config."""
    if isinstance(node, dict):
        for name, value in node.items():
            if name == key:
                yield value
            yield from find_values(value, key)
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from find_values(item, key)


def backbone_lr_mult(optim_cfg):
    """The backbone's lr multiplier: mmengine's ``custom_keys`` or the Swin constructor's keys."""
    paramwise = optim_cfg.get('paramwise_cfg', {})
    return paramwise.get('custom_keys', paramwise).get('backbone', {}).get('lr_mult', 1.0)


def detection_batch(cfg, num_classes):
    """Two clips with person boxes, packed as mmaction's AVA pipeline packs them."""
    frames = clip_length(cfg)
    generator = torch.Generator().manual_seed(0)
    inputs, samples = [], []
    for proposals, gt_boxes in (([[4, 6, 30, 60], [34, 8, 62, 58]], [[5, 6, 30, 58]]),
                                ([[10, 10, 50, 60]], [[12, 8, 48, 62], [0, 0, 20, 30]])):
        inputs.append(torch.rand(3, frames, SIZE, SIZE, generator=generator) * 255)
        sample = ActionDataSample()
        sample.proposals = InstanceData(bboxes=torch.tensor(proposals, dtype=torch.float32))
        labels = torch.zeros(len(gt_boxes), num_classes)
        labels[:, 1] = 1
        sample.gt_instances = InstanceData(
            bboxes=torch.tensor(gt_boxes, dtype=torch.float32), labels=labels)
        sample.set_metainfo(dict(img_shape=(SIZE, SIZE), img_key='video,0001'))
        # every frame's boxes (LoadClipPersonBoxes), for PAE over the clip: the key frame's on
        # each frame
        for key, boxes in (('clip_proposals', proposals), ('clip_gt_bboxes', gt_boxes)):
            sample.set_metainfo({key: torch.tensor(
                [[frame, *box] for frame in range(frames) for box in boxes])})
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def recognition_batch(cfg):
    """One clip (num_clips 1) with a label, as mmaction's recognition pipeline packs it."""
    clip = torch.rand(1, 3, clip_length(cfg), SIZE, SIZE,
                      generator=torch.Generator().manual_seed(0)) * 255
    sample = ActionDataSample().set_gt_label(torch.tensor([1]))
    return dict(inputs=[clip], data_samples=[sample])


def test_configs_are_found():
    names = {osp.basename(path) for path in CONFIGS}
    assert 'vsgt-tiny_synthetic.py' in names and len(CONFIGS) >= 14


@pytest.mark.parametrize('path', CONFIGS)
def test_data_sections_use_registered_types(path):
    cfg = load(path)
    for loader in LOADERS:
        dataset = cfg[loader].dataset
        assert DATASETS.get(dataset.type) is not None, f'{loader}: {dataset.type}'
        for transform in dataset.pipeline:
            assert TRANSFORMS.get(transform.type) is not None, f'{loader}: {transform.type}'
    for evaluator in (cfg.val_evaluator, cfg.test_evaluator):
        for metric in evaluator if isinstance(evaluator, list) else [evaluator]:
            assert METRICS.get(metric.type) is not None, metric.type
    if is_detector(cfg):
        # the datasets' label vectors are what the head scores
        num_classes = cfg.model.roi_head.bbox_head.num_classes
        assert {cfg[loader].dataset.num_classes for loader in LOADERS} == {num_classes}


@pytest.mark.parametrize('path', CONFIGS)
def test_weights_are_local_files_or_registered_initialisers(path):
    cfg = load(path)
    # Nothing is downloaded: pretrained weights are files the user puts in checkpoints/.
    assert cfg.load_from is None or cfg.load_from.startswith('checkpoints/'), cfg.load_from
    for init_cfg in find_values(cfg.model, 'init_cfg'):
        for item in init_cfg if isinstance(init_cfg, list) else [init_cfg]:
            if item is not None:
                assert WEIGHT_INITIALIZERS.get(item['type']) is not None, item
                assert item.get('checkpoint', 'checkpoints/').startswith('checkpoints/'), item


@pytest.mark.parametrize('path', CONFIGS)
def test_model_trains_and_predicts_one_step(path):
    cfg = load(path)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)

    # mmengine's AmpOptimWrapper needs CUDA; the optimiser and its parameter groups are the same.
    optim_cfg = ConfigDict(cfg.optim_wrapper)
    if optim_cfg.get('type') == 'AmpOptimWrapper':
        optim_cfg.type = 'OptimWrapper'
        optim_cfg.pop('loss_scale', None)
    optim_wrapper = build_optim_wrapper(model, optim_cfg)
    base_lr = cfg.optim_wrapper.optimizer.lr
    lr_mult = backbone_lr_mult(cfg.optim_wrapper)
    backbone_params = {id(p) for p in model.backbone.parameters()}
    for group in optim_wrapper.optimizer.param_groups:
        expected = {base_lr * (lr_mult if id(p) in backbone_params else 1.0)
                    for p in group['params']}
        assert len(expected) == 1 and group['lr'] == pytest.approx(expected.pop())
    for scheduler in cfg.param_scheduler:
        PARAM_SCHEDULERS.build(scheduler, default_args=dict(optimizer=optim_wrapper,
                                                            epoch_length=10))

    if is_detector(cfg):
        batch = detection_batch(cfg, cfg.model.roi_head.bbox_head.num_classes)
    else:
        batch = recognition_batch(cfg)
    before = [p.detach().clone() for p in model.backbone.parameters()]
    model.train()
    log_vars = model.train_step(batch, optim_wrapper)
    assert math.isfinite(float(log_vars['loss']))
    assert any(not torch.equal(b, p) for b, p in zip(before, model.backbone.parameters()))

    # mmaction's AVA head predicts one clip at a time
    test_batch = {key: value[:1] for key, value in batch.items()}
    model.eval()
    with torch.no_grad():
        result, = model.test_step(test_batch)
    if is_detector(cfg):
        scores = result.pred_instances.scores
        num_proposals = len(test_batch['data_samples'][0].proposals)
        assert scores.shape == (num_proposals, cfg.model.roi_head.bbox_head.num_classes)
    else:
        scores = result.pred_score
        assert scores.shape == (cfg.model.cls_head.num_classes, )
    assert torch.isfinite(scores).all()
