"""The runs of the TAL benchmarks (``projects/vsgn/tools/benchmark.py``,
``projects/gaf/tools/benchmark.py``) on a synthetic TAL set.

Every config trains in this process with mmengine's Runner (as tools/train.py builds it) for the
same iterations and seeds, and is scored on its test windows, one at a time, with its
``TALDetectionMetric``; training and inference time, parameters and FLOPs (fvcore, one window of
features or, end to end, of frames) come with the metrics. ActionFormer (the ``actionformer``
PyPI package, never a dependency) trains on a reference config's windows with its optimizer,
schedule, batches and seeds.
"""
import argparse
import copy
import os
import os.path as osp
import sys
import time
from typing import Callable, Dict, List, Optional, Sequence

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
from vsgt.utils.schedule import warmup_then_anneal

ACCURACY = ('mAP@0.3', 'mAP@0.4', 'mAP@0.5', 'mAP@0.6', 'mAP@0.7', 'mAP', 'AP_short@0.5')
COSTS = ('train_time', 'infer_time', 'params', 'flops')


def add_arguments(parser: argparse.ArgumentParser, iters: int, work_dir: str,
                  data_dir: str) -> None:
    """Options of every TAL benchmark: seeds, iterations, data seed, work dir, ActionFormer."""
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1])
    parser.add_argument('--iters', type=int, default=iters, help='training iterations')
    parser.add_argument('--data-seed', type=int, default=0, help='seed of the synthetic set')
    parser.add_argument('--work-dir', default=work_dir,
                        help=f'where the synthetic set (data/{data_dir}) and the runs go')
    parser.add_argument('--actionformer', metavar='DIR',
                        help='also ActionFormer, imported from DIR (a pip --target folder)')


def check_arguments(args: argparse.Namespace) -> None:
    """One-line errors for an ``--actionformer`` folder without the package and ``--iters < 1``."""
    if args.actionformer and not osp.isdir(osp.join(args.actionformer, 'actionformer')):
        raise FileNotFoundError(f'no actionformer package in --actionformer {args.actionformer}')
    if args.iters < 1:
        raise ValueError(f'--iters must be at least 1, got {args.iters}')


def enter_work_dir(work_dir: str, data_dir: str, preset: str, seed: int,
                   generate: Callable = generate_synthetic_tal) -> None:
    """Generate the synthetic set ``preset`` in ``work_dir/data/data_dir`` with ``generate``
    (``generate_synthetic_tal`` or ``generate_synthetic_tal_frames``) unless it is there, then
    change to ``work_dir`` (the configs read ``data/data_dir``)."""
    data_root = osp.join(work_dir, 'data', data_dir)
    if not osp.isdir(data_root):
        generate(data_root, preset=preset, seed=seed, progress=False)
    os.chdir(work_dir)


def example_window(cfg: Config) -> torch.Tensor:
    """One random input window of ``cfg.model``: ``(1, C, T)`` features, or ``(1, C, T, S, S)``
    frames for an end-to-end model (``crop_size`` S)."""
    shape = (1, cfg.model.in_channels, cfg.model.window_size)
    if 'crop_size' in cfg.model:
        shape += (cfg.model.crop_size, ) * 2
    return torch.randn(shape)


def benchmark_config(cfg: Config, name: str, seed: int, iters: int, work_dir: str) -> Config:
    """``cfg`` for one run: ``iters`` iterations (the config's warm-up, shortened to ``iters``
    when longer, then cosine annealing ending there), ``seed``, no validation, one checkpoint, work
    dir ``work_dir/{name}_seed{seed}``, test batches of one."""
    warmup, anneal = cfg.param_scheduler  # the configs' warm-up, then cosine annealing
    scheduler = warmup_then_anneal(warmup, anneal, iters, warmup.end)
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


def train_and_score(cfg: Config,
                    on_test_batch: Optional[Callable[[nn.Module, dict], None]] = None) -> dict:
    """Train ``cfg`` and score its test windows: the metrics, ``train_time``, ``infer_time``
    (forward and post-processing), ``params`` and ``flops`` (one window of the model's width).

    ``on_test_batch(model, data)`` sees every test batch after it is scored (not timed).
    """
    runner = Runner.from_cfg(cfg)
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
            if on_test_batch is not None:
                on_test_batch(model, data)
    metrics = loop.evaluator.evaluate(len(loop.dataloader.dataset))
    flops, _ = count_flops(model, example_window(cfg))
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


def video_list(inputs, data_samples) -> List[dict]:
    """ActionFormer's input: feature windows with their ground truth, in window steps."""
    return [dict(feats=x, segments=s.gt_instances.segments, labels=s.gt_instances.labels,
                 video_id=s.metainfo['video_name'], fps=1., duration=float(s.num_valid),
                 feat_stride=1, feat_num_frames=0) for x, s in zip(inputs, data_samples)]


def run_actionformer(path: str, cfg: Config, seed: int, iters: int) -> dict:
    """Train and score ActionFormer (imported from ``path``) on the windows of the benchmark
    config ``cfg`` with its optimizer and schedule; width ``cfg.model.channels``, full
    self-attention, its own per-window inference (soft-NMS), then ``cfg``'s metric."""
    sys.path.insert(0, path)
    from actionformer.core.config import DEFAULTS, _update_config
    from actionformer.modeling import make_meta_arch
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


def run_seeds(runs: Dict[str, Callable[[int], dict]], seeds: Sequence[int],
              shown: str) -> Dict[str, List[dict]]:
    """Each run with each seed, printing its mAP, ``shown`` and training time as it ends."""
    results = {}
    for name, run_one in runs.items():
        results[name] = []
        for seed in seeds:
            result = run_one(seed)
            results[name].append(result)
            print(f'{name} seed {seed}: mAP {result["mAP"]:.4f}, {shown} '
                  f'{result[shown]:.4f}, train {result["train_time"]:.1f} s', flush=True)
    return results


def format_table(results: Dict[str, List[dict]], seeds: Sequence[int],
                 first_column: str = 'config') -> str:
    """Markdown: accuracy as mean (min-max) over the seeds, costs as ratios to the first row."""
    names = list(results)
    reference = {key: np.mean([r[key] for r in results[names[0]]]) for key in COSTS}
    header = [first_column, *ACCURACY, 'train time', 'inference time', 'params', 'FLOPs']
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for name in names:
        runs = results[name]
        cells = [name]
        for key in ACCURACY:
            values = [100 * r[key] for r in runs]
            cells.append(f'{np.mean(values):.1f} ({min(values):.1f}-{max(values):.1f})')
        cells += [f'{np.mean([r[key] for r in runs]) / reference[key]:.2f}x' for key in COSTS]
        lines.append('| ' + ' | '.join(cells) + ' |')
    lines += ['', f'{len(seeds)} seeds ({", ".join(map(str, seeds))}); accuracy in %, mean '
              f'(min-max); ratios to {names[0]}: train time {reference["train_time"]:.1f} s, '
              f'inference time {reference["infer_time"]:.2f} s, '
              f'{reference["params"] / 1e6:.3f} M parameters, '
              f'{reference["flops"] / 1e6:.1f} MFLOPs per window.']
    return '\n'.join(lines)
