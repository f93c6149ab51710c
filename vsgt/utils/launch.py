"""Shared logic of the tools: config set-up, clean failure and one-line errors.

``tools/cli_args.py`` defines the arguments of ``tools/train.py`` and ``tools/test.py``.
"""
import argparse
import ast
import inspect
import os
import os.path as osp
import shutil
import sys
from contextlib import contextmanager

import torch
from mmengine.config import Config, DictAction
from mmengine.config.utils import ConfigParsingError

#: Exceptions that come from what the user gave (a path, a config key, a data file): reported
#: as one line. Anything else is a bug and keeps its traceback.
USER_ERRORS = (FileNotFoundError, FileExistsError, NotADirectoryError, IsADirectoryError,
               ValueError, KeyError, TypeError, AssertionError)


def load_config(args):
    """Read the config, apply ``--cfg-options``/``--work-dir``/``--launcher`` and the runtime."""
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file not found: {args.config}')
    cfg = read_config(args.config)
    options = cfg_options_dict(args.cfg_options)
    check_option_keys(cfg, options)
    cfg.merge_from_dict(options)
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


def add_device_argument(parser):
    """``--device``, the same in every tool: ``cuda`` when a CUDA device is visible, else
    ``cpu``; see :func:`check_device`."""
    parser.add_argument('--device', choices=['cpu', 'cuda'],
                        default='cuda' if torch.cuda.is_available() else 'cpu',
                        help='where the model runs (default: cuda when a CUDA device is '
                        'visible, else cpu)')


def check_device(device):
    """One-line error for ``--device cuda`` on a machine without a visible CUDA device."""
    if device == 'cuda' and not torch.cuda.is_available():
        raise ValueError('--device cuda: no CUDA device is visible')


def cfg_options_dict(options):
    """``--cfg-options`` as a dict: mmengine's ``DictAction`` applied to ``KEY=VALUE`` strings."""
    if isinstance(options, dict):
        return options
    namespace = argparse.Namespace()
    DictAction(option_strings=['--cfg-options'], dest='cfg_options')(None, namespace, options)
    return getattr(namespace, 'cfg_options', {})


def _syntax_error(path, error):
    line = f', line {error.lineno}' if error.lineno else ''
    return ValueError(f'config {path}{line}: syntax error: {error.msg}')


def read_config(path):
    """``Config.fromfile`` whose syntax errors name the config file and line.

    mmengine parses configs without their file name, so a syntax error reads ``<unknown>``; the
    file (and, for an error in a base config, the file that inherits it) is checked here.
    """
    with open(path, encoding='utf-8') as file:
        source = file.read()
    try:
        ast.parse(source, filename=path)
    except SyntaxError as error:
        raise _syntax_error(path, error) from None
    try:
        return Config.fromfile(path)
    except SyntaxError as error:
        raise ValueError(f'a base config of {path}: syntax error: {error.msg} (line '
                         f'{error.lineno})') from None
    except ConfigParsingError as error:
        raise ValueError(f'config {path}: {error}') from None


def _registry_for(path):
    """The registry that builds the typed dict at a config ``path`` (a tuple of keys), or None."""
    from mmaction import registry
    head = path[0] if path else ''
    if head == 'model' and not {'train_cfg', 'test_cfg'} & set(path):
        return registry.MODELS
    if head.endswith('_dataloader') and path[1:] == ('dataset',):
        return registry.DATASETS
    if head.endswith('_evaluator'):
        return registry.METRICS
    if head in ('train_cfg', 'val_cfg', 'test_cfg') and len(path) == 1:
        return registry.LOOPS
    return None


def _accepted_arguments(cls):
    """Named constructor arguments of ``cls`` and the classes it inherits from."""
    names = set()
    for klass in cls.__mro__:
        if '__init__' in vars(klass):
            parameters = inspect.signature(klass.__init__).parameters.values()
            names |= {p.name for p in parameters
                      if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)} - {'self'}
    return names


def check_option_keys(cfg, options):
    """Refuse ``--cfg-options`` that add an argument the target class does not take.

    mmengine merges any key, and a misspelt one surfaces later (if at all) as an error deep in
    the model code that does not name it. Only keys that are new to the config and sit in a
    dict with a ``type`` whose class can be resolved are checked.
    """
    from mmengine.registry import DefaultScope, init_default_scope
    if DefaultScope.get_current_instance() is None:
        init_default_scope(cfg.get('default_scope', 'mmaction'))
    for key in options:
        *parents, name = key.split('.')
        node, scope = cfg, None
        for depth, part in enumerate(key.split('.')):
            if isinstance(node, (list, tuple)) and not (part.isdigit() and int(part) < len(node)):
                raise KeyError(f'--cfg-options {key}: {".".join(parents[:depth])} is a list of '
                               f'{len(node)} items; the next key must be an index below '
                               f'{len(node)}')
            if depth == len(parents):
                break
            node = node[int(part)] if isinstance(node, (list, tuple)) else (
                node.get(part) if hasattr(node, 'get') else None)
            if node is None:
                break
            scope = node.get('_scope_', scope) if hasattr(node, 'get') else scope
        if not hasattr(node, 'get') or name in node or not isinstance(node.get('type'), str):
            continue
        registry = _registry_for(tuple(parents))
        type_name = node['type']
        if scope and '.' not in type_name:
            type_name = f'{scope}.{type_name}'
        cls = registry.get(type_name) if registry is not None else None
        if inspect.isclass(cls) and name not in _accepted_arguments(cls):
            raise KeyError(f'--cfg-options {key}: {cls.__name__} takes no argument "{name}"')


def _use_cpu_distributed(cfg):
    """Run distributed jobs on the CPU: gloo instead of nccl, DDP without ``device_ids``.

    mmengine passes ``device_ids=[LOCAL_RANK]`` to DDP unless the wrapper config says otherwise.
    """
    cfg.merge_from_dict({'env_cfg.dist_cfg.backend': 'gloo'})
    wrapper = dict(type='MMDistributedDataParallel', broadcast_buffers=False)
    wrapper.update(cfg.get('model_wrapper_cfg') or {})
    cfg.model_wrapper_cfg = dict(wrapper, device_ids=None, output_device=None)


def saved_a_checkpoint(paths):
    """Whether a run that created ``paths`` in its work dir saved a checkpoint."""
    return any(path.endswith('.pth') or osp.basename(path) == 'last_checkpoint' for path in paths)


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
        text = str(exc)
        if text.startswith('Caught ') and 'Original Traceback' in text:
            # Raised in a DataLoader worker: torch prepends the worker's traceback.
            text = text.strip().splitlines()[-1].partition(': ')[2] or text
        message = ' '.join(text.split()) or type(exc).__name__
        if isinstance(exc, KeyError) and message.startswith(("'", '"')):
            message = message[1:-1]
        print(f'{prog}: error: {type(exc).__name__}: {message}', file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print(f'{prog}: interrupted', file=sys.stderr)
        sys.exit(130)

