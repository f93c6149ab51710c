"""Arguments of ``tools/train.py`` and ``tools/test.py``, parsed without the heavy stack.

Only the standard library is imported here, so ``--help`` and a wrong flag answer at once; the
tools import torch and the OpenMMLab stack only once the arguments are known to be usable.
``--cfg-options`` is kept as its ``KEY=VALUE`` strings and turned into a dict by mmengine's
``DictAction`` in :func:`vsgt.utils.launch.load_config`.
"""
import argparse


def key_value(text):
    """One ``--cfg-options`` item: ``KEY=VALUE`` with a non-empty key."""
    key, sep, _ = text.partition('=')
    if not sep or not key:
        raise argparse.ArgumentTypeError(f'expected KEY=VALUE, got {text!r}')
    return text


def add_common_args(parser):
    """Arguments that ``tools/train.py`` and ``tools/test.py`` share (mmaction2's names)."""
    parser.add_argument('config', help='config file path')
    parser.add_argument('--work-dir', help='directory for logs, checkpoints and dumps')
    parser.add_argument(
        '--cfg-options', nargs='+', type=key_value, default=[], metavar='KEY=VALUE',
        help='override config entries, e.g. train_cfg.max_iters=100')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
