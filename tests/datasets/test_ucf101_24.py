"""UCF101-24 / JHMDB-21 converters on a tiny made-up ground-truth pickle and tiny videos."""
import os
import pickle
import shutil

import cv2
import numpy as np
import pytest

from mmaction.registry import DATASETS
from conftest import run_tool
from vsgt.datasets.frame_ava import load_proposals, read_label_ids
from vsgt.datasets.ucf101_24 import (build_annotations, extract_frames, label_map_text,
                                     load_act_gt)
from vsgt.evaluation.functional import frame_ap, load_ground_truth

SIZE = (24, 32)  # height, width
VIDEOS = {'Basketball/v_Basketball_g01_c01': ('.avi', 8), 'Biking/v_Biking_g01_c01': ('.mp4', 10),
          'Biking/v_Biking_g02_c01': ('.avi', 6)}
TRAIN = ['Basketball/v_Basketball_g01_c01', 'Biking/v_Biking_g01_c01']
TEST = ['Biking/v_Biking_g02_c01']


def _tube(first, last, box):
    return np.array([[f, *box] for f in range(first, last + 1)], np.float32)


def fake_gt(num_classes=24, num_splits=1, **changes):
    labels = ['Basketball', 'Biking'] + [f'class{i}' for i in range(2, num_classes)]
    gt = dict(labels=labels,
              gttubes={TRAIN[0]: {0: [_tube(1, 8, (2, 3, 20, 22))]},
                       # The first Biking tube leaves the 32-pixel-wide frame: clipped.
                       TRAIN[1]: {1: [_tube(2, 9, (0, 0, 33, 20)), _tube(1, 5, (5, 5, 10, 10))]},
                       TEST[0]: {1: [_tube(1, 6, (1, 1, 30, 23))]}},
              nframes={video: n for video, (_, n) in VIDEOS.items()},
              train_videos=[TRAIN] * num_splits, test_videos=[TEST] * num_splits,
              resolution={video: SIZE for video in VIDEOS})
    gt.update(changes)
    return gt


def _write_video(path, num_frames):
    fourcc = 'mp4v' if path.endswith('.mp4') else 'MJPG'
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*fourcc), 25, SIZE[::-1])
    for index in range(num_frames):
        writer.write(np.full((*SIZE, 3), 20 * index, np.uint8))
    writer.release()


@pytest.fixture(scope='module')
def source(tmp_path_factory):
    root = tmp_path_factory.mktemp('ucf')
    for video, (extension, num_frames) in VIDEOS.items():
        (root / 'videos' / video).parent.mkdir(parents=True, exist_ok=True)
        _write_video(str(root / 'videos' / video) + extension, num_frames)
    (root / 'gt.pkl').write_bytes(pickle.dumps(fake_gt(), protocol=2))
    return root


@pytest.fixture(scope='module')
def frames(source):
    extract_frames(str(source / 'gt.pkl'), str(source / 'videos'), str(source / 'rawframes'),
                   progress=False)
    return source / 'rawframes'


def test_frames_are_extracted_in_order(frames):
    for video, (_, num_frames) in VIDEOS.items():
        names = sorted(os.listdir(frames / video))
        assert names == [f'{n:05}.jpg' for n in range(1, num_frames + 1)]
        means = [cv2.imread(str(frames / video / name)).mean() for name in names]
        np.testing.assert_allclose(means, 20 * np.arange(num_frames), atol=4)


def test_extraction_resumes_and_cleans_up(source, frames, tmp_path):
    copy = tmp_path / 'rawframes'
    shutil.copytree(frames, copy)
    stale = copy / 'Biking' / '.v_Biking_g02_c01.tmp-dead'
    stale.mkdir()
    shutil.rmtree(copy / TEST[0])
    counts = extract_frames(str(source / 'gt.pkl'), str(source / 'videos'), str(copy),
                            workers=2, progress=False)
    assert counts == {'extracted': 1, 'skipped': 2}
    assert not stale.exists() and len(os.listdir(copy / TEST[0])) == 6
    os.remove(copy / TRAIN[0] / '00003.jpg')
    with pytest.raises(FileExistsError, match='v_Basketball_g01_c01 exists but lacks some'):
        extract_frames(str(source / 'gt.pkl'), str(source / 'videos'), str(copy),
                       progress=False)
    counts = extract_frames(str(source / 'gt.pkl'), str(source / 'videos'), str(copy),
                            overwrite=True, progress=False)
    assert counts == {'extracted': 1, 'skipped': 2}


def test_extraction_errors_leave_nothing_behind(source, tmp_path):
    gt = fake_gt(nframes={**fake_gt()['nframes'], TEST[0]: 9})
    (tmp_path / 'long.pkl').write_bytes(pickle.dumps(gt))
    out = tmp_path / 'rawframes'
    with pytest.raises(ValueError, match=r'v_Biking_g02_c01.avi: decoded 6 frames, the ground '
                       'truth has nframes=9'):
        extract_frames(str(tmp_path / 'long.pkl'), str(source / 'videos'), str(out),
                       progress=False)
    assert not (out / TEST[0]).exists() and os.listdir(out / 'Biking') == [
        'v_Biking_g01_c01']
    shutil.copytree(source / 'videos', tmp_path / 'videos')
    os.remove(tmp_path / 'videos' / 'Biking' / 'v_Biking_g01_c01.mp4')
    with pytest.raises(FileNotFoundError, match="video 'Biking/v_Biking_g01_c01': no "):
        extract_frames(str(source / 'gt.pkl'), str(tmp_path / 'videos'),
                       str(tmp_path / 'other'), progress=False)
    assert not (tmp_path / 'other').exists()


def test_annotations_match_the_ground_truth(source, frames, tmp_path):
    summary = build_annotations(str(source / 'gt.pkl'), str(frames), str(tmp_path),
                                val_proposals='gt')
    rows = (tmp_path / 'train.csv').read_text().splitlines()
    assert rows[0] == 'Basketball/v_Basketball_g01_c01,1,0.0625,0.1250,0.6250,0.9167,1,0'
    biking = [row for row in rows if row.startswith('Biking/v_Biking_g01_c01,2,')]
    assert biking == ['Biking/v_Biking_g01_c01,2,0.0000,0.0000,1.0000,0.8333,2,0',
                      'Biking/v_Biking_g01_c01,2,0.1562,0.2083,0.3125,0.4167,2,1']
    assert summary['train'] == dict(videos=2, rows=21, key_frames=17, clipped_boxes=8,
                                    key_frames_without_proposals=0, proposals='gt')
    assert read_label_ids(str(tmp_path / 'ucf101_24_action_list.pbtxt')) == set(range(1, 25))
    proposals = load_proposals(str(tmp_path / 'proposals_train.pkl'))
    assert len(proposals) == 17
    first = proposals['Biking/v_Biking_g01_c01,0002']
    assert first[:2, 4].tolist() == [1, 1] and (np.diff(first[:, 4]) <= 0).all()

    dataset = DATASETS.build(dict(
        type='FrameAVADataset', ann_file=str(tmp_path / 'train.csv'), pipeline=[],
        label_file=str(tmp_path / 'ucf101_24_action_list.pbtxt'),
        proposal_file=str(tmp_path / 'proposals_train.pkl'), filename_tmpl='{:05}.jpg',
        data_prefix=dict(img=str(frames))))
    assert len(dataset) == 17 and dataset.num_frames_by_video[TRAIN[1]] == 10

    # The val CSV, as detections in pixels, scores frame-mAP 1 against the pickle.
    gt = load_ground_truth(str(source / 'gt.pkl'))
    dets = [[0, int(f), int(a) - 1, 1.0, float(x1) * 32, float(y1) * 24, float(x2) * 32,
             float(y2) * 24] for _, f, x1, y1, x2, y2, a, _ in
            (row.split(',') for row in (tmp_path / 'val.csv').read_text().splitlines())]
    assert frame_ap(gt, np.array(dets)).mean_ap.tolist() == [1.0]


def test_stride_and_detection_proposals(source, frames, tmp_path):
    dets = {'Biking/v_Biking_g02_c01,1': np.array([[1, 1, 30, 23, 0.9], [0, 0, 2, 2, 0.95]]),
            'Biking/v_Biking_g02_c01,0004': np.array([[-3, 1, 40, 23, 0.7]]),
            'Basketball/v_Basketball_g01_c01,1': np.array([[2, 3, 20, 22, 0.8]])}
    (tmp_path / 'dets.pkl').write_bytes(pickle.dumps(dets))
    summary = build_annotations(str(source / 'gt.pkl'), str(frames), str(tmp_path / 'out'),
                                stride=3, det_file=str(tmp_path / 'dets.pkl'))
    assert [row.split(',')[1] for row in (tmp_path / 'out' / 'val.csv').read_text().split()] \
        == ['1', '4']
    assert summary['val']['key_frames_without_proposals'] == 0
    proposals = load_proposals(str(tmp_path / 'out' / 'proposals_val.pkl'))
    assert sorted(proposals) == ['Biking/v_Biking_g02_c01,0001', 'Biking/v_Biking_g02_c01,0004']
    np.testing.assert_allclose(proposals['Biking/v_Biking_g02_c01,0001'],
                               [[0, 0, 2 / 32, 2 / 24, 0.95], [1 / 32, 1 / 24, 30 / 32, 23 / 24,
                                                              0.9]], rtol=1e-6)
    np.testing.assert_allclose(proposals['Biking/v_Biking_g02_c01,0004'][0, :4],
                               [0, 1 / 24, 1, 23 / 24], rtol=1e-6)


@pytest.mark.parametrize('change, message', [
    (dict(gt=fake_gt(num_classes=23)), 'ucf101_24 has 24 classes, the pickle has 23 labels'),
    (dict(gt={k: v for k, v in fake_gt().items() if k != 'nframes'}),
     r'missing field\(s\) nframes'),
    (dict(gt=fake_gt(train_videos=[TRAIN + ['Diving/v_Diving_g01_c01']])),
     "video 'Diving/v_Diving_g01_c01': missing from 'gttubes'"),
    (dict(split=2), 'split must be in 1..1'),
    (dict(val_proposals='detections'), 'need det_file'),
    (dict(dets={'Surfing/v_Surfing_g01_c01,3': np.zeros((1, 5))}),
     "key 'Surfing/v_Surfing_g01_c01,3': unknown video"),
    (dict(dets={'Biking/v_Biking_g02_c01,3': np.zeros((1, 4))}), r'expected an \(n, 5\) array'),
])
def test_bad_inputs_raise_one_clear_error(source, frames, tmp_path, change, message):
    gt_file, det_file = source / 'gt.pkl', None
    if 'gt' in change:
        gt_file = tmp_path / 'gt.pkl'
        gt_file.write_bytes(pickle.dumps(change['gt']))
    if 'dets' in change:
        det_file = tmp_path / 'dets.pkl'
        det_file.write_bytes(pickle.dumps(change['dets']))
    with pytest.raises(ValueError, match=message):
        build_annotations(str(gt_file), str(frames), str(tmp_path / 'out'),
                          split=change.get('split', 1), det_file=det_file and str(det_file),
                          val_proposals=change.get('val_proposals', 'detections' if det_file
                                                   else 'gt'))
    assert not (tmp_path / 'out').exists()


def test_video_without_frames_and_existing_outputs(source, frames, tmp_path):
    partial = tmp_path / 'rawframes'
    shutil.copytree(frames / 'Basketball', partial / 'Basketball')
    with pytest.raises(FileNotFoundError, match="train video 'Biking/v_Biking_g01_c01': frames "
                       '00001.jpg..00010.jpg are not all in'):
        build_annotations(str(source / 'gt.pkl'), str(partial), str(tmp_path / 'out'),
                          val_proposals='gt')
    build_annotations(str(source / 'gt.pkl'), str(frames), str(tmp_path / 'out'),
                      val_proposals='gt')
    with pytest.raises(FileExistsError, match='train.csv exists'):
        build_annotations(str(source / 'gt.pkl'), str(frames), str(tmp_path / 'out'),
                          val_proposals='gt')


def test_jhmdb21_splits(source, frames, tmp_path):
    gt = fake_gt(num_classes=21, num_splits=3)
    gt['train_videos'][1] = [TRAIN[0]]
    gt['test_videos'][1] = TEST + [TRAIN[1]]
    (tmp_path / 'jhmdb.pkl').write_bytes(pickle.dumps(gt))
    assert load_act_gt(str(tmp_path / 'jhmdb.pkl'), 'jhmdb21')['labels'][0] == 'Basketball'
    summary = build_annotations(str(tmp_path / 'jhmdb.pkl'), str(frames), str(tmp_path / 'out'),
                                dataset='jhmdb21', split=2, val_proposals='gt')
    assert (summary['train']['videos'], summary['val']['videos']) == (1, 2)
    assert (tmp_path / 'out' / 'jhmdb21_action_list.pbtxt').read_text() == label_map_text(
        gt['labels'])
    (tmp_path / 'one_split.pkl').write_bytes(pickle.dumps(fake_gt(num_classes=21)))
    with pytest.raises(ValueError, match='jhmdb21 has 3 split.*train_videos holds 1'):
        load_act_gt(str(tmp_path / 'one_split.pkl'), 'jhmdb21')


def test_command_line_tools(source, frames, tmp_path):
    ok = run_tool('data/ucf101_24/build_annotations.py', source / 'gt.pkl', frames,
                  tmp_path / 'out', '--val-proposals', 'gt', cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert '"rows": 21' in ok.stdout and (tmp_path / 'out' / 'val.csv').is_file()
    bad = run_tool('data/ucf101_24/extract_frames.py', source / 'absent.pkl', source / 'videos',
                   tmp_path / 'frames', cwd=tmp_path)
    assert bad.returncode == 1 and bad.stderr.count('\n') == 1
    assert 'ground-truth file' in bad.stderr and 'absent.pkl not found' in bad.stderr
