"""demo/demo_tal.py: a temporal localizer of a config on one video's feature file."""
import json
import os.path as osp

import numpy as np
import pytest
from mmengine.dataset import pseudo_collate

from conftest import ROOT, run_in_process
from vsgt.apis import TemporalLocalizer
from vsgt.testing import load_script

demo = load_script('demo/demo_tal.py')
CONFIG = osp.join(ROOT, 'projects', 'vsgn', 'configs', 'vsgn_synthetic.py')  # 32-d, 7.5 steps/s


@pytest.fixture(scope='module')
def features(tmp_path_factory):
    """300 steps (40 s at 7.5 steps/s) of 32-d features: two windows of 256 steps and more."""
    path = tmp_path_factory.mktemp('features') / 'video_a.npy'
    np.save(path, np.random.default_rng(0).normal(size=(300, 32)).astype(np.float32))
    return path


def test_detections_equal_the_test_path_of_the_config(features, tmp_path):
    """The localizer's windows, model outputs and post-processing are those of tools/test.py:
    the config's test dataset and its TALDetectionMetric on an annotation file of this video."""
    from mmaction.registry import DATASETS, METRICS
    localizer = TemporalLocalizer(CONFIG, device='cpu')
    segments, scores, labels = localizer.predict(str(features))

    ann_file = tmp_path / 'annotations.json'
    ann_file.write_text(json.dumps(dict(database=dict(video_a=dict(
        subset='validation', duration=40.0, annotations=[dict(segment=[1, 2], label='x')])))))
    dataset_cfg = dict(localizer.cfg.test_dataloader.dataset, ann_file=str(ann_file),
                       data_prefix=dict(feature=str(features.parent)), classes=['x', 'y', 'z', 'w'])
    dataset = DATASETS.build(dataset_cfg)
    assert len(dataset) == 5  # windows every 64 steps, and the stitched tail
    metric = METRICS.build(dict(localizer.cfg.test_evaluator, ann_file=str(ann_file),
                                classes=['x', 'y', 'z', 'w']))
    metric.process(None, localizer.model.test_step(pseudo_collate(list(dataset))))
    expected = metric.predictions(metric.results)
    np.testing.assert_allclose(segments, expected.segments, atol=1e-6)
    np.testing.assert_allclose(scores, expected.scores, atol=1e-6)
    np.testing.assert_array_equal(labels, expected.label)
    assert len(scores) == 200 and np.all(np.diff(scores) <= 0)  # max_per_video, best first
    assert segments.min() >= 0 and segments.max() <= 40


def test_writes_a_timeline_and_a_json(capsys, features, tmp_path):
    out = tmp_path / 'timeline.png'
    code, stdout, stderr = run_in_process(capsys, demo, features, out, '--config', CONFIG,
                                          '--top', 4, '--device', 'cpu')
    assert code == 0, stderr
    assert 'RANDOM WEIGHTS' in stderr and 'note: RANDOM WEIGHTS: no --checkpoint' in stdout
    assert out.read_bytes().startswith(b'\x89PNG')
    record = json.loads((tmp_path / 'timeline.json').read_text())
    assert record['video'] == 'video_a' and record['duration'] == 40.0
    assert record['classes'] == [f'class {i}' for i in range(4)]  # no annotation file here
    detections = record['detections']
    assert len(detections) == 200 and detections[0]['score'] >= detections[-1]['score']
    assert all(0 <= d['segment'][0] <= d['segment'][1] <= 40 for d in detections)
    printed = [line for line in stdout.splitlines() if line.rstrip().endswith(
        tuple(record['classes']))]
    assert len(printed) == 4  # the --top best, best first
    for line, detection in zip(printed, detections):
        score, start, _, end = line.split()[:4]
        assert float(score) == pytest.approx(detection['score'], abs=6e-5)
        assert [float(start), float(end)] == pytest.approx(detection['segment'], abs=6e-3)


@pytest.mark.parametrize('case, message', [
    ('recognizer', 'is not a temporal action localizer'),
    ('missing', 'feature file not found'),
    ('wide', 'features are 16-d, feature_dim=32'),
    ('not_png', 'the output must be a .png file'),
])
def test_bad_input_is_one_line_and_writes_nothing(capsys, features, tmp_path, case, message):
    path, out, options = features, tmp_path / 'out.png', ['--config', CONFIG]
    if case == 'recognizer':
        options = ['--config', osp.join(ROOT, 'projects', 'videolightformer', 'configs',
                                        'synthetic', 'vlf_r18s3_synthetic.py')]
    elif case == 'missing':
        path = tmp_path / 'none.npy'
    elif case == 'wide':
        path = tmp_path / 'wide.npy'
        np.save(path, np.zeros((100, 16), np.float32))
    elif case == 'not_png':
        out = tmp_path / 'out.jpg'
    code, _, stderr = run_in_process(capsys, demo, path, out, '--device', 'cpu', *options)
    assert code == 1
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], stderr
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(('out', '.out'))]
