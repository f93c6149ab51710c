"""The official AFSD checkpoints and I3D weights -> ours: files in the official layouts (the key
and shape list of the official THUMOS14 ``BDNet``, random values), every tensor mapped, what
``tools/test.py`` checks, and one-line refusals with nothing written."""
import json

import pytest
import torch
from mmaction.registry import MODELS
from mmengine.config import Config
from mmengine.registry import init_default_scope

from test_gaf_afsd_official import KEYS, MapsStandIn  # noqa: F401  (registers the stand-in)
from vsgt.utils.checkpoint import check_checkpoint_fits, read_state_dict
from vsgt_projects.gaf.tools.convert_official_checkpoint import main

torch.set_num_threads(1)
LAYOUT = json.load(open(KEYS))
I3D = 'backbone._model.'


@pytest.fixture(autouse=True)
def mmaction_scope():
    init_default_scope('mmaction')


@pytest.fixture
def config(tmp_path):
    """AFSD with a backbone stand-in that holds the official I3D's keys."""
    path = tmp_path / 'afsd.py'
    path.write_text(f"model = dict(type='AFSD', num_classes=20, backbone=dict("
                    f"type='MapsStandIn', layout_file={KEYS!r}))\n")
    return str(path)


def official_file(path, layout, prefix=''):
    torch.manual_seed(0)
    state_dict = {prefix + key: torch.zeros((), dtype=torch.long)
                  if key.endswith('num_batches_tracked') else torch.randn(shape)
                  for key, shape in layout.items()}
    torch.save(state_dict, path)
    return state_dict


def test_bdnet_checkpoint_maps_every_tensor(tmp_path, config, capsys):
    official = official_file(tmp_path / 'checkpoint-15.ckpt', LAYOUT, prefix='module.')
    out = tmp_path / 'afsd_rgb.pth'
    main([str(tmp_path / 'checkpoint-15.ckpt'), str(out), '--config', config])
    assert capsys.readouterr().out.strip() == (
        f'wrote {out} (442 of 442 official tensors mapped onto 437 tensors of the model)')
    checkpoint = torch.load(out, weights_only=True)
    assert checkpoint['meta']['backbone_only'] is False
    ours = checkpoint['state_dict']
    model = MODELS.build(Config.fromfile(config).model)
    check_checkpoint_fits(model, read_state_dict(str(out)), str(out))  # as tools/test.py
    model.load_state_dict(ours)
    pairs = {
        'coarse_pyramid_detection.pyramids.0.0.conv3d.weight': 'lateral.0.0.weight',
        'coarse_pyramid_detection.pyramids.1.1.bias': 'lateral.1.1.bias',
        'coarse_pyramid_detection.pyramids.3.0.conv1d.weight': 'downsample.1.0.weight',
        'coarse_pyramid_detection.conf_tower.1.1.weight': 'conf_tower.1.1.weight',
        'coarse_pyramid_detection.center_head.conv1d.weight': 'quality_head.weight',
        'coarse_pyramid_detection.prop_conf_head.conv1d.bias': 'prop_conf_head.bias',
        'coarse_pyramid_detection.loc_proposal_branch.lr_conv.0.conv1d.weight':
            'loc_branch.boundary.0.weight',
        'coarse_pyramid_detection.conf_proposal_branch.roi_conv.1.bias':
            'conf_branch.frame.1.bias',
        'coarse_pyramid_detection.deconv.6.conv1d.weight': 'frame_branch.2.0.weight',
        'coarse_pyramid_detection.deconv.4.bias': 'frame_branch.1.1.bias',
        I3D + 'Mixed_5c.b3b.conv3d.weight': 'backbone.Mixed_5c.b3b.conv3d.weight',
    }
    for key, mine in pairs.items():
        assert torch.equal(official['module.' + key], ours[mine]), key
    scales = [official[f'module.coarse_pyramid_detection.loc_heads.{i}.scale'] for i in range(6)]
    assert torch.equal(ours['loc_scales'], torch.cat(scales))


def test_i3d_weights_convert_to_the_backbone(tmp_path, config, capsys):
    i3d = {key[len(I3D):]: shape for key, shape in LAYOUT.items()
           if key.startswith(I3D) and not key.endswith('num_batches_tracked')}
    official = official_file(tmp_path / 'rgb_imagenet.pt',
                             dict(i3d, **{'logits.conv3d.weight': [400, 1024, 1, 1, 1],
                                          'logits.conv3d.bias': [400]}))
    out = tmp_path / 'i3d.pth'
    main([str(tmp_path / 'rgb_imagenet.pt'), str(out), '--config', config])
    assert capsys.readouterr().out.splitlines() == [
        'dropped 2 official tensors (logits.conv3d.weight, logits.conv3d.bias): the Kinetics '
        'classifier of the I3D weights, not part of the detector',
        f'wrote {out} (285 of 287 official tensors mapped onto 342 tensors of the backbone '
        'weights, load with the prefix backbone.)']
    ours = torch.load(out, weights_only=True)['state_dict']
    model = MODELS.build(Config.fromfile(config).model)
    model.backbone.load_state_dict({key[len('backbone.'):]: value for key, value in ours.items()})
    assert torch.equal(model.backbone.Conv3d_1a_7x7.conv3d.weight,
                       official['Conv3d_1a_7x7.conv3d.weight'])
    assert int(model.backbone.Mixed_4f.b0.bn.num_batches_tracked) == 0


@pytest.mark.parametrize('case', ['unknown', 'misfit', 'element', 'unfilled'])
def test_refusals_name_the_key_and_write_nothing(tmp_path, config, case):
    detector = {key: shape for key, shape in LAYOUT.items()
                if key.startswith('coarse_pyramid_detection.')}
    layout, message = {
        'unknown': (dict(detector, **{'coarse_pyramid_detection.cvae.fc.weight': [4, 4]}),
                    'official key coarse_pyramid_detection.cvae.fc.weight has no counterpart '
                    'in this AFSD'),
        'misfit': ({I3D + 'Conv3d_1a_7x7.conv3d.weight': [64, 2, 7, 7, 7]},
                   r'official key backbone._model.Conv3d_1a_7x7.conv3d.weight has shape '
                   r'\(64, 2, 7, 7, 7\), but backbone.Conv3d_1a_7x7.conv3d.weight in the model '
                   r'of this config has shape \(64, 3, 7, 7, 7\)'),
        'element': ({'coarse_pyramid_detection.loc_heads.6.scale': [1]},
                    r'official key coarse_pyramid_detection.loc_heads.6.scale has shape \(1,\), '
                    r'but element 6 of loc_scales .* has shape \(6,\)\[6\]'),
        'unfilled': (detector, 'the official checkpoint leaves 285 tensors of the model '
                               'unfilled, e.g. backbone.Conv3d_1a_7x7.conv3d.weight'),
    }[case]
    official_file(tmp_path / 'official.ckpt', layout)
    out = tmp_path / 'out.pth'
    with pytest.raises((KeyError, ValueError), match=message):
        main([str(tmp_path / 'official.ckpt'), str(out), '--config', config])
    assert not out.exists()


def test_gaf_checkpoint_maps_every_tensor_and_keeps_the_initial_cvae(tmp_path, capsys):
    """GAF's train.py saves BDNet with its attention heads and without the CVAE: every official
    tensor maps; the CVAE keeps the model's initial values, and the tool says so."""
    from test_gaf_official import OFFICIAL_GAF_KEYS
    config = tmp_path / 'gaf.py'
    config.write_text(f"model = dict(type='GAFE2E', num_classes=20, backbone=dict("
                      f"type='MapsStandIn', layout_file={KEYS!r}))\n")
    layout = dict(LAYOUT, **{key: list(shape) for key, shape in OFFICIAL_GAF_KEYS.items()})
    official = official_file(tmp_path / 'checkpoint-299.ckpt', layout)
    out = tmp_path / 'gaf_rgb.pth'
    main([str(tmp_path / 'checkpoint-299.ckpt'), str(out), '--config', str(config)])
    printed = capsys.readouterr().out.strip().splitlines()
    assert printed[0].startswith('40 tensors of the model (cvae.*) are not in official '
                                 'checkpoints (train.py does not save the CVAE)')
    assert printed[1].startswith(f'wrote {out} (462 of 462 official tensors mapped onto')
    ours = torch.load(out, weights_only=True)['state_dict']
    model = MODELS.build(Config.fromfile(str(config)).model)
    check_checkpoint_fits(model, read_state_dict(str(out)), str(out))  # as tools/test.py
    assert torch.equal(official['Att_Head_5c.3.weight'],
                       ours['attention.mixed_5c.temporal.weight'])
    assert torch.equal(official['deconv2.1.bias'], ours['attention.mixed_4f.project.1.bias'])
    cvae = [key for key in model.state_dict() if key.startswith('cvae.')]
    assert len(cvae) == 40 and all(ours[key].shape == model.state_dict()[key].shape
                                   for key in cvae)
