"""End-to-end AFSD against numbers of the official code.

The figures in ``OFFICIAL`` come from the official AFSD THUMOS14 ``BDNet`` (its
``CoarsePyramid``, ``MultiSegmentLoss`` and the loss assembly of ``train.py`` with ``--lw=10
--cw=1 --piou=0.5 --ssl=0.1``), run on a CPU with its CUDA boundary pooling replaced by a loop
over the kernel's forward definition, on the same frames, backbone stand-in (:class:`MapsStandIn`
in place of the I3D) and weights as here: the official tensors filled by :func:`official_weights`
and mapped onto ours by the converter. With torch 1.4 (the official requirement) the quality
loss sends no gradient through its IoU target; ours neither.
"""
import json
import math
import os.path as osp

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmaction.structures import ActionDataSample
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData

from vsgt_projects.gaf.gaf import AFSD, SameConv1d, TwoStreamFusion, glorot_uniform_
from vsgt_projects.gaf.tools.convert_official_checkpoint import convert

torch.set_num_threads(1)

KEYS = osp.join(osp.dirname(osp.abspath(__file__)), 'afsd_official_keys.json')
# The official figures (see the module docstring): sums and elements of the outputs, losses.
OFFICIAL = {'outputs': {'distances_sum': 4562.2676,
             'distances_abs_sum': 4562.2676,
             'distances_elements': [18.803381, 19.626259, 19.617474, 19.626362, 15.86969,
                                    15.8697, 17.274374],
             'logits_sum': 67.865165,
             'logits_abs_sum': 255.68565,
             'logits_elements': [0.0089758709, -0.014283367, -0.014363158, -0.014280383,
                                 -0.04053814, -0.04056149, 0.13361488],
             'offsets_sum': 514.66489,
             'offsets_abs_sum': 514.66489,
             'offsets_elements': [0.93435311, 0.9716419, 0.97164315, 0.97164184, 0.97470027,
                                  0.9747116, 0.9663775],
             'prop_logits_sum': 154.8646,
             'prop_logits_abs_sum': 4362.0726,
             'prop_logits_elements': [2.1776671, 2.1712689, 2.1712837, 2.1712699, 2.1808021,
                                      2.180804, 2.1846521],
             'quality_sum': 14.695694,
             'quality_abs_sum': 14.695694,
             'quality_elements': [0.066690072, 0.12380897, 0.12382283, 0.12380989, 0.10844332,
                                  0.10834906, 0.11684766],
             'start_sum': 82.538538,
             'start_abs_sum': 82.538538,
             'start_elements': [0.3646349, 0.32196146, 0.32195592, 0.32200685, 0.32199901,
                                0.32195693, 0.32196042, 0.32201242],
             'end_sum': 83.189428,
             'end_abs_sum': 83.189428,
             'end_elements': [0.36611661, 0.32451117, 0.32450587, 0.32455388, 0.32454774,
                              0.32450658, 0.3245101, 0.32455942],
             'prop_start_sums': [20.781863, 20.660557],
             'prop_end_sums': [20.708083, 20.863375]},
 'losses': {'loss_loc': 5.7030516,
            'loss_cls': 2.5525291,
            'loss_prop_loc': 31.178301,
            'loss_prop_cls': 4.8417211,
            'loss_quality': 0.69721907,
            'loss_start': 0.52908677,
            'loss_end': 0.53284234,
            'loss_ssl': 0.11991755}}


def deterministic(shape, salt: float) -> torch.Tensor:
    """``sin(0.618 i + salt)`` over the elements, float32."""
    numel = math.prod(shape)
    return torch.sin(torch.arange(numel, dtype=torch.float64) * 0.618 + salt).float().reshape(
        shape)


def official_weights(layout: dict) -> dict:
    """The official detector's tensors (``coarse_pyramid_detection.*`` of ``layout``), filled
    deterministically: convs ``~ 1.7 / sqrt(fan_in)``, GroupNorm ``1 + 0.1 sin``, biases
    ``0.1 sin``, the scales ``1 + 0.1 sin``, and a coarse-distance bias of 3 (segments of
    about 40 frames, so that refined positives exist)."""
    weights = {}
    for index, (key, shape) in enumerate(layout.items()):
        if not key.startswith('coarse_pyramid_detection.'):
            continue
        value = deterministic(shape, index / 7)
        if len(shape) > 1:
            value = value * 1.7 / math.sqrt(math.prod(shape[1:]))
        elif key.endswith('.scale') or (key.endswith('weight') and '.conv' not in key):
            value = 1 + 0.1 * value
        else:
            value = 0.1 * value + (3. if key.endswith('loc_head.conv1d.bias') else 0.)
        weights[key] = value
    return weights


@MODELS.register_module()
class MapsStandIn(nn.Module):
    """A backbone with I3D's two maps from frames ``(B, C, T, H, W)``: average pools over
    ``4 x 16 x 16`` and ``8 x 32 x 32`` and fixed projections to 832 and 1024 channels. With
    ``layout_file`` (a JSON of official keys -> shapes), it also holds (unused) tensors named
    as the keys under ``prefix``, e.g. the official I3D's."""

    def __init__(self, in_channels: int = 3, layout_file: str = None,
                 prefix: str = 'backbone._model.'):
        super().__init__()
        self.in_channels = in_channels
        layout = json.load(open(layout_file)) if layout_file else {}
        for key, shape in layout.items():
            if not key.startswith(prefix):
                continue
            *path, name = key[len(prefix):].split('.')
            module = self
            for part in path:
                if part not in module._modules:
                    module.add_module(part, nn.Module())
                module = module._modules[part]
            if name == 'num_batches_tracked':
                module.register_buffer(name, torch.zeros((), dtype=torch.long))
            elif name.startswith('running_'):
                module.register_buffer(name, torch.zeros(shape))
            else:
                module.register_parameter(name, nn.Parameter(torch.zeros(shape)))

    def forward(self, x: torch.Tensor):
        maps = []
        for salt, (width, (steps, size)) in enumerate(zip((832, 1024), ((4, 16), (8, 32)))):
            pooled = F.avg_pool3d(x, (steps, size, size))
            projection = deterministic((width, self.in_channels), salt)
            maps.append(torch.tanh(torch.einsum('bcthw,oc->bothw', pooled, projection) * 3))
        return tuple(maps)


@pytest.fixture(autouse=True)
def mmaction_scope():
    init_default_scope('mmaction')


def frames() -> torch.Tensor:
    return deterministic((1, 3, 256, 96, 96), 0.5)


def window():
    """AFSD's targets for the window (frames): three actions, 0-based labels."""
    sample = ActionDataSample()
    sample.gt_instances = InstanceData(
        segments=torch.tensor([[20.3, 75.8], [110., 190.4], [200.6, 214.2]]),
        labels=torch.tensor([2, 6, 2]))
    sample.set_metainfo(dict(video_name='v', num_valid=256, window_size=256))
    return sample


def official_model() -> AFSD:
    layout = json.load(open(KEYS))
    model = AFSD(backbone=dict(type='MapsStandIn'), num_classes=20)
    state_dict, dropped, _ = convert(official_weights(layout), model)
    assert not dropped
    model.load_state_dict(state_dict)
    return model.eval()


def summary(outputs: dict) -> dict:
    """What ``OFFICIAL`` holds of the outputs."""
    result = {}
    for name in ('distances', 'logits', 'offsets', 'prop_logits', 'quality', 'start', 'end'):
        value = outputs[name].double()
        result[f'{name}_sum'] = value.sum().item()
        result[f'{name}_abs_sum'] = value.abs().sum().item()
        flat = value.flatten()
        result[f'{name}_elements'] = flat[::max(1, len(flat) // 7)][:8].tolist()
    for name in ('prop_start', 'prop_end'):
        result[f'{name}_sums'] = outputs[name].double().sum((1, 2)).tolist()
    return result


def test_outputs_and_losses_equal_the_official_ones():
    model = official_model()
    with torch.no_grad():
        ours = summary(model(frames(), mode='tensor'))
        torch.manual_seed(0)  # the boundary-consistency augmentation's draws
        losses = {key: value.item() for key, value in
                  model(frames(), [window()], mode='loss').items()}
    for key, value in OFFICIAL['outputs'].items():
        assert ours[key] == pytest.approx(value, rel=1e-4, abs=1e-4), key
    assert losses == pytest.approx(OFFICIAL['losses'], rel=1e-5, abs=1e-6)


def test_official_padding_initialisation_and_kernels():
    # 'same' padding as the official Unit1D: a stride-2 k=3 conv pads 0 before, 1 after.
    conv = SameConv1d(1, 1, 3, 2, bias=False)
    conv.weight.data = torch.tensor([[[1., 10., 100.]]])
    assert conv(torch.arange(1., 5.)[None, None]).tolist() == [[[321., 43.]]]
    # AFSD's reset_params: Glorot-uniform convs (limit sqrt(3 / ((fan_in + fan_out) / 2))),
    # zero biases; GroupNorm left at (1, 0).
    model = AFSD(backbone=dict(type='MapsStandIn'), num_classes=20, crop_size=32, channels=32,
                 frame_channels=32, norm_groups=4)
    conv3d = model.lateral[0][0]
    assert conv3d.kernel_size == (1, 2, 2) and model.lateral[1][0].kernel_size == (1, 1, 1)
    limit = math.sqrt(3 / ((832 * 4 + 32 * 4) / 2))
    assert conv3d.weight.abs().max() <= limit and conv3d.weight.abs().max() > 0.9 * limit
    assert not conv3d.bias.any() and not model.quality_head.bias.any()
    assert model.quality_head.kernel_size == (3, )
    assert torch.equal(model.loc_scales, torch.ones(6))
    # the glorot rule itself
    layer = nn.Conv1d(4, 6, 3)
    glorot_uniform_(layer)
    assert layer.weight.abs().max() <= math.sqrt(3 / 15) and not layer.bias.any()


@pytest.mark.parametrize('rgb', [dict(type='AFSD'),
                                 dict(type='GAFE2E', attention_hidden=32)])
def test_fusion_averages_the_raw_outputs_of_each_streams_channels(rgb):
    """test.py --fusion: the mean of the RGB model's outputs (channels 0-2; AFSD or GAF) and the
    flow model's (AFSD, channels 3-4), decoded once."""
    torch.manual_seed(0)
    stream = dict(num_classes=3, window_size=64, crop_size=32, channels=16, frame_channels=16,
                  num_levels=4, norm_groups=4)
    fusion = TwoStreamFusion(
        rgb=dict(backbone=dict(type='MapsStandIn'), input_range=(0, 3), **rgb, **stream),
        flow=dict(type='AFSD', backbone=dict(type='MapsStandIn', in_channels=2), in_channels=2,
                  input_range=(3, 5), **stream)).eval()
    x = torch.rand(1, 5, 64, 32, 32) * 2 - 1
    with torch.no_grad():
        fused = fusion(x, mode='tensor')
        rgb, flow = fusion.rgb.detect(x[:, :3]), fusion.flow.detect(x[:, 3:])
    for key in ('distances', 'logits', 'offsets', 'prop_logits', 'quality'):
        assert torch.allclose(fused[key], (rgb[key] + flow[key]) / 2)
    assert not torch.allclose(rgb['logits'], flow['logits'])
    with pytest.raises(ValueError, match=r'input_range \(3, 6\) holds 3 channels, in_channels '
                                         r'is 2'):
        AFSD(backbone=dict(type='MapsStandIn', in_channels=2), in_channels=2,
             input_range=(3, 6), **stream)


def test_small_crops_and_fewer_levels_train():
    """The space kernels follow the crop (crop / 16, crop / 32); levels and window are
    arguments."""
    torch.manual_seed(0)
    model = AFSD(backbone=dict(type='MapsStandIn'), num_classes=3, window_size=64, crop_size=32,
                 channels=16, frame_channels=16, num_levels=4, norm_groups=4)
    x = torch.rand(2, 3, 64, 32, 32) * 2 - 1
    outputs = model(x, mode='tensor')
    assert outputs['distances'].shape == (2, 16 + 8 + 4 + 2, 2)
    assert outputs['start'].shape == (2, 64) and outputs['prop_start'].shape == (2, 2, 16)
    sample = ActionDataSample()
    sample.gt_instances = InstanceData(segments=torch.tensor([[4., 30.], [40., 52.]]),
                                       labels=torch.tensor([0, 2]))
    sample.set_metainfo(dict(video_name='v', num_valid=64, window_size=64))
    losses = model(x, [sample, sample], mode='loss')
    assert set(losses) == {'loss_loc', 'loss_cls', 'loss_prop_loc', 'loss_prop_cls',
                           'loss_quality', 'loss_start', 'loss_end', 'loss_ssl'}
    sum(losses.values()).backward()
    assert model.lateral[0][0].weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match=r'expects windows of shape \(3, 64, 32, 32\), got '
                                         r'\(3, 64, 48, 48\)'):
        model(torch.zeros(1, 3, 64, 48, 48))
    with pytest.raises(ValueError, match='crop_size 40 must be a multiple of 32'):
        AFSD(backbone=dict(type='MapsStandIn'), num_classes=3, crop_size=40)
