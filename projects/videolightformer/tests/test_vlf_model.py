"""VideoLightFormer head on mmaction2's Recognizer2D: shapes, view averaging, frame order,
gradients and checkpointing, against TSN on the same backbone."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmaction.utils import register_all_modules

import vsgt_projects.videolightformer.videolightformer  # noqa: F401  (registers VLFHead)
from vsgt_projects.videolightformer.videolightformer import VLFHead, sine_temporal_encoding

register_all_modules()
NUM_CLASSES = 5
SIZE = 64  # 4x4 tokens per frame at stride 16


def recognizer(head='VLFHead', num_segments=4, **head_options):
    """ResNet-18 stages 1-3 (stride 16, 256 channels), random init, and a VLF or TSN head."""
    if head == 'VLFHead':
        cls_head = dict(type='VLFHead', num_segments=num_segments, embed_dims=32, num_heads=4,
                        spatial_depth=1, temporal_depth=1, average_clips='prob', **head_options)
    else:
        cls_head = dict(type='TSNHead', average_clips='prob', **head_options)
    model = MODELS.build(dict(
        type='Recognizer2D',
        backbone=dict(type='ResNet', depth=18, num_stages=3, out_indices=(2, ),
                      strides=(1, 2, 2), dilations=(1, 1, 1), pretrained=None),
        cls_head=dict(cls_head, num_classes=NUM_CLASSES, in_channels=256),
        data_preprocessor=dict(type='ActionDataPreprocessor', format_shape='NCHW')))
    model.init_weights()
    return model


def samples(num_clips):
    return [ActionDataSample().set_gt_label(i % NUM_CLASSES) for i in range(num_clips)]


def clips(num_clips, num_frames, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(num_clips, num_frames, 3, SIZE, SIZE, generator=generator)


def predict(model, inputs):
    with torch.no_grad():
        return torch.stack([s.pred_score for s in model(inputs, samples(len(inputs)),
                                                          mode='predict')])


@pytest.mark.parametrize('num_segments', [1, 3, 8])
@pytest.mark.parametrize('views', [1, 2])
def test_scores_per_clip_at_one_and_two_views(num_segments, views):
    model = recognizer(num_segments=num_segments).eval()
    inputs = clips(2, views * num_segments)
    scores = predict(model, inputs)
    assert scores.shape == (2, NUM_CLASSES)
    assert torch.allclose(scores.sum(1), torch.ones(2), atol=1e-5)
    # average_clips='prob': the mean of each view's softmax, each view run on its own.
    per_view = [predict(model, view.contiguous()) for view in inputs.split(num_segments, dim=1)]
    assert torch.allclose(scores, torch.stack(per_view).mean(0), atol=1e-6)


@pytest.mark.parametrize('views', [1, 2])
def test_head_returns_a_row_per_view(views):
    head = VLFHead(NUM_CLASSES, 16, num_segments=4, embed_dims=16, num_heads=2)
    head.init_weights()
    maps = torch.randn(3 * views * 4, 16, 2, 5)
    assert head(maps, num_segs=views * 4).shape == (3 * views, NUM_CLASSES)
    with pytest.raises(ValueError, match=r'\(N\*V\*4, C, h, w\)'):
        head(maps[:-1])


@pytest.mark.parametrize('option', [dict(temporal_pe='fixed'), dict(pool='max'),
                                    dict(embed_dims=30)])
def test_bad_options(option):
    with pytest.raises(ValueError, match=next(iter(option))):
        VLFHead(NUM_CLASSES, 16, **option)


def test_sine_temporal_encoding_by_hand():
    encoding = sine_temporal_encoding(3, 4, temperature=100.)
    frequencies = [1., 0.1]  # 1 / 100 ** (2i / 4)
    expected = [[f(t * w) for w in frequencies for f in (math.sin, math.cos)] for t in range(3)]
    assert torch.allclose(encoding, torch.tensor(expected), atol=1e-6)


def test_learned_slots_are_resampled_to_the_frames():
    head = VLFHead(NUM_CLASSES, 16, num_segments=4, embed_dims=16, num_heads=2,
                   temporal_slots=8)
    with torch.no_grad():
        head.temporal_embed.copy_(torch.arange(8.)[:, None].expand(8, 16))
    fewer = head._temporal_term(4, head.temporal_embed)
    assert torch.equal(fewer[:, 0], torch.tensor([0.5, 2.5, 4.5, 6.5]))  # pairs averaged
    assert torch.allclose(head._temporal_term(16, head.temporal_embed)[[0, -1], 0],
                          torch.tensor([0., 7.]))


def logits(model, inputs):
    with torch.no_grad():
        return model.extract_feat(inputs, stage='head', test_mode=True)[0]


def test_tsn_is_blind_to_frame_order_and_vlf_is_not():
    """TSN averages frames: exactly invariant. With the mean over all tokens, VLF's temporal
    embedding tells frames apart; without it (temporal_pe=None) its transformer is
    permutation-equivariant and the mean invariant, so it is blind to the order again. The
    default pooling feeds the frames to the MLP in time order: order-aware even without it.

    The order effect is measured against the effect of another clip: at init_std 0.2 (the
    embeddings' std), reversal moves VLF's logits by a few percent of that; float error by 1e-5.
    """
    inputs, other_clip = clips(2, 8), clips(2, 8, seed=1)
    shuffled = inputs[:, torch.tensor([7, 2, 5, 0, 3, 6, 1, 4])]
    reordered = (shuffled, inputs.flip(1))
    torch.manual_seed(0)
    tsn = recognizer('TSNHead').eval()
    for other in reordered:
        assert torch.allclose(logits(tsn, inputs), logits(tsn, other), atol=1e-6)
    for pool in ('mean', 'cls', 'frames'):
        for temporal_pe in ('learned', 'sine', None):
            torch.manual_seed(0)
            vlf = recognizer(num_segments=8, temporal_pe=temporal_pe, pool=pool,
                             init_std=0.2).eval()
            reference = logits(vlf, inputs)
            clip_effect = (reference - logits(vlf, other_clip)).abs().max()
            assert clip_effect > 1e-2
            for other in reordered:
                order_effect = (reference - logits(vlf, other)).abs().max()
                if temporal_pe is None and pool != 'frames':
                    assert order_effect < 1e-5, pool
                else:
                    assert order_effect > 1e-3 * clip_effect, (pool, temporal_pe, order_effect)


def test_frames_pool_feeds_the_frames_in_time_order():
    """pool='frames': the MLP reads the T frame means (after LayerNorm) concatenated in time
    order, so its first layer is T*D wide."""
    torch.manual_seed(0)
    head = VLFHead(NUM_CLASSES, 16, num_segments=3, embed_dims=8, num_heads=2, spatial_depth=1,
                   temporal_depth=1, temporal_pe=None).eval()
    head.init_weights()
    assert head.mlp[0].in_features == 3 * 8
    captured = {}
    head.norm.register_forward_hook(lambda module, args, out: captured.update(out=out))
    maps = torch.randn(2 * 3, 16, 2, 2)
    with torch.no_grad():
        scores = head(maps)
        assert captured['out'].shape == (2, 3, 8)
        assert torch.allclose(scores, head.mlp(captured['out'].flatten(1)))


def train_step_grads(model, inputs, seed=0):
    """Loss, logits and parameter gradients of one training forward/backward."""
    model.train()
    model.zero_grad()
    torch.manual_seed(seed)
    data = model.data_preprocessor(dict(inputs=list(inputs), data_samples=samples(len(inputs))),
                                   training=True)
    losses = model(**data, mode='loss')
    losses['loss_cls'].backward()
    return losses['loss_cls'], {n: p.grad.clone() for n, p in model.named_parameters()
                                if p.grad is not None}


@pytest.mark.parametrize('pool', ['frames', 'mean', 'cls'])
def test_every_parameter_gets_a_gradient(pool):
    torch.manual_seed(0)
    model = recognizer(num_segments=4, pool=pool)
    loss, grads = train_step_grads(model, clips(2, 4))
    assert torch.isfinite(loss)
    names = [name for name, _ in model.named_parameters()]
    assert 'cls_head.temporal_embed' in names and (pool == 'cls') == ('cls_head.cls_token' in
                                                                      names)
    missing = [name for name in names if name not in grads or not grads[name].abs().sum() > 0]
    assert missing == []


def test_checkpointing_gives_the_same_outputs_and_gradients():
    torch.manual_seed(0)
    plain = recognizer(num_segments=4)
    torch.manual_seed(1)
    checkpointed = recognizer(num_segments=4, with_cp=True)
    checkpointed.load_state_dict(plain.state_dict())
    assert checkpointed.cls_head.with_cp and not plain.cls_head.with_cp
    inputs = clips(2, 4)
    loss, grads = train_step_grads(plain, inputs)  # dropout and drop-path active
    loss_cp, grads_cp = train_step_grads(checkpointed, inputs)
    assert torch.allclose(loss, loss_cp, atol=1e-6)
    assert grads.keys() == grads_cp.keys()
    for name, grad in grads.items():
        assert torch.allclose(grad, grads_cp[name], atol=1e-6, rtol=1e-4), name
    assert torch.equal(predict(plain.eval(), inputs), predict(checkpointed.eval(), inputs))


def test_label_smoothing_and_loss_value():
    torch.manual_seed(0)
    model = recognizer(num_segments=4, label_smooth_eps=0.1).eval()
    inputs = clips(2, 4)
    with torch.no_grad():
        feats, kwargs = model.extract_feat(inputs)
        logits = model.cls_head(feats, **kwargs)
        loss = model.cls_head.loss_by_feat(logits, samples(2))['loss_cls']
    target = F.one_hot(torch.tensor([0, 1]), NUM_CLASSES) * 0.9 + 0.1 / NUM_CLASSES
    expected = -(target * logits.log_softmax(1)).sum(1).mean()
    assert torch.allclose(loss, expected, atol=1e-6)


def test_timm_backbone_keeps_its_map_for_the_head():
    model = MODELS.build(dict(
        type='Recognizer2D',
        backbone=dict(type='TimmFeatures', model_name='resnet18', out_index=3),
        cls_head=dict(type='VLFHead', num_classes=NUM_CLASSES, in_channels=256, num_segments=2,
                      embed_dims=32, num_heads=4, spatial_depth=1, temporal_depth=1,
                      average_clips='prob'),
        data_preprocessor=dict(type='ActionDataPreprocessor', format_shape='NCHW'))).eval()
    assert model.backbone.out_channels == 256
    with torch.no_grad():
        maps = model.backbone(torch.randn(3, 3, SIZE, SIZE))
    assert maps.shape == (3, 256, SIZE // 16, SIZE // 16)
    assert predict(model, clips(2, 4)).shape == (2, NUM_CLASSES)
