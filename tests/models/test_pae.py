import pytest
import torch

from vsgt.models.backbones.pae import (PersonAttentionEnhancement, box_coverage,
                                       frame_to_slice, guide_significance, person_box_masks)
from vsgt.models.backbones.sgformer3d import SGFormer3D, group_tokens_by_significance

torch.set_num_threads(1)


def coverage(boxes, grid_size=(3, 3), cell_size=4.0):
    return box_coverage(torch.tensor(boxes, dtype=torch.float32).view(-1, 4), grid_size,
                        cell_size).float()


def test_box_on_one_cell():
    expected = torch.zeros(3, 3)
    expected[0, 0] = 1
    torch.testing.assert_close(coverage([[0, 0, 4, 4]]), expected)


def test_box_straddling_four_cells():
    expected = torch.zeros(3, 3)
    expected[:2, :2] = 0.25
    torch.testing.assert_close(coverage([[2, 2, 6, 6]]), expected)


def test_fractional_and_clipped_boxes():
    expected = torch.zeros(3, 3)
    expected[0, 0] = 2 * 1 / 16
    torch.testing.assert_close(coverage([[1, 1, 3, 2]]), expected)
    expected = torch.zeros(3, 3)
    expected[0, 0] = 4 / 16
    torch.testing.assert_close(coverage([[-5, -5, 2, 2]]), expected)
    expected = torch.zeros(3, 3)
    expected[2, 2] = 0.5 * 0.25
    torch.testing.assert_close(coverage([[10, 11, 30, 30]]), expected)


def test_overlapping_boxes_count_once():
    expected = torch.zeros(3, 3)
    expected[0, :2] = 1
    torch.testing.assert_close(coverage([[0, 0, 6, 4], [2, 0, 8, 4]]), expected)
    # Two boxes overlapping inside one cell: union 2x4 + 2x4 - 1x4 = 12 of 16.
    expected = torch.zeros(3, 3)
    expected[0, 0] = 12 / 16
    torch.testing.assert_close(coverage([[0, 0, 2, 4], [1, 0, 3, 4]]), expected)


def test_no_boxes_and_degenerate_boxes_cover_nothing():
    assert coverage([]).eq(0).all()
    assert coverage([[5, 5, 5, 9], [6, 6, 2, 8]]).eq(0).all()


def test_masks_repeat_over_time_and_handle_missing_boxes():
    boxes = [torch.tensor([[0.0, 0.0, 8.0, 4.0]]), torch.zeros(0, 4)]
    masks = person_box_masks(boxes, 2, (3, 2, 4), cell_size=4)
    assert masks.shape == (2, 3, 2, 4)
    assert masks[0, :, 0, :2].eq(1).all() and masks[0].sum() == 3 * 2
    assert masks[1].eq(0).all()
    assert person_box_masks(None, 2, (3, 2, 4), cell_size=4).eq(0).all()
    with pytest.raises(ValueError):
        person_box_masks(boxes[:1], 2, (3, 2, 4), cell_size=4)


def test_frames_fall_in_the_slice_centred_nearest_to_them():
    # Stride 2: slice t is centred on frame 2t and stands for frames 2t - 1 and 2t.
    frames = torch.arange(8)
    assert frame_to_slice(frames, 2, 4).tolist() == [0, 1, 1, 2, 2, 3, 3, 3]
    # Stride 4: slice t stands for frames 4t - 2 .. 4t + 1.
    assert frame_to_slice(frames, 4, 2).tolist() == [0, 0, 1, 1, 1, 1, 1, 1]


def test_per_frame_boxes_are_marked_on_their_own_slices():
    # A person walking right: one box per frame of an 8-frame clip, 4 px further each frame.
    boxes = torch.tensor([[f, 4.0 * f, 0.0, 4.0 * f + 4, 4.0] for f in range(8)])
    masks = person_box_masks([boxes], 1, (4, 1, 8), cell_size=4, temporal_stride=2)
    expected = torch.zeros(4, 1, 8)
    for frame, t in enumerate([0, 1, 1, 2, 2, 3, 3, 3]):
        expected[t, 0, frame] = 1
    torch.testing.assert_close(masks[0], expected)
    # The key frame's boxes alone mark every slice alike.
    key = person_box_masks([boxes[4:5, 1:]], 1, (4, 1, 8), cell_size=4)
    assert key[0, :, 0, 4].eq(1).all() and key.sum() == 4
    with pytest.raises(ValueError, match=r'sample 0 must be \(n, 4\) or \(n, 5\)'):
        person_box_masks([torch.zeros(2, 3)], 1, (4, 1, 8), cell_size=4)


def test_cells_are_centred_where_the_convolutions_centre_the_tokens():
    # A 3x3 convolution with stride 2 and padding 1 centres output i on input 2i: the stem's
    # token i sits at pixel 4i + 0.5, stage 2's at 8i + 0.5. Check on the backbone's own stem.
    model = SGFormer3D('tiny', with_pae=True, out_indices=(1, ))
    impulse = torch.zeros(1, 3, 2, 32, 32)
    impulse[..., 8, 8] = 1  # pixel 8 spans [8, 9): centre 8.5 = 4 * 2 + 0.5
    with torch.no_grad():
        stem = model.stages[0].entry
        for conv in (stem.conv1.conv, stem.conv2.conv, stem.conv3.conv):
            conv.weight.fill_(1.0)
        out = stem.conv3.conv(stem.conv2.conv(stem.conv1.conv(impulse)))
    center = out[0, 0, 0]
    assert center.argmax().item() == 2 * center.shape[1] + 2  # token (2, 2)
    # PAE's cell of token (2, 2) at stride 4 is [6.5, 10.5): a box on it covers it whole.
    mask = model.pae.person_masks([torch.tensor([[6.5, 6.5, 10.5, 10.5]])], 1, (1, 8, 8), 0)
    expected = torch.zeros(1, 1, 8, 8)
    expected[0, 0, 2, 2] = 1
    torch.testing.assert_close(mask, expected)
    mask = model.pae.person_masks([torch.tensor([[12.5, 12.5, 20.5, 20.5]])], 1, (1, 4, 4), 1)
    assert mask[0, 0, 2, 2] == 1 and mask.sum() == 1  # stage 2: [8i - 3.5, 8i + 4.5)


def test_guidance_moves_person_tokens_into_the_finest_groups():
    torch.manual_seed(0)
    significance = torch.rand(1, 1, 8, 8)
    person = torch.zeros(1, 1, 8, 8)
    person[0, 0, 2:6, 3:7] = 1  # 16 tokens, a quarter of the grid
    guided = guide_significance(significance, 4.0 * person)
    groups = group_tokens_by_significance(guided.view(1, -1), ((0.25, 4), (0.5, 4), (0.25, 2)))
    finest = set(groups[-1][0].flatten().tolist())
    assert finest == set(person.view(-1).nonzero().flatten().tolist())
    torch.testing.assert_close(guide_significance(significance, 0 * person), significance)


def test_rank_guidance_guarantees_the_finest_groups_where_additive_does_not():
    torch.manual_seed(0)
    significance = 1 + torch.rand(1, 1, 8, 8)
    person = torch.zeros(1, 1, 8, 8)
    person[0, 0, 2:6, 3:7] = 0.5  # 16 half-covered tokens of the least significance
    significance[person > 0] = 0.01
    parts = ((0.25, 4), (0.5, 4), (0.25, 2))
    persons = set(person.view(-1).nonzero().flatten().tolist())

    def finest(key):
        return set(group_tokens_by_significance(key.view(1, -1), parts)[-1][0].flatten().tolist())

    additive = guide_significance(significance, 1.0 * person)
    assert not finest(additive) & persons  # 0.01 + 0.5 * mean(S) stays below every other token
    ranked = guide_significance(significance, 1.0 * person, mode='rank')
    assert finest(ranked) == persons
    # Within each set the order is the significance's; no persons, no change.
    others = person.eq(0)
    assert torch.equal(ranked[others], significance[others])
    assert torch.equal(guide_significance(significance, 0 * person, mode='rank'), significance)
    with pytest.raises(ValueError, match='guidance mode'):
        guide_significance(significance, person, mode='max')
    with pytest.raises(ValueError, match='guidance mode'):
        SGFormer3D('tiny', with_pae=True, pae_guidance_mode='max')


def test_rank_mode_reaches_the_guided_blocks():
    torch.manual_seed(0)
    model = SGFormer3D('tiny', with_pae=True, pae_guidance_mode='rank', out_indices=(1, ))
    modes = {block.attn.guidance_mode for stage in model.stages for block in stage.blocks
             if block.kind == 'guided'}
    assert modes == {'rank'}
    assert model.pae.guidance_mode == 'rank'


def test_enhancement_gates_start_closed():
    pae = PersonAttentionEnhancement((4, 8), strides=(4, 8), guided_stages=(True, False))
    assert pae.alpha.shape == (1, ) and pae.guidance_weight(1, torch.ones(1, 1, 1, 1)) is None
    tokens = torch.randn(2, 6, 4)
    mask = torch.rand(2, 1, 2, 3)
    assert torch.equal(pae.enhance(0, tokens, mask), tokens)
    with torch.no_grad():
        pae.gamma[0].fill_(0.5)
        pae.alpha.fill_(-2.0)
    expected = tokens * (1 + 0.5 * mask.view(2, 6, 1))
    torch.testing.assert_close(pae.enhance(0, tokens, mask), expected)
    torch.testing.assert_close(pae.guidance_weight(0, mask), 2.0 * mask)


def _plain_and_pae_models(**kwargs):
    torch.manual_seed(0)
    plain = SGFormer3D('tiny', **kwargs).eval()
    with_pae = SGFormer3D('tiny', with_pae=True, **kwargs).eval()
    missing, unexpected = with_pae.load_state_dict(plain.state_dict(), strict=False)
    assert not unexpected and all(name.startswith('pae.') for name in missing)
    return plain, with_pae


def test_pae_with_zero_alpha_and_gamma_equals_plain_backbone_exactly():
    plain, with_pae = _plain_and_pae_models(out_indices=(0, 1, 2, 3))
    with torch.no_grad():
        with_pae.pae.alpha.zero_()
    clips = torch.randn(2, 3, 3, 37, 53)
    boxes = [torch.tensor([[3.0, 4.0, 20.0, 30.0], [15.0, 1.0, 50.0, 36.0]]),
             torch.tensor([[0.0, 0.0, 10.0, 10.0]])]
    with torch.no_grad():
        expected = plain(clips)
        got = with_pae(clips, person_boxes=boxes)
    for out, ref in zip(got, expected):
        assert torch.equal(out, ref)


def test_boxes_are_ignored_without_pae_and_absent_boxes_mean_no_persons():
    plain, with_pae = _plain_and_pae_models()
    clips = torch.randn(1, 3, 2, 48, 48)
    boxes = [torch.tensor([[8.0, 8.0, 40.0, 40.0]])]
    with torch.no_grad():
        reference = plain(clips)
        assert torch.equal(plain(clips, person_boxes=boxes), reference)
        assert torch.equal(with_pae(clips), reference)
        assert torch.equal(with_pae(clips, person_boxes=[torch.zeros(0, 4)]), reference)
        assert not torch.equal(with_pae(clips, person_boxes=boxes), reference)


def test_pae_parameters_learn():
    torch.manual_seed(0)
    model = SGFormer3D('tiny', with_pae=True)
    boxes = [torch.tensor([[8.0, 4.0, 40.0, 44.0]])]
    model(torch.randn(1, 3, 2, 48, 48), person_boxes=boxes).square().mean().backward()
    assert torch.isfinite(model.pae.alpha.grad).all() and model.pae.alpha.grad.ne(0).all()
    for gamma in model.pae.gamma:
        assert torch.isfinite(gamma.grad).all() and gamma.grad.ne(0).any()


def test_pae_parts_can_be_switched_off_one_at_a_time():
    boxes = [torch.tensor([[8.0, 4.0, 40.0, 44.0]])]
    clips = torch.randn(1, 3, 2, 48, 48)
    for guidance, enhancement in ((True, False), (False, True)):
        torch.manual_seed(0)
        model = SGFormer3D('tiny', with_pae=True, pae_guidance=guidance,
                           pae_enhancement=enhancement, out_indices=(1, ))
        with torch.no_grad():
            if enhancement:  # open the gates so that enhancement shows
                for gamma in model.pae.gamma:
                    gamma.fill_(0.5)
        torch.manual_seed(0)
        plain = SGFormer3D('tiny', out_indices=(1, ))
        plain.load_state_dict({k: v for k, v in model.state_dict().items()
                               if not k.startswith('pae.')})
        with torch.no_grad():
            assert not torch.equal(model(clips, person_boxes=boxes), plain(clips))
        assert (model.pae.gamma is None) == (not enhancement)
        assert model.pae.alpha.numel() == (2 if guidance else 0)
    with pytest.raises(ValueError, match='needs pae_guidance or pae_enhancement'):
        SGFormer3D('tiny', with_pae=True, pae_guidance=False, pae_enhancement=False)


@pytest.mark.parametrize('config', [
    'configs/synthetic/vsgt-tiny-pae_synthetic.py',
    'configs/detection/vsgt/vsgt-s-pae_k400-pre_8xb2-amp-32x2x1-20e_ucf101-24-rgb.py',
    'projects/fbil/configs/fbil_vsgt-s-pae_k400-pre_8xb2-amp-32x2x1-20e_hia-rgb.py',
])
def test_pae_gates_are_out_of_weight_decay_in_the_configs(config):
    from mmaction.registry import MODELS
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope

    from vsgt.testing import ROOT
    cfg = Config.fromfile(f'{ROOT}/{config}')
    init_default_scope('mmaction')
    cfg.model.backbone.pop('pretrained', None)
    cfg.model.backbone.init_cfg = None
    cfg.optim_wrapper.type = 'OptimWrapper'  # the AMP wrapper needs a GPU
    model = MODELS.build(cfg.model)
    optimizer = build_optim_wrapper(model, cfg.optim_wrapper).optimizer
    decay = {id(param): group['weight_decay'] for group in optimizer.param_groups
             for param in group['params']}
    lr = {id(param): group['lr'] for group in optimizer.param_groups for param in group['params']}
    pae = dict(model.backbone.pae.named_parameters())
    assert pae and all(decay[id(param)] == 0 for param in pae.values())
    other = model.backbone.stages[0].blocks[0].attn.proj.weight
    assert decay[id(other)] > 0 and lr[id(pae['alpha'])] == lr[id(other)]
