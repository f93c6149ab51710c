"""VSGN's pieces on random tensors: graphs, anchors, coder, assigners, losses and inference."""
import math

import pytest
import torch
from mmaction.structures import ActionDataSample
from mmengine.structures import InstanceData

from vsgt_projects.vsgn.vsgn import VSGN, AnchorAssigner, SegmentCoder, cross_scale_knn, make_anchors
from vsgt_projects.vsgn.vsgn.vsgn import balanced_logistic_loss, boundary_targets

torch.set_num_threads(1)
T = 256


def plain_knn(x, k):
    points = x.transpose(1, 2)
    return torch.cdist(points, points).topk(k, largest=False).indices


def test_unstitched_graph_is_plain_knn():
    x = torch.randn(2, 8, 40)
    neighbours = cross_scale_knn(x, 6)
    assert neighbours.shape == (2, 40, 6)
    for mine, plain in zip(neighbours.reshape(-1, 6), plain_knn(x, 6).reshape(-1, 6)):
        assert set(mine.tolist()) == set(plain.tolist())
    assert (neighbours[..., 0] == torch.arange(40)).all()  # self first


def test_magnified_positions_link_original_ones():
    torch.manual_seed(0)
    x = torch.randn(1, 8, 40)
    x[..., 25:] += 5  # the magnified part is far away: plain kNN would stay inside it
    neighbours = cross_scale_knn(x, 6, magnified_from=torch.tensor([25.]))
    assert (neighbours[0, 25:, 3:] < 25).all()
    assert (neighbours[0, 25:, :3] >= 25).all()  # its first k/2 are the plain nearest
    plain = plain_knn(x, 6)[0, :25]
    for mine, reference in zip(neighbours[0, :25], plain):  # original ones are unaffected
        assert set(mine.tolist()) == set(reference.tolist())


def test_padding_is_nobodys_neighbour_and_short_lists_repeat_self():
    x = torch.randn(1, 4, 10)
    neighbours = cross_scale_knn(x, 6, num_valid=torch.tensor([4.]))
    assert (neighbours[0, :4] < 4).all()
    row = neighbours[0, 0]
    assert set(row.tolist()) == {0, 1, 2, 3} and (row == 0).sum() == 3


def test_graph_layer_on_a_level_shorter_than_k():
    # 4 positions, k = 12: every position's list is the 4 positions, then itself (8 in all), so
    # the layer's max over edges is the max over all positions' messages (+ its own centre term)
    from vsgt_projects.vsgn.vsgn.xgpn import CrossScaleGraphLayer
    torch.manual_seed(0)
    layer = CrossScaleGraphLayer(channels=5, num_neighbours=12)
    x = torch.randn(2, 5, 4)
    out = layer(x)
    points = x.transpose(1, 2)
    messages = points @ layer.mlp.weight[:, :5].T
    centre = points @ layer.mlp.weight[:, 5:].T + layer.mlp.bias
    expected = messages.amax(dim=1, keepdim=True) + centre
    torch.testing.assert_close(out, expected.transpose(1, 2))


def test_anchor_count_and_layout_of_the_thumos_window():
    sizes = [1280 // 2**(level + 2) for level in range(5)]
    anchors = make_anchors(sizes, [4, 8, 16, 32, 64], (1., 1.5))
    assert anchors.shape == (1240, 2)
    # the official AnchorGenerator's first and last anchors: [c - (w - 1) / 2, c + (w - 1) / 2]
    torch.testing.assert_close(anchors[:4], torch.tensor([[0.5, 3.5], [-0.5, 4.5], [4.5, 7.5],
                                                          [3.5, 8.5]]))
    torch.testing.assert_close(anchors[-1], torch.tensor([1248 - 47.5, 1248 + 47.5]))


def test_coder_round_trip_and_clamp():
    coder = SegmentCoder()
    anchors = torch.tensor([[0., 4.], [10., 25.], [100., 196.]])
    segments = torch.tensor([[1., 3.], [2., 40.], [150., 160.]])
    deltas = coder.encode(anchors, segments)
    torch.testing.assert_close(coder.decode(anchors, deltas), segments)
    # dx = 10 (c - c_a) / w_a, dw = 5 log(w / w_a), widths + 1
    expected = torch.tensor([10 * (21 - 17.5) / 16, 5 * math.log(39 / 16)])
    torch.testing.assert_close(deltas[1], expected)
    huge = coder.decode(anchors[:1], torch.tensor([[0., 1e4]]))
    assert huge[0, 1] - huge[0, 0] + 1 == pytest.approx(5 * 1000 / 16, rel=1e-4)


def test_max_iou_assigner_keeps_every_gt_best_match_with_ties():
    anchors = torch.tensor([[0., 10.], [5., 15.], [20., 30.], [40., 50.], [60., 70.]])
    gt = torch.tensor([[0., 9.], [30., 60.]])  # the second overlaps two anchors at IoU 1/3
    matched = AnchorAssigner('max_iou').assign(anchors, gt, [5])
    assert matched.tolist() == [0, -1, -1, 1, -1]
    # [40, 50] and [60, 70] tie at IoU 0.2 with [45, 65]: both kept
    matched = AnchorAssigner('max_iou').assign(anchors, torch.tensor([[45., 65.]]), [5])
    assert matched.tolist() == [-1, -1, -1, 0, 0]


def test_atss_assigner_uses_centre_distance_and_statistics():
    anchors = make_anchors([16, 8], [4, 8], (1., ))
    matched = AnchorAssigner('atss', topk=3).assign(anchors, torch.tensor([[20., 30.]]), [16, 8])
    positive = anchors[matched == 0]
    assert len(positive) >= 1
    centres = positive.mean(1)
    assert ((centres > 20) & (centres < 30)).all()
    with pytest.raises(ValueError, match="'max_iou' or 'atss'"):
        AnchorAssigner('fixed')


def test_boundary_targets_by_hand():
    targets = boundary_targets(torch.tensor([[2., 5.]]), 8)
    # actionness on the steps 2..5, both ends included (Utils/dataset_thumos.py)
    torch.testing.assert_close(targets[0], torch.tensor([0., 0., 1., 1., 1., 1., 0., 0.]))
    # start region [0.5, 3.5] against steps [t, t + 1]
    torch.testing.assert_close(targets[1], torch.tensor([.5, 1., 1., .5, 0., 0., 0., 0.]))
    torch.testing.assert_close(targets[2], torch.tensor([0., 0., 0., .5, 1., 1., .5, 0.]))


def test_balanced_logistic_loss_weights_both_classes_equally():
    targets = torch.tensor([1., 0., 0., 0.])
    probs = torch.tensor([0.5, 0.5, 0.5, 0.5])
    # ratio 4: weights 2 (positive) and 2/3 (negatives): -(2 + 3 * 2/3) log(0.5 + 1e-5) / 4
    assert balanced_logistic_loss(probs, targets).item() == pytest.approx(
        -math.log(0.5 + 1e-5))


def sample(segments, labels, stitch=None, num_valid=T):
    data_sample = ActionDataSample()
    data_sample.gt_instances = InstanceData(segments=torch.tensor(segments).reshape(-1, 2),
                                            labels=torch.tensor(labels, dtype=torch.long))
    meta = dict(video_name='v', duration=60., feature_rate=7.5, feature_offset=0.,
                window_start=0, window_size=T, scale=1., num_valid=num_valid)
    if stitch is not None:
        meta['stitch'] = stitch
    data_sample.set_metainfo(meta)
    return data_sample


def small_model(**kwargs):
    torch.manual_seed(0)
    return VSGN(in_channels=16, window_size=T, num_classes=3, channels=32, num_levels=4,
                num_neighbours=6, head_depth=2, **kwargs)


def batch():
    # every ground truth keeps its best segments (low-quality matches): stage 2 has positives
    return [sample([[10., 30.], [100., 104.], [16., 24.]], [0, 2, 1]),
            sample([[2., 5.], [108., 112.]], [1, 1], stitch=dict(n=50, gap=6, m=200)),
            sample([], [], num_valid=180)]


@pytest.mark.parametrize('kwargs', [dict(), dict(assigner='atss', cls_loss='focal'),
                                    dict(use_xgpn=False, anchor_levels=(1, ))])
def test_losses_are_finite_and_reach_every_parameter(kwargs):
    model = small_model(**kwargs)
    losses = model(torch.randn(3, 16, T), batch(), mode='loss')
    assert set(losses) == {'loss_cls', 'loss_reg', 'loss_adj', 'loss_action', 'loss_start',
                           'loss_end'}
    assert all(torch.isfinite(value) and value >= 0 for value in losses.values())
    sum(losses.values()).backward()
    missing = [name for name, p in model.named_parameters()
               if p.grad is None or not p.grad.abs().sum() > 0]
    assert not missing


def test_stage_two_loss_trains_the_stage_one_regression():
    model = small_model()
    model(torch.randn(3, 16, T), batch(), mode='loss')['loss_adj'].backward()
    assert model.head.reg.weight.grad.abs().sum() > 0  # through the unclamped segments
    assert model.head.cls.weight.grad is None or not model.head.cls.weight.grad.any()


@pytest.mark.parametrize('ignore_padding', [False, True])
def test_padding_counts_in_the_losses_unless_ignored(ignore_padding):
    model = small_model(ignore_padding=ignore_padding)
    x = torch.randn(1, 16, T)
    x[..., 180:] = 0
    losses = model(x, [sample([[10., 30.]], [0], num_valid=180)], mode='loss')
    probs = model(x, [sample([[10., 30.]], [0], num_valid=180)])[3]
    targets = boundary_targets(torch.tensor([[10., 30.]]), T)
    valid = 180 if ignore_padding else T
    expected = 0.2 * balanced_logistic_loss(probs[0, 0, :valid], targets[0, :valid])
    assert losses['loss_action'].item() == pytest.approx(expected.item(), rel=1e-5)


def test_boundary_scores_average_floor_and_ceiling():
    model = small_model().eval()
    num = model.anchors.shape[0]
    logits = torch.full((1, num, 4), -20.)
    logits[0, 0, 1] = 20.  # one confident anchor of class 0
    adjusted = torch.zeros(1, num, 2)
    adjusted[0, 0] = torch.tensor([2.5, 5.5])
    logits[0, 1, 1] = 20.
    adjusted[0, 1] = float('nan')  # a diverged segment is dropped, not an indexing error
    probs = torch.ones(1, 3, T)
    probs[0, 1, 2:4] = torch.tensor([0.2, 0.6])
    probs[0, 2, 5:7] = torch.tensor([0.5, 1.0])
    results = model.predict((logits, None, adjusted, probs), [sample([], [])])
    pred = results[0].pred_instances
    assert len(pred.scores) == 1 and pred.scores[0].item() == pytest.approx(0.4 * 0.75)


def test_tensor_mode_shapes():
    model = small_model()
    logits, segments, adjusted, probs = model(torch.randn(3, 16, T), batch())
    num_anchors = (64 + 32 + 16 + 8) * 2
    assert logits.shape == (3, num_anchors, 4) and segments.shape == (3, num_anchors, 2)
    assert adjusted.shape == (3, num_anchors, 2) and probs.shape == (3, 3, T)
    assert ((probs >= 0) & (probs <= 1)).all()


def test_predictions_are_seconds_inside_the_video_part():
    model = small_model().eval()
    with torch.no_grad():
        results = model(torch.randn(3, 16, T), batch(), mode='predict')
    for result in results:
        pred = result.pred_instances
        assert pred.segments.shape == (len(pred.scores), 2) and pred.labels.dtype == torch.long
        assert (pred.labels < 3).all()
        assert (pred.segments[:, 1] > pred.segments[:, 0]).all()
        n = result.metainfo.get('stitch', {}).get('n', result.metainfo['num_valid'])
        assert (pred.segments >= 0).all() and (pred.segments <= (n - 1) / 7.5 + 1e-5).all()


def test_gap_and_copy_predictions_map_into_the_original_clip():
    model = small_model().eval()
    stitch = dict(n=50, gap=6, m=200)
    samples = [sample([], [], stitch=stitch)]
    num = model.anchors.shape[0]
    logits = torch.full((1, num, 4), -10.)
    logits[0, :3, 1] = 10.  # three confident anchors of class 0
    adjusted = torch.zeros(1, num, 2)
    adjusted[0, :3] = torch.tensor([[51., 54.], [56. + 40., 56. + 80.], [10., 20.]])
    probs = torch.ones(1, 3, T)
    results = model.predict((logits, None, adjusted, probs), samples)
    segments = results[0].pred_instances.segments * 7.5
    expected = torch.tensor([[0., 0.], [10., 20.], [10., 20.]])  # gap -> clipped to 0; copy
    assert len(segments) == 1  # gap one has zero length; copy and original merge in one NMS
    torch.testing.assert_close(segments, expected[1:2])


def test_bad_input_is_reported():
    model = small_model()
    with pytest.raises(ValueError, match='window_size is 256'):
        model(torch.randn(1, 16, 128), [sample([], [])], mode='loss')
    with pytest.raises(ValueError, match="mode must be"):
        model(torch.randn(1, 16, T), [sample([], [])], mode='features')
    with pytest.raises(ValueError, match='multiple of'):
        VSGN(in_channels=16, window_size=100, num_classes=3)
