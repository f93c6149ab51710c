"""Temporal detection mAP: hand-computed AP, NMS, AR@AN, the submission JSON and the metric."""
import io
import json
import logging

import numpy as np
import pytest
import torch
from mmengine.logging import MMLogger
from mmengine.structures import InstanceData

from mmaction.registry import DATASETS, METRICS
from mmaction.structures import ActionDataSample
from vsgt.evaluation import TALDetectionMetric
from vsgt.evaluation.functional import (ACTIVITYNET_TIOU_THRS, THUMOS14_TIOU_THRS,
                                        TALPredictions, class_detection_ap, detection_ap,
                                        load_tal_ground_truth, match_ranked, nms_1d,
                                        postprocess_detections, read_tal_submission,
                                        recall_at_avg_proposals, segment_iou, short_action_ap,
                                        soft_nms_1d, write_tal_submission)
from vsgt.testing import load_script, run_in_process


def load_tool(name):
    return load_script(f'tools/analysis/{name}.py')


eval_tal = load_tool('eval_tal')


def ap_of(gt, preds, thrs=(0.5, )):
    """AP of one class; ``gt`` rows ``video, start, end``, ``preds`` rows ``video, start, end,
    score``."""
    gt, preds = np.array(gt, float).reshape(-1, 3), np.array(preds, float).reshape(-1, 4)
    return class_detection_ap(gt[:, 0], gt[:, 1:], preds[:, 0], preds[:, 1:3], preds[:, 3], thrs)


def test_tiou_is_float64_and_exact_at_the_threshold():
    iou = segment_iou([[0, 7], [5, 15], [20, 30], [3, 3]], [[0, 10], [3, 3]])
    np.testing.assert_array_equal(iou, [[0.7, 0], [1 / 3, 0], [0, 0], [0, 0]])
    assert iou.dtype == np.float64 and iou[0, 0] >= 0.7
    # pred [0, 7] vs GT [0, 10] is a hit at 0.7 (float32 tIoU would make it 0.69999999).
    assert ap_of([[0, 0, 10]], [[0, 0, 7, 0.9]], (0.7, np.nextafter(0.7, 1))).tolist() == [1, 0]


def test_perfect_and_all_wrong():
    gt = [[0, 0, 10], [0, 20, 30], [1, 5, 8]]
    perfect = [row + [score] for row, score in zip(gt, (0.9, 0.8, 0.7))]
    assert ap_of(gt, perfect, THUMOS14_TIOU_THRS).tolist() == [1.0] * 5
    wrong = [[1, 20, 30, 0.9], [0, 40, 50, 0.8], [2, 5, 8, 0.7]]  # other video, no overlap
    assert ap_of(gt, wrong, THUMOS14_TIOU_THRS).tolist() == [0.0] * 5
    assert ap_of(gt, np.zeros((0, 4))).tolist() == [0.0]


def test_partial():
    # TP (tIoU 1), FP, TP (tIoU 0.9): precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1.
    gt = [[0, 0, 10], [0, 20, 30]]
    preds = [[0, 0, 10, 0.9], [0, 50, 60, 0.8], [0, 21, 30, 0.7]]
    assert ap_of(gt, preds, (0.5, 0.95)) == pytest.approx([0.5 + 0.5 * 2 / 3, 0.5])


def test_highest_unmatched_tiou_with_fall_back():
    # Pred 1 takes A (tIoU 1); pred 2 prefers A (0.9) and falls back to B (7/12) when it may.
    gt = [[0, 0, 10], [0, 3, 13]]
    preds = [[0, 0, 10, 0.9], [0, 1, 10, 0.8]]
    assert ap_of(gt, preds, (0.5, 0.7)).tolist() == [1.0, 0.5]
    hits = match_ranked(segment_iou([[0, 10], [1, 10]], [[0, 10], [3, 13]]), (0.5, 0.7))
    assert hits.tolist() == [[True, True], [True, False]]


def test_ties_form_one_rank_whatever_the_input_order():
    gt = [[0, 0, 10]]
    tp, fp = [0, 0, 10, 0.5], [0, 30, 40, 0.5]
    assert ap_of(gt, [tp, fp]).tolist() == ap_of(gt, [fp, tp]).tolist() == [0.5]


def test_duplicates():
    # The second copy of a prediction is a false positive after the first took the GT.
    assert ap_of([[0, 0, 10]], [[0, 0, 10, 0.9], [0, 0, 10, 0.8]]).tolist() == [1.0]
    assert ap_of([[0, 0, 10]], [[0, 0, 10, 0.8], [0, 40, 50, 0.9]]).tolist() == [0.5]
    # Duplicated ground truth: each copy is found once.
    assert ap_of([[0, 0, 10]] * 2, [[0, 0, 10, 0.9], [0, 0, 10, 0.8]]).tolist() == [1.0]
    assert ap_of([[0, 0, 10]] * 2, [[0, 0, 10, 0.9]]).tolist() == [0.5]


def tiny_annotations():
    return dict(version='test', database={
        'video_a': dict(subset='validation', duration=60.0, annotations=[
            dict(segment=[0.0, 10.0], label='jump'), dict(segment=[20.0, 22.0], label='run')]),
        'video_b': dict(subset='validation', duration=30.0, annotations=[
            dict(segment=[5.0, 25.0], label='jump')]),
        'video_c': dict(subset='validation', duration=30.0, annotations=[]),
        'video_t': dict(subset='training', duration=30.0, annotations=[
            dict(segment=[1.0, 2.0], label='swim')])})


def test_class_without_ground_truth_is_nan_and_left_out_of_the_mean():
    gt = load_tal_ground_truth(tiny_annotations())
    assert gt.labels == ('jump', 'run', 'swim') and gt.videos == ('video_a', 'video_b', 'video_c')
    preds = TALPredictions(np.array([0, 1, 0, 2]), np.array([[0, 10], [5, 25], [20, 22], [0, 5.]]),
                           np.array([0.9, 0.8, 0.7, 0.95]), np.array([0, 0, 1, 2]))
    result = detection_ap(gt, preds, (0.5, ))
    np.testing.assert_array_equal(result.ap, [[1, 1, np.nan]])
    assert result.mean_ap.tolist() == [1.0]
    assert result.num_gt.tolist() == [2, 1, 0] and result.num_dets.tolist() == [2, 1, 1]


def test_short_action_ap_drops_predictions_of_long_actions():
    gt = load_tal_ground_truth(dict(database={'v': dict(subset='validation', duration=60.0,
                                                        annotations=[
        dict(segment=[0.0, 10.0], label='run'), dict(segment=[20.0, 22.0], label='run'),
        dict(segment=[30.0, 50.0], label='jump')])}))
    # run: [0, 9] is best matched to the long [0, 10] (tIoU 0.9): dropped; [40, 45] overlaps
    # nothing: a false positive ranked before the hit on the short [20, 22].
    preds = TALPredictions(np.zeros(4, np.int64), np.array([[0, 9], [40, 45], [20, 22],
                                                            [30, 50.]]),
                           np.array([0.9, 0.85, 0.8, 0.7]), np.array([1, 1, 1, 0]))
    short = short_action_ap(gt, preds, max_length=5)
    np.testing.assert_array_equal(short.ap, [[np.nan, 0.5]])  # jump: no short action
    # The jump prediction is best matched to the long jump action: dropped too.
    assert short.mean_ap.tolist() == [0.5] and short.num_dets.tolist() == [0, 2]
    # On all actions: TP, FP, TP at recall 1/2, 1/2, 1.
    assert detection_ap(gt, preds, (0.5, )).ap[0, 1] == pytest.approx(0.5 + 0.5 * 2 / 3)
    # With the threshold of the match below 0.9 nothing changes; above it [0, 9] stays (a FP).
    assert short_action_ap(gt, preds, 5, match_thr=0.95).ap[0, 1] == pytest.approx(1 / 3)


def test_nms_1d_on_hand_cases():
    segments = np.array([[0, 10], [1, 10], [20, 30], [0, 9.]])
    scores = np.array([0.9, 0.8, 0.7, 0.95])
    # [0, 9] suppresses [0, 10] (0.9) and [1, 10] (0.8); [20, 30] overlaps nothing.
    assert nms_1d(segments, scores, 0.5).tolist() == [3, 2]
    assert nms_1d(segments, scores, 0.85).tolist() == [3, 1, 2]
    assert nms_1d(segments, scores, 0.5, labels=np.array([0, 0, 0, 1])).tolist() == [3, 0, 2]
    assert nms_1d(segments, scores, 0.5, max_num=1).tolist() == [3]
    assert nms_1d([[0, 1], [0, 1]], [0.5, 0.5], 0.5).tolist() == [0]  # ties: input order


def test_class_wise_nms_equals_the_global_greedy_with_a_label_mask():
    rng = np.random.default_rng(0)
    starts = rng.uniform(0, 100, 300)
    segments = np.column_stack([starts, starts + rng.uniform(1, 30, 300)])
    scores = rng.integers(0, 20, 300) / 20  # many ties
    labels = rng.integers(0, 4, 300)
    iou = segment_iou(segments, segments)
    order = np.argsort(-scores, kind='stable')
    alive, expected = np.ones(300, bool), []
    for index in order:
        if alive[index]:
            expected.append(index)
            alive &= ~((iou[index] > 0.4) & (labels == labels[index]))
    assert nms_1d(segments, scores, 0.4, labels=labels).tolist() == expected
    assert nms_1d(segments, scores, 0.4, labels=labels, max_num=7).tolist() == expected[:7]


def test_soft_nms_1d_on_hand_cases():
    segments = np.array([[0, 10], [1, 10], [20, 30], [0, 9.]])
    scores = np.array([0.9, 0.8, 0.7, 0.95])
    keep, decayed = soft_nms_1d(segments, scores, sigma=0.5)
    assert keep.tolist() == [3, 2, 1, 0]
    # [1, 10] decays once by tIoU 0.8 with [0, 9]; [0, 10] by 0.9 with [0, 9], then 0.9 with
    # [1, 10].
    first = 0.9 * np.exp(-0.81 / 0.5) * np.exp(-0.81 / 0.5)
    np.testing.assert_allclose(decayed, [0.95, 0.7, 0.8 * np.exp(-0.64 / 0.5), first])
    keep, decayed = soft_nms_1d(segments, scores, 0.5, labels=np.array([0, 0, 0, 1]))
    assert keep.tolist() == [3, 0, 2, 1]
    np.testing.assert_allclose(decayed, [0.95, 0.9, 0.7, 0.8 * np.exp(-0.81 / 0.5)])
    keep, _ = soft_nms_1d(segments, scores, 0.5, min_score=0.1)
    assert keep.tolist() == [3, 2, 1]
    keep, _ = soft_nms_1d(segments, scores, 0.5, iou_thr=0.85)  # only tIoU > 0.85 decays
    assert keep.tolist() == [3, 1, 2, 0]
    assert soft_nms_1d(segments, scores, 0.5, max_num=2)[0].tolist() == [3, 2]


def test_postprocess_filters_then_suppresses():
    segments = np.array([[0, 10], [1, 10], [20, 80], [0, 9.]])
    scores = np.array([0.9, 0.8, 0.7, 0.05])
    labels = np.zeros(4, np.int64)
    index, kept = postprocess_detections(segments, scores, labels, dict(type='nms', iou_thr=0.5),
                                         min_score=0.1, max_duration=50)
    assert index.tolist() == [0] and kept.tolist() == [0.9]
    index, _ = postprocess_detections(segments, scores, labels, None, max_num=3)
    assert index.tolist() == [0, 1, 2]
    for nms, message in [(dict(type='nms'), "missing ['iou_thr']"),
                         (dict(type='soft_nms', sigma=1, thr=1), "unknown keys ['thr']"),
                         (dict(type='weighted'), 'nms type must be')]:
        with pytest.raises(KeyError, match=message.replace('[', r'\[')):
            postprocess_detections(segments, scores, labels, nms)


def test_recall_at_avg_proposals_by_hand():
    gt = [np.array([[0, 10.]]), np.array([[5, 6.], [20, 30]])]
    proposals = [(np.array([[40, 50], [0, 9.]]), np.array([0.9, 0.5])),
                 (np.array([[20, 29], [5, 6.]]), np.array([0.8, 0.7]))]
    # AN 1: video 0 sees [40, 50] (miss), video 1 [20, 29] (tIoU 0.9); AN 2: all three found.
    recall = recall_at_avg_proposals(gt, proposals, (1, 2), 2, (0.5, 0.95))
    np.testing.assert_allclose(recall, [[1 / 3, 1], [0, 1 / 3]])
    assert np.isnan(recall_at_avg_proposals([np.zeros((0, 2))], proposals[:1], (1, ))).all()


def test_activitynet_thresholds_are_exact_decimals():
    assert ACTIVITYNET_TIOU_THRS == (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95)


def random_predictions(gt, rng, per_video=30):
    video = np.repeat(np.arange(len(gt.videos)), per_video)
    starts = rng.uniform(0, 50, len(video))
    return TALPredictions(video, np.column_stack([starts, starts + rng.uniform(1, 20,
                                                                                len(video))]),
                          rng.random(len(video)), rng.integers(0, len(gt.labels), len(video)))


def test_submission_round_trip(tmp_path):
    gt = load_tal_ground_truth(tiny_annotations())
    preds = random_predictions(gt, np.random.default_rng(0))
    path = tmp_path / 'results.json'
    write_tal_submission(str(path), gt, preds)
    data = json.loads(path.read_text())
    assert data['version'] == 'VERSION 1.3' and data['external_data'] == dict(used=False,
                                                                               details='')
    assert sorted(data['results']) == list(gt.videos)
    entry = data['results']['video_a'][0]
    assert set(entry) == {'label', 'score', 'segment'} and entry['label'] in gt.labels
    back = read_tal_submission(str(path), gt)
    order, back_order = (np.lexsort((p.scores, p.video)) for p in (preds, back))
    for name in ('video', 'segments', 'scores', 'label'):
        np.testing.assert_array_equal(getattr(back, name)[back_order],
                                      getattr(preds, name)[order])


@pytest.mark.parametrize('results, message', [
    ({'video_x': []}, "video 'video_x': unknown video"),
    ({'video_t': []}, "video 'video_t': unknown video"),
    ({'video_a': [dict(label='fly', score=1, segment=[0, 1])]}, "unknown label 'fly'"),
    ({'video_a': [dict(label='run', score='high', segment=[0, 1])]}, 'is not a finite number'),
    ({'video_a': [dict(label='run', score=1, segment=[3, 1])]}, 'ends before it starts'),
    ({'video_a': [dict(label='run', score=1, segment=[3])]}, 'two finite numbers'),
    ({'video_a': [dict(label='run', score=1)]}, 'expected {"label", "score", "segment"}'),
    ({'video_a': [], 'video_b': []}, 'the results hold no prediction'),
])
def test_bad_submissions_fail_in_one_line(tmp_path, results, message):
    gt = load_tal_ground_truth(tiny_annotations())
    path = tmp_path / 'bad.json'
    path.write_text(json.dumps(dict(version='VERSION 1.3', results=results)))
    with pytest.raises(ValueError, match='^' + str(path)) as info:
        read_tal_submission(str(path), gt)
    assert message in str(info.value) and '\n' not in str(info.value)
    if 'prediction 0' in str(info.value):
        assert "video 'video_a', prediction 0" in str(info.value)


def test_bad_files_fail_in_one_line(tmp_path):
    gt = load_tal_ground_truth(tiny_annotations())
    with pytest.raises(FileNotFoundError, match='submission .*nowhere.json not found'):
        read_tal_submission(str(tmp_path / 'nowhere.json'), gt)
    (tmp_path / 'text.json').write_text('not json')
    with pytest.raises(ValueError, match='text.json: not valid JSON'):
        read_tal_submission(str(tmp_path / 'text.json'), gt)
    with pytest.raises(ValueError, match="video 'video_t', annotation 0: unknown label 'swim'"):
        load_tal_ground_truth(tiny_annotations(), 'training', classes=['jump', 'run'])
    bad = tiny_annotations()
    bad['database']['video_b']['duration'] = -1
    with pytest.raises(ValueError, match="video 'video_b': duration must be a positive"):
        load_tal_ground_truth(bad)
    with pytest.raises(ValueError, match="no video of subset 'testing'"):
        load_tal_ground_truth(tiny_annotations(), 'testing')


@pytest.fixture
def ann_file(tmp_path):
    path = tmp_path / 'ann.json'
    path.write_text(json.dumps(tiny_annotations()))
    return str(path)


def sample(video, segments, scores, labels):
    data_sample = ActionDataSample()
    data_sample.set_metainfo(dict(video_name=video, duration=60.0))
    data_sample.pred_instances = InstanceData(
        segments=torch.tensor(segments, dtype=torch.float32).reshape(-1, 2),
        scores=torch.tensor(scores, dtype=torch.float32),
        labels=torch.tensor(labels, dtype=torch.int64))
    return data_sample.to_dict()


def perfect_windows():
    """Two overlapping windows of video_a predicting its GT twice, one window of video_b."""
    return [sample('video_a', [[0, 10], [20, 22], [40, 45]], [0.9, 0.8, 0.1], [0, 1, 0]),
            sample('video_a', [[0.5, 10], [20, 22]], [0.85, 0.75], [0, 1]),
            sample('video_b', [[5, 25]], [0.7], [0])]


def test_metric_through_mmengine(ann_file, tmp_path, capsys):
    out_file = tmp_path / 'out' / 'results.json'
    metric = METRICS.build(dict(type='TALDetectionMetric', ann_file=ann_file, ar_at_an=(1, 2),
                                short_max_length=5, out_file=str(out_file)))
    metric.dataset_meta = dict(classes=('jump', 'run', 'swim'))
    metric.process(None, perfect_windows())
    metrics = metric.evaluate(3)
    # The duplicates of the second window are decayed below the first one's last prediction.
    # AR: 6 proposals for 2 videos at a budget of 2: video_b keeps int(1 x 2 x 2 / 6) = 0 of its
    # one (the official rule), video_a int(5 x 2 x 2 / 6) = 3, the first 2 of which find its GT.
    assert metrics == {'mAP@0.3': 1.0, 'mAP@0.4': 1.0, 'mAP@0.5': 1.0, 'mAP@0.6': 1.0,
                       'mAP@0.7': 1.0, 'mAP': 1.0, 'AR@1': pytest.approx(2 / 3),
                       'AR@2': pytest.approx(2 / 3), 'AP_short@0.5': 1.0}
    written = read_tal_submission(str(out_file), metric.gt)
    assert len(written) == 6
    code, out, err = run_in_process(capsys, eval_tal, out_file, ann_file)
    assert code == 0, err
    assert 'mAP@0.3=100.00' in out and 'mAP=100.00' in out and 'swim' in out


def test_metric_without_nms_keeps_the_duplicates(ann_file):
    metric = TALDetectionMetric(ann_file, tiou_thrs=(0.5, ), nms=None)
    metric.process(None, perfect_windows())
    # video_a's jump: TP 0.9, FP 0.85 (second copy), then video_b's TP 0.7: AP = 1/2 + 1/2 x 2/3.
    assert metric.compute_metrics(metric.results)['mAP@0.5'] == pytest.approx(
        (0.5 + 1 / 3 + 1) / 2)
    hard = TALDetectionMetric(ann_file, tiou_thrs=(0.5, ), nms=dict(type='nms', iou_thr=0.5),
                              max_per_video=2)
    hard.process(None, perfect_windows())
    assert hard.compute_metrics(hard.results)['mAP'] == 1.0


def test_metric_logs_the_table(ann_file):
    stream = logging.StreamHandler(io.StringIO())
    logger = MMLogger.get_instance('test_tal_metric_table')
    logger.addHandler(stream)
    metric = TALDetectionMetric(ann_file, tiou_thrs=(0.5, 0.7))
    metric.process(None, perfect_windows()[:1])
    metric.compute_metrics(metric.results)
    table = stream.stream.getvalue()
    assert 'AP@0.5' in table and 'AP@0.7' in table
    lines = {line.split('|')[0].strip(): line for line in table.splitlines() if '|' in line}
    assert lines['jump'].split('|')[1].strip() == '2'  # GT instances
    assert lines['swim'].split('|')[-1].strip() == '-'


def test_metric_without_any_prediction_warns_and_gives_zero(ann_file):
    metric = TALDetectionMetric(ann_file)
    metric.process(None, [sample('video_a', np.zeros((0, 2)), [], [])])
    logger = MMLogger.get_current_instance()
    stream = logging.StreamHandler(io.StringIO())
    logger.addHandler(stream)
    try:
        metrics = metric.compute_metrics(metric.results)
    finally:
        logger.removeHandler(stream)
    assert metrics['mAP'] == 0.0 and metrics['mAP@0.3'] == 0.0
    assert 'no prediction for any of the 3 videos' in stream.stream.getvalue()


@pytest.mark.parametrize('bad, message', [
    (sample('video_t', [[0, 1]], [0.5], [0]), "video 'video_t': unknown video"),
    (sample('video_a', [[0, 1]], [0.5], [3]), 'labels must be class indices in 0..2'),
    (sample('video_a', [[2, 1]], [0.5], [0]), 'a segment ends before it starts'),
    (sample('video_a', [[0, float('nan')]], [0.5], [0]), 'must be finite'),
    (dict(pred_instances={}), 'has no video_name'),
])
def test_metric_bad_predictions_fail_in_one_line(ann_file, bad, message):
    metric = TALDetectionMetric(ann_file)
    with pytest.raises(ValueError, match=message):
        metric.process(None, [bad])


def test_metric_refuses_other_classes_than_the_dataset(ann_file):
    metric = TALDetectionMetric(ann_file)
    metric.dataset_meta = dict(classes=('run', 'jump', 'swim'))
    metric.process(None, perfect_windows())
    with pytest.raises(ValueError, match=r"dataset's classes \['run', 'jump', 'swim'\] are not"):
        metric.compute_metrics(metric.results)


def test_metric_bad_config(ann_file):
    with pytest.raises(ValueError, match='tiou_thrs must be thresholds in'):
        TALDetectionMetric(ann_file, tiou_thrs=(0, 0.5))
    with pytest.raises(KeyError, match='unknown keys'):
        TALDetectionMetric(ann_file, nms=dict(type='soft_nms', sigma=0.5, iou=0.1))
    with pytest.raises(FileNotFoundError, match='annotation file missing.json not found'):
        TALDetectionMetric('missing.json')


def test_eval_tal_cli_errors_in_one_line(ann_file, tmp_path, capsys):
    empty = tmp_path / 'empty.json'
    empty.write_text(json.dumps(dict(version='VERSION 1.3', results={})))
    code, _, err = run_in_process(capsys, eval_tal, empty, ann_file)
    assert code == 1 and err.strip().endswith(f'{empty}: the results hold no prediction')
    assert len(err.strip().splitlines()) == 1


def test_speed_benchmark_runs_on_a_tiny_set(capsys):
    benchmark = load_tool('benchmark_tal_metric')
    gt, preds = benchmark.make_set(4, 3, 10, seed=1)
    again, again_preds = benchmark.make_set(4, 3, 10, seed=1)
    np.testing.assert_array_equal(gt.segments, again.segments)
    np.testing.assert_array_equal(preds.scores, again_preds.scores)
    assert len(preds) == 4 * 3 * 10 and set(preds.label.tolist()) == {0, 1, 2}
    timings = benchmark.main(['--num-videos', '4', '--num-classes', '3', '--preds-per-class',
                              '10', '--reference'])
    out = capsys.readouterr().out
    assert 'set: 4 videos, 3 classes' in out and 'largest AP difference' in out
    assert 'TALDetectionMetric (soft-NMS, top 200, mAP, AR)' in timings


def test_ground_truth_windows_of_the_dataset_score_one(tmp_path):
    """TALFeatureDataset windows -> window_to_seconds -> TALDetectionMetric, with the GT of each
    window as its predictions: overlapping windows repeat actions, which the soft-NMS decays
    below every first copy (scores >= 0.5, decay exp(-1 / 0.5))."""
    from mmengine.evaluator import Evaluator
    from mmengine.registry import init_default_scope

    from vsgt.datasets.synthetic_tal import generate_synthetic_tal
    from vsgt.datasets.tal import window_to_seconds
    init_default_scope('mmaction')
    generate_synthetic_tal(str(tmp_path / 'syn'), num_videos=6, seed=0, progress=False)
    ann_file = str(tmp_path / 'syn' / 'annotations.json')
    dataset = DATASETS.build(dict(
        type='TALFeatureDataset', ann_file=ann_file, subset='validation',
        data_prefix=dict(feature=str(tmp_path / 'syn' / 'features')), feature_rate=7.5,
        window_size=256, window_stride=64, test_mode=True,
        pipeline=[dict(type='LoadTALFeature'), dict(type='PackTALInputs')]))
    evaluator = Evaluator(dict(type='TALDetectionMetric', ann_file=ann_file, subset='validation'))
    evaluator.dataset_meta = dataset.metainfo
    rng = np.random.default_rng(0)
    outputs = []
    for index in range(len(dataset)):
        data_sample = dataset[index]['data_samples']
        gt = data_sample.gt_instances
        data_sample.pred_instances = InstanceData(
            segments=window_to_seconds(gt.segments, data_sample.metainfo),
            scores=torch.from_numpy(rng.uniform(0.5, 1, len(gt.labels))), labels=gt.labels)
        outputs.append(data_sample)
    num_gt = len(load_tal_ground_truth(ann_file).label)
    assert sum(len(sample.pred_instances) for sample in outputs) > num_gt  # duplicates
    evaluator.process(outputs)
    assert evaluator.evaluate(len(dataset))['mAP'] == 1.0
