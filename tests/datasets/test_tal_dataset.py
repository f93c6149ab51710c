"""Tests of TALFeatureDataset, its transforms and window_to_seconds."""
import json

import numpy as np
import pytest
import torch
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope

from mmaction.registry import DATASETS, TRANSFORMS
from mmaction.structures import ActionDataSample
from vsgt.datasets import (LoadTALFeature, PackTALInputs, TALFeatureDataset, seconds_to_window,
                           window_starts, window_to_seconds)

PIPELINE = [dict(type='LoadTALFeature'), dict(type='PackTALInputs')]


@pytest.fixture(autouse=True)
def mmaction_scope():
    init_default_scope('mmaction')


def _write(root, database, features, ext='.npy', name='{video}'):
    """Write ``annotations.json`` and one feature file per video; return the ann file path."""
    feature_dir = root / 'features'
    feature_dir.mkdir(parents=True, exist_ok=True)
    for video, feature in features.items():
        stem = feature_dir / name.format(video=video)
        if ext == '.npy':
            np.save(f'{stem}.npy', feature)
        else:
            header = ','.join(f'f{i}' for i in range(feature.shape[1]))
            np.savetxt(f'{stem}.csv', feature, delimiter=',', header=header, comments='',
                       fmt='%.8g')
    ann_file = root / 'annotations.json'
    ann_file.write_text(json.dumps(dict(version='test', database=database)))
    return str(ann_file)


def _video(duration, annotations, subset='validation'):
    return dict(subset=subset, duration=duration,
                annotations=[dict(segment=list(s), label=label) for s, label in annotations])


def _ramp(num_steps, width=2):
    """Feature ``[i, 2 i, ...]`` at step ``i``."""
    return np.arange(num_steps, dtype=np.float32)[:, None] * np.arange(1, width + 1)


@pytest.fixture
def hand_case(tmp_path):
    """One video of 10 steps at 1 step/s: actions [1, 3] a, [5, 9.5] b (too long), [6.5, 8] b."""
    database = dict(v1=_video(10., [((1, 3), 'a'), ((5, 9.5), 'b'), ((6.5, 8), 'b')]))
    ann_file = _write(tmp_path, database, dict(v1=_ramp(10)))
    return dict(ann_file=ann_file, data_prefix=dict(feature=str(tmp_path / 'features')),
                feature_rate=1., window_size=4, pipeline=PIPELINE)


def _gt(dataset):
    return [(info['window_start'], info['gt_segments'].tolist(), info['gt_labels'].tolist())
            for info in (dataset.get_data_info(i) for i in range(len(dataset)))]


def test_window_starts_cover_the_video_and_end_at_its_end():
    assert window_starts(10, 4, 2) == [0, 2, 4, 6]
    assert window_starts(11, 4, 4) == [0, 4, 7]
    assert window_starts(5, 4, 4) == [0, 1]
    assert window_starts(4, 4, 1) == [0]
    assert window_starts(3, 4, 2) == [0]


def test_training_windows_hold_whole_actions(hand_case):
    dataset = TALFeatureDataset(**hand_case, window_stride=2)
    assert dataset.metainfo['classes'] == ('a', 'b')
    # window 2 ([2, 6]) holds no whole action; [5, 9.5] is whole in none.
    assert _gt(dataset) == [(0, [[1, 3]], [0]), (4, [[2.5, 4]], [1]), (6, [[0.5, 2]], [1])]
    info = dataset.get_data_info(0)
    assert info['gt_segments'].dtype == np.float64 and info['gt_labels'].dtype == np.int64
    assert {k: info[k] for k in ('video_name', 'duration', 'feature_rate', 'feature_offset',
                                 'num_steps', 'window_size', 'scale')} == dict(
        video_name='v1', duration=10., feature_rate=1., feature_offset=0., num_steps=10,
        window_size=4, scale=1.)
    assert info['feature_path'].endswith('features/v1.npy')


def test_any_windows_and_test_mode_clip_overlapping_actions(hand_case):
    trained_all = TALFeatureDataset(**hand_case, window_stride=2, keep_window='any')
    assert [start for start, _, _ in _gt(trained_all)] == [0, 2, 4, 6]
    assert _gt(trained_all)[1] == (2, [], [])
    tested = TALFeatureDataset(**hand_case, window_stride=2, test_mode=True)
    assert _gt(tested) == [(0, [[1, 3]], [0]),
                           (2, [[0, 1], [3, 4]], [0, 1]),
                           (4, [[1, 4], [2.5, 4]], [1, 1]),
                           (6, [[0, 3.5], [0.5, 2]], [1, 1])]


def test_min_action_overlap_keeps_partly_covered_actions_clipped(hand_case, tmp_path,
                                                                   monkeypatch):
    # AFSD's split_videos rule: windows still need a whole action; their ground truth is every
    # action at least half inside, clipped. [5, 9.5] is 67% inside [4, 8] and 78% inside [6, 10].
    dataset = TALFeatureDataset(**hand_case, window_stride=2, min_action_overlap=0.5)
    assert _gt(dataset) == [(0, [[1, 3]], [0]), (4, [[1, 4], [2.5, 4]], [1, 1]),
                            (6, [[0, 3.5], [0.5, 2]], [1, 1])]
    # 60% inside the first window: kept there clipped; 40% inside the second: dropped there
    case = dict(hand_case, window_size=10, ann_file=_write(
        tmp_path / 'sixty', dict(v=_video(20., [((1, 3), 'a'), ((7, 12), 'b'), ((14, 16), 'a')])),
        dict(v=_ramp(20))), data_prefix=dict(feature=str(tmp_path / 'sixty' / 'features')))
    warnings = []
    monkeypatch.setattr(MMLogger.get_current_instance(), 'warning', warnings.append)
    assert _gt(TALFeatureDataset(**case, min_action_overlap=0.5)) == [
        (0, [[1, 3], [7, 10]], [0, 1]), (10, [[4, 6]], [0])]
    assert warnings == []  # every action is in some training ground truth
    assert _gt(TALFeatureDataset(**case)) == [(0, [[1, 3]], [0]), (10, [[4, 6]], [0])]
    assert warnings == ['1 actions are wholly inside no training sample (window_size=10 steps)']
    assert _gt(TALFeatureDataset(**case, min_action_overlap=0.3)) == [
        (0, [[1, 3], [7, 10]], [0, 1]), (10, [[0, 2], [4, 6]], [1, 0])]
    # subsampled windows: the fraction is of the action in original steps
    sub = TALFeatureDataset(**dict(case, window_size=5), subsample=2, min_action_overlap=0.5)
    assert _gt(sub) == [(0, [[0.5, 1.5], [3.5, 5]], [0, 1]), (10, [[2, 3]], [0])]
    # test mode is unchanged: every overlapping action, clipped
    assert _gt(TALFeatureDataset(**case, min_action_overlap=0.5, test_mode=True)) == \
        _gt(TALFeatureDataset(**case, test_mode=True))
    for bad in (0, 1.5, True, '0.5'):
        with pytest.raises(ValueError, match='min_action_overlap must be None or a fraction'):
            TALFeatureDataset(**hand_case, min_action_overlap=bad)


def test_default_stride_is_the_window_and_last_window_is_aligned(hand_case):
    dataset = TALFeatureDataset(**hand_case, test_mode=True)
    assert [start for start, _, _ in _gt(dataset)] == [0, 4, 6]


def test_resize_modes(hand_case, tmp_path):
    down = TALFeatureDataset(**hand_case, resize='down_only')
    assert len(down) == 1
    info = down.get_data_info(0)
    assert info['scale'] == 2.5 and info['window_start'] == 0
    np.testing.assert_allclose(info['gt_segments'], [[0.4, 1.2], [2, 3.8], [2.6, 3.2]])
    packed = down[0]
    np.testing.assert_allclose(packed['inputs'][0], [0, 2.5, 5, 7.5])
    assert packed['data_samples'].metainfo['num_valid'] == 4

    short = dict(hand_case, ann_file=_write(
        tmp_path / 'short', dict(v2=_video(3., [((0.5, 2.5), 'a')])), dict(v2=_ramp(3))),
        data_prefix=dict(feature=str(tmp_path / 'short' / 'features')))
    native = TALFeatureDataset(**short, resize='down_only')
    assert native.get_data_info(0)['scale'] == 1.
    sample = native[0]
    np.testing.assert_allclose(sample['inputs'][0], [0, 1, 2, 0])
    assert sample['data_samples'].metainfo['num_valid'] == 3
    always = TALFeatureDataset(**short, resize='always')
    info = always.get_data_info(0)
    assert info['scale'] == 0.75
    np.testing.assert_allclose(info['gt_segments'], [[0.5 / 0.75, 2.5 / 0.75]])
    sample = always[0]
    np.testing.assert_allclose(sample['inputs'][0], [0, 0.75, 1.5, 2])
    assert sample['data_samples'].metainfo['num_valid'] == 4


def test_subsample_keeps_every_nth_step(hand_case, tmp_path):
    dataset = TALFeatureDataset(**dict(hand_case, window_size=2), subsample=2, window_stride=1)
    # Windows of 2 steps of 2 original steps every 2 original steps: [0, 4], [2, 6], ...
    assert _gt(dataset) == [(0, [[0.5, 1.5]], [0]), (4, [[1.25, 2]], [1]),
                            (6, [[0.25, 1]], [1])]
    assert {dataset.get_data_info(i)['scale'] for i in range(len(dataset))} == {2.}
    sample = dataset[1]
    np.testing.assert_allclose(sample['inputs'][0], [4, 6])
    assert sample['data_samples'].metainfo['num_valid'] == 2
    assert seconds_to_window(np.array([6.5]), sample['data_samples'].metainfo) == [1.25]

    short = dict(hand_case, window_size=2, ann_file=_write(
        tmp_path / 'short', dict(v2=_video(3., [((0.5, 2.5), 'a')])), dict(v2=_ramp(3))),
        data_prefix=dict(feature=str(tmp_path / 'short' / 'features')))
    sample = TALFeatureDataset(**short, subsample=2)[0]
    np.testing.assert_allclose(sample['inputs'][0], [0, 2])
    assert sample['data_samples'].metainfo['num_valid'] == 2
    assert sample['data_samples'].gt_instances.segments.tolist() == [[0.25, 1.25]]


def test_window_to_seconds_round_trip_numpy_and_torch():
    meta = dict(window_start=6, scale=2.5, feature_offset=2., feature_rate=7.5, duration=20.)
    segments = np.array([[0., 1.5], [3.25, 10.]])
    seconds = window_to_seconds(segments, meta)
    np.testing.assert_allclose(seconds, (6 + segments * 2.5 + 2) / 7.5)
    np.testing.assert_allclose(seconds_to_window(seconds, meta), segments)
    tensor = window_to_seconds(torch.tensor(segments), meta)
    assert isinstance(tensor, torch.Tensor)
    np.testing.assert_allclose(tensor.numpy(), seconds)
    clipped = window_to_seconds(np.array([[-10., 100.]]), meta)
    np.testing.assert_allclose(clipped, [[0., 20.]])
    assert window_to_seconds(torch.tensor([[-10., 100.]]), meta).tolist() == [[0., 20.]]


def test_feature_offset_and_rate_place_the_ground_truth(tmp_path):
    # Step i at (i + 2) / 7.5 s: the action [2, 4] s covers steps 13 to 28.
    ann_file = _write(tmp_path, dict(v=_video(6., [((2, 4), 'a')])), dict(v=_ramp(45)))
    dataset = TALFeatureDataset(ann_file, PIPELINE, data_prefix=dict(feature=str(
        tmp_path / 'features')), feature_rate=7.5, feature_offset=2., window_size=20,
        window_stride=10)
    assert _gt(dataset) == [(10, [[3., 18.]], [0])]
    info = dataset.get_data_info(0)
    np.testing.assert_allclose(window_to_seconds(info['gt_segments'], info), [[2., 4.]])


def test_npy_and_csv_load_the_same_windows(tmp_path):
    rng = np.random.default_rng(0)
    features = dict(x=rng.standard_normal((23, 5)).astype(np.float32),
                    y=rng.standard_normal((7, 5)).astype(np.float32))
    database = dict(x=_video(4.6, [((0.2, 1.0), 'a')]), y=_video(1.4, [((0.4, 1.2), 'b')]))
    outputs = []
    for ext in ('.npy', '.csv'):
        root = tmp_path / ext[1:]
        ann_file = _write(root, database, features, ext=ext, name='v_{video}')
        dataset = TALFeatureDataset(
            ann_file, PIPELINE, data_prefix=dict(feature=str(root / 'features')),
            feature_rate=5., feature_name='v_{video}', feature_ext=ext, feature_dim=5,
            window_size=8, window_stride=4, test_mode=True)
        outputs.append([dataset[i] for i in range(len(dataset))])
    assert len(outputs[0]) == len(outputs[1]) == 6
    for npy, csv in zip(*outputs):
        np.testing.assert_allclose(npy['inputs'], csv['inputs'], rtol=1e-6, atol=1e-7)
        assert npy['data_samples'].metainfo == csv['data_samples'].metainfo
    first = outputs[0][0]['inputs']
    np.testing.assert_array_equal(first.numpy(), features['x'][:8].T)
    last_y = outputs[0][-1]
    np.testing.assert_array_equal(last_y['inputs'][:, :7].numpy(), features['y'].T)
    assert not last_y['inputs'][:, 7:].any()


def test_packing_shapes_dtypes_and_meta_keys(hand_case):
    dataset = TALFeatureDataset(**dict(hand_case, pipeline=[
        dict(type='LoadTALFeature'), dict(type='PackTALInputs', meta_keys=('stitch', 'fps'))]),
        window_stride=2)
    assert isinstance(DATASETS.build(dict(type='TALFeatureDataset', **hand_case)),
                      TALFeatureDataset)
    assert isinstance(TRANSFORMS.build(dict(type='LoadTALFeature')), LoadTALFeature)
    packed = dataset[1]
    assert packed['inputs'].dtype == torch.float32 and packed['inputs'].shape == (2, 4)
    np.testing.assert_array_equal(packed['inputs'].numpy(), _ramp(10)[4:8].T)
    sample = packed['data_samples']
    assert isinstance(sample, ActionDataSample)
    assert sample.gt_instances.segments.dtype == torch.float32
    assert sample.gt_instances.segments.tolist() == [[2.5, 4]]
    assert sample.gt_instances.labels.dtype == torch.int64
    assert sample.gt_instances.labels.tolist() == [1]
    assert sample.metainfo == dict(video_name='v1', duration=10., feature_rate=1.,
                                   feature_offset=0., window_start=4, window_size=4, scale=1.,
                                   num_valid=4)
    results = dataset.get_data_info(0)
    results['stitch'] = dict(n=3, gap=1, m=4)
    assert PackTALInputs(meta_keys=('stitch',))(LoadTALFeature()(results))[
        'data_samples'].stitch == dict(n=3, gap=1, m=4)


def test_subsets_classes_and_per_video_rate(tmp_path):
    database = dict(t=_video(8., [((1, 2), 'z')], subset='training'),
                    v=_video(4., [((1, 3), 'a')], subset='validation'),
                    u=_video(2., [], subset='testing'))
    ann_file = _write(tmp_path, database, dict(t=_ramp(16), v=_ramp(100), u=_ramp(4)))
    common = dict(ann_file=ann_file, pipeline=PIPELINE,
                  data_prefix=dict(feature=str(tmp_path / 'features')), window_size=100)
    both = TALFeatureDataset(**common, subset=['training', 'validation'], feature_rate=2.,
                             test_mode=True, classes=['z', 'a', 'q'])
    infos = [both.get_data_info(i) for i in range(len(both))]
    assert [i['video_name'] for i in infos] == ['t', 'v']
    assert [i['gt_labels'].tolist() for i in infos] == [[0], [1]]
    # feature_rate=None: the 100 steps of v evenly span its 4 s.
    spread = TALFeatureDataset(**common, feature_rate=None)
    assert spread.metainfo['classes'] == ('a', 'z')
    info = spread.get_data_info(0)
    assert info['feature_rate'] == 25. and info['gt_segments'].tolist() == [[25., 75.]]
    assert len(TALFeatureDataset(**common, subset='testing', feature_rate=2.,
                                 test_mode=True)) == 1


def _make(tmp_path, database, features, **kwargs):
    ann_file = _write(tmp_path, database, features)
    return TALFeatureDataset(ann_file, PIPELINE, data_prefix=dict(
        feature=str(tmp_path / 'features')), **dict(dict(feature_rate=1., window_size=4),
                                                     **kwargs))


BAD_ANNOTATIONS = [
    ([((-0.5, 2), 'a')], ValueError, r"video 'v', annotation 0: segment \[-0.5, 2.0\] is "
     r'outside the video \[0, 8.0\]'),
    ([((1, 2), 'a'), ((3, 8.5), 'a')], ValueError, r"video 'v', annotation 1: segment \[3.0, "
     r'8.5\] is outside'),
    ([((3, 3), 'a')], ValueError, 'not start < end'),
    ([((3, 2), 'a')], ValueError, 'not start < end'),
    ([dict(segment=[1, 2])], KeyError, "video 'v', annotation 0: missing key 'label'"),
    ([dict(segment=[1], label='a')], ValueError, r'segment must be \[start, end\]'),
    ([dict(segment=[1, 'x'], label='a')], ValueError, r'segment must be \[start, end\]'),
]


@pytest.mark.parametrize('annotations, error, message', BAD_ANNOTATIONS)
def test_bad_annotations(tmp_path, annotations, error, message):
    entry = _video(8., [a for a in annotations if isinstance(a, tuple)])
    entry['annotations'] += [a for a in annotations if isinstance(a, dict)]
    with pytest.raises(error, match=message) as info:
        _make(tmp_path, dict(v=entry), dict(v=_ramp(8)))
    assert '\n' not in str(info.value) and 'annotations.json' in str(info.value)


def test_tiny_overshoot_of_the_duration_is_clipped(tmp_path):
    dataset = _make(tmp_path, dict(v=_video(4., [((1, 4.0005), 'a')])), dict(v=_ramp(4)))
    assert dataset.get_data_info(0)['gt_segments'].tolist() == [[1, 4]]


def test_no_training_window_holds_a_whole_action(tmp_path):
    with pytest.raises(ValueError, match=r"no window of subset \['validation'\] holds a whole "
                       r'action \(window_size=4\)'):
        _make(tmp_path, dict(v=_video(8., [((1, 6), 'a')])), dict(v=_ramp(8)))


def test_unknown_label(tmp_path):
    with pytest.raises(ValueError, match=r"video 'v', annotation 1: unknown label 'b' \(not in "
                       r'the 1 classes\)'):
        _make(tmp_path, dict(v=_video(8., [((1, 2), 'a'), ((3, 4), 'b')])), dict(v=_ramp(8)),
              classes=['a'])


def test_feature_file_problems(tmp_path):
    database = dict(v=_video(8., [((1, 2), 'a')]), w=_video(8., [((1, 2), 'a')]))
    with pytest.raises(FileNotFoundError, match=r"video 'w': feature file .*features/w.npy "
                       'not found'):
        _make(tmp_path / 'missing', database, dict(v=_ramp(8)))
    with pytest.raises(ValueError, match=r'features/v.npy: features are 2-d, feature_dim=3'):
        _make(tmp_path / 'dim', database, dict(v=_ramp(8), w=_ramp(8)), feature_dim=3)
    with pytest.raises(ValueError, match=r'features/w.npy: features are 3-d, but .*v.npy has 2'):
        _make(tmp_path / 'mixed', database, dict(v=_ramp(8), w=_ramp(8, 3)))
    with pytest.raises(ValueError, match=r'features/w.npy: expected a real-valued '
                       r'\(num_steps, C\) array'):
        _make(tmp_path / 'ndim', database, dict(v=_ramp(8), w=np.zeros(8, np.float32)))
    broken = tmp_path / 'broken'
    _write(broken, database, dict(v=_ramp(8)))
    (broken / 'features' / 'w.npy').write_bytes(b'not an array')
    with pytest.raises(ValueError, match=r'w.npy: not a readable .npy array'):
        TALFeatureDataset(str(broken / 'annotations.json'), PIPELINE,
                          data_prefix=dict(feature=str(broken / 'features')), feature_rate=1.)


def test_video_shorter_than_one_step(tmp_path):
    with pytest.raises(ValueError, match=r"video 'v': shorter than one feature step \(0 steps"):
        _make(tmp_path / 'empty', dict(v=_video(8., [])), dict(v=np.zeros((0, 2), np.float32)),
              test_mode=True)
    with pytest.raises(ValueError, match=r"video 'v': shorter than one feature step .* 0.1 s at "
                       '2 steps/s'):
        _make(tmp_path / 'brief', dict(v=_video(0.1, [])), dict(v=_ramp(1)), feature_rate=2.,
              test_mode=True)


def test_malformed_annotation_file(tmp_path):
    (tmp_path / 'features').mkdir()
    ann_file = tmp_path / 'annotations.json'
    common = dict(pipeline=PIPELINE, data_prefix=dict(feature=str(tmp_path / 'features')),
                  feature_rate=1.)
    with pytest.raises(FileNotFoundError, match='annotation file .*nothing.json not found'):
        TALFeatureDataset(str(tmp_path / 'nothing.json'), **common)
    for text, error, message in [
            ('{"database": {', ValueError, r'annotations.json: not valid JSON \(Expecting'),
            ('{"videos": {}}', KeyError, 'annotations.json: no "database" key'),
            ('{"database": {"v": {"subset": "validation", "annotations": []}}}', KeyError,
             "video 'v': missing key 'duration'"),
            ('{"database": {"v": {"subset": "validation", "duration": -1, "annotations": []}}}',
             ValueError, "video 'v': duration must be a positive number, got -1"),
            ('{"database": {"v": {"subset": "training", "duration": 1, "annotations": []}}}',
             ValueError, r"no video of subset \['validation'\] \(subsets in the file: "
             r"\['training'\]\)")]:
        ann_file.write_text(text)
        with pytest.raises(error, match=message) as info:
            TALFeatureDataset(str(ann_file), **common)
        assert '\n' not in str(info.value)


@pytest.mark.parametrize('kwargs, message', [
    (dict(window_stride=5), r'window_stride must be an int in 1..window_size=4, got 5'),
    (dict(resize='up'), 'resize must be one of'),
    (dict(resize='always', window_stride=2), "window_stride has no effect with resize='always'"),
    (dict(feature_ext='.h5'), 'feature_ext must be one of'),
    (dict(feature_name='{name}'), 'feature_name must be a format using only {video}'),
    (dict(keep_window='all'), 'keep_window must be one of'),
    (dict(feature_rate=0), 'feature_rate must be > 0'),
    (dict(window_size=0), 'window_size must be an int >= 1'),
    (dict(subsample=0), 'subsample must be an int >= 1, got 0'),
    (dict(resize='always', subsample=2), "subsample=2 has no effect with resize='always'"),
])
def test_bad_config(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        _make(tmp_path, dict(v=_video(8., [((1, 2), 'a')])), dict(v=_ramp(8)), **kwargs)


def test_data_prefix_needs_the_feature_key(tmp_path):
    with pytest.raises(KeyError, match='data_prefix needs the key "feature"'):
        TALFeatureDataset('x.json', PIPELINE, data_prefix=dict(img='x'), feature_rate=1.)
