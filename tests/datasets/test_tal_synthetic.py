"""Tests of the synthetic TAL generator, its statistics and its CLI."""
import json
from pathlib import Path

import numpy as np
import pytest
from mmengine.registry import init_default_scope

from vsgt.datasets import TALFeatureDataset, generate_synthetic_tal
from vsgt.datasets import synthetic_tal
from vsgt.testing import ROOT, load_script, run_in_process, run_tool

CLI = Path(ROOT) / 'tools' / 'data' / 'synthetic_tal' / 'generate.py'


def _files(root):
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob('*')) if p.is_file()}


def _load(root):
    database = json.loads((Path(root) / 'annotations.json').read_text())['database']
    features = {video: np.load(Path(root) / 'features' / f'{video}.npy', allow_pickle=False)
                for video in database}
    return database, features


@pytest.fixture(scope='module')
def multiscale(tmp_path_factory):
    root = tmp_path_factory.mktemp('tal') / 'multiscale'
    return root, generate_synthetic_tal(str(root), seed=0, progress=False)


@pytest.fixture(scope='module')
def clutter(tmp_path_factory):
    root = tmp_path_factory.mktemp('tal') / 'clutter'
    return root, generate_synthetic_tal(str(root), preset='clutter', seed=0, progress=False)


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    first = generate_synthetic_tal(str(tmp_path / 'a'), num_videos=6, seed=3, progress=False)
    again = generate_synthetic_tal(str(tmp_path / 'b'), num_videos=6, seed=3, progress=False)
    assert _files(tmp_path / 'a') == _files(tmp_path / 'b')
    assert {k: v for k, v in first.items() if k != 'out_dir'} == \
        {k: v for k, v in again.items() if k != 'out_dir'}
    generate_synthetic_tal(str(tmp_path / 'c'), num_videos=6, seed=4, progress=False)
    other, same = _files(tmp_path / 'c'), _files(tmp_path / 'a')
    assert other.keys() == same.keys()
    assert other[Path('annotations.json')] != same[Path('annotations.json')]
    assert other[Path('features/video_0000.npy')] != same[Path('features/video_0000.npy')]


def test_multiscale_statistics(multiscale):
    root, summary = multiscale
    database, features = _load(root)
    assert len(database) == 48 and summary['classes'] == [
        'class_1', 'class_2', 'class_3', 'class_4']
    assert {v['subset'] for v in database.values()} == {'training', 'validation'}
    assert sum(v['subset'] == 'validation' for v in database.values()) == 12
    rate = summary['feature_rate']
    assert rate == 7.5
    lengths, sparse = [], 0
    for video, entry in database.items():
        feature = features[video]
        assert feature.dtype == np.float32 and feature.shape[1] == 32
        assert entry['duration'] == len(feature) / rate
        steps = np.array([a['segment'] for a in entry['annotations']]) * rate
        np.testing.assert_allclose(steps, np.rint(steps), atol=1e-9)
        assert (steps[1:, 0] >= steps[:-1, 1] + 3 - 1e-9).all()  # ordered, >= 3 steps apart
        assert steps.min() >= 3 - 1e-9 and steps.max() <= len(feature) - 3 + 1e-9
        video_lengths = (steps[:, 1] - steps[:, 0]).round().astype(int)
        lengths.extend(video_lengths)
        if len(video_lengths) == 1 and video_lengths[0] <= 8 and len(feature) >= 600:
            sparse += 1
        else:
            assert 300 <= len(feature) <= 1200 and len(video_lengths) >= 2
    lengths = np.array(lengths)
    assert lengths.min() >= 2 and lengths.max() <= 160
    assert lengths.max() >= 100  # the lengths span two orders of magnitude
    assert (lengths <= 8).mean() >= 0.30
    assert sparse == 9  # round(0.2 * 36) + round(0.2 * 12)
    stats = summary['statistics']
    assert stats['training']['sparse_videos'] + stats['validation']['sparse_videos'] == 9
    assert stats['training']['actions'] + stats['validation']['actions'] == len(lengths)
    short = sum(s['short_fraction'] * s['actions'] for s in stats.values())
    assert short == pytest.approx((lengths <= 8).sum())
    assert json.loads((root / 'summary.json').read_text())['statistics'] == stats


def test_multiscale_actions_stand_out_of_the_background(multiscale):
    root, summary = multiscale
    database, features = _load(root)
    inside, outside = [], []
    for video, entry in database.items():
        mask = np.zeros(len(features[video]), bool)
        for annotation in entry['annotations']:
            start, end = np.rint(np.array(annotation['segment']) * 7.5).astype(int)
            mask[start:end] = True
        inside.append(features[video][mask])
        outside.append(features[video][~mask])
    inside, outside = np.concatenate(inside), np.concatenate(outside)
    # Background: unit variance AR(1) with rho 0.9; actions add 2 x a unit-RMS prototype.
    assert outside.var() == pytest.approx(1, abs=0.15)
    lag = np.mean([np.corrcoef(f[1:, 0], f[:-1, 0])[0, 1] for f in features.values()])
    assert lag > 0.8
    assert (inside ** 2).mean() > outside.var() + 3


def test_clutter_preset(clutter):
    root, summary = clutter
    database, features = _load(root)
    assert summary['feature_dim'] == 64 and len(summary['classes']) == 3
    lengths, energy = [], {name: [0., 0.] for name in ('class', 'clutter', 'rest')}
    for video, entry in database.items():
        feature = features[video]
        assert feature.shape[1] == 64
        mask = np.zeros(len(feature), bool)
        for annotation in entry['annotations']:
            start, end = np.rint(np.array(annotation['segment']) * 2.5).astype(int)
            lengths.append(end - start)
            mask[start:end] = True
        for name, channels in (('class', slice(0, 16)), ('clutter', slice(16, 32)),
                               ('rest', slice(32, 64))):
            energy[name][0] += (feature[mask, channels] ** 2).sum()
            energy[name][1] += (feature[~mask, channels] ** 2).sum()
    assert 3 <= min(lengths) and max(lengths) <= 48
    inside_steps = sum(round((a['segment'][1] - a['segment'][0]) * 2.5)
                       for e in database.values() for a in e['annotations'])
    outside_steps = sum(len(f) for f in features.values()) - inside_steps
    per_step = {name: (e_in / inside_steps / 16, e_out / outside_steps / 16)
                for name, (e_in, e_out) in energy.items()}
    per_step['rest'] = tuple(v / 2 for v in per_step['rest'])  # 32 channels
    assert per_step['class'][0] > per_step['class'][1] + 3  # class signal inside actions only
    assert per_step['clutter'][1] > 1.5  # strong bursts outside the actions too
    assert abs(per_step['clutter'][0] - per_step['clutter'][1]) < 1  # as strong inside
    assert per_step['rest'][0] == pytest.approx(1, abs=0.2)
    assert per_step['rest'][1] == pytest.approx(1, abs=0.2)


def test_the_dataset_reads_both_presets(multiscale, clutter):
    init_default_scope('mmaction')
    for (root, summary), window in ((multiscale, 256), (clutter, 64)):
        dataset = TALFeatureDataset(
            str(root / 'annotations.json'), [dict(type='LoadTALFeature'),
                                             dict(type='PackTALInputs')],
            data_prefix=dict(feature=str(root / 'features')), subset='training',
            feature_rate=summary['feature_rate'], feature_dim=summary['feature_dim'],
            window_size=window, window_stride=window // 4)
        assert len(dataset) > 36 and dataset.metainfo['classes'] == tuple(summary['classes'])
        sample = dataset[0]
        assert sample['inputs'].shape == (summary['feature_dim'], window)
        assert len(sample['data_samples'].gt_instances) >= 1


def test_a_failed_run_leaves_nothing(tmp_path, monkeypatch):
    calls, save = [], np.save

    def failing_save(*args, **kwargs):
        calls.append(args)
        if len(calls) == 3:
            raise OSError('disk full')
        save(*args, **kwargs)

    monkeypatch.setattr(synthetic_tal.np, 'save', failing_save)
    with pytest.raises(OSError, match='disk full'):
        generate_synthetic_tal(str(tmp_path / 'out'), num_videos=4, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_bad_arguments(tmp_path):
    for kwargs, message in [(dict(preset='big'), "preset must be one of .* got 'big'"),
                            (dict(num_videos=1), 'num_videos must be an int >= 2, got 1'),
                            (dict(seed=-1), 'seed must be an int >= 0')]:
        with pytest.raises(ValueError, match=message):
            generate_synthetic_tal(str(tmp_path / 'x'), progress=False, **kwargs)
    (tmp_path / 'full').mkdir()
    (tmp_path / 'full' / 'file').write_text('x')
    with pytest.raises(FileExistsError, match='not empty'):
        generate_synthetic_tal(str(tmp_path / 'full'), num_videos=2, progress=False)


def test_cli(tmp_path, capsys):
    result = run_tool('data/synthetic_tal/generate.py', tmp_path / 'out', '--preset', 'clutter',
                      '--num-videos', '4', '--seed', '1', '--no-progress', cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert 'training: 3 videos' in result.stdout and "'clutter' set (64-d" in result.stdout
    assert (tmp_path / 'out' / 'features' / 'video_0003.npy').is_file()
    cli = load_script('tools/data/synthetic_tal/generate.py')
    code, _, err = run_in_process(capsys, cli, tmp_path / 'out', '--no-progress')
    assert code == 1 and err.count('\n') == 1 and 'exists and is not empty' in err
