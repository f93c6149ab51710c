"""Shared logic of ``tools/train.py`` and ``tools/test.py``: config set-up and clean failure."""
import os
import os.path as osp
import shutil
import sys
from contextlib import contextmanager

import torch
from mmengine.config import Config, DictAction

#: Exceptions that come from what the user gave (a path, a config key, a data file): reported
#: as one line. Anything else is a bug and keeps its traceback.
USER_ERRORS = (FileNotFoundError, NotADirectoryError, IsADirectoryError, ValueError, KeyError,
               TypeError, AssertionError)


def add_common_args(parser):
    """Arguments that ``tools/train.py`` and ``tools/test.py`` share (mmaction2's names)."""
    parser.add_argument('config', help='config file path')
    parser.add_argument('--work-dir', help='directory for logs, checkpoints and dumps')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, default={},
        help='override config entries, e.g. train_cfg.max_iters=100 (xxx=yyy pairs)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def load_config(args):
    """Read the config, apply ``--cfg-options``/``--work-dir``/``--launcher`` and the runtime."""
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file not found: {args.config}')
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('work_dirs', osp.splitext(osp.basename(args.config))[0])
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    if args.launcher != 'none' and not torch.cuda.is_available():
        _use_cpu_distributed(cfg)
    return cfg


def _use_cpu_distributed(cfg):
    """Run distributed jobs on the CPU: gloo instead of nccl, DDP without ``device_ids``."""
    env_cfg = cfg.setdefault('env_cfg', {})
    env_cfg.setdefault('dist_cfg', {})['backend'] = 'gloo'
    cfg.setdefault('model_wrapper_cfg', dict(type='MMDistributedDataParallel'))
    cfg.model_wrapper_cfg.setdefault('broadcast_buffers', False)


@contextmanager
def clean_failure(work_dir, keep_if=lambda created: False):
    """On an exception, remove what this run created in ``work_dir`` (unless ``keep_if``).

    ``keep_if`` receives the paths this run created; return True to keep them (e.g. once a
    checkpoint exists, the logs of a run that crashed later are worth keeping).
    """
    existed = osp.isdir(work_dir)
    before = set(os.listdir(work_dir)) if existed else set()
    try:
        yield
    except BaseException:
        if osp.isdir(work_dir):
            created = [osp.join(work_dir, name) for name in set(os.listdir(work_dir)) - before]
            if not keep_if(created):
                for path in created:
                    if osp.isdir(path) and not osp.islink(path):
                        shutil.rmtree(path, ignore_errors=True)
                    else:
                        os.remove(path)
                if not existed and not os.listdir(work_dir):
                    os.rmdir(work_dir)
        raise


def run_cli(main, argv=None):
    """Run a tool's ``main`` and turn user errors into one line on stderr and exit code 1.

    Set ``VSGT_DEBUG=1`` to see the full traceback instead.
    """
    prog = osp.basename(sys.argv[0])
    try:
        main(argv)
    except USER_ERRORS as exc:
        if os.environ.get('VSGT_DEBUG'):
            raise
        message = ' '.join(str(exc).split()) or type(exc).__name__
        if isinstance(exc, KeyError) and message.startswith(("'", '"')):
            message = message[1:-1]
        print(f'{prog}: error: {type(exc).__name__}: {message}', file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print(f'{prog}: interrupted', file=sys.stderr)
        sys.exit(130)

