"""Validate HIA's AVA-layout annotations and write its ground-truth pickle.

``python tools/data/hia/build_gt.py data/hia [--report report.json]`` (see
tools/data/hia/README.md). Prints the validation report; with problems and without
``--no-strict`` it exits with an error and writes no pickle.
"""
import argparse
import os.path as osp


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Build the HIA ground-truth pickle (tubes by '
                                     'person id and action) from its AVA-layout annotations')
    parser.add_argument('data_root', help='e.g. data/hia (holding annotations/ and rawframes/)')
    parser.add_argument('--train-csv', help='default: DATA_ROOT/annotations/train.csv')
    parser.add_argument('--val-csv', help='default: DATA_ROOT/annotations/val.csv')
    parser.add_argument('--label-map',
                        help='default: DATA_ROOT/annotations/hia_action_list.pbtxt')
    parser.add_argument('--frames-dir', help='default: DATA_ROOT/rawframes')
    parser.add_argument('--out', help='default: DATA_ROOT/annotations/gt.pkl')
    parser.add_argument('--filename-tmpl', default='img_{:05}.jpg')
    parser.add_argument('--max-gap', type=int,
                        help='largest frame gap inside a tube (default: the annotation step)')
    parser.add_argument('--report', help='also write the validation report to this JSON file')
    parser.add_argument('--no-strict', action='store_true',
                        help='drop the rows with problems instead of failing')
    parser.add_argument('--overwrite', action='store_true', help='replace an existing pickle')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from vsgt.datasets.hia import HIAValidationError, build_hia_gt, format_report
    ann = osp.join(args.data_root, 'annotations')
    try:
        report = build_hia_gt(
            args.train_csv or osp.join(ann, 'train.csv'),
            args.val_csv or osp.join(ann, 'val.csv'),
            args.label_map or osp.join(ann, 'hia_action_list.pbtxt'),
            args.frames_dir or osp.join(args.data_root, 'rawframes'),
            args.out or osp.join(ann, 'gt.pkl'),
            filename_tmpl=args.filename_tmpl, max_gap=args.max_gap,
            strict=not args.no_strict, report_file=args.report, overwrite=args.overwrite)
    except HIAValidationError as error:
        print(format_report(error.report))
        raise
    print(format_report(report))


if __name__ == '__main__':
    parse_args()  # --help and bad flags answer before the heavy imports
    from vsgt.utils.launch import run_cli
    run_cli(main)
