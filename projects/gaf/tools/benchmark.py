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
mean attention on the label-carrying channels (0-15) inside and outside the ground-truth
actions of the validation windows, on the clutter channels (16-31) inside them and over all
their steps. VSGN is ``projects/vsgn/configs/vsgn_synthetic_novss.py`` with this set's
windows (64 steps: 4 levels, strides 4..32, anchors of 4..48 steps), width 64.

``--actionformer DIR``: also ActionFormer (the ``actionformer`` PyPI package importable from
``DIR``, e.g. after ``pip install --no-deps --target DIR actionformer pandas pytz tzdata joblib
cloudpickle h5py``; never a dependency of this project), width 64, full self-attention, trained
on the same windows with AFSD's optimizer, schedule, batches and seeds (the loop of
``vsgt.utils.tal_benchmark``), its own per-window inference, then the same metric.
"""
import argparse
import os.path as osp

import numpy as np
import torch
from mmengine.config import Config

from vsgt.datasets.synthetic_tal import TAL_PRESETS
from vsgt.utils.launch import run_cli
from vsgt.utils.tal_benchmark import (add_arguments, benchmark_config, check_arguments,
                                      enter_work_dir, format_table, run_actionformer, run_seeds,
                                      train_and_score)

CONFIG_DIR = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs')
VSGN_CONFIG = osp.join(osp.dirname(CONFIG_DIR), '..', 'vsgn', 'configs',
                       'vsgn_synthetic_novss.py')
MODELS = ('AFSD', 'GAF', 'VSGN')
ATTENTION_KEYS = ('att_label', 'att_label_out', 'att_clutter_gt', 'att_clutter')


def model_config(name: str) -> Config:
    """The config of a benchmarked model on the clutter set."""
    if name in ('AFSD', 'GAF'):
        return Config.fromfile(osp.join(CONFIG_DIR, f'{name.lower()}_synthetic.py'))
    reference = Config.fromfile(osp.join(CONFIG_DIR, 'afsd_synthetic.py'))
    cfg = Config.fromfile(VSGN_CONFIG)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader', 'val_evaluator',
                'test_evaluator', 'optim_wrapper', 'param_scheduler', 'train_cfg'):
        cfg[key] = reference[key]
    cfg.custom_imports.imports = [*cfg.custom_imports.imports, 'vsgt_projects.gaf.gaf']
    cfg.model.update(in_channels=64, num_classes=3, window_size=64, channels=64, num_levels=4)
    return cfg


def build_config(name: str, seed: int, iters: int, work_dir: str) -> Config:
    """The benchmark run of model ``name``."""
    return benchmark_config(model_config(name), name, seed, iters, work_dir)


def attention_means(model, data: dict, sums: np.ndarray) -> None:
    """Add the attention sums and counts of one batch: label channels inside GT, label channels
    on the valid steps outside GT, clutter channels inside GT, clutter channels on all valid
    steps."""
    preset = TAL_PRESETS['clutter']
    label, clutter = (slice(*preset.class_channels), slice(*preset.clutter_channels))
    attention = model.attention(model.select_inputs(data['inputs']))
    for lam, sample in zip(attention, data['data_samples']):
        steps = torch.arange(lam.shape[-1]) + 0.5
        inside = torch.zeros_like(steps, dtype=torch.bool)
        for start, end in sample.gt_instances.segments.tolist():
            inside |= (steps >= start) & (steps <= end)
        valid = steps < sample.metainfo['num_valid']
        for i, (channels, steps_used) in enumerate(((label, inside), (label, valid & ~inside),
                                                    (clutter, inside), (clutter, valid))):
            sums[i] += [float(lam[channels][:, steps_used].sum()),
                        lam[channels][:, steps_used].numel()]


def run(name: str, seed: int, iters: int, work_dir: str) -> dict:
    """Train one model with one seed; its accuracy, times, parameters, FLOPs (+ attention)."""
    sums = np.zeros((4, 2))

    def add_attention(model, data):
        if getattr(model, 'with_gaf', False):
            attention_means(model, model.data_preprocessor(data), sums)

    result = train_and_score(build_config(name, seed, iters, work_dir), add_attention)
    if sums[0, 1]:
        result.update({key: sums[i, 0] / sums[i, 1] for i, key in enumerate(ATTENTION_KEYS)})
    return result


def attention_table(results: dict) -> str:
    """Markdown: GAF's mean attention per channel group, mean (min-max) over its runs."""
    attention = [r for runs in results.values() for r in runs if 'att_label' in r]
    lines = ['| GAF attention (validation windows) | mean (min-max) |', '|---|---|']
    for key, text in zip(ATTENTION_KEYS, ('label channels 0-15, inside actions',
                                          'label channels 0-15, outside actions',
                                          'clutter channels 16-31, inside actions',
                                          'clutter channels 16-31, all steps')):
        values = [r[key] for r in attention]
        lines.append(f'| {text} | {np.mean(values):.3f} ({min(values):.3f}-'
                     f'{max(values):.3f}) |')
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--models', nargs='+', default=list(MODELS), choices=MODELS,
                        help='the first is the reference of the ratios')
    add_arguments(parser, iters=150, work_dir='work_dirs/gaf_benchmark',
                  data_dir='synthetic_tal_clutter')
    args = parser.parse_args(argv)
    check_arguments(args)
    work_dir = osp.abspath(args.work_dir)
    enter_work_dir(work_dir, 'synthetic_tal_clutter', preset='clutter', seed=args.data_seed)
    runs = {name: lambda seed, name=name: run(name, seed, args.iters, work_dir)
            for name in args.models}
    if args.actionformer:
        runs['ActionFormer'] = lambda seed: run_actionformer(
            osp.abspath(args.actionformer), build_config('AFSD', seed, args.iters, work_dir),
            seed, args.iters)
    results = run_seeds(runs, args.seeds, 'mAP@0.5')
    print(format_table(results, args.seeds, first_column='model'))
    if any('att_label' in r for runs in results.values() for r in runs):
        print()
        print(attention_table(results))


if __name__ == '__main__':
    run_cli(main)
