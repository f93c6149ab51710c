"""Resume is exact: a run SIGKILLed after a checkpoint, or during a checkpoint save, and resumed
repeats the losses of the uninterrupted run; a failed save keeps the previous checkpoint."""
import json
import os
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


def train(synthetic_root, work_dir, *extra, config=CONFIG, options=()):
    return run_tool('train.py', config, '--work-dir', work_dir, '--seed', 0, '--deterministic',
                    '--no-validate', *extra, '--cfg-options', *OPTIONS, *options,
                    cwd=synthetic_root)


@pytest.fixture(scope='module')
def expected(synthetic_root, tmp_path_factory):
    """Per-iteration losses of the uninterrupted run."""
    work_dir = tmp_path_factory.mktemp('reference')
    reference = train(synthetic_root, work_dir)
    assert reference.returncode == 0, reference.stderr[-3000:]
    found = losses(work_dir)
    assert sorted(found) == list(range(1, ITERS + 1))
    # Losses change from iteration to iteration, so equal losses are not a constant.
    assert len({round(found[step], 6) for step in found}) > 1
    return found


def breaking(tmp_path, hook):
    """A config that adds ``hook`` (from kill_hook.py) to the tiny config."""
    config = tmp_path / 'breaking.py'
    config.write_text(
        f"_base_ = [{CONFIG!r}]\n"
        "custom_imports = dict(imports=['vsgt', 'kill_hook'], allow_failed_imports=False)\n"
        f"custom_hooks = [{hook}]\n")
    return config


HOOKS_ON_PATH = dict(PYTHONPATH=os.pathsep.join([ROOT, osp.join(ROOT, 'tests', 'tools')]))


def assert_resumes_exactly(synthetic_root, work_dir, expected, start, options=()):
    resumed = train(synthetic_root, work_dir, '--resume', options=options)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f'resumed epoch: 0, iter: {start}' in resumed.stdout + resumed.stderr
    got = losses(work_dir)
    for step in range(start + 1, ITERS + 1):
        assert got[step] == pytest.approx(expected[step], abs=1e-6, rel=0), step
    assert not list(work_dir.glob('.*.tmp'))


def test_a_run_killed_after_a_checkpoint_resumes_with_the_same_losses(synthetic_root, tmp_path,
                                                                      expected):
    config = breaking(tmp_path, "dict(type='KillAfterIterHook', kill_at=6)")
    work_dir = tmp_path / 'interrupted'
    killed = run_tool('train.py', config, '--work-dir', work_dir, '--seed', 0, '--deterministic',
                      '--no-validate', '--cfg-options', *OPTIONS, cwd=synthetic_root,
                      env=HOOKS_ON_PATH)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert (work_dir / 'last_checkpoint').read_text().strip().endswith('iter_4.pth')
    assert not (work_dir / 'iter_8.pth').exists()
    assert_resumes_exactly(synthetic_root, work_dir, expected, 4)


KEEP_ONE = ['default_hooks.checkpoint.interval=2', 'default_hooks.checkpoint.max_keep_ckpts=1']


def test_a_run_killed_while_saving_keeps_the_previous_checkpoint(synthetic_root, tmp_path,
                                                                  expected):
    config = breaking(tmp_path, "dict(type='BreakSaveHook', at=4, how='kill')")
    work_dir = tmp_path / 'killed_in_save'
    killed = run_tool('train.py', config, '--work-dir', work_dir, '--seed', 0, '--deterministic',
                      '--no-validate', '--cfg-options', *OPTIONS, *KEEP_ONE,
                      cwd=synthetic_root, env=HOOKS_ON_PATH)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    # The save of iteration 4 died half way: its partial file stays hidden, iteration 2 stays.
    assert sorted(p.name for p in work_dir.glob('*.pth')) == ['iter_2.pth']
    assert len(list(work_dir.glob('.iter_4.pth.*.tmp'))) == 1
    assert (work_dir / 'last_checkpoint').read_text().strip().endswith('iter_2.pth')
    assert_resumes_exactly(synthetic_root, work_dir, expected, 2, KEEP_ONE)
    # Only the newest checkpoint is kept, once the newer one is complete.
    assert sorted(p.name for p in work_dir.glob('*.pth')) == [f'iter_{ITERS}.pth']


def test_a_full_disk_keeps_the_previous_checkpoint_and_says_so(synthetic_root, tmp_path):
    config = breaking(tmp_path, "dict(type='BreakSaveHook', at=4, how='disk_full')")
    work_dir = tmp_path / 'disk_full'
    failed = run_tool('train.py', config, '--work-dir', work_dir, '--seed', 0, '--no-validate',
                      '--cfg-options', *OPTIONS, *KEEP_ONE, cwd=synthetic_root,
                      env=HOOKS_ON_PATH)
    assert failed.returncode == 1
    assert 'Traceback' not in failed.stderr, failed.stderr[-3000:]
    errors = [line for line in failed.stderr.splitlines() if ': error: ' in line]
    assert len(errors) == 1, failed.stderr[-3000:]
    assert 'iter_4.pth' in errors[0] and 'No space left on device' in errors[0], errors[0]
    assert sorted(p.name for p in work_dir.glob('*.pth')) == ['iter_2.pth']
    assert torch.load(work_dir / 'iter_2.pth', weights_only=True)['meta']['iter'] == 2
    assert not list(work_dir.glob('.*.tmp'))
    assert list(work_dir.glob('*/*.log'))  # the run's log is kept


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


def test_every_generator_a_model_holds_is_saved_and_restored():
    """FBIL's ``shared_head.seed`` generator (any ``torch.Generator`` a module holds) travels
    with the checkpoint: after a resume it draws what the uninterrupted run drew."""
    from types import SimpleNamespace

    from vsgt_projects.fbil.fbil.fbil_head import FBILHead
    from vsgt.engine import RandomStatesHook
    from vsgt.engine.hooks import model_generators

    def model():
        head = FBILHead(in_channels=8, hidden_channels=8, num_heads=2, ffn_channels=8,
                        encoder_depth=0, fg_depth=1, bg_depth=1, seed=3)
        return torch.nn.ModuleDict(dict(shared_head=head))

    trained = model()
    assert [name for name, _ in model_generators(trained)] == ['shared_head.generator']
    generator = trained['shared_head'].generator
    torch.rand(5, generator=generator)  # the draws of the iterations before the checkpoint
    checkpoint = {}
    RandomStatesHook().before_save_checkpoint(SimpleNamespace(model=trained), checkpoint)
    expected = torch.rand(5, generator=generator)

    resumed = model()  # a fresh process: the generator starts from its seed again
    RandomStatesHook().after_load_checkpoint(SimpleNamespace(model=resumed), checkpoint)
    assert torch.equal(torch.rand(5, generator=resumed['shared_head'].generator), expected)
