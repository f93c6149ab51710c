import math

import pytest
import torch
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
    # The grid is padded to 4x8x8: 2x2x2 windows, padded keys get no attention.
    torch.testing.assert_close(local_significance.sum(), torch.tensor(8.0))
    _, significance = attn(tokens, grid)
    torch.testing.assert_close(significance, global_significance + local_significance)


def test_window_shrinks_to_a_small_grid():
    attn = HybridScaleAttention(16, 2, reduction_ratio=8, window_size=(8, 7, 7))
    grid = (1, 3, 2)
    _, significance = attn(torch.randn(1, 6, 16), grid)
    # One window holds the whole grid, one reduced token covers it: 1 + 1 per token on average.
    torch.testing.assert_close(significance.sum(), torch.tensor(1.0 + 6.0))


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
