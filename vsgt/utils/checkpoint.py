"""Checkpoint reading and checks with one-line errors."""
import argparse
import os
import os.path as osp
from typing import Dict, Mapping, Sequence

import torch

StateDict = Dict[str, torch.Tensor]


def read_state_dict(path: str, keys: Sequence[str] = ('state_dict', )) -> StateDict:
    """Read the tensors of a checkpoint file; one-line error if it is not one.

    Loading is weights-only (mmengine's classes are allow-listed by :mod:`vsgt.compat`) and
    memory-mapped, so it is cheap even for large files.

    Args:
        path: local checkpoint file.
        keys: where the state dict may sit, in order of preference; a file without any of them
            must be a state dict itself.

    Returns:
        The state dict, without a ``module.`` prefix (left by a data-parallel wrapper).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint not found: {path}')
    try:
        # timm's training script pickles its argparse options next to the weights.
        with torch.serialization.safe_globals([argparse.Namespace]):
            checkpoint = torch.load(path, map_location='cpu', weights_only=True, mmap=True)
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f'cannot read checkpoint {path}: {reason}') from exc
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
