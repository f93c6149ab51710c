import math

import pytest
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from timm.layers import DropPath

from vsgt.models.backbones.sgformer3d import (HybridScaleAttention, SGFormer3D,
                                              SignificanceGuidedAttention,
                                              group_tokens_by_significance, merge_token_groups)

torch.set_num_threads(1)

TINY_DIMS = (16, 32, 64, 128)


def expected_shape(batch_size, frames, height, width, stage):
    scale = 2 ** (stage + 2)
    return (batch_size, TINY_DIMS[stage], math.ceil(frames / 2), math.ceil(height / scale),
            math.ceil(width / scale))


@pytest.mark.parametrize('batch_size,frames,height,width', [
    (1, 4, 64, 64),
    (2, 3, 37, 53),
    (1, 1, 32, 32),
    (2, 2, 45, 30),
])
def test_output_shapes_for_any_clip_size(batch_size, frames, height, width):
    torch.manual_seed(0)
    model = SGFormer3D('tiny', out_indices=(0, 1, 2, 3)).eval()
    with torch.no_grad():
        outs = model(torch.randn(batch_size, 3, frames, height, width))
    assert isinstance(outs, tuple) and len(outs) == 4
    for stage, out in enumerate(outs):
        assert out.shape == expected_shape(batch_size, frames, height, width, stage)
        assert torch.isfinite(out).all()


def test_single_out_index_returns_a_tensor_and_light_options_keep_shapes():
    model = SGFormer3D('tiny', stem='light', token_groups='light', out_indices=(2, )).eval()
    with torch.no_grad():
        out = model(torch.randn(1, 3, 5, 40, 56))
    assert isinstance(out, torch.Tensor)
    assert out.shape == expected_shape(1, 5, 40, 56, 2)
    assert isinstance(SGFormer3D('tiny')(torch.randn(1, 3, 2, 32, 32)), torch.Tensor)


@pytest.mark.parametrize('frames', [8, 5, 1])
def test_light_t4_stem_halves_time_once_more(frames):
    model = SGFormer3D('tiny', stem='light_t4', out_indices=(0, 3)).eval()
    with torch.no_grad():
        first, last = model(torch.randn(1, 3, frames, 37, 53))
    t = math.ceil(math.ceil(frames / 2) / 2)
    assert first.shape == (1, 16, t, 10, 14) and last.shape == (1, 128, t, 2, 2)


def test_samples_do_not_interact_across_the_batch():
    torch.manual_seed(0)
    model = SGFormer3D('tiny').eval()
    clips = torch.randn(2, 3, 3, 37, 53)
    with torch.no_grad():
        joint = model(clips)
        single = torch.cat([model(clips[:1]), model(clips[1:])])
    torch.testing.assert_close(joint, single, rtol=1e-4, atol=1e-5)


def test_every_parameter_gets_a_finite_gradient():
    torch.manual_seed(0)
    model = SGFormer3D('tiny', out_indices=(0, 1, 2, 3), with_pae=True, drop_path_rate=0.1)
    boxes = [torch.tensor([[4.0, 2.0, 30.0, 40.0]]), torch.tensor([[10.0, 10.0, 44.0, 36.0]])]
    outs = model(torch.randn(2, 3, 4, 48, 40), person_boxes=boxes)
    sum(out.square().mean() for out in outs).backward()
    for name, param in model.named_parameters():
        assert param.grad is not None, name
        assert torch.isfinite(param.grad).all(), name
    assert model.pae.alpha.grad.abs().min() > 0
    assert all(gamma.grad.abs().sum() > 0 for gamma in model.pae.gamma)


def test_stages_after_the_last_out_index_are_not_built():
    model = SGFormer3D('tiny', out_indices=(1, ), with_pae=True)
    assert len(model.stages) == 2 and len(model.pae.gamma) == 2
    boxes = [torch.tensor([[4.0, 2.0, 30.0, 40.0]])]
    out = model(torch.randn(1, 3, 4, 48, 40), person_boxes=boxes)
    assert out.shape == expected_shape(1, 4, 48, 40, 1)
    out.square().mean().backward()
    assert all(param.grad is not None for param in model.parameters())
    with pytest.raises(ValueError, match=r'frozen_stages must be in -1\.\.2'):
        SGFormer3D('tiny', out_indices=(1, ), frozen_stages=3)


def test_hybrid_significance_sums_to_windows_plus_reduced_cell_volume():
    torch.manual_seed(0)
    attn = HybridScaleAttention(16, 2, reduction_ratio=2, window_size=(2, 4, 4))
    grid = (4, 8, 8)
    tokens = torch.randn(2, math.prod(grid), 16)
    out, significance = attn(tokens, grid)
    assert out.shape == tokens.shape
    assert significance.shape == (2, *grid) and not significance.requires_grad
    assert (significance >= 0).all()
    # Global half: the mean-over-queries attention sums to 1 over the reduced tokens, and each is
    # spread over a 2x2x2 cell. Local half: it sums to 1 in each of the 2x2x2 windows.
    torch.testing.assert_close(significance.sum(dim=(1, 2, 3)), torch.full((2, ), 8.0 + 8.0))


def test_hybrid_significance_on_a_grid_needing_padding():
    torch.manual_seed(0)
    attn = HybridScaleAttention(16, 2, reduction_ratio=2, window_size=(2, 4, 4))
    grid = (3, 5, 7)
    tokens = torch.randn(1, math.prod(grid), 16)
    _, global_significance = attn._global(tokens, grid)
    _, local_significance = attn._local(tokens, grid)
    # Nearest upsampling: constant within each reduced cell; one value per cell sums to 1.
    per_cell = global_significance[:, ::2, ::2, ::2]
    upsampled = per_cell.repeat_interleave(2, 1).repeat_interleave(2, 2).repeat_interleave(2, 3)
    torch.testing.assert_close(global_significance, upsampled[:, :3, :5, :7])
    torch.testing.assert_close(per_cell.sum(), torch.tensor(1.0))
    # The grid is padded to 4x8x8: 2x4x4 windows of 32 slots, padded keys get no attention, and
    # a window hands out (its valid tokens) / 32 in all: 105 / 32 over the 105 tokens.
    torch.testing.assert_close(local_significance.sum(), torch.tensor(105 / 32))
    _, significance = attn(tokens, grid)
    # 2x3x4 = 24 reduced tokens against 32 window slots: the global half is scaled by 24 / 32.
    torch.testing.assert_close(significance, global_significance * 24 / 32 + local_significance)


def _uniform(attn):
    """Zero the query projections: every query attends uniformly to its keys."""
    with torch.no_grad():
        for linear in (attn.q_global, attn.q_local):
            linear.weight.zero_()
            linear.bias.zero_()
    return attn


def test_partial_windows_weigh_as_if_full():
    torch.manual_seed(0)
    attn = _uniform(HybridScaleAttention(16, 2, reduction_ratio=2, window_size=(2, 4, 4)))
    grid = (3, 5, 7)  # the windows at t = 2, h = 4 or w = 4 hold 1 to 16 of their 32 slots
    _, local_significance = attn._local(torch.randn(2, math.prod(grid), 16), grid)
    # Uniform attention over v valid keys gives each 1 / v; summed over the v queries and divided
    # by the window volume, every token receives 1 / 32 in full and partial windows alike (the
    # mean over the v queries gave 1 / v: 32 times more in the one-token corner window).
    torch.testing.assert_close(local_significance, torch.full((2, *grid), 1 / 32))


def test_global_and_local_halves_are_on_one_scale():
    torch.manual_seed(0)
    # 2x4x4 = 32 reduced tokens, 2x2x2 = 8 window slots: raw shares of about 1/32 and 1/8.
    attn = HybridScaleAttention(16, 2, reduction_ratio=2, window_size=(2, 2, 2))
    grid = (4, 8, 8)
    tokens = torch.randn(1, math.prod(grid), 16)
    # Any attention: each half hands out 256 tokens / 8 slots = 32 in all.
    _, local_significance = attn._local(tokens, grid)
    _, significance = attn(tokens, grid)
    torch.testing.assert_close(local_significance.sum(), torch.tensor(32.0))
    torch.testing.assert_close((significance - local_significance).sum(), torch.tensor(32.0))
    # Uniform attention: the global half gives 1/32 per token before scaling; both halves give
    # every token 1 / 8 after it.
    _uniform(attn)
    _, global_significance = attn._global(tokens, grid)
    torch.testing.assert_close(global_significance, torch.full((1, *grid), 1 / 32))
    _, significance = attn(tokens, grid)
    torch.testing.assert_close(significance, torch.full((1, *grid), 2 / 8))


def test_significance_of_one_exactly_tiled_frame_is_the_2d_sgformers():
    """One frame, 14x14 tokens, 7x7 windows and a 7x7 reduced grid (the 2D SG-Former's stage 3
    at 224x224): the significance is SG-Former's ``local + global``, each the attention received
    averaged over heads and queries, the global one nearest-upsampled (``sgformer.py``,
    ``Attention.forward``), computed here from the module's weights by that formula in 2D."""
    torch.manual_seed(0)
    dim, heads, ratio = 16, 2, 2
    attn = HybridScaleAttention(dim, heads, reduction_ratio=ratio, window_size=(8, 7, 7))
    with torch.no_grad():
        for parameter in attn.parameters():
            parameter.normal_(std=0.3)
    x = torch.randn(1, 14 * 14, dim)
    with torch.no_grad():
        _, significance = attn(x, (1, 14, 14))

        head_dim = dim // heads
        image = x.transpose(1, 2).reshape(1, dim, 14, 14)
        # The reduction pads time to 2 with zeros: only its first temporal tap sees the frame.
        reduced = F.conv2d(image, attn.reduce.weight[:, :, 0], attn.reduce.bias, stride=ratio)
        reduced = attn.reduce_act(attn.reduce_norm(reduced.flatten(2).transpose(1, 2)))
        q1 = attn.q_global(x).view(1, -1, heads // 2, head_dim).transpose(1, 2)
        k1 = attn.kv_global(reduced).view(1, -1, 2, heads // 2, head_dim)[:, :, 0].transpose(1, 2)
        attn1 = ((q1 @ k1.transpose(-2, -1)) * head_dim ** -0.5).softmax(-1)
        global_value = F.interpolate(attn1.mean(1).mean(1).view(1, 1, 7, 7), (14, 14),
                                     mode='nearest')[:, 0]
        # Local half: 2x2 windows of 7x7 tokens (window_partition of sgformer.py).
        q2 = attn.q_local(x).view(1, 2, 7, 2, 7, heads // 2, head_dim)
        k2 = attn.kv_local(x).view(1, 2, 7, 2, 7, 2, heads // 2, head_dim)[..., 0, :, :]
        q2 = q2.permute(0, 1, 3, 5, 2, 4, 6).reshape(1, 4, heads // 2, 49, head_dim)
        k2 = k2.permute(0, 1, 3, 5, 2, 4, 6).reshape(1, 4, heads // 2, 49, head_dim)
        attn2 = ((q2 @ k2.transpose(-2, -1)) * head_dim ** -0.5).softmax(-1)
        local_value = attn2.mean(2).mean(2).view(1, 2, 2, 7, 7).permute(0, 1, 3, 2, 4)
        expected = local_value.reshape(1, 14, 14) + global_value
    torch.testing.assert_close(significance[:, 0], expected, rtol=1e-5, atol=1e-7)


def test_window_shrinks_to_a_small_grid():
    attn = HybridScaleAttention(16, 2, reduction_ratio=8, window_size=(8, 7, 7))
    grid = (1, 3, 2)
    _, significance = attn(torch.randn(1, 6, 16), grid)
    # One window holds the whole grid (volume 6), one reduced token covers it: the local half
    # hands out 1 in all, the global half 1 per token, scaled by 1 reduced token / 6 slots.
    torch.testing.assert_close(significance.sum(), torch.tensor(1.0 + 6.0 / 6))


def test_most_significant_tokens_land_in_the_finest_groups():
    torch.manual_seed(0)
    significance = torch.randperm(64).float()[None]
    groups = group_tokens_by_significance(significance, ((0.25, 8), (0.5, 4), (0.25, 2)))
    ranks = significance[0].argsort()
    expected_parts = [ranks[:16], ranks[16:48], ranks[48:]]
    for (index, valid), part, shape in zip(groups, expected_parts, [(2, 8), (8, 4), (8, 2)]):
        assert index.shape == (1, *shape) and valid.all()
        assert set(index.flatten().tolist()) == set(part.tolist())
    # Within the finest part, groups follow the order of significance.
    assert significance[0, groups[2][0][0, -1]].min() >= significance[0, groups[2][0][0, 0]].max()


def test_grouping_pads_a_partial_group_and_breaks_ties_in_flattening_order():
    significance = torch.zeros(1, 30)
    groups = group_tokens_by_significance(significance, ((0.25, 4), (0.5, 4), (0.25, 4)))
    counts = [int(valid.sum()) for _, valid in groups]
    assert counts == [7, 15, 8]
    assert [tuple(valid.shape) for _, valid in groups] == [(2, 4), (4, 4), (2, 4)]
    real = torch.cat([index[0][valid] for index, valid in groups])
    assert real.tolist() == list(range(30))
    assert not groups[0][1][-1, -1] and groups[0][1][-1, :3].all()


def test_merging_fills_partial_groups_with_the_mean_of_their_tokens():
    tokens = torch.arange(6, dtype=torch.float32).view(1, 6, 1).repeat(1, 1, 2)
    groups = group_tokens_by_significance(torch.arange(6.0)[None], ((1.0, 4), ))
    merge = torch.nn.Linear(4, 1)
    with torch.no_grad():
        merge.weight.copy_(torch.tensor([[1.0, 2.0, 3.0, 4.0]]))
        merge.bias.fill_(0.5)
    merged = merge_token_groups(tokens, groups, torch.nn.ModuleList([merge]))
    # Group 1: 0..3. Group 2: 4, 5 and two slots filled with their mean 4.5.
    expected = torch.tensor([0 + 2 + 6 + 12 + 0.5, 4 + 10 + 13.5 + 18 + 0.5])
    torch.testing.assert_close(merged, expected.view(1, 2, 1).repeat(1, 1, 2))


def test_guided_attention_handles_tiny_and_uneven_grids():
    torch.manual_seed(0)
    attn = SignificanceGuidedAttention(16, 2, ((0.25, 196), (0.5, 56), (0.25, 28)))
    for grid in [(1, 2, 3), (3, 5, 7)]:
        tokens = torch.randn(2, math.prod(grid), 16)
        out = attn(tokens, grid, torch.rand(2, *grid))
        assert out.shape == tokens.shape and torch.isfinite(out).all()


def test_with_cp_gives_identical_outputs_and_gradients():
    torch.manual_seed(0)
    clips = torch.randn(2, 3, 3, 37, 45)
    boxes = [torch.tensor([[0.0, 0.0, 20.0, 30.0]]), torch.zeros(0, 4)]
    results = []
    for with_cp in (False, True):
        torch.manual_seed(1)
        model = SGFormer3D('tiny', with_cp=with_cp, with_pae=True, drop_path_rate=0.3)
        torch.manual_seed(2)
        out = model(clips, person_boxes=boxes)
        out.square().mean().backward()
        results.append((out, {n: p.grad for n, p in model.named_parameters()}))
    (out, grads), (out_cp, grads_cp) = results
    torch.testing.assert_close(out_cp, out, rtol=0, atol=0)
    for name, grad in grads.items():
        torch.testing.assert_close(grads_cp[name], grad, rtol=1e-5, atol=1e-7, msg=name)


@pytest.mark.parametrize('frozen_stages', [0, 2])
def test_frozen_stages(frozen_stages):
    model = SGFormer3D('tiny', frozen_stages=frozen_stages, drop_path_rate=0.1)
    model.train()
    frozen = [model.stages[0].entry] + list(model.stages[:frozen_stages])
    frozen_ids = {id(p) for m in frozen for p in m.parameters()}
    model(torch.randn(1, 3, 2, 48, 48)).sum().backward()
    for module in frozen:
        assert all(not m.training for m in module.modules())
    for param in model.parameters():
        if id(param) in frozen_ids:
            assert not param.requires_grad and param.grad is None
        else:
            assert param.requires_grad and param.grad is not None
    assert model.stages[frozen_stages].blocks.training


def test_drop_path_rises_linearly_over_all_blocks():
    model = SGFormer3D('small')
    rates = [m.drop_prob if isinstance(m, DropPath) else 0.0
             for stage in model.stages for block in stage.blocks for m in [block.drop_path]]
    expected = torch.linspace(0, 0.1, 23).tolist()
    assert rates == pytest.approx(expected)


@pytest.mark.parametrize('arch,low,high,drop_path_rate', [
    ('small', 27.0e6, 29.0e6, 0.1),
    ('medium', 45.0e6, 48.5e6, 0.2),
    ('base', 96.0e6, 101.0e6, 0.4),
])
def test_presets_build_with_plausible_sizes(arch, low, high, drop_path_rate):
    model = SGFormer3D(arch)
    assert low < sum(p.numel() for p in model.parameters()) < high
    last = model.stages[-1].blocks[-1].drop_path
    assert last.drop_prob == pytest.approx(drop_path_rate)


def test_faithful_group_sizes_are_the_default():
    model = SGFormer3D('tiny')
    sizes = [tuple(m.in_features for m in stage.blocks[1].attn.merges)
             for stage in model.stages[:3]]
    assert sizes == [(196, 56, 28), (49, 14, 7), (2, 1)]
    assert model.stages[0].entry.conv2.conv.stride == (2, 1, 1)


def test_arch_dict_registry_and_argument_checks():
    arch = dict(embed_dims=(8, 16, 32, 64), depths=(1, 2, 1, 1), num_heads=(2, 2, 2, 4))
    assert MODELS.module_dict['SGFormer3D'] is SGFormer3D
    model = SGFormer3D(arch)
    assert model(torch.randn(1, 3, 2, 32, 32)).shape == (1, 64, 1, 1, 1)
    with pytest.raises(ValueError):
        SGFormer3D(dict(arch, num_heads=(1, 2, 2, 4)))
    with pytest.raises(ValueError):
        SGFormer3D('tiny', out_indices=(4, ))
    with pytest.raises(ValueError):
        SGFormer3D('huge')


def test_pretrained_checkpoint_is_loaded_by_init_weights(tmp_path):
    torch.manual_seed(0)
    source = SGFormer3D('tiny')
    path = tmp_path / 'tiny.pth'
    torch.save({'state_dict': source.state_dict()}, path)
    torch.manual_seed(1)
    model = SGFormer3D('tiny', pretrained=str(path))
    model.init_weights()
    for name, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[name], value), name


def test_default_initialisation():
    model = SGFormer3D('tiny')
    linear = model.stages[2].blocks[0].mlp.fc1
    assert linear.weight.std().item() == pytest.approx(0.02, rel=0.1)
    assert (linear.bias == 0).all()
    dwconv = model.stages[2].blocks[0].mlp.dwconv.conv
    assert dwconv.weight.std().item() == pytest.approx(math.sqrt(2 / 27), rel=0.1)


def test_layer_norm_eps_follow_the_public_sgformer():
    """ImageNet SG-Former weights were trained with these norms: the stem's closing LayerNorm
    and the hybrid-scale grid reduction use PyTorch's default eps (1e-5), the blocks' pre-norms
    and the stages' closing norms 1e-6 (the public model's values)."""
    model = SGFormer3D(arch='tiny')
    assert model.stages[0].entry.norm.eps == 1e-5
    reduce_norms = [m.reduce_norm for m in model.modules() if hasattr(m, 'reduce_norm')]
    assert reduce_norms and all(norm.eps == 1e-5 for norm in reduce_norms)
    block_norms = [m for name, m in model.named_modules()
                   if isinstance(m, torch.nn.LayerNorm) and name.endswith(('norm1', 'norm2'))]
    assert block_norms and all(norm.eps == 1e-6 for norm in block_norms)


def test_window_attention_replaces_the_self_guided_blocks():
    torch.manual_seed(0)
    model = SGFormer3D(arch='tiny', attention='window', out_indices=(0, 1, 2, 3))
    kinds = [[block.kind for block in stage.blocks] for stage in model.stages]
    assert all(kind == 'window' for stage in kinds[:3] for kind in stage)
    assert set(kinds[3]) == {'global'}
    outs = model(torch.randn(2, 3, 4, 64, 64))
    reference = SGFormer3D(arch='tiny', out_indices=(0, 1, 2, 3))(torch.randn(2, 3, 4, 64, 64))
    assert [o.shape for o in outs] == [r.shape for r in reference]
    # Tokens in different windows of a window block do not see each other: perturbing one far
    # corner of the input changes the stage-1 output only near it (LePE / MLP convs reach 1 cell).
    block = model.stages[0].blocks[0].attn
    grid = (2, 16, 16)
    dim = model.stages[0].norm.normalized_shape[0]
    tokens = torch.randn(1, 2 * 16 * 16, dim)
    changed = tokens.clone().view(1, 2, 16, 16, dim)
    changed[:, :, -1, -1] += 1
    with torch.no_grad():
        delta = block(changed.view(1, -1, dim), grid) - block(tokens, grid)
    delta = delta.view(1, 2, 16, 16, dim)
    assert delta[:, :, :7, :7].abs().max() == 0 and delta[:, :, -1, -1].abs().max() > 0
    with pytest.raises(ValueError, match='pae_guidance=False'):
        SGFormer3D(arch='tiny', attention='window', with_pae=True)
    with pytest.raises(ValueError, match="'self_guided' or 'window'"):
        SGFormer3D(arch='tiny', attention='swin')
    SGFormer3D(arch='tiny', attention='window', with_pae=True, pae_guidance=False)


def test_reduction_fits_the_clip_length_so_no_tap_only_sees_padding():
    torch.manual_seed(0)
    padded = SGFormer3D('tiny', out_indices=(1, ))
    fitted = SGFormer3D('tiny', out_indices=(1, ), num_frames=8)
    # 8 frames: 4 time slices, so stage 1 (ratio 8) reduces time by 4; stage 2 (ratio 4) keeps 4.
    assert padded.stages[0].blocks[0].attn.reduce.kernel_size == (8, 8, 8)
    assert fitted.stages[0].blocks[0].attn.reduce.kernel_size == (4, 8, 8)
    assert fitted.stages[0].blocks[0].attn.reduce.stride == (4, 8, 8)
    assert fitted.stages[1].blocks[0].attn.reduce.kernel_size == (4, 4, 4)
    dead = 16 * 16 * 4 * 8 * 8  # stage 1's temporal taps 4..7
    assert (sum(p.numel() for p in padded.parameters())
            - sum(p.numel() for p in fitted.parameters())) == dead
    clip = torch.randn(1, 3, 8, 48, 64)
    padded(clip).square().mean().backward()
    assert padded.stages[0].blocks[0].attn.reduce.weight.grad[:, :, 4:].eq(0).all()
    fitted(clip).square().mean().backward()
    assert fitted.stages[0].blocks[0].attn.reduce.weight.grad.abs().sum((0, 1, 3, 4)).gt(0).all()
    # Same computation: the fitted model with the padded one's first four taps.
    state = {key: value[:, :, :4] if key == 'stages.0.blocks.0.attn.reduce.weight' else value
             for key, value in padded.state_dict().items()}
    fitted.load_state_dict(state)
    with torch.no_grad():
        torch.testing.assert_close(fitted(clip), padded(clip))
    # Other clip lengths still run, padded up to the kernel.
    assert fitted(torch.randn(1, 3, 12, 48, 64)).shape == (1, 32, 6, 6, 8)


def test_the_papers_clip_length_keeps_the_faithful_shapes():
    shapes = {k: v.shape for k, v in SGFormer3D('tiny').state_dict().items()}
    assert {k: v.shape for k, v in SGFormer3D('tiny', num_frames=32).state_dict().items()} \
        == shapes
    with pytest.raises(ValueError, match='num_frames'):
        SGFormer3D('tiny', num_frames=0)
