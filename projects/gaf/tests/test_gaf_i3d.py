"""Inception-I3D backbone: the official key layout, 'same' padding, shapes, values against
numbers from the official model, frozen BatchNorm, endpoint selection, registry.

The fixtures come from the official AFSD ``InceptionI3d(final_endpoint='Mixed_5c')``
(``AFSD/common/i3d_backbone.py``, built and ``.build()``-ed as AFSD's ``I3D_BackBone`` does) run
on CPU with torch 2.14: its ``state_dict()`` keys and shapes, the Mixed_4f/Mixed_5c shapes its
``extract_features`` gives for the input sizes below, and its outputs after
``deterministic_`` (below) filled its weights and BatchNorm statistics and ``clip`` made the
input. The same fill applied to this model (same key names) must give the same numbers.
Side by side in that run, with every parameter and buffer randomised and copied over
(``load_state_dict(strict=True)``), all 16 endpoints, the train-mode gradients and the
BatchNorm buffers after a train step were identical (max difference 0).
"""
import hashlib
import math

import pytest
import torch
import torch.nn as nn
from mmaction.registry import MODELS

from vsgt_projects.gaf.gaf import I3D_ENDPOINTS, InceptionI3D
from vsgt_projects.gaf.gaf.i3d import MaxPool3dSame, pad_same

# sha256 of '\n'.join(f'{key} {tuple(shape)}') over the official state_dict, sorted by key.
OFFICIAL_KEYS_SHA256 = {
    3: 'cb7ec3373d3315f5ddd57612290ceea467d280bfbffda6f62f528f517f1f81f6',
    2: 'cc4d8583aa3dd917b1b5b01a7ef47764da377a4513e979f65e76bafc1b7e2b50',
}
OFFICIAL_NUM_PARAMS = {3: 12287264, 2: 12265312}

# input shape -> official (Mixed_4f, Mixed_5c) shapes
OFFICIAL_SHAPES = {
    (1, 3, 16, 32, 32): ((1, 832, 4, 2, 2), (1, 1024, 2, 1, 1)),
    (1, 3, 19, 50, 71): ((1, 832, 5, 4, 5), (1, 1024, 3, 2, 3)),
    (1, 3, 1, 1, 1): ((1, 832, 1, 1, 1), (1, 1024, 1, 1, 1)),
    (1, 3, 8, 7, 9): ((1, 832, 2, 1, 1), (1, 1024, 1, 1, 1)),
    (1, 3, 5, 13, 6): ((1, 832, 2, 1, 1), (1, 1024, 1, 1, 1)),
    (1, 2, 17, 33, 40): ((1, 832, 5, 3, 3), (1, 1024, 3, 2, 2)),
}

# input shape -> endpoint -> (shape, mean, std, max, flat indices, values at them)
OFFICIAL_VALUES = {
    (1, 3, 16, 32, 32): {
        'Conv3d_1a_7x7': ((1, 64, 8, 16, 16), 0.30368779, 0.4941818, 4.6603127,
                          [0, 26214, 52428, 78642, 104856, 131071],
                          [0.0, 0.0, 0.0, 1.6375066, 0.0, 0.26103365]),
        'Mixed_4f': ((1, 832, 4, 2, 2), 2.392633, 4.2232572, 40.280277,
                     [0, 2662, 5324, 7986, 10648, 13311],
                     [2.8119545, 0.0, 0.0, 2.623513, 4.649035, 4.1687565]),
        'Mixed_5c': ((1, 1024, 2, 1, 1), 1.9335506, 3.7621824, 30.70274,
                     [0, 409, 818, 1228, 1637, 2047],
                     [0.0, 0.0, 0.0, 0.0, 1.1813189, 10.431628]),
    },
    (1, 2, 9, 23, 37): {
        'Conv3d_1a_7x7': ((1, 64, 5, 12, 19), 0.27468089, 0.45159853, 5.0713749,
                          [0, 14591, 29183, 43775, 58367, 72959],
                          [0.073845588, 0.0, 0.0, 0.0, 0.23862119, 0.0]),
        'Mixed_4f': ((1, 832, 3, 2, 3), 1.6762434, 2.7408049, 25.584146,
                     [0, 2995, 5990, 8985, 11980, 14975],
                     [9.4640789, 0.0, 0.52332598, 0.0, 0.0, 0.66687632]),
        'Mixed_5c': ((1, 1024, 2, 1, 2), 1.7308869, 3.0096569, 27.302567,
                     [0, 819, 1638, 2457, 3276, 4095],
                     [2.0072179, 7.5450716, 0.0, 0.0, 0.97308218, 0.0]),
    },
}


def deterministic_(model: nn.Module) -> nn.Module:
    """Fill every float tensor of the state dict, keys in sorted order, from one generator
    (seed 0): conv weights U(+-sqrt(6 / fan_in)), BN weights and running variances U(0.5, 1.5),
    BN biases and running means U(-0.2, 0.2)."""
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, tensor in sorted(model.state_dict().items()):
            if not tensor.dtype.is_floating_point:
                continue
            if name.endswith('conv3d.weight'):
                bound = math.sqrt(6 / tensor[0].numel())
                tensor.uniform_(-bound, bound, generator=generator)
            elif name.endswith(('bn.weight', 'bn.running_var')):
                tensor.uniform_(0.5, 1.5, generator=generator)
            else:
                tensor.uniform_(-0.2, 0.2, generator=generator)
    return model


def clip(shape) -> torch.Tensor:
    """U(-1, 1) input from a generator seeded 1."""
    return torch.rand(shape, generator=torch.Generator().manual_seed(1)) * 2 - 1


def batch_norms(model):
    return [m for m in model.modules() if isinstance(m, nn.BatchNorm3d)]


@pytest.fixture(scope='module')
def rgb():
    return InceptionI3D().eval()


@pytest.mark.parametrize('in_channels', [3, 2])
def test_state_dict_is_the_official_layout(in_channels):
    model = InceptionI3D(in_channels)
    state = model.state_dict()
    listing = '\n'.join(f'{key} {tuple(value.shape)}' for key, value in sorted(state.items()))
    assert hashlib.sha256(listing.encode()).hexdigest() == OFFICIAL_KEYS_SHA256[in_channels]
    assert len(state) == 342
    assert list(state)[:7] == [
        'Conv3d_1a_7x7.conv3d.weight', 'Conv3d_1a_7x7.bn.weight', 'Conv3d_1a_7x7.bn.bias',
        'Conv3d_1a_7x7.bn.running_mean', 'Conv3d_1a_7x7.bn.running_var',
        'Conv3d_1a_7x7.bn.num_batches_tracked', 'Conv3d_2b_1x1.conv3d.weight']
    assert list(state)[-1] == 'Mixed_5c.b3b.bn.num_batches_tracked'
    assert state['Conv3d_1a_7x7.conv3d.weight'].shape == (64, in_channels, 7, 7, 7)
    assert state['Mixed_3b.b1b.conv3d.weight'].shape == (128, 96, 3, 3, 3)
    assert state['Mixed_5c.b3b.bn.running_var'].shape == (128, )
    assert not any(key.startswith('logits') for key in state)
    assert sum(p.numel() for p in model.parameters()) == OFFICIAL_NUM_PARAMS[in_channels]
    bn = model.Mixed_4f.b2b.bn
    assert (bn.eps, bn.momentum) == (1e-3, 0.01)
    assert model.Mixed_4f.b2b.conv3d.bias is None


@pytest.mark.parametrize(
    'size, kernel, stride, front, back',
    [(8, 7, 2, 2, 3), (7, 7, 2, 3, 3), (5, 2, 2, 0, 1), (4, 2, 2, 0, 0), (13, 3, 2, 1, 1),
     (12, 3, 2, 0, 1), (6, 3, 1, 1, 1), (1, 7, 2, 3, 3), (4, 1, 2, 0, 0)])
def test_same_padding_hand_cases(size, kernel, stride, front, back):
    x = torch.ones(1, 1, size, 1, 1)
    padded = pad_same(x, (kernel, 1, 1), (stride, 1, 1))[0, 0, :, 0, 0]
    assert padded.tolist() == [0.] * front + [1.] * size + [0.] * back
    assert torch.nn.functional.max_pool3d(
        padded[None, None, :, None, None], (kernel, 1, 1), (stride, 1, 1)).shape[2] == \
        math.ceil(size / stride)


def test_max_pool_pads_with_zeros():
    # 'same' padding pads zeros, as the official MaxPool3dSamePadding: the last window of an
    # odd length meets one.
    x = -torch.arange(1., 6.).view(1, 1, 5, 1, 1)
    assert MaxPool3dSame((2, 1, 1), (2, 1, 1))(x).flatten().tolist() == [-1., -3., 0.]


@pytest.mark.parametrize('shape', sorted(OFFICIAL_SHAPES))
def test_output_shapes_equal_the_official(rgb, shape):
    model = rgb if shape[1] == 3 else InceptionI3D(2).eval()
    with torch.no_grad():
        maps = model(torch.zeros(shape))
    assert tuple(m.shape for m in maps) == OFFICIAL_SHAPES[shape]


def test_official_thumos14_clip_shapes(rgb):
    # The official (1, 3, 256, 96, 96) clip, one axis at a time (each axis's padding and
    # output length depend on that axis alone): 36x cheaper than the whole clip on a CPU.
    with torch.no_grad():
        long_4f, long_5c = rgb(torch.zeros(1, 3, 256, 16, 16))
        wide_4f, wide_5c = rgb(torch.zeros(1, 3, 8, 96, 96))
    assert (long_4f.shape[:3], wide_4f.shape[3:]) == ((1, 832, 64), (6, 6))
    assert (long_5c.shape[:3], wide_5c.shape[3:]) == ((1, 1024, 32), (3, 3))


@pytest.mark.parametrize('shape', sorted(OFFICIAL_VALUES))
def test_values_equal_the_official(shape):
    expected = OFFICIAL_VALUES[shape]
    model = deterministic_(InceptionI3D(shape[1], out_endpoints=tuple(expected))).eval()
    with torch.no_grad():
        maps = model(clip(shape))
    for out, (name, (out_shape, mean, std, top, index, values)) in zip(maps, expected.items()):
        assert out.shape == out_shape, name
        out = out.double()
        stats = torch.stack([out.mean(), out.std(), out.max()])
        torch.testing.assert_close(stats, torch.tensor([mean, std, top], dtype=torch.double),
                                   rtol=1e-5, atol=1e-5, msg=name)
        torch.testing.assert_close(out.flatten()[index], torch.tensor(values).double(),
                                   rtol=1e-5, atol=1e-5, msg=name)


def test_endpoints_build_only_what_they_need_and_come_in_the_asked_order(rgb):
    x = clip((1, 3, 8, 24, 24))
    with torch.no_grad():
        full = dict(zip(rgb.out_endpoints, rgb(x)))

    short = InceptionI3D(out_endpoints='Mixed_3b')
    assert [name for name, _ in short.named_children()] == list(I3D_ENDPOINTS[:6])
    assert not any(key.startswith('Mixed_3c') for key in short.state_dict())

    swapped = InceptionI3D(out_endpoints=('Mixed_5c', 'MaxPool3d_4a_3x3', 'Mixed_4f'))
    swapped.load_state_dict(rgb.state_dict())
    with torch.no_grad():
        mixed_5c, pool_4a, mixed_4f = swapped.eval()(x)
    assert torch.equal(mixed_5c, full['Mixed_5c']) and torch.equal(mixed_4f, full['Mixed_4f'])
    assert pool_4a.shape == (1, 480, 2, 2, 2)


def test_bad_endpoints_and_inputs_are_refused():
    with pytest.raises(ValueError, match=r"unknown endpoint 'Logits'.*Conv3d_1a_7x7, .*Mixed_5c"):
        InceptionI3D(out_endpoints=('Mixed_4f', 'Logits'))
    with pytest.raises(ValueError, match='out_endpoints is empty'):
        InceptionI3D(out_endpoints=())
    with pytest.raises(ValueError, match='repeats'):
        InceptionI3D(out_endpoints=('Mixed_4f', 'Mixed_4f'))
    flow = InceptionI3D(2, out_endpoints='Conv3d_1a_7x7')
    with pytest.raises(ValueError, match=r'expected \(B, 2, T, H, W\).*\(1, 3, 4, 8, 8\)'):
        flow(torch.zeros(1, 3, 4, 8, 8))


def train_step(model, x):
    model.train()
    outputs = model(x)
    sum(out.square().mean() for out in outputs).backward()
    return outputs


def test_frozen_batch_norm_keeps_statistics_and_affine():
    model = deterministic_(InceptionI3D(out_endpoints=('Mixed_3b', 'Mixed_3c')))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = clip((2, 3, 4, 16, 16))
    with torch.no_grad():
        expected = model.eval()(x)
    model.requires_grad_(True)  # train() freezes the affine again, as the official train()
    outputs = train_step(model, x)

    assert model.training and all(not bn.training for bn in batch_norms(model))
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key
    for out, ref in zip(outputs, expected):
        torch.testing.assert_close(out, ref)
    for name, param in model.named_parameters():
        assert param.requires_grad == ('.bn.' not in name), name
        assert (param.grad is not None) == ('.bn.' not in name), name


def test_unfrozen_batch_norm_trains():
    model = deterministic_(InceptionI3D(out_endpoints='Conv3d_2b_1x1', freeze_bn=False))
    bn = model.Conv3d_1a_7x7.bn
    old_mean = bn.running_mean.clone()
    conv_out = []
    model.Conv3d_1a_7x7.conv3d.register_forward_hook(lambda m, i, o: conv_out.append(o))
    train_step(model, clip((2, 3, 4, 16, 16)))

    assert all(bn.training for bn in batch_norms(model))
    batch_mean = conv_out[0].detach().mean((0, 2, 3, 4))
    torch.testing.assert_close(bn.running_mean, 0.99 * old_mean + 0.01 * batch_mean)
    assert bn.num_batches_tracked.item() == 1
    assert bn.weight.grad is not None and bn.bias.grad is not None


def test_frozen_statistics_with_trainable_affine():
    model = InceptionI3D(out_endpoints='Conv3d_2b_1x1', freeze_bn_affine=False)
    train_step(model, clip((1, 3, 4, 16, 16)))
    bn = model.Conv3d_2b_1x1.bn
    assert not bn.training and bn.num_batches_tracked.item() == 0
    assert bn.weight.grad is not None and bn.bias.grad is not None


def test_registry_build_and_pretrained_official_weights(tmp_path):
    model = MODELS.build(dict(type='InceptionI3D'))
    assert isinstance(model, InceptionI3D)
    assert model.out_endpoints == ('Mixed_4f', 'Mixed_5c')
    assert model.freeze_bn and model.freeze_bn_affine and model.in_channels == 3

    # A file in the layout of the released flow_imagenet.pt: the I3D state dict plus the
    # Kinetics classifier that the detector does not build.
    released = deterministic_(InceptionI3D(2)).state_dict()
    released['logits.conv3d.weight'] = torch.zeros(400, 1024, 1, 1, 1)
    released['logits.conv3d.bias'] = torch.zeros(400)
    torch.save(released, tmp_path / 'flow_imagenet.pt')
    flow = MODELS.build(dict(type='InceptionI3D', in_channels=2, init_cfg=dict(
        type='Pretrained', checkpoint=str(tmp_path / 'flow_imagenet.pt'))))
    flow.init_weights()
    for key, value in flow.state_dict().items():
        assert torch.equal(value, released[key]), key
