"""The official ActivityNet v1.3 JSON to our annotation JSON (see README.md here)."""
import argparse


class OneLineErrorParser(argparse.ArgumentParser):
    """Report bad input as one line (no usage) and exit with code 2."""

    def error(self, message):
        self.exit(2, f'{self.prog}: error: {message}\n')


def parse_args(argv=None):
    parser = OneLineErrorParser(
        description='Check and convert activity_net.v1-3.min.json into the annotation JSON of '
        'TALFeatureDataset (same layout, only subset / duration / annotations kept)')
    parser.add_argument('ann_file', help='official annotation file, activity_net.v1-3.min.json')
    parser.add_argument('--out', required=True,
                        help='output JSON, e.g. data/activitynet/annotations/anet1.3.json')
    parser.add_argument('--subsets', nargs='*', default=None,
                        help='subsets to keep (default: all)')
    parser.add_argument('--feature-dir', help='feature folder: reports videos without features')
    parser.add_argument('--feature-name', default='v_{video}', help='file stem format')
    parser.add_argument('--feature-ext', default='.csv', choices=('.npy', '.csv'))
    parser.add_argument('--drop-missing', action='store_true',
                        help='leave out the videos without a feature file')
    parser.add_argument('--tolerance', type=float, default=1.,
                        help='seconds a segment may pass the video ends before it is an error '
                        '(it is clipped)')
    parser.add_argument('--skip-bad', action='store_true',
                        help='skip and report bad segments instead of stopping at the first')
    return parser, parser.parse_args(argv)


def main(argv=None):
    parser, args = parse_args(argv)
    from vsgt.datasets.tal_converters import (annotation_report, convert_activitynet,
                                              missing_features, write_tal_annotations)
    if args.drop_missing and not args.feature_dir:
        parser.error('--drop-missing needs --feature-dir')
    database, info = convert_activitynet(args.ann_file, subsets=args.subsets,
                                         tolerance=args.tolerance, skip_bad=args.skip_bad)
    missing = None
    if args.feature_dir:
        missing = missing_features(database, args.feature_dir, args.feature_name,
                                   args.feature_ext)
        if args.drop_missing:
            for video in missing:
                del database[video]
            if not database:
                parser.error(f'no video of {args.ann_file} has a feature file in '
                             f'{args.feature_dir}')
    write_tal_annotations(args.out, database, version=info['version'] or 'ActivityNet',
                          taxonomy=info['taxonomy'])
    for line in annotation_report(database, missing):
        print(line)
    print(f"  {info['clipped']} segments clipped to their video, {len(info['skipped'])} bad "
          f"segments skipped" + (f", {len(missing)} videos without features dropped"
                                 if args.drop_missing else ''))
    for line in info['skipped']:
        print(f'  skipped {line}')
    print(f'wrote {args.out}')


if __name__ == '__main__':
    parse_args()  # --help and bad flags answer before the heavy imports
    from vsgt.utils.launch import run_cli
    run_cli(main)
