"""Bad input to the tools: one clear line naming the culprit, non-zero exit, nothing left behind."""
import os
import pickle
import shutil
import time

import pytest

from conftest import SYNTHETIC_CONFIG, run_tool
from test_train_test import FAST


@pytest.fixture
def project(synthetic_root, tmp_path):
    """A private copy of the tiny synthetic project, free to break."""
    shutil.copytree(synthetic_root / 'data', tmp_path / 'data')
    return tmp_path


def assert_one_line_error(result, *fragments):
    assert result.returncode != 0
    assert 'Traceback' not in result.stderr, result.stderr[-3000:]
    errors = [line for line in result.stderr.splitlines() if ': error: ' in line]
    assert len(errors) == 1, result.stderr[-3000:]
    for fragment in fragments:
        assert fragment in errors[0], errors[0]


def train(project, *options):
    return run_tool('train.py', SYNTHETIC_CONFIG, '--work-dir', project / 'work',
                    '--cfg-options', *FAST, *options, cwd=project)


def annotations(project):
    return project / 'data' / 'synthetic' / 'annotations'


def replace_first_row(csv_path, make_row):
    rows = csv_path.read_text().splitlines()
    rows[0] = make_row(rows[0].split(','))
    csv_path.write_text('\n'.join(rows) + '\n')


def test_missing_frame_folder(project):
    first_video = (annotations(project) / 'train.csv').read_text().split(',')[0]
    shutil.rmtree(project / 'data' / 'synthetic' / 'rawframes' / first_video)
    result = train(project)
    assert_one_line_error(result, first_video, 'rawframes')
    assert not (project / 'work').exists()


def test_csv_row_with_an_unknown_label(project):
    replace_first_row(annotations(project) / 'train.csv', lambda f: ','.join(f[:6] + ['9', f[7]]))
    result = train(project)
    assert_one_line_error(result, 'train.csv', 'row 1', '9')
    assert not (project / 'work').exists()


def test_csv_row_with_a_box_outside_the_frame(project):
    replace_first_row(annotations(project) / 'train.csv',
                      lambda f: ','.join(f[:4] + ['1.2'] + f[5:]))
    result = train(project)
    assert_one_line_error(result, 'train.csv', 'row 1')
    assert not (project / 'work').exists()


def test_empty_proposals_pickle(project):
    with open(annotations(project) / 'proposals_train.pkl', 'wb') as f:
        pickle.dump({}, f)
    result = train(project)
    assert_one_line_error(result, 'proposals_train.pkl', 'empty')
    assert not (project / 'work').exists()


def test_unknown_config_key(project):
    result = train(project, 'model.backbone.depht=18')
    assert_one_line_error(result, 'depht')
    assert not (project / 'work').exists()


def test_missing_config_file(project):
    result = run_tool('train.py', project / 'nope.py', cwd=project)
    assert_one_line_error(result, 'nope.py')


def test_unreadable_checkpoint(project):
    checkpoint = project / 'broken.pth'
    checkpoint.write_bytes(b'not a checkpoint')
    result = run_tool('test.py', SYNTHETIC_CONFIG, checkpoint, '--work-dir', project / 'work',
                      cwd=project)
    assert_one_line_error(result, 'broken.pth')
    assert not (project / 'work').exists()


def test_checkpoint_of_another_model(project):
    import torch
    checkpoint = project / 'other.pth'
    torch.save({'state_dict': {'backbone.conv1.conv.weight': torch.zeros(3, 3)}}, checkpoint)
    result = run_tool('test.py', SYNTHETIC_CONFIG, checkpoint, '--work-dir', project / 'work',
                      '--cfg-options', *FAST, cwd=project)
    assert_one_line_error(result, 'other.pth', 'backbone.conv1.conv.weight')
    assert not (project / 'work').exists()


def test_proposals_pickle_that_would_run_code(project):
    class RunsCode:
        def __reduce__(self):
            return os.system, (f'touch {project / "PWNED"}', )

    with open(annotations(project) / 'proposals_train.pkl', 'wb') as f:
        pickle.dump({'video,0001': RunsCode()}, f)
    result = train(project)
    assert_one_line_error(result, 'proposals_train.pkl', 'refused', 'posix.system')
    assert not (project / 'PWNED').exists()
    assert not (project / 'work').exists()


@pytest.mark.parametrize('workers', [0, 2])
def test_corrupt_frame_image(project, workers):
    rawframes = project / 'data' / 'synthetic' / 'rawframes'
    video = sorted(p.name for p in rawframes.iterdir())[0]
    frames = sorted((rawframes / video).iterdir())
    for frame in frames:  # whichever frame a clip samples first is broken
        frame.write_bytes(frame.read_bytes()[:40])
    result = train(project, f'train_dataloader.num_workers={workers}',
                   f'train_dataloader.persistent_workers={workers > 0}')
    assert_one_line_error(result, 'cannot be decoded', video, 'frame index')
    assert not (project / 'work').exists()


def test_config_with_a_syntax_error(project):
    config = project / 'broken_config.py'
    config.write_text(f'_base_ = [{SYNTHETIC_CONFIG!r}]\nmodel = dict(\n    type=\n')
    result = run_tool('train.py', config, '--work-dir', project / 'work', cwd=project)
    assert_one_line_error(result, 'broken_config.py', 'line 2', 'syntax error')
    assert not (project / 'work').exists()


def test_base_config_with_a_syntax_error(project):
    (project / 'base.py').write_text('x = (1,\n')
    config = project / 'child.py'
    config.write_text("_base_ = ['base.py']\n")
    result = run_tool('test.py', config, project / 'none.pth', cwd=project)
    assert_one_line_error(result, 'child.py', 'syntax error')


@pytest.mark.parametrize('tool, argv', [('train.py', ['--help']), ('train.py', ['--bogus']),
                                        ('test.py', ['--help']),
                                        ('train.py', ['x.py', '--cfg-options', 'noequals'])])
def test_help_and_wrong_flags_answer_at_once(tool, argv, tmp_path):
    start = time.perf_counter()
    result = run_tool(tool, *argv, cwd=tmp_path)
    assert time.perf_counter() - start < 1.0
    assert result.returncode == (0 if argv == ['--help'] else 2), result.stderr
    assert 'usage:' in result.stdout + result.stderr
