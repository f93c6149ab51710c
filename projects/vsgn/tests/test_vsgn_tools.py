"""The VSGN tools: the timeline plot and the benchmark's table and configs."""
import json

import numpy as np
import pytest

from vsgt.testing import load_script, run_in_process
from vsgt.utils.tal_benchmark import ACCURACY, format_table



def load_tool(name):
    return load_script(f'projects/vsgn/tools/{name}.py')


@pytest.fixture
def files(tmp_path):
    database = {'a': dict(subset='validation', duration=20., annotations=[
        dict(segment=[1., 3.], label='jump'), dict(segment=[10., 15.], label='run')])}
    results = {'a': [dict(label='jump', score=0.9, segment=[1.2, 3.1]),
                     dict(label='jump', score=0.4, segment=[1.0, 2.0]),
                     dict(label='run', score=0.7, segment=[9.0, 16.0])]}
    ann, res = tmp_path / 'ann.json', tmp_path / 'res.json'
    ann.write_text(json.dumps(dict(database=database)))
    res.write_text(json.dumps(dict(version='1.3', results=results, external_data={})))
    return ann, res


def test_plot_timeline_writes_a_png(files, tmp_path, capsys):
    ann, res = files
    out = tmp_path / 'plot.png'
    code, stdout, _ = run_in_process(capsys, load_tool('plot_timeline'), res, ann, '--video',
                                     'a', '--out', out)
    assert code == 0 and 'wrote' in stdout
    assert out.read_bytes().startswith(b'\x89PNG')


def test_timeline_packs_overlapping_detections_in_tiers():
    from vsgt.visualization.timeline import pack
    tiers = pack(np.array([[0., 5.], [1., 2.], [3., 4.], [6., 7.]]))
    assert tiers.tolist() == [0, 1, 1, 0]


def test_plot_timeline_unknown_video_is_one_line(files, tmp_path, capsys):
    ann, res = files
    out = tmp_path / 'plot.png'
    code, _, stderr = run_in_process(capsys, load_tool('plot_timeline'), res, ann, '--video',
                                     'b', '--out', out)
    assert code == 1 and "video 'b' is not in the evaluated subset" in stderr
    assert len(stderr.strip().splitlines()) == 1 and not out.exists()


def test_benchmark_table_gives_ratios_to_the_first_config():
    accuracy = {key: 0.5 for key in ACCURACY}
    cost = dict(train_time=10., infer_time=1., params=1e5, flops=2e6)
    results = {'base': [dict(accuracy, **cost)] * 2,
               'big': [dict(accuracy, **{k: 3 * v for k, v in cost.items()}),
                       dict(accuracy, mAP=0.7, **{k: v for k, v in cost.items()})]}
    table = format_table(results, [0, 1]).splitlines()
    assert table[2].startswith('| base | 50.0 (50.0-50.0)') and table[2].endswith(
        '| 1.00x | 1.00x | 1.00x | 1.00x |')
    assert '| 60.0 (50.0-70.0) |' in table[3] and table[3].endswith(
        '| 2.00x | 2.00x | 2.00x | 2.00x |')


def test_benchmark_config_follows_the_iterations_and_seed(tmp_path):
    cfg = load_tool('benchmark').build_config('vsgn_synthetic', 3, 120, str(tmp_path))
    assert cfg.train_cfg.max_iters == 120 and cfg.randomness.seed == 3
    assert cfg.param_scheduler[-1].end == 120 and cfg.test_dataloader.batch_size == 1


def test_benchmark_rejects_an_unknown_config(capsys):
    code, _, stderr = run_in_process(capsys, load_tool('benchmark'), '--configs', 'nope')
    assert code == 1 and 'config nope.py not found' in stderr
