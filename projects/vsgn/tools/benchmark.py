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
import os.path as osp

from mmengine.config import Config

from vsgt.utils.launch import run_cli
from vsgt.utils.tal_benchmark import (add_arguments, benchmark_config, check_arguments,
                                      enter_work_dir, format_table, run_actionformer, run_seeds,
                                      train_and_score)

CONFIG_DIR = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs')
DEFAULT_CONFIGS = ('baseline_single-scale_synthetic', 'vsgn_synthetic', 'vsgn_synthetic_novss',
                   'vsgn_synthetic_noxgpn')


def build_config(name: str, seed: int, iters: int, work_dir: str) -> Config:
    """The benchmark run of config ``name`` of projects/vsgn/configs."""
    cfg = Config.fromfile(osp.join(CONFIG_DIR, name + '.py'))
    return benchmark_config(cfg, name, seed, iters, work_dir)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--configs', nargs='+', default=list(DEFAULT_CONFIGS),
                        help='config names in projects/vsgn/configs; the first is the reference')
    add_arguments(parser, iters=400, work_dir='work_dirs/vsgn_benchmark', data_dir='synthetic_tal')
    args = parser.parse_args(argv)
    check_arguments(args)
    for name in args.configs:
        if not osp.isfile(osp.join(CONFIG_DIR, name + '.py')):
            raise FileNotFoundError(f'config {name}.py not found in {CONFIG_DIR}')
    work_dir = osp.abspath(args.work_dir)
    enter_work_dir(work_dir, 'synthetic_tal', preset='multiscale', seed=args.data_seed)
    runs = {name: lambda seed, name=name: train_and_score(
        build_config(name, seed, args.iters, work_dir)) for name in args.configs}
    if args.actionformer:
        runs['ActionFormer'] = lambda seed: run_actionformer(
            osp.abspath(args.actionformer), build_config(args.configs[0], seed, args.iters,
                                                         work_dir), seed, args.iters)
    print(format_table(run_seeds(runs, args.seeds, 'AP_short@0.5'), args.seeds))


if __name__ == '__main__':
    run_cli(main)
