"""FBIL against the plain AVA head, mmaction2's ACRN and FBIL without its background branch on
the context synthetic set.

``python projects/fbil/tools/benchmark.py [--iters 400] [--seeds 0] [--num-videos 32]
[--work-dir DIR]``

The set (``generate_synthetic_dataset(context=True)``) has the five motion classes and
``watch_ball``, whose actors stand exactly like ``stand`` actors: only the ball rolling in their
lane, away from their box, tells the two apart. Every config (VSGT-tiny, stage 2, from scratch)
trains with the same data, seeds and iterations in this process (mmengine's Runner as
tools/train.py builds it) and is scored on the val split: frame-mAP@0.5 over all classes, AP of
the two context-decided classes (``stand``, ``watch_ball``) and their mean, and the share of each
among the val boxes of the two (what a head blind to the context can only guess from); training
and inference time, parameters and FLOPs (fvcore, one 8x96x128 clip with 3 boxes) as ratios to
the first config, each the mean over the training seeds. Prints a Markdown table.
"""
import argparse
import os
import os.path as osp
import time
from collections import Counter

import numpy as np
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from vsgt.datasets.synthetic import generate_synthetic_dataset
from vsgt.datasets.synthetic_context import CONTEXT_DECIDED_CLASSES
from vsgt.evaluation.functional import frame_ap
from vsgt.utils.flops import count_flops, model_for_flops
from vsgt.utils.launch import run_cli
from vsgt.utils.schedule import warmup_then_anneal

CONFIG_DIR = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs', 'synthetic')
CONFIGS = ('vsgt-tiny_synthetic-context', 'acrn-vsgt-tiny_synthetic-context',
           'fbil-nobg-vsgt-tiny_synthetic-context', 'fbil-vsgt-tiny_synthetic-context')
CLIP_SHAPE = (3, 8, 96, 128)


def build_config(name: str, seed: int, iters: int, work_dir: str) -> Config:
    cfg = Config.fromfile(osp.join(CONFIG_DIR, name + '.py'))
    warm_up, cosine = cfg.param_scheduler  # the config's warm-up, then cosine annealing
    scheduler = warmup_then_anneal(warm_up, cosine, iters, min(warm_up.end, iters // 10))
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
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].num_workers = 0
        cfg[loader].persistent_workers = False
    return cfg


def run(name: str, seed: int, iters: int, work_dir: str) -> dict:
    """Train one config; its frame APs, times, parameters and FLOPs."""
    runner = Runner.from_cfg(build_config(name, seed, iters, work_dir))
    start = time.perf_counter()
    runner.train()
    train_time = time.perf_counter() - start
    model, loop = runner.model, runner.test_loop
    frame_metric = next(m for m in loop.evaluator.metrics if type(m).__name__ == 'FrameMAP')
    model.eval()
    infer_time = 0.
    with torch.no_grad():
        for data in loop.dataloader:
            start = time.perf_counter()
            outputs = model.test_step(data)
            infer_time += time.perf_counter() - start
            frame_metric.process(data, outputs)
    result = frame_ap(frame_metric.gt, frame_metric.frame_detections(frame_metric.results),
                      (0.5, ), frame_metric.key_frames)
    class_ap = dict(zip(result.labels, result.ap[0]))
    flops, _ = count_flops(model_for_flops(model, CLIP_SHAPE, 3), torch.randn(1, *CLIP_SHAPE))
    return dict(frame_map=float(result.mean_ap[0]),
                **{f'AP {label}': float(class_ap[label]) for label in CONTEXT_DECIDED_CLASSES},
                context_map=float(np.mean([class_ap[c] for c in CONTEXT_DECIDED_CLASSES])),
                train_time=train_time, infer_time=infer_time,
                params=sum(p.numel() for p in model.parameters()), flops=flops)


def format_table(results: dict, shares: dict) -> str:
    """Markdown: APs in %, costs as ratios to the first row."""
    names = list(results)
    costs = ('train_time', 'infer_time', 'params', 'flops')
    reference = {key: results[names[0]][key] for key in costs}
    accuracy = ['frame_map', *[f'AP {c}' for c in CONTEXT_DECIDED_CLASSES], 'context_map']
    header = ['config', 'frame-mAP@0.5', *[f'AP {c}' for c in CONTEXT_DECIDED_CLASSES],
              'mean of the two', 'train time', 'inference time', 'params', 'FLOPs']
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for name in names:
        cells = [name] + [f'{100 * results[name][key]:.1f}' for key in accuracy]
        cells += [f'{results[name][key] / reference[key]:.2f}x' for key in costs]
        lines.append('| ' + ' | '.join(cells) + ' |')
    share_text = ', '.join(f'{label} {100 * share:.0f}%' for label, share in shares.items())
    lines += ['', f'Val boxes of the two context-decided classes: {share_text}. Ratios to '
              f'{names[0]}: train time {reference["train_time"]:.1f} s, inference time '
              f'{reference["infer_time"]:.1f} s, {reference["params"] / 1e6:.3f} M parameters, '
              f'{reference["flops"] / 1e6:.1f} MFLOPs per clip.']
    return '\n'.join(lines)


def class_shares(val_csv: str, classes) -> dict:
    """Share of each context-decided class among the val rows of those classes."""
    counts = Counter(int(row.split(',')[6]) for row in open(val_csv).read().split())
    ids = {label: classes.index(label) + 1 for label in CONTEXT_DECIDED_CLASSES}
    total = sum(counts[i] for i in ids.values())
    return {label: counts[i] / total for label, i in ids.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--configs', nargs='+', default=list(CONFIGS),
                        help='config names in projects/fbil/configs/synthetic; the first is '
                        'the reference of the ratios')
    parser.add_argument('--iters', type=int, default=400, help='training iterations (2 clips)')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0],
                        help='seeds of the training runs (results: their mean)')
    parser.add_argument('--num-videos', type=int, default=32, help='videos of the context set')
    parser.add_argument('--data-seed', type=int, default=0, help='seed of the context set')
    parser.add_argument('--work-dir', default='work_dirs/fbil_benchmark',
                        help='where the set (data/synthetic_context) and the runs go')
    args = parser.parse_args(argv)
    for name in args.configs:
        if not osp.isfile(osp.join(CONFIG_DIR, name + '.py')):
            raise FileNotFoundError(f'config {name}.py not found in {CONFIG_DIR}')
    if args.iters < 1:
        raise ValueError(f'--iters must be at least 1, got {args.iters}')
    work_dir = osp.abspath(args.work_dir)
    data_root = osp.join(work_dir, 'data', 'synthetic_context')
    info = generate_synthetic_dataset(data_root, num_videos=args.num_videos, context=True,
                                      val_key_frame_stride=4, seed=args.data_seed,
                                      overwrite=True, progress=False)
    shares = class_shares(info['files']['val_csv'], info['classes'])
    os.chdir(work_dir)  # the configs read data/synthetic_context
    results = {}
    for name in args.configs:
        runs = []
        for seed in args.seeds:
            runs.append(run(name, seed, args.iters, work_dir))
            print(f'{name} seed {seed}: frame-mAP {runs[-1]["frame_map"]:.4f}, context classes '
                  f'{runs[-1]["context_map"]:.4f}, train {runs[-1]["train_time"]:.1f} s',
                  flush=True)
        results[name] = {key: float(np.mean([r[key] for r in runs])) for key in runs[0]}
    print(format_table(results, shares))
    print(f'Means over training seeds {", ".join(map(str, args.seeds))}.')


if __name__ == '__main__':
    run_cli(main)
