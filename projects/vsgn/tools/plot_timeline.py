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


def pack(segments: np.ndarray) -> np.ndarray:
    """Tier of each of the start-sorted ``segments``: the first tier where it overlaps none."""
    ends, tiers = [], []
    for start, end in segments:
        tier = next((i for i, last in enumerate(ends) if last <= start), len(ends))
        ends[tier:tier + 1] = [end]
        tiers.append(tier)
    return np.array(tiers, np.int64)


def plot_timeline(gt, preds, video: str, top: int = 10):
    """A matplotlib figure of ``video``'s ground truth and its ``top`` best detections."""
    if video not in gt.video_index:
        raise KeyError(f'video {video!r} is not in the evaluated subset of {gt.source}')
    index = gt.video_index[video]
    gt_rows = np.flatnonzero(gt.video == index)
    pred_rows = np.flatnonzero(preds.video == index)
    pred_rows = pred_rows[np.argsort(-preds.scores[pred_rows], kind='stable')[:top]]
    classes = sorted(set(gt.label[gt_rows]) | set(preds.label[pred_rows]))
    figure, axes = plt.subplots(figsize=(10, 0.9 + 0.8 * len(classes)))
    colours = plt.get_cmap('tab10')
    for lane, label in enumerate(classes):
        y = 2 * (len(classes) - 1 - lane)
        for row in gt_rows[gt.label[gt_rows] == label]:
            start, end = gt.segments[row]
            axes.broken_barh([(start, end - start)], (y + 1.05, 0.8), color='0.25')
        rows = pred_rows[preds.label[pred_rows] == label]
        rows = rows[np.argsort(preds.segments[rows, 0], kind='stable')]
        tiers = pack(preds.segments[rows])
        height = 0.8 / max(tiers.max(initial=0) + 1, 1)
        for row, tier in zip(rows, tiers):
            start, end = preds.segments[row]
            score = preds.scores[row]
            bottom = y + 0.95 - (tier + 1) * height
            axes.broken_barh([(start, end - start)], (bottom, height * 0.9),
                             color=colours(lane % 10), alpha=0.25 + 0.75 * min(max(score, 0.), 1.))
            axes.text(end, bottom + height * 0.45, f' {score:.2f}', fontsize=6, va='center')
    axes.set_yticks([2 * (len(classes) - 1 - lane) + 1 for lane in range(len(classes))])
    axes.set_yticklabels([gt.labels[label] for label in classes])
    axes.set_xlim(0, gt.durations[index])
    axes.set_ylim(0, 2 * max(len(classes), 1))
    axes.set_xlabel('time (s)')
    axes.set_title(f'{video}: ground truth (dark, upper) and the {len(pred_rows)} best '
                   'detections (lower)', fontsize=9)
    figure.tight_layout()
    return figure


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
