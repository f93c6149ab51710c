"""Checkpoint reading and checks with one-line errors."""
import argparse
import glob
import os
import os.path as osp
import pickle
import re
from typing import Dict, Mapping, Optional, Sequence

import torch

StateDict = Dict[str, torch.Tensor]


#: What torch's weights-only unpickler says when a file names a global it does not allow.
_REFUSED_GLOBAL = re.compile(r'Unsupported global: GLOBAL (\S+)|unsupported GLOBAL (\S+)|'
                             r'Unsupported operand|Unsupported class (\S+)', re.IGNORECASE)


def load_failure_reason(error: BaseException) -> str:
    """One line saying why ``torch.load`` (weights-only) could not read a file."""
    text = str(error)
    refused = _REFUSED_GLOBAL.search(text)
    if isinstance(error, pickle.UnpicklingError) or refused or 'Weights only' in text:
        name = next((group for group in (refused.groups() if refused else ()) if group), None)
        what = f'it names {name.rstrip(".,")}' if name else 'it holds an object'
        return (f'refused: {what}, which is not a tensor, container or one of the allow-listed '
                'training-state classes (such a file could run code when loaded)')
    if 'central directory' in text or 'zip archive' in text or isinstance(error, EOFError):
        return 'truncated or not a torch checkpoint (' + \
            (text.strip().splitlines() or [type(error).__name__])[0] + ')'
    return (text.strip().splitlines() or [type(error).__name__])[0]


def load_checkpoint_file(path: str, map_location='cpu', source: Optional[str] = None,
                         mmap: bool = False):
    """``torch.load`` of a local file, weights-only, with one-line errors naming it.

    What an mmengine checkpoint holds besides tensors (allow-listed by :mod:`vsgt.compat`) and
    timm's pickled ``argparse.Namespace`` are admitted; any other global is refused before
    anything is called. Every checkpoint the project reads, local or by URL, is read here.

    Args:
        path: The local file.
        map_location: As for ``torch.load``.
        source: What to name in errors when it is not ``path`` (e.g. the URL it came from).
        mmap: Memory-map the file instead of reading it.
    """
    name = path if source is None else f'{source} ({path})'
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint not found: {name}')
    try:
        with torch.serialization.safe_globals([argparse.Namespace]):
            return torch.load(path, map_location=map_location, weights_only=True, mmap=mmap)
    except Exception as error:
        raise ValueError(f'cannot load checkpoint {name}: {load_failure_reason(error)}'
                         ) from None


def read_state_dict(path: str, keys: Sequence[str] = ('state_dict', )) -> StateDict:
    """Read the tensors of a checkpoint file; one-line error if it is not one.

    Loading is weights-only (:func:`load_checkpoint_file`) and memory-mapped, so it is cheap
    even for large files.

    Args:
        path: local checkpoint file.
        keys: where the state dict may sit, in order of preference; a file without any of them
            must be a state dict itself.

    Returns:
        The state dict, without a ``module.`` prefix (left by a data-parallel wrapper).
    """
    checkpoint = load_checkpoint_file(path, mmap=True)
    state_dict = checkpoint
    if isinstance(checkpoint, Mapping):
        state_dict = next((checkpoint[k] for k in keys if checkpoint.get(k) is not None),
                          checkpoint)
    if not isinstance(state_dict, Mapping) or not state_dict:
        raise ValueError(f'checkpoint {path} holds no state dict (looked for {list(keys)} or a '
                         'dict of tensors)')
    for key, value in state_dict.items():
        if not torch.is_tensor(value):
            raise ValueError(f'checkpoint {path}: {key!r} is not a tensor; expected a state dict '
                             f'under one of {list(keys)} or a dict of tensors')
    return {key.removeprefix('module.'): value for key, value in state_dict.items()}


def check_checkpoint_fits(model, weights, path, max_listed=3):
    """Raise a one-line error unless ``weights`` (the state dict read from ``path`` by
    :func:`read_state_dict`) match ``model`` key for key.

    For evaluation: a checkpoint that leaves parameters at random values would give numbers
    that are not the model's. A model wrapped for distributed running is compared through the
    model it wraps, whose keys carry no ``module.`` prefix (like those of ``weights``).
    """
    from mmengine.model import is_model_wrapper
    if is_model_wrapper(model):
        model = model.module
    expected = model.state_dict()
    problems = [f'{key} has shape {tuple(weights[key].shape)}, the model {tuple(value.shape)}'
                for key, value in expected.items()
                if key in weights and weights[key].shape != value.shape]
    missing = [key for key in expected if key not in weights]
    unexpected = [key for key in weights if key not in expected]
    for name, keys in (('missing', missing), ('unexpected', unexpected)):
        if keys:
            listed = ', '.join(keys[:max_listed]) + (', ...' if len(keys) > max_listed else '')
            problems.append(f'{len(keys)} {name} keys ({listed})')
    if problems:
        raise ValueError(f'checkpoint {path} does not fit the model of this config: '
                         + '; '.join(problems))


def save_initial_checkpoint(cfg, path):
    """Save the model of ``cfg`` as built and initialised under the config's seed.

    The "untrained" reference a trained checkpoint is compared with: the initialisation that
    training starts from, though not bit-identical to the runner's (which draws other random
    numbers before initialising).
    """
    from mmengine.registry import init_default_scope
    from mmengine.runner import save_checkpoint, set_random_seed
    from mmaction.registry import MODELS

    init_default_scope(cfg.get('default_scope', 'mmaction'))
    set_random_seed(cfg.get('randomness', {}).get('seed', 0))
    model = MODELS.build(cfg.model)
    model.init_weights()
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    save_checkpoint({'meta': {'untrained': True}, 'state_dict': model.state_dict()}, path)


class CheckpointSaveError(OSError):
    """A checkpoint could not be written (the message names the file and the cause)."""


#: Temporary files of checkpoint writes (``atomic_write`` names them ``.<name>.<random>.tmp``).
STALE_TEMPORARY = '.*.pth.*.tmp'


def remove_stale_temporaries(directory: str) -> None:
    """Remove the temporary checkpoint files that killed saves left in ``directory``."""
    for path in glob.glob(osp.join(directory, STALE_TEMPORARY)):
        try:
            os.remove(path)
        except FileNotFoundError:
            pass


def check_load_from(model, path: str, min_fraction: float = 0.5) -> None:
    """Refuse ``load_from=path`` unless it holds most of ``model``'s tensors.

    mmengine loads a checkpoint non-strictly and only warns about the keys that do not match,
    so another model's checkpoint leaves the model at its initialisation and training starts
    from scratch. Fine-tuning with a new head is fine: at least ``min_fraction`` of the model's
    tensors must be in the checkpoint under the same name and shape.
    """
    from mmengine.runner.checkpoint import _load_checkpoint
    checkpoint = _load_checkpoint(path, map_location='cpu')
    weights = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, Mapping) else {}
    weights = {str(key).removeprefix('module.'): value for key, value in weights.items()}
    expected = getattr(model, 'module', model).state_dict()
    fits = [key for key, value in expected.items()
            if torch.is_tensor(weights.get(key)) and weights[key].shape == value.shape]
    if len(fits) < min_fraction * len(expected):
        absent = next((key for key in expected if key not in fits), '')
        raise ValueError(f'load_from {path}: only {len(fits)} of the model\'s {len(expected)} '
                         f'tensors are in it with the same name and shape (e.g. {absent!r} is '
                         'not): a checkpoint of another model; use init_cfg=dict(type='
                         '"Pretrained", prefix=...) to load a part of one')
