"""Boundary max pooling: the sparse table and the pooled maxima equal loops, values and
gradients."""
import pytest
import torch

from vsgt_projects.gaf.gaf import (boundary_max_pool, boundary_ranges, boundary_regions,
                                   max_sparse_table)


def loop_pool(feature, regions):
    """Reference: a Python loop over windows, regions and halves."""
    bounds = regions.round().long().clamp(0, feature.shape[-1] - 1)
    half = feature.shape[1] // 2
    out = []
    for b in range(feature.shape[0]):
        columns = []
        for lo_s, hi_s, lo_e, hi_e in bounds[b].tolist():
            start = feature[b, :half, lo_s:max(hi_s, lo_s) + 1].max(-1).values
            end = feature[b, half:, lo_e:max(hi_e, lo_e) + 1].max(-1).values
            columns.append(torch.cat([start, end]))
        out.append(torch.stack(columns, -1))
    return torch.stack(out)


def test_sparse_table_holds_the_maxima_of_power_of_two_widths():
    feature = torch.randn(2, 3, 13)
    values, indices = max_sparse_table(feature)
    assert values.shape == indices.shape == (2, 4, 3, 13)
    for level in range(4):
        width = 2**level
        for t in range(13 - width + 1):
            best = feature[..., t:t + width].max(-1)
            assert torch.equal(values[:, level, :, t], best.values)
            assert torch.equal(indices[:, level, :, t], best.indices + t)


@pytest.mark.parametrize('length', [1, 7, 16, 64])
def test_pooling_equals_a_loop_values_and_gradients(length):
    torch.manual_seed(length)
    feature = torch.randn(3, 8, length, requires_grad=True)
    # Ranges of every kind: inside, reversed, past both ends, fractional.
    regions = torch.rand(3, 11, 4) * (length + 6) - 3
    pooled = boundary_max_pool(feature, regions)
    expected = loop_pool(feature, regions)
    assert pooled.shape == (3, 8, 11)
    assert torch.equal(pooled, expected)
    weights = torch.randn_like(pooled)
    grad, = torch.autograd.grad((pooled * weights).sum(), feature)
    expected_grad, = torch.autograd.grad((expected * weights).sum(), feature)
    assert torch.allclose(grad, expected_grad, atol=1e-6)


def test_pooling_shares_a_precomputed_table_and_needs_even_channels():
    feature = torch.randn(2, 4, 20)
    regions = torch.tensor([[[0., 3., 10., 19.], [5., 5., 2., 8.]]]).expand(2, -1, -1)
    assert torch.equal(boundary_max_pool(feature, regions, max_sparse_table(feature)),
                       boundary_max_pool(feature, regions))
    assert torch.equal(boundary_max_pool(feature, regions)[:, :2, 0],
                       feature[:, :2, 0:4].amax(-1))
    with pytest.raises(ValueError, match='even number of channels, got 3'):
        boundary_max_pool(torch.randn(1, 3, 5), regions[:1])


def test_boundary_regions_hand_case():
    # AFSD's frame-level ranges: index = position, length e - s + 1. [10, 30]: length 21 ->
    # start [10 - 2.1, 10 + 5.25], end [30 - 5.25, 30 + 2.1], rounded; a short segment's sides
    # are at least one frame; unit 4 maps window steps to frames.
    segments = torch.tensor([[10., 30.], [10., 12.]])
    assert boundary_regions(segments).tolist() == [[8, 15, 25, 32], [9, 11, 11, 13]]
    assert boundary_regions(torch.tensor([[2., 12.]]), 4.).tolist() == [[4, 18, 38, 52]]
    # level ranges: position i -/+ distances, length = their sum
    assert boundary_ranges(torch.tensor([1.5]), torch.tensor([11.5]),
                           torch.tensor([10.])).tolist() == [[0, 4, 9, 12]]
