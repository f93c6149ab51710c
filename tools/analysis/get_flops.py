"""Parameters and FLOPs of a config's model: ``python tools/analysis/get_flops.py CONFIG``.

Counts, with fvcore, one forward pass of the whole model on one clip (a detector: backbone +
RoI head on ``--num-boxes`` person boxes spread across the frame; a recognizer: backbone + cls
head) and of its backbone alone, and prints a per-module table of the whole model (``--depth``
levels) and the backbone's FLOPs by operator. One multiply-add counts as one FLOP (mmaction2's
and the papers' convention); ``scaled_dot_product_attention`` is counted (both matrix products).
The operators fvcore has no handle for (mostly element-wise ones, left out by convention) are
listed as not counted.

    python tools/analysis/get_flops.py configs/detection/vsgt/vsgt-s_k400-pre_8xb2-amp-32x2x1-20e_hia-rgb.py
    python tools/analysis/get_flops.py configs/synthetic/vsgt-tiny_synthetic.py --shape 8 96 128
"""  # noqa: E501
import argparse
import warnings


DEFAULT_SIZE = (224, 224)


def parse_args(argv=None):
    from mmengine.config import DictAction
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config file')
    parser.add_argument('--shape', type=int, nargs='+', metavar='N',
                        help='clip shape C T H W or T H W (C = 3); default: 3, the test '
                        f'pipeline\'s clip_len, {DEFAULT_SIZE[0]}, {DEFAULT_SIZE[1]}')
    parser.add_argument('--num-boxes', type=int, default=8,
                        help='person boxes the RoI head of a detector runs on')
    parser.add_argument('--depth', type=int, default=3, help='depth of the per-module table')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config entries')
    return parser.parse_args(argv)


def clip_shape(cfg, shape):
    """(C, T, H, W) from ``--shape`` or the config."""
    from vsgt.apis.inference import clip_sampling, test_pipeline
    if shape is None:
        return (3, clip_sampling(test_pipeline(cfg))['clip_len'], *DEFAULT_SIZE)
    if len(shape) not in (3, 4) or min(shape) < 1:
        raise ValueError(f'--shape takes C T H W or T H W (positive), got {shape}')
    return tuple(shape) if len(shape) == 4 else (3, *shape)


def human(value: float) -> str:
    for unit, scale in (('G', 1e9), ('M', 1e6), ('K', 1e3)):
        if value >= scale:
            return f'{value / scale:.3f} {unit}'
    return f'{value:.0f}'


def main(argv=None):
    args = parse_args(argv)
    import torch
    from fvcore.nn import flop_count_table
    from vsgt.apis.inference import build_model, load_model_config
    from vsgt.utils.flops import flop_analysis, model_for_flops
    if args.depth < 0:
        raise ValueError(f'--depth must be >= 0, got {args.depth}')
    cfg = load_model_config(args.config, args.cfg_options)
    shape = clip_shape(cfg, args.shape)
    model = build_model(cfg)
    wrapped = model_for_flops(model, shape, args.num_boxes)
    analysis = flop_analysis(wrapped, (torch.randn(1, *shape), ))
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter('ignore')
        total = analysis.total()
    if getattr(model, 'roi_head', None) is not None:
        whole = f'detector: backbone + RoI head on {args.num_boxes} person boxes'
    else:
        whole = 'recognizer: backbone + cls head'
    on_boxes = ' (given the person boxes)' if getattr(model.backbone, 'pae', None) else ''
    rows = [(whole, model, total),
            (f'backbone{on_boxes}', model.backbone, analysis.by_module()['model.backbone'])]
    table = flop_count_table(analysis, max_depth=args.depth, show_param_shapes=False)
    print(f'{args.config}\ninput: one clip of {" x ".join(map(str, (1, *shape)))} (N x C x T x '
          'H x W); FLOPs: fvcore, one multiply-add = one FLOP\n')
    print('| part | params | FLOPs |\n|---|---|---|')
    for description, module, flops in rows:
        params = sum(p.numel() for p in module.parameters())
        print(f'| {description} | {human(params)} | {human(flops)}FLOPs |')
    print(f'\nper module (depth {args.depth}), whole model:\n{table}\n')
    by_operator = analysis.by_module_and_operator()['model.backbone']
    print('backbone by operator: ' + ', '.join(
        f'{op} {human(flops)}FLOPs' for op, flops in by_operator.most_common()) + '\n')
    listed = ', '.join(f'{op} x{count}' for op, count in sorted(analysis.unsupported_ops().items()))
    print(f'not counted (no fvcore handle; mostly element-wise operators, which FLOP counts '
          f'leave out by convention): {listed or "none"}')


if __name__ == '__main__':
    parse_args()  # --help and bad flags answer before the heavy imports
    from vsgt.utils.launch import run_cli
    run_cli(main)
