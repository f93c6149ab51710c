"""Tests of FrameAVADataset: exact centre frame, per-video clamping, one-line errors."""
import pickle

import cv2
import numpy as np
import pytest

from mmaction.datasets.transforms import (FormatShape, PackActionInputs, RawFrameDecode, Resize,
                                          SampleAVAFrames)
from mmaction.registry import DATASETS
from vsgt.datasets import SYNTHETIC_CLASSES, FrameAVADataset, generate_synthetic_dataset

LABEL_MAP = ''.join(f'item {{\n  name: "class{i}"\n  id: {i}\n}}\n' for i in (1, 2, 3))
FRAMES = {'short': 5, 'long': 9}
ROWS = ['short,1,0.1,0.2,0.5,0.6,1,0', 'short,3,0.1,0.2,0.5,0.6,2,0',
        'short,3,0.1,0.2,0.5,0.6,3,0', 'short,5,0.3,0.2,0.9,0.6,3,1',
        'long,1,0.1,0.1,0.4,0.9,2,0', 'long,5,0.1,0.1,0.4,0.9,2,0', 'long,9,0.2,0.1,0.5,0.9,1,0']


def _decode_pipeline(test_mode=True):
    return [SampleAVAFrames(clip_len=4, frame_interval=2, test_mode=test_mode), RawFrameDecode()]


@pytest.fixture(scope='module')
def numbered(tmp_path_factory):
    """Videos of 5 and 9 frames whose frame n is a flat image of value 20 * n."""
    root = tmp_path_factory.mktemp('numbered')
    for video_id, num_frames in FRAMES.items():
        folder = root / 'rawframes' / video_id
        folder.mkdir(parents=True)
        for number in range(1, num_frames + 1):
            cv2.imwrite(str(folder / f'img_{number:05d}.jpg'),
                        np.full((16, 24, 3), 20 * number, np.uint8))
    (root / 'labels.pbtxt').write_text(LABEL_MAP)
    return root


def _build(root, rows=ROWS, pipeline=None, **kwargs):
    ann_file = root / 'ann.csv'
    if rows is not None:
        ann_file.write_text(''.join(row + '\n' for row in rows))
    cfg = dict(type='FrameAVADataset', ann_file=str(ann_file),
               pipeline=pipeline or _decode_pipeline(), label_file=str(root / 'labels.pbtxt'),
               data_prefix=dict(img=str(root / 'rawframes')))
    cfg.update(kwargs)
    return DATASETS.build(cfg)


def _frame_numbers(imgs):
    return [int(round(img.mean() / 20)) for img in imgs]


def test_clip_is_centred_on_frame_t_and_clamped_per_video(numbered):
    dataset = _build(numbered)
    assert isinstance(dataset, FrameAVADataset) and dataset.num_classes == 4
    assert dataset.num_frames_by_video == FRAMES
    seen = set()
    for index in range(len(dataset)):
        results = dataset[index]
        t, video_id = results['timestamp'], results['video_id']
        expected = np.clip([t - 4, t - 2, t, t + 2], 1, FRAMES[video_id])
        assert results['frame_inds'].tolist() == expected.tolist()
        assert _frame_numbers(results['imgs']) == expected.tolist()
        seen.add((video_id, t))
    assert seen == {('short', 1), ('short', 3), ('short', 5), ('long', 1), ('long', 5),
                    ('long', 9)}


def test_training_jitter_stays_inside_the_video(numbered):
    dataset = _build(numbered, pipeline=_decode_pipeline(test_mode=False))
    for _ in range(5):
        for index in range(len(dataset)):
            results = dataset[index]
            numbers = _frame_numbers(results['imgs'])
            assert min(numbers) >= 1 and max(numbers) <= FRAMES[results['video_id']]


def test_rows_of_a_box_become_one_multilabel_instance(numbered):
    dataset = _build(numbered)
    info = next(dataset.get_data_info(i) for i in range(len(dataset))
                if dataset.get_data_info(i)['img_key'] == 'short,0003')
    assert info['gt_labels'].tolist() == [[0, 0, 1, 1]]
    assert info['entity_ids'].tolist() == [0]


def test_custom_classes_keep_a_subset(numbered):
    dataset = _build(numbered, custom_classes=[2, 3])
    assert dataset.num_classes == 3
    keys = {dataset.get_data_info(i)['img_key']: dataset.get_data_info(i)['gt_labels'].tolist()
            for i in range(len(dataset))}
    assert 'long,0009' not in keys and 'short,0001' not in keys
    assert keys['short,0003'] == [[0, 1, 1]]
    assert keys['long,0005'] == [[0, 1, 0]]


@pytest.fixture(scope='module')
def synthetic_set(tmp_path_factory):
    root = tmp_path_factory.mktemp('synthetic') / 'data'
    generate_synthetic_dataset(str(root), num_videos=3, num_frames=12, key_frame_stride=4,
                               seed=1, progress=False)
    return root


def _synthetic_cfg(root, pipeline):
    ann = root / 'annotations'
    return dict(type='FrameAVADataset', ann_file=str(ann / 'train.csv'),
                label_file=str(ann / 'action_list.pbtxt'),
                proposal_file=str(ann / 'proposals_train.pkl'),
                data_prefix=dict(img=str(root / 'rawframes')), person_det_score_thr=0.5,
                num_classes=len(SYNTHETIC_CLASSES) + 1, pipeline=pipeline, test_mode=True)


def test_synthetic_set_through_the_mmaction_pipeline(synthetic_set):
    pipeline = [SampleAVAFrames(clip_len=8, frame_interval=1, test_mode=True), RawFrameDecode(),
                Resize(scale=(64, 48), keep_ratio=False),
                FormatShape(input_format='NCTHW', collapse=True), PackActionInputs()]
    dataset = DATASETS.build(_synthetic_cfg(synthetic_set, pipeline))
    rows = [line.split(',') for line in
            (synthetic_set / 'annotations' / 'train.csv').read_text().splitlines()]
    assert len(dataset) == len({(row[0], row[1]) for row in rows})
    packed = dataset[0]
    sample = packed['data_samples']
    assert packed['inputs'].shape == (3, 8, 48, 64)
    video_id, timestamp = sample.metainfo['video_id'], sample.metainfo['timestamp']
    assert sample.metainfo['img_key'] == f'{video_id},{timestamp:04d}'
    boxes = [row[2:6] for row in rows if (row[0], int(row[1])) == (video_id, timestamp)]
    expected = np.array(boxes, np.float32) * np.array([64, 48, 64, 48], np.float32)
    np.testing.assert_allclose(sample.gt_instances.bboxes.numpy(), expected, atol=1e-3)
    labels = sample.gt_instances.labels.numpy()
    assert labels.shape == (len(expected), len(SYNTHETIC_CLASSES) + 1)
    assert (labels.sum(axis=1) == 1).all() and not labels[:, 0].any()
    proposals = sample.proposals.bboxes.numpy()
    assert len(proposals) >= len(expected)
    assert all(np.abs(proposals - box).max(axis=1).min() < 0.01 for box in expected)


def test_synthetic_centre_frame_is_the_jpg_of_frame_t(synthetic_set):
    pipeline = [SampleAVAFrames(clip_len=8, frame_interval=1, test_mode=True), RawFrameDecode()]
    dataset = DATASETS.build(_synthetic_cfg(synthetic_set, pipeline))
    for index in range(len(dataset)):
        results = dataset[index]
        t = results['timestamp']
        folder = synthetic_set / 'rawframes' / results['video_id']

        def frame(number):
            return cv2.imread(str(folder / f'img_{number:05d}.jpg'))[..., ::-1]

        centre = results['imgs'][4]
        assert np.array_equal(centre, frame(t))
        assert not np.array_equal(centre, frame(t + 1 if t < 12 else t - 1))
        assert results['frame_inds'].tolist() == np.clip(np.arange(t - 4, t + 4), 1, 12).tolist()


def _write_proposals(root, obj):
    path = root / 'proposals.pkl'
    path.write_bytes(obj if isinstance(obj, bytes) else pickle.dumps(obj))
    return str(path)


@pytest.mark.parametrize('rows, kwargs, error, pattern', [
    (ROWS[:1] + ['short,3,0.1,0.2,0.5,0.6,1'], {}, ValueError, r'row 2: expected 8 fields'),
    (ROWS[:2] + ['short,x,0.1,0.2,0.5,0.6,1,0'], {}, ValueError, r'row 3: .*must be numbers'),
    (['short,3,0.1,0.2,0.5,zero,1,0'], {}, ValueError, r'row 1: .*must be numbers'),
    (ROWS[:1] + ['short,3,0.1,0.2,0.5,0.6,7,0'], {}, ValueError, r'row 2: action id 7 is not in'),
    (['short,3,0.1,0.2,0.5,0.6,0,0'], dict(label_file=None, num_classes=4), ValueError,
     r'row 1: action id 0 is outside 1\.\.3'),
    (['short,3,0.1,0.2,0.5,0.6,4,0'], dict(label_file=None, num_classes=4), ValueError,
     r'row 1: action id 4 is outside'),
    (['short,3,0.1,0.2,1.5,0.6,1,0'], {}, ValueError, r'row 1: box .* must lie in \[0, 1\]'),
    (['short,3,0.5,0.2,0.5,0.6,1,0'], {}, ValueError, r'row 1: box .*x2 > x1'),
    (ROWS + ['ghost,3,0.1,0.2,0.5,0.6,1,0'], {}, FileNotFoundError,
     r'row 8: frame folder .*ghost.* not found'),
    (['short,6,0.1,0.2,0.5,0.6,1,0'], {}, ValueError, r'row 1: timestamp 6 is outside video'),
    (['short,0,0.1,0.2,0.5,0.6,1,0'], {}, ValueError, r'row 1: timestamp 0 is outside video'),
    (['long,3,0.1,0.2,0.5,0.6,1,0'], dict(filename_tmpl='{:05}.png'), FileNotFoundError,
     r'row 1: no frame 00001\.png in'),
    ([], {}, ValueError, r'ann\.csv: no annotation rows'),
])
def test_bad_csv_gives_one_line_naming_file_and_row(numbered, rows, kwargs, error, pattern):
    with pytest.raises(error, match=pattern) as info:
        _build(numbered, rows, **kwargs)
    assert '\n' not in str(info.value)
    if 'row' in pattern:
        assert str(numbered / 'ann.csv') in str(info.value)


def test_missing_files(numbered, tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.csv not found'):
        _build(numbered, rows=None, ann_file=str(tmp_path / 'missing.csv'))
    with pytest.raises(FileNotFoundError, match='label map .*nolabels.pbtxt not found'):
        _build(numbered, label_file=str(tmp_path / 'nolabels.pbtxt'))
    with pytest.raises(FileNotFoundError, match='proposal file .*none.pkl not found'):
        _build(numbered, proposal_file=str(tmp_path / 'none.pkl'))


@pytest.mark.parametrize('proposals, pattern', [
    ({}, r'proposals.pkl: the proposals dict is empty'),
    ([np.zeros((1, 5))], r'proposals.pkl: expected a dict'),
    (b'not a pickle', r'proposals.pkl: not a readable pickle'),
    ({'short,0003': np.zeros((0, 5))}, r"proposals.pkl, key 'short,0003': expected a non-empty"),
    ({'short,0003': np.zeros(5)}, r"key 'short,0003': expected"),
    ({'short,0003': np.array([[0.1, 0.1, 1.5, 0.5, 0.9]])}, r"key 'short,0003': box corners"),
])
def test_bad_proposals(numbered, tmp_path, proposals, pattern):
    with pytest.raises(ValueError, match=pattern) as info:
        _build(numbered, proposal_file=_write_proposals(tmp_path, proposals))
    assert '\n' not in str(info.value)


def test_good_proposals_are_used(numbered, tmp_path):
    boxes = np.array([[0.1, 0.2, 0.5, 0.6, 0.95], [0.0, 0.0, 0.2, 0.2, 0.3]], np.float32)
    dataset = _build(numbered, proposal_file=_write_proposals(tmp_path, {'short,0003': boxes}),
                     person_det_score_thr=0.5)
    infos = {dataset.get_data_info(i)['img_key']: dataset.get_data_info(i)
             for i in range(len(dataset))}
    np.testing.assert_allclose(infos['short,0003']['proposals'], boxes[:1, :4])
    assert infos['long,0005']['proposals'].tolist() == [[0, 0, 1, 1]]


@pytest.mark.parametrize('kwargs, pattern', [
    (dict(fps=30), 'needs fps=1'),
    (dict(use_frames=False), 'reads rawframes'),
    (dict(custom_classes=[2, 5]), r'custom_classes has ids \[5\]'),
    (dict(custom_classes=[2], label_file=None), 'custom_classes needs label_file'),
    (dict(custom_classes=[2], num_classes=4), r'num_classes must be len\(custom_classes\) \+ 1'),
    (dict(label_file=None), 'needs num_classes or label_file'),
    (dict(num_classes=3), r'has id 3 but num_classes=3'),
])
def test_bad_arguments(numbered, kwargs, pattern):
    with pytest.raises(ValueError, match=pattern) as info:
        _build(numbered, **kwargs)
    assert '\n' not in str(info.value)


def test_malformed_label_map(numbered, tmp_path):
    bad = tmp_path / 'bad.pbtxt'
    bad.write_text('item {\n  name: "a"\n  id: one\n}\n')
    with pytest.raises(ValueError, match='bad.pbtxt: malformed label map'):
        _build(numbered, label_file=str(bad))
    bad.write_text('nothing here\n')
    with pytest.raises(ValueError, match='bad.pbtxt: no "item'):
        _build(numbered, label_file=str(bad))


CLIP_META_KEYS = ('img_shape', 'img_key', 'video_id', 'timestamp', 'clip_proposals',
                  'clip_gt_bboxes')


@pytest.mark.parametrize('geometry', ['resize_flip', 'crop'])
def test_clip_person_boxes_follow_the_frames(synthetic_set, geometry):
    """The key frame's row of the clip boxes is where mmaction's transforms put the key frame's
    proposals and ground truth; other frames take their own (or the nearest annotated) boxes."""
    from mmaction.datasets.transforms import Flip, RandomCrop
    from vsgt.datasets import LoadClipPersonBoxes
    steps = ([Resize(scale=(64, 48), keep_ratio=False), Flip(flip_ratio=1.0)]
             if geometry == 'resize_flip' else
             [Resize(scale=(-1, 72)), RandomCrop(size=40)])
    pipeline = [SampleAVAFrames(clip_len=8, frame_interval=1, test_mode=True), RawFrameDecode(),
                *steps, LoadClipPersonBoxes(), FormatShape(input_format='NCTHW', collapse=True),
                PackActionInputs(meta_keys=CLIP_META_KEYS)]
    cfg = _synthetic_cfg(synthetic_set, pipeline)
    dataset = DATASETS.build(dict(cfg, clip_person_boxes=True))
    plain = DATASETS.build(cfg)
    assert 'frame_person_boxes' not in plain.get_data_info(0)
    for index in range(len(dataset)):
        np.random.seed(index)
        sample = dataset[index]['data_samples']
        height, width = sample.metainfo['img_shape']
        for key, expected in (('clip_proposals', sample.proposals.bboxes),
                              ('clip_gt_bboxes', sample.gt_instances.bboxes)):
            rows = sample.metainfo[key]
            assert rows.dtype == np.float32 and rows.shape[1] == 5
            # clip_len 8, interval 1: the key frame is at position 4
            key_rows = rows[rows[:, 0] == 4, 1:]
            if geometry == 'crop':  # mmaction's crop clips boxes to the last pixel
                key_rows = np.clip(key_rows, 0, [width - 1, height - 1] * 2)
            np.testing.assert_allclose(key_rows, np.asarray(expected), atol=1e-3)
            # key frames every 4 frames: positions 0 and 4 are annotated; 1 and 2 take 0's boxes
            # (the nearest; 2 ties and takes the earlier), 3 takes 4's
            for position, source in ((1, 0), (2, 0), (3, 4)):
                np.testing.assert_array_equal(rows[rows[:, 0] == position, 1:],
                                              rows[rows[:, 0] == source, 1:])


def test_clip_person_boxes_need_the_dataset_option(synthetic_set):
    from vsgt.datasets import LoadClipPersonBoxes
    with pytest.raises(KeyError, match="needs 'frame_person_boxes'.*clip_person_boxes=True"):
        LoadClipPersonBoxes()(dict(frame_inds=np.arange(4), img_shape=(8, 8)))
