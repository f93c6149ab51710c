"""Pretrained weights: every file a shipped config loads is known (where it comes from) and
listed in checkpoints/README.md; tools/train.py stops on a missing one with one line, before
it reads any data."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from vsgt.testing import ROOT, run_tool
from vsgt.utils.pretrained import PROVIDERS, check_pretrained_files, pretrained_files

CONFIGS = sorted(
    osp.relpath(path, ROOT) for pattern in ('configs/**/*.py', 'projects/*/configs/**/*.py')
    for path in glob.glob(osp.join(ROOT, pattern), recursive=True)
    if '_base_' not in osp.relpath(path, ROOT).split(osp.sep))
VSGT_UCF = 'configs/detection/vsgt/vsgt-s_k400-pre_8xb2-amp-32x2x1-20e_ucf101-24-rgb.py'
VSGT_K400 = 'configs/recognition/vsgt/vsgt-s_in1k-pre_8xb8-amp-32x2x1-30e_kinetics400-rgb.py'


@pytest.fixture(scope='module')
def loaded():
    """{config: [(key, path), ...]} of every shipped config."""
    return {path: list(pretrained_files(Config.fromfile(osp.join(ROOT, path))))
            for path in CONFIGS}


def test_every_loaded_file_is_known_and_documented(loaded):
    readme = open(osp.join(ROOT, 'checkpoints', 'README.md')).read()
    used = {path for files in loaded.values() for _, path in files}
    assert 'checkpoints/sgformer_s.pth' in used
    assert f'checkpoints/{osp.basename(VSGT_K400)[:-3]}.pth' in used
    for path in used:
        assert path in PROVIDERS, path
        assert osp.basename(path) in readme or path in readme, path
    assert set(PROVIDERS) == used  # nothing listed that no config loads


def test_the_kinetics_checkpoint_is_the_one_its_training_writes():
    cfg = Config.fromfile(osp.join(ROOT, VSGT_K400))
    name = osp.basename(VSGT_K400)[:-3]
    epochs = cfg.train_cfg.max_epochs
    assert f'work_dirs/{name}/epoch_{epochs}.pth' in PROVIDERS[f'checkpoints/{name}.pth']


def test_keys_and_urls(loaded):
    assert loaded[VSGT_K400] == [('model.backbone.init_cfg.checkpoint',
                                  'checkpoints/sgformer_s.pth')]
    assert ('load_from', f'checkpoints/{osp.basename(VSGT_K400)[:-3]}.pth') in loaded[VSGT_UCF]
    cfg = Config(dict(model=dict(backbone=dict(pretrained='https://host/resnet.pth')),
                      load_from=None))
    assert list(pretrained_files(cfg)) == []  # URLs go through mmengine's cache
    check_pretrained_files(cfg)


@pytest.mark.parametrize('config, fragments', [
    (VSGT_UCF, ['pretrained weights not found: checkpoints/vsgt-s_in1k-pre_8xb8-amp-32x2x1-30e_'
                'kinetics400-rgb.pth (config key load_from)', 'tools/dist_train.sh',
                'epoch_30.pth', '--cfg-options load_from=None']),
    (VSGT_K400, ['checkpoints/sgformer_s.pth (config key model.backbone.init_cfg.checkpoint)',
                 'SG-Former-S release', '--cfg-options model.backbone.init_cfg=None']),
])
def test_train_stops_on_a_missing_file_before_the_data(tmp_path, config, fragments):
    # tmp_path has neither checkpoints/ nor data/: the weights are reported, not the data
    result = run_tool('train.py', osp.join(ROOT, config), '--work-dir', tmp_path / 'work',
                      cwd=tmp_path)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if ': error: ' in line]
    assert len(errors) == 1 and 'Traceback' not in result.stderr, result.stderr[-3000:]
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    assert not (tmp_path / 'work').exists()
