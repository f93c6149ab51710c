"""Convert a checkpoint of the official AFSD code (``TencentYoutuResearch/ActionDetection-AFSD``)
or GAF code (``Generative-Feature-Model/GAF``), or their I3D weights, into this project's layout.

``python projects/gaf/tools/convert_official_checkpoint.py OFFICIAL OUT
[--config projects/gaf/configs/afsd_thumos14-rgb.py]``

``OFFICIAL`` is either what the official ``train.py`` saves (the ``BDNet`` state dict,
``checkpoint-<epoch>.ckpt``, keys ``coarse_pyramid_detection.*`` and ``backbone._model.*``; a
``module.`` prefix of ``DataParallel`` is removed), e.g. the released THUMOS14 RGB
``checkpoint-15.ckpt`` and flow ``checkpoint-16.ckpt``; GAF's ``train.py`` saves the same plus its
attention heads (``deconv1/2``, ``Att_Head_5c/4f``; convert with ``--config
projects/gaf/configs/gaf_thumos14-rgb.py``) but not its CVAE, whose tensors are then taken from
the model's initialisation (testing does not use them; the tool says so); or the I3D weights the official code
starts from (``rgb_imagenet.pt`` / ``flow_imagenet.pt``, the ``InceptionI3d`` keys): then only
the backbone is converted (its Kinetics classifier ``logits.*`` is not part of the detector and
is dropped) and ``OUT`` initialises ``model.backbone`` (``init_cfg=dict(type='Pretrained',
checkpoint=OUT, prefix='backbone.')``). Read weights-only: no code in the file runs. Every
official tensor is renamed by :data:`RULES` and checked against the model of ``--config``: an
unknown key, or a tensor whose shape does not fit, stops the conversion with one line naming the
key and both shapes; nothing is written then. A whole-model ``OUT`` (an mmengine checkpoint,
written atomically) is tested with ``tools/test.py CONFIG OUT``.
"""
import argparse
import re
from typing import Callable, Dict, List, Optional, Tuple, Union

import torch
from mmengine.config import Config

from vsgt.evaluation.functional.formats import atomic_write
from vsgt_projects.gaf.gaf.official_keys_gaf import GAF_RULES, NOT_IN_CHECKPOINT
from vsgt.utils.checkpoint import read_state_dict
from vsgt.utils.launch import run_cli

DEFAULT_CONFIG = 'projects/gaf/configs/afsd_thumos14-rgb.py'
DETECTOR = 'coarse_pyramid_detection'
BACKBONE = 'backbone._model.'
BRANCH = dict(cur_point_conv='point', lr_conv='boundary', roi_conv='frame',
              proposal_conv='fuse')
# One rule per official tensor family: a regular expression over the official key and our key
# (a template filled with the named groups, or a function of the match). ``name[i]`` is element
# ``i`` of our 1-D tensor ``name``; None drops the tensor (with the reason in DROPPED).
Target = Union[str, Callable[[re.Match], str], None]
RULES: List[Tuple[str, Target]] = [
    (rf'{DETECTOR}\.pyramids\.(?P<i>[01])\.0\.conv3d\.(?P<p>weight|bias)', 'lateral.{i}.0.{p}'),
    (rf'{DETECTOR}\.pyramids\.(?P<i>[01])\.1\.(?P<p>weight|bias)', 'lateral.{i}.1.{p}'),
    (rf'{DETECTOR}\.pyramids\.(?P<i>\d+)\.(?P<m>0\.conv1d|1)\.(?P<p>weight|bias)',
     lambda m: f"downsample.{int(m['i']) - 2}.{m['m'][0]}.{m['p']}"),
    (rf'{DETECTOR}\.(?P<h>loc|conf)_tower\.(?P<i>\d+)\.(?P<m>0\.conv1d|1)\.(?P<p>weight|bias)',
     lambda m: f"{m['h']}_tower.{m['i']}.{m['m'][0]}.{m['p']}"),
    (rf'{DETECTOR}\.(?P<h>loc|conf|prop_loc|prop_conf)_head\.conv1d\.(?P<p>weight|bias)',
     '{h}_head.{p}'),
    (rf'{DETECTOR}\.center_head\.conv1d\.(?P<p>weight|bias)', 'quality_head.{p}'),
    (rf'{DETECTOR}\.(?P<h>loc|conf)_proposal_branch\.(?P<b>{"|".join(BRANCH)})\.'
     r'(?P<m>0\.conv1d|1)\.(?P<p>weight|bias)',
     lambda m: f"{m['h']}_branch.{BRANCH[m['b']]}.{m['m'][0]}.{m['p']}"),
    (rf'{DETECTOR}\.deconv\.(?P<i>[0-8])\.(?:conv1d\.)?(?P<p>weight|bias)',
     lambda m: f"frame_branch.{int(m['i']) // 3}.{int(m['i']) % 3}.{m['p']}"),
    (rf'{DETECTOR}\.loc_heads\.(?P<i>\d+)\.scale', 'loc_scales[{i}]'),
    (rf'{BACKBONE}logits\.conv3d\.(?:weight|bias)', None),
    (rf'{BACKBONE}(?P<k>.+)', 'backbone.{k}'),
] + GAF_RULES
DROPPED = 'the Kinetics classifier of the I3D weights, not part of the detector'


def official_to_ours(key: str) -> Optional[str]:
    """Our name of the official tensor ``key`` (None: dropped); KeyError when no rule holds."""
    for pattern, target in RULES:
        match = re.fullmatch(pattern, key)
        if match:
            if target is None or callable(target):
                return target if target is None else target(match)
            return target.format(**match.groupdict())
    raise KeyError(f'official key {key} has no counterpart in this AFSD / GAF')


def convert(official: Dict[str, torch.Tensor], model: torch.nn.Module,
            backbone_only: bool = False
            ) -> Tuple[Dict[str, torch.Tensor], List[str], List[str]]:
    """Our state dict of ``model`` from the official one (``module.`` already stripped), the
    official keys dropped, and our keys taken from the model's initialisation. Every official
    tensor must land on a model tensor of the same shape, and every model tensor (the
    backbone's with ``backbone_only``) must be filled, except BN's ``num_batches_tracked``
    counters, which older files lack (they start at 0), and GAF's CVAE when the file holds none
    of it (:data:`NOT_IN_CHECKPOINT`: the model's initial values)."""
    expected = model.state_dict()
    converted: Dict[str, torch.Tensor] = {}
    elements: Dict[str, Dict[int, torch.Tensor]] = {}
    dropped = []
    for key, value in official.items():
        ours = official_to_ours(key)
        if ours is None:
            dropped.append(key)
            continue
        index = None
        element = re.fullmatch(r'(.+)\[(\d+)\]', ours)
        if element:
            ours, index = element[1], int(element[2])
        if ours not in expected:
            raise KeyError(f'official key {key} maps to {ours}, which the model of this config '
                           'does not have (another num_levels or backbone?)')
        target = expected[ours]
        if index is not None:
            if target.dim() != 1 or index >= len(target) or value.numel() != 1:
                raise ValueError(f'official key {key} has shape {tuple(value.shape)}, but element '
                                 f'{index} of {ours} in the model of this config has shape '
                                 f'{tuple(target.shape)}[{index}]')
            if index in elements.setdefault(ours, {}):
                raise KeyError(f'official key {key}: {ours}[{index}] is filled twice')
            elements[ours][index] = value.reshape(())
            continue
        if value.shape != target.shape:
            raise ValueError(f'official key {key} has shape {tuple(value.shape)}, but {ours} in '
                             f'the model of this config has shape {tuple(target.shape)}')
        if ours in converted:
            raise KeyError(f'official key {key}: {ours} is filled twice')
        converted[ours] = value.detach().clone().contiguous()
    for ours, parts in elements.items():
        if len(parts) != len(expected[ours]):
            missing = min(set(range(len(expected[ours]))) - set(parts))
            raise KeyError(f'the official checkpoint leaves {ours}[{missing}] unfilled')
        converted[ours] = torch.stack([parts[i] for i in range(len(parts))]).to(
            expected[ours].dtype)
    for key, value in expected.items():
        if key not in converted and key.endswith('num_batches_tracked'):
            converted[key] = torch.zeros_like(value)
    initial = []
    if not backbone_only and not any(key.startswith(NOT_IN_CHECKPOINT) for key in converted):
        initial = [key for key in expected if key.startswith(NOT_IN_CHECKPOINT)]
        converted.update({key: expected[key].detach().clone() for key in initial})
    wanted = [key for key in expected if not backbone_only or key.startswith('backbone.')]
    missing = [key for key in wanted if key not in converted]
    if missing:
        raise KeyError(f'the official checkpoint leaves {len(missing)} tensors of the model '
                       f'unfilled, e.g. {missing[0]}')
    return {key: converted[key] for key in wanted}, dropped, initial


def read_official(path: str) -> Tuple[Dict[str, torch.Tensor], bool]:
    """The official tensors of ``path`` under BDNet's names, and whether the file holds the I3D
    weights only (their keys then get BDNet's ``backbone._model.`` prefix)."""
    official = read_state_dict(path)
    if any(key.startswith((DETECTOR + '.', BACKBONE)) for key in official):
        return official, False
    return {BACKBONE + key: value for key, value in official.items()}, True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('official', help='official checkpoint (checkpoint-15.ckpt, '
                        'rgb_imagenet.pt, ...)')
    parser.add_argument('out', help='the converted mmengine checkpoint to write')
    parser.add_argument('--config', default=DEFAULT_CONFIG,
                        help='the config whose model the checkpoint is for')
    args = parser.parse_args(argv)
    from mmaction.registry import MODELS
    from mmengine.registry import init_default_scope

    import vsgt_projects.gaf.gaf  # noqa: F401  (registers AFSD)
    official, backbone_only = read_official(args.official)
    cfg = Config.fromfile(args.config)
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    state_dict, dropped, initial = convert(official, MODELS.build(cfg.model), backbone_only)
    if dropped:
        names = [key[len(BACKBONE):] if backbone_only else key for key in dropped]
        print(f'dropped {len(dropped)} official tensors ({", ".join(names)}): {DROPPED}')
    if initial:
        print(f'{len(initial)} tensors of the model ({", ".join(NOT_IN_CHECKPOINT)}*) are not in '
              'official checkpoints (train.py does not save the CVAE): taken from the '
              "model's initialisation; testing does not use them")
    checkpoint = dict(meta=dict(converted_from=args.official, backbone_only=backbone_only),
                      state_dict=state_dict)
    atomic_write(args.out, lambda file: torch.save(checkpoint, file))
    what = 'backbone weights, load with the prefix backbone.' if backbone_only else 'model'
    print(f'wrote {args.out} ({len(official) - len(dropped)} of {len(official)} official tensors '
          f'mapped onto {len(state_dict)} tensors of the {what})')


if __name__ == '__main__':
    run_cli(main)
