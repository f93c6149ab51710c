"""Plot a video's detections against its ground truth on the timeline (PNG).

``python projects/vsgn/tools/plot_timeline.py RESULTS.json ANN.json --video NAME
[--subset validation] [--top 10] [--out timeline.png]``

``RESULTS.json`` is an official detection submission (``TALDetectionMetric(out_file=...)``,
e.g. ``tools/test.py CONFIG CKPT --cfg-options test_evaluator.out_file=results.json``). Each
class with ground truth or a shown detection gets a lane: its ground truth above, its detections
below (the ``--top`` best of the video, overlapping ones in tiers; opacity and label by score).
"""
import argparse
import io

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from vsgt.evaluation.functional import load_tal_ground_truth, read_tal_submission  # noqa: E402
from vsgt.evaluation.functional.formats import atomic_write  # noqa: E402
from vsgt.utils.launch import run_cli  # noqa: E402
from vsgt.visualization.timeline import timeline_figure  # noqa: E402


def plot_timeline(gt, preds, video: str, top: int = 10):
    """A matplotlib figure of ``video``'s ground truth and its ``top`` best detections."""
    if video not in gt.video_index:
        raise KeyError(f'video {video!r} is not in the evaluated subset of {gt.source}')
    index = gt.video_index[video]
    gt_rows = np.flatnonzero(gt.video == index)
    pred_rows = np.flatnonzero(preds.video == index)
    pred_rows = pred_rows[np.argsort(-preds.scores[pred_rows], kind='stable')[:top]]
    return timeline_figure(
        gt.labels, gt.durations[index], preds.segments[pred_rows], preds.scores[pred_rows],
        preds.label[pred_rows], gt.segments[gt_rows], gt.label[gt_rows],
        title=f'{video}: ground truth (dark, upper) and the {len(pred_rows)} best detections '
        '(lower)')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('results', help='detection submission JSON')
    parser.add_argument('ann_file', help='annotation JSON (ActivityNet layout)')
    parser.add_argument('--video', required=True, help='video to plot')
    parser.add_argument('--subset', nargs='+', default=['validation'],
                        help='subset(s) of the predictions (default: validation)')
    parser.add_argument('--top', type=int, default=10, help='detections shown (default: 10)')
    parser.add_argument('--out', default='timeline.png', help='output PNG')
    args = parser.parse_args(argv)
    if args.top < 1:
        raise ValueError(f'--top must be at least 1, got {args.top}')
    gt = load_tal_ground_truth(args.ann_file, args.subset)
    figure = plot_timeline(gt, read_tal_submission(args.results, gt), args.video, args.top)
    buffer = io.BytesIO()
    figure.savefig(buffer, format='png', dpi=120)
    plt.close(figure)
    atomic_write(args.out, lambda file: file.write(buffer.getvalue()))
    print(f'wrote {args.out}')


if __name__ == '__main__':
    run_cli(main)
