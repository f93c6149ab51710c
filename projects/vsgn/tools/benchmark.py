"""VSGN against the single-scale baseline (the ablations, ActionFormer) on the synthetic TAL set.

``python projects/vsgn/tools/benchmark.py [--seeds 0 1] [--iters 400]
[--configs baseline_single-scale_synthetic vsgn_synthetic ...] [--actionformer DIR]
[--work-dir DIR]``

Every config trains with the same data, seeds and iterations (in this process, mmengine's
Runner as tools/train.py builds it) and is scored on the validation videos with
``TALDetectionMetric``: mAP at tIoU 0.3:0.1:0.7 and their mean, AP on short actions (<= 8 steps,
DETAD style, tIoU 0.5), training and inference time (model forward and post-processing of the
validation windows, one at a time), parameters and FLOPs (fvcore, one window; the kNN search of
the graphs is not counted) as ratios to the first config. Prints a Markdown table.

``--actionformer DIR``: also ActionFormer (the ``actionformer`` PyPI package, importable from
``DIR``, e.g. after ``pip install --no-build-isolation --target DIR actionformer``; never a
dependency of this project), width 64 like VSGN's synthetic config, full self-attention, trained
on the first config's windows with its optimizer, schedule, batches and seeds, its own per-window
inference (soft-NMS), then the same metric.
"""
import argparse
import copy
import os
import os.path as osp
import sys
import time

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.optim import build_optim_wrapper
from mmengine.registry import PARAM_SCHEDULERS, init_default_scope
from mmengine.runner import Runner, set_random_seed
from mmengine.structures import InstanceData

from vsgt.datasets.synthetic_tal import generate_synthetic_tal
from vsgt.datasets.tal import window_to_seconds
from vsgt.utils.flops import count_flops
from vsgt.utils.launch import run_cli

CONFIG_DIR = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs')
DEFAULT_CONFIGS = ('baseline_single-scale_synthetic', 'vsgn_synthetic', 'vsgn_synthetic_novss',
                   'vsgn_synthetic_noxgpn')
ACCURACY = ('mAP@0.3', 'mAP@0.4', 'mAP@0.5', 'mAP@0.6', 'mAP@0.7', 'mAP', 'AP_short@0.5')


def build_config(name: str, seed: int, iters: int, work_dir: str) -> Config:
    cfg = Config.fromfile(osp.join(CONFIG_DIR, name + '.py'))
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


def run(name: str, seed: int, iters: int, work_dir: str) -> dict:
    """Train one config with one seed; its accuracy, times, parameters and FLOPs."""
    runner = Runner.from_cfg(build_config(name, seed, iters, work_dir))
    start = time.perf_counter()
    runner.train()
    train_time = time.perf_counter() - start
    model, loop = runner.model, runner.test_loop
    model.eval()
    infer_time = 0.
    with torch.no_grad():
        for data in loop.dataloader:
            start = time.perf_counter()
            outputs = model.test_step(data)
            infer_time += time.perf_counter() - start
            loop.evaluator.process(data_samples=outputs, data_batch=data)
    metrics = loop.evaluator.evaluate(len(loop.dataloader.dataset))
    window = torch.randn(1, model.xgpn.stem[0].in_channels, model.window_size)
    flops, _ = count_flops(model, window)
    return dict(metrics, train_time=train_time, infer_time=infer_time,
                params=sum(p.numel() for p in model.parameters()), flops=flops)


class ActionFormerForFlops(nn.Module):
    """ActionFormer's backbone, neck and heads on one full window (no post-processing)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x):
        mask = torch.ones(x.shape[0], 1, x.shape[-1], dtype=torch.bool)
        feats, masks = self.model.backbone(x, mask)
        feats, masks = self.model.neck(feats, masks)
        return (*self.model.cls_head(feats, masks), *self.model.reg_head(feats, masks))


def video_list(inputs, data_samples):
    """ActionFormer's input: feature windows with their ground truth, in window steps."""
    return [dict(feats=x, segments=s.gt_instances.segments, labels=s.gt_instances.labels,
                 video_id=s.metainfo['video_name'], fps=1., duration=float(s.num_valid),
                 feat_stride=1, feat_num_frames=0) for x, s in zip(inputs, data_samples)]


def run_actionformer(path: str, reference: str, seed: int, iters: int, work_dir: str) -> dict:
    """Train and score ActionFormer on ``reference``'s data with its optimizer and schedule."""
    sys.path.insert(0, path)
    from actionformer.core.config import DEFAULTS, _update_config
    from actionformer.modeling import make_meta_arch
    cfg = build_config(reference, seed, iters, work_dir)
    init_default_scope(cfg.default_scope)
    set_random_seed(seed)
    af_cfg = copy.deepcopy(DEFAULTS)
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


def format_table(results: dict, seeds) -> str:
    """Markdown: accuracy as mean (min-max) over the seeds, costs as ratios to the first row."""
    names = list(results)
    reference = {key: np.mean([r[key] for r in results[names[0]]])
                 for key in ('train_time', 'infer_time', 'params', 'flops')}
    header = ['config', *ACCURACY, 'train time', 'inference time', 'params', 'FLOPs']
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for name in names:
        runs = results[name]
        cells = [name]
        for key in ACCURACY:
            values = [100 * r[key] for r in runs]
            cells.append(f'{np.mean(values):.1f} ({min(values):.1f}-{max(values):.1f})')
        for key in ('train_time', 'infer_time', 'params', 'flops'):
            cells.append(f'{np.mean([r[key] for r in runs]) / reference[key]:.2f}x')
        lines.append('| ' + ' | '.join(cells) + ' |')
    lines.append('')
    lines.append(f'{len(seeds)} seeds ({", ".join(map(str, seeds))}); accuracy in %, mean '
                 f'(min-max); ratios to {names[0]}: train time {reference["train_time"]:.1f} s, '
                 f'inference time {reference["infer_time"]:.2f} s, '
                 f'{reference["params"] / 1e6:.3f} M parameters, '
                 f'{reference["flops"] / 1e6:.1f} MFLOPs per window.')
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--configs', nargs='+', default=list(DEFAULT_CONFIGS),
                        help='config names in projects/vsgn/configs; the first is the reference')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1])
    parser.add_argument('--iters', type=int, default=400, help='training iterations')
    parser.add_argument('--data-seed', type=int, default=0, help='seed of the synthetic set')
    parser.add_argument('--work-dir', default='work_dirs/vsgn_benchmark',
                        help='where the synthetic set (data/synthetic_tal) and the runs go')
    parser.add_argument('--actionformer', metavar='DIR',
                        help='also ActionFormer, imported from DIR (a pip --target folder)')
    args = parser.parse_args(argv)
    if args.actionformer and not osp.isdir(osp.join(args.actionformer, 'actionformer')):
        raise FileNotFoundError(f'no actionformer package in --actionformer {args.actionformer}')
    for name in args.configs:
        if not osp.isfile(osp.join(CONFIG_DIR, name + '.py')):
            raise FileNotFoundError(f'config {name}.py not found in {CONFIG_DIR}')
    if args.iters < 1:
        raise ValueError(f'--iters must be at least 1, got {args.iters}')
    work_dir = osp.abspath(args.work_dir)
    data_root = osp.join(work_dir, 'data', 'synthetic_tal')
    if not osp.isdir(data_root):
        generate_synthetic_tal(data_root, seed=args.data_seed, progress=False)
    os.chdir(work_dir)  # the configs read data/synthetic_tal
    runs = {name: lambda seed, name=name: run(name, seed, args.iters, work_dir)
            for name in args.configs}
    if args.actionformer:
        runs['ActionFormer'] = lambda seed: run_actionformer(
            osp.abspath(args.actionformer), args.configs[0], seed, args.iters, work_dir)
    results = {}
    for name, run_one in runs.items():
        results[name] = []
        for seed in args.seeds:
            result = run_one(seed)
            results[name].append(result)
            print(f'{name} seed {seed}: mAP {result["mAP"]:.4f}, AP_short@0.5 '
                  f'{result["AP_short@0.5"]:.4f}, train {result["train_time"]:.1f} s',
                  flush=True)
    print(format_table(results, args.seeds))


if __name__ == '__main__':
    run_cli(main)
