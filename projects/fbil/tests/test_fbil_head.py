"""FBILHead and the pose-softmax loss on random features: shapes, regions and masks against
hand-computed cells, masks that really hide, permutation, gradients, bad input."""
import math

import pytest
import torch
import torch.nn.functional as F

from vsgt_projects.fbil.fbil import BBoxHeadAVAPoseSoftmax, FBILHead, foreground_region

torch.set_num_threads(1)

C, D, STRIDE = 16, 32, 16


def make_head(seed=0, **kwargs):
    torch.manual_seed(seed)
    cfg = dict(in_channels=C, hidden_channels=D, featmap_stride=STRIDE, num_heads=4,
               ffn_channels=64, encoder_depth=1, fg_depth=1, bg_depth=1)
    cfg.update(kwargs)
    head = FBILHead(**cfg)
    head.init_weights()
    return head


def inputs(boxes_per_clip, grid=(7, 9), img_shapes=None, seed=0):
    """Random RoI features and maps of len(boxes_per_clip) clips; rois in input pixels."""
    generator = torch.Generator().manual_seed(seed)
    rois = torch.tensor([[clip, *box] for clip, boxes in enumerate(boxes_per_clip)
                         for box in boxes], dtype=torch.float32).reshape(-1, 5)
    x = torch.randn(len(rois), C, 1, 7, 7, generator=generator)
    feat = torch.randn(len(boxes_per_clip), C, 1, *grid, generator=generator)
    img_shapes = img_shapes or [(grid[0] * STRIDE, grid[1] * STRIDE)] * len(boxes_per_clip)
    metas = [dict(img_shape=shape, img_key=f'video,{clip:04d}')
             for clip, shape in enumerate(img_shapes)]
    return x, feat, rois, metas


def record_hidden(head, monkeypatch):
    """The key mask (True = hidden) each branch gets, per call."""
    calls = {name: [] for name in head.branches}
    for name, branch in head.branches.items():
        forward = branch.forward

        def spy(queries, context, hidden, self_attn_mask, name=name, forward=forward):
            calls[name].append(hidden[0].clone())
            return forward(queries, context, hidden, self_attn_mask)

        monkeypatch.setattr(branch, 'forward', spy)
    return calls


def record_outputs(head):
    outputs = {name: [] for name in head.branches}
    for name, branch in head.branches.items():
        branch.register_forward_hook(
            lambda module, args, out, name=name: outputs[name].append(out.detach().clone()))
    return outputs


ONE = [[20., 30., 50., 60.]]
THREE = [[0., 0., 30., 40.], [40., 20., 70., 90.], [100., 50., 140., 110.]]


@pytest.mark.parametrize('grid', [(7, 9), (12, 16)])
@pytest.mark.parametrize('boxes_per_clip', [[ONE], [THREE], [ONE, THREE], [THREE, ONE]])
@pytest.mark.parametrize('mode', ['train', 'eval'])
def test_shapes(grid, boxes_per_clip, mode):
    head = make_head()
    head.train(mode == 'train')
    x, feat, rois, metas = inputs(boxes_per_clip, grid)
    out = head(x, feat, rois, img_metas=metas)
    assert out.shape == (len(rois), 2 * D, 1, 1, 1) and head.out_channels == 2 * D
    assert torch.isfinite(out).all()


def test_no_rois_and_no_branch():
    x, feat, rois, metas = inputs([ONE, THREE])
    assert make_head()(x[:0], feat, rois[:0]).shape == (0, 2 * D, 1, 1, 1)
    with pytest.raises(ValueError, match=r'^sample 0 \(video,0000\): no proposals'):
        make_head()(x[1:], feat, rois[1:], metas)
    actor_only = make_head(with_fg=False, with_bg=False)
    assert actor_only.out_channels == D and not list(actor_only.branches)
    assert actor_only(x, feat, rois, metas).shape == (len(rois), D, 1, 1, 1)
    assert make_head(with_bg=False)(x, feat, rois, metas).shape == (len(rois), 2 * D, 1, 1, 1)


def test_foreground_region_by_hand():
    # One actor: (20, 30, 50, 60) doubled about its centre (35, 45) is (5, 15, 65, 75); cells
    # floor(5/16)=0 .. ceil(65/16)=5 across, floor(15/16)=0 .. ceil(75/16)=5 down, inclusive.
    expected = torch.zeros(7, 9, dtype=torch.bool)
    expected[0:6, 0:6] = True
    assert torch.equal(foreground_region(torch.tensor(ONE), STRIDE, (7, 9)), expected)
    # Several: min corner (0, 0) -> cell (0, 0); max corner (140, 110) -> ceil: 9 across (clipped
    # to column 8), 7 down (clipped to row 6): the whole 7x9 grid, but on a 6x8 grid of an
    # unpadded 96x128 clip the region stops at its last cells.
    assert foreground_region(torch.tensor(THREE), STRIDE, (7, 9)).all()
    expected = torch.zeros(4, 5, dtype=torch.bool)
    expected[1:4, 2:5] = True  # boxes (40, 20, 70, 50), (60, 30, 64, 40): x 2..4 (ceil 70/16=5)
    region = foreground_region(torch.tensor([[40., 20., 70., 50.], [60., 30., 64., 40.]]),
                               STRIDE, (4, 5))
    assert torch.equal(region, expected)


def test_round_masks_are_exactly_f_and_b(monkeypatch):
    head = make_head().eval()
    calls = record_hidden(head, monkeypatch)
    pair = [[10., 10., 30., 30.], [40., 20., 60., 50.]]
    x, feat, rois, metas = inputs([ONE, pair], (7, 9), img_shapes=[(112, 144), (80, 96)])
    head(x, feat, rois, metas)
    head(x, feat, rois, metas)
    region = foreground_region(torch.tensor(ONE), STRIDE, (7, 9)).flatten()
    assert torch.equal(calls['fg'][0], ~region) and torch.equal(calls['bg'][0], region)
    # clip 1: an unpadded 80x96 input has 5x6 cells, the only keys; F: columns 0..4
    region = foreground_region(torch.tensor(pair), STRIDE, (5, 6))
    assert region[:, :5].all() and not region[:, 5].any()
    region = region.flatten()
    assert calls['fg'][1].shape == (30, )
    assert torch.equal(calls['fg'][1], ~region) and torch.equal(calls['bg'][1], region)
    assert all(torch.equal(a, b) for a, b in zip(calls['fg'][:2], calls['fg'][2:]))


def test_foreground_comes_from_the_person_boxes_not_the_sampled_rois(monkeypatch):
    head = make_head().eval()
    calls = record_hidden(head, monkeypatch)
    # A sampled negative far from the person would widen F to the whole frame.
    x, feat, rois, metas = inputs([[ONE[0], [100., 80., 140., 110.]]], (7, 9))
    head(x, feat, rois, metas)
    widened = foreground_region(rois[:, 1:], STRIDE, (7, 9)).flatten()
    assert torch.equal(calls['bg'][0], widened)
    metas[0]['person_boxes'] = torch.tensor(ONE)
    head(x, feat, rois, metas)
    region = foreground_region(torch.tensor(ONE), STRIDE, (7, 9)).flatten()
    assert torch.equal(calls['bg'][1], region) and not torch.equal(region, widened)
    # No person boxes recorded (a clip without ground truth): the RoIs.
    metas[0]['person_boxes'] = torch.zeros(0, 4)
    head(x, feat, rois, metas)
    assert torch.equal(calls['bg'][2], widened)


def test_training_masks_hide_the_drawn_number(monkeypatch):
    head = make_head(seed=0).train()
    head.generator = torch.Generator().manual_seed(3)
    calls = record_hidden(head, monkeypatch)
    x, feat, rois, metas = inputs([ONE], (12, 16))
    head(x, feat, rois, metas)
    head(x, feat, rois, metas)
    region = foreground_region(torch.tensor(ONE), STRIDE, (12, 16)).flatten()
    num_f, num_b = int(region.sum()), int((~region).sum())
    for name, (beta, delta) in (('fg', (0.2, 1.0)), ('bg', (0.9, 0.2))):
        first, second = calls[name]
        assert int(first[region].sum()) == int(beta * num_f)
        assert int(first[~region].sum()) == int(delta * num_b)
        assert int(first.sum()) == int(beta * num_f) + int(delta * num_b)
        if name == 'bg':
            assert not torch.equal(first, second)  # a new draw per call
    again = make_head(seed=0).train()
    again.generator = torch.Generator().manual_seed(3)
    repeat = record_hidden(again, monkeypatch)
    again(x, feat, rois, metas)
    assert torch.equal(repeat['bg'][0], calls['bg'][0])  # repeatable from the seed


def test_a_mask_hiding_every_key_shows_them_all(monkeypatch):
    head = make_head().eval()
    calls = record_hidden(head, monkeypatch)
    x, feat, rois, metas = inputs([THREE])  # F is the whole grid: B is empty
    out = head(x, feat, rois, metas)
    assert not calls['fg'][0].any() and not calls['bg'][0].any()
    assert torch.isfinite(out).all()


def test_random_test_masks_are_seeded(monkeypatch):
    x, feat, rois, metas = inputs([ONE], (12, 16))
    outs = []
    for _ in range(2):
        head = make_head(test_mask='random', seed=5).eval()
        outs.append((head(x, feat, rois, metas), head(x, feat, rois, metas)))
    assert torch.equal(outs[0][0], outs[1][0]) and torch.equal(outs[0][1], outs[1][1])
    assert not torch.equal(outs[0][0], outs[0][1])


@pytest.mark.parametrize('where, unchanged', [('background', 'fg'), ('foreground', 'bg')])
def test_hidden_context_cannot_change_a_branch(where, unchanged):
    head = make_head(encoder_depth=0).eval()
    outputs = record_outputs(head)
    x, feat, rois, metas = inputs([ONE], (7, 9))
    region = foreground_region(torch.tensor(ONE), STRIDE, (7, 9))
    row, col = (region if where == 'foreground' else ~region).nonzero()[0].tolist()
    head(x, feat, rois, metas)
    feat[0, :, 0, row, col] += 5
    head(x, feat, rois, metas)
    changed = 'fg' if unchanged == 'bg' else 'bg'
    assert torch.equal(outputs[unchanged][0], outputs[unchanged][1])
    assert not torch.allclose(outputs[changed][0], outputs[changed][1])


def test_padded_cells_are_never_seen():
    head = make_head().eval()
    x, feat, rois, metas = inputs([THREE[:2], ONE], (7, 9), img_shapes=[(80, 96), (112, 144)])
    before = head(x, feat, rois, metas)
    feat[0, :, :, 5:, :] = 100.  # rows and columns beyond clip 0's 5x6 unpadded cells
    feat[0, :, :, :, 6:] = -100.
    assert torch.equal(before, head(x, feat, rois, metas))


def test_permuting_a_clips_rois_permutes_the_outputs():
    head = make_head().eval()
    x, feat, rois, metas = inputs([ONE, THREE])
    out = head(x, feat, rois, metas)
    order = torch.tensor([0, 3, 1, 2])
    permuted = head(x[order], feat, rois[order], metas)
    assert torch.allclose(permuted, out[order], atol=1e-5)


@pytest.mark.parametrize('mode, independent', [('none', True), ('clip', False)])
def test_actor_self_attention(mode, independent):
    head = make_head(actor_self_attn=mode).eval()
    x, feat, rois, metas = inputs([THREE])
    out = head(x, feat, rois, metas)
    x[2] += 3
    other = head(x, feat, rois, metas)
    assert torch.allclose(out[:2], other[:2], atol=1e-6) == independent


def test_frame_sized_box_and_fusion_weights():
    head = make_head().eval()
    x, feat, rois, metas = inputs([[[0., 0., 144., 112.]], ONE])
    assert torch.isfinite(head(x, feat, rois, metas)).all()
    # a box a crop cut down to the frame's edge is empty, not outside
    x, feat, rois, metas = inputs([[[0., 70., 0., 90.], [144., 0., 144., 10.]]])
    assert torch.isfinite(head(x, feat, rois, metas)).all()
    weights = head.fusion_weights(torch.randn(5, D))
    assert weights.shape == (5, 2) and torch.allclose(weights.sum(1), torch.ones(5))
    summed = make_head(fusion='sum')
    assert not hasattr(summed, 'afa')
    assert summed(x, feat, rois, metas).shape == (2, 2 * D, 1, 1, 1)


def test_every_parameter_gets_a_gradient_and_rois_stay():
    head = make_head(encoder_depth=2, fg_depth=2, bg_depth=2).train()
    x, feat, rois, metas = inputs([ONE, THREE], (12, 16))
    kept = rois.clone()
    head(x, feat, rois, metas).square().sum().backward()
    missing = [name for name, p in head.named_parameters()
               if p.grad is None or not torch.isfinite(p.grad).all() or not p.grad.any()]
    assert not missing
    assert torch.equal(rois, kept)


def test_bad_input_is_one_line():
    head = make_head()
    x, feat, rois, metas = inputs([ONE, THREE])
    bad = rois.clone()
    bad[2, 1:] = torch.tensor([150., 10., 180., 40.])  # right of the 144-pixel-wide frame
    wide = [dict(meta, img_shape=(224, 288)) for meta in metas]  # a stride-32 map at stride 16
    cases = [
        (lambda: head(x, feat, bad, metas),
         r'^sample 1 \(video,0001\): box \[150.0, 10.0, 180.0, 40.0\] lies outside its 144x112 '
         r'frame \(img_shape\)$'),
        (lambda: head(x, feat[:, :8], rois, metas),
         r'^shared_head.in_channels=16 does not fit the backbone, which gives a feature map of '
         r'shape \(2, 8, 1, 7, 9\)'),
        (lambda: head(x, feat, rois, wide),
         r'^sample 0 \(video,0000\): a 224x288 input needs 14x18 cells at '
         r'shared_head.featmap_stride=16, the feature map has 7x9'),
        (lambda: FBILHead(in_channels=C, hidden_channels=30, num_heads=4),
         r'^shared_head.hidden_channels \(30\) must be even and divisible by '
         r'shared_head.num_heads \(4\)$'),
        (lambda: FBILHead(in_channels=C, test_mask='soft'),
         r"^shared_head.test_mask must be one of \('round', 'random'\), got 'soft'$"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=message) as error:
            call()
        assert '\n' not in str(error.value)


def test_pose_softmax_loss_by_hand():
    torch.manual_seed(0)
    head = BBoxHeadAVAPoseSoftmax(pose_classes=[1, 2, 3], background_class=True,
                                  in_channels=8, num_classes=6, topk=())
    scores = torch.tensor([[9., 1., 2., -1., 0.5, -2.], [0., -3., 0., 3., 1., 4.]])
    labels = torch.tensor([[0., 0., 1., 0., 1., 0.], [0., 1., 0., 0., 0., 1.]])
    loss = head.pose_softmax_loss(scores, labels)
    # softmax over columns 1-3, sigmoid over 4-5, one mean BCE over the 5 non-background columns
    expected = 0.
    for row, target in zip(scores.tolist(), labels.tolist()):
        pose = [math.exp(v) for v in row[1:4]]
        probs = [v / sum(pose) for v in pose] + [1 / (1 + math.exp(-v)) for v in row[4:]]
        expected += sum(-(t * math.log(p) + (1 - t) * math.log(1 - p))
                        for p, t in zip(probs, target[1:]))
    assert loss.item() == pytest.approx(expected / 10, rel=1e-5)
    assert loss.item() == pytest.approx(
        F.binary_cross_entropy(head.scores(scores)[:, 1:], labels[:, 1:]).item(), rel=1e-5)
    probs = head.scores(scores)
    assert torch.allclose(probs[:, 1:4].sum(1), torch.ones(2))
    assert torch.allclose(probs[:, 4:], scores[:, 4:].sigmoid())
    with pytest.raises(ValueError, match='bbox_head.pose_classes'):
        BBoxHeadAVAPoseSoftmax(pose_classes=[0, 1], background_class=True, num_classes=6)
