"""Tests of the synthetic frame-level TAL set, its CLI, and loading it (frames and features)."""
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from torch.utils.data import DataLoader

from mmaction.registry import MODELS
from vsgt.datasets import (TAL_FRAME_PRESETS, TALFeatureDataset, TALFrameDataset,
                           frames_to_features, generate_synthetic_tal_frames,
                           render_synthetic_tal_frames)
from vsgt.datasets import synthetic_tal
from vsgt.testing import load_script, run_in_process, run_tool

TINY = TAL_FRAME_PRESETS['frames_tiny']


@pytest.fixture(autouse=True)
def mmaction_scope():
    init_default_scope('mmaction')


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp('frames') / 'tiny'
    return root, generate_synthetic_tal_frames(str(root), preset='frames_tiny', seed=0,
                                               progress=False)


def _files(root):
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob('*')) if p.is_file()}


def _database(root):
    return json.loads((Path(root) / 'annotations.json').read_text())['database']


def _replan(index, seed=0):
    rng = np.random.default_rng([seed, synthetic_tal._FRAME_PRESET_KEYS['frames_tiny'], 1,
                                 index])
    return synthetic_tal._frame_video_plan(TINY, rng)


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    for name, seed in (('a', 3), ('b', 3), ('c', 4)):
        generate_synthetic_tal_frames(str(tmp_path / name), preset='frames_tiny', num_videos=3,
                                      seed=seed, progress=False)
    first, again, other = (_files(tmp_path / name) for name in 'abc')
    assert first == again and other.keys() == first.keys()
    assert other[Path('frames/video_0000.npy')] != first[Path('frames/video_0000.npy')]


def test_layout_and_statistics(tiny):
    root, summary = tiny
    database = _database(root)
    assert len(database) == 6 and sum(v['subset'] == 'validation' for v in database.values()) == 2
    assert summary['classes'] == ['class_1', 'class_2', 'class_3'] and summary['frame_size'] == 32
    assert summary['frame_rate'] == 10. and summary['feature_rate'] == 2.5
    assert summary['feature_dim'] == 96 and summary['folders'] == ['frames', 'flows', 'features']
    lengths = []
    for video, entry in database.items():
        frames = np.load(root / 'frames' / f'{video}.npy')
        flows = np.load(root / 'flows' / f'{video}.npy')
        features = np.load(root / 'features' / f'{video}.npy')
        num_frames = len(frames)
        assert 64 <= num_frames <= 128 and entry['duration'] == num_frames / 10
        assert frames.dtype == np.uint8 and frames.shape == (num_frames, 32, 32, 3)
        assert flows.dtype == np.uint8 and flows.shape == (num_frames, 32, 32, 2)
        assert features.dtype == np.float32
        assert features.shape == (math.ceil(num_frames / 4), 96)
        np.testing.assert_array_equal(features, frames_to_features(frames))
        spans = np.array([a['segment'] for a in entry['annotations']]) * 10
        np.testing.assert_allclose(spans, np.rint(spans), atol=1e-9)  # whole frames
        assert (spans[1:, 0] >= spans[:-1, 1] + 4 - 1e-9).all()  # ordered, >= 4 frames apart
        assert spans.min() >= 4 - 1e-9 and spans.max() <= num_frames - 4 + 1e-9
        lengths.extend(np.rint(spans[:, 1] - spans[:, 0]))
    assert 8 <= min(lengths) and max(lengths) <= 32
    statistics = summary['statistics']
    assert statistics['training']['actions'] + statistics['validation']['actions'] == \
        len(lengths)
    assert json.loads((root / 'summary.json').read_text())['statistics'] == statistics
    # the distractors' spans: seconds of whole frames inside the video, one per distractor
    spans = summary['distractors']
    assert sorted(spans) == sorted(database)
    assert sum(map(len, spans.values())) == sum(s['distractors'] for s in statistics.values())
    for index, (video, entry) in enumerate(database.items()):
        plan = _replan(index)
        planned = [[d['start'], min(d['start'] + d['length'], plan['num_frames'])]
                   for d in plan['distractors']]
        np.testing.assert_allclose(np.array(spans[video]).reshape(-1, 2) * 10, planned)
        assert all(0 <= s < e <= entry['duration'] + 1e-9 for s, e in spans[video])


def test_actions_are_visible_only_inside_their_spans(tiny):
    root, summary = tiny
    database = _database(root)
    colours = synthetic_tal._class_colours(3)
    for index, (video, entry) in enumerate(database.items()):
        plan = _replan(index)
        frames, flows = render_synthetic_tal_frames(TINY, plan)
        np.testing.assert_array_equal(frames, np.load(root / 'frames' / f'{video}.npy'))
        np.testing.assert_array_equal(flows, np.load(root / 'flows' / f'{video}.npy'))
        without, without_flows = render_synthetic_tal_frames(TINY, plan, draw_actions=False)
        changed = (frames != without).any(axis=(1, 2, 3))
        assert ((flows != without_flows).any(axis=(1, 2, 3)) <= changed).all()
        inside = np.zeros(len(frames), bool)
        for annotation in entry['annotations']:
            start, end = np.rint(np.array(annotation['segment']) * 10).astype(int)
            inside[start:end] = True
            label = summary['classes'].index(annotation['label'])
            # the sprite wears the class colour and oscillates along the class axis
            mask = (frames[start:end] != without[start:end]).any(axis=-1)
            pixels = frames[start:end][mask].astype(float)
            assert np.abs(pixels.mean(axis=0) - colours[label]).max() < 12
            centres = np.array([np.argwhere(m).mean(axis=0)[::-1] for m in mask])
            direction = np.linalg.svd(centres - centres.mean(axis=0))[2][0]
            axis = np.array([np.cos(np.pi * label / 3), np.sin(np.pi * label / 3)])
            assert abs(direction @ axis) > 0.95, (video, label, direction)
        assert np.array_equal(changed, inside), video  # every frame of a span, no other


def test_clutter_and_motion_outside_the_actions(tiny):
    root, _ = tiny
    database = _database(root)
    frame_change, class_coloured = [], 0
    colours = synthetic_tal._class_colours(3)
    for index, video in enumerate(database):
        without, _ = render_synthetic_tal_frames(TINY, _replan(index), draw_actions=False)
        # distractors: pixels far from the background's colours, outside the actions as well
        frame_change.append(np.abs(np.diff(without.astype(float), axis=0)).mean())
        distance = np.abs(without[..., None, :].astype(float) - colours).max(axis=-1)
        class_coloured += int((distance < 25).any(axis=-1).sum() > 0)
    # the background drifts and is noisy: consecutive action-free frames differ
    assert min(frame_change) > 3
    assert class_coloured >= 1  # some distractors wear a class colour


def test_flow_encoding_of_the_background():
    plan = _replan(0)
    plan['distractors'] = []
    _, flows = render_synthetic_tal_frames(TINY, plan, draw_actions=False)
    velocity = plan['background']['velocity']
    expected = np.clip(np.rint((velocity + 20) * 255 / 40), 0, 255)
    assert (flows == expected.astype(np.uint8)).all()


def test_frames_to_features_hand_case():
    frames = np.zeros((6, 8, 8, 3), np.uint8)
    frames[:, :4, :4, 0] = np.array([0, 51, 102, 255, 255, 255])[:, None, None]
    features = frames_to_features(frames, stride=4, grid=2)
    assert features.shape == (2, 24)
    # first step: cell (0, 0) red averages (0 + 51 + 102 + 255) / 4 = 102 -> 102 / 255 * 2 - 1
    np.testing.assert_allclose(features[0, 0], 102 / 255 * 2 - 1, atol=1e-6)
    np.testing.assert_allclose(features[0, 12], 255 / 255 * 2, atol=1e-6)  # change 0 -> 255
    np.testing.assert_allclose(features[1, [0, 12]], [1, 0], atol=1e-6)  # the last 2 frames
    np.testing.assert_allclose(features[:, 1:12], -1)
    with pytest.raises(ValueError, match='frame size 8 is not a multiple of the feature grid 3'):
        frames_to_features(frames, grid=3)


def test_frame_dataset_and_a_dataloader_batch(tiny):
    root, summary = tiny
    pipeline = [dict(type='LoadTALFrames'), dict(type='TALFrameRandomCrop', size=24),
                dict(type='TALFrameFlip', flip_ratio=0.5), dict(type='PackTALFrames')]
    dataset = TALFrameDataset(str(root / 'annotations.json'), pipeline,
                              data_prefix=dict(frames=str(root / 'frames')), subset='training',
                              window_size=64, window_stride=16, frame_size=(32, 32))
    assert len(dataset) >= 4 and dataset.metainfo['classes'] == tuple(summary['classes'])
    loader = DataLoader(dataset, batch_size=3, shuffle=False, collate_fn=pseudo_collate)
    batch = next(iter(loader))
    # mmaction's data preprocessor without mean/std stacks them unchanged: (B, C, T, H, W)
    preprocessor = MODELS.build(dict(type='ActionDataPreprocessor', format_shape='NCTHW'))
    inputs = preprocessor(batch, training=True)['inputs']
    assert torch.equal(inputs, torch.stack(batch['inputs']))
    assert inputs.shape == (3, 3, 64, 24, 24) and inputs.dtype == torch.float32
    assert inputs.min() >= -1 and inputs.max() <= 1
    for sample in batch['data_samples']:
        segments = sample.gt_instances.segments
        assert len(segments) >= 1 and (segments[:, 0] >= 1).all() and (segments[:, 1] <= 64).all()
        assert (segments[:, 1] > segments[:, 0]).all()
        assert ((sample.gt_instances.labels >= 0) & (sample.gt_instances.labels < 3)).all()
        assert sample.metainfo['window_size'] == 64 and sample.metainfo['feature_rate'] == 10.
    flow = TALFrameDataset(str(root / 'annotations.json'), pipeline, modality='Flow',
                           data_prefix=dict(frames=str(root / 'flows')), subset='training',
                           window_size=64, window_stride=16)
    assert flow[0]['inputs'].shape == (2, 64, 24, 24) and len(flow) == len(dataset)


def test_the_feature_dataset_reads_the_features(tiny):
    root, summary = tiny
    dataset = TALFeatureDataset(
        str(root / 'annotations.json'), [dict(type='LoadTALFeature'), dict(type='PackTALInputs')],
        data_prefix=dict(feature=str(root / 'features')), subset='validation', test_mode=True,
        feature_rate=summary['feature_rate'], feature_dim=summary['feature_dim'], window_size=16)
    sample = dataset[0]
    assert sample['inputs'].shape == (96, 16)
    # the frames [a, b) of an action are steps [a / 4, b / 4)
    info = dataset.get_data_info(0)
    entry = _database(root)[info['video_name']]
    spans = np.array([a['segment'] for a in entry['annotations']]) * 10 / 4
    np.testing.assert_allclose(info['gt_segments'], np.clip(spans[spans[:, 0] < 16], 0, 16))


def test_a_failed_run_leaves_nothing(tmp_path, monkeypatch):
    calls, save = [], np.save

    def failing_save(*args, **kwargs):
        calls.append(args)
        if len(calls) == 4:
            raise OSError('disk full')
        save(*args, **kwargs)

    monkeypatch.setattr(synthetic_tal.np, 'save', failing_save)
    with pytest.raises(OSError, match='disk full'):
        generate_synthetic_tal_frames(str(tmp_path / 'out'), preset='frames_tiny', num_videos=3,
                                      progress=False)
    assert list(tmp_path.iterdir()) == []


def test_bad_arguments(tmp_path):
    for kwargs, message in [(dict(preset='big'), "preset must be one of .* got 'big'"),
                            (dict(num_videos=1), 'num_videos must be an int >= 2, got 1'),
                            (dict(seed=-1), 'seed must be an int >= 0'),
                            (dict(frame_size=30), 'frame_size must be an int >= 16 and a '
                                                  'multiple of 4, got 30')]:
        with pytest.raises(ValueError, match=message):
            generate_synthetic_tal_frames(str(tmp_path / 'x'), progress=False, **kwargs)
    assert not (tmp_path / 'x').exists()


def test_cli(tmp_path, capsys):
    cli = load_script('tools/data/synthetic_tal/generate_frames.py')
    assert set(cli.PRESETS) == set(TAL_FRAME_PRESETS)
    result = run_tool('data/synthetic_tal/generate_frames.py', tmp_path / 'out', '--preset',
                      'frames_tiny', '--num-videos', '3', '--frame-size', '48', '--no-flow',
                      '--no-progress', cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert 'training: 2 videos of' in result.stdout
    assert "'frames_tiny' set (48x48 frames at 10 fps; frames, features;" in result.stdout
    assert np.load(tmp_path / 'out' / 'frames' / 'video_0002.npy').shape[1:] == (48, 48, 3)
    assert not (tmp_path / 'out' / 'flows').exists()
    code, _, err = run_in_process(capsys, cli, tmp_path / 'out', '--no-progress')
    assert code == 1 and err.count('\n') == 1 and 'exists and is not empty' in err
