"""Per-class AP bars and precision-recall curves of dumped results: ``python
tools/analysis/plot_results.py RESULTS.pkl --gt-file GT.pkl --out-dir DIR``.

RESULTS.pkl is what ``tools/test.py --dump`` writes; it is read and checked as the ``FrameMAP``
metric reads predictions (``--action-thr``, ``--split``), and ``--ann-file`` restricts the
evaluation to its frames as there. Writes ``DIR/class_ap.png`` and ``DIR/pr_curves.png`` (frame
AP at ``--iou-thr``) and prints the per-class APs.

    python tools/analysis/plot_results.py work_dirs/x/results.pkl \\
        --gt-file data/synthetic/annotations/gt.pkl \\
        --ann-file data/synthetic/annotations/val.csv --out-dir work_dirs/x/plots
"""
import argparse
import math
import os.path as osp


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] + ' ' +
                                     __doc__.splitlines()[1])
    parser.add_argument('results', help='pickle of tools/test.py --dump')
    parser.add_argument('--gt-file', required=True, help='ACT-format ground-truth pickle')
    parser.add_argument('--ann-file', help='AVA CSV whose frames alone are evaluated')
    parser.add_argument('--out-dir', required=True, help='where the PNGs go')
    parser.add_argument('--iou-thr', type=float, default=0.5, help='IoU of a true positive')
    parser.add_argument('--split', type=int, default=1, help='1-based split of test_videos')
    parser.add_argument('--action-thr', type=float, default=0.002,
                        help='scores at or below it are dropped')
    parser.add_argument('--dpi', type=int, default=80, help='resolution of the PNGs')
    parser.add_argument('--colors', type=int,
                        help='write palette PNGs of this many colours (2-256; smaller files)')
    return parser.parse_args(argv)


def read_results(path):
    """The list of prediction dicts in a ``--dump`` pickle."""
    from vsgt.utils.safe_pickle import safe_load
    results = safe_load(path, 'results file')
    if not isinstance(results, list) or not results or \
            not all(isinstance(item, dict) for item in results):
        raise ValueError(f'{path}: expected a non-empty list of prediction dicts (what '
                         'tools/test.py --dump writes)')
    return results


def main(argv=None):
    args = parse_args(argv)
    from vsgt.evaluation import FrameMAP
    from vsgt.visualization.figures import check_colors
    from vsgt.visualization.results import frame_pr_curves, plot_class_ap, plot_pr_curves
    check_colors(args.colors)
    if not 0 < args.iou_thr <= 1:
        raise ValueError(f'--iou-thr must be in (0, 1], got {args.iou_thr}')
    results = read_results(args.results)
    metric = FrameMAP(args.gt_file, args.ann_file, (args.iou_thr, ), split=args.split,
                      action_thr=args.action_thr)
    metric.process(None, results)
    detections = metric.frame_detections(metric.results)
    curves = frame_pr_curves(metric.gt, detections, args.iou_thr, metric.key_frames)
    title = f'{osp.basename(args.results)}: frame-mAP@{args.iou_thr:g} = ' \
            f'{curves.mean_ap * 100:.2f}%'
    plot_class_ap(curves, osp.join(args.out_dir, 'class_ap.png'), title, args.dpi, args.colors)
    plot_pr_curves(curves, osp.join(args.out_dir, 'pr_curves.png'), title, args.dpi,
                   args.colors)
    for label, ap, count in zip(curves.labels, curves.ap, curves.num_gt):
        print(f'{label}: ' + ('no ground truth' if math.isnan(ap) else
                              f'AP {ap * 100:.2f} ({count} GT boxes)'))
    print(f'{title}\nwrote {osp.join(args.out_dir, "class_ap.png")} and '
          f'{osp.join(args.out_dir, "pr_curves.png")}')


if __name__ == '__main__':
    parse_args()  # --help and bad flags answer before the heavy imports
    from vsgt.utils.launch import run_cli
    run_cli(main)
