"""Resume is exact: a run SIGKILLed after a checkpoint and resumed repeats the losses of the
uninterrupted run."""
import json
import os.path as osp
import signal

import pytest
import torch

from conftest import ROOT, SINGLE_PROCESS, run_tool
from vsgt.engine import get_random_states, set_random_states
from vsgt.evaluation.functional.formats import atomic_write

CONFIG = osp.join(ROOT, 'configs', 'synthetic', 'vsgt-tiny_synthetic.py')
ITERS = 8
OPTIONS = [f'train_cfg.max_iters={ITERS}', 'default_hooks.checkpoint.interval=4',
           'default_hooks.logger.interval=1', 'log_processor.window_size=1',
           'log_processor.num_digits=12', *SINGLE_PROCESS]


def losses(work_dir):
    """``{iteration: loss}`` from every run's scalars.json in ``work_dir``."""
    found = {}
    for path in sorted(work_dir.glob('[0-9]*_[0-9]*/vis_data/scalars.json')):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            if 'loss' in record:
                found[record['step']] = record['loss']
    return found


def train(synthetic_root, work_dir, *extra, config=CONFIG):
    return run_tool('train.py', config, '--work-dir', work_dir, '--seed', 0, '--deterministic',
                    '--no-validate', *extra, '--cfg-options', *OPTIONS, cwd=synthetic_root)


def test_a_run_killed_after_a_checkpoint_resumes_with_the_same_losses(synthetic_root, tmp_path):
    reference = train(synthetic_root, tmp_path / 'reference')
    assert reference.returncode == 0, reference.stderr[-3000:]
    expected = losses(tmp_path / 'reference')
    assert sorted(expected) == list(range(1, ITERS + 1))

    killing = tmp_path / 'killing.py'
    killing.write_text(
        f"_base_ = [{CONFIG!r}]\n"
        "custom_imports = dict(imports=['vsgt', 'kill_hook'], allow_failed_imports=False)\n"
        "custom_hooks = [dict(type='KillAfterIterHook', kill_at=6)]\n")
    work_dir = tmp_path / 'interrupted'
    env = dict(PYTHONPATH=osp.join(ROOT, 'tests', 'tools'))
    killed = run_tool('train.py', killing, '--work-dir', work_dir, '--seed', 0, '--deterministic',
                      '--no-validate', '--cfg-options', *OPTIONS, cwd=synthetic_root, env=env)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert (work_dir / 'last_checkpoint').read_text().strip().endswith('iter_4.pth')
    assert not (work_dir / 'iter_8.pth').exists()

    resumed = train(synthetic_root, work_dir, '--resume')
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert 'resumed epoch: 0, iter: 4' in resumed.stdout + resumed.stderr
    got = losses(work_dir)
    for step in range(5, ITERS + 1):
        assert got[step] == pytest.approx(expected[step], abs=1e-6, rel=0), step
    # The control: before the resume the losses were the reference's too, and they change
    # from iteration to iteration, so equal losses are not a constant.
    assert len({round(expected[step], 6) for step in expected}) > 1


def test_random_states_round_trip():
    states = get_random_states()
    first = torch.rand(3)
    set_random_states(states)
    assert torch.equal(torch.rand(3), first)


def test_a_checkpoint_write_that_dies_leaves_the_old_file(tmp_path):
    path = tmp_path / 'iter_4.pth'
    torch.save({'good': torch.ones(2)}, path)

    def dies_half_way(file):
        file.write(b'partial')
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(str(path), dies_half_way)
    assert torch.equal(torch.load(path)['good'], torch.ones(2))
    assert [p.name for p in tmp_path.iterdir()] == ['iter_4.pth']


def test_mmengine_checkpoints_are_written_atomically(tmp_path, monkeypatch):
    from mmengine.runner import checkpoint, runner
    assert runner.save_checkpoint is checkpoint.save_checkpoint
    path = tmp_path / 'epoch_1.pth'
    checkpoint.save_checkpoint({'w': torch.zeros(1)}, str(path))
    monkeypatch.setattr(torch, 'save', lambda obj, file: file.write(b'cut') and 1 / 0)
    with pytest.raises(ZeroDivisionError):
        checkpoint.save_checkpoint({'w': torch.ones(1)}, str(path))
    monkeypatch.undo()
    assert torch.equal(torch.load(path)['w'], torch.zeros(1))
