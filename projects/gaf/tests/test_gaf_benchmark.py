"""projects/gaf/tools/benchmark.py: the models it compares, the step groups of its attention
measure (hand-computed), and a short run on a tiny frame set; benchmark_step.py's step time."""
import json
import os.path as osp
import re

import numpy as np
import pytest

from vsgt.datasets.synthetic_tal import generate_synthetic_tal_frames
from vsgt.testing import run_in_process
from vsgt_projects.gaf.tools import benchmark, benchmark_step

CONFIG_DIR = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs')


def test_frame_models_share_the_afsd_budget():
    reference = benchmark.model_config('frames', 'AFSD')
    for name in ('GAF', 'GAF-mean', 'AFSD-features', 'GAF-features', 'GAF-features-mean'):
        cfg = benchmark.model_config('frames', name)
        for key in ('train_cfg', 'param_scheduler'):
            assert cfg[key] == reference[key], (name, key)
        assert cfg.train_dataloader.batch_size == reference.train_dataloader.batch_size
        assert cfg.model.type == {'GAF': 'GAFE2E', 'AFSD-features': 'AFSDLocalizer'}.get(
            name.replace('-mean', ''), 'GAF')
        if name.startswith('GAF'):
            assert cfg.model.get('norm', 'batch_sum') == ('mean' if name.endswith('-mean') else
                                                         'batch_sum')
            assert cfg.model.pull_warmup == 100  # the iteration warm-up of the pull
    # the feature variants read the same 128-frame windows as 32 steps of 4 frames
    features = benchmark.model_config('frames', 'AFSD-features')
    assert features.model.window_size * 4 == reference.model.window_size
    assert features.train_dataloader.dataset.window_stride * 4 == \
        reference.train_dataloader.dataset.window_stride


def test_clutter_models_share_the_afsd_budget():
    reference = benchmark.model_config('clutter', 'AFSD')
    for name in ('GAF', 'VSGN'):
        cfg = benchmark.model_config('clutter', name)
        for key in ('train_cfg', 'param_scheduler', 'train_dataloader'):
            assert cfg[key] == reference[key], (name, key)
    vsgn = benchmark.model_config('clutter', 'VSGN').model
    assert (vsgn.type, vsgn.in_channels, vsgn.window_size, vsgn.channels) == ('VSGN', 64, 64, 64)


def test_step_groups_by_hand(tmp_path):
    # one video of 5 s at 10 frames/s: an action at [1.0, 2.0] s, a distractor at [1.5, 4.0] s
    (tmp_path / 'annotations.json').write_text(json.dumps(dict(database=dict(v=dict(
        subset='validation', duration=5., annotations=[dict(segment=[1., 2.],
                                                            label='a')])))))
    (tmp_path / 'summary.json').write_text(json.dumps(dict(distractors=dict(v=[[1.5, 4.]]))))
    spans = benchmark.StepSpans(str(tmp_path))
    metainfo = dict(video_name='v', window_start=0, scale=1, feature_offset=0, feature_rate=10.,
                    duration=5., num_valid=40)
    # 12 steps of 4 frames over a 48-frame window: centres 0.2, 0.6, ..., 4.6 s; the last two
    # past the 40 valid frames
    groups = spans.groups(metainfo, num_steps=12, window_size=48)
    assert groups.tolist() == [2, 2, 0, 0, 0, 1, 1, 1, 1, 1, -1, -1]
    # a later window: frame 20 on (2.0 s), 6 steps of 8 frames: centres 2.4, 3.2, 4.0, 4.8 s, then padding
    later = dict(metainfo, window_start=20, num_valid=30)
    assert spans.groups(later, num_steps=6, window_size=48).tolist() == [1, 1, 1, 2, -1, -1]


def test_attention_tables_by_hand():
    runs = [dict(attention=dict(mixed_4f=np.array([0.6, 0.5, 0.4]))),
            dict(attention=dict(mixed_4f=np.array([0.7, 0.7, 0.2])))]
    table = benchmark.attention_table('frames', dict(AFSD=[dict()], GAF=runs)).splitlines()
    assert table[0] == ('| GAF attention (validation windows) | actions | distractors only | '
                        'neither | actions - distractors |')
    # means over the runs [min, max]; the last column is per run (0.1, 0.0), then averaged
    assert table[2] == ('| GAF, Mixed_4f | 0.650 [0.600, 0.700] | 0.600 [0.500, 0.700] | '
                        '0.300 [0.200, 0.400] | 0.050 [0.000, 0.100] |')
    assert len(table) == 3  # AFSD has no attention row
    clutter = benchmark.attention_table(
        'clutter', dict(GAF=[dict(attention=dict(features=np.array([0.5, 0.4, 0.3, 0.2])))]))
    assert clutter.splitlines()[2] == ('| GAF | 0.500 [0.500, 0.500] | 0.400 [0.400, 0.400] | '
                                       '0.300 [0.300, 0.300] | 0.200 [0.200, 0.200] |')


@pytest.fixture(scope='module')
def tiny_work_dir(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('gaf_benchmark')
    generate_synthetic_tal_frames(str(work_dir / 'data' / 'synthetic_tal_frames'),
                                  preset='frames_tiny', progress=False)
    return work_dir


def test_a_short_run_on_frames(tiny_work_dir, capsys, monkeypatch):
    monkeypatch.chdir(tiny_work_dir)
    code, out, err = run_in_process(capsys, benchmark, '--models', 'GAF', 'AFSD-features',
                                    '--iters', 2, '--seeds', 0, '--work-dir', tiny_work_dir)
    assert code == 0, err
    assert re.search(r'^\| GAF \| .* \| 1\.00x \| 1\.00x \| 1\.00x \| 1\.00x \|$', out, re.M)
    assert re.search(r'^\| AFSD-features \| ', out, re.M)
    rows = re.findall(r'^\| GAF, (Mixed_4f|Mixed_5c) \| (.*) \|$', out, re.M)
    assert [name for name, _ in rows] == ['Mixed_4f', 'Mixed_5c']
    for _, cells in rows:
        means = [float(cell.split()[0]) for cell in cells.split(' | ')]
        assert all(0 < m < 1 for m in means[:3])  # sigmoid attention at each step group
        assert means[3] == pytest.approx(means[0] - means[1], abs=2e-3)
    assert (tiny_work_dir / 'GAF_seed0' / 'iter_2.pth').is_file()


@pytest.mark.parametrize('argv, message', [
    (['--models', 'VSGN'], '--models VSGN: not a model of --dataset frames'),
    (['--dataset', 'frames', '--actionformer', 'x'], '--actionformer runs on --dataset clutter'),
])
def test_bad_arguments_in_one_line(tmp_path, capsys, argv, message):
    code, _, err = run_in_process(capsys, benchmark, *argv, '--work-dir', tmp_path)
    assert code == 1 and message in err and len(err.strip().splitlines()) == 1


def test_step_time_of_an_end_to_end_config(capsys):
    code, out, err = run_in_process(
        capsys, benchmark_step, osp.join(CONFIG_DIR, 'gaf_synthetic-frames.py'),
        '--batch-size', 1, '--steps', 1, '--cfg-options', 'model.window_size=64')
    assert code == 0, err
    assert out.startswith('GAFE2E: batches of 1 x (3, 64, 32, 32) on cpu')
    line = out.splitlines()[-1]
    assert re.match(r'seed 0: \d+\.\d\d s per step \(min .*, 1 steps\), CPU \d+\.\d\d s', line)
    # both passes ran, with the background pass, the pull and AFSD's triplet loss
    assert {'loss_cvae_rec', 'loss_cls_bg', 'loss_pull', 'loss_ssl'} <= set(
        line.split('losses ')[1].split(', '))


def test_step_time_refuses_a_feature_config(capsys):
    code, _, err = run_in_process(capsys, benchmark_step,
                                  osp.join(CONFIG_DIR, 'afsd_synthetic-frames-features.py'))
    assert code == 1 and 'not an end-to-end config (model.crop_size missing)' in err
