"""The quickstart: synthetic data, then frame-mAP of the untrained and of the trained detector.

Runs the same commands a user would (``tools/train.py``, ``tools/test.py``), prints each before
running it, and ends with both numbers. The default detector is VSGT-tiny
(``configs/synthetic/vsgt-tiny_synthetic.py``)::

    python tools/quickstart.py [--config CONFIG] [--work-dir work_dirs/quickstart]
"""
import argparse
import os.path as osp
import subprocess
import sys


TOOLS = osp.dirname(osp.abspath(__file__))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default='configs/synthetic/vsgt-tiny_synthetic.py')
    parser.add_argument('--work-dir', default='work_dirs/quickstart')
    parser.add_argument('--data-root', default='data/synthetic',
                        help='made with 48 videos (seed 0) when absent')
    parser.add_argument('--num-videos', type=int, default=48)
    return parser.parse_args(argv)


def run(*command):
    """Run a tool with this interpreter; stop with its exit code if it fails."""
    print('$', 'python', ' '.join(command), flush=True)
    code = subprocess.run([sys.executable, *command]).returncode
    if code:
        sys.exit(code)


def main(argv=None):
    args = parse_args(argv)
    from mmengine.config import Config
    from vsgt.datasets.synthetic import generate_synthetic_dataset
    from vsgt.utils import last_checkpoint, read_test_metrics, save_initial_checkpoint
    if not osp.isdir(args.data_root):
        print(f'making the synthetic dataset in {args.data_root}', flush=True)
        generate_synthetic_dataset(args.data_root, num_videos=args.num_videos, seed=0)
    cfg = Config.fromfile(args.config)

    untrained = osp.join(args.work_dir, 'untrained.pth')
    save_initial_checkpoint(cfg, untrained)
    run(osp.join(TOOLS, 'test.py'), args.config, untrained,
        '--work-dir', osp.join(args.work_dir, 'test_untrained'))
    run(osp.join(TOOLS, 'train.py'), args.config, '--work-dir', args.work_dir)
    trained = last_checkpoint(args.work_dir)
    run(osp.join(TOOLS, 'test.py'), args.config, trained,
        '--work-dir', osp.join(args.work_dir, 'test_trained'))

    before = read_test_metrics(osp.join(args.work_dir, 'test_untrained'))
    after = read_test_metrics(osp.join(args.work_dir, 'test_trained'))
    print('\nOn the synthetic val split:')
    print(f'{"":>16}  {"untrained":>9}  {"trained":>9}')
    for key in ('frame_mAP@0.5', 'video_mAP@0.5'):
        print(f'{key:>16}  {before[key]:9.4f}  {after[key]:9.4f}')
    print(f'untrained: {osp.abspath(untrained)} (initial weights); trained: {osp.abspath(trained)}')


if __name__ == '__main__':
    parse_args()  # --help and bad flags answer before the heavy imports
    from vsgt.utils.launch import run_cli
    run_cli(main)
