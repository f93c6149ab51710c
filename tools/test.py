"""Test a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [--dump results.pkl]``."""
import argparse
import os

from cli_args import add_common_args


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and evaluate) a VSGT / mmaction2 model')
    add_common_args(parser)
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--dump', help='write the raw predictions to this pickle (.pkl/.pickle; '
                        'numpy arrays, no tensors)')
    parser.add_argument('--show-dir', help='write each key frame with its predicted boxes and '
                        'top actions here, under the work dir (spatio-temporal detectors)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.dump is not None and not args.dump.endswith(('.pkl', '.pickle')):
        raise ValueError(f'--dump must end with .pkl or .pickle, got {args.dump}')

    from vsgt.engine import VSGTRunner
    from vsgt.utils.checkpoint import check_checkpoint_fits, read_state_dict
    from vsgt.utils.launch import clean_failure, load_config
    cfg = load_config(args)
    if args.show_dir is not None:
        if not cfg.model.get('roi_head'):
            raise ValueError(f'--show-dir draws person boxes: {args.config} is not a '
                             'spatio-temporal action detector (its model has no roi_head)')
        cfg.custom_hooks = [*cfg.get('custom_hooks', []), dict(
            type='DetectionShowHook', out_dir=os.path.join(cfg.work_dir, args.show_dir))]
    weights = read_state_dict(args.checkpoint)
    cfg.load_from = args.checkpoint
    if args.dump is not None:
        dump_metric = dict(type='mmaction.DumpNumpyResults', out_file_path=args.dump,
                           checkpoint=args.checkpoint)
        evaluator = cfg.test_evaluator
        cfg.test_evaluator = ([*evaluator, dump_metric] if isinstance(evaluator, (list, tuple))
                              else [evaluator, dump_metric])
    with clean_failure(cfg.work_dir):
        runner = VSGTRunner.from_cfg(cfg)
        check_checkpoint_fits(runner.model, weights, args.checkpoint)
        runner.test()


if __name__ == '__main__':
    parse_args()  # --help and bad flags answer before the heavy imports
    from vsgt.utils.launch import run_cli
    run_cli(main)
