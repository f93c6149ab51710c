"""Shared logic of the tools: config set-up, clean failure and one-line errors.

``tools/cli_args.py`` defines the arguments of ``tools/train.py`` and ``tools/test.py``.
"""
import argparse
import ast
import gc
import glob
import inspect
import os
import os.path as osp
import shutil
import sys
from contextlib import contextmanager

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.config.utils import ConfigParsingError

from .checkpoint import CheckpointSaveError

#: Exceptions that come from what the user gave (a path, a config key, a data file): reported
#: as one line. Anything else is a bug and keeps its traceback.
USER_ERRORS = (FileNotFoundError, FileExistsError, NotADirectoryError, IsADirectoryError,
               ValueError, KeyError, TypeError, AssertionError, CheckpointSaveError)


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
    if head in ('default_hooks', 'custom_hooks') and len(path) == 2:
        return registry.HOOKS
    if head == 'optim_wrapper':
        return {1: registry.OPTIM_WRAPPERS, 2: registry.OPTIMIZERS}.get(len(path))
    if head == 'param_scheduler':
        return registry.PARAM_SCHEDULERS
    return {'log_processor': registry.LOG_PROCESSORS, 'visualizer': registry.VISUALIZERS
            }.get(head) if len(path) == 1 else None


def _accepted_arguments(cls):
    """Named constructor arguments of ``cls`` and the classes it inherits from."""
    names = set()
    for klass in cls.__mro__:
        if '__init__' in vars(klass):
            parameters = inspect.signature(klass.__init__).parameters.values()
            names |= {p.name for p in parameters
                      if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)} - {'self'}
    return names


#: Top-level keys a config may gain besides the ``Runner``'s arguments.
_TOP_LEVEL_EXTRA = {'custom_imports', 'default_scope'}


def _check_new_key(key, path, node, name, scope, type_name):
    """Refuse ``name``, new to the dict ``node`` at config ``path``, unless its reader takes it
    (``type_name``: the class that will build ``node``)."""
    where = f'--cfg-options {key}'
    if not path:
        from mmengine.runner import Runner
        if name not in _accepted_arguments(Runner) | _TOP_LEVEL_EXTRA:
            raise KeyError(f'{where}: the config has no key "{name}" and the runner takes no '
                           'such argument')
        return
    if path[0] == 'model' and path[-1] in ('train_cfg', 'test_cfg') and type_name is None:
        raise KeyError(f'{where}: {".".join(path)} has the keys {", ".join(sorted(node))}; '
                       f'"{name}" is not one of them (the model would ignore it)')
    registry = _registry_for(path)
    if not isinstance(type_name, str) or registry is None:
        return
    # mmengine's classes (hooks, loops) are found without the scope of the dict that names them.
    scoped = f'{scope}.{type_name}' if scope and '.' not in type_name else type_name
    cls = registry.get(scoped) or registry.get(type_name)
    # The optimizer wrapper constructor, not the wrapper, reads these two.
    extra = {'constructor', 'paramwise_cfg'} if path == ('optim_wrapper', ) else set()
    if inspect.isclass(cls) and name not in _accepted_arguments(cls) | extra:
        raise KeyError(f'{where}: {cls.__name__} takes no argument "{name}"')


def check_option_keys(cfg, options):
    """Refuse ``--cfg-options`` keys that nothing would read.

    mmengine merges any key, and a misspelt one surfaces later (if at all) as an error deep in
    the code that does not name it, or is silently ignored. A key new to the config is checked
    where it first leaves the config: at the top level against the ``Runner``'s arguments; in a
    dict with a ``type`` (model parts, datasets, metrics, loops, hooks, optimizers, schedulers)
    against the named arguments of the registered class (the one an option's ``.type`` names,
    if given); in a model's ``train_cfg`` / ``test_cfg`` against the keys the config gives.
    """
    from mmengine.registry import DefaultScope, init_default_scope
    if DefaultScope.get_current_instance() is None:
        init_default_scope(cfg.get('default_scope', 'mmaction'))
    new_types = {tuple(key.split('.')[:-1]): value for key, value in options.items()
                 if key.split('.')[-1] == 'type'}
    for key in options:
        node, scope, path = cfg, None, ()
        for part in key.split('.'):
            if isinstance(node, (list, tuple)):
                if not (part.isdigit() and int(part) < len(node)):
                    raise KeyError(f'--cfg-options {key}: {".".join(path)} is a list of '
                                   f'{len(node)} items; the next key must be an index below '
                                   f'{len(node)}')
                node = node[int(part)]
            elif hasattr(node, 'get'):
                if part not in node:
                    _check_new_key(key, path, node, part, scope,
                                   new_types.get(path, node.get('type')))
                    break
                node = node[part]
            else:
                break
            path += (part, )
            if hasattr(node, 'get'):
                scope = node.get('_scope_', scope)


def check_num_classes(model, dataset):
    """Refuse a model whose ``num_classes`` is smaller than the data's labels need.

    Checked for models with a ``num_classes`` attribute on datasets whose samples carry
    ``gt_labels`` (the temporal localizers); otherwise the loss fails with an ``IndexError``
    that names neither.
    """
    from mmengine.dataset import BaseDataset
    num_classes = getattr(getattr(model, 'module', model), 'num_classes', None)
    if not isinstance(num_classes, int) or not isinstance(dataset, BaseDataset):
        return
    # The stored samples (BaseDataset's own accessor: a subclass may draw random ones).
    count = len(dataset.data_address) if dataset.serialize_data else len(dataset.data_list)
    labels = [BaseDataset.get_data_info(dataset, index).get('gt_labels')
              for index in range(count)]
    if not labels or any(label is None or np.ndim(label) != 1 for label in labels):
        return
    largest = max((int(np.max(label)) for label in labels if len(label)), default=-1)
    if largest >= num_classes:
        classes = list(dataset.metainfo.get('classes') or [])
        name = f' ({classes[largest]!r})' if largest < len(classes) else ''
        raise ValueError(f'model.num_classes={num_classes}, but {dataset.ann_file} has the label '
                         f'index {largest}{name}; the data has {len(classes)} classes')


def checkpoint_to_resume(work_dir):
    """The checkpoint ``--resume`` (without a path) continues from, or None when there is none.

    mmengine records the absolute path of the newest checkpoint in ``work_dir/last_checkpoint``;
    in a work dir copied or moved elsewhere, that path names the original run's file. A path
    outside ``work_dir`` is resolved to the file of the same name in ``work_dir`` (said in one
    line), or refused when there is none.
    """
    record = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(record):
        return None
    with open(record) as file:
        path = file.read().strip()
    if not path:
        raise ValueError(f'{record} is empty; give --resume PATH')
    here = osp.abspath(work_dir)
    if osp.dirname(osp.abspath(path)) == here:
        if not osp.isfile(path):
            raise FileNotFoundError(f'{record} names {path}, which does not exist')
        return path
    local = osp.join(here, osp.basename(path))
    if not osp.isfile(local):
        raise FileNotFoundError(f'{record} names {path}, outside the work dir {here}, which has '
                                f'no {osp.basename(path)}; give --resume PATH to resume from it')
    print(f'{record} names {path}, outside the work dir: resuming from {local}',
          file=sys.stderr)
    return local


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


def trained_or_saved(paths):
    """Whether a run that created ``paths`` saved a checkpoint or logged a training step: then
    its work dir holds what a user needs to see why it failed, and it is kept."""
    if saved_a_checkpoint(paths):
        return True
    for path in paths:
        for log in glob.glob(osp.join(path, '*.log')) if osp.isdir(path) else ():
            with open(log, errors='replace') as file:
                if any('(train)' in line for line in file):
                    return True
    return False


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


def close_process_group(synchronise: bool = False):
    """Destroy this process's ``torch.distributed`` process group, if any, and free what it held.
    PyTorch asks every process to do so before it exits; a group left to the interpreter's
    shutdown can abort the process (gloo: "terminate called without an active exception", exit
    code -6). ``synchronise``: first wait at a barrier for every rank (after a run that ended
    well on this rank), so that no rank tears its connections and the store down while another
    still uses them."""
    dist = sys.modules.get('torch.distributed')
    if dist is not None and dist.is_available() and dist.is_initialized():
        try:
            if synchronise:
                dist.barrier()
        finally:
            dist.destroy_process_group()
            gc.collect()


def run_cli(main, argv=None):
    """Run a tool's ``main`` and turn user errors into one line on stderr and exit code 1; the
    process group of a distributed run is destroyed on the way out (after a barrier when this
    rank's run ended well).

    Set ``VSGT_DEBUG=1`` to see the full traceback instead.
    """
    prog = osp.basename(sys.argv[0])
    ended_well = False
    try:
        _run_main(main, argv, prog)
        ended_well = True
    finally:
        close_process_group(synchronise=ended_well)


def _run_main(main, argv, prog):
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

