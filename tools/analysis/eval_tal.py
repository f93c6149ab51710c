"""Evaluate an official ActivityNet detection submission JSON: per-class AP table and mAP.

``python tools/analysis/eval_tal.py RESULTS.json ANN.json [--subset validation]
[--tiou-thrs 0.3 0.4 0.5 0.6 0.7 | --activitynet] [--classes NAME ...]``

``RESULTS.json`` is ``{"version", "results": {video: [{"label", "score", "segment"}]},
"external_data"}`` (what ``TALDetectionMetric(out_file=...)`` writes); ``ANN.json`` the
annotations in the ActivityNet layout. Every video of the subset is evaluated. The predictions
are evaluated as they are (no NMS, no top-k).
"""
import argparse


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('results', help='submission JSON')
    parser.add_argument('ann_file', help='annotation JSON (ActivityNet layout)')
    parser.add_argument('--subset', nargs='+', default=['validation'],
                        help='evaluated subset(s) (default: validation)')
    thresholds = parser.add_mutually_exclusive_group()
    thresholds.add_argument('--tiou-thrs', type=float, nargs='+',
                            help='tIoU thresholds (default: THUMOS14, 0.3:0.1:0.7)')
    thresholds.add_argument('--activitynet', action='store_true',
                            help='ActivityNet thresholds 0.5:0.05:0.95')
    parser.add_argument('--classes', nargs='+', default=None,
                        help='class names in label order (default: sorted labels of ANN.json)')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    from vsgt.evaluation.functional import (ACTIVITYNET_TIOU_THRS, THUMOS14_TIOU_THRS,
                                            detection_ap, load_tal_ground_truth,
                                            read_tal_submission)
    from vsgt.evaluation.metrics import format_ap_table
    tiou_thrs = (ACTIVITYNET_TIOU_THRS if args.activitynet else
                 tuple(args.tiou_thrs or THUMOS14_TIOU_THRS))
    if not all(0 < thr <= 1 for thr in tiou_thrs):
        raise ValueError(f'--tiou-thrs must be in (0, 1], got {list(tiou_thrs)}')

    gt = load_tal_ground_truth(args.ann_file, args.subset, args.classes)
    preds = read_tal_submission(args.results, gt)
    result = detection_ap(gt, preds, tiou_thrs)
    columns = [(f'AP@{thr:g}', result.ap[t]) for t, thr in enumerate(tiou_thrs)]
    columns.append(('AP', result.ap.mean(axis=0)))
    print(f'{len(preds)} predictions on {len(gt.videos)} videos ({", ".join(args.subset)}), '
          f'{len(gt.label)} ground-truth instances; AP in %:')
    print(format_ap_table(result, columns, 'instances'))
    metrics = {f'mAP@{thr:g}': float(value) for thr, value in zip(tiou_thrs, result.mean_ap)}
    metrics['mAP'] = float(result.mean_ap.mean())
    print(' '.join(f'{key}={100 * value:.2f}' for key, value in metrics.items()))
    return metrics


if __name__ == '__main__':
    parse_args()  # --help and bad flags answer before the heavy imports
    from vsgt.utils.launch import run_cli
    run_cli(main)
