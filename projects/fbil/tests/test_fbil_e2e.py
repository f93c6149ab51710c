"""End to end: FBIL trained with tools/train.py and scored with tools/test.py on a fresh, tiny
context synthetic set (4 iterations: the flow, not the accuracy; see tools/benchmark.py)."""
import math
import os.path as osp

import numpy as np

from vsgt.datasets.synthetic import generate_synthetic_dataset
from vsgt.testing import ROOT, SINGLE_PROCESS, run_tool
from vsgt.utils import last_checkpoint, read_test_metrics
from vsgt.utils.safe_pickle import safe_load

CONFIG = osp.join(ROOT, 'projects', 'fbil', 'configs', 'synthetic',
                  'fbil-vsgt-tiny_synthetic-context.py')
FAST = ['train_cfg.max_iters=4', 'train_cfg.val_interval=4', 'param_scheduler.0.end=2',
        'param_scheduler.1.begin=2', 'param_scheduler.1.end=4',
        'default_hooks.checkpoint.interval=4', 'default_hooks.logger.interval=1',
        *SINGLE_PROCESS]


def test_fbil_trains_and_tests_through_the_tools(tmp_path):
    info = generate_synthetic_dataset(tmp_path / 'data' / 'synthetic_context', num_videos=4,
                                      num_frames=24, key_frame_stride=6, val_key_frame_stride=6,
                                      context=True, seed=0, progress=False)
    assert info['classes'][-1] == 'watch_ball'
    work_dir = tmp_path / 'work'
    result = run_tool('train.py', CONFIG, '--work-dir', work_dir, '--seed', 0, '--cfg-options',
                      *FAST, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-4000:]
    checkpoint = last_checkpoint(str(work_dir))
    assert checkpoint.endswith('iter_4.pth')
    log = sorted(work_dir.glob('[0-9]*_[0-9]*/[0-9]*_[0-9]*.log'))[-1].read_text()
    assert 'Iter(train) [4/4]' in log and 'loss_action_cls' in log and 'frame_mAP@0.5:' in log

    dump = tmp_path / 'predictions.pkl'
    result = run_tool('test.py', CONFIG, checkpoint, '--work-dir', tmp_path / 'test', '--dump',
                      dump, '--cfg-options', *SINGLE_PROCESS, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-4000:]
    metrics = read_test_metrics(str(tmp_path / 'test'))
    assert 0 <= metrics['frame_mAP@0.5'] <= 1 and not math.isnan(metrics['frame_mAP@0.5'])
    predictions = safe_load(str(dump))
    rows = (tmp_path / 'data/synthetic_context/annotations/val.csv').read_text().splitlines()
    assert {(p['video_id'], str(p['timestamp'])) for p in predictions} == \
        {tuple(row.split(',')[:2]) for row in rows}
    proposals = safe_load(str(tmp_path / 'data/synthetic_context/annotations/'
                                         'proposals_val.pkl'))
    for prediction in predictions:
        scores = prediction['pred_instances']['scores']
        key = f'{prediction["video_id"]},{prediction["timestamp"]:04d}'
        kept = (proposals[key][:, 4] >= min(0.9, proposals[key][:, 4].max())).sum()
        assert scores.shape == (kept, 7) and np.all((scores >= 0) & (scores <= 1))
