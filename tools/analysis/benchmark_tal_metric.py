"""Time the TAL detection metric on a synthetic test set the size of THUMOS14's.

``python tools/analysis/benchmark_tal_metric.py [--num-videos 210] [--num-classes 20]
[--preds-per-class 200] [--reference]``

The set is made deterministically from ``--seed``: videos of 30 s to 15 min, each with actions
of one to three classes (about 16 instances per video, lengths log-uniform in 1..60 s), and for
every video and class ``--preds-per-class`` predictions: for the video's classes, jittered
copies of its instances (scores growing with their tIoU) and random segments; for the others,
random segments with lower scores. Prints the sizes and the seconds spent on detection mAP at
the THUMOS14 thresholds (every prediction evaluated), on AR@AN, on the short-action AP, and on
the whole ``TALDetectionMetric`` (merging, class-wise soft-NMS, top 200 per video, mAP).
With ``--reference`` also mmaction2's port of the official ``compute_average_precision_detection``
on the same predictions, with its time as a ratio and the largest AP difference.
"""
import argparse
import time

import numpy as np

from vsgt.evaluation.functional import (ACTIVITYNET_TIOU_THRS, THUMOS14_TIOU_THRS,
                                        TALGroundTruth, TALPredictions, detection_ap,
                                        recall_at_avg_proposals, short_action_ap)
from vsgt.utils.launch import run_cli


def make_set(num_videos: int, num_classes: int, preds_per_class: int, seed: int):
    """Ground truth and raw predictions (:class:`TALPredictions`) of the synthetic test set."""
    rng = np.random.default_rng(seed)
    durations = rng.uniform(30, 900, num_videos)
    gt_video, gt_segments, gt_label = [], [], []
    pred_video, pred_segments, pred_scores, pred_label = [], [], [], []
    for video, duration in enumerate(durations):
        classes = rng.choice(num_classes, int(rng.integers(1, 4)), replace=False)
        for c in range(num_classes):
            segments, scores = np.zeros((0, 2)), np.zeros(0)
            if c in classes:
                lengths = np.minimum(np.exp(rng.uniform(0, np.log(60), int(rng.integers(2, 12)))),
                                     duration / 2)
                starts = rng.uniform(0, duration - lengths)
                instances = np.column_stack([starts, starts + lengths])
                gt_video += [video] * len(instances)
                gt_segments.append(instances)
                gt_label += [c] * len(instances)
                copies = instances[rng.integers(0, len(instances), preds_per_class // 2)]
                length = copies[:, 1] - copies[:, 0]
                shift = rng.normal(0, 0.3, (len(copies), 2)) * length[:, None]
                segments = np.sort(copies + shift, axis=1)
                scores = np.exp(-np.abs(shift).sum(axis=1) / length) * rng.uniform(0.5, 1,
                                                                                  len(copies))
            num_random = preds_per_class - len(scores)
            starts = rng.uniform(0, duration, num_random)
            ends = np.minimum(starts + np.exp(rng.uniform(0, np.log(60), num_random)), duration)
            segments = np.concatenate([segments, np.column_stack([starts, ends])])
            scores = np.concatenate([scores, rng.uniform(0, 0.6, num_random)])
            pred_video += [video] * len(scores)
            pred_segments.append(segments)
            pred_scores.append(scores)
            pred_label += [c] * len(scores)
    gt = TALGroundTruth(tuple(f'video_test_{v:07d}' for v in range(num_videos)),
                        tuple(f'class{c:02d}' for c in range(num_classes)), durations,
                        np.array(gt_video), np.concatenate(gt_segments), np.array(gt_label))
    preds = TALPredictions(np.array(pred_video), np.concatenate(pred_segments),
                           np.concatenate(pred_scores), np.array(pred_label))
    return gt, preds


def annotations(gt: TALGroundTruth) -> dict:
    """``gt`` in the ActivityNet annotation layout (subset ``'validation'``)."""
    database = {name: dict(subset='validation', duration=float(gt.durations[v]), annotations=[
        dict(segment=gt.segments[i].tolist(), label=gt.labels[gt.label[i]])
        for i in np.flatnonzero(gt.video == v)]) for v, name in enumerate(gt.videos)}
    return dict(version='synthetic', database=database)


def run_metric(gt: TALGroundTruth, preds: TALPredictions) -> dict:
    """Run ``TALDetectionMetric`` (THUMOS14 defaults, AR@50/100) with one sample per video."""
    from vsgt.evaluation import TALDetectionMetric
    metric = TALDetectionMetric(annotations(gt), classes=gt.labels, ar_at_an=(50, 100))
    for index, name in enumerate(gt.videos):
        rows = preds.video == index
        metric.process(None, [dict(video_name=name, pred_instances=dict(
            segments=preds.segments[rows], scores=preds.scores[rows],
            labels=preds.label[rows]))])
    return metric.compute_metrics(metric.results)


def reference_map(gt: TALGroundTruth, preds: TALPredictions, tiou_thrs) -> np.ndarray:
    """Per-class AP of mmaction2's ``compute_average_precision_detection``, ``(T, C)``."""
    from mmaction.evaluation.functional.eval_detection import \
        compute_average_precision_detection
    ap = np.zeros((len(tiou_thrs), len(gt.labels)))
    for c in range(len(gt.labels)):
        gt_rows = [{'video-id': int(v), 't-start': s, 't-end': e} for v, (s, e) in
                   zip(gt.video[gt.label == c], gt.segments[gt.label == c].tolist())]
        rows = preds.label == c
        pred_rows = [{'video-id': int(v), 't-start': s, 't-end': e, 'score': score}
                     for v, (s, e), score in zip(preds.video[rows], preds.segments[rows].tolist(),
                                                 preds.scores[rows].tolist())]
        ap[:, c] = compute_average_precision_detection(gt_rows, pred_rows, np.array(tiou_thrs))
    return ap


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--num-videos', type=int, default=210)
    parser.add_argument('--num-classes', type=int, default=20)
    parser.add_argument('--preds-per-class', type=int, default=200)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--reference', action='store_true',
                        help="also time mmaction2's compute_average_precision_detection")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    gt, preds = make_set(args.num_videos, args.num_classes, args.preds_per_class, args.seed)
    print(f'set: {len(gt.videos)} videos, {len(gt.labels)} classes, {len(gt.label)} '
          f'ground-truth instances, {len(preds)} predictions '
          f'(made in {time.perf_counter() - start:.1f} s)')

    timings = {}
    start = time.perf_counter()
    result = detection_ap(gt, preds, THUMOS14_TIOU_THRS)
    timings['mAP@0.3:0.1:0.7, all predictions'] = time.perf_counter() - start
    start = time.perf_counter()
    detection_ap(gt, preds, ACTIVITYNET_TIOU_THRS)
    timings['mAP@0.5:0.05:0.95, all predictions'] = time.perf_counter() - start
    start = time.perf_counter()
    proposals = [(preds.segments[preds.video == v], preds.scores[preds.video == v])
                 for v in range(len(gt.videos))]
    recall = recall_at_avg_proposals([gt.segments[gt.video == v] for v in range(len(gt.videos))],
                                     proposals, (1, 5, 10, 50, 100), 100, THUMOS14_TIOU_THRS)
    timings['AR@1,5,10,50,100'] = time.perf_counter() - start
    start = time.perf_counter()
    short = short_action_ap(gt, preds, max_length=5.0)
    timings['AP_short@0.5 (<= 5 s)'] = time.perf_counter() - start
    start = time.perf_counter()
    metrics = run_metric(gt, preds)
    timings['TALDetectionMetric (soft-NMS, top 200, mAP, AR)'] = time.perf_counter() - start

    mean = result.mean_ap
    print('mAP@' + '/'.join(f'{thr:g}' for thr in THUMOS14_TIOU_THRS) + ' = ' +
          ' / '.join(f'{value:.4f}' for value in mean) + f' (mean {mean.mean():.4f}); AR@100 = '
          f'{recall[:, -1].mean():.4f}; AP_short@0.5 = {short.mean_ap[0]:.4f}; metric mAP after '
          f'soft-NMS = {metrics["mAP"]:.4f}')
    for name, seconds in timings.items():
        print(f'{name:50s} {seconds:8.2f} s')
    if args.reference:
        start = time.perf_counter()
        theirs = reference_map(gt, preds, THUMOS14_TIOU_THRS)
        seconds = time.perf_counter() - start
        ours = timings['mAP@0.3:0.1:0.7, all predictions']
        print(f"{'mmaction2 compute_average_precision_detection':50s} {seconds:8.2f} s "
              f'({seconds / ours:.1f}x ours); largest AP difference '
              f'{np.abs(theirs - result.ap).max():.2e}')
        timings['mmaction2 reference'] = seconds
    return timings


if __name__ == '__main__':
    run_cli(main)
