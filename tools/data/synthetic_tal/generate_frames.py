"""Generate a synthetic frame-level TAL set:
``python tools/data/synthetic_tal/generate_frames.py OUT_DIR``."""
import argparse

#: The presets of ``vsgt.datasets.synthetic_tal.TAL_FRAME_PRESETS``, named here so that
#: ``--help`` answers without importing torch (a test checks that they agree).
PRESETS = ('frames', 'frames_tiny')


class OneLineErrorParser(argparse.ArgumentParser):
    """Report bad input as one line (no usage) and exit with code 2."""

    def error(self, message):
        self.exit(2, f'{self.prog}: error: {message}\n')


def parse_args(argv=None):
    parser = OneLineErrorParser(
        description='Write a synthetic frame-level temporal action localization set in the '
        'layout of TALFrameDataset (see tools/data/synthetic_tal/README.md)')
    parser.add_argument('out_dir', help='output directory, e.g. data/synthetic_tal_frames')
    parser.add_argument('--preset', default='frames', choices=PRESETS,
                        help="'frames' (48 videos of 100..300 frames) or 'frames_tiny' "
                        '(6 videos of 64..128 frames)')
    parser.add_argument('--num-videos', type=int, default=None,
                        help="number of videos (default: the preset's)")
    parser.add_argument('--frame-size', type=int, default=None,
                        help='side of the square frames, a multiple of 4 (default: 32; 112 '
                        'for 96x96 crops as AFSD)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--no-flow', action='store_true', help='do not write flows/')
    parser.add_argument('--no-features', action='store_true', help='do not write features/')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace OUT_DIR when it is not empty')
    parser.add_argument('--no-progress', action='store_true', help='hide the progress bar')
    return parser, parser.parse_args(argv)


def main(argv=None):
    parser, args = parse_args(argv)
    from vsgt.datasets.synthetic_tal import generate_synthetic_tal_frames
    summary = generate_synthetic_tal_frames(
        args.out_dir, preset=args.preset, num_videos=args.num_videos, seed=args.seed,
        frame_size=args.frame_size, flow=not args.no_flow, features=not args.no_features,
        overwrite=args.overwrite, progress=not args.no_progress)
    for subset, stats in summary['statistics'].items():
        print(f"{subset}: {stats['videos']} videos of {stats['video_frames'][0]}..."
              f"{stats['video_frames'][1]} frames, {stats['actions']} actions of "
              f"{stats['action_frames'][0]}...{stats['action_frames'][1]} frames, "
              f"{stats['distractors']} distractors")
    size = summary['frame_size']
    print(f"wrote the '{summary['preset']}' set ({size}x{size} frames at "
          f"{summary['frame_rate']:g} fps; {', '.join(summary['folders'])}; classes "
          f"{', '.join(summary['classes'])}) to {summary['out_dir']}")


if __name__ == '__main__':
    parse_args()  # --help and bad flags answer before the heavy imports
    from vsgt.utils.launch import run_cli
    run_cli(main)
