"""The TAL metric against mmaction2 1.2.0's ports of the official ActivityNet evaluators.

* ``eval_detection.compute_average_precision_detection`` (and ``ActivityNetLocalization`` on
  the files this project writes): equal to 1e-9 on random data without tied scores. Its tIoU is
  float32 (``pairwise_temporal_iou``), so a prediction exactly at a threshold can flip: pred
  [0, 7] vs GT [0, 10] is a miss at an ndarray threshold 0.7; it is a hit here (and in the
  official float64 code). Tied scores: it ranks them in input order, one by one; here they form
  one rank.
* ``accuracy.average_recall_at_avg_proposals``: the same recall curve. It calls ``np.trapz``
  (gone in numpy 2.4) for its AUC; the tests lend it ``np.trapezoid`` under that name.
"""
import json

import numpy as np
import pytest

from mmaction.evaluation.functional import average_recall_at_avg_proposals
from mmaction.evaluation.functional import eval_detection as reference
from vsgt.evaluation.functional import (ACTIVITYNET_TIOU_THRS, THUMOS14_TIOU_THRS,
                                        TALGroundTruth, TALPredictions, class_detection_ap,
                                        detection_ap, recall_at_avg_proposals,
                                        write_tal_submission)

SEEDS = range(5)


def random_set(rng, num_videos=6, num_classes=3, preds_per_video=40):
    """Ground truth and predictions with continuous random segments and untied scores."""
    gt_video = rng.integers(0, num_videos, 8 * num_videos)
    starts = rng.uniform(0, 100, len(gt_video))
    gt = TALGroundTruth(tuple(f'video_{v}' for v in range(num_videos)),
                        tuple(f'class{c}' for c in range(num_classes)),
                        np.full(num_videos, 130.0), gt_video,
                        np.column_stack([starts, starts + rng.uniform(0.5, 30, len(starts))]),
                        rng.integers(0, num_classes, len(gt_video)))
    # Half the predictions are jittered copies of ground truth (many near a threshold), half
    # random.
    copies = rng.integers(0, len(gt_video), num_videos * preds_per_video // 2)
    length = np.diff(gt.segments[copies], axis=1)
    near = np.sort(gt.segments[copies] + rng.normal(0, 0.15, (len(copies), 2)) * length, axis=1)
    num_random = num_videos * preds_per_video - len(copies)
    starts = rng.uniform(0, 100, num_random)
    preds = TALPredictions(
        np.concatenate([gt.video[copies], rng.integers(0, num_videos, num_random)]),
        np.concatenate([near, np.column_stack([starts, starts + rng.uniform(0.5, 30,
                                                                            num_random)])]),
        rng.random(num_videos * preds_per_video),
        np.concatenate([gt.label[copies], rng.integers(0, num_classes, num_random)]))
    return gt, preds


def reference_ap(gt, preds, label, thrs):
    gt_rows = [{'video-id': gt.videos[v], 't-start': s, 't-end': e}
               for v, (s, e), c in zip(gt.video, gt.segments, gt.label) if c == label]
    pred_rows = [{'video-id': gt.videos[v], 't-start': s, 't-end': e, 'score': score}
                 for v, (s, e), score, c in zip(preds.video, preds.segments, preds.scores,
                                                preds.label) if c == label]
    return reference.compute_average_precision_detection(gt_rows, pred_rows, np.array(thrs))


@pytest.mark.parametrize('seed', SEEDS)
def test_detection_ap_equals_mmaction_port(seed):
    gt, preds = random_set(np.random.default_rng(seed))
    for thrs in (THUMOS14_TIOU_THRS, ACTIVITYNET_TIOU_THRS):
        ours = detection_ap(gt, preds, thrs)
        theirs = np.stack([reference_ap(gt, preds, c, thrs) for c in range(len(gt.labels))], 1)
        np.testing.assert_allclose(ours.ap, theirs, rtol=0, atol=1e-9)
        assert 0 < ours.mean_ap.min() and ours.mean_ap.max() < 0.9  # not a trivial case


def test_submission_file_evaluates_the_same_in_mmaction(tmp_path):
    gt, preds = random_set(np.random.default_rng(11))
    results = tmp_path / 'results.json'
    write_tal_submission(str(results), gt, preds)
    # mmaction's ActivityNetLocalization reads {id: {annotations}} and strips two characters
    # from the ground-truth ids ('v_'); this project uses ids as written.
    annotations = {f'v_{name}': dict(annotations=[
        dict(segment=gt.segments[i].tolist(), label=gt.labels[gt.label[i]])
        for i in np.flatnonzero(gt.video == v)]) for v, name in enumerate(gt.videos)}
    ann_file = tmp_path / 'mmaction_gt.json'
    ann_file.write_text(json.dumps(annotations))
    evaluator = reference.ActivityNetLocalization(str(ann_file), str(results),
                                                  tiou_thresholds=np.array(THUMOS14_TIOU_THRS))
    theirs, _ = evaluator.evaluate()
    np.testing.assert_allclose(detection_ap(gt, preds).mean_ap, theirs, rtol=0, atol=1e-9)


def test_float32_boundary_case_differs_from_mmaction_port():
    thr = np.array([0.7])
    gt_rows = [{'video-id': 'v', 't-start': 0.0, 't-end': 10.0}]
    pred_rows = [{'video-id': 'v', 't-start': 0.0, 't-end': 7.0, 'score': 0.9}]
    # float32 tIoU 0.69999999 < float64 0.7: mmaction's port misses; a list threshold (compared
    # in float32) hits; float64 tIoU is exactly 0.7, a hit.
    assert reference.compute_average_precision_detection(
        [dict(row) for row in gt_rows], [dict(row) for row in pred_rows], thr).tolist() == [0.0]
    assert reference.compute_average_precision_detection(
        [dict(row) for row in gt_rows], [dict(row) for row in pred_rows], [0.7]).tolist() == [1.0]
    ours = class_detection_ap(np.zeros(1), [[0, 10]], np.zeros(1), [[0, 7]], [0.9], thr)
    assert ours.tolist() == [1.0]


def test_tied_scores_differ_from_mmaction_port():
    gt_rows = [{'video-id': 'v', 't-start': 0.0, 't-end': 10.0}]
    hit = {'video-id': 'v', 't-start': 0.0, 't-end': 10.0, 'score': 0.5}
    miss = {'video-id': 'v', 't-start': 30.0, 't-end': 40.0, 'score': 0.5}
    orders = ([hit, miss], [miss, hit])
    theirs = [reference.compute_average_precision_detection(
        [dict(row) for row in gt_rows], [dict(row) for row in order], [0.5])[0]
        for order in orders]
    assert theirs == [1.0, 0.5]  # depends on the input order
    ours = [class_detection_ap(np.zeros(1), [[0, 10]], np.zeros(2),
                               [[r['t-start'], r['t-end']] for r in order], [0.5, 0.5], [0.5])[0]
            for order in orders]
    assert ours == [0.5, 0.5]


@pytest.fixture
def trapz(monkeypatch):
    monkeypatch.setattr(np, 'trapz', np.trapezoid, raising=False)


@pytest.mark.parametrize('seed', SEEDS)
@pytest.mark.parametrize('max_avg', [100, None])
def test_recall_at_avg_proposals_equals_mmaction_port(seed, max_avg, trapz):
    rng = np.random.default_rng(seed)
    num_videos = 8
    gt_segments, proposals = [], []
    for _ in range(num_videos):
        starts = rng.uniform(0, 100, int(rng.integers(1, 10)))
        gt_segments.append(np.column_stack([starts, starts + rng.uniform(1, 30, len(starts))]))
        num = int(rng.integers(20, 300))
        starts = rng.uniform(0, 100, num)
        proposals.append((np.column_stack([starts, starts + rng.uniform(1, 30, num)]),
                          rng.random(num)))
    total = sum(len(scores) for _, scores in proposals)
    budget = max_avg or total / num_videos
    ours = recall_at_avg_proposals(gt_segments, proposals, budget * np.arange(1, 101) / 100,
                                   max_avg, ACTIVITYNET_TIOU_THRS)
    theirs, average, _, _ = average_recall_at_avg_proposals(
        {v: gt for v, gt in enumerate(gt_segments)},
        {v: np.column_stack([segments, scores]) for v, (segments, scores) in enumerate(proposals)},
        total, max_avg, np.array(ACTIVITYNET_TIOU_THRS))
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ours.mean(axis=0), average, rtol=0, atol=1e-9)
    assert ours[0, 0] < ours[0, 49] < ours[0, -1] < 1
