"""AFSD and GAF: assignment, targets, losses on hand cases, GAF = AFSD with the attention at 1,
the two optimizers, two-stream fusion and its checkpoint checks, the distillation student."""
import math

import pytest
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from mmaction.structures import ActionDataSample
from vsgt_projects.gaf.gaf import (GAF, AFSDLocalizer, GAFStudent, TwoStreamFusion, assign_priors,
                              boundary_labels, complement_intervals, join_stream_checkpoints,
                              kl_to_attention, paste_background, softmax_focal_loss)

torch.set_num_threads(1)

SMALL = dict(in_channels=16, window_size=32, num_classes=3, channels=16, num_levels=4,
             frame_channels=16, norm_groups=4)
GAF_OPTIM = dict(
    constructor='GAFOptimWrapperConstructor',
    detector=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-2)),
    cvae=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-2)))


@pytest.fixture(autouse=True)
def mmaction_scope():
    init_default_scope('mmaction')


def samples(num_valid=(32, 20)):
    """Windows with two and one actions (window steps)."""
    gts = [([[2., 9.], [14., 30.]], [0, 2]), ([[4., 6.]], [1])]
    result = []
    for (segments, labels), valid in zip(gts, num_valid):
        sample = ActionDataSample()
        sample.gt_instances = InstanceData(segments=torch.tensor(segments),
                                           labels=torch.tensor(labels))
        sample.set_metainfo(dict(video_name='v', duration=40., feature_rate=1.,
                                 feature_offset=0., window_start=0, window_size=32, scale=1.,
                                 num_valid=valid))
        result.append(sample)
    return result


def test_coarse_assignment_hand_case():
    centres = torch.tensor([0.5, 1.5, 2.5, 4., 4.5, 8.])
    gt = torch.tensor([[1., 4.], [2., 3.], [7., 9.]])
    # 1.5: the first only; 2.5: both, the shorter second; 4: an end counts; 4.5: none.
    assert assign_priors(centres, gt).tolist() == [-1, 0, 1, 0, -1, 2]
    assert assign_priors(centres, gt[:0]).tolist() == [-1] * 6


def test_background_targets_are_the_complement_intervals():
    gt = torch.tensor([[8., 10.], [2., 5.]])
    assert complement_intervals(gt, 12).tolist() == [[0, 2], [5, 8], [10, 12]]
    assert complement_intervals(torch.tensor([[1., 4.], [3., 6.]]), 9).tolist() == [
        [0, 1], [6, 9]]
    assert complement_intervals(torch.tensor([[0., 3.], [3., 9.]]), 9).tolist() == []
    assert complement_intervals(torch.zeros(0, 2), 7).tolist() == [[0, 7]]


def _pasted(window, cut, span, th, after):
    """The hand-built window: ``th`` steps from ``span`` moved into the cut at ``cut``."""
    steps = list(range(window.shape[1]))
    if after:
        order = steps[:cut] + steps[span:span + th] + steps[cut:span] + steps[span + th:]
    else:
        order = steps[:span] + steps[span + th:cut] + steps[span:span + th] + steps[cut:]
    return window[:, order]


@pytest.mark.parametrize('seed', range(4))
def test_background_span_pasted_into_an_action_after_it(seed):
    """AFSD's ``augment_``: shortest action 3 steps (th = 3): only [2, 10] is longer than 6, cut
    at ceil(2) + 3 .. ceil(2) + ceil(8 - 3) - 1 = 5..6; boundaries 0, 2, 10, 14, 17, 19: the
    only region longer than 3 steps is [10, 14] (span at 10); the span's inside is
    [t + 1, t + th - 1]."""
    window = torch.arange(40.).reshape(2, 20)
    gt = torch.tensor([[2., 10.], [14., 17.]])
    torch.manual_seed(seed)
    new, parts = paste_background(window, gt, 20)
    cut = int(parts[0, 1])
    assert 5 <= cut <= 6
    assert parts.tolist() == [[2, cut], [cut + 3, 13], [cut + 1, cut + 2]]
    assert torch.equal(new, _pasted(window, cut, 10, 3, after=True))
    assert torch.equal(window, torch.arange(40.).reshape(2, 20))  # the input is left alone


def test_background_span_pasted_into_an_action_before_it():
    """th = 2; the only region longer than 2 steps, [3, 10], precedes the action [10, 18]:
    cut 12..15, span 3..7."""
    window = torch.arange(20.)[None]
    gt = torch.tensor([[10., 18.], [1., 3.]])
    for seed in range(4):
        torch.manual_seed(seed)
        new, parts = paste_background(window, gt, 20)
        cut = int(parts[1, 0])
        assert 12 <= cut <= 15
        assert parts.tolist() == [[8, cut - 2], [cut, 18], [cut - 1, cut - 1]]
        span = int(new[0, cut - 2])
        assert 3 <= span <= 7
        assert torch.equal(new, _pasted(window, cut, span, 2, after=False))


def test_a_span_starting_at_the_action_end_follows_it():
    """The region after [2, 10] starts exactly at 10: the span is moved right into the action
    (AFSD's code takes the 'precedes' branch there)."""
    window = torch.arange(20.)[None]
    torch.manual_seed(0)
    new, parts = paste_background(window, torch.tensor([[2., 10.], [14., 17.]]), 20)
    assert parts[1].tolist() == [parts[0, 1] + 3, 13]
    assert int(new[0, int(parts[0, 1])]) == 10


def test_nothing_pasted_without_a_long_action_or_a_gap():
    window = torch.zeros(1, 20)
    # th = 3: neither action is longer than 6 steps.
    assert paste_background(window, torch.tensor([[0., 3.], [5., 9.]]), 20) is None
    assert paste_background(window, torch.tensor([[0., 20.]]), 20) is None  # no gap
    assert paste_background(window, torch.zeros(0, 2), 20) is None


def test_triplet_loss_is_weighted_and_reaches_the_detector():
    torch.manual_seed(0)
    model = AFSDLocalizer(**SMALL)
    x = torch.randn(2, 16, 32)
    windows = samples()
    windows[0].gt_instances.segments = torch.tensor([[2., 12.], [20., 23.]])  # th 3
    torch.manual_seed(1)
    loss = model.ssl_loss(x, windows)['loss_ssl']
    assert loss > 0
    loss.backward()
    assert model.frame_branch[0][0].weight.grad.abs().sum() > 0
    assert model.conf_branch.boundary[0].weight.grad.abs().sum() > 0
    torch.manual_seed(1)
    double = AFSDLocalizer(**dict(SMALL, ssl_weight=0.2))
    double.load_state_dict(model.state_dict())
    torch.manual_seed(1)
    assert torch.allclose(double.ssl_loss(x, windows)['loss_ssl'], 2 * loss)
    assert AFSDLocalizer(**dict(SMALL, ssl_weight=0.)).ssl_loss(x, windows) == {}
    assert 'loss_ssl' in model(x, windows, mode='loss')
    short = samples()
    short[0].gt_instances = InstanceData(segments=torch.tensor([[0., 32.]]),
                                         labels=torch.tensor([0]))  # no gap
    short[1].gt_instances.segments = torch.tensor([[0., 3.]])  # too short to cut
    assert model.ssl_loss(x, short)['loss_ssl'].item() == 0


def test_kl_term_hand_case():
    attention = torch.rand(5, 4)
    zeros = torch.zeros(5, 4)
    assert kl_to_attention(attention, zeros, attention) == 0
    # mu one away: 0.5 (1 + 1 - 1 - 0); variance 2 at the mean: 0.5 (2 - 1 - log 2).
    assert kl_to_attention(attention + 1, zeros, attention).item() == pytest.approx(0.5)
    assert kl_to_attention(attention, zeros + math.log(2), attention).item() == pytest.approx(
        0.5 * (1 - math.log(2)))


def test_softmax_focal_loss_hand_case():
    logits = torch.zeros(2, 2)
    # p_t = 1/2 (+ AFSD's eps 1e-6) for both: (0.25 + 0.75) (1/2)^2 log 2.
    assert softmax_focal_loss(logits, torch.tensor([0, 1])).item() == pytest.approx(
        (0.5 - 1e-6)**2 * -math.log(0.5 + 1e-6), rel=1e-6)
    assert softmax_focal_loss(logits, torch.tensor([0, 1]), eps=0.).item() == pytest.approx(
        0.25 * math.log(2), rel=1e-6)


def test_boundary_labels_hand_case():
    # [2, 12.5] in frames (x4, index = position): 8 and 50, length 42 -> d / 2 = 2.1:
    # frames round(5.9) .. round(10.1) and round(47.9) .. round(52.1); clipped at the ends.
    labels = boundary_labels(torch.tensor([[2., 12.5]]), 64, 4)
    assert torch.nonzero(labels[0])[:, 0].tolist() == list(range(6, 11))
    assert torch.nonzero(labels[1])[:, 0].tolist() == list(range(48, 53))
    labels = boundary_labels(torch.tensor([[0.5, 63.]]), 64)  # d = 6.25
    assert torch.nonzero(labels[0])[:, 0].tolist() == list(range(0, 5))
    assert torch.nonzero(labels[1])[:, 0].tolist() == list(range(60, 64))


def test_shapes_losses_and_predictions_of_afsd():
    torch.manual_seed(0)
    model = AFSDLocalizer(**SMALL)
    x = torch.randn(2, 16, 32)
    outputs = model(x, mode='tensor')
    num_priors = 32 + 16 + 8 + 4
    assert outputs['distances'].shape == (2, num_priors, 2)
    assert (outputs['distances'] > 0).all()
    assert outputs['logits'].shape == outputs['prop_logits'].shape == (2, num_priors, 4)
    assert outputs['quality'].shape == (2, num_priors)
    assert outputs['start'].shape == (2, 128) and outputs['prop_start'].shape == (2, 2, 32)
    losses = model(x, samples(), mode='loss')
    assert set(losses) == {'loss_loc', 'loss_cls', 'loss_prop_loc', 'loss_prop_cls',
                           'loss_quality', 'loss_start', 'loss_end', 'loss_ssl'}
    assert all(torch.isfinite(value) and value >= 0 for value in losses.values())
    results = model(x, samples(), mode='predict')
    for result, valid in zip(results, (32, 20)):
        pred = result.pred_instances
        assert pred.segments.shape == (len(pred.scores), 2)
        assert (pred.scores > 0.01).all() and (pred.segments[:, 1] <= valid + 1e-6).all()
    with pytest.raises(ValueError, match=r'expects windows of shape \(16, 32\), got '
                                         r'\(16, 30\)'):
        model(torch.randn(1, 16, 30))


def test_lw_and_cw_scale_their_losses():
    torch.manual_seed(0)
    model = AFSDLocalizer(**SMALL, lw=1., cw=1.)
    outputs = model(torch.randn(2, 16, 32), mode='tensor')
    base = model.loss(outputs, samples())
    model.lw, model.cw = 10., 3.
    scaled = model.loss(outputs, samples())
    for key, factor in (('loss_loc', 10), ('loss_prop_loc', 10), ('loss_cls', 3),
                        ('loss_prop_cls', 3), ('loss_quality', 3), ('loss_start', 1)):
        assert scaled[key].item() == pytest.approx(factor * base[key].item(), rel=1e-5)


def test_attention_range_and_shape():
    torch.manual_seed(0)
    model = GAF(**SMALL, attention=dict(hidden=8, length=24))
    attention = model.attention(5 * torch.randn(3, 16, 32))
    assert attention.shape == (3, 16, 32)
    assert (attention >= 0).all() and (attention <= 1).all()
    assert attention.std() > 0


def test_foreground_and_background_normalisation():
    torch.manual_seed(0)
    x, attention = torch.randn(2, 16, 32), torch.rand(2, 16, 32)
    model = GAF(**SMALL, norm='mean')
    mask = model._valid_mask(x, [32, 20])
    foreground = model.foreground(x, attention, mask)
    assert torch.allclose(foreground[1], x[1] * attention[1] / attention[1, :, :20].mean())
    background = model.background(x, attention, mask)
    assert torch.allclose(background[0], x[0] * (1 - attention[0]) / (1 - attention[0]).mean())
    faithful = GAF(**SMALL).foreground(x, attention, mask)
    total = attention[0].sum() + attention[1, :, :20].sum()
    assert torch.allclose(faithful, x * attention / total)
    with pytest.raises(ValueError, match="norm must be one of"):
        GAF(**SMALL, norm='sum')


def test_gaf_with_attention_one_equals_afsd_for_shared_weights():
    torch.manual_seed(0)
    gaf = GAF(**SMALL, norm='mean', bg_weight=0., pull_weight=0.)
    afsd = AFSDLocalizer(**SMALL)
    missing, unexpected = afsd.load_state_dict(gaf.state_dict(), strict=False)
    assert not missing and all(k.startswith(('attention.', 'cvae.')) for k in unexpected)
    gaf.attention.forward = torch.ones_like
    x = torch.randn(2, 16, 32)
    gaf_losses = gaf.detector_loss(x, samples())
    afsd_losses = afsd(x, samples(), mode='loss')
    assert set(gaf_losses) == set(afsd_losses)
    for key, value in afsd_losses.items():
        assert torch.allclose(gaf_losses[key], value, rtol=1e-5, atol=1e-6), key
    gaf.eval(), afsd.eval()
    for a, b in zip(gaf(x, samples(), mode='predict'), afsd(x, samples(), mode='predict')):
        assert torch.allclose(a.pred_instances.scores, b.pred_instances.scores, atol=1e-6)
        assert torch.allclose(a.pred_instances.segments, b.pred_instances.segments, atol=1e-5)
    plain = GAF(**SMALL, with_gaf=False)
    assert not hasattr(plain, 'attention') and not hasattr(plain, 'cvae')
    assert set(plain.state_dict()) == set(afsd.state_dict())


def test_background_pass_is_the_official_coarse_cost_and_the_pull_its_term():
    torch.manual_seed(0)
    model = GAF(**SMALL, bg_weight=35., pull_warmup=0)
    x = torch.randn(2, 16, 32)
    losses = model.detector_loss(x, samples())
    assert {'loss_cls_bg', 'loss_pull'} <= set(losses)
    assert not {'loss_loc_bg', 'loss_prop_cls_bg', 'loss_prop_loc_bg', 'loss_quality_bg',
                'loss_start_bg'} & set(losses)
    # Every valid prior against background, summed (N = 1), x cw x bg_weight.
    mask = model._valid_mask(x, [32, 20])
    with torch.no_grad():
        logits = model.detect(model.background(x, model.attention(x), mask))['logits']
    valid = model.prior_centres[None] < torch.tensor([[32], [20]])
    log_p = logits[valid].log_softmax(-1)[:, 0]
    expected = -(0.25 * (1 - log_p.exp())**2 * log_p).sum()
    assert torch.allclose(losses['loss_cls_bg'], 35 * expected, rtol=1e-5)


def test_the_two_optimizers_update_their_own_parameters():
    torch.manual_seed(0)
    model = GAF(**SMALL, pull_warmup=0)
    data = dict(inputs=list(torch.randn(2, 16, 32)), data_samples=samples())
    wrappers = build_optim_wrapper(model, GAF_OPTIM)
    assert set(wrappers.keys()) == {'detector', 'cvae'}
    cvae = {id(p) for p in model.cvae.parameters()}
    detector = {id(p) for group in wrappers['detector'].param_groups for p in group['params']}
    assert {id(p) for group in wrappers['cvae'].param_groups for p in group['params']} == cvae
    assert detector == {id(p) for p in model.parameters()} - cvae
    for frozen in ('detector', 'cvae'):
        for group in wrappers[frozen].param_groups:
            group['lr'] = 0.
        before = {name: p.detach().clone() for name, p in model.named_parameters()}
        log_vars = model.train_step(data, wrappers)
        assert {'loss', 'loss_cvae_rec', 'loss_cvae_kl', 'loss_loc', 'loss_cls_bg',
                'loss_pull'} <= set(log_vars)
        for name, param in model.named_parameters():
            in_cvae = name.startswith('cvae.')
            unchanged = torch.equal(before[name], param)
            if in_cvae == (frozen == 'cvae'):
                assert unchanged, name
        assert any(not torch.equal(before[name], param) for name, param in
                   model.named_parameters() if name.startswith('cvae.') == (frozen != 'cvae'))
        for group in wrappers[frozen].param_groups:
            group['lr'] = 1e-2


def test_gaf_refuses_one_optimizer_and_the_constructor_needs_both_keys():
    model = GAF(**SMALL)
    plain = build_optim_wrapper(model, dict(optimizer=dict(type='Adam', lr=1e-3)))
    data = dict(inputs=list(torch.randn(2, 16, 32)), data_samples=samples())
    with pytest.raises(KeyError, match="GAF trains with two optimizers"):
        model.train_step(data, plain)
    with pytest.raises(KeyError, match=r"needs exactly the keys \['detector', 'cvae'\]"):
        build_optim_wrapper(model, dict(GAF_OPTIM, cvae=None, extra=1))
    with pytest.raises(ValueError, match='with_gaf=False has one optimizer'):
        build_optim_wrapper(GAF(**SMALL, with_gaf=False), GAF_OPTIM)


def stream(input_range):
    return dict(type='GAF', **dict(SMALL, in_channels=8), input_range=input_range)


def test_fusion_of_two_copies_equals_one_model():
    torch.manual_seed(0)
    fusion = TwoStreamFusion(rgb=stream((0, 8)), flow=stream((0, 8)))
    fusion.flow.load_state_dict(fusion.rgb.state_dict())
    fusion.eval()
    x = torch.randn(2, 16, 32)
    fused = fusion(x, samples(), mode='predict')
    single = fusion.rgb(x, samples(), mode='predict')
    for a, b in zip(fused, single):
        assert torch.allclose(a.pred_instances.scores, b.pred_instances.scores, atol=1e-6)
        assert torch.allclose(a.pred_instances.segments, b.pred_instances.segments, atol=1e-5)
    other = TwoStreamFusion(rgb=stream((0, 8)), flow=stream((8, 16)))
    other.load_state_dict(fusion.state_dict())
    raw = other(x, mode='tensor')
    rgb, flow = other.rgb(x, mode='tensor'), other.flow(x, mode='tensor')
    assert torch.allclose(raw['logits'], (rgb['logits'] + flow['logits']) / 2)
    with pytest.raises(ValueError, match='TwoStreamFusion is for testing'):
        other(x, samples(), mode='loss')


def test_joined_checkpoints_and_one_line_errors(tmp_path):
    torch.manual_seed(0)
    fusion = TwoStreamFusion(rgb=stream((0, 8)), flow=dict(stream((8, 16)), with_gaf=False))
    rgb, flow = MODELS.build(stream((0, 8))), MODELS.build(dict(stream((8, 16)),
                                                                 with_gaf=False))
    paths = dict(rgb=str(tmp_path / 'rgb.pth'), flow=str(tmp_path / 'flow.pth'))
    torch.save(dict(state_dict=rgb.state_dict()), paths['rgb'])
    torch.save(dict(state_dict=flow.state_dict()), paths['flow'])
    joined = join_stream_checkpoints(fusion, paths)
    fusion.load_state_dict(joined)
    assert torch.equal(fusion.rgb.attention.temporal.weight, rgb.attention.temporal.weight)
    swapped = dict(rgb=paths['flow'], flow=paths['rgb'])
    with pytest.raises(ValueError, match=r"checkpoint .*flow.pth does not fit the rgb model: "
                                         r"key 'attention.project.0.weight' is missing"):
        join_stream_checkpoints(fusion, swapped)
    wide = MODELS.build(dict(stream((8, 16)), with_gaf=False, channels=32, norm_groups=4))
    torch.save(dict(state_dict=wide.state_dict()), paths['flow'])
    with pytest.raises(ValueError, match=r"flow.pth does not fit the flow model: key "
                                         r"'frame_branch.0.0.weight' has shape \(16, 32, 3\), "
                                         r"the model \(16, 16, 3\)"):
        join_stream_checkpoints(fusion, paths)


def test_kd_student_learns_the_teachers_attention(tmp_path):
    torch.manual_seed(0)
    narrow = dict(SMALL, channels=8, frame_channels=8)
    student = GAFStudent(**narrow, teacher=dict(type='GAF', **SMALL), pull_warmup=0)
    wrappers = build_optim_wrapper(student, GAF_OPTIM)
    optimised = {id(p) for name in ('detector', 'cvae')
                 for group in wrappers[name].param_groups for p in group['params']}
    assert optimised.isdisjoint(id(p) for p in student.teacher.parameters())
    teacher = {key: value.clone() for key, value in student.teacher.state_dict().items()}
    x = torch.randn(2, 16, 32)
    data = dict(inputs=list(x), data_samples=samples())

    def gap():
        with torch.no_grad():
            return F.mse_loss(student.attention(x), student.teacher.attention(x)).item()

    start = gap()
    for _ in range(15):
        log_vars = student.train_step(data, wrappers)
    assert 'loss_kd_attention' in log_vars
    assert gap() < 0.75 * start  # measured: 0.023 -> 0.012
    assert all(torch.equal(teacher[key], value)
               for key, value in student.teacher.state_dict().items())

    path = tmp_path / 'teacher.pth'
    torch.save(dict(state_dict=GAF(**narrow).state_dict()), path)
    student.teacher_checkpoint = str(path)
    with pytest.raises(ValueError, match=r'teacher.pth does not fit the model of this config: '
                                         r'.*stem.0.weight has shape \(8, 16, 1\)'):
        student.init_weights()
    with pytest.raises(ValueError, match="the teacher's window_size is 64, the student's 32"):
        GAFStudent(**SMALL, teacher=dict(type='GAF', **dict(SMALL, window_size=64)))


def test_kd_student_pass_a_distils_the_teachers_reconstruction():
    """Pass A adds kd_rec_weight x MSE(student's reconstruction, teacher's decoded posterior
    mean); with the weight 0 it is GAF's pass A alone."""
    torch.manual_seed(0)
    student = GAFStudent(**SMALL, teacher=dict(type='GAF', **SMALL), kd_rec_weight=0.5)
    x = torch.randn(2, 16, 32)
    torch.manual_seed(1)
    losses = student.cvae_loss(x, samples())
    torch.manual_seed(1)
    _, rebuilt, mask = student.cvae_pass(x, samples())
    teacher = student.teacher
    with torch.no_grad():
        rows = teacher._rows(x, mask)
        attention = teacher._rows(teacher.attention(x), mask)
        target = teacher.cvae.decode(teacher.cvae.encode(rows, attention)[0], attention)
    assert rebuilt.shape == (32 + 20, 16)
    assert torch.allclose(losses['loss_kd_rec'], 0.5 * F.mse_loss(rebuilt, target))
    losses['loss_kd_rec'].backward()
    assert student.cvae.decoder[0].weight.grad.abs().sum() > 0
    assert all(p.grad is None for p in teacher.parameters())
    student.kd_rec_weight = 0.
    assert set(student.cvae_loss(x, samples())) == {'loss_cvae_rec', 'loss_cvae_kl'}
