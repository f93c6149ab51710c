"""Pretrained weights for SGFormer3D: 2D SG-Former ImageNet checkpoints, inflated to 3D, and
the backbones of video models (e.g. a Kinetics-400 ``Recognizer3D``).

From a config, set the backbone's ``init_cfg`` (applied by ``init_weights``)::

    backbone=dict(type='mmaction.SGFormer3D', arch='small',
                  init_cfg=dict(type='InflateSGFormer2D', checkpoint='checkpoints/sgformer_s.pth'))
    backbone=dict(type='mmaction.SGFormer3D', arch='small',
                  init_cfg=dict(type='PretrainedBackbone', checkpoint='checkpoints/k400.pth'))

From a script, call :func:`load_sgformer_2d` or :func:`load_pretrained_backbone`.

Checkpoints are read weights-only from local files. A tensor whose shape differs from the
model's stops the load with the key and both shapes; keys found on one side only are reported in
one summary, and missing ones keep their initialisation.
"""
import logging
import re
from collections import Counter
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model.weight_init import update_init_info
from mmengine.registry import WEIGHT_INITIALIZERS
from torch import Tensor

from vsgt.utils.checkpoint import StateDict, read_state_dict

SGFORMER_2D_STATE_KEYS = ('state_dict_ema', 'state_dict', 'model')
# 2D-only tensors: the absolute position embedding of the 224x224 grid and the classifier.
SGFORMER_2D_DROPPED = re.compile(r'(pos_embed|head\..+)')

_CONV_NORM = {'c': 'conv', 'bn': 'norm'}
_BLOCK_NAMES = {
    'norm1': 'norm1',
    'norm2': 'norm2',
    'mlp.fc1': 'mlp.fc1',
    'mlp.fc2': 'mlp.fc2',
    'mlp.dwconv.dwconv': 'mlp.dwconv.conv',
    'attn.proj': 'attn.proj',
    'attn.lepe_linear': 'attn.lepe.linear',
    'attn.lepe_conv': 'attn.lepe.conv.conv',
}
_ATTENTION_NAMES = {
    'hybrid': {'q1': 'q_global', 'kv1': 'kv_global', 'q2': 'q_local', 'kv2': 'kv_local',
               'sr': 'reduce', 'norm': 'reduce_norm'},
    'guided': {'q': 'q', 'kv1': 'kv_thw', 'kv2': 'kv_twh', 'f1': 'merges.0', 'f2': 'merges.1',
               'f3': 'merges.2'},
    'global': {'q': 'q', 'kv': 'kv'},
}
_MAX_GROUPS = 12


def sgformer_2d_key_to_3d(key: str) -> Optional[str]:
    """Name in :class:`SGFormer3D` of a tensor of the public 2D SG-Former, None if it has none.

    The 2D blocks alternate like the 3D ones: in stages 1-3 even blocks are hybrid-scale and odd
    blocks significance-guided; stage 4 attends globally.
    """
    module, _, param = key.rpartition('.')
    match = re.fullmatch(r'patch_embed1\.conv\.([024])\.(c|bn)', module)
    if match:
        return f'stages.0.entry.conv{int(match[1]) // 2 + 1}.{_CONV_NORM[match[2]]}.{param}'
    if module == 'patch_embed1.norm':
        return f'stages.0.entry.norm.{param}'
    match = re.fullmatch(r'patch_embed([234])\.conv([123])\.(c|bn)', module)
    if match:
        return f'stages.{int(match[1]) - 1}.entry.conv{match[2]}.{_CONV_NORM[match[3]]}.{param}'
    match = re.fullmatch(r'norm([1-4])', module)
    if match:
        return f'stages.{int(match[1]) - 1}.norm.{param}'
    match = re.fullmatch(r'block([1-4])\.(\d+)\.(.+)', module)
    if not match:
        return None
    stage, index, name = int(match[1]) - 1, int(match[2]), match[3]
    if name in _BLOCK_NAMES:
        return f'stages.{stage}.blocks.{index}.{_BLOCK_NAMES[name]}.{param}'
    kind = 'global' if stage == 3 else ('hybrid' if index % 2 == 0 else 'guided')
    attn, _, attn_name = name.partition('.')
    if attn != 'attn' or attn_name not in _ATTENTION_NAMES[kind]:
        return None
    return f'stages.{stage}.blocks.{index}.attn.{_ATTENTION_NAMES[kind][attn_name]}.{param}'


def inflate_sgformer_2d(state_dict: Mapping[str, Tensor], target: Mapping[str, Tensor]
                        ) -> Tuple[StateDict, Dict[str, str], List[str]]:
    """Rename a 2D SG-Former state dict to the 3D layout and inflate its conv kernels.

    A (O, I, kh, kw) kernel whose 3D counterpart in ``target`` is (O, I, kt, kh, kw) is repeated
    kt times over time and divided by kt, so a temporally constant input gives the 2D response.

    Args:
        state_dict: 2D SG-Former tensors.
        target: the 3D model's state dict (gives the temporal kernel sizes).

    Returns:
        The 3D state dict (2D keys without a 3D name keep their name), its 3D -> 2D key names,
        and the 2D-only keys left out (``pos_embed``, ``head.*``).
    """
    converted, origins, dropped = {}, {}, []
    for key, value in state_dict.items():
        if SGFORMER_2D_DROPPED.fullmatch(key):
            dropped.append(key)
            continue
        new_key = sgformer_2d_key_to_3d(key) or key
        expected = target.get(new_key)
        if expected is not None and value.dim() == 4 and expected.dim() == 5:
            kernel_t = expected.shape[2]
            value = value.unsqueeze(2).repeat(1, 1, kernel_t, 1, 1) / kernel_t
        converted[new_key] = value
        origins[new_key] = key
    return converted, origins, dropped


def _group_keys(keys: Sequence[str]) -> str:
    """Compact listing: numeric parts become ``*``, repeats are counted."""
    counts = Counter(re.sub(r'(?<=\.)\d+(?=\.|$)', '*', key) for key in keys)
    groups = [name if n == 1 else f'{name} (x{n})' for name, n in sorted(counts.items())]
    if len(groups) > _MAX_GROUPS:
        groups = groups[:_MAX_GROUPS] + [f'... {len(groups) - _MAX_GROUPS} more groups']
    return ', '.join(groups)


def load_checked_state_dict(module: nn.Module, state_dict: Mapping[str, Tensor], source: str,
                            ignored: Sequence[str] = (), ignored_reason: str = 'left out',
                            origins: Optional[Mapping[str, str]] = None
                            ) -> Tuple[List[str], List[str]]:
    """Load ``state_dict`` into ``module`` non-strictly, refusing any shape mismatch.

    Logs one summary: how many tensors were loaded, and the missing (kept as initialised),
    unexpected and ``ignored`` keys, grouped.

    Args:
        module: model to load into.
        state_dict: tensors named as in ``module``.
        source: what the tensors come from, for messages (e.g. the checkpoint path).
        ignored: checkpoint keys left out before loading, reported as such.
        ignored_reason: why they were left out.
        origins: checkpoint key of each ``state_dict`` key, where they differ, for messages.

    Returns:
        The missing and the unexpected keys.
    """
    own = module.state_dict()
    origins = origins or {}
    for key, value in state_dict.items():
        if key in own and value.shape != own[key].shape:
            name = key if origins.get(key, key) == key else f'{origins[key]} -> {key}'
            raise ValueError(f'{source}: shape mismatch for {name}: checkpoint '
                             f'{tuple(value.shape)}, model {tuple(own[key].shape)}')
    if not any(key in own for key in state_dict):
        raise ValueError(f'{source}: none of its {len(state_dict)} tensors is named like a '
                         f'tensor of {type(module).__name__} (wrong checkpoint or prefix?)')
    missing, unexpected = module.load_state_dict(state_dict, strict=False)
    parts = [f'loaded {len(own) - len(missing)}/{len(own)} tensors of {type(module).__name__} '
             f'from {source}']
    for keys, label in ((missing, 'missing (kept as initialised)'),
                        (unexpected, 'unexpected (not loaded)'),
                        (ignored, f'ignored ({ignored_reason})')):
        if keys:
            parts.append(f'{len(keys)} {label}: {_group_keys(keys)}')
    print_log('; '.join(parts), logger='current',
              level=logging.WARNING if missing or unexpected else logging.INFO)
    return missing, unexpected


def load_sgformer_2d(backbone: nn.Module, checkpoint: str) -> Tuple[List[str], List[str]]:
    """Initialise an SGFormer3D from a 2D SG-Former ImageNet checkpoint.

    Reads ``state_dict_ema`` (else ``state_dict``, ``model`` or the bare file), renames the tensors
    (:func:`sgformer_2d_key_to_3d`), inflates the conv kernels (:func:`inflate_sgformer_2d`) and
    drops the 2D position embedding and classifier. Returns the missing and unexpected keys.
    """
    state_dict = read_state_dict(checkpoint, SGFORMER_2D_STATE_KEYS)
    converted, origins, dropped = inflate_sgformer_2d(state_dict, backbone.state_dict())
    return load_checked_state_dict(backbone, converted, f'{checkpoint} (2D SG-Former)',
                                   ignored=dropped, ignored_reason='2D only',
                                   origins=origins)


def load_pretrained_backbone(backbone: nn.Module, checkpoint: str,
                             prefix: Optional[str] = 'backbone.') -> Tuple[List[str], List[str]]:
    """Load the ``prefix`` part of an mmengine checkpoint, e.g. the backbone of a Kinetics-400
    ``Recognizer3D``, into ``backbone``; keys outside ``prefix`` (the head) are ignored.

    ``prefix=None`` loads the whole ``state_dict``. Returns the missing and unexpected keys.
    """
    state_dict = read_state_dict(checkpoint)
    ignored = []
    if prefix:
        ignored = [k for k in state_dict if not k.startswith(prefix)]
        state_dict = {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}
        if not state_dict:
            raise ValueError(f'checkpoint {checkpoint} has no key starting with {prefix!r}')
    return load_checked_state_dict(backbone, state_dict, checkpoint, ignored=ignored,
                                   ignored_reason=f'outside {prefix!r}')


class _CheckpointInit:
    """Base of the checkpoint initializers: load, then record it in mmengine's init info."""

    def __init__(self, checkpoint: str):
        self.checkpoint = checkpoint

    def load(self, module: nn.Module):
        raise NotImplementedError

    def __call__(self, module: nn.Module):
        self.load(module)
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())

    def _get_init_info(self) -> str:
        return f'{type(self).__name__}: load from {self.checkpoint}'


@WEIGHT_INITIALIZERS.register_module(name='InflateSGFormer2D')
class InflateSGFormer2DInit(_CheckpointInit):
    """``init_cfg=dict(type='InflateSGFormer2D', checkpoint=...)``: see :func:`load_sgformer_2d`.

    Args:
        checkpoint: local 2D SG-Former checkpoint file.
    """

    def load(self, module: nn.Module):
        load_sgformer_2d(module, self.checkpoint)


@WEIGHT_INITIALIZERS.register_module(name='PretrainedBackbone')
class PretrainedBackboneInit(_CheckpointInit):
    """``init_cfg=dict(type='PretrainedBackbone', checkpoint=..., prefix='backbone.')``: see
    :func:`load_pretrained_backbone`.

    Args:
        checkpoint: local mmengine checkpoint file.
        prefix: part of the checkpoint to load; None loads all of it.
    """

    def __init__(self, checkpoint: str, prefix: Optional[str] = 'backbone.'):
        super().__init__(checkpoint)
        self.prefix = prefix

    def load(self, module: nn.Module):
        load_pretrained_backbone(module, self.checkpoint, self.prefix)
