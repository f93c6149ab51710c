import copy

import pytest
import torch
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.config import ConfigDict
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from vsgt.models import VSGTFastRCNN

torch.set_num_threads(1)

NUM_CLASSES = 6
CLIP_SHAPE = (1, 3, 4, 64, 64)


def detector_cfg(with_pae, detector='VSGTFastRCNN'):
    """The AVA FastRCNN flow of mmaction2's configs with the tiny SGFormer3D."""
    return dict(
        type=detector,
        _scope_='mmdet',
        backbone=dict(type='mmaction.SGFormer3D', arch='tiny', with_pae=with_pae),
        roi_head=dict(
            type='AVARoIHead',
            bbox_roi_extractor=dict(
                type='SingleRoIExtractor3D', roi_layer_type='RoIAlign', featmap_stride=32,
                output_size=8, with_temporal_pool=True, temporal_pool_mode='max'),
            bbox_head=dict(
                type='BBoxHeadAVA', background_class=True, in_channels=128,
                num_classes=NUM_CLASSES, multilabel=True, dropout_ratio=0.5)),
        data_preprocessor=dict(
            type='mmaction.ActionDataPreprocessor', mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375], format_shape='NCTHW'),
        train_cfg=dict(
            rcnn=dict(
                assigner=dict(type='MaxIoUAssignerAVA', pos_iou_thr=0.9, neg_iou_thr=0.9,
                              min_pos_iou=0.9),
                sampler=dict(type='RandomSampler', num=32, pos_fraction=1, neg_pos_ub=-1,
                             add_gt_as_proposals=True),
                pos_weight=1.0)),
        test_cfg=dict(rcnn=None))


def build(with_pae, detector='VSGTFastRCNN', seed=0):
    init_default_scope('mmaction')
    torch.manual_seed(seed)
    return MODELS.build(ConfigDict(detector_cfg(with_pae, detector)))


def make_sample(proposals, gt_boxes=((8, 8, 40, 56), ), img_shape=(64, 64)):
    """An ActionDataSample as mmaction's AVA pipeline packs it (boxes in input pixels)."""
    sample = ActionDataSample()
    sample.proposals = InstanceData(
        bboxes=torch.tensor(proposals, dtype=torch.float32).reshape(-1, 4))
    labels = torch.zeros(len(gt_boxes), NUM_CLASSES)
    labels[:, 1] = 1
    labels[:, 3] = 1
    sample.gt_instances = InstanceData(
        bboxes=torch.tensor(gt_boxes, dtype=torch.float32).reshape(-1, 4), labels=labels)
    sample.set_metainfo(dict(img_shape=img_shape, img_key='video,0902'))
    return sample


def clip(seed=1):
    return torch.randn(*CLIP_SHAPE, generator=torch.Generator().manual_seed(seed))


def spy_on_backbone(model, monkeypatch):
    """Record the ``person_boxes`` each backbone call gets."""
    calls = []
    forward = model.backbone.forward

    def spy(x, person_boxes=None):
        calls.append(None if person_boxes is None else [b.clone() for b in person_boxes])
        return forward(x, person_boxes=person_boxes)

    monkeypatch.setattr(model.backbone, 'forward', spy)
    return calls


@pytest.mark.parametrize('with_pae', [True, False])
def test_builds_from_a_config(with_pae):
    model = build(with_pae)
    assert isinstance(model, VSGTFastRCNN)
    assert model.with_pae is with_pae
    assert (model.backbone.pae is not None) is with_pae


def test_loss_step_reaches_pae_with_ground_truth_and_proposals(monkeypatch):
    model = build(with_pae=True).train()
    calls = spy_on_backbone(model, monkeypatch)
    sample = make_sample([[-5, 10, 70, 50], [30, 0, 60, 60]])
    losses = model(clip(), [sample], mode='loss')
    loss = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(loss)
    loss.backward()

    expected = torch.tensor([[0, 10, 64, 50], [30, 0, 60, 60], [8, 8, 40, 56]],
                            dtype=torch.float32)
    assert len(calls) == 1 and len(calls[0]) == 1
    torch.testing.assert_close(calls[0][0], expected)
    pae = model.backbone.pae
    assert pae.alpha.grad is not None and pae.alpha.grad.abs().sum() > 0
    for gamma in pae.gamma:
        assert gamma.grad is not None and gamma.grad.abs().sum() > 0


def test_predict_hands_only_proposals_to_the_backbone(monkeypatch):
    model = build(with_pae=True).eval()
    calls = spy_on_backbone(model, monkeypatch)
    proposals = [[4, 4, 30, 60], [20, 16, 80, 48]]
    with torch.no_grad():
        results = model(clip(), [make_sample(proposals)], mode='predict')
    torch.testing.assert_close(
        calls[0][0], torch.tensor([[4, 4, 30, 60], [20, 16, 64, 48]], dtype=torch.float32))
    pred = results[0].pred_instances
    assert pred.bboxes.shape == (2, 4) and pred.scores.shape == (2, NUM_CLASSES)
    assert torch.isfinite(pred.scores).all()


def test_tensor_mode_hands_proposals_to_the_backbone(monkeypatch):
    model = build(with_pae=True).eval()
    calls = spy_on_backbone(model, monkeypatch)
    # AVARoIHead cannot run mmdet's RoI head ``forward`` (its _bbox_forward needs image metas).
    monkeypatch.setattr(model.roi_head, 'forward', lambda x, proposals, samples: x.shape)
    with torch.no_grad():
        outs = model(clip(), [make_sample([[4, 4, 30, 60]])], mode='tensor')
    assert outs == ((1, 128, 2, 2, 2), )
    torch.testing.assert_close(calls[0][0], torch.tensor([[4., 4., 30., 60.]]))


def test_boxes_are_clipped_to_each_samples_frame():
    model = build(with_pae=True)
    samples = [make_sample([[-3, -3, 100, 20]], img_shape=(48, 64)),
               make_sample(torch.zeros(0, 4), gt_boxes=((10, 40, 90, 99), ), img_shape=(64, 32))]
    boxes = model.person_boxes(torch.zeros(2, 3, 4, 64, 64), samples, with_gt=True)
    torch.testing.assert_close(boxes[0], torch.tensor([[0., 0., 64., 20.], [8., 8., 40., 48.]]))
    torch.testing.assert_close(boxes[1], torch.tensor([[10., 40., 32., 64.]]))


def test_empty_proposals_mean_no_person(monkeypatch):
    model = build(with_pae=True).eval()
    for gamma in model.backbone.pae.gamma:
        torch.nn.init.constant_(gamma, 0.5)
    calls = spy_on_backbone(model, monkeypatch)
    x = clip()
    with torch.no_grad():
        empty = model.extract_feat(
            x, model.person_boxes(x, [make_sample(torch.zeros(0, 4))], with_gt=False))
        none = model.extract_feat(x, None)
        person = model.extract_feat(
            x, model.person_boxes(x, [make_sample([[0, 0, 32, 64]])], with_gt=False))
    assert calls[0][0].shape == (0, 4)
    torch.testing.assert_close(empty, none, rtol=0, atol=0)
    assert not torch.allclose(person, none)

    losses = model.train()(x, [make_sample(torch.zeros(0, 4))], mode='loss')
    assert all(torch.isfinite(v) for k, v in losses.items() if 'loss' in k)


def test_missing_proposals_raise_a_clear_error():
    model = build(with_pae=True).eval()
    sample = make_sample([[0, 0, 10, 10]])
    del sample.proposals
    with pytest.raises(ValueError, match=r'data_samples\[0\] has no proposals'):
        model(clip(), [sample], mode='predict')


def test_without_pae_it_is_fast_rcnn():
    ours, reference = build(with_pae=False), build(with_pae=False, detector='FastRCNN')
    assert type(reference).__name__ == 'FastRCNN'
    reference.load_state_dict(ours.state_dict())
    proposals = [[4, 4, 30, 60], [20, 16, 60, 48]]
    sample = make_sample(proposals)
    x = clip()
    results = []
    for model in (ours, reference):
        torch.manual_seed(3)
        losses = model.train()(x, [copy.deepcopy(sample)], mode='loss')
        with torch.no_grad():
            pred = model.eval()(x, [copy.deepcopy(sample)], mode='predict')[0].pred_instances
        results.append((losses, pred))
    (our_losses, our_pred), (ref_losses, ref_pred) = results
    assert our_losses.keys() == ref_losses.keys()
    for key in our_losses:
        torch.testing.assert_close(our_losses[key], ref_losses[key], rtol=0, atol=0)
    torch.testing.assert_close(our_pred.scores, ref_pred.scores, rtol=0, atol=0)
    torch.testing.assert_close(our_pred.bboxes, ref_pred.bboxes, rtol=0, atol=0)


def build_clip_mode():
    init_default_scope('mmaction')
    torch.manual_seed(0)
    return MODELS.build(ConfigDict(detector_cfg(True), pae_boxes='clip'))


def test_clip_mode_hands_every_frames_boxes_to_the_backbone(monkeypatch):
    model = build_clip_mode()
    sample = make_sample([[4, 4, 30, 60]], img_shape=(48, 64))
    sample.set_metainfo(dict(
        clip_proposals=[[0, -2, 4, 30, 60], [3, 10, 4, 70, 60]],
        clip_gt_bboxes=[[1, 8, 8, 40, 56]]))
    boxes = model.person_boxes(clip(), [sample], with_gt=True)
    # frame index first, corners clipped to the 64x48 frame
    torch.testing.assert_close(boxes[0], torch.tensor(
        [[0., 0., 4., 30., 48.], [3., 10., 4., 64., 48.], [1., 8., 8., 40., 48.]]))
    calls = spy_on_backbone(model, monkeypatch)
    with torch.no_grad():
        model.eval()(clip(), [sample], mode='predict')
    assert calls[0][0].shape == (2, 5)
    del sample.clip_proposals
    with pytest.raises(ValueError, match="no metainfo 'clip_proposals'.*LoadClipPersonBoxes"):
        model(clip(), [sample], mode='predict')
    with pytest.raises(ValueError, match='pae_boxes must be one of'):
        MODELS.build(ConfigDict(detector_cfg(True), pae_boxes='frames'))


def test_the_roi_head_sees_the_ground_truth_in_training_and_the_proposals_in_testing(
        monkeypatch):
    model = build(with_pae=False)
    seen = []
    original = model.roi_head.loss

    def spy(x, proposals, samples):
        seen.append(samples[0].metainfo['person_boxes'])
        return original(x, proposals, samples)

    monkeypatch.setattr(model.roi_head, 'loss', spy)
    sample = make_sample([[4, 4, 30, 60], [40, 0, 64, 20]])
    model.train()(clip(), [copy.deepcopy(sample)], mode='loss')
    torch.testing.assert_close(seen[0], torch.tensor([[8., 8., 40., 56.]]))
    with torch.no_grad():
        model.eval()(clip(), [sample], mode='predict')
    torch.testing.assert_close(sample.metainfo['person_boxes'],
                               torch.tensor([[4., 4., 30., 60.], [40., 0., 64., 20.]]))


@pytest.mark.parametrize('aligned', [True, False])
def test_token_centred_roi_extractor_reads_the_cell_under_the_box(aligned):
    from mmdet.registry import MODELS as MMDET_MODELS

    from vsgt.models import TokenCentredRoIExtractor3D
    # a map whose cell i holds i, at stride 8: cell 2 is centred on pixel 8 * 2 + 0.5 = 16.5
    feat = torch.arange(8.0).view(1, 1, 1, 1, 8).expand(1, 1, 1, 8, 8).contiguous()
    rois = torch.tensor([[0, 12.5, 12.5, 20.5, 20.5]])  # one cell wide, centred on 16.5
    kwargs = dict(roi_layer_type='RoIAlign', featmap_stride=8, output_size=1,
                  with_temporal_pool=True, aligned=aligned, _scope_='mmdet')
    centred = MMDET_MODELS.build(dict(type='TokenCentredRoIExtractor3D', **kwargs))
    assert isinstance(centred, TokenCentredRoIExtractor3D)
    plain = MMDET_MODELS.build(dict(type='SingleRoIExtractor3D', **kwargs))
    value = centred(feat, rois)[0].item()
    assert value == pytest.approx(2.0, abs=1e-5)
    # mmcv's convention reads (16.5 / 8 - 0.5 =) 1.5625 (aligned) or 2.0625 (legacy)
    assert plain(feat, rois)[0].item() == pytest.approx(1.5625 if aligned else 2.0625, abs=1e-5)
    assert rois.tolist() == [[0, 12.5, 12.5, 20.5, 20.5]]
