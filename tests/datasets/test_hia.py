"""HIA converter: AVA-layout CSVs and frames to the ground-truth pickle, and its report."""
import json
import pickle

import cv2
import numpy as np
import pytest

from conftest import run_tool
from vsgt.datasets.hia import HIAValidationError, build_hia_gt, format_report
from vsgt.evaluation.functional import frame_ap, link_tubes, load_ground_truth, video_ap

LABELS = ('sit', 'walk', 'fall')
SIZES = {'cam1_0001': (20, 24, 32), 'cam1_0002': (20, 30, 40), 'cam2_0001': (12, 24, 32)}
BOX = (0.25, 0.5, 0.5, 1.0)


def row(video, frame, action, person, box=BOX):
    return f'{video},{frame},' + ','.join(map(str, box)) + f',{action},{person}'


# Train: person 0 walks on frames 1, 3, ..., 9 and 15, ..., 19 (a 6-frame gap: two tubes) and
# sits on frames 1, 3; person 1 sits on every other frame; in cam1_0002 person 5 falls.
TRAIN = ([row('cam1_0001', f, 2, 0) for f in (1, 3, 5, 7, 9, 15, 17, 19)] +
         [row('cam1_0001', f, 1, 0) for f in (1, 3)] +
         [row('cam1_0001', f, 1, 1, (0.0, 0.0, 0.25, 0.5)) for f in range(1, 20, 2)] +
         [row('cam1_0002', f, 3, 5) for f in (2, 4, 6)])
VAL = ([row('cam2_0001', f, 2, 0) for f in (1, 3, 5, 7)] +
       [row('cam2_0001', f, 1, 1, (0.5, 0.0, 1.0, 0.5)) for f in (1, 3)])


@pytest.fixture(scope='module')
def hia(tmp_path_factory):
    root = tmp_path_factory.mktemp('hia')
    for video, (num_frames, height, width) in SIZES.items():
        (root / 'rawframes' / video).mkdir(parents=True)
        for n in range(1, num_frames + 1):
            cv2.imwrite(str(root / 'rawframes' / video / f'img_{n:05}.jpg'),
                        np.zeros((height, width, 3), np.uint8))
    (root / 'labels.pbtxt').write_text(''.join(
        f'item {{\n  name: "{name}"\n  id: {i}\n}}\n' for i, name in enumerate(LABELS, 1)))
    return root


def build(root, out, train=TRAIN, val=VAL, **kwargs):
    (out / 'train.csv').write_text('\n'.join(train) + '\n')
    (out / 'val.csv').write_text('\n'.join(val) + '\n')
    return build_hia_gt(str(out / 'train.csv'), str(out / 'val.csv'), str(root / 'labels.pbtxt'),
                        str(root / 'rawframes'), str(out / 'gt.pkl'), **kwargs)


def test_ground_truth_pickle(hia, tmp_path):
    report = build(hia, tmp_path, report_file=str(tmp_path / 'report.json'))
    gt = pickle.loads((tmp_path / 'gt.pkl').read_bytes())
    assert gt['labels'] == list(LABELS)
    assert gt['train_videos'] == [['cam1_0001', 'cam1_0002']]
    assert gt['test_videos'] == [['cam2_0001']]
    assert gt['nframes'] == {'cam1_0001': 20, 'cam1_0002': 20, 'cam2_0001': 12}
    assert gt['resolution']['cam1_0002'] == (30, 40)
    walk = gt['gttubes']['cam1_0001'][1]
    assert [tube[:, 0].tolist() for tube in walk] == [[1, 3, 5, 7, 9], [15, 17, 19]]
    np.testing.assert_array_equal(walk[0][0], [1, 8, 12, 16, 24])     # pixels of 32x24
    sit = gt['gttubes']['cam1_0001'][0]
    assert [len(tube) for tube in sit] == [2, 10]
    np.testing.assert_array_equal(gt['gttubes']['cam1_0002'][2][0][0], [2, 10, 15, 20, 30])
    assert report['tubes'] == 7 and report['max_gap'] == 2
    assert report['splits']['train']['boxes_per_class'] == {'sit': 12, 'walk': 8, 'fall': 3}
    # 13 annotated frames: 8 with both persons of cam1_0001, 5 with one person.
    assert report['splits']['train']['persons_per_frame'] == dict(min=1, mean=round(21 / 13, 3),
                                                                  max=2)
    assert all(p['count'] == 0 for p in report['problems'].values())
    assert json.loads((tmp_path / 'report.json').read_text()) == report
    assert 'walk' in format_report(report) and '7 tubes (max_gap 2 frames)' in format_report(
        report)
    build(hia, tmp_path, max_gap=6, overwrite=True)
    walk = pickle.loads((tmp_path / 'gt.pkl').read_bytes())['gttubes']['cam1_0001'][1]
    assert [len(tube) for tube in walk] == [8]


def test_val_annotations_fed_back_score_one(hia, tmp_path):
    build(hia, tmp_path)
    gt = load_ground_truth(str(tmp_path / 'gt.pkl'))
    dets = [[0, int(f), int(a) - 1, 0.9, float(x1) * 32, float(y1) * 24, float(x2) * 32,
             float(y2) * 24] for _, f, x1, y1, x2, y2, a, _ in (line.split(',') for line in VAL)]
    assert frame_ap(gt, np.array(dets)).mean_ap.tolist() == [1.0]
    # Sparse ground-truth tubes against densely interpolated linked tubes.
    tubes = link_tubes(gt, np.array(dets), min_length=1)
    assert video_ap(gt, tubes, (0.5, 0.95)).mean_ap.tolist() == [1.0, 1.0]


def test_problems_are_reported_and_fail_in_strict_mode(hia, tmp_path):
    bad_train = TRAIN + [row('cam1_0001', 3, 9, 0),                        # unknown label
                         row('cam1_0001', 5, 1, 1, (0.1, 0.1, 1.2, 0.5)),   # out of range
                         row('cam1_0002', 25, 3, 5),                        # frame missing
                         row('cam3_0001', 1, 1, 0),                         # video missing
                         TRAIN[0]]                                          # duplicate
    with pytest.raises(HIAValidationError, match=r'5 problem row\(s\) \(unknown_labels: 1, '
                       'boxes_out_of_range: 1, frames_missing: 2, duplicate_boxes: 1\), first: '
                       '.*train.csv row 24: action id 9') as error:
        build(hia, tmp_path, train=bad_train, report_file=str(tmp_path / 'report.json'))
    assert not (tmp_path / 'gt.pkl').exists()
    report = json.loads((tmp_path / 'report.json').read_text())
    assert report == error.value.report
    assert report['problems']['frames_missing']['examples'] == [
        f'{tmp_path}/train.csv row 26: video \'cam1_0002\' frame 25 (20 frames on disk)',
        f'{tmp_path}/train.csv row 27: video \'cam3_0001\' frame 1 (0 frames on disk)']
    report = build(hia, tmp_path, train=bad_train, strict=False)
    assert report['splits']['train']['boxes'] == len(TRAIN)
    assert 'cam3_0001' not in pickle.loads((tmp_path / 'gt.pkl').read_bytes())['nframes']


@pytest.mark.parametrize('change, message', [
    (dict(val=VAL + [row('cam1_0001', 1, 1, 0)]), "video 'cam1_0001' is in both"),
    (dict(train=TRAIN + ['cam1_0001,1,0.1,0.1,0.2']), r'train.csv, row 24: expected video_id'),
    (dict(train=TRAIN + ['cam1_0001,x,0.1,0.1,0.2,0.2,1,0']), 'row 24: frame, box, action_id'),
    (dict(labels='item {\n  name: "sit"\n  id: 1\n}\nitem {\n  name: "walk"\n  id: 3\n}\n'),
     r'the ids must be 1..N, each once; got \[1, 3\]'),
    (dict(max_gap=0), 'max_gap must be an int >= 1'),
])
def test_bad_inputs_raise_one_clear_error(hia, tmp_path, change, message):
    if 'labels' in change:
        (tmp_path / 'labels').mkdir()
        (tmp_path / 'labels' / 'labels.pbtxt').write_text(change.pop('labels'))
        (tmp_path / 'labels' / 'rawframes').symlink_to(hia / 'rawframes')
        hia = tmp_path / 'labels'
    with pytest.raises(ValueError, match=message):
        build(hia, tmp_path, **change)
    assert not (tmp_path / 'gt.pkl').exists()


def test_command_line_tool(hia, tmp_path):
    root = tmp_path / 'hia'
    (root / 'annotations').mkdir(parents=True)
    (root / 'rawframes').symlink_to(hia / 'rawframes')
    (root / 'annotations' / 'hia_action_list.pbtxt').write_text((hia / 'labels.pbtxt').read_text())
    (root / 'annotations' / 'train.csv').write_text('\n'.join(TRAIN + [TRAIN[0]]) + '\n')
    (root / 'annotations' / 'val.csv').write_text('\n'.join(VAL) + '\n')
    bad = run_tool('data/hia/build_gt.py', root, cwd=tmp_path)
    assert bad.returncode == 1 and 'duplicate_boxes: 1' in bad.stderr
    assert bad.stderr.count('\n') == 1 and 'rows repeating the' in bad.stdout
    ok = run_tool('data/hia/build_gt.py', root, '--no-strict', '--report', tmp_path / 'r.json',
                  cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert (root / 'annotations' / 'gt.pkl').is_file() and (tmp_path / 'r.json').is_file()
    assert '7 tubes (max_gap 2 frames)' in ok.stdout
