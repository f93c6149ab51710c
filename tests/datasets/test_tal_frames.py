"""Tests of TALFrameDataset (AFSD's windows on per-video frame arrays) and its transforms.

The window cases are hand-computed from AFSD's ``split_videos`` (``AFSD/common/
thumos_dataset.py``): offsets every stride plus one ending at the video's end, windows kept when
an action lies wholly inside frames ``[offset + 1, offset + clip_length]``, actions kept when at
least half inside, clipped to ``[1, clip_length]``; ``th`` the shortest kept action over every
window (kept or not), rounded up. A comparison with the official function on 300 random videos
(three window sizes and strides) gave the same windows, segments and ``th``; the official
``THUMOS_Dataset.__getitem__`` (its crop and flip draws set to ours) and ``test.py``'s clips
equalled our packed inputs bit for bit (16 windows of three 112x112 videos, padded ones too).
"""
import json

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

from mmaction.registry import TRANSFORMS
from vsgt.datasets import (PackTALFrames, TALFrameCenterCrop, TALFrameDataset, TALFrameFlip,
                           TALFrameRandomCrop, afsd_window_actions, window_to_seconds)
from vsgt.datasets import tal_frames

TRAIN_PIPELINE = [dict(type='LoadTALFrames'), dict(type='TALFrameRandomCrop', size=4),
                  dict(type='TALFrameFlip'), dict(type='PackTALFrames')]
TEST_PIPELINE = [dict(type='LoadTALFrames'), dict(type='TALFrameCenterCrop', size=4),
                 dict(type='PackTALFrames', pad_value=0.)]


@pytest.fixture(autouse=True)
def mmaction_scope():
    init_default_scope('mmaction')


def _frames(num_frames, size=6, channels=3):
    """uint8 frames whose value at (t, y, x, c) is ``(t + 10 y + x + 50 c) % 256``."""
    t, y, x, c = np.meshgrid(np.arange(num_frames), np.arange(size), np.arange(size),
                             np.arange(channels), indexing='ij')
    return ((t + 10 * y + x + 50 * c) % 256).astype(np.uint8)


def _write(root, videos, arrays):
    """``videos``: name -> (duration, [((start, end) seconds, label), ...])."""
    (root / 'frames').mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        np.save(root / 'frames' / f'{name}.npy', array)
    database = {name: dict(subset='training', duration=duration,
                           annotations=[dict(segment=list(s), label=label) for s, label in anns])
                for name, (duration, anns) in videos.items()}
    ann_file = root / 'annotations.json'
    ann_file.write_text(json.dumps(dict(version='test', database=database)))
    return dict(ann_file=str(ann_file), data_prefix=dict(frames=str(root / 'frames')),
                subset='training')


@pytest.fixture
def video(tmp_path):
    """400 frames at 10 fps; a [2, 4.5] s, b [28, 30] s, b [38, 40] s."""
    return _write(tmp_path, dict(v=(40., [((2, 4.5), 'a'), ((28, 30), 'b'), ((38, 40), 'b')])),
                  dict(v=_frames(400)))


def _windows(dataset):
    return [(info['window_start'], info['gt_segments'].tolist(), info['gt_labels'].tolist())
            for info in (dataset.get_data_info(i) for i in range(len(dataset)))]


def test_afsd_window_rule_hand_case():
    # window from frame 100, 100 frames: the rule's span is frames [101, 200]
    segments = np.array([[81., 131.],    # 60% inside: kept, clipped to [1, 31]
                         [180., 230.],   # 40% inside: dropped
                         [120., 150.],   # whole
                         [100.5, 120.],  # starts before frame 101: kept, not whole, clipped to 1
                         [300., 310.]])  # apart
    whole, kept, clipped = afsd_window_actions(segments, 100, 100)
    assert whole.tolist() == [False, False, True, False, False]
    assert kept.tolist() == [True, False, True, True, False]
    assert clipped[kept].tolist() == [[1., 31.], [20., 50.], [1., 20.]]


def test_training_windows_are_afsd_split_videos(video):
    dataset = TALFrameDataset(**video, pipeline=[])
    assert dataset.window_stride == 30 and dataset.metainfo['classes'] == ('a', 'b')
    # offsets 0, 30, ..., 120 and 144 (400 - 256); a = frames [20, 45], b [280, 300], [380, 400]
    assert _windows(dataset) == [
        (0, [[20., 45.]], [0]),
        # offset 30: a is 56% inside but no action is whole, so the window is dropped
        (60, [[220., 240.]], [1]),
        (90, [[190., 210.]], [1]),
        (120, [[160., 180.]], [1]),
        (144, [[136., 156.], [236., 256.]], [1, 1])]
    info = dataset.get_data_info(0)
    # th: a clipped to [1, 15] in the dropped window 30 is the shortest kept action
    assert info['min_action_frames'] == 14
    assert {k: info[k] for k in ('video_name', 'duration', 'num_frames', 'feature_rate',
                                 'feature_offset', 'scale', 'window_size')} == dict(
        video_name='v', duration=40., num_frames=400, feature_rate=10., feature_offset=0.,
        scale=1., window_size=256)
    assert info['gt_segments'].dtype == np.float64 and info['gt_labels'].dtype == np.int64


def test_test_windows_stride_128_cover_the_video(video):
    dataset = TALFrameDataset(**video, pipeline=[], test_mode=True)
    assert dataset.window_stride == 128
    assert _windows(dataset) == [(0, [[20., 45.]], [0]),
                                 (128, [[152., 172.], [252., 256.]], [1, 1]),
                                 (144, [[136., 156.], [236., 256.]], [1, 1])]
    starts = [dataset.get_data_info(i)['window_start'] for i in range(len(dataset))]
    covered = np.zeros(400, bool)
    for start in starts:
        covered[start:start + 256] = True
    assert covered.all()


def test_windows_stride_aligned_and_short_video(tmp_path):
    # 286 = 256 + 30: the last offset is 30, not repeated
    kwargs = _write(tmp_path, dict(v=(28.6, [((3, 5), 'a'), ((26, 28), 'a')]),
                                   s=(10., [((1, 2), 'a')])),
                    dict(v=_frames(286), s=_frames(100)))
    dataset = TALFrameDataset(**kwargs, pipeline=TRAIN_PIPELINE)
    # offset 30 keeps [30, 50] (95% inside its span [31, 286]) clipped to [1, 20]
    assert _windows(dataset) == [(0, [[30., 50.]], [0]), (30, [[1., 20.], [230., 250.]], [0, 0]),
                                 (0, [[10., 20.]], [0])]
    sample = dataset[2]  # the 100-frame video: one window, padded to 256 frames
    assert sample['inputs'].shape == (3, 256, 4, 4)
    assert sample['data_samples'].metainfo['num_valid'] == 100
    assert (sample['inputs'][:, 100:] == -1).all() and (sample['inputs'][:, :100] > -1).any()


def test_frame_rate_none_is_frames_per_second_of_the_video(tmp_path):
    # AFSD's training conversion: frame * sample_count / count = seconds * num_frames / duration
    kwargs = _write(tmp_path, dict(v=(20.5, [((4.1, 8.2), 'a')])), dict(v=_frames(200)))
    dataset = TALFrameDataset(**kwargs, pipeline=[], frame_rate=None, window_size=256)
    info = dataset.get_data_info(0)
    rate = 200 / 20.5
    assert info['feature_rate'] == pytest.approx(rate)
    np.testing.assert_allclose(info['gt_segments'], [[4.1 * rate, 8.2 * rate]])
    np.testing.assert_allclose(window_to_seconds(info['gt_segments'], info), [[4.1, 8.2]])


def test_packed_sample_and_round_trip_to_seconds(video):
    dataset = TALFrameDataset(**video, pipeline=TEST_PIPELINE, test_mode=True)
    sample = dataset[2]  # window 144..399
    inputs, data_sample = sample['inputs'], sample['data_samples']
    assert inputs.dtype == torch.float32 and inputs.shape == (3, 256, 4, 4)
    expected = torch.from_numpy(_frames(400)[144:400, 1:5, 1:5]).permute(3, 0, 1, 2)
    assert torch.equal(inputs, expected.float() / 255.0 * 2.0 - 1.0)
    meta = data_sample.metainfo
    assert meta['window_start'] == 144 and meta['num_valid'] == 256 and meta['num_frames'] == 400
    assert 'flip' not in meta
    assert data_sample.gt_instances.segments.dtype == torch.float32
    assert data_sample.gt_instances.labels.tolist() == [1, 1]
    np.testing.assert_allclose(window_to_seconds(data_sample.gt_instances.segments, meta),
                               [[28, 30], [38, 40]], atol=1e-5)


def test_the_dataset_reads_only_the_window_memory_mapped(video, monkeypatch):
    calls = []
    real_load = np.load

    def load(path, *args, **kwargs):
        calls.append(kwargs.get('mmap_mode'))
        return real_load(path, *args, **kwargs)

    monkeypatch.setattr(tal_frames.np, 'load', load)
    dataset = TALFrameDataset(**video, pipeline=TRAIN_PIPELINE)
    sample = dataset[1]
    assert calls and set(calls) == {'r'}
    assert sample['data_samples'].metainfo['window_start'] == 60
    # nothing but the ground truth is an array in the data list
    for index in range(len(dataset)):
        arrays = [k for k, v in dataset.get_data_info(index).items()
                  if isinstance(v, np.ndarray)]
        assert sorted(arrays) == ['gt_labels', 'gt_segments']


def test_random_crop_offsets_and_flip():
    frames = _frames(3, size=6)
    crop = TALFrameRandomCrop(size=4)
    offsets = set()
    for seed in range(60):
        np.random.seed(seed)
        out = crop(dict(frames=frames))
        top, left = out['crop_offset']
        assert np.array_equal(out['frames'], frames[:, top:top + 4, left:left + 4])
        offsets.add((top, left))
    assert offsets == {(t, l) for t in range(3) for l in range(3)}  # 0..H-h inclusive
    assert TALFrameRandomCrop(size=6)(dict(frames=frames))['crop_offset'] == (0, 0)
    flipped = TALFrameFlip(flip_ratio=1.)(dict(frames=frames))
    assert flipped['flip'] and np.array_equal(flipped['frames'][0, 0, :, 0],
                                              [5, 4, 3, 2, 1, 0])
    kept = TALFrameFlip(flip_ratio=0.)(dict(frames=frames))
    assert not kept['flip'] and kept['frames'] is frames
    np.random.seed(0)
    flips = [TALFrameFlip()(dict(frames=frames))['flip'] for _ in range(400)]
    assert 150 < sum(flips) < 250


@pytest.mark.parametrize('height, width, top, left', [
    (112, 112, 8, 8),  # AFSD's 112 -> 96
    (113, 115, 8, 10),  # round(8.5) = 8, round(9.5) = 10: halves to even, as np.round
])
def test_centre_crop_offsets(height, width, top, left):
    frames = np.zeros((1, height, width, 3), np.uint8)
    frames[0, top, left] = 255
    out = TALFrameCenterCrop(size=96)(dict(frames=frames))
    assert out['crop_offset'] == (top, left) and out['frames'].shape == (1, 96, 96, 3)
    assert out['frames'][0, 0, 0, 0] == 255


def test_pack_range_and_padding():
    frames = np.array([0, 51, 255], np.uint8).reshape(3, 1, 1, 1).repeat(2, axis=3)
    results = dict(frames=frames, window_size=5, gt_segments=np.zeros((0, 2)),
                   gt_labels=np.zeros(0, np.int64), video_name='v', duration=1.,
                   feature_rate=10., feature_offset=0., window_start=0, scale=1., num_valid=3)
    for pad_value in (-1., 0.):
        inputs = PackTALFrames(pad_value=pad_value)(dict(results))['inputs']
        assert inputs.shape == (2, 5, 1, 1)
        np.testing.assert_allclose(inputs[0, :, 0, 0], [-1, -0.6, 1, pad_value, pad_value],
                                   atol=1e-7)
    assert TRANSFORMS.get('PackTALFrames') is PackTALFrames


def test_flow_has_two_channels(tmp_path):
    kwargs = _write(tmp_path, dict(v=(30., [((2, 5), 'a')])), dict(v=_frames(300, channels=2)))
    sample = TALFrameDataset(**kwargs, pipeline=TRAIN_PIPELINE, modality='Flow')[0]
    assert sample['inputs'].shape == (2, 256, 4, 4)
    with pytest.raises(ValueError, match=r'v\.npy: expected uint8 frames \(T, H, W, 3\), got '
                                         r'uint8 \(300, 6, 6, 2\)'):
        TALFrameDataset(**kwargs, pipeline=[], modality='RGB')


def test_rgb_and_flow_stack_for_a_two_stream_model(tmp_path):
    """'RGB+Flow': the window's RGB frames then its flow frames, one crop for both (the input of
    TwoStreamFusion, whose streams read channels 0-2 and 3-4)."""
    kwargs = _write(tmp_path, dict(v=(30., [((2, 5), 'a')])), dict(v=_frames(300)))
    (tmp_path / 'flows').mkdir()
    flow = 255 - _frames(300, channels=2)
    np.save(tmp_path / 'flows' / 'v.npy', flow)
    kwargs['data_prefix']['flows'] = str(tmp_path / 'flows')
    sample = TALFrameDataset(**kwargs, pipeline=TEST_PIPELINE, modality='RGB+Flow',
                             test_mode=True)[0]
    rgb = TALFrameDataset(**kwargs, pipeline=TEST_PIPELINE, test_mode=True)[0]
    assert sample['inputs'].shape == (5, 256, 4, 4)
    assert torch.equal(sample['inputs'][:3], rgb['inputs'])
    expected = torch.from_numpy(flow[:256, 1:5, 1:5].astype(np.float32)).permute(3, 0, 1, 2)
    assert torch.allclose(sample['inputs'][3:], expected / 255 * 2 - 1)
    np.save(tmp_path / 'flows' / 'v.npy', flow[:299])
    with pytest.raises(ValueError, match=r'flows/v\.npy: flow frames 299x6x6 do not cover the '
                                         r'RGB frames .*frames/v\.npy \(300x6x6\)'):
        TALFrameDataset(**kwargs, pipeline=[], modality='RGB+Flow')
    del kwargs['data_prefix']['flows']
    with pytest.raises(KeyError, match='modality RGB\\+Flow needs data_prefix key "flows"'):
        TALFrameDataset(**kwargs, pipeline=[], modality='RGB+Flow')


@pytest.mark.parametrize('array, message', [
    (np.zeros((10, 6, 6), np.uint8), r'expected uint8 frames \(T, H, W, 3\), got uint8 '
                                     r'\(10, 6, 6\)'),
    (np.zeros((10, 6, 6, 3), np.float32), 'got float32'),
    (np.zeros((3, 10, 6, 6), np.uint8), r'channels first\? the layout is \(T, H, W, C\)'),
    (np.zeros((0, 6, 6, 3), np.uint8), 'no frames'),
])
def test_bad_arrays_name_the_file(tmp_path, array, message):
    kwargs = _write(tmp_path, dict(v=(1., [((0.1, 0.5), 'a')])), dict(v=array))
    with pytest.raises(ValueError, match=message) as info:
        TALFrameDataset(**kwargs, pipeline=[])
    assert 'v.npy' in str(info.value) and '\n' not in str(info.value)


def test_bad_input_is_one_line_naming_the_culprit(tmp_path):
    kwargs = _write(tmp_path, dict(v=(10., [((1, 2), 'a')]), w=(10., [((1, 2), 'b')])),
                    dict(v=_frames(100)))
    with pytest.raises(FileNotFoundError, match=r"video 'w': frame file .*w\.npy not found"):
        TALFrameDataset(**kwargs, pipeline=[])
    np.save(tmp_path / 'frames' / 'w.npy', _frames(100))
    with pytest.raises(ValueError, match=r"video 'w', annotation 0: unknown label 'b'"):
        TALFrameDataset(**kwargs, pipeline=[], classes=['a'])
    with pytest.raises(ValueError, match=r"v\.npy: frames are 6x6, frame_size=\(112, 112\)"):
        TALFrameDataset(**kwargs, pipeline=[], frame_size=(112, 112))
    with pytest.raises(KeyError, match='data_prefix needs the key "frames"'):
        TALFrameDataset(kwargs['ann_file'], [], data_prefix=dict(feature='x'))
    with pytest.raises(ValueError, match="modality must be one of"):
        TALFrameDataset(**kwargs, pipeline=[], modality='rgb')
    dataset = TALFrameDataset(**kwargs, pipeline=[dict(type='LoadTALFrames'),
                                                  dict(type='TALFrameCenterCrop', size=96)])
    with pytest.raises(ValueError, match=r'v\.npy: frames of 6x6 are smaller than the crop '
                                         r'96x96'):
        dataset[0]


def test_a_truncated_array_is_reported_when_read(tmp_path):
    kwargs = _write(tmp_path, dict(v=(30., [((2, 5), 'a')])), dict(v=_frames(300)))
    dataset = TALFrameDataset(**kwargs, pipeline=TRAIN_PIPELINE)
    np.save(tmp_path / 'frames' / 'v.npy', _frames(100))  # replaced after construction
    with pytest.raises(ValueError, match=r'v\.npy: expected at least 256 frames, got 100'):
        dataset[0]


def test_off_rate_is_warned(tmp_path, monkeypatch):
    from mmengine.logging import MMLogger
    kwargs = _write(tmp_path, dict(v=(100., [((1, 2), 'a')])), dict(v=_frames(300)))
    messages = []
    monkeypatch.setattr(MMLogger.get_current_instance(), 'warning', messages.append)
    TALFrameDataset(**kwargs, pipeline=[])
    assert any('num_frames / frame_rate more than 5% off' in m for m in messages)
