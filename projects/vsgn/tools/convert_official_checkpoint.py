"""Convert a checkpoint of the official VSGN code (``coolbay/VSGN``) into this project's layout.

``python projects/vsgn/tools/convert_official_checkpoint.py OFFICIAL OUT
[--config projects/vsgn/configs/vsgn_thumos14-tsn-1280.py]``

``OFFICIAL`` is what the official ``Train.py`` saves (``{'state_dict': ..., 'epoch', 'optimizer'}``,
keys with the ``module.`` prefix of ``DataParallel``), e.g. the released THUMOS14
``best.pth.tar``, or a bare state dict, with or without the prefix. Read weights-only: no code in
the file runs. Every official tensor is renamed (:func:`official_to_ours`) and checked against
the model of ``--config``: an unknown key, or a tensor whose shape does not fit, stops the
conversion with one line naming the key and both shapes. ``OUT`` (an mmengine checkpoint,
written atomically) is then tested with ``tools/test.py CONFIG OUT``.
"""
import argparse
import re
from typing import Dict

import torch
from mmengine.config import Config

from vsgt.evaluation.functional.formats import atomic_write
from vsgt.utils.checkpoint import read_state_dict
from vsgt.utils.launch import run_cli

DEFAULT_CONFIG = 'projects/vsgn/configs/vsgn_thumos14-tsn-1280.py'
SEQUENTIAL = r'(\d+)\.(weight|bias)'
FIXED = {  # official module -> ours; the index inside each nn.Sequential is the same
    'xGPN.conv0': 'xgpn.stem',
    'head_dec.cls_tower': 'head.cls_tower',
    'head_dec.bbox_tower': 'head.reg_tower',
    'bd_adjust.start_conv': 'adjust.start',
    'bd_adjust.end_conv': 'adjust.end',
    'head_actionness': 'scoring.action',
    'head_startness': 'scoring.start',
    'head_endness': 'scoring.end',
}


def official_to_ours(key: str, num_levels: int) -> str:
    """Our name of the official tensor ``key`` (without ``module.``) in a model of
    ``num_levels`` pyramid levels.

    The official decoder lists its blocks coarsest first (``levels1.0`` on the coarsest encoder
    level, then ``levels2.i``, ``levels_dec.i``, ``levels1.{i+1}`` for decoder step ``i``); ours
    are indexed by level, finest first, so step ``i`` is level ``num_levels - 2 - i``.
    """
    for official, ours in FIXED.items():
        match = re.fullmatch(re.escape(official) + r'\.' + SEQUENTIAL, key)
        if match:
            return f'{ours}.{match[1]}.{match[2]}'
    match = re.fullmatch(r'head_dec\.(cls_logits|bbox_pred)\.(weight|bias)', key)
    if match:
        return f"head.{dict(cls_logits='cls', bbox_pred='reg')[match[1]]}.{match[2]}"
    match = re.fullmatch(r'xGPN\.levels_enc\.(\d+)\.(tconv1|nconv1\.mlp|0)\.(weight|bias)', key)
    if match:
        part = dict(tconv1='conv', **{'nconv1.mlp': 'graph.mlp', '0': 'conv'})[match[2]]
        return f'xgpn.encoder.{match[1]}.{part}.{match[3]}'
    match = re.fullmatch(r'xGPN\.(levels_dec|levels1|levels2)\.(\d+)\.' + SEQUENTIAL, key)
    if match:
        block, step, name = match[1], int(match[2]), f'{match[3]}.{match[4]}'
        if block == 'levels1' and step == 0:
            return f'xgpn.lateral.{num_levels - 1}.{name}'
        if block == 'levels1':
            return f'xgpn.fuse.{num_levels - 1 - step}.{name}'
        ours = dict(levels_dec='up', levels2='lateral')[block]
        return f'xgpn.{ours}.{num_levels - 2 - step}.{name}'
    raise KeyError(f'official key {key} has no counterpart in this VSGN')


def convert(official: Dict[str, torch.Tensor], model: torch.nn.Module) -> Dict[str, torch.Tensor]:
    """Our state dict of ``model`` from the official one (``module.`` already stripped); every
    official tensor must land on a model tensor of the same shape, and every model tensor must
    be filled."""
    expected = model.state_dict()
    converted = {}
    for key, value in official.items():
        ours = official_to_ours(key, model.xgpn.num_levels)
        if ours not in expected:
            raise KeyError(f'official key {key} maps to {ours}, which the model of this config '
                           'does not have (another num_levels or use_xgpn?)')
        if value.shape != expected[ours].shape:
            raise ValueError(f'official key {key} has shape {tuple(value.shape)}, but {ours} in '
                             f'the model of this config has shape {tuple(expected[ours].shape)}')
        if ours in converted:
            raise KeyError(f'official key {key}: {ours} is filled twice')
        converted[ours] = value.detach().clone().contiguous()
    missing = [key for key in expected if key not in converted]
    if missing:
        raise KeyError(f'the official checkpoint leaves {len(missing)} tensors of the model '
                       f'unfilled, e.g. {missing[0]}')
    return converted


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('official', help='official checkpoint (e.g. best.pth.tar)')
    parser.add_argument('out', help='the converted mmengine checkpoint to write')
    parser.add_argument('--config', default=DEFAULT_CONFIG,
                        help='the config whose model the checkpoint is for')
    args = parser.parse_args(argv)
    from mmaction.registry import MODELS
    from mmengine.registry import init_default_scope

    import vsgt_projects.vsgn.vsgn  # noqa: F401  (registers VSGN)
    official = read_state_dict(args.official)
    cfg = Config.fromfile(args.config)
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    state_dict = convert(official, MODELS.build(cfg.model))
    checkpoint = dict(meta=dict(converted_from=args.official), state_dict=state_dict)
    atomic_write(args.out, lambda file: torch.save(checkpoint, file))
    print(f'wrote {args.out} ({len(state_dict)} of {len(official)} official tensors mapped)')


if __name__ == '__main__':
    run_cli(main)
