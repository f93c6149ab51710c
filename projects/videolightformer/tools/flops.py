"""fvcore FLOPs of a 2D-recognizer config against TSN on the same ResNet, for one clip.

``python projects/videolightformer/tools/flops.py CONFIG [--shape T H W] [--cfg-options ...]``

TSN: mmaction2's ``ResNet`` of the config's depth with a ``TSNHead``; both counted on one
(1, T, 3, H, W) clip, backbone and head as at test time (fvcore: one multiply-add is one FLOP).
"""
import argparse
import os.path as osp
import sys

import torch
from mmengine.config import DictAction
from mmengine.registry import init_default_scope

from vsgt.apis.inference import load_model_config
from vsgt.utils.flops import count_flops
from vsgt.utils.launch import run_cli

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from benchmark import Recognizer2DForFlops  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--shape', type=int, nargs=3, metavar=('T', 'H', 'W'),
                        help="clip size; default: the head's num_segments, 224, 224")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config entries')
    args = parser.parse_args(argv)
    cfg = load_model_config(args.config, args.cfg_options)
    init_default_scope('mmaction')
    from mmaction.registry import MODELS
    cfg.model.backbone.pretrained = None
    model = MODELS.build(cfg.model)
    backbone = cfg.model.backbone
    tsn = MODELS.build(dict(
        type='Recognizer2D', backbone=dict(type='ResNet', depth=backbone.depth),
        cls_head=dict(type='TSNHead', num_classes=model.cls_head.num_classes,
                      in_channels=model.cls_head.in_channels)))
    frames, height, width = args.shape or (model.cls_head.num_segments, 224, 224)
    clip = torch.randn(1, frames, 3, height, width)
    flops, _ = count_flops(Recognizer2DForFlops(model), clip)
    tsn_flops, _ = count_flops(Recognizer2DForFlops(tsn), clip)
    head = sum(p.numel() for p in model.cls_head.parameters())
    print(f'{osp.basename(args.config)} on {frames}x{height}x{width}: {flops / 1e9:.2f} GFLOPs, '
          f'TSN-R{backbone.depth} {tsn_flops / 1e9:.2f} GFLOPs (x{flops / tsn_flops:.3f}); '
          f'head {head / 1e6:.2f} M parameters, model '
          f'{sum(p.numel() for p in model.parameters()) / 1e6:.2f} M')


if __name__ == '__main__':
    run_cli(main)
