"""tools/dist_train.sh, tools/dist_test.sh and tools/slurm_test.sh: two CPU processes over gloo
train one model, and test a checkpoint to the metric a single process gives."""
import json
import os
import os.path as osp

import pytest

from conftest import ROOT, SYNTHETIC_CONFIG, run_tool
from test_slurm import fake_slurm
from test_train_test import FAST
from vsgt.utils import read_test_metrics
from vsgt.utils.safe_pickle import safe_load


def test_two_cpu_ranks_train_the_same_model(synthetic_root, tmp_path):
    config = tmp_path / 'dist_config.py'
    config.write_text(
        f"_base_ = [{SYNTHETIC_CONFIG!r}]\n"
        "custom_imports = dict(imports=['vsgt', 'rank_check'], allow_failed_imports=False)\n"
        f"custom_hooks = [dict(type='RankCheckHook', out_dir={str(tmp_path)!r})]\n")
    work_dir = tmp_path / 'work'
    pythonpath = osp.join(ROOT, 'tests', 'tools')
    # PYTHONFAULTHANDLER: a rank killed by a signal prints the Python stack of its threads.
    result = run_tool('dist_train.sh', config, 2, '--work-dir', work_dir, '--cfg-options', *FAST,
                      cwd=synthetic_root, env=dict(PYTHONPATH=pythonpath, PORT='29517',
                                                   PYTHONFAULTHANDLER='1'))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]

    ranks = [json.loads((tmp_path / f'rank{r}.json').read_text()) for r in (0, 1)]
    assert [r['world_size'] for r in ranks] == [2, 2]
    assert {r['backend'] for r in ranks} == {'gloo'}
    assert ranks[0]['gathered'] == ranks[1]['gathered'] == [ranks[0]['checksum']] * 2
    # The distributed sampler gives the ranks different key frames, 4 iterations x 2 each.
    assert len(ranks[0]['samples']) == len(ranks[1]['samples']) == 8
    assert ranks[0]['samples'] != ranks[1]['samples']
    assert (work_dir / 'iter_4.pth').is_file()


@pytest.fixture(scope='module')
def single_process_test(synthetic_root, tmp_path_factory):
    """A checkpoint trained for 4 iterations, and its tools/test.py metrics and predictions."""
    root = tmp_path_factory.mktemp('dist_test')
    result = run_tool('train.py', SYNTHETIC_CONFIG, '--work-dir', root / 'train', '--seed', 0,
                      '--no-validate', '--cfg-options', *FAST, cwd=synthetic_root)
    assert result.returncode == 0, result.stderr[-4000:]
    checkpoint = root / 'train' / 'iter_4.pth'
    result = run_tool('test.py', SYNTHETIC_CONFIG, checkpoint, '--work-dir', root / 'test',
                      '--dump', root / 'test.pkl', '--cfg-options', *FAST, cwd=synthetic_root)
    assert result.returncode == 0, result.stderr[-4000:]
    return checkpoint, read_test_metrics(root / 'test'), safe_load(str(root / 'test.pkl'))


def assert_same_result(work_dir, dump, single_process_test):
    _, metrics, predictions = single_process_test
    distributed = read_test_metrics(work_dir)
    names = [name for name in metrics if '@' in name]
    assert names and 0 < metrics['frame_mAP@0.5'] <= 1
    assert {name: distributed[name] for name in names} == pytest.approx(
        {name: metrics[name] for name in names}, abs=1e-6)
    # Rank 0 gathers every key frame once, in the dataset's order.
    gathered = safe_load(str(dump))
    assert [(p['video_id'], p['timestamp']) for p in gathered] == [
        (p['video_id'], p['timestamp']) for p in predictions]


def test_dist_test_on_two_cpu_ranks_equals_one_process(synthetic_root, tmp_path,
                                                        single_process_test):
    checkpoint = single_process_test[0]
    result = run_tool('dist_test.sh', SYNTHETIC_CONFIG, checkpoint, 2, '--work-dir',
                      tmp_path / 'test', '--dump', tmp_path / 'test.pkl', '--cfg-options',
                      *FAST, cwd=synthetic_root, env=dict(PORT='29519', PYTHONFAULTHANDLER='1'))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    assert_same_result(tmp_path / 'test', tmp_path / 'test.pkl', single_process_test)


def test_slurm_test_on_two_cpu_tasks_equals_one_process(synthetic_root, tmp_path,
                                                         single_process_test):
    checkpoint = single_process_test[0]
    fake_slurm(tmp_path / 'bin')
    env = dict(PATH=f"{tmp_path / 'bin'}:{os.environ['PATH']}", GPUS='2', GPUS_PER_NODE='0',
               TASKS_PER_NODE='2', MASTER_PORT='29535', SRUN_LOG=str(tmp_path / 'srun.txt'),
               PYTHONFAULTHANDLER='1')
    result = run_tool('slurm_test.sh', 'cpu', 'vsgt-test', SYNTHETIC_CONFIG, checkpoint,
                      '--work-dir', tmp_path / 'test', '--dump', tmp_path / 'test.pkl',
                      '--cfg-options', *FAST, cwd=synthetic_root, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    assert '--ntasks=2' in (tmp_path / 'srun.txt').read_text()
    assert_same_result(tmp_path / 'test', tmp_path / 'test.pkl', single_process_test)
