"""Video self-stitching: the stitch transform, mapping back, clip cutting and the cut dataset."""
import json

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

import vsgt_projects.vsgn.vsgn  # noqa: F401  (registers VSGN's modules)
from vsgt_projects.vsgn.vsgn.stitch import (VideoSelfStitch, VSGNWindowDataset, VSSCutDataset,
                                       draw_clip, magnify, map_back)
from vsgt.datasets.synthetic_tal import generate_synthetic_tal

T, GAP = 256, 6


def window(n, segments, channels=3):
    feature = np.zeros((T, channels), np.float32)
    feature[:n] = np.random.default_rng(0).standard_normal((n, channels))
    return dict(feature=feature, num_valid=n, gt_segments=np.array(segments, np.float64),
                gt_labels=np.arange(len(segments)))


def test_magnify_interpolates_with_aligned_ends():
    feature = np.array([[0.], [2.], [4.]], np.float32)
    np.testing.assert_allclose(magnify(feature, 5)[:, 0], [0, 1, 2, 3, 4])


def test_stitch_layout_and_doubled_ground_truth():
    results = VideoSelfStitch(gap=GAP, round_gt=False)(window(100, [[10., 30.], [90., 100.]]))
    n, m = 100, T - 100 - GAP
    assert results['stitch'] == dict(n=n, gap=GAP, m=m) and results['num_valid'] == T
    feature = results['feature']
    np.testing.assert_array_equal(feature[n:n + GAP], 0)
    np.testing.assert_allclose(feature[n + GAP], feature[0])
    np.testing.assert_allclose(feature[-1], feature[n - 1], rtol=1e-6)
    np.testing.assert_allclose(results['gt_segments'], [
        [10, 30], [90, 100], [n + GAP + 10 * m / n, n + GAP + 30 * m / n],
        [n + GAP + 90 * m / n, T]])
    np.testing.assert_array_equal(results['gt_labels'], [0, 1, 0, 1])


def test_stitched_ground_truth_is_rounded_as_the_official_loader():
    # Utils/dataset_thumos.py: original max(min(n - 1, round(s)), 0); copy
    # max(min(m - 1, round(s / n * m)), 0) + n + gap (Python rounds half to even)
    results = VideoSelfStitch(gap=GAP)(window(100, [[10.4, 30.5], [90., 100.]]))
    m = T - 100 - GAP
    np.testing.assert_array_equal(results['gt_segments'], [
        [10, 30], [90, 99], [106 + round(10.4 / 100 * m), 106 + round(30.5 / 100 * m)],
        [106 + round(90 / 100 * m), 106 + m - 1]])
    results = VideoSelfStitch(gap=GAP)(window(200, [[10.5, 199.7]]))  # not stitched
    np.testing.assert_array_equal(results['gt_segments'], [[10, 199]])


@pytest.mark.parametrize('n', [1, 17, 60, 102])
def test_stitch_round_trip_within_one_step(n):
    segments = np.array([[0., n / 3], [n / 2, n]])
    results = VideoSelfStitch(gap=GAP)(window(n, segments))
    copies = torch.from_numpy(results['gt_segments'][2:])
    back = map_back(copies, **results['stitch']).numpy()
    assert np.abs(back - segments).max() <= 1


def test_long_windows_are_not_stitched():
    results = VideoSelfStitch(gap=GAP)(window(103, [[10., 30.]]))
    assert results['stitch'] == dict(n=103, gap=0, m=0) and results['num_valid'] == 103
    np.testing.assert_array_equal(results['gt_segments'], [[10., 30.]])


def test_cut_clip_is_cut_then_stitched():
    results = window(T, [[2., 20.]])
    results['vss_clip_length'] = 50
    results = VideoSelfStitch(gap=GAP)(results)
    assert results['stitch'] == dict(n=50, gap=GAP, m=T - 50 - GAP)
    np.testing.assert_array_equal(results['feature'][50:50 + GAP], 0)


def test_map_back_leaves_the_original_part_and_folds_the_copy():
    stitch = dict(n=100, gap=6, m=150)
    segments = torch.tensor([[10., 20.], [106., 256.], [101., 104.]])
    back = map_back(segments, **stitch)
    torch.testing.assert_close(back[:2], torch.tensor([[10., 20.], [0., 100.]]))
    assert (back[2] < 0).all()  # starts in the gap: before the clip, clipped by the model


def test_draw_clip_holds_its_seed_and_stops_at_a_straddling_action():
    np.random.seed(0)
    actions = np.array([[0., 10.], [40., 50.], [80., 90.], [110., 200.]])
    for _ in range(50):
        start, end, inside = draw_clip(actions, 1, (0., 400.), length=97)
        assert isinstance(start, int) and 10 <= start <= 40 and 50 <= end <= start + 97
        assert 1 in inside and 0 not in inside and 3 not in inside
        assert end <= 110  # the action at 110..200 straddles the clip end: cut at its start
        assert all(actions[i, 0] >= start and actions[i, 1] <= end for i in inside)


@pytest.fixture(scope='module')
def tal_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('vss') / 'synthetic_tal'
    generate_synthetic_tal(str(root), num_videos=8, seed=0, progress=False)
    return root


def test_cut_dataset_adds_stitched_clips_of_short_actions(tal_root):
    init_default_scope('mmaction')
    pipeline = [dict(type='LoadTALFeature'), dict(type='VideoSelfStitch', gap=GAP),
                dict(type='PackTALInputs', meta_keys=('stitch', ))]
    dataset = VSSCutDataset(ann_file=str(tal_root / 'annotations.json'),
                            data_prefix=dict(feature=str(tal_root / 'features')),
                            subset='training', feature_rate=7.5, window_size=T,
                            window_stride=T // 4, pipeline=pipeline)
    expected = 0
    for index in range(dataset.num_windows):
        info = dataset.get_data_info(index)
        start, end = dataset._span(info)
        if end - start <= 0.4 * T:  # a short tail window is stitched whole, not cut
            continue
        segments = info['gt_segments']
        expected += int((segments[:, 1] - segments[:, 0] <= round(0.38 * T)).sum())
    assert len(dataset.clips) == expected > 0 and len(dataset) == dataset.num_windows + expected
    np.random.seed(0)
    for index in range(dataset.num_windows, len(dataset), 7):
        sample = dataset[index]['data_samples']
        stitch = sample.metainfo['stitch']
        assert 1 <= stitch['n'] <= round(0.38 * T) and stitch['m'] == T - stitch['n'] - GAP
        segments = sample.gt_instances.segments
        assert len(segments) >= 2 and len(segments) % 2 == 0
        assert (segments[:len(segments) // 2] <= stitch['n']).all()


@pytest.mark.parametrize('tail_windows,starts', [(True, [0, 320, 640, 960, 1280, 1600, 1920,
                                                        2240]),
                                                 (False, [0, 320, 640, 960, 1120])])
def test_official_tiling_keeps_tail_windows_that_get_stitched(tmp_path, tail_windows, starts):
    # Cut_long_videos.py: windows at range(0, num_frms, 320), ending at min(start + 1280, N):
    # a 2400-step video gives 8 test windows, the last two (480 and 160 steps) stitched.
    init_default_scope('mmaction')
    np.save(tmp_path / 'v.npy', np.ones((2400, 2), np.float32))
    (tmp_path / 'ann.json').write_text(json.dumps(dict(database=dict(v=dict(
        subset='testing', duration=80., annotations=[dict(segment=[70., 75.], label='a')])))))
    pipeline = [dict(type='LoadTALFeature'), dict(type='VideoSelfStitch', gap=30),
                dict(type='PackTALInputs', meta_keys=('stitch', ))]
    dataset = VSGNWindowDataset(ann_file=str(tmp_path / 'ann.json'),
                                data_prefix=dict(feature=str(tmp_path)), subset='testing',
                                window_size=1280, window_stride=320, pipeline=pipeline,
                                test_mode=True, tail_windows=tail_windows)
    assert [dataset.get_data_info(i)['window_start'] for i in range(len(dataset))] == starts
    stitched = [dataset[i]['data_samples'].metainfo['stitch'] for i in range(len(dataset))]
    assert [s['n'] for s in stitched if s['m'] > 0] == ([480, 160] if tail_windows else [])
