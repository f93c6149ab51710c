"""Generate a synthetic TAL feature set: ``python tools/data/synthetic_tal/generate.py OUT_DIR``."""
import argparse

#: The presets of ``vsgt.datasets.synthetic_tal.TAL_PRESETS``, named here so that ``--help``
#: answers without importing torch (a test checks that they agree).
PRESETS = ('clutter', 'multiscale')


class OneLineErrorParser(argparse.ArgumentParser):
    """Report bad input as one line (no usage) and exit with code 2."""

    def error(self, message):
        self.exit(2, f'{self.prog}: error: {message}\n')


def parse_args(argv=None):
    parser = OneLineErrorParser(
        description='Write a synthetic temporal action localization feature set '
        '(see tools/data/synthetic_tal/README.md)')
    parser.add_argument('out_dir', help='output directory, e.g. data/synthetic_tal')
    parser.add_argument('--preset', default='multiscale', choices=PRESETS,
                        help="'multiscale' (VSGN: lengths 2..160 steps) or 'clutter' (GAF: "
                        'label-free bursts on channels 16-31)')
    parser.add_argument('--num-videos', type=int, default=None,
                        help='number of videos (default: the preset\'s, 48)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--overwrite', action='store_true',
                        help='replace OUT_DIR when it is not empty')
    parser.add_argument('--no-progress', action='store_true', help='hide the progress bar')
    return parser, parser.parse_args(argv)


def main(argv=None):
    parser, args = parse_args(argv)
    from vsgt.datasets.synthetic_tal import generate_synthetic_tal
    summary = generate_synthetic_tal(args.out_dir, preset=args.preset,
                                     num_videos=args.num_videos, seed=args.seed,
                                     overwrite=args.overwrite,
                                     progress=not args.no_progress)
    for subset, stats in summary['statistics'].items():
        print(f"{subset}: {stats['videos']} videos ({stats['sparse_videos']} sparse), "
              f"{stats['actions']} actions of {stats['action_steps'][0]}..."
              f"{stats['action_steps'][1]} steps, {stats['short_fraction']:.1%} <= "
              f"{summary['short_max']} steps")
    print(f"wrote the '{summary['preset']}' set ({summary['feature_dim']}-d features at "
          f"{summary['feature_rate']} steps/s, classes {', '.join(summary['classes'])}) to "
          f"{summary['out_dir']}")


if __name__ == '__main__':
    parse_args()  # --help and bad flags answer before the heavy imports
    from vsgt.utils.launch import run_cli
    run_cli(main)
