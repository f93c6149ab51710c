"""tools/train.py and tools/test.py refuse what would silently go wrong, in one line naming it:
checkpoints that would run code, truncated ones, another model's weights, a misspelt hook
option, a work dir copied from another run; a failed run that trained keeps its logs; a dump
names its checkpoint. Refusals run the tools in this process (they stop before training)."""
import json
import os
import shutil

import pytest
import torch

from conftest import ROOT, SYNTHETIC_CONFIG, run_in_process, run_tool
from test_bad_input import assert_one_line_error
from test_train_test import FAST
from vsgt.testing import load_script


@pytest.fixture(scope='module')
def tools(tmp_path_factory):
    """tools/train.py and tools/test.py as modules (their directory on the path, as when run)."""
    import sys
    sys.path.insert(0, os.path.join(ROOT, 'tools'))
    try:
        yield load_script('tools/train.py'), load_script('tools/test.py')
    finally:
        sys.path.remove(os.path.join(ROOT, 'tools'))


@pytest.fixture
def project(synthetic_root, tmp_path, monkeypatch):
    """A private copy of the tiny synthetic project, the working directory."""
    shutil.copytree(synthetic_root / 'data', tmp_path / 'data')
    monkeypatch.chdir(tmp_path)
    return tmp_path


class Result:
    """What ``assert_one_line_error`` reads, from an in-process run."""

    def __init__(self, code, out, err):
        self.returncode, self.stdout, self.stderr = code, out, err


def train(capsys, tools, project, *args, options=()):
    return Result(*run_in_process(capsys, tools[0], SYNTHETIC_CONFIG, '--work-dir',
                                  project / 'work', *args, '--cfg-options', *FAST, *options))


class RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


def test_load_from_a_checkpoint_that_would_run_code(capsys, tools, project):
    checkpoint = project / 'payload.pth'
    torch.save({'state_dict': {}, 'meta': RunsCode(project / 'PWNED')}, checkpoint)
    result = train(capsys, tools, project, options=[f'load_from={checkpoint}'])
    assert_one_line_error(result, 'payload.pth', 'refused', 'posix.system')
    assert 'weights_only=False' not in result.stderr
    assert not (project / 'PWNED').exists()
    assert not (project / 'work').exists()


@pytest.mark.parametrize('how', ['--resume', 'load_from'])
def test_a_truncated_checkpoint(capsys, tools, project, how):
    checkpoint = project / 'cut.pth'
    torch.save({'state_dict': {'w': torch.zeros(4096)}}, checkpoint)
    checkpoint.write_bytes(checkpoint.read_bytes()[:2000])
    args = ['--resume', checkpoint] if how == '--resume' else []
    options = [f'load_from={checkpoint}'] if how == 'load_from' else []
    result = train(capsys, tools, project, *args, options=options)
    assert_one_line_error(result, 'cut.pth', 'truncated')
    assert not (project / 'work').exists()


def test_load_from_another_models_checkpoint_is_refused(capsys, tools, project):
    checkpoint = project / 'other.pth'
    torch.save({'state_dict': {'encoder.weight': torch.zeros(3, 3)}}, checkpoint)
    result = train(capsys, tools, project, options=[f'load_from={checkpoint}'])
    assert_one_line_error(result, 'other.pth', 'another model', 'of the model')
    assert not (project / 'work').exists()


def test_a_misspelt_hook_option_is_refused_before_training(capsys, tools, project):
    result = train(capsys, tools, project,
                   options=['default_hooks.checkpoint.filename_tmp=x_{}.pth'])
    assert_one_line_error(result, 'default_hooks.checkpoint.filename_tmp', 'CheckpointHook')
    assert not (project / 'work').exists()


def test_a_run_that_fails_after_training_keeps_its_work_dir(capsys, tools, project):
    """The first save fails (a full disk): no checkpoint, but the logs of the trained
    iterations stay."""
    config = project / 'failing.py'
    config.write_text(
        f"_base_ = [{str(SYNTHETIC_CONFIG)!r}]\n"
        "custom_imports = dict(imports=['vsgt', 'kill_hook'], allow_failed_imports=False)\n"
        "custom_hooks = [dict(type='BreakSaveHook', at=2, how='disk_full')]\n")
    result = Result(*run_in_process(capsys, tools[0], config, '--work-dir', project / 'work',
                                    '--cfg-options', *FAST))
    assert_one_line_error(result, 'iter_2.pth', 'No space left on device')
    logs = list((project / 'work').glob('*/*.log'))
    assert len(logs) == 1 and 'Iter(train) [2/4]' in logs[0].read_text()
    assert not list((project / 'work').glob('*.pth'))


@pytest.fixture(scope='module')
def trained(synthetic_root):
    """A work dir trained for 4 iterations (checkpoints at 2 and 4)."""
    work_dir = synthetic_root / 'work_dirs' / 'reliability'
    result = run_tool('train.py', SYNTHETIC_CONFIG, '--work-dir', work_dir, '--seed', 0,
                      '--no-validate', '--cfg-options', *FAST, cwd=synthetic_root)
    assert result.returncode == 0, result.stderr[-3000:]
    return work_dir


def test_a_copied_work_dir_resumes_from_its_own_checkpoint(capsys, tools, project, trained):
    copy = project / 'copy'
    shutil.copytree(trained, copy)
    assert (copy / 'last_checkpoint').read_text().strip() == str(trained / 'iter_4.pth')
    code, _, err = run_in_process(capsys, tools[0], SYNTHETIC_CONFIG, '--work-dir', copy,
                                  '--resume', '--cfg-options', *FAST)
    assert code == 0, err[-3000:]
    assert f'resuming from {copy / "iter_4.pth"}' in err
    assert 'resumed epoch: 0, iter: 4' in sorted(copy.glob('2*/2*.log'))[-1].read_text()

    (copy / 'iter_4.pth').rename(copy / 'moved.pth')
    (copy / 'last_checkpoint').write_text(str(trained / 'iter_4.pth'))
    code, out, err = run_in_process(capsys, tools[0], SYNTHETIC_CONFIG, '--work-dir', copy,
                                    '--resume', '--cfg-options', *FAST)
    assert_one_line_error(Result(code, out, err), 'last_checkpoint', 'outside the work dir',
                          'iter_4.pth')


def test_a_dump_names_its_checkpoint(capsys, tools, project, trained):
    dump = project / 'results.pkl'
    checkpoint = trained / 'iter_4.pth'
    code, _, err = run_in_process(capsys, tools[1], SYNTHETIC_CONFIG, checkpoint, '--work-dir',
                                  project / 'test', '--dump', dump, '--cfg-options', *FAST)
    assert code == 0, err[-3000:]
    record = json.loads((project / 'results.pkl.meta.json').read_text())
    assert record['checkpoint'] == str(checkpoint)


def test_num_classes_smaller_than_the_data_needs(capsys, tools, project):
    from vsgt.datasets.synthetic_tal import generate_synthetic_tal
    from vsgt.testing import SINGLE_PROCESS
    generate_synthetic_tal(str(project / 'data' / 'synthetic_tal'), num_videos=4, progress=False)
    config = os.path.join(ROOT, 'projects', 'vsgn', 'configs', 'vsgn_synthetic.py')
    code, out, err = run_in_process(capsys, tools[0], config, '--work-dir', project / 'work',
                                    '--cfg-options', 'model.num_classes=1', *SINGLE_PROCESS)
    assert_one_line_error(Result(code, out, err), 'model.num_classes=1', 'annotations.json',
                          'the data has 4 classes')
    assert not (project / 'work').exists()
