"""The tools for the official THUMOS14 release: the checkpoint converter and the HDF5 features,
run on files the tests write in the official layouts."""
import sys

import numpy as np
import pytest
import torch
from mmaction.registry import MODELS
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint

import vsgt_projects.vsgn.vsgn  # noqa: F401  (registers VSGN)
from vsgt.testing import ROOT, load_config, load_script, run_in_process

CONFIG = f'{ROOT}/projects/vsgn/configs/vsgn_thumos14-tsn-1280.py'


def official_shapes(in_dim=2048, hidden=256, levels=5, classes=21, anchors=2, head_layers=4):
    """Key -> shape of the official ``VSGN(opt)`` state dict (``Models/VSGN.py``, ``XGPN.py``,
    ``GCNs.py``, ``Head.py``, ``BoundaryAdjust.py``) with ``use_xGPN``: 104 tensors at the
    released THUMOS14 settings."""
    conv = lambda name, out, inp, k: {f'{name}.weight': (out, inp, k), f'{name}.bias': (out, )}
    shapes = conv('xGPN.conv0.0', hidden, in_dim, 3)
    for i in range(levels):
        shapes.update(conv(f'xGPN.levels_enc.{i}.tconv1', hidden, hidden, 3))
        shapes.update({f'xGPN.levels_enc.{i}.nconv1.mlp.weight': (hidden, 2 * hidden),
                       f'xGPN.levels_enc.{i}.nconv1.mlp.bias': (hidden, )})
        shapes.update(conv(f'xGPN.levels1.{i}.0', hidden, hidden, 3))
    for i in range(levels - 1):
        shapes.update(conv(f'xGPN.levels_dec.{i}.0', hidden, hidden, 3))  # ConvTranspose1d
        shapes.update(conv(f'xGPN.levels2.{i}.0', hidden, hidden, 3))
    for tower in ('cls_tower', 'bbox_tower'):
        for j in range(head_layers):
            shapes.update(conv(f'head_dec.{tower}.{3 * j}', hidden, hidden, 3))
            shapes.update({f'head_dec.{tower}.{3 * j + 1}.weight': (hidden, ),
                           f'head_dec.{tower}.{3 * j + 1}.bias': (hidden, )})
    shapes.update(conv('head_dec.cls_logits', anchors * classes, hidden, 3))
    shapes.update(conv('head_dec.bbox_pred', anchors * 2, hidden, 3))
    for name in ('bd_adjust.start_conv', 'bd_adjust.end_conv'):
        shapes.update(conv(f'{name}.0', hidden, hidden, 3))
        shapes.update(conv(f'{name}.2', 1, hidden, 1))
    for name in ('head_actionness', 'head_startness', 'head_endness'):
        shapes.update(conv(f'{name}.0', hidden, hidden, 3))
        shapes.update(conv(f'{name}.2', 1, hidden, 1))
    return shapes


def official_checkpoint(path, prefix='module.', wrap=True, change=None):
    """A random official-layout checkpoint as ``Train.py`` saves it; returns its tensors."""
    generator = torch.Generator().manual_seed(0)
    shapes = official_shapes()
    if change:
        shapes.update(change)
    tensors = {key: torch.randn(shape, generator=generator) for key, shape in shapes.items()}
    state = {prefix + key: value for key, value in tensors.items()}
    if wrap:
        state = dict(epoch=3, state_dict=state, optimizer=dict(state={}, param_groups=[
            dict(lr=5e-5, betas=(0.9, 0.999), weight_decay=1e-4, params=[0, 1])]))
    torch.save(state, path)
    return tensors


@pytest.fixture(scope='module')
def converter():
    return load_script('projects/vsgn/tools/convert_official_checkpoint.py')


@pytest.mark.parametrize('prefix,wrap', [('module.', True), ('', False)])
def test_every_official_tensor_lands_in_the_model(tmp_path, capsys, converter, prefix, wrap):
    official = official_checkpoint(tmp_path / 'best.pth.tar', prefix, wrap)
    assert len(official) == 104
    out = tmp_path / 'vsgn.pth'
    code, stdout, stderr = run_in_process(capsys, converter, tmp_path / 'best.pth.tar', out)
    assert code == 0, stderr
    assert '104 of 104 official tensors mapped' in stdout
    cfg = load_config(CONFIG)
    init_default_scope('mmaction')
    model = MODELS.build(cfg.model)
    load_checkpoint(model, str(out), strict=True)  # every key used, none missing
    ours = model.state_dict()
    assert ours['xgpn.stem.0.weight'].equal(official['xGPN.conv0.0.weight'])
    # the official decoder runs coarsest first: its step 0 feeds our level 3 (stride 32)
    assert ours['xgpn.up.3.0.weight'].equal(official['xGPN.levels_dec.0.0.weight'])
    assert ours['xgpn.lateral.4.0.weight'].equal(official['xGPN.levels1.0.0.weight'])
    assert ours['xgpn.fuse.0.0.bias'].equal(official['xGPN.levels1.4.0.bias'])
    assert ours['xgpn.lateral.0.0.bias'].equal(official['xGPN.levels2.3.0.bias'])
    assert ours['xgpn.encoder.2.graph.mlp.weight'].equal(
        official['xGPN.levels_enc.2.nconv1.mlp.weight'])
    assert ours['head.reg_tower.10.weight'].equal(official['head_dec.bbox_tower.10.weight'])
    assert ours['scoring.end.2.bias'].equal(official['head_endness.2.bias'])


def test_a_tensor_that_does_not_fit_is_one_line(tmp_path, capsys, converter):
    official_checkpoint(tmp_path / 'best.pth.tar', change={'head_dec.cls_logits.weight':
                                                          (2 * 201, 256, 3)})
    out = tmp_path / 'vsgn.pth'
    code, _, stderr = run_in_process(capsys, converter, tmp_path / 'best.pth.tar', out)
    assert code == 1 and len(stderr.strip().splitlines()) == 1
    assert ('official key head_dec.cls_logits.weight has shape (402, 256, 3), but head.cls.weight'
            ' in the model of this config has shape (42, 256, 3)') in stderr
    assert not out.exists()


def test_an_unknown_official_key_is_one_line(tmp_path, capsys, converter):
    official_checkpoint(tmp_path / 'best.pth.tar', change={'head_dec.extra.weight': (3, )})
    code, _, stderr = run_in_process(capsys, converter, tmp_path / 'best.pth.tar',
                                     tmp_path / 'vsgn.pth')
    assert code == 1 and 'official key head_dec.extra.weight has no counterpart' in stderr


@pytest.fixture(scope='module')
def features_tool():
    return load_script('projects/vsgn/tools/convert_hdf5_features.py')


def test_hdf5_features_become_one_npy_per_video(tmp_path, capsys, features_tool):
    h5py = pytest.importorskip('h5py')
    rng = np.random.default_rng(0)
    videos = {'video_validation_0000051': 30, 'video_validation_0000052': 7}
    streams = {}
    for stream in ('rgb', 'flow'):
        with h5py.File(tmp_path / f'{stream}_val.h5', 'w') as file:
            for video, length in videos.items():
                streams[stream, video] = rng.standard_normal((length, 4)).astype(np.float32)
                file[video] = streams[stream, video]
    code, stdout, stderr = run_in_process(capsys, features_tool, tmp_path, tmp_path / 'npy',
                                          '--subsets', 'val')
    assert code == 0, stderr
    assert 'val: wrote 2 videos' in stdout
    for video, length in videos.items():
        feature = np.load(tmp_path / 'npy' / f'{video}.npy')
        assert feature.shape == (length, 8) and feature.dtype == np.float32
        np.testing.assert_array_equal(feature[:, :4], streams['rgb', video])
        np.testing.assert_array_equal(feature[:, 4:], streams['flow', video])


def test_streams_of_different_lengths_are_one_line(tmp_path, capsys, features_tool):
    h5py = pytest.importorskip('h5py')
    for stream, length in (('rgb', 5), ('flow', 6)):
        with h5py.File(tmp_path / f'{stream}_test.h5', 'w') as file:
            file['video_test_0000004'] = np.zeros((length, 2), np.float32)
    code, _, stderr = run_in_process(capsys, features_tool, tmp_path, tmp_path / 'npy',
                                     '--subsets', 'test')
    assert code == 1 and len(stderr.strip().splitlines()) == 1
    assert 'video video_test_0000004: rgb (5, 2) and flow (6, 2)' in stderr
    assert not (tmp_path / 'npy' / 'video_test_0000004.npy').exists()


def test_without_h5py_the_tool_names_it(tmp_path, capsys, monkeypatch, features_tool):
    monkeypatch.setitem(sys.modules, 'h5py', None)  # import h5py now fails
    code, _, stderr = run_in_process(capsys, features_tool, tmp_path, tmp_path / 'npy')
    assert code == 1 and len(stderr.strip().splitlines()) == 1
    assert 'needs h5py, which is not installed: pip install h5py' in stderr
