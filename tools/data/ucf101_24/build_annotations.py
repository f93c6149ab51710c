"""Write UCF101-24 / JHMDB-21 AVA-layout annotations for one split.

``python tools/data/ucf101_24/build_annotations.py GT FRAMES OUT [--detections DETS]``
(see tools/data/ucf101_24/README.md).
"""
import argparse
import json

#: The keys of ``vsgt.datasets.ucf101_24.DATASET_INFO``, named here so that ``--help`` answers
#: without importing torch (a test checks that they agree).
DATASETS = ('jhmdb21', 'ucf101_24')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Write train.csv, val.csv, the label map and '
                                     'the proposals of one split from an ACT ground-truth '
                                     'pickle (UCF101-24, JHMDB-21)')
    parser.add_argument('gt_file', help='UCF101v2-GT.pkl or JHMDB-GT.pkl')
    parser.add_argument('frames_dir', help='root of the frames (every video of the split must '
                        'have its frames)')
    parser.add_argument('out_dir', help='output folder, e.g. data/ucf101_24/annotations')
    parser.add_argument('--dataset', choices=DATASETS, default='ucf101_24')
    parser.add_argument('--split', type=int, default=1, help='1-based split (JHMDB-21: 1..3)')
    parser.add_argument('--filename-tmpl', default='{:05}.jpg',
                        help="frame file names (the config's filename_tmpl)")
    parser.add_argument('--stride', type=int, default=1,
                        help='annotate frames 1, 1 + STRIDE, ... only')
    parser.add_argument('--train-proposals', choices=['gt', 'detections'], default='gt')
    parser.add_argument('--val-proposals', choices=['gt', 'detections'], default='detections',
                        help="'gt' evaluates with ground-truth boxes (an oracle)")
    parser.add_argument('--detections', help='person detections: pickle {"video,frame": (n, 5) '
                        'x1, y1, x2, y2, score}')
    parser.add_argument('--det-box-format', choices=['pixels', 'normalised'], default='pixels')
    parser.add_argument('--jittered-copies', type=int, default=2,
                        help="jittered copies of each box among 'gt' proposals")
    parser.add_argument('--jitter', type=float, default=0.05,
                        help='std of the jitter, relative to the box size')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--overwrite', action='store_true', help='replace existing files')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from vsgt.datasets.ucf101_24 import build_annotations
    summary = build_annotations(
        args.gt_file, args.frames_dir, args.out_dir, dataset=args.dataset, split=args.split,
        filename_tmpl=args.filename_tmpl, stride=args.stride,
        train_proposals=args.train_proposals, val_proposals=args.val_proposals,
        det_file=args.detections, det_box_format=args.det_box_format,
        jittered_copies=args.jittered_copies, jitter=args.jitter, seed=args.seed,
        overwrite=args.overwrite)
    print(json.dumps(summary, indent=2))


if __name__ == '__main__':
    parse_args()  # --help and bad flags answer before the heavy imports
    from vsgt.utils.launch import run_cli
    run_cli(main)
