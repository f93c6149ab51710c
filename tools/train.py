"""Train a model from a config.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [options]
"""
import argparse
import os.path as osp

from cli_args import add_common_args


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a VSGT / mmaction2 model')
    add_common_args(parser)
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from CKPT, or from the latest checkpoint in the work dir when no path')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision (CUDA)')
    parser.add_argument('--no-validate', action='store_true', help='skip validation')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the lr by the actual over the base batch size')
    parser.add_argument('--seed', type=int, help='random seed')
    parser.add_argument('--diff-rank-seed', action='store_true', help='a different seed per rank')
    parser.add_argument('--deterministic', action='store_true',
                        help='deterministic algorithms (slower)')
    return parser.parse_args(argv)


def build_config(args):
    import torch

    from vsgt.utils.launch import checkpoint_to_resume, load_config
    from vsgt.utils.pretrained import check_pretrained_files
    cfg = load_config(args)
    if args.amp:
        if not torch.cuda.is_available():
            raise ValueError('--amp needs a CUDA device (mmengine AmpOptimWrapper); none is '
                             'visible')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, checkpoint_to_resume(cfg.work_dir)
    elif args.resume is not None:
        if not osp.isfile(args.resume):
            raise FileNotFoundError(f'--resume checkpoint not found: {args.resume}')
        cfg.resume, cfg.load_from = True, args.resume
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if args.auto_scale_lr:
        cfg.merge_from_dict({'auto_scale_lr.enable': True})
    if args.seed is not None:
        cfg.merge_from_dict({'randomness.seed': args.seed})
    if args.deterministic or args.diff_rank_seed:
        cfg.merge_from_dict({'randomness.deterministic': args.deterministic,
                             'randomness.diff_rank_seed': args.diff_rank_seed})
    hooks = list(cfg.get('custom_hooks') or [])
    if not any(hook.get('type') in ('RandomStatesHook', 'mmaction.RandomStatesHook')
               for hook in hooks):
        cfg.custom_hooks = [*hooks, dict(type='mmaction.RandomStatesHook')]
    check_pretrained_files(cfg)
    return cfg


def main(argv=None):
    args = parse_args(argv)

    from vsgt.engine import VSGTRunner
    from vsgt.utils.checkpoint import check_load_from
    from vsgt.utils.launch import check_num_classes, clean_failure, trained_or_saved
    cfg = build_config(args)
    with clean_failure(cfg.work_dir, keep_if=trained_or_saved):
        runner = VSGTRunner.from_cfg(cfg)
        if cfg.get('load_from'):
            check_load_from(runner.model, cfg.load_from)
        check_num_classes(runner.model, runner.train_loop.dataloader.dataset)
        runner.train()


if __name__ == '__main__':
    parse_args()  # --help and bad flags answer before the heavy imports
    from vsgt.utils.launch import run_cli
    run_cli(main)
