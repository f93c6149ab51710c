import argparse

import pytest
import torch
import torch.nn.functional as F
from mmaction.registry import MODELS
from mmengine.config import ConfigDict
from mmengine.registry import init_default_scope
from mmengine.runner import save_checkpoint

import vsgt.models.weights as weights
from vsgt.models import SGFormer3D, load_pretrained_backbone, load_sgformer_2d
from vsgt.models.weights import sgformer_2d_key_to_3d

torch.set_num_threads(1)

TINY = dict(embed_dims=(16, 32, 64, 128), depths=(2, 2, 2, 1))
RATIOS = (8, 4, 2, 1)
# Merge group sizes of the 2D SG-Former per reduction ratio (f1, f2[, f3]).
GROUPS_2D = {8: (196, 56, 28), 4: (49, 14, 7), 2: (2, 1)}


def sgformer_2d_shapes(embed_dims, depths, mlp_ratio=4, num_classes=10):
    """Tensor shapes of the public 2D SG-Former (``sgformer.py``), in its key layout."""
    shapes = {}

    def conv_bn(name, out_channels, in_channels, kernel):
        shapes[f'{name}.c.weight'] = (out_channels, in_channels, kernel, kernel)
        shapes[f'{name}.bn.weight'] = shapes[f'{name}.bn.bias'] = (out_channels, )

    def linear(name, out_features, in_features):
        shapes[f'{name}.weight'] = (out_features, in_features)
        shapes[f'{name}.bias'] = (out_features, )

    def norm(name, dim):
        shapes[f'{name}.weight'] = shapes[f'{name}.bias'] = (dim, )

    width = embed_dims[0]
    for index, in_channels in zip((0, 2, 4), (3, width, width)):
        conv_bn(f'patch_embed1.conv.{index}', width, in_channels, 3)
    norm('patch_embed1.norm', width)
    for i in range(1, 4):
        dim_in, dim = embed_dims[i - 1], embed_dims[i]
        conv_bn(f'patch_embed{i + 1}.conv1', dim, dim_in, 1)
        conv_bn(f'patch_embed{i + 1}.conv2', dim, 1, 3)
        conv_bn(f'patch_embed{i + 1}.conv3', dim, dim, 1)
    for i, (dim, depth, ratio) in enumerate(zip(embed_dims, depths, RATIOS)):
        hidden = dim * mlp_ratio
        for j in range(depth):
            block = f'block{i + 1}.{j}'
            norm(f'{block}.norm1', dim)
            norm(f'{block}.norm2', dim)
            linear(f'{block}.mlp.fc1', hidden, dim)
            shapes[f'{block}.mlp.dwconv.dwconv.weight'] = (hidden, 1, 3, 3)
            shapes[f'{block}.mlp.dwconv.dwconv.bias'] = (hidden, )
            linear(f'{block}.mlp.fc2', dim, hidden)
            linear(f'{block}.attn.lepe_linear', dim, dim)
            shapes[f'{block}.attn.lepe_conv.weight'] = (dim, 1, 3, 3)
            shapes[f'{block}.attn.lepe_conv.bias'] = (dim, )
            linear(f'{block}.attn.proj', dim, dim)
            if ratio == 1:
                linear(f'{block}.attn.q', dim, dim)
                linear(f'{block}.attn.kv', 2 * dim, dim)
            elif j % 2 == 0:
                shapes[f'{block}.attn.sr.weight'] = (dim, dim, ratio, ratio)
                shapes[f'{block}.attn.sr.bias'] = (dim, )
                norm(f'{block}.attn.norm', dim)
                for q, kv in (('q1', 'kv1'), ('q2', 'kv2')):
                    linear(f'{block}.attn.{q}', dim // 2, dim)
                    linear(f'{block}.attn.{kv}', dim, dim)
            else:
                for name in ('q', 'kv1', 'kv2'):
                    linear(f'{block}.attn.{name}', dim, dim)
                for k, size in enumerate(GROUPS_2D[ratio]):
                    linear(f'{block}.attn.f{k + 1}', 1, size)
        norm(f'norm{i + 1}', dim)
    shapes['pos_embed'] = (1, 16, width)
    linear('head', num_classes, embed_dims[3])
    return shapes


def random_state_dict(shapes, seed):
    generator = torch.Generator().manual_seed(seed)
    return {k: torch.randn(*shape, generator=generator) for k, shape in shapes.items()}


@pytest.fixture
def log_calls(monkeypatch):
    calls = []
    monkeypatch.setattr(weights, 'print_log',
                        lambda msg, logger=None, level=None: calls.append((msg, level)))
    return calls


@pytest.fixture
def checkpoint_2d(tmp_path):
    """A timm-style training checkpoint of a tiny 2D SG-Former: EMA and raw weights, options."""
    shapes = sgformer_2d_shapes(**TINY)
    ema = random_state_dict(shapes, seed=0)
    path = tmp_path / 'sgformer_2d.pth'
    torch.save({'epoch': 299, 'state_dict': random_state_dict(shapes, seed=1),
                'state_dict_ema': ema, 'args': argparse.Namespace(model='sgformer_s', lr=1e-3)},
               path)
    return str(path), ema


def test_every_2d_tensor_has_a_3d_name():
    shapes = sgformer_2d_shapes(**TINY)
    model_keys = set(SGFormer3D('tiny').state_dict())
    mapped = {sgformer_2d_key_to_3d(k) for k in shapes if k != 'pos_embed'
              and not k.startswith('head.')}
    assert mapped == model_keys
    assert sgformer_2d_key_to_3d('block1.0.attn.q.weight') is None  # hybrid blocks have q1/q2
    assert sgformer_2d_key_to_3d('head.weight') is None


def test_inflated_2d_checkpoint_loads_ema_weights(checkpoint_2d, log_calls):
    path, ema = checkpoint_2d
    model = SGFormer3D('tiny', with_pae=True)
    missing, unexpected = load_sgformer_2d(model, path)
    assert sorted(missing) == ['pae.alpha'] + [f'pae.gamma.{i}' for i in range(4)]
    assert unexpected == []
    state = model.state_dict()
    for key, value in ema.items():
        new_key = sgformer_2d_key_to_3d(key)
        if new_key is None:
            continue
        if value.dim() == 4:
            kernel_t = state[new_key].shape[2]
            for t in range(kernel_t):
                torch.testing.assert_close(state[new_key][:, :, t], value / kernel_t)
        else:
            assert torch.equal(state[new_key], value), key
    assert state['stages.0.entry.conv2.conv.weight'].shape[2] == 3
    assert state['stages.0.blocks.0.attn.reduce.weight'].shape[2] == 8

    assert len(log_calls) == 1
    message = log_calls[0][0]
    assert '5 missing' in message and 'pae.gamma.* (x4)' in message
    assert '3 ignored (2D only): head.bias, head.weight, pos_embed' in message


def _valid_frames(conv, frames):
    """Output frames of ``conv`` whose receptive field lies inside the clip (no padding)."""
    (kernel_t, stride_t, pad_t) = conv.kernel_size[0], conv.stride[0], conv.padding[0]
    out_frames = (frames + 2 * pad_t - kernel_t) // stride_t + 1
    return [t for t in range(out_frames)
            if t * stride_t - pad_t >= 0 and t * stride_t - pad_t + kernel_t <= frames]


@pytest.mark.parametrize('name,key_2d', [
    ('stages.0.entry.conv2.conv', 'patch_embed1.conv.2.c.weight'),
    ('stages.1.blocks.0.attn.reduce', 'block2.0.attn.sr.weight'),
    ('stages.0.blocks.1.attn.lepe.conv.conv', 'block1.1.attn.lepe_conv.weight'),
])
def test_inflated_conv_answers_a_still_clip_like_the_2d_conv(checkpoint_2d, name, key_2d):
    path, ema = checkpoint_2d
    model = SGFormer3D('tiny')
    load_sgformer_2d(model, path)
    conv = model.get_submodule(name)
    frame = torch.randn(1, conv.in_channels, 16, 16, generator=torch.Generator().manual_seed(2))
    frames = 8
    with torch.no_grad():
        video = conv(frame[:, :, None].expand(-1, -1, frames, -1, -1))
        image = F.conv2d(frame, ema[key_2d], conv.bias, conv.stride[1:], conv.padding[1:],
                         groups=conv.groups)
    valid = _valid_frames(conv, frames)
    assert valid
    for t in valid:
        torch.testing.assert_close(video[:, :, t], image, rtol=1e-4, atol=1e-5)


def test_initializer_from_config(checkpoint_2d):
    path, ema = checkpoint_2d
    init_default_scope('mmaction')
    model = MODELS.build(ConfigDict(type='SGFormer3D', arch='tiny', init_cfg=dict(
        type='InflateSGFormer2D', checkpoint=path)))
    model.init_weights()
    assert torch.equal(model.state_dict()['stages.3.norm.weight'], ema['norm4.weight'])


def test_unknown_2d_keys_are_reported_and_mismatches_refused(checkpoint_2d, tmp_path,
                                                             log_calls):
    path, ema = checkpoint_2d
    extra = dict(ema, **{'block1.0.attn.extra.weight': torch.zeros(3)})
    torch.save({'state_dict_ema': extra}, tmp_path / 'extra.pth')
    _, unexpected = load_sgformer_2d(SGFormer3D('tiny'), str(tmp_path / 'extra.pth'))
    assert unexpected == ['block1.0.attn.extra.weight']
    assert '1 unexpected (not loaded): block1.*.attn.extra.weight' in log_calls[-1][0]

    wrong = dict(ema, **{'block1.0.attn.q1.weight': torch.zeros(7, 16)})
    torch.save(wrong, tmp_path / 'wrong.pth')
    with pytest.raises(ValueError, match=r'shape mismatch for block1\.0\.attn\.q1\.weight -> '
                       r'stages\.0\.blocks\.0\.attn\.q_global\.weight: checkpoint \(7, 16\), '
                       r'model \(8, 16\)'):
        load_sgformer_2d(SGFormer3D('tiny'), str(tmp_path / 'wrong.pth'))


def test_3d_checkpoint_round_trip(tmp_path):
    source, target = SGFormer3D('tiny', with_pae=True), SGFormer3D('tiny', with_pae=True)
    torch.nn.init.constant_(source.pae.gamma[2], 0.3)
    save_checkpoint({'meta': {'epoch': 1}, 'state_dict': source.state_dict()},
                    str(tmp_path / 'backbone.pth'))
    missing, unexpected = load_pretrained_backbone(target, str(tmp_path / 'backbone.pth'),
                                                   prefix=None)
    assert missing == [] and unexpected == []
    for key, value in source.state_dict().items():
        assert torch.equal(target.state_dict()[key], value), key


@pytest.fixture
def kinetics_checkpoint(tmp_path):
    """A Kinetics-400 Recognizer3D (tiny SGFormer3D + I3DHead) saved by mmengine."""
    init_default_scope('mmaction')
    recognizer = MODELS.build(ConfigDict(
        type='Recognizer3D', backbone=dict(type='SGFormer3D', arch='tiny'),
        cls_head=dict(type='I3DHead', in_channels=128, num_classes=400)))
    path = tmp_path / 'k400.pth'
    save_checkpoint({'meta': {'dataset_meta': None}, 'state_dict': recognizer.state_dict()},
                    str(path))
    return str(path), recognizer


def test_kinetics_backbone_loads_into_the_detector_and_ignores_the_head(kinetics_checkpoint,
                                                                        log_calls):
    from test_detector import detector_cfg
    path, recognizer = kinetics_checkpoint
    cfg = detector_cfg(with_pae=True)
    cfg['backbone']['init_cfg'] = dict(type='PretrainedBackbone', checkpoint=path)
    init_default_scope('mmaction')
    detector = MODELS.build(ConfigDict(cfg))
    detector.init_weights()
    loaded = detector.backbone.state_dict()
    for key, value in recognizer.backbone.state_dict().items():
        assert torch.equal(loaded[key], value), key

    summaries = [msg for msg, _ in log_calls if 'k400.pth' in msg]
    assert len(summaries) == 1
    assert "5 missing (kept as initialised): pae.alpha, pae.gamma.* (x4)" in summaries[0]
    assert "2 ignored (outside 'backbone.'): cls_head.fc_cls.bias, cls_head.fc_cls.weight" in (
        summaries[0])


def test_kinetics_shape_mismatch_names_the_key(kinetics_checkpoint, tmp_path):
    path, recognizer = kinetics_checkpoint
    state = recognizer.state_dict()
    state['backbone.stages.3.norm.weight'] = torch.ones(64)
    torch.save({'state_dict': state}, tmp_path / 'bad.pth')
    with pytest.raises(ValueError, match=r'shape mismatch for stages\.3\.norm\.weight: '
                       r'checkpoint \(64,\), model \(128,\)'):
        load_pretrained_backbone(SGFormer3D('tiny'), str(tmp_path / 'bad.pth'))


def test_unusable_checkpoints_raise_one_clear_error(kinetics_checkpoint, tmp_path):
    path, _ = kinetics_checkpoint
    with pytest.raises(FileNotFoundError, match='checkpoint not found: .*missing.pth'):
        load_pretrained_backbone(SGFormer3D('tiny'), str(tmp_path / 'missing.pth'))
    with pytest.raises(ValueError, match="has no key starting with 'model.'"):
        load_pretrained_backbone(SGFormer3D('tiny'), path, prefix='model.')
    with pytest.raises(ValueError, match='none of its .* tensors is named like a tensor of '
                       'SGFormer3D'):
        load_pretrained_backbone(SGFormer3D('tiny'), path, prefix=None)
    torch.save({'state_dict': {'a': 1}}, tmp_path / 'numbers.pth')
    with pytest.raises(ValueError, match="'a' is not a tensor"):
        load_pretrained_backbone(SGFormer3D('tiny'), str(tmp_path / 'numbers.pth'))
