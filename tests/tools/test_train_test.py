"""End to end: tools/train.py and tools/test.py on the tiny synthetic set, for real."""
import math

import numpy as np
import pytest

from conftest import ROOT, SINGLE_PROCESS, SYNTHETIC_CONFIG, run_tool
from vsgt.utils import read_test_metrics
from vsgt.utils.safe_pickle import safe_load

FAST = [
    'train_cfg.max_iters=4', 'train_cfg.val_interval=4', 'train_dataloader.batch_size=2',
    'default_hooks.checkpoint.interval=2', 'default_hooks.logger.interval=1', *SINGLE_PROCESS,
]
METRIC = 'frame_mAP@0.5'


def newest_log(work_dir):
    return sorted(work_dir.glob('[0-9]*_[0-9]*/[0-9]*_[0-9]*.log'))[-1].read_text()


@pytest.fixture(scope='module')
def training_run(synthetic_root):
    work_dir = synthetic_root / 'work_dirs' / 'e2e'
    result = run_tool('train.py', SYNTHETIC_CONFIG, '--work-dir', work_dir, '--seed', 0,
                      '--cfg-options', *FAST, cwd=synthetic_root)
    assert result.returncode == 0, result.stderr[-4000:]
    return work_dir, result


@pytest.fixture(scope='module')
def trained(training_run):
    return training_run[0]


def test_train_console_is_short_and_has_no_upstream_warnings(training_run):
    work_dir, result = training_run
    console = result.stdout + result.stderr
    for noise in ('pkg_resources', 'will be deprecated', 'Warning', 'System environment',
                  'Config:', 'Hooks will be executed'):
        assert noise not in console, noise
    assert 'environment, config and hooks in ' in console
    assert len(console.splitlines()) < 40, console
    log = newest_log(work_dir)  # the log file keeps what the console leaves out
    assert 'System environment' in log and 'Config:' in log and 'Hooks will be executed' in log


def test_train_saves_checkpoints_and_validates(trained):
    assert (trained / 'iter_2.pth').is_file() and (trained / 'iter_4.pth').is_file()
    assert (trained / 'last_checkpoint').read_text().strip().endswith('iter_4.pth')
    log = newest_log(trained)
    assert 'Iter(train) [4/4]' in log and 'loss_action_cls' in log
    assert f'{METRIC}:' in log  # validation ran at iteration 4


def test_test_evaluates_and_dumps(trained, synthetic_root):
    work_dir = trained / 'test'
    dump = trained / 'predictions.pkl'
    result = run_tool('test.py', SYNTHETIC_CONFIG, trained / 'iter_4.pth', '--work-dir',
                      work_dir, '--dump', dump, '--cfg-options', *FAST, cwd=synthetic_root)
    assert result.returncode == 0, result.stderr[-4000:]
    value = read_test_metrics(work_dir)[METRIC]
    assert 0.0 <= value <= 1.0 and not math.isnan(value)

    val_rows = (synthetic_root / 'data/synthetic/annotations/val.csv').read_text().splitlines()
    key_frames = {tuple(row.split(',')[:2]) for row in val_rows}
    predictions = safe_load(str(dump))
    assert {(p['video_id'], str(p['timestamp'])) for p in predictions} == key_frames
    scores = predictions[0]['pred_instances']['scores']
    assert isinstance(scores, np.ndarray) and scores.shape[1] == 6
    assert np.all((scores >= 0) & (scores <= 1))


def test_test_show_dir_draws_the_predicted_boxes(trained, synthetic_root):
    """--show-dir writes each key frame with its predicted boxes: the boxes' bottom edges change
    the frame, the rest of it stays as it was."""
    import cv2
    work_dir, dump = trained / 'show', trained / 'show.pkl'
    result = run_tool('test.py', SYNTHETIC_CONFIG, trained / 'iter_4.pth', '--work-dir',
                      work_dir, '--show-dir', 'vis', '--dump', dump, '--cfg-options', *FAST,
                      cwd=synthetic_root)
    assert result.returncode == 0, result.stderr[-4000:]
    predictions = safe_load(str(dump))
    images = sorted(path.name for path in (work_dir / 'vis').iterdir())
    assert images == sorted(f'{p["video_id"]}_{p["timestamp"]:04d}.jpg' for p in predictions)
    for prediction in predictions[:3]:
        video, timestamp = prediction['video_id'], prediction['timestamp']
        drawn = cv2.imread(str(work_dir / 'vis' / f'{video}_{timestamp:04d}.jpg')).astype(float)
        # FrameAVADataset's defaults: timestamp t is frame file img_<t>.jpg
        original = cv2.imread(str(synthetic_root / 'data' / 'synthetic' / 'rawframes' / video /
                                  f'img_{timestamp:05}.jpg')).astype(float)
        height, width = original.shape[:2]
        assert drawn.shape == original.shape
        boxes = prediction['pred_instances']['bboxes'] * [width, height, width, height]
        assert len(boxes)
        for x1, y1, x2, y2 in np.round(boxes).astype(int):
            bottom = np.s_[min(y2, height - 1), x1 + 2:x2 - 1]
            assert np.abs(drawn[bottom] - original[bottom]).mean() > 40, (video, timestamp)
        # the rest is the key frame as it was (on these 128x96 frames the action names cover
        # about two thirds of it)
        assert (np.abs(drawn - original).max(axis=2) < 12).mean() > 0.2


def test_test_show_dir_needs_a_detector(tmp_path):
    config = 'configs/recognition/vsgt/vsgt-s_in1k-pre_8xb8-amp-32x2x1-30e_kinetics400-rgb.py'
    result = run_tool('test.py', config, tmp_path / 'none.pth', '--work-dir', tmp_path,
                      '--show-dir', 'vis', cwd=ROOT)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].endswith(
        'is not a spatio-temporal action detector (its model has no roi_head)'), result.stderr
    assert not (tmp_path / 'vis').exists()


def test_resume_continues_from_the_last_checkpoint(trained, synthetic_root):
    options = [option for option in FAST if not option.startswith('train_cfg.max_iters')]
    result = run_tool('train.py', SYNTHETIC_CONFIG, '--work-dir', trained, '--resume',
                      '--cfg-options', 'train_cfg.max_iters=6', *options, cwd=synthetic_root)
    assert result.returncode == 0, result.stderr[-4000:]
    log = newest_log(trained)
    assert 'resumed epoch: 0, iter: 4' in log
    assert 'Iter(train) [5/6]' in log and 'Iter(train) [1/6]' not in log
    assert (trained / 'iter_6.pth').is_file()
