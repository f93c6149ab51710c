"""End to end: VideoLightFormer trained with tools/train.py and scored (top-1) with
tools/test.py on a tiny synthetic recognition set, for real; bad list rows stop it cleanly."""
import math
import os.path as osp
import shutil

import pytest
from mmengine.config import Config

from vsgt.datasets.synthetic import generate_synthetic_dataset
from vsgt.testing import ROOT, SINGLE_PROCESS, run_tool
from vsgt.utils import read_test_metrics, save_initial_checkpoint

CONFIG = osp.join(ROOT, 'projects', 'videolightformer', 'configs', 'synthetic',
                  'vlf_r18s3_synthetic.py')
ANN = 'data/synthetic_rec/annotations'
ITERS = 60
# 60 iterations of 4 clips on 12 training videos (20 epochs), warm-up 5, cosine to 60.
SHORT = [f'train_cfg.max_iters={ITERS}', f'train_cfg.val_interval={ITERS}',
         'train_dataloader.batch_size=4', 'param_scheduler.0.end=5', 'param_scheduler.1.begin=5',
         f'param_scheduler.1.end={ITERS}', f'default_hooks.checkpoint.interval={ITERS}',
         'default_hooks.logger.interval=10', *SINGLE_PROCESS]
ON_TRAIN_CLIPS = [f'test_dataloader.dataset.ann_file={ANN}/rawframes_train.txt']
# How far top-1 on the training clips must rise over the untrained model's. Measured (seed 0,
# recognition preset): untrained 0.333 (4 of 12 clips), trained 1.000 (12 of 12). A model that
# does not learn keeps its untrained score. This is fitting, not generalisation: on the 4 val
# clips the same run scored 0.25.
MARGIN = 0.4


@pytest.fixture(scope='module')
def project(tmp_path_factory):
    """16 synthetic videos of 16 64x48 frames (recognition preset): 12 to train on, 4 for val."""
    root = tmp_path_factory.mktemp('vlf_e2e')
    generate_synthetic_dataset(root / 'data' / 'synthetic_rec', num_videos=16, num_frames=16,
                               preset='recognition', rawframe_lists=True, seed=0,
                               progress=False)
    return root


@pytest.fixture(scope='module')
def trained(project):
    work_dir = project / 'train'
    result = run_tool('train.py', CONFIG, '--work-dir', work_dir, '--seed', 0, '--cfg-options',
                      *SHORT, cwd=project)
    assert result.returncode == 0, result.stderr[-4000:]
    return work_dir


def top1(project, checkpoint, name, *options):
    work_dir = project / name
    result = run_tool('test.py', CONFIG, checkpoint, '--work-dir', work_dir, '--cfg-options',
                      *SINGLE_PROCESS, *options, cwd=project)
    assert result.returncode == 0, result.stderr[-4000:]
    return read_test_metrics(work_dir)['acc/top1']


def test_train_validates_and_test_scores_top1(trained, project):
    checkpoint = trained / f'iter_{ITERS}.pth'
    assert checkpoint.is_file()
    log = sorted(trained.glob('*/*.log'))[-1].read_text()
    assert f'Iter(train) [{ITERS}/{ITERS}]' in log and 'acc/top1:' in log
    value = top1(project, checkpoint, 'test_val')
    assert 0 <= value <= 1 and not math.isnan(value)


def test_training_fits_its_clips_where_the_untrained_model_does_not(trained, project):
    untrained = project / 'untrained.pth'
    save_initial_checkpoint(Config.fromfile(CONFIG), str(untrained))
    before = top1(project, untrained, 'test_untrained', *ON_TRAIN_CLIPS)
    after = top1(project, trained / f'iter_{ITERS}.pth', 'test_trained', *ON_TRAIN_CLIPS)
    assert after >= before + MARGIN, (before, after)


def test_bad_list_row_stops_training_with_one_line(project, tmp_path):
    """A row naming a missing frame folder (the other bad rows: tests/test_vlf_data.py)."""
    shutil.copytree(project / 'data', tmp_path / 'data')
    train_list = tmp_path / ANN / 'rawframes_train.txt'
    rows = train_list.read_text().splitlines()
    rows[2] = rows[2].replace(' ', '_gone ', 1)
    train_list.write_text('\n'.join(rows) + '\n')
    result = run_tool('train.py', CONFIG, '--work-dir', tmp_path / 'work', '--cfg-options',
                      *SHORT, cwd=tmp_path)
    assert result.returncode != 0 and 'Traceback' not in result.stderr, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if ': error: ' in line]
    assert len(errors) == 1, result.stderr[-3000:]
    assert 'rawframes_train.txt row 3: frame folder not found' in errors[0], errors[0]
    assert '_gone' in errors[0]
    assert not (tmp_path / 'work').exists()
