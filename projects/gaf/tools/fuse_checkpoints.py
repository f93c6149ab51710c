"""Join an RGB and a flow checkpoint into one for a two-stream fusion config.

``python projects/gaf/tools/fuse_checkpoints.py CONFIG RGB_CKPT FLOW_CKPT OUT [--cfg-options ...]``

``CONFIG``'s model must be a ``TwoStreamFusion`` (e.g. ``gaf_thumos14-i3d-twostream.py``); each
checkpoint must fit its stream key for key (else one line names the checkpoint and the key).
``OUT`` (written atomically) is then tested with ``tools/test.py CONFIG OUT``.
"""
import argparse


def parse_args(argv=None):
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('config', help='a two-stream fusion config')
    parser.add_argument('rgb', help='checkpoint of the RGB stream')
    parser.add_argument('flow', help='checkpoint of the flow stream')
    parser.add_argument('out', help='the joined checkpoint to write')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config entries')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    import torch
    from mmaction.registry import MODELS
    from mmengine.registry import init_default_scope

    from vsgt_projects.gaf.gaf import join_stream_checkpoints
    from vsgt.apis.inference import load_model_config
    from vsgt.evaluation.functional.formats import atomic_write
    cfg = load_model_config(args.config, args.cfg_options)
    if cfg.model.get('type') != 'TwoStreamFusion':
        raise ValueError(f'{args.config}: model type is {cfg.model.get("type")!r}, expected '
                         "'TwoStreamFusion'")
    init_default_scope(cfg.get('default_scope', 'mmaction'))
    model = MODELS.build(cfg.model)
    state_dict = join_stream_checkpoints(model, dict(rgb=args.rgb, flow=args.flow))
    checkpoint = dict(meta=dict(fused_from=dict(rgb=args.rgb, flow=args.flow)),
                      state_dict=state_dict)
    atomic_write(args.out, lambda file: torch.save(checkpoint, file))
    print(f'wrote {args.out} ({len(state_dict)} tensors)')


if __name__ == '__main__':
    parse_args()  # --help and bad flags answer before the heavy imports
    from vsgt.utils.launch import run_cli
    run_cli(main)
