"""VideoLightFormer against TSN, TSM, VLF without temporal embedding and VLF with mean pooling

``python projects/videolightformer/tools/benchmark.py [--work-dir work_dirs/vlf_benchmark]
[--num-videos 240] [--iters 300] [--seeds 0 1 2]``

Generates the synthetic set (its recognition preset, seed ``--data-seed``) under
``WORK_DIR/data``, trains the five shipped synthetic configs on it with the same data, training
seeds and iterations, and reports for each (mean and range over the seeds): val top-1, accuracy
on the reversal pairs (each val walk clip and its time-reversed copy
with walk_left <-> walk_right swapped; a model blind to frame order scores at most 0.5), fvcore
FLOPs and parameters of one clip, and CPU clips/s, the last three also as ratios to TSN. Writes
``WORK_DIR/results.json`` and ``WORK_DIR/confusion.png`` (val confusion matrices summed over the
seeds).
"""
import argparse
import json
import os.path as osp
import time

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.runner import Runner

from vsgt.datasets.synthetic import SYNTHETIC_CLASSES, generate_synthetic_dataset
from vsgt.evaluation.functional.formats import atomic_write
from vsgt.testing import ROOT
from vsgt.utils.flops import count_flops
from vsgt.utils.launch import run_cli
from vsgt.utils.schedule import warmup_then_anneal

CONFIG_DIR = osp.join(ROOT, 'projects', 'videolightformer', 'configs', 'synthetic')
MODELS = (('VLF', 'vlf_r18s3_synthetic.py'), ('TSN', 'tsn_r18s3_synthetic.py'),
          ('TSM', 'tsm_r18s3_synthetic.py'), ('VLF no temporal PE', 'vlf_r18s3-notpe_synthetic.py'),
          ('VLF mean pool', 'vlf_r18s3-meanpool_synthetic.py'))
CONFIG_DATA_ROOT = 'data/synthetic_rec'


class Recognizer2DForFlops(nn.Module):
    """A 2D recognizer on one (N, T, C, H, W) clip: backbone and head, as at test time."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        return self.model.extract_feat(clip, stage='head', test_mode=True)[0]


def _relocate(node, data_root):
    """``node`` with every path under the configs' data root moved to ``data_root``."""
    if isinstance(node, dict):
        return type(node)({k: _relocate(v, data_root) for k, v in node.items()})
    if isinstance(node, list):
        return [_relocate(v, data_root) for v in node]
    if isinstance(node, str) and node.startswith(CONFIG_DATA_ROOT):
        return data_root + node[len(CONFIG_DATA_ROOT):]
    return node


def build_config(name, data_root, work_dir, iters, batch_size, seed):
    cfg = Config.fromfile(osp.join(CONFIG_DIR, name))
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader', 'reversal_pairs'):
        cfg[key] = _relocate(cfg[key].to_dict(), data_root)
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].update(num_workers=0, persistent_workers=False)
    cfg.train_dataloader.batch_size = batch_size
    cfg.train_cfg.max_iters = iters
    cfg.train_cfg.val_interval = iters + 1  # evaluated below instead
    cfg.param_scheduler = warmup_then_anneal(*cfg.param_scheduler, iters, iters // 10)
    cfg.default_hooks.checkpoint.interval = iters
    cfg.randomness = dict(seed=seed)
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    cfg.log_level = 'WARNING'  # the runs' logs stay in their work dirs; one line per run here
    return cfg


def predictions(model, dataset_cfg, batch_size=8):
    """(labels, predicted labels) of ``model`` on the dataset built from ``dataset_cfg``."""
    loader = Runner.build_dataloader(dict(
        dataset=dataset_cfg, batch_size=batch_size, num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        collate_fn=dict(type='pseudo_collate')))
    labels, predicted = [], []
    model.eval()
    with torch.no_grad():
        for batch in loader:
            for sample in model.test_step(batch):
                labels.append(int(sample.gt_label))
                predicted.append(int(sample.pred_score.argmax()))
    return np.array(labels), np.array(predicted)


def clips_per_second(model, clip, repeats):
    """Inference throughput of one clip at a time (backbone and head), after a warm-up run."""
    wrapped = Recognizer2DForFlops(model).eval()
    with torch.no_grad():
        wrapped(clip)
        start = time.perf_counter()
        for _ in range(repeats):
            wrapped(clip)
    return repeats / (time.perf_counter() - start)


def run_model(label, name, args, data_root, seed):
    cfg = build_config(name, data_root,
                       osp.join(args.work_dir, 'work_dirs', f'{name[:-3]}_seed{seed}'),
                       args.iters, args.batch_size, seed)
    runner = Runner.from_cfg(cfg)
    start = time.perf_counter()
    runner.train()
    train_s = time.perf_counter() - start
    model = runner.model
    val_labels, val_predicted = predictions(model, cfg.val_dataloader.dataset)
    pair_labels, pair_predicted = predictions(model, cfg.reversal_pairs)
    num_classes = len(SYNTHETIC_CLASSES)
    confusion = np.zeros((num_classes, num_classes), np.int64)
    np.add.at(confusion, (val_labels, val_predicted), 1)

    width, height = cfg.frame_size
    clip = torch.randn(1, cfg.num_segments, 3, height, width)
    flops, _ = count_flops(Recognizer2DForFlops(model), clip)
    print(f'{label} seed {seed}: top-1 {(val_labels == val_predicted).mean():.3f}, reversal '
          f'pairs {(pair_labels == pair_predicted).mean():.3f}, trained in {train_s:.0f} s',
          flush=True)
    return dict(
        model=label, config=name, seed=seed, train_s=round(train_s, 1),
        top1=float((val_labels == val_predicted).mean()),
        reversal_pair_acc=float((pair_labels == pair_predicted).mean()),
        num_val=len(val_labels), num_pairs=len(pair_labels) // 2,
        gflops=flops / 1e9, params_m=sum(p.numel() for p in model.parameters()) / 1e6,
        clips_per_s=clips_per_second(model, clip, args.speed_repeats),
        confusion=confusion.tolist())


def summarise(runs):
    """One row per model from its runs over the seeds: mean accuracies with their range, the
    mean speed and time, the summed confusion matrix."""
    rows = []
    for label in dict.fromkeys(r['model'] for r in runs):
        mine = [r for r in runs if r['model'] == label]
        row = dict(mine[0], seeds=[r['seed'] for r in mine])
        for key in ('top1', 'reversal_pair_acc', 'clips_per_s', 'train_s'):
            values = [r[key] for r in mine]
            row.update({key: float(np.mean(values)), f'{key}_range': (min(values), max(values))})
        row['confusion'] = np.sum([r['confusion'] for r in mine], axis=0).tolist()
        del row['seed']
        rows.append(row)
    return rows


def plot_confusions(results, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    figure, axes = plt.subplots(1, len(results), figsize=(3.4 * len(results) + 0.6, 4.2),
                                squeeze=False, layout='constrained')
    for axis, result in zip(axes[0], results):
        matrix = np.array(result['confusion'])
        axis.imshow(matrix, cmap='Blues')
        for (row, col), count in np.ndenumerate(matrix):
            color = 'white' if count > matrix.max() / 2 else 'black'
            axis.text(col, row, count, ha='center', va='center', fontsize=8, color=color)
        axis.set_xticks(range(len(SYNTHETIC_CLASSES)), SYNTHETIC_CLASSES, rotation=45,
                        ha='right', rotation_mode='anchor', fontsize=8)
        axis.set_yticks(range(len(SYNTHETIC_CLASSES)), SYNTHETIC_CLASSES, fontsize=8)
        axis.set_xlabel('predicted', fontsize=9)
        axis.set_title(f"{result['model']}\ntop-1 {result['top1']:.3f}", fontsize=9)
    axes[0, 0].set_ylabel('true', fontsize=9)
    atomic_write(path, lambda file: figure.savefig(file, format='png', dpi=100))
    plt.close(figure)


def _with_range(row, key):
    low, high = row.get(f'{key}_range', (row[key], row[key]))
    return f'{row[key]:.3f}' if low == high else f'{row[key]:.3f} ({low:.3f}-{high:.3f})'


def table(results):
    """Markdown table of :func:`summarise` rows (accuracy ranges where the seeds differ)."""
    base = next(r for r in results if r['model'] == 'TSN')
    lines = ['| model | top-1 | reversal pairs | GFLOPs (x TSN) | params M (x TSN) | '
             'CPU clips/s (x TSN) | train s |', '|---|---|---|---|---|---|---|']
    for r in results:
        lines.append(
            f"| {r['model']} | {_with_range(r, 'top1')} | "
            f"{_with_range(r, 'reversal_pair_acc')} | "
            f"{r['gflops']:.3f} ({r['gflops'] / base['gflops']:.3f}) | "
            f"{r['params_m']:.2f} ({r['params_m'] / base['params_m']:.3f}) | "
            f"{r['clips_per_s']:.1f} ({r['clips_per_s'] / base['clips_per_s']:.2f}) | "
            f"{r['train_s']:.0f} |")
    return '\n'.join(lines)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/vlf_benchmark',
                        help='directory for the data, work dirs and results')
    parser.add_argument('--num-videos', type=int, default=240)
    parser.add_argument('--iters', type=int, default=300, help='training iterations per model')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0], help='training seeds')
    parser.add_argument('--data-seed', type=int, default=0, help='seed of the synthetic set')
    parser.add_argument('--speed-repeats', type=int, default=20)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.iters < 1:
        raise ValueError(f'--iters must be at least 1, got {args.iters}')
    data_root = osp.join(osp.abspath(args.work_dir), 'data', 'synthetic_rec')
    if not osp.isdir(data_root):
        generate_synthetic_dataset(data_root, num_videos=args.num_videos, preset='recognition',
                                   rawframe_lists=True, seed=args.data_seed)
    runs = [run_model(label, name, args, data_root, seed)
            for seed in args.seeds for label, name in MODELS]
    results = summarise(runs)
    summary = dict(args=vars(args), results=results, runs=runs)
    atomic_write(osp.join(args.work_dir, 'results.json'),
                 lambda file: json.dump(summary, file, indent=1), binary=False)
    plot_confusions(results, osp.join(args.work_dir, 'confusion.png'))
    print(table(results))
    for r in results:
        print(f"{r['model']}: {r['num_val']} val clips, {r['num_pairs']} reversal pairs, "
              f"seeds {r['seeds']}")


if __name__ == '__main__':
    run_cli(main)
