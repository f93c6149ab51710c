"""GAF's own modules against the official code (``Generative-Feature-Model/GAF``,
``GAF/thumos14/BDNet.py``, ``multisegment_loss.py``, ``train.py``), and the end-to-end GAF.

The fixture numbers below were computed by the official modules, built on CPU (``randn`` on
the CPU instead of ``device='cuda'``), with the weights that :func:`official_weights` draws
for our key names mapped onto the official keys by ``official_keys_gaf``; our modules gave the
same numbers (attention to 0, CVAE to 2e-6).
"""
import os.path as osp
import re

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from mmaction.structures import ActionDataSample
from vsgt_projects.gaf.gaf import (AFSD, GAF, GAFE2E, GAFTrainLoop, MapAttention, MapCVAE,
                                   background_cost, kl_to_attention, pull_scale)
from vsgt.testing import ROOT
from vsgt_projects.gaf.gaf.official_keys_gaf import GAF_RULES, gaf_key

torch.set_num_threads(1)

#: The GAF keys of an official THUMOS14 checkpoint (``BDNet.state_dict()``) and their shapes.
OFFICIAL_GAF_KEYS = {
    'deconv1.0.weight': (512, 1024, 1, 3, 3), 'deconv1.0.bias': (512, ),
    'deconv1.1.weight': (512, ), 'deconv1.1.bias': (512, ),
    'deconv2.0.weight': (512, 832, 1, 6, 6), 'deconv2.0.bias': (512, ),
    'deconv2.1.weight': (512, ), 'deconv2.1.bias': (512, ),
    'Att_Head_4f.0.conv1d.weight': (832, 512, 3), 'Att_Head_4f.0.conv1d.bias': (832, ),
    'Att_Head_4f.1.weight': (832, ), 'Att_Head_4f.1.bias': (832, ),
    'Att_Head_4f.3.weight': (64, 832), 'Att_Head_4f.3.bias': (64, ),
    'Att_Head_5c.0.conv1d.weight': (1024, 512, 3), 'Att_Head_5c.0.conv1d.bias': (1024, ),
    'Att_Head_5c.1.weight': (1024, ), 'Att_Head_5c.1.bias': (1024, ),
    'Att_Head_5c.3.weight': (32, 1024), 'Att_Head_5c.3.bias': (32, )}


@pytest.fixture(autouse=True)
def mmaction_scope():
    init_default_scope('mmaction')


def gaf_modules() -> nn.Module:
    """GAF's modules at the official sizes (96x96 frames, 256-frame windows)."""
    model = nn.Module()
    model.attention = nn.ModuleDict(dict(mixed_4f=MapAttention(832, 64, (6, 6)),
                                         mixed_5c=MapAttention(1024, 32, (3, 3))))
    model.cvae = nn.ModuleDict(dict(mixed_4f=MapCVAE(832, (6, 6)),
                                    mixed_5c=MapCVAE(1024, (3, 3))))
    return model


def official_weights(model: nn.Module) -> dict:
    """Weights drawn per key (sorted): matrices N(0, 1 / fan), norms 1 + N(0, 0.01), biases
    N(0, 0.01)."""
    generator = torch.Generator().manual_seed(0)
    weights = {}
    for key, value in sorted(model.state_dict().items()):
        noise = torch.randn(value.shape, generator=generator)
        if value.dim() > 1:
            weights[key] = noise / value[0].numel()**0.5
        elif key.endswith('weight'):
            weights[key] = 1 + 0.1 * noise
        else:
            weights[key] = 0.1 * noise
    return weights


def i3d_maps():
    generator = torch.Generator().manual_seed(1)
    return (torch.randn(1, 832, 64, 6, 6, generator=generator).relu(),
            torch.randn(1, 1024, 32, 3, 3, generator=generator).relu())


@pytest.fixture(scope='module')
def official_sized():
    model = gaf_modules()
    model.load_state_dict(official_weights(model))
    return model, i3d_maps()


def test_every_official_gaf_tensor_maps_to_our_key_and_shape():
    ours = gaf_modules().state_dict()
    mapped = {gaf_key(key): shape for key, shape in OFFICIAL_GAF_KEYS.items()}
    assert None not in mapped
    assert {key: tuple(ours[key].shape) for key in mapped} == mapped
    assert gaf_key('module.Att_Head_5c.3.weight') == 'attention.mixed_5c.temporal.weight'
    assert gaf_key('cencoder_832.con2.0.weight') == 'cvae.mixed_4f.collapse.0.weight'
    assert gaf_key('cdecoder.deconv.1.bias') == 'cvae.mixed_5c.expand.1.bias'
    assert gaf_key('coarse_pyramid_detection.loc_head.conv1d.weight') is None
    for key in OFFICIAL_GAF_KEYS:
        hits = [template.format(**match.groupdict()) for pattern, template in GAF_RULES
                for match in [re.fullmatch(pattern, key)] if match]
        assert hits == [gaf_key(key)], key
    # The official CVAE's 40 tensors map one to one onto ours.
    cvae_keys = [key for key in ours if key.startswith('cvae.')]
    assert len(cvae_keys) == 40


def test_map_attention_equals_the_official_heads(official_sized):
    model, (x4f, x5c) = official_sized
    with torch.no_grad():
        a4f, a5c = model.attention['mixed_4f'](x4f), model.attention['mixed_5c'](x5c)
    assert a4f.shape == (1, 832, 64) and a5c.shape == (1, 1024, 32)
    # official: Att_Head_4f(deconv2(Mixed_4f)), Att_Head_5c(deconv1(Mixed_5c))
    for attention, total, first, second, std in (
            (a4f, 26173.20703125, 0.40765535831451416, 0.4099193215370178, 0.14349395036697388),
            (a5c, 16507.25390625, 0.37068378925323486, 0.631362795829773, 0.15410858392715454)):
        assert attention.sum().item() == pytest.approx(total, rel=1e-5)
        assert attention[0, 5, 3].item() == pytest.approx(first, abs=1e-6)
        assert attention[0, 700, 20].item() == pytest.approx(second, abs=1e-6)
        assert attention.std().item() == pytest.approx(std, rel=1e-5)


def test_without_the_collapse_norm_the_attention_differs_from_the_official():
    torch.manual_seed(0)
    bare = MapAttention(64, 8, (3, 3), hidden=32, collapse_norm=False)
    assert isinstance(bare.project, nn.Conv3d)
    faithful = MapAttention(64, 8, (3, 3), hidden=32)
    assert [type(m) for m in faithful.project] == [nn.Conv3d, nn.GroupNorm, nn.ReLU]
    with pytest.raises(ValueError, match='expects maps of 3x3 positions, got 2x2'):
        faithful(torch.randn(1, 64, 8, 2, 2))


def test_map_cvae_equals_the_official_cvae(official_sized):
    model, maps = official_sized
    # official: CVAE('forward', map, attention) after torch.manual_seed(3), loss_cvae(...);
    # CVAE('inference', att=attention) after torch.manual_seed(4), then mean((rebuilt - map)^2).
    expected = dict(
        mixed_4f=(130.64126586914062, 111.46107482910156, 773566.4375, 1006058.375,
                  0.7234300374984741, 773167.75, 0.7020598649978638),
        mixed_5c=(-711.9714965820312, -53.73176193237305, 117783.3046875, 149163.59375,
                  0.7070558071136475, 117744.6328125, 0.6838834881782532))
    for name, feature in zip(('mixed_4f', 'mixed_5c'), maps):
        cvae = model.cvae[name]
        with torch.no_grad():
            attention = model.attention[name](feature)
            torch.manual_seed(3)
            mu, log_var, rebuilt = cvae(feature, attention)
            loss = F.mse_loss(rebuilt, feature) + 0.1 * kl_to_attention(
                mu, log_var, attention.transpose(1, 2))
            torch.manual_seed(4)
            drawn = cvae.generate(attention)
        mu_sum, log_var_sum, rebuilt_sum, rebuilt_sq, cvae_loss, drawn_sum, pull = \
            expected[name]
        assert rebuilt.shape == feature.shape and drawn.shape == feature.shape
        assert mu.sum().item() == pytest.approx(mu_sum, rel=1e-4)
        assert log_var.sum().item() == pytest.approx(log_var_sum, rel=1e-4)
        assert rebuilt.sum().item() == pytest.approx(rebuilt_sum, rel=1e-5)
        assert rebuilt.pow(2).sum().item() == pytest.approx(rebuilt_sq, rel=1e-5)
        assert loss.item() == pytest.approx(cvae_loss, rel=1e-5)
        assert drawn.sum().item() == pytest.approx(drawn_sum, rel=1e-5)
        assert F.mse_loss(drawn, feature).item() == pytest.approx(pull, rel=1e-5)


def test_background_cost_equals_the_official_background_pass():
    """Official: ``MultiSegmentLoss`` on the gaps of the ground truth (label 0) of two windows
    of 126 priors, ``cost_bg = lw x loss_l + cw x loss_c`` = 374.5919494628906 (loss_l 0: no
    positive prior; the refined focal term, 214.90, is not part of the cost)."""
    generator = torch.Generator().manual_seed(2)
    logits = 3 * torch.randn(2, 126, 21, generator=generator)
    cost = background_cost(logits.reshape(-1, 21), cw=1.)
    assert cost.item() == pytest.approx(374.5919494628906, rel=1e-5)
    assert background_cost(logits.reshape(-1, 21), cw=2.).item() == pytest.approx(
        2 * 374.5919494628906, rel=1e-5)


def test_pull_scale_follows_the_official_epoch_schedule():
    hub = MessageHub.get_instance('test_gaf_pull_scale')
    hub.update_info('max_epochs', 300)
    for epoch, expected in ((0, 0.5 / 300), (149, 0.25), (299, 0.5)):
        hub.update_info('epoch', epoch)
        assert pull_scale(0.5, None) == pytest.approx(expected)
    hub.update_info('iter', 50)
    assert pull_scale(0.5, 100) == pytest.approx(0.25)


# ---------------------------------------------------------------- the end-to-end model
@MODELS.register_module(name='GAFTestTwoMaps', force=True)
class TwoMaps(nn.Module):
    """A stand-in for I3D: ``(B, 3, T, H, W)`` -> ``(B, c4, T / 4, H / 16, W / 16)``,
    ``(B, c5, T / 8, H / 32, W / 32)``."""

    def __init__(self, channels=(16, 32)):
        super().__init__()
        self.first = nn.Conv3d(3, channels[0], (4, 16, 16), (4, 16, 16))
        self.second = nn.Conv3d(channels[0], channels[1], 2, 2)

    def forward(self, x):
        first = self.first(x).relu()
        return first, self.second(first).relu()


E2E = dict(backbone=dict(type='GAFTestTwoMaps'), num_classes=3, window_size=64, crop_size=32,
           feature_channels=(16, 32), channels=16, frame_channels=16, num_levels=3,
           norm_groups=4, attention_hidden=8)
GAF_OPTIM = dict(
    constructor='GAFOptimWrapperConstructor',
    detector=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-2)),
    cvae=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-2)))


def frame_samples():
    """Windows of 64 frames with two and one actions (frames)."""
    result = []
    for segments, labels in (([[4., 20.], [30., 60.]], [0, 2]), ([[10., 40.]], [1])):
        sample = ActionDataSample()
        sample.gt_instances = InstanceData(segments=torch.tensor(segments),
                                           labels=torch.tensor(labels))
        sample.set_metainfo(dict(video_name='v', duration=20., feature_rate=10.,
                                 feature_offset=0., window_start=0, window_size=64, scale=1.,
                                 num_valid=64))
        result.append(sample)
    return result


def test_gaf_e2e_keys_and_init():
    torch.manual_seed(0)
    model = GAFE2E(**E2E)
    keys = set(model.state_dict())
    for name in ('mixed_4f', 'mixed_5c'):
        assert {f'attention.{name}.project.0.weight', f'attention.{name}.project.1.weight',
                f'attention.{name}.mix.0.weight', f'attention.{name}.temporal.weight',
                f'cvae.{name}.collapse.0.weight', f'cvae.{name}.encoder.4.weight',
                f'cvae.{name}.decoder.0.weight', f'cvae.{name}.expand.1.bias'} <= keys
    assert model.attention['mixed_4f'].temporal.out_features == 16
    assert model.attention['mixed_5c'].project[0].kernel_size == (1, 1, 1)
    # GAF's reset_params: N(0, 0.01) on towers, heads and branches; the rest keeps AFSD's
    # Glorot (bound sqrt(6 / (fan_in + fan_out))); biases 0.
    for conv in (model.loc_tower[0][0], model.conf_head, model.loc_branch.fuse[0],
                 model.quality_head):
        assert conv.weight.std().item() == pytest.approx(0.01, rel=0.3)
        assert not conv.bias.any()
    lateral = model.lateral[0][0]
    bound = (6 / (lateral.weight[0].numel() + lateral.weight[:, 0].numel()))**0.5
    assert lateral.weight.abs().max() <= bound and lateral.weight.std() > 0.1 * bound
    afsd_init = GAFE2E(**E2E, init='afsd')
    assert afsd_init.loc_tower[0][0].weight.std() > 0.05
    with pytest.raises(ValueError, match="init must be one of"):
        GAFE2E(**E2E, init='normal')


def test_gaf_e2e_with_attention_one_equals_afsd():
    torch.manual_seed(0)
    gaf = GAFE2E(**E2E, norm='mean', bg_weight=0., pull_weight=0., ssl_weight=0.)
    afsd = AFSD(**{k: v for k, v in E2E.items() if k != 'attention_hidden'}, ssl_weight=0.)
    missing, unexpected = afsd.load_state_dict(gaf.state_dict(), strict=False)
    assert not missing and all(k.startswith(('attention.', 'cvae.')) for k in unexpected)
    for attention in gaf.attention.values():
        attention.forward = lambda x: torch.ones_like(x[..., 0, 0])
    x = torch.rand(2, 3, 64, 32, 32) * 2 - 1
    gaf_losses = gaf.detector_loss(x, frame_samples())
    afsd_losses = afsd(x, frame_samples(), mode='loss')
    assert set(gaf_losses) == set(afsd_losses)
    for key, value in afsd_losses.items():
        assert torch.allclose(gaf_losses[key], value, rtol=1e-5, atol=1e-6), key
    gaf.eval(), afsd.eval()
    for a, b in zip(gaf(x, frame_samples(), mode='predict'),
                    afsd(x, frame_samples(), mode='predict')):
        assert torch.allclose(a.pred_instances.scores, b.pred_instances.scores, atol=1e-6)


def test_gaf_e2e_foreground_and_background_maps_are_the_official_ones():
    torch.manual_seed(0)
    model = GAFE2E(**E2E)
    maps = [torch.rand(2, 16, 16, 2, 2), torch.rand(2, 32, 8, 1, 1)]
    attentions = [torch.rand(2, 16, 16), torch.rand(2, 32, 8)]
    fg = model.weigh(maps, attentions)
    bg = model.weigh(maps, attentions, background=True)
    for m, a, f, b in zip(maps, attentions, fg, bg):
        a = a[..., None, None]
        assert torch.allclose(f, m * a / a.sum())
        assert torch.allclose(b, m * (1 - a) / (1 - a).sum())


def test_gaf_e2e_pull_targets():
    torch.manual_seed(0)
    x = torch.rand(2, 3, 64, 32, 32) * 2 - 1
    pulls = {}
    for target in ('features', 'background'):
        model = GAFE2E(**E2E, pull_warmup=0, bg_weight=0., ssl_weight=0., pull_target=target)
        model.load_state_dict(pulls.get('state', model.state_dict()))
        pulls['state'] = model.state_dict()
        maps = model.backbone(x)
        attentions = model.attend(maps)
        wanted = maps if target == 'features' else model.weigh(maps, attentions, True)
        torch.manual_seed(1)
        pulls[target] = model.detector_loss(x, frame_samples())['loss_pull']
        torch.manual_seed(1)
        expected = 0.5 * sum(F.mse_loss(cvae.generate(a), m)
                             for cvae, m, a in zip(model.cvae.values(), wanted, attentions))
        assert torch.allclose(pulls[target], expected)
    assert not torch.allclose(pulls['features'], pulls['background'])
    with pytest.raises(ValueError, match="pull_target must be 'features' or 'background'"):
        GAFE2E(**E2E, pull_target='bg')


def test_gaf_e2e_trains_each_part_with_its_optimizer_and_predicts():
    torch.manual_seed(0)
    model = GAFE2E(**E2E, pull_warmup=0)
    data = dict(inputs=list(torch.rand(2, 3, 64, 32, 32) * 2 - 1), data_samples=frame_samples())
    wrappers = build_optim_wrapper(model, GAF_OPTIM)
    cvae = {id(p) for p in model.cvae.parameters()}
    detector = {id(p) for group in wrappers['detector'].param_groups for p in group['params']}
    assert detector == {id(p) for p in model.parameters()} - cvae
    for phase, moves in (('cvae', 'cvae.'), ('detector', ('backbone.', 'attention.',
                                                          'loc_tower.'))):
        model.train_phase = phase
        before = {name: p.detach().clone() for name, p in model.named_parameters()}
        log_vars = model.train_step(data, wrappers)
        assert ('loss_cvae_rec' in log_vars) == (phase == 'cvae')
        assert ('loss_cls_bg' in log_vars) == (phase == 'detector')
        for name, param in model.named_parameters():
            changed = not torch.equal(before[name], param)
            if name.startswith('cvae.') != (phase == 'cvae'):
                assert not changed, (phase, name)
        assert any(not torch.equal(before[name], param) for name, param in
                   model.named_parameters() if name.startswith(moves))
    model.train_phase = 'both'
    log_vars = model.train_step(data, wrappers)
    assert {'loss_cvae_rec', 'loss_cvae_kl', 'loss_loc', 'loss_cls_bg', 'loss_ssl',
            'loss_pull'} <= set(log_vars)
    assert all(torch.isfinite(value) for value in log_vars.values())
    model.eval()
    with torch.no_grad():
        results = model.test_step(dict(inputs=data['inputs'], data_samples=frame_samples()))
    assert all(len(result.pred_instances.scores) > 0 for result in results)


class _Runner:
    """What :class:`GAFTrainLoop` uses of a runner."""

    def __init__(self, model):
        self.model, self.hooks = model, []

    def call_hook(self, name, **kwargs):
        self.hooks.append(name)


def test_gaf_train_loop_runs_an_epoch_of_cvae_then_one_of_detector():
    model = GAF(in_channels=16, window_size=32, num_classes=3, channels=16, num_levels=4,
                frame_channels=16, norm_groups=4)
    runner = _Runner(model)
    loop = GAFTrainLoop.__new__(GAFTrainLoop)
    loop._runner, loop.dataloader, loop._epoch = runner, ['a', 'b', 'c'], 0
    phases = []
    loop.run_iter = lambda idx, batch: phases.append((model.train_phase, batch))
    loop.run_epoch()
    assert phases == [('cvae', 'a'), ('cvae', 'b'), ('cvae', 'c'), ('detector', 'a'),
                      ('detector', 'b'), ('detector', 'c')]
    assert runner.hooks == ['before_train_epoch', 'after_train_epoch']
    assert model.train_phase == 'both' and loop._epoch == 1
    model.train_phase = 'cvae only'
    data = dict(inputs=list(torch.randn(2, 16, 32)), data_samples=frame_samples())
    with pytest.raises(ValueError, match='train_phase must be one of'):
        model.train_step(data, build_optim_wrapper(model, GAF_OPTIM))


def test_faithful_e2e_configs_hold_the_official_hyper_parameters():
    from mmengine.config import Config
    root = osp.join(ROOT, 'projects', 'gaf', 'configs')
    rgb = Config.fromfile(osp.join(root, 'gaf_thumos14-rgb.py'))
    # configs/thumos14.yaml and train.py / test.py of the official GAF.
    assert rgb.model.type == 'GAFE2E' and rgb.model.backbone.type == 'InceptionI3D'
    assert not rgb.model.backbone.freeze_bn_affine  # train.py re-enables their gradients
    assert (rgb.model.window_size, rgb.model.crop_size, rgb.model.num_classes) == (256, 96, 20)
    assert (rgb.model.bg_weight, rgb.model.kl_weight, rgb.model.pull_weight) == (35., .1, .5)
    assert rgb.model.pull_warmup is None and (rgb.model.lw, rgb.model.cw) == (10., 1.)
    assert rgb.train_cfg.type == 'GAFTrainLoop' and rgb.train_cfg.max_epochs == 300
    assert rgb.train_dataloader.batch_size == 8 and rgb.val_dataloader.batch_size == 1
    assert rgb.train_dataloader.dataset.window_stride == 30
    assert rgb.val_dataloader.dataset.window_stride == 128
    assert rgb.val_evaluator.nms.sigma == 0.01 and rgb.model.test_cfg.score_thr == 0.01
    detector = rgb.optim_wrapper.detector.optimizer
    assert (detector.type, detector.lr, detector.weight_decay) == ('Adam', 1e-5, 1e-3)
    cvae = rgb.optim_wrapper.cvae.optimizer
    assert (cvae.type, cvae.lr, tuple(cvae.betas)) == ('Adam', 1e-3, (0.8, 0.999))
    flow = Config.fromfile(osp.join(root, 'gaf_thumos14-flow.py'))
    assert flow.model.type == 'AFSD' and flow.model.in_channels == 2
    assert flow.train_dataloader.batch_size == 1 and flow.train_cfg.max_epochs == 16
    assert flow.val_evaluator.nms.sigma == 0.5
    assert flow.train_dataloader.dataset.modality == 'Flow'
    synthetic = Config.fromfile(osp.join(root, 'gaf_synthetic-frames.py'))
    assert synthetic.train_dataloader.dataset.type == 'TALFrameDataset'
    assert synthetic.model.crop_size == 32 and synthetic.train_cfg.type == 'GAFTrainLoop'

    # The faithful model holds every GAF tensor of an official checkpoint (I3D stand-in).
    model = dict(rgb.model, backbone=dict(type='GAFTestTwoMaps', channels=(832, 1024)))
    state = MODELS.build(model).state_dict()
    for key, shape in OFFICIAL_GAF_KEYS.items():
        assert tuple(state[gaf_key(key)].shape) == shape, key


def test_gaf_synthetic_frames_config_trains_and_predicts_with_i3d():
    from vsgt.testing import assert_predicts_in_video, assert_train_step_learns, load_config
    cfg = load_config(osp.join(ROOT, 'projects', 'gaf', 'configs', 'gaf_synthetic-frames.py'))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    assert type(model.backbone).__name__ == 'InceptionI3D'
    size = cfg.model.window_size
    samples = frame_samples()
    for sample in samples:
        sample.set_metainfo(dict(window_size=size, num_valid=size))
    data = dict(inputs=list(torch.rand(2, 3, size, 32, 32) * 2 - 1), data_samples=samples)
    assert_train_step_learns(model, data, build_optim_wrapper(model, cfg.optim_wrapper))
    assert_predicts_in_video(model, data)
