"""FrameMAP / VideoMAP as mmengine metrics: exact scores, official files, one-line errors."""
import io
import logging
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import MMLogger

from mmaction.evaluation import ava_eval
from mmaction.evaluation.functional import ava_utils
from mmaction.evaluation.functional import multisports_utils as reference
from mmaction.registry import METRICS
from vsgt.evaluation import FrameMAP, VideoMAP
from vsgt.evaluation.functional import ClassAP, read_act_pickle
from vsgt.evaluation.metrics import format_ap_table

VIDEO_KEYS = ['video_mAP@0.2', 'video_mAP@0.5', 'video_mAP@0.75', 'video_mAP@0.5:0.95']


@pytest.fixture(scope='module')
def files(synthetic_root):
    ann = synthetic_root / 'data' / 'synthetic' / 'annotations'
    return dict(gt=str(ann / 'gt.pkl'), val=str(ann / 'val.csv'),
                labels=str(ann / 'action_list.pbtxt'))


def samples(gt_dict, frames=None, noise=0.0, seed=0):
    """Data samples predicting the ground truth of each val frame (or of ``frames``): the GT
    boxes, normalised, with score 1 for their class (optionally jittered, random scores)."""
    rng = np.random.default_rng(seed)
    num_classes = len(gt_dict['labels'])
    result = []
    for video in gt_dict['test_videos'][0]:
        height, width = gt_dict['resolution'][video]
        boxes_at = {}
        for label, tubes in gt_dict['gttubes'][video].items():
            for tube in tubes:
                for frame, *box in tube:
                    boxes_at.setdefault(int(frame), []).append((label, box))
        for frame in sorted(boxes_at) if frames is None else frames[video]:
            labels, boxes = zip(*boxes_at[frame])
            boxes = np.array(boxes) / [width, height, width, height]
            boxes = boxes + rng.normal(0, noise, boxes.shape) * (boxes[:, 2:] - boxes[:, :2]).mean()
            boxes[:, 2:] = np.maximum(boxes[:, 2:], boxes[:, :2] + 0.01)
            scores = np.zeros((len(labels), num_classes + 1))
            scores[np.arange(len(labels)), np.array(labels) + 1] = 1.0
            if noise:
                scores[:, 1:] = np.clip(scores[:, 1:] * 0.5 + rng.random(scores[:, 1:].shape) * 0.6,
                                        0, 1)
            result.append(dict(video_id=video, timestamp=frame, pred_instances=dict(
                bboxes=torch.tensor(boxes, dtype=torch.float32),
                scores=torch.tensor(scores, dtype=torch.float32))))
    return result


def evaluate(metric, data_samples):
    for start in range(0, len(data_samples), 3):
        metric.process(None, data_samples[start:start + 3])
    return metric.evaluate(len(data_samples))


def test_ground_truth_fed_back_scores_exactly_one(files, tmp_path):
    gt_dict = read_act_pickle(files['gt'])
    predictions = samples(gt_dict)
    frame_metric = METRICS.build(dict(type='FrameMAP', gt_file=files['gt'], out_dir=str(tmp_path)))
    video_metric = METRICS.build(dict(type='VideoMAP', gt_file=files['gt'], out_dir=str(tmp_path)))
    assert isinstance(frame_metric, FrameMAP) and isinstance(video_metric, VideoMAP)
    assert evaluate(frame_metric, predictions) == {'frame_mAP@0.5': 1.0}
    assert evaluate(video_metric, predictions) == {key: 1.0 for key in VIDEO_KEYS}


def test_key_frames_of_the_val_csv(files):
    gt_dict = read_act_pickle(files['gt'])
    key_frames = {}
    for line in open(files['val']):
        video, frame = line.split(',')[:2]
        key_frames.setdefault(video, []).append(int(frame))
    predictions = samples(gt_dict, {v: sorted(set(f)) for v, f in key_frames.items()})
    keyed = FrameMAP(files['gt'], ann_file=files['val'])
    assert evaluate(keyed, predictions) == {'frame_mAP@0.5': 1.0}
    # Against every frame of the tubes, the frames between key frames are misses.
    assert evaluate(FrameMAP(files['gt']), predictions)['frame_mAP@0.5'] < 0.5


@pytest.mark.filterwarnings('ignore:Mean of empty slice')
def test_written_files_reproduce_with_the_official_evaluators(files, tmp_path, monkeypatch):
    monkeypatch.setattr(reference, 'int', lambda value: int(np.asarray(value).item()),
                        raising=False)
    monkeypatch.setattr(ava_utils.multiprocessing, 'Pool', SerialPool)
    gt_dict = read_act_pickle(files['gt'])
    predictions = samples(gt_dict, noise=0.1)
    frame = evaluate(FrameMAP(files['gt'], out_dir=str(tmp_path)), predictions)['frame_mAP@0.5']
    video = evaluate(VideoMAP(files['gt'], out_dir=str(tmp_path), iou_thrs=(0.2, 0.5)),
                     predictions)
    assert 0 < frame < 1
    with open(tmp_path / 'frame_detections.pkl', 'rb') as file:
        frame_dets = pickle.load(file)
    with open(tmp_path / 'video_detections.pkl', 'rb') as file:
        video_dets = pickle.load(file)
    assert frame_dets.dtype == np.float64 and frame_dets.shape[1] == 8
    assert 100 * frame == pytest.approx(reference.frameAP(gt_dict, frame_dets, 0.5, False),
                                        abs=1e-9)
    assert sorted(video_dets) == list(range(len(gt_dict['labels'])))
    for thr in (0.2, 0.5):
        assert 100 * video[f'video_mAP@{thr}'] == pytest.approx(
            reference.videoAP(gt_dict, video_dets, thr, False), abs=1e-9)
    rows = open(tmp_path / 'frame_detections.csv').read().splitlines()
    assert len(rows) == len(frame_dets) and len(rows[0].split(',')) == 8
    # The AVA evaluation on the val CSV's key frames (it ignores the frames without GT there).
    keyed = evaluate(FrameMAP(files['gt'], ann_file=files['val']), predictions)
    assert ava_eval(str(tmp_path / 'frame_detections.csv'), 'mAP', files['labels'], files['val'],
                    None)['overall'] == pytest.approx(keyed['frame_mAP@0.5'], abs=1e-6)


class SerialPool:
    """Stands in for ``multiprocessing.Pool(32)`` in ``ava_eval``."""

    def __init__(self, *args):
        pass

    map = staticmethod(lambda func, items: list(map(func, items)))


def test_ap_table_is_logged(files):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = MMLogger.get_current_instance()
    logger.addHandler(handler)
    try:
        gt_dict = read_act_pickle(files['gt'])
        evaluate(VideoMAP(files['gt']), samples(gt_dict))
    finally:
        logger.removeHandler(handler)
    log = stream.getvalue()
    assert 'video AP (%)' in log and 'AP@0.5:0.95' in log and 'mean (' in log
    assert all(name in log for name in gt_dict['labels'])


def test_table_marks_classes_without_ground_truth():
    result = ClassAP(('a', 'b', 'c'), (0.5, ), np.array([[1.0, 0.0, np.nan]]),
                     np.array([2, 1, 0]), np.array([3, 0, 4]))
    lines = format_ap_table(result, [('AP@0.5', result.ap[0])], 'boxes').splitlines()
    assert [cell.strip() for cell in lines[0].split('|')] == ['class', 'GT boxes',
                                                              'detected boxes', 'AP@0.5']
    assert [line.split('|')[-1].strip() for line in lines[2:5]] == ['100.00', '0.00', '-']
    assert lines[-1].split('|')[0].strip() == 'mean (2 classes)'
    assert lines[-1].split('|')[-1].strip() == '50.00'


def _one(video='video_0000', frame=1, boxes=((0.1, 0.1, 0.3, 0.4), ), scores=None, columns=6):
    scores = np.full((len(boxes), columns), 0.5) if scores is None else scores
    return dict(video_id=video, timestamp=frame, pred_instances=dict(
        bboxes=torch.tensor(boxes, dtype=torch.float32), scores=torch.tensor(scores)))


@pytest.mark.parametrize('sample, message', [
    (_one(video='nope'), "video 'nope', frame 1: unknown video"),
    (_one(frame=999), 'the timestamp must be a frame number'),
    (_one(columns=7), r'scores \(n, 6\)'),
    (_one(scores=np.array([[0.1, np.nan, 0.2, 0.3, 0.4, 0.5]])), 'scores are not all finite'),
    (_one(boxes=((0.5, 0.1, 0.3, 0.4), )), 'x2 >= x1'),
    (dict(video_id='video_0000', timestamp=1), 'has no pred_instances'),
])
def test_bad_predictions_raise_one_clear_error(files, sample, message):
    gt_dict = read_act_pickle(files['gt'])
    if sample['video_id'] == 'video_0000':
        sample['video_id'] = gt_dict['test_videos'][0][0]
    with pytest.raises(ValueError, match=message):
        FrameMAP(files['gt']).process(None, [sample])


def test_a_frame_predicted_twice_is_an_error(files):
    gt_dict = read_act_pickle(files['gt'])
    sample = _one(video=gt_dict['test_videos'][0][0])
    metric = FrameMAP(files['gt'])
    metric.process(None, [sample, sample])
    with pytest.raises(ValueError, match='frame 1 was predicted 2 times'):
        metric.evaluate(2)


def test_bad_ground_truth_and_arguments(files, tmp_path):
    gt_dict = read_act_pickle(files['gt'])
    del gt_dict['resolution']
    path = tmp_path / 'gt.pkl'
    path.write_bytes(pickle.dumps(gt_dict))
    with pytest.raises(ValueError, match=r'gt.pkl: missing field\(s\) resolution'):
        FrameMAP(str(path))
    with pytest.raises(FileNotFoundError, match='ground-truth file .* not found'):
        VideoMAP(str(tmp_path / 'absent.pkl'))
    with pytest.raises(ValueError, match='split must be in 1..1'):
        FrameMAP(files['gt'], split=2)
    bad_csv = tmp_path / 'val.csv'
    bad_csv.write_text('video_9999,3,0.1,0.1,0.2,0.2,1,0\n')
    with pytest.raises(ValueError, match=r"val.csv, row 1: video 'video_9999' is not in"):
        FrameMAP(files['gt'], ann_file=str(bad_csv))
    with pytest.raises(ValueError, match='iou_thrs'):
        FrameMAP(files['gt'], iou_thrs=(0, ))
