"""Extract UCF101-24 / JHMDB-21 frames: ``extract_frames.py GT_PKL VIDEO_DIR FRAMES_DIR``.

Resumable: videos whose frames are complete are skipped (see tools/data/ucf101_24/README.md).
"""
import argparse

#: The keys of ``vsgt.datasets.ucf101_24.DATASET_INFO``, named here so that ``--help`` answers
#: without importing torch (a test checks that they agree).
DATASETS = ('jhmdb21', 'ucf101_24')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Extract the frames of every video of an '
                                     'ACT ground-truth pickle (UCF101-24, JHMDB-21)')
    parser.add_argument('gt_file', help='UCF101v2-GT.pkl or JHMDB-GT.pkl')
    parser.add_argument('video_dir', help='root of the videos, e.g. data/ucf101_24/videos')
    parser.add_argument('frames_dir', help='root of the frames, e.g. data/ucf101_24/rawframes')
    parser.add_argument('--dataset', choices=DATASETS, default='ucf101_24')
    parser.add_argument('--filename-tmpl', default='{:05}.jpg',
                        help="frame file names (the config's filename_tmpl)")
    parser.add_argument('--workers', type=int, default=1, help='parallel processes')
    parser.add_argument('--overwrite', action='store_true',
                        help='re-extract a frame folder that exists but lacks frames')
    parser.add_argument('--no-progress', action='store_true', help='hide the progress bar')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    from vsgt.datasets.ucf101_24 import extract_frames
    counts = extract_frames(args.gt_file, args.video_dir, args.frames_dir, dataset=args.dataset,
                            filename_tmpl=args.filename_tmpl, workers=args.workers,
                            overwrite=args.overwrite, progress=not args.no_progress)
    print(f'\nextracted {counts["extracted"]} videos, skipped {counts["skipped"]} already '
          f'complete, into {args.frames_dir}')


if __name__ == '__main__':
    parse_args()  # --help and bad flags answer before the heavy imports
    from vsgt.utils.launch import run_cli
    run_cli(main)
