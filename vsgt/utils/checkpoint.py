"""Checkpoint checks with one-line errors."""
import os
import os.path as osp

import torch


def check_checkpoint(path):
    """Return the state dict of ``path``; raise a one-line error unless it is a readable
    checkpoint holding weights.

    Loading is weights-only (mmengine's classes are allow-listed by :mod:`vsgt.compat`) and
    memory-mapped, so the check is cheap even for large files.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint not found: {path}')
    try:
        checkpoint = torch.load(path, map_location='cpu', weights_only=True, mmap=True)
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f'cannot read checkpoint {path}: {reason}') from exc
    weights = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else None
    if not isinstance(weights, dict) or not any(torch.is_tensor(v) for v in weights.values()):
        raise ValueError(f'checkpoint {path} holds no state_dict of tensors')
    return weights


def check_checkpoint_fits(model, path, max_listed=3):
    """Raise a one-line error unless the weights in ``path`` match ``model`` key for key.

    For evaluation: a checkpoint that leaves parameters at random values would give numbers
    that are not the model's.
    """
    weights = {key.removeprefix('module.'): value for key, value in check_checkpoint(path).items()}
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
    """Save the freshly initialised model of ``cfg`` (seeded as its training starts).

    Gives the "untrained" reference a trained checkpoint is compared with.
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
