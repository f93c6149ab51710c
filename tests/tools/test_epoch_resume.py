"""Exact resume in an epoch loop with persistent loader workers (the real VSGN and GAF
schedules): the workers' random streams are re-seeded at every epoch from the saved state, so a
run killed in its second epoch and resumed repeats the uninterrupted run's losses."""
import os.path as osp
import signal

import pytest

from conftest import ROOT, run_tool
from test_exact_resume import HOOKS_ON_PATH, losses

CONFIG = osp.join(ROOT, 'configs', 'synthetic', 'vsgt-tiny_synthetic.py')
EPOCHS = 2
OPTIONS = ['default_hooks.logger.interval=1', 'log_processor.window_size=1',
           'log_processor.num_digits=12']


def epoch_config(tmp_path, hooks=''):
    """The tiny detector in an epoch loop, 2 persistent workers with random rescale and crop."""
    tmp_path.mkdir(exist_ok=True)
    config = tmp_path / 'epochs.py'
    config.write_text(
        f"_base_ = [{CONFIG!r}]\n"
        "custom_imports = dict(imports=['vsgt', 'kill_hook'], allow_failed_imports=False)\n"
        f"custom_hooks = [{hooks}]\n"
        "train_dataloader = dict(batch_size=4, num_workers=2, persistent_workers=True,\n"
        "                        sampler=dict(_delete_=True, type='DefaultSampler',\n"
        "                                     shuffle=True))\n"
        f"train_cfg = dict(_delete_=True, type='EpochBasedTrainLoop', max_epochs={EPOCHS})\n"
        "param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=True)]\n"
        "default_hooks = dict(checkpoint=dict(interval=1, by_epoch=True, max_keep_ckpts=1))\n")
    return config


def train(project, config, work_dir, *extra):
    return run_tool('train.py', config, '--work-dir', work_dir, '--seed', 0, '--deterministic',
                    '--no-validate', *extra, '--cfg-options', *OPTIONS, cwd=project,
                    env=HOOKS_ON_PATH)


def test_epoch_loop_with_persistent_workers_resumes_exactly(synthetic_root, tmp_path):
    reference = train(synthetic_root, epoch_config(tmp_path / 'a'), tmp_path / 'reference')
    assert reference.returncode == 0, reference.stderr[-3000:]
    expected = losses(tmp_path / 'reference')
    per_epoch = len(expected) // EPOCHS
    assert per_epoch >= 2 and sorted(expected) == list(range(1, EPOCHS * per_epoch + 1))

    work_dir = tmp_path / 'interrupted'
    killing = epoch_config(tmp_path / 'b', f"dict(type='KillAfterIterHook', "
                           f"kill_at={per_epoch + 1})")
    killed = train(synthetic_root, killing, work_dir)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert (work_dir / 'last_checkpoint').read_text().strip().endswith('epoch_1.pth')

    resumed = train(synthetic_root, epoch_config(tmp_path / 'c'), work_dir, '--resume')
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    got = losses(work_dir)
    for step in range(per_epoch + 1, EPOCHS * per_epoch + 1):
        assert got[step] == pytest.approx(expected[step], abs=1e-6, rel=0), step
    # Epochs draw different augmentations: the second epoch's losses are not the first's.
    assert [round(expected[s], 6) for s in range(1, per_epoch + 1)] != \
        [round(expected[s], 6) for s in range(per_epoch + 1, 2 * per_epoch + 1)]
