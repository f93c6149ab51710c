"""GAF against AFSD and VSGN (and ActionFormer) on the 'clutter' synthetic TAL set.

``python projects/gaf/tools/benchmark.py [--seeds 0 1] [--iters 150] [--models AFSD GAF VSGN]
[--actionformer DIR] [--work-dir DIR]``

Every model trains with the same data, seeds, iterations, batches and detector optimizer /
schedule (``afsd_synthetic.py``'s; GAF's CVAE has its own optimizer) in this process, with
mmengine's Runner as tools/train.py builds it, and is scored on the validation videos with
``TALDetectionMetric``: mAP at tIoU 0.3:0.1:0.7 and their mean, AP on short actions (<= 8
steps, tIoU 0.5), training and inference time (model forward and post-processing of the
validation windows, one at a time), parameters and FLOPs (fvcore, one window; the boundary
pooling's gathers and VSGN's kNN search are not counted) as ratios to AFSD. For GAF also the
mean attention on the label-carrying channels (0-15) and on the clutter channels (16-31)
inside the ground-truth actions of the validation windows, and on the clutter channels over
all their steps. VSGN is ``projects/vsgn/configs/vsgn_synthetic_novss.py`` with this set's
windows (64 steps: 4 levels, strides 4..32, anchors of 4..48 steps), width 64.

``--actionformer DIR``: also ActionFormer (the ``actionformer`` PyPI package importable from
``DIR``, e.g. after ``pip install --no-deps --target DIR actionformer pandas pytz tzdata joblib
cloudpickle h5py``; never a dependency of this project), width 64, full self-attention, trained
on the same windows with AFSD's optimizer, schedule, batches and seeds (the loop of
``projects/vsgn/tools/benchmark.py``), its own per-window inference, then the same metric.
"""
import argparse
import os
import os.path as osp
import sys
import time

import numpy as np
import torch
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.optim import build_optim_wrapper
from mmengine.registry import PARAM_SCHEDULERS, init_default_scope
from mmengine.runner import Runner, set_random_seed
from mmengine.structures import InstanceData

from vsgt.datasets.synthetic_tal import TAL_PRESETS, generate_synthetic_tal
from vsgt.datasets.tal import window_to_seconds
from vsgt.utils.flops import count_flops
from vsgt.utils.launch import run_cli

CONFIG_DIR = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs')
VSGN_CONFIG = osp.join(osp.dirname(CONFIG_DIR), '..', 'vsgn', 'configs',
                       'vsgn_synthetic_novss.py')
ACCURACY = ('mAP@0.3', 'mAP@0.4', 'mAP@0.5', 'mAP@0.6', 'mAP@0.7', 'mAP', 'AP_short@0.5')
COSTS = ('train_time', 'infer_time', 'params', 'flops')
MODELS = ('AFSD', 'GAF', 'VSGN')


def model_config(name: str) -> Config:
    """The config of a benchmarked model on the clutter set."""
    if name in ('AFSD', 'GAF'):
        return Config.fromfile(osp.join(CONFIG_DIR, f'{name.lower()}_synthetic.py'))
    reference = Config.fromfile(osp.join(CONFIG_DIR, 'afsd_synthetic.py'))
    cfg = Config.fromfile(VSGN_CONFIG)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader', 'val_evaluator',
                'test_evaluator', 'optim_wrapper', 'param_scheduler', 'train_cfg'):
        cfg[key] = reference[key]
    cfg.custom_imports.imports = [*cfg.custom_imports.imports, 'projects.gaf.gaf']
    cfg.model.update(in_channels=64, num_classes=3, window_size=64, channels=64, num_levels=4)
    return cfg


def build_config(name: str, seed: int, iters: int, work_dir: str) -> Config:
    cfg = model_config(name)
    scheduler = [dict(step, end=iters) if step.type == 'CosineAnnealingLR' else step
                 for step in cfg.param_scheduler]
    cfg.merge_from_dict({
        'work_dir': osp.join(work_dir, f'{name}_seed{seed}'),
        'experiment_name': f'{name}_seed{seed}',
        'randomness.seed': seed,
        'train_cfg.max_iters': iters,
        'train_cfg.val_interval': iters + 1,
        'default_hooks.checkpoint.interval': iters,
        'default_hooks.logger.interval': max(iters // 4, 1),
        'log_level': 'WARNING',
    })
    cfg.param_scheduler = scheduler
    cfg.test_dataloader.batch_size = 1
    return cfg


def attention_means(model, data: dict, sums: np.ndarray) -> None:
    """Add the attention sums and counts of one batch: label channels inside GT, clutter
    channels inside GT, clutter channels on all valid steps."""
    preset = TAL_PRESETS['clutter']
    label, clutter = (slice(*preset.class_channels), slice(*preset.clutter_channels))
    attention = model.attention(model.select_inputs(data['inputs']))
    for lam, sample in zip(attention, data['data_samples']):
        steps = torch.arange(lam.shape[-1]) + 0.5
        inside = torch.zeros_like(steps, dtype=torch.bool)
        for start, end in sample.gt_instances.segments.tolist():
            inside |= (steps >= start) & (steps <= end)
        valid = steps < sample.metainfo['num_valid']
        for i, (channels, steps_used) in enumerate(((label, inside), (clutter, inside),
                                                    (clutter, valid))):
            sums[i] += [float(lam[channels][:, steps_used].sum()),
                        lam[channels][:, steps_used].numel()]


def run(name: str, seed: int, iters: int, work_dir: str) -> dict:
    """Train one model with one seed; its accuracy, times, parameters, FLOPs (+ attention)."""
    runner = Runner.from_cfg(build_config(name, seed, iters, work_dir))
    start = time.perf_counter()
    runner.train()
    train_time = time.perf_counter() - start
    model, loop = runner.model, runner.test_loop
    model.eval()
    infer_time, sums = 0., np.zeros((3, 2))
    with torch.no_grad():
        for data in loop.dataloader:
            start = time.perf_counter()
            outputs = model.test_step(data)
            infer_time += time.perf_counter() - start
            loop.evaluator.process(data_samples=outputs, data_batch=data)
            if getattr(model, 'with_gaf', False):
                attention_means(model, model.data_preprocessor(data), sums)
    metrics = loop.evaluator.evaluate(len(loop.dataloader.dataset))
    window = torch.randn(1, 64, 64)
    flops, _ = count_flops(model, window)
    result = dict(metrics, train_time=train_time, infer_time=infer_time,
                  params=sum(p.numel() for p in model.parameters()), flops=flops)
    if sums[0, 1]:
        result.update(att_label=sums[0, 0] / sums[0, 1], att_clutter_gt=sums[1, 0] / sums[1, 1],
                      att_clutter=sums[2, 0] / sums[2, 1])
    return result


def run_actionformer(path: str, seed: int, iters: int, work_dir: str) -> dict:
    """Train and score ActionFormer on AFSD's data with its optimizer and schedule."""
    sys.path.insert(0, path)
    from actionformer.core.config import DEFAULTS, _update_config
    from actionformer.modeling import make_meta_arch

    from projects.vsgn.tools.benchmark import ActionFormerForFlops, video_list
    cfg = build_config('AFSD', seed, iters, work_dir)
    init_default_scope(cfg.default_scope)
    set_random_seed(seed)
    af_cfg = {key: dict(value) if isinstance(value, dict) else value
              for key, value in DEFAULTS.items()}
    width = cfg.model.channels
    af_cfg['dataset'].update(input_dim=cfg.model.in_channels, num_classes=cfg.model.num_classes,
                             max_seq_len=cfg.model.window_size)
    af_cfg['model'].update(embd_dim=width, fpn_dim=width, head_dim=width, n_mha_win_size=-1)
    model = make_meta_arch(af_cfg['model_name'], **_update_config(af_cfg)['model'])
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    schedulers = [PARAM_SCHEDULERS.build(dict(step, optimizer=optim_wrapper))
                  for step in cfg.param_scheduler]
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=seed)
    model.train()
    start = time.perf_counter()
    for _, data in zip(range(iters), loader):
        optim_wrapper.update_params(model(video_list(data['inputs'], data['data_samples']))[
            'final_loss'])
        for scheduler in schedulers:
            scheduler.step()
    train_time = time.perf_counter() - start
    model.eval()
    loader = Runner.build_dataloader(cfg.test_dataloader)
    evaluator = Evaluator(cfg.test_evaluator)
    infer_time = 0.
    with torch.no_grad():
        for data in loader:
            start = time.perf_counter()
            for sample, result in zip(data['data_samples'],
                                      model(video_list(data['inputs'], data['data_samples']))):
                sample.pred_instances = InstanceData(
                    segments=window_to_seconds(result['segments'].reshape(-1, 2),
                                               sample.metainfo),
                    scores=result['scores'], labels=result['labels'].long())
            infer_time += time.perf_counter() - start
            evaluator.process(data_samples=data['data_samples'], data_batch=data)
    metrics = evaluator.evaluate(len(loader.dataset))
    window = torch.randn(1, cfg.model.in_channels, cfg.model.window_size)
    flops, _ = count_flops(ActionFormerForFlops(model), window)
    return dict(metrics, train_time=train_time, infer_time=infer_time,
                params=sum(p.numel() for p in model.parameters()), flops=flops)


def _cell(values) -> str:
    return f'{np.mean(values):.1f} ({min(values):.1f}-{max(values):.1f})'


def format_table(results: dict, seeds) -> str:
    """Markdown: accuracy as mean (min-max) over the seeds, costs as ratios to the first row."""
    names = list(results)
    reference = {key: np.mean([r[key] for r in results[names[0]]]) for key in COSTS}
    header = ['model', *ACCURACY, 'train time', 'inference time', 'params', 'FLOPs']
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for name in names:
        runs = results[name]
        cells = [name] + [_cell([100 * r[key] for r in runs]) for key in ACCURACY]
        cells += [f'{np.mean([r[key] for r in runs]) / reference[key]:.2f}x' for key in COSTS]
        lines.append('| ' + ' | '.join(cells) + ' |')
    lines += ['', f'{len(seeds)} seeds ({", ".join(map(str, seeds))}); accuracy in %, mean '
              f'(min-max); ratios to {names[0]}: train time {reference["train_time"]:.1f} s, '
              f'inference time {reference["infer_time"]:.2f} s, '
              f'{reference["params"] / 1e6:.3f} M parameters, '
              f'{reference["flops"] / 1e6:.1f} MFLOPs per window.']
    attention = [r for runs in results.values() for r in runs if 'att_label' in r]
    if attention:
        lines += ['', '| GAF attention (validation windows) | mean (min-max) |', '|---|---|']
        for key, text in (('att_label', 'label channels 0-15, inside actions'),
                          ('att_clutter_gt', 'clutter channels 16-31, inside actions'),
                          ('att_clutter', 'clutter channels 16-31, all steps')):
            values = [r[key] for r in attention]
            lines.append(f'| {text} | {np.mean(values):.3f} ({min(values):.3f}-'
                         f'{max(values):.3f}) |')
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--models', nargs='+', default=list(MODELS), choices=MODELS,
                        help='the first is the reference of the ratios')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1])
    parser.add_argument('--iters', type=int, default=150, help='training iterations')
    parser.add_argument('--data-seed', type=int, default=0, help='seed of the synthetic set')
    parser.add_argument('--work-dir', default='work_dirs/gaf_benchmark',
                        help='where the synthetic set (data/synthetic_tal_clutter) and runs go')
    parser.add_argument('--actionformer', metavar='DIR',
                        help='also ActionFormer, imported from DIR (a pip --target folder)')
    args = parser.parse_args(argv)
    if args.actionformer and not osp.isdir(osp.join(args.actionformer, 'actionformer')):
        raise FileNotFoundError(f'no actionformer package in --actionformer {args.actionformer}')
    if args.iters < 1:
        raise ValueError(f'--iters must be at least 1, got {args.iters}')
    work_dir = osp.abspath(args.work_dir)
    data_root = osp.join(work_dir, 'data', 'synthetic_tal_clutter')
    if not osp.isdir(data_root):
        generate_synthetic_tal(data_root, preset='clutter', seed=args.data_seed, progress=False)
    os.chdir(work_dir)  # the configs read data/synthetic_tal_clutter
    runs = {name: lambda seed, name=name: run(name, seed, args.iters, work_dir)
            for name in args.models}
    if args.actionformer:
        runs['ActionFormer'] = lambda seed: run_actionformer(
            osp.abspath(args.actionformer), seed, args.iters, work_dir)
    results = {}
    for name, run_one in runs.items():
        results[name] = []
        for seed in args.seeds:
            result = run_one(seed)
            results[name].append(result)
            print(f'{name} seed {seed}: mAP {result["mAP"]:.4f}, mAP@0.5 '
                  f'{result["mAP@0.5"]:.4f}, train {result["train_time"]:.1f} s', flush=True)
    print(format_table(results, args.seeds))


if __name__ == '__main__':
    run_cli(main)
