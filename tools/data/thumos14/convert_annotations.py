"""THUMOS14 per-class annotation files to our ActivityNet-layout JSON (see README.md here)."""
import argparse


class OneLineErrorParser(argparse.ArgumentParser):
    """Report bad input as one line (no usage) and exit with code 2."""

    def error(self, message):
        self.exit(2, f'{self.prog}: error: {message}\n')


def parse_args(argv=None):
    parser = OneLineErrorParser(
        description='Convert THUMOS14 <Class>_val.txt / <Class>_test.txt annotation files '
        "(rows 'video start end') into one ActivityNet-layout JSON; validation videos become "
        "subset 'training', test videos subset 'testing'")
    parser.add_argument('ann_dirs', nargs='+', help='folders holding the annotation files')
    parser.add_argument('--out', required=True, help='output JSON, e.g. '
                        'data/thumos14/annotations/thumos14.json')
    parser.add_argument('--durations', help='video durations: CSV "video,duration" or JSON '
                        '{video: seconds} / an ActivityNet-layout file')
    parser.add_argument('--feature-dir', help='feature folder: reports videos without features, '
                        'and gives the durations when --durations is not given')
    parser.add_argument('--feature-rate', type=float, help='feature steps per second (needed '
                        'for durations from features)')
    parser.add_argument('--feature-offset', type=float, default=0.,
                        help='step i is at (i + OFFSET) / RATE seconds')
    parser.add_argument('--feature-name', default='{video}', help='file stem format')
    parser.add_argument('--feature-ext', default='.npy', choices=('.npy', '.csv'))
    parser.add_argument('--exclude', nargs='*', default=[], metavar='VIDEO',
                        help='videos to leave out, e.g. the three with known annotation errors')
    parser.add_argument('--tolerance', type=float, default=1.,
                        help='seconds a segment may pass the video ends before it is an error '
                        '(it is clipped)')
    parser.add_argument('--skip-bad', action='store_true',
                        help='skip and report bad rows instead of stopping at the first')
    return parser, parser.parse_args(argv)


def main(argv=None):
    parser, args = parse_args(argv)
    from vsgt.datasets.tal_converters import (annotation_report, convert_thumos14,
                                              feature_durations, missing_features,
                                              read_durations, thumos14_videos,
                                              write_tal_annotations)
    if args.durations:
        durations = read_durations(args.durations)
    elif args.feature_dir and args.feature_rate:
        durations = feature_durations(thumos14_videos(args.ann_dirs), args.feature_dir,
                                      args.feature_rate, args.feature_offset,
                                      args.feature_name, args.feature_ext)
    else:
        parser.error('give --durations, or --feature-dir with --feature-rate')
    database, info = convert_thumos14(args.ann_dirs, durations, exclude=args.exclude,
                                      tolerance=args.tolerance, skip_bad=args.skip_bad)
    missing = None
    if args.feature_dir:
        missing = missing_features(database, args.feature_dir, args.feature_name,
                                   args.feature_ext)
    write_tal_annotations(args.out, database, version='THUMOS14')
    for line in annotation_report(database, missing):
        print(line)
    print(f"  skipped: {info['skipped_ambiguous']} Ambiguous rows, {len(info['skipped'])} bad "
          f"rows; {info['clipped']} segments clipped to their video; {info['duplicates']} "
          f"duplicate rows; excluded videos: {', '.join(info['excluded']) or 'none'}")
    for line in info['skipped']:
        print(f'  skipped {line}')
    print(f'wrote {args.out}')


if __name__ == '__main__':
    parse_args()  # --help and bad flags answer before the heavy imports
    from vsgt.utils.launch import run_cli
    run_cli(main)
