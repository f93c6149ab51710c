"""Ablation of VSGT's ideas on the hard synthetic preset: which part buys what.

    python tools/analysis/benchmark_detectors.py [--work-dir work_dirs/benchmark_detectors] \\
        [--seeds 0 1 2] [--iters 1200] [--num-videos 48] [--variants NAME ...]

Makes the hard synthetic set (``tools/data/synthetic/generate.py --preset hard``, data seed 0)
in ``WORK_DIR/data/synthetic`` unless it is there, then trains every variant with
``tools/train.py`` and scores its last checkpoint with ``tools/test.py`` on the val split, with
the same data, schedule (``--iters`` iterations of 2 clips, lr 2e-3, 50 warm-up iterations (fewer
below 200 iterations) then cosine, the VSGT-tiny recipe) and training seeds for all:

- ``vsgt-tiny``: VSGT-tiny without PAE (``configs/synthetic/vsgt-tiny_synthetic.py``);
- ``vsgt-tiny-pae``: with Person Attention Enhancement; ``-guidance`` / ``-enhancement``: with
  only its guidance (alpha) or only its enhancement (gamma);
- ``window-tiny``: the tiny backbone with its self-guided blocks replaced by plain windowed
  attention (``attention='window'``), which isolates the token reallocation;
- ``swin-micro``: a micro Video Swin (``configs/synthetic/swin-micro_synthetic.py``);
- ``slowonly-r18-w4``: SlowOnly R18 with base width 4 (about VSGT-tiny's FLOPs).

Tubes are linked at IoU 0.3 (VideoMAP's ``link_iou_thr``): the hard set's 6-pixel-wide actors
move up to a third of their width per frame, so consecutive boxes of a walking or circling actor
overlap by less than 0.5 IoU in under 20% of frame pairs, and by 0.26 at least (checked by
``tests/datasets/test_synthetic.py -k consecutive``).

It prints one Markdown table (frame-mAP@0.5 and video-mAP@0.5 as mean and standard deviation
over the seeds; FLOPs per clip with 5 boxes, parameters and the training processes' CPU time as
ratios to ``vsgt-tiny``) and writes it with a PNG to ``WORK_DIR/benchmark.md`` / ``.png``. A
finished run is reused (its test metrics are read back), so an interrupted benchmark resumes.
"""
import argparse
import json
import math
import os
import os.path as osp
import resource
import subprocess
import sys

TOOLS = osp.dirname(osp.dirname(osp.abspath(__file__)))
ROOT = osp.dirname(TOOLS)
CONFIGS = osp.join(ROOT, 'configs', 'synthetic')
TINY = osp.join(CONFIGS, 'vsgt-tiny_synthetic.py')
VARIANTS = {
    'vsgt-tiny': (TINY, {}),
    'vsgt-tiny-pae': (TINY, {'model.backbone.with_pae': True}),
    'vsgt-tiny-pae-guidance': (TINY, {'model.backbone.with_pae': True,
                                      'model.backbone.pae_enhancement': False}),
    'vsgt-tiny-pae-enhancement': (TINY, {'model.backbone.with_pae': True,
                                         'model.backbone.pae_guidance': False}),
    'window-tiny': (TINY, {'model.backbone.attention': 'window'}),
    'swin-micro': (osp.join(CONFIGS, 'swin-micro_synthetic.py'), {}),
    'slowonly-r18-w4': (osp.join(CONFIGS, 'slowonly-r18_synthetic.py'),
                        {'model.backbone.base_channels': 4,
                         'model.roi_head.bbox_head.in_channels': 32}),
}
BASELINE = 'vsgt-tiny'
METRICS = ('frame_mAP@0.5', 'video_mAP@0.5')
CLIP_SHAPE = (3, 8, 96, 128)  # what the val pipeline makes of a 160x120 hard-preset clip
SCHEDULE = '''
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        sampler=dict(_delete_=True, type='InfiniteSampler', shuffle=True))
val_dataloader = dict(num_workers=0, persistent_workers=False)
test_dataloader = dict(num_workers=0, persistent_workers=False)
optim_wrapper = dict(optimizer=dict(lr=2e-3))
train_cfg = dict(type='IterBasedTrainLoop', max_iters={iters}, val_interval={iters})
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end={warmup}),
    dict(type='CosineAnnealingLR', by_epoch=False, begin={warmup}, end={iters}, eta_min=1e-5)
]
default_hooks = dict(checkpoint=dict(interval={iters}, max_keep_ckpts=1),
                     logger=dict(interval=100))
test_evaluator = [
    dict(type='FrameMAP', gt_file='data/synthetic/annotations/gt.pkl',
         ann_file='data/synthetic/annotations/val.csv'),
    dict(type='VideoMAP', gt_file='data/synthetic/annotations/gt.pkl', link_iou_thr=0.3),
]
'''


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/benchmark_detectors')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--iters', type=int, default=1200, help='training iterations of each run')
    parser.add_argument('--num-videos', type=int, default=48, help='videos of the hard set')
    parser.add_argument('--num-frames', type=int, default=40, help='frames per video')
    parser.add_argument('--variants', nargs='+', choices=list(VARIANTS), default=list(VARIANTS))
    args = parser.parse_args(argv)
    if args.iters < 8:
        parser.error('--iters must be at least 8')
    if BASELINE not in args.variants:
        parser.error(f'--variants must include {BASELINE} (the baseline of the ratios)')
    return args


def nested(options):
    """``{'model.backbone.x': 1}`` as ``{'model': {'backbone': {'x': 1}}}``."""
    tree = {}
    for key, value in options.items():
        *parents, leaf = key.split('.')
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree


def write_config(path, base, options, iters):
    """A config that inherits ``base`` and sets the shared schedule and ``options``."""
    lines = [f'_base_ = [{base!r}]', SCHEDULE.format(iters=iters, warmup=min(50, iters // 4))]
    lines += [f'{key} = {value!r}' for key, value in nested(options).items()]
    with open(path, 'w') as file:
        file.write('\n'.join(lines) + '\n')
    return path


def run_tool(script, *args, cwd):
    """Run a tool; return the CPU seconds its process used. Stop on failure."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [sys.executable, osp.join(TOOLS, script), *map(str, args)]
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f'{" ".join(command)} failed:\n{result.stderr[-3000:]}')
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def train_and_test(name, config, seed, work_dir, data_root):
    """Metrics and training CPU seconds of one variant and seed (reused when recorded)."""
    from vsgt.utils import last_checkpoint, read_test_metrics
    run_dir = osp.join(work_dir, name, f'seed{seed}')
    record = osp.join(run_dir, 'result.json')
    if osp.isfile(record):
        with open(record) as file:
            return json.load(file)
    print(f'[{name} seed {seed}] training', flush=True)
    cpu = run_tool('train.py', config, '--work-dir', run_dir, '--seed', seed, '--no-validate',
                   cwd=data_root)
    print(f'[{name} seed {seed}] testing', flush=True)
    test_dir = osp.join(run_dir, 'test')
    run_tool('test.py', config, last_checkpoint(run_dir), '--work-dir', test_dir, cwd=data_root)
    metrics = read_test_metrics(test_dir)
    result = dict(train_cpu_s=cpu, **{key: metrics[key] for key in METRICS})
    with open(record, 'w') as file:
        json.dump(result, file)
    return result


def cost(config):
    """(GFLOPs of one clip with 5 boxes, parameters in millions) of a variant's model."""
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import vsgt  # noqa: F401  (registers the project's modules)
    from mmaction.registry import MODELS
    from vsgt.utils.flops import count_flops, model_for_flops
    init_default_scope('mmaction')
    cfg = Config.fromfile(config)
    model = MODELS.build(cfg.model)
    with torch.no_grad():
        flops, _ = count_flops(model_for_flops(model, CLIP_SHAPE, 5), torch.randn(1, *CLIP_SHAPE))
    return flops / 1e9, sum(p.numel() for p in model.parameters()) / 1e6


def mean_std(values):
    mean = sum(values) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1)) \
        if len(values) > 1 else 0.0
    return mean, std


def table(rows, seeds):
    base = rows[BASELINE]
    lines = ['| model | frame-mAP@0.5 | video-mAP@0.5 | GFLOPs | params (M) | train CPU s |',
             '|---|---|---|---|---|---|']
    for name, row in rows.items():
        cells = [name]
        for key in METRICS:
            mean, std = mean_std(row[key])
            cells.append(f'{mean:.3f} ± {std:.3f}')
        for key, fmt in (('gflops', '.3f'), ('params', '.3f'), ('train_cpu_s', '.0f')):
            value = row[key] if key != 'train_cpu_s' else sum(row[key]) / len(row[key])
            reference = base[key] if key != 'train_cpu_s' else \
                sum(base[key]) / len(base[key])
            cells.append(f'{value:{fmt}} ({value / reference:.2f}x)')
        lines.append('| ' + ' | '.join(cells) + ' |')
    lines.append(f'\nmean ± standard deviation over seeds {", ".join(map(str, seeds))}; '
                 f'ratios to {BASELINE}; train CPU s: user + system seconds of one training run.')
    return '\n'.join(lines)


def plot(rows, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from vsgt.evaluation.functional.formats import atomic_write

    names = list(rows)
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), sharey=True)
    for axis, key in zip(axes, METRICS):
        stats = [mean_std(rows[name][key]) for name in names]
        axis.barh(names, [m for m, _ in stats], xerr=[s for _, s in stats], color='#4c72b0',
                  capsize=3)
        axis.set_xlim(0, 1)
        axis.set_title(f'{key} (hard synthetic preset)')
    axes[0].invert_yaxis()  # the axes share y: one inversion puts the first model on top
    fig.tight_layout()
    atomic_write(path, lambda file: fig.savefig(file, format='png', dpi=90))
    plt.close(fig)


def main(argv=None):
    args = parse_args(argv)
    from vsgt.datasets.synthetic import generate_synthetic_dataset
    from vsgt.evaluation.functional.formats import atomic_write
    work_dir = osp.abspath(args.work_dir)
    data_root = osp.join(work_dir, 'project')
    if not osp.isdir(osp.join(data_root, 'data', 'synthetic')):
        print('making the hard synthetic set', flush=True)
        generate_synthetic_dataset(osp.join(data_root, 'data', 'synthetic'), preset='hard',
                                   num_videos=args.num_videos, num_frames=args.num_frames,
                                   seed=0, progress=False)
    os.makedirs(osp.join(work_dir, 'configs'), exist_ok=True)
    configs = {name: write_config(osp.join(work_dir, 'configs', f'{name}.py'),
                                  *VARIANTS[name], args.iters) for name in args.variants}
    # Seed by seed, so that an interrupted benchmark has every variant for its first seeds.
    results = {name: [] for name in args.variants}
    for seed in args.seeds:
        for name, config in configs.items():
            results[name].append(train_and_test(name, config, seed, work_dir, data_root))
    rows = {}
    for name, config in configs.items():
        gflops, params = cost(config)
        rows[name] = dict(gflops=gflops, params=params,
                          **{key: [r[key] for r in results[name]] for key in
                             (*METRICS, 'train_cpu_s')})
    text = table(rows, args.seeds)
    command = 'python tools/analysis/benchmark_detectors.py ' + ' '.join(argv or sys.argv[1:])
    atomic_write(osp.join(work_dir, 'benchmark.md'), lambda f: f.write(f'`{command}`\n\n{text}\n'),
                 binary=False)
    plot(rows, osp.join(work_dir, 'benchmark.png'))
    print(text)
    print(f'wrote {osp.join(work_dir, "benchmark.md")} and {osp.join(work_dir, "benchmark.png")}')
    return rows


if __name__ == '__main__':
    parse_args()  # --help and bad flags answer before the heavy imports
    from vsgt.utils.launch import run_cli
    run_cli(main)
