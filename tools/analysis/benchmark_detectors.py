"""Ablation of VSGT's ideas on the hard synthetic preset: which part buys what.

    python tools/analysis/benchmark_detectors.py [--work-dir work_dirs/benchmark_detectors] \\
        [--seeds 0 1 2 3 4] [--iters 1200] [--num-videos 48] [--variants NAME ...] \\
        [--diagnostic-clips 8]

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
- ``slowonly-r18-w4``: SlowOnly R18 with base width 4 (about VSGT-tiny's FLOPs);
- not run unless named in ``--variants``: ``vsgt-tiny-16f`` and ``vsgt-tiny-16f-pae``, VSGT-tiny
  on 16-frame, 112-pixel clips (``configs/synthetic/vsgt-tiny-16f_synthetic.py``: a stage-1
  token grid of 8x28x28 where the 8-frame configs have 4x24x32), without and with PAE;
  ``vsgt-tiny-pae-rank``, PAE with the rank guidance (``pae_guidance_mode='rank'``);
  ``vsgt-tiny-pae-clip``, PAE with every frame's boxes on their own time slices
  (``configs/synthetic/vsgt-tiny-pae-clip_synthetic.py``).

Tubes are linked at IoU 0.3 (VideoMAP's ``link_iou_thr``): the hard set's 6-pixel-wide actors
move up to a third of their width per frame, so consecutive boxes of a walking or circling actor
overlap by less than 0.5 IoU in under 20% of frame pairs, and by 0.26 at least (checked by
``tests/datasets/test_synthetic.py -k consecutive``).

It prints one Markdown table (frame-mAP@0.5 and video-mAP@0.5 as mean and standard deviation
over the seeds; the difference to a baseline with its test; two diagnostics of the trained
significance-guided blocks; FLOPs per clip with 5 boxes, parameters and the training processes'
CPU time as ratios to ``vsgt-tiny``) and writes it with a PNG to ``WORK_DIR/benchmark.md`` /
``.png``. The PAE and window rows share seeds (data order, and for PAE the initial weights) with
``vsgt-tiny`` (the 16-frame PAE row with ``vsgt-tiny-16f``): their difference is taken seed by
seed (mean, standard deviation, paired t-test); the other rows are compared with Welch's t-test.
The diagnostics, on ``--diagnostic-clips`` val clips with the proposals as person boxes:
``entropy``, the mean entropy of the guided blocks' attention over its maximum (1: uniform), and
``persons``, the share of person tokens (covered by a key-frame proposal) that land in the
finest token group.
A finished run is reused (its test metrics and diagnostics are read back), so an interrupted
benchmark resumes.
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
TINY_16F = osp.join(CONFIGS, 'vsgt-tiny-16f_synthetic.py')
PAE = {'model.backbone.with_pae': True}
VARIANTS = {
    'vsgt-tiny': (TINY, {}),
    'vsgt-tiny-pae': (TINY, PAE),
    'vsgt-tiny-pae-guidance': (TINY, {**PAE, 'model.backbone.pae_enhancement': False}),
    'vsgt-tiny-pae-enhancement': (TINY, {**PAE, 'model.backbone.pae_guidance': False}),
    'window-tiny': (TINY, {'model.backbone.attention': 'window'}),
    'swin-micro': (osp.join(CONFIGS, 'swin-micro_synthetic.py'), {}),
    'slowonly-r18-w4': (osp.join(CONFIGS, 'slowonly-r18_synthetic.py'),
                        {'model.backbone.base_channels': 4,
                         'model.roi_head.bbox_head.in_channels': 32}),
    'vsgt-tiny-16f': (TINY_16F, {}),
    'vsgt-tiny-16f-pae': (TINY_16F, PAE),
    'vsgt-tiny-pae-rank': (TINY, {**PAE, 'model.backbone.pae_guidance_mode': 'rank'}),
    'vsgt-tiny-pae-clip': (osp.join(CONFIGS, 'vsgt-tiny-pae-clip_synthetic.py'), {}),
}
DEFAULT_VARIANTS = list(VARIANTS)[:7]
BASELINE = 'vsgt-tiny'
# Rows compared seed by seed with the run of the same seed of their baseline.
PAIRED = {'vsgt-tiny-pae': BASELINE, 'vsgt-tiny-pae-guidance': BASELINE,
          'vsgt-tiny-pae-enhancement': BASELINE, 'window-tiny': BASELINE,
          'vsgt-tiny-16f-pae': 'vsgt-tiny-16f', 'vsgt-tiny-pae-rank': BASELINE,
          'vsgt-tiny-pae-clip': BASELINE}
METRICS = ('frame_mAP@0.5', 'video_mAP@0.5')
DIAGNOSTICS = ('entropy', 'persons')
# What the val pipelines make of a 160x120 hard-preset clip.
CLIP_SHAPES = {'vsgt-tiny-16f': (3, 16, 112, 149), 'vsgt-tiny-16f-pae': (3, 16, 112, 149)}
CLIP_SHAPE = (3, 8, 96, 128)
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
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2, 3, 4])
    parser.add_argument('--iters', type=int, default=1200, help='training iterations of each run')
    parser.add_argument('--num-videos', type=int, default=48, help='videos of the hard set')
    parser.add_argument('--num-frames', type=int, default=40, help='frames per video')
    parser.add_argument('--variants', nargs='+', choices=list(VARIANTS), default=DEFAULT_VARIANTS)
    parser.add_argument('--diagnostic-clips', type=int, default=8,
                        help='val clips the diagnostics are measured on (0: none)')
    args = parser.parse_args(argv)
    if args.iters < 8:
        parser.error('--iters must be at least 8')
    if BASELINE not in args.variants:
        parser.error(f'--variants must include {BASELINE} (the baseline of the ratios)')
    for name in args.variants:
        if PAIRED.get(name, BASELINE) not in args.variants:
            parser.error(f'--variants {name} needs its baseline {PAIRED[name]}')
    if len(set(args.seeds)) != len(args.seeds):
        parser.error('--seeds must not repeat a seed')
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


def train_and_test(name, config, seed, work_dir, data_root, diagnostic_clips):
    """Metrics, diagnostics and training CPU seconds of one variant and seed (reused when
    recorded)."""
    from vsgt.utils import last_checkpoint, read_test_metrics
    run_dir = osp.join(work_dir, name, f'seed{seed}')
    record = osp.join(run_dir, 'result.json')
    result = None
    if osp.isfile(record):
        with open(record) as file:
            result = json.load(file)
    if result is None:
        print(f'[{name} seed {seed}] training', flush=True)
        cpu = run_tool('train.py', config, '--work-dir', run_dir, '--seed', seed, '--no-validate',
                       cwd=data_root)
        print(f'[{name} seed {seed}] testing', flush=True)
        test_dir = osp.join(run_dir, 'test')
        run_tool('test.py', config, last_checkpoint(run_dir), '--work-dir', test_dir,
                 cwd=data_root)
        metrics = read_test_metrics(test_dir)
        result = dict(train_cpu_s=cpu, **{key: metrics[key] for key in METRICS})
    if 'entropy' not in result and diagnostic_clips:
        print(f'[{name} seed {seed}] diagnostics', flush=True)
        result.update(diagnose(config, last_checkpoint(run_dir), data_root, diagnostic_clips))
    with open(record, 'w') as file:
        json.dump(result, file)
    return result


def diagnose(config, checkpoint, data_root, num_clips):
    """``entropy`` and ``persons`` (see the module) of a trained model on ``num_clips`` val clips
    spread over the split; None for a model without significance-guided blocks."""
    import torch
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import load_checkpoint

    import vsgt  # noqa: F401  (registers the project's modules)
    from mmaction.registry import DATASETS, MODELS
    init_default_scope('mmaction')
    cfg = Config.fromfile(config)
    model = MODELS.build(cfg.model).eval()
    load_checkpoint(model, checkpoint, map_location='cpu', logger='silent')
    here = os.getcwd()
    os.chdir(data_root)  # the configs' data paths are relative to it
    try:
        dataset = DATASETS.build(cfg.val_dataloader.dataset)
        step = max(len(dataset) // num_clips, 1)
        samples = [dataset[i] for i in range(0, len(dataset), step)][:num_clips]
    finally:
        os.chdir(here)
    with torch.no_grad():
        return guided_block_statistics(model, samples)


def guided_block_statistics(model, samples):
    """Mean ``entropy`` and ``persons`` over the significance-guided blocks of ``model``'s
    backbone and ``samples`` (packed inputs of the val pipeline, run one at a time through
    ``model.predict``); None each for a backbone without such blocks."""
    import torch
    from mmengine.dataset import pseudo_collate

    from vsgt.models.backbones.pae import guide_significance, person_box_masks
    from vsgt.models.backbones.sgformer3d import (SignificanceGuidedAttention,
                                                  group_tokens_by_significance)

    blocks = [(stage, module) for stage, block_stage in
              enumerate(getattr(model.backbone, 'stages', [])) for module in block_stage.modules()
              if isinstance(module, SignificanceGuidedAttention)]
    if not blocks:
        return dict(entropy=None, persons=None)
    entropies, shares = [], []
    boxes = []

    def record_sdpa(q, k, v):
        probs = ((q * q.shape[-1] ** -0.5) @ k.transpose(-2, -1)).softmax(-1)
        entropy = -(probs * probs.clamp_min(1e-12).log()).sum(-1)
        entropies.append(float(entropy.mean() / math.log(k.shape[-2])))
        return probs @ v

    def record_order(stage, module, args):
        x, grid, significance, person_weight = (list(args) + [None] * 4)[:4]
        key = significance
        if person_weight is not None:
            key = guide_significance(significance, person_weight, module.guidance_mode)
        stride = 4 * 2 ** stage
        mask = person_box_masks(boxes, 1, grid, stride, offset=0.5 - stride / 2) > 0
        if not mask.any():
            return
        finest = group_tokens_by_significance(key.reshape(1, -1), module.token_groups)[-1][0]
        persons = mask.reshape(-1)
        shares.append(float(persons[finest.flatten()].sum() / persons.sum()))

    handles = []
    for stage, module in blocks:
        module._sdpa = record_sdpa
        handles.append(module.register_forward_pre_hook(
            lambda module, args, stage=stage: record_order(stage, module, args)))
    try:
        for sample in samples:
            data = model.data_preprocessor(pseudo_collate([sample]), False)
            proposals = data['data_samples'][0].proposals.bboxes
            boxes[:] = [torch.as_tensor(proposals, dtype=torch.float32).reshape(-1, 4)]
            model.predict(data['inputs'], data['data_samples'])
    finally:
        for (_, module), handle in zip(blocks, handles):
            del module._sdpa
            handle.remove()
    return dict(entropy=sum(entropies) / len(entropies),
                persons=sum(shares) / len(shares) if shares else None)


def cost(config, clip_shape):
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
        flops, _ = count_flops(model_for_flops(model, clip_shape, 5), torch.randn(1, *clip_shape))
    return flops / 1e9, sum(p.numel() for p in model.parameters()) / 1e6


def mean_std(values):
    mean = sum(values) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1)) \
        if len(values) > 1 else 0.0
    return mean, std


def paired_difference(values, baseline):
    """(mean, sample standard deviation, two-sided paired t-test p) of ``values - baseline``,
    seed by seed; p is None below two pairs or when every difference is the same."""
    from scipy import stats
    if len(values) != len(baseline):
        raise ValueError(f'paired runs need the same seeds, got {len(values)} and '
                         f'{len(baseline)} values')
    mean, std = mean_std([a - b for a, b in zip(values, baseline)])
    p = float(stats.ttest_rel(values, baseline).pvalue) if len(values) > 1 and std > 0 else None
    return mean, std, p


def welch_difference(values, baseline):
    """(difference of the means, two-sided Welch t-test p); p is None below two runs a side or
    when both sides are constant."""
    from scipy import stats
    difference = mean_std(values)[0] - mean_std(baseline)[0]
    spread = mean_std(values)[1] + mean_std(baseline)[1]
    p = (float(stats.ttest_ind(values, baseline, equal_var=False).pvalue)
         if min(len(values), len(baseline)) > 1 and spread > 0 else None)
    return difference, p


def _p(p):
    return 'p n/a' if p is None else f'p={p:.3f}' if p >= 0.001 else 'p<0.001'


def difference_cell(name, rows, key):
    """The Markdown cell of a row's difference to its baseline in ``key``."""
    if name == BASELINE:
        return '—'
    if name in PAIRED:
        mean, std, p = paired_difference(rows[name][key], rows[PAIRED[name]][key])
        return f'{mean:+.3f} ± {std:.3f} (paired vs {PAIRED[name]}, {_p(p)})'
    difference, p = welch_difference(rows[name][key], rows[BASELINE][key])
    return f'{difference:+.3f} (Welch, {_p(p)})'


def diagnostic_cell(values):
    values = [v for v in values if v is not None]
    if not values:
        return '—'
    mean, std = mean_std(values)
    return f'{mean:.3f} ± {std:.3f}'


def table(rows, seeds):
    base = rows[BASELINE]
    lines = ['| model | frame-mAP@0.5 | video-mAP@0.5 | Δ frame-mAP | Δ video-mAP | entropy | '
             'persons | GFLOPs | params (M) | train CPU s |',
             '|---|---|---|---|---|---|---|---|---|---|']
    for name, row in rows.items():
        cells = [name]
        for key in METRICS:
            mean, std = mean_std(row[key])
            cells.append(f'{mean:.3f} ± {std:.3f}')
        cells += [difference_cell(name, rows, key) for key in METRICS]
        cells += [diagnostic_cell(row[key]) for key in DIAGNOSTICS]
        for key, fmt in (('gflops', '.3f'), ('params', '.3f'), ('train_cpu_s', '.0f')):
            value = row[key] if key != 'train_cpu_s' else sum(row[key]) / len(row[key])
            reference = base[key] if key != 'train_cpu_s' else \
                sum(base[key]) / len(base[key])
            cells.append(f'{value:{fmt}} ({value / reference:.2f}x)')
        lines.append('| ' + ' | '.join(cells) + ' |')
    lines.append(f'\nmean ± standard deviation over seeds {", ".join(map(str, seeds))}; '
                 f'Δ: difference to {BASELINE} (paired rows: to their baseline, seed by seed, '
                 'mean ± standard deviation); entropy: guided-block attention entropy over its '
                 'maximum; persons: share of person tokens in the finest token group; ratios to '
                 f'{BASELINE}; train CPU s: user + system seconds of one training run.')
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
            results[name].append(train_and_test(name, config, seed, work_dir, data_root,
                                                args.diagnostic_clips))
    rows = {}
    for name, config in configs.items():
        gflops, params = cost(config, CLIP_SHAPES.get(name, CLIP_SHAPE))
        rows[name] = dict(gflops=gflops, params=params,
                          **{key: [r.get(key) for r in results[name]] for key in
                             (*METRICS, *DIAGNOSTICS, 'train_cpu_s')})
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
