"""Generate the synthetic dataset: ``python tools/data/synthetic/generate.py OUT_DIR [options]``."""
import argparse

#: The presets of ``vsgt.datasets.synthetic.SYNTHETIC_PRESETS``, named here so that ``--help``
#: answers without importing torch (a test checks that they agree).
PRESETS = ('default', 'hard', 'recognition')


class OneLineErrorParser(argparse.ArgumentParser):
    """Report bad input as one line (no usage) and exit with code 2."""

    def error(self, message):
        self.exit(2, f'{self.prog}: error: {message}\n')


def parse_args(argv=None):
    parser = OneLineErrorParser(
        description='Write the synthetic spatio-temporal action detection dataset '
        '(see tools/data/synthetic/README.md)')
    parser.add_argument('out_dir', help='output directory, e.g. data/synthetic')
    parser.add_argument('--num-videos', type=int, default=48,
                        help='videos in all (48: the set every published figure uses)')
    parser.add_argument('--num-frames', type=int, default=40, help='frames per video')
    parser.add_argument('--preset', choices=PRESETS, default='default',
                        help="'hard': crowded clips of small actors with distractors, a sliding "
                        "background, camera jitter and occlusion; 'recognition': one large actor "
                        'per 64x48 clip (README.md)')
    parser.add_argument('--frame-size', type=int, nargs=2, metavar=('WIDTH', 'HEIGHT'),
                        help="default: the preset's (128 96; hard: 160 120; recognition: 64 48)")
    parser.add_argument('--actors', type=int, nargs=2, metavar=('MIN', 'MAX'),
                        help="number of actors per video; default: the preset's (2 3; hard: 4 6; "
                        'recognition: 1 1)')
    parser.add_argument('--val-fraction', type=float, default=0.25)
    parser.add_argument('--key-frame-stride', type=int, default=4,
                        help='annotate every STRIDE-th frame of the train split')
    parser.add_argument('--val-key-frame-stride', type=int, default=1,
                        help='annotate every STRIDE-th frame of the val split (default: all)')
    parser.add_argument('--jittered-proposals', type=int, default=2,
                        help='jittered copies of each ground-truth box among the proposals')
    parser.add_argument('--proposal-jitter', type=float, default=0.08,
                        help='std of the proposal corner jitter, relative to the box size')
    parser.add_argument('--false-proposals', type=int, default=1,
                        help='background boxes among the proposals of each key frame')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--context', action='store_true',
                        help='add the class watch_ball: stand actors with a ball rolling in '
                        'their lane, away from them (README.md)')
    parser.add_argument('--rawframe-lists', action='store_true',
                        help='also write RawframeDataset lists of clip labels (needs one actor '
                        'per video: --preset recognition or --actors 1 1)')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace OUT_DIR when it is not empty')
    parser.add_argument('--no-progress', action='store_true', help='hide the progress bar')
    return parser, parser.parse_args(argv)


def main(argv=None):
    parser, args = parse_args(argv)
    from vsgt.datasets.synthetic import generate_synthetic_dataset
    summary = generate_synthetic_dataset(
        args.out_dir,
        num_videos=args.num_videos,
        num_frames=args.num_frames,
        frame_size=args.frame_size and tuple(args.frame_size),
        actors_per_video=args.actors and tuple(args.actors),
        preset=args.preset,
        val_fraction=args.val_fraction,
        key_frame_stride=args.key_frame_stride,
        val_key_frame_stride=args.val_key_frame_stride,
        jittered_proposals=args.jittered_proposals,
        proposal_jitter=args.proposal_jitter,
        false_proposals=args.false_proposals,
        seed=args.seed,
        rawframe_lists=args.rawframe_lists,
        context=args.context,
        overwrite=args.overwrite,
        progress=not args.no_progress)
    print(f"wrote {len(summary['train_videos'])} train / {len(summary['val_videos'])} val videos "
          f"({summary['num_train_rows']} / {summary['num_val_rows']} CSV rows, classes "
          f"{', '.join(summary['classes'])}) to {summary['out_dir']}")


if __name__ == '__main__':
    parse_args()  # --help and bad flags answer before the heavy imports
    from vsgt.utils.launch import run_cli
    run_cli(main)
