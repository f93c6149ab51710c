"""GAF against AFSD on the synthetic TAL sets: end to end on frames, or on features.

``python projects/gaf/tools/benchmark.py [--dataset frames|clutter] [--seeds 0 1] [--iters N]
[--models ...] [--actionformer DIR] [--work-dir DIR]``

Every model trains with the same data, seeds, iterations, batches and detector optimizer /
schedule (the AFSD config's; GAF's CVAE has its own optimizer and GAF runs both of its passes at
every iteration) in this process, with mmengine's Runner as tools/train.py builds it, and is
scored on the validation videos with ``TALDetectionMetric``: mAP at tIoU 0.3:0.1:0.7 and their
mean, AP on short actions (tIoU 0.5), training and inference time (model forward and
post-processing of the validation windows, one at a time), parameters and FLOPs (fvcore, one
window; the boundary pooling's gathers and VSGN's kNN search are not counted) as ratios to the
first model.

``--dataset frames`` (default; 300 iterations): the frame-level set of
``tools/data/synthetic_tal/generate_frames.py`` (48 videos of 32x32 frames, 3 classes among
drifting distractors). ``AFSD`` and ``GAF`` are the end-to-end models (``afsd_synthetic-frames.py``,
``gaf_synthetic-frames.py``: I3D from scratch on 128-frame windows), ``AFSD-features`` and
``GAF-features`` their feature variants on the set's ``features/`` (the same windows as 32 steps of
4 frames). A ``-mean`` suffix is GAF with ``norm='mean'`` (attention normalised per window)
instead of the official sum over the batch tensor. For every GAF model also its mean attention
(over channels) at the steps of its maps whose centre falls in a ground-truth action, in a
distractor's span outside the actions, and in neither, on the validation windows.

``--dataset clutter`` (150 iterations): the feature set ``clutter`` (3 classes on channels 0-15,
label-free action-like bursts on channels 16-31), ``afsd_synthetic.py``, ``gaf_synthetic.py`` and
VSGN (``projects/vsgn/configs/vsgn_synthetic_novss.py`` with this set's windows: 4 levels, width
64). For GAF the mean attention on the label channels inside and outside the ground-truth
actions, and on the clutter channels inside them and over all steps.

``--actionformer DIR`` (clutter only): also ActionFormer (the ``actionformer`` PyPI package
importable from ``DIR``, e.g. after ``pip install --no-deps --target DIR actionformer pandas pytz
tzdata joblib cloudpickle h5py``; never a dependency of this project), width 64, full
self-attention, trained on the same windows with AFSD's optimizer, schedule, batches and seeds
(the loop of ``vsgt.utils.tal_benchmark``), its own per-window inference, then the same metric.
"""
import argparse
import json
import os.path as osp
from collections import defaultdict

import numpy as np
import torch
from mmengine.config import Config

from vsgt.datasets.synthetic_tal import (TAL_PRESETS, generate_synthetic_tal,
                                         generate_synthetic_tal_frames)
from vsgt.datasets.tal import window_to_seconds
from vsgt.utils.launch import run_cli
from vsgt.utils.tal_benchmark import (add_arguments, benchmark_config, check_arguments,
                                      enter_work_dir, format_table, run_actionformer, run_seeds,
                                      train_and_score)

CONFIG_DIR = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs')
VSGN_CONFIG = osp.join(osp.dirname(CONFIG_DIR), '..', 'vsgn', 'configs',
                       'vsgn_synthetic_novss.py')
#: Per dataset: its data folder, generator, preset, default iterations, models, AFSD config.
DATASETS = {
    'frames': dict(data_dir='synthetic_tal_frames', generate=generate_synthetic_tal_frames,
                   preset='frames', iters=300,
                   models=('AFSD', 'GAF', 'GAF-mean', 'AFSD-features', 'GAF-features',
                           'GAF-features-mean'),
                   reference='afsd_synthetic-frames.py'),
    'clutter': dict(data_dir='synthetic_tal_clutter', generate=generate_synthetic_tal,
                    preset='clutter', iters=150, models=('AFSD', 'GAF', 'VSGN'),
                    reference='afsd_synthetic.py'),
}
CLUTTER_GROUPS = ('label channels 0-15, inside actions', 'label channels 0-15, outside actions',
                  'clutter channels 16-31, inside actions', 'clutter channels 16-31, all steps')
STEP_GROUPS = ('actions', 'distractors only', 'neither')
#: The keys a run gives the training loop of the reference config (the benchmark's budget).
SHARED_KEYS = ('train_dataloader', 'train_cfg', 'param_scheduler', 'default_hooks',
               'log_processor')


#: The configs of the frame set's models (a ``-mean`` suffix only changes ``model.norm``).
FRAME_CONFIGS = {'AFSD': 'afsd_synthetic-frames.py', 'GAF': 'gaf_synthetic-frames.py',
                 'AFSD-features': 'afsd_synthetic-frames-features.py',
                 'GAF-features': 'gaf_synthetic-frames-features.py'}


def load(name: str) -> Config:
    """A config of ``projects/gaf/configs``."""
    return Config.fromfile(osp.join(CONFIG_DIR, name))


def model_config(dataset: str, name: str) -> Config:
    """The config of a benchmarked model on ``dataset``."""
    reference = load(DATASETS[dataset]['reference'])
    if dataset == 'clutter':
        if name in ('AFSD', 'GAF'):
            return load(f'{name.lower()}_synthetic.py')
        cfg = Config.fromfile(VSGN_CONFIG)
        for key in ('train_dataloader', 'val_dataloader', 'test_dataloader', 'val_evaluator',
                    'test_evaluator', 'optim_wrapper', 'param_scheduler', 'train_cfg'):
            cfg[key] = reference[key]
        cfg.custom_imports.imports = [*cfg.custom_imports.imports, 'vsgt_projects.gaf.gaf']
        cfg.model.update(in_channels=64, num_classes=3, window_size=64, channels=64,
                         num_levels=4)
        return cfg
    base = name.replace('-mean', '')
    cfg = load(FRAME_CONFIGS[base])
    if base == 'GAF':  # the iteration loop and schedule of AFSD, both passes at every step
        for key in SHARED_KEYS:
            cfg[key] = reference[key]
        cfg.model.pull_warmup = load('gaf_synthetic-frames-features.py').model.pull_warmup
    if name.endswith('-mean'):
        cfg.model.norm = 'mean'
    return cfg


def clutter_attention(model, data: dict, sums: dict) -> None:
    """Add the attention sums and counts of one batch of the clutter set (``CLUTTER_GROUPS``) to
    ``sums['features']``."""
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
            sums['features'][i] += [float(lam[channels][:, steps_used].sum()),
                                    lam[channels][:, steps_used].numel()]


class StepSpans:
    """The actions and the distractors of the frame set's videos, in seconds."""

    def __init__(self, data_root: str):
        with open(osp.join(data_root, 'annotations.json')) as f:
            database = json.load(f)['database']
        with open(osp.join(data_root, 'summary.json')) as f:
            distractors = json.load(f)['distractors']
        self.actions = {video: np.array([a['segment'] for a in entry['annotations']]
                                        ).reshape(-1, 2) for video, entry in database.items()}
        self.distractors = {video: np.array(spans).reshape(-1, 2)
                            for video, spans in distractors.items()}

    def groups(self, metainfo: dict, num_steps: int, window_size: int) -> np.ndarray:
        """The ``STEP_GROUPS`` index of each of ``num_steps`` steps spanning a window of
        ``window_size`` units (-1: padding)."""
        centres = (np.arange(num_steps) + 0.5) * window_size / num_steps
        seconds = window_to_seconds(centres, metainfo)
        video = metainfo['video_name']

        def inside(spans):
            return ((seconds[:, None] >= spans[None, :, 0]) &
                    (seconds[:, None] <= spans[None, :, 1])).any(axis=1)

        groups = np.where(inside(self.actions[video]), 0,
                          np.where(inside(self.distractors[video]), 1, 2))
        return np.where(centres < metainfo['num_valid'], groups, -1)


def frame_attention(model, data: dict, sums: dict, spans: StepSpans) -> None:
    """Add the attention sums and counts of one batch of the frame set to ``sums[map]`` (the
    I3D maps end to end, ``'features'`` otherwise), per ``STEP_GROUPS``: the attention averaged
    over its channels at each step."""
    x = model.select_inputs(data['inputs'])
    if hasattr(model, 'attend'):
        attentions = dict(zip(model.maps, model.attend(model.backbone(x))))
    else:
        attentions = dict(features=model.attention(x))
    for map_name, attention in attentions.items():
        per_step = attention.mean(1)  # (B, T_map)
        for values, sample in zip(per_step, data['data_samples']):
            groups = spans.groups(sample.metainfo, len(values), model.window_size)
            for column in range(len(STEP_GROUPS)):
                chosen = values[torch.from_numpy(groups == column)]
                sums[map_name][column] += [float(chosen.sum()), chosen.numel()]


def run(dataset: str, name: str, seed: int, iters: int, work_dir: str) -> dict:
    """Train one model with one seed; its accuracy, times, parameters, FLOPs (+ attention)."""
    cfg = benchmark_config(model_config(dataset, name), name, seed, iters, work_dir)
    is_gaf = name.startswith('GAF')
    columns = len(STEP_GROUPS) if dataset == 'frames' else len(CLUTTER_GROUPS)
    sums = defaultdict(lambda: np.zeros((columns, 2)))  # per map: (sum, count) per group
    spans = StepSpans(osp.join(work_dir, 'data', DATASETS[dataset]['data_dir'])) \
        if dataset == 'frames' and is_gaf else None

    def add_attention(model, data):
        if is_gaf:
            data = model.data_preprocessor(data)
            if spans is None:
                clutter_attention(model, data, sums)
            else:
                frame_attention(model, data, sums, spans)

    result = train_and_score(cfg, add_attention)
    if is_gaf:
        result['attention'] = {map_name: totals[:, 0] / np.maximum(totals[:, 1], 1)
                               for map_name, totals in sums.items()}
    return result


def attention_table(dataset: str, results: dict) -> str:
    """Markdown: each GAF model's mean attention per group, mean [min, max] over its runs."""
    groups = STEP_GROUPS if dataset == 'frames' else CLUTTER_GROUPS
    header = ['GAF attention (validation windows)', *groups]
    if dataset == 'frames':
        header.append('actions - distractors')
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for name, runs in results.items():
        if 'attention' not in runs[0]:
            continue
        for map_name in runs[0]['attention']:
            values = np.stack([r['attention'][map_name] for r in runs])  # (runs, groups)
            if dataset == 'frames':
                values = np.concatenate([values, values[:, :1] - values[:, 1:2]], axis=1)
            cells = [f'{name}, {map_name.capitalize()}' if dataset == 'frames' else name]
            for v in values.T:
                cells.append(f'{v.mean():.3f} [{v.min():.3f}, {v.max():.3f}]')
            lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--dataset', default='frames', choices=sorted(DATASETS),
                        help='the frame-level set (end-to-end models and their feature '
                        'variants) or the clutter feature set')
    parser.add_argument('--models', nargs='+',
                        help='the first is the reference of the ratios (default: all of the '
                        f"dataset's: frames {' '.join(DATASETS['frames']['models'])}; clutter "
                        f"{' '.join(DATASETS['clutter']['models'])})")
    add_arguments(parser, iters=None, work_dir='work_dirs/gaf_benchmark',
                  data_dir='synthetic_tal_frames or synthetic_tal_clutter')
    args = parser.parse_args(argv)
    dataset = DATASETS[args.dataset]
    args.models = args.models or list(dataset['models'])
    unknown = [name for name in args.models if name not in dataset['models']]
    if unknown:
        raise ValueError(f"--models {' '.join(unknown)}: not a model of --dataset {args.dataset} "
                     f"(choose from {' '.join(dataset['models'])})")
    if args.actionformer and args.dataset != 'clutter':
        raise ValueError('--actionformer runs on --dataset clutter only')
    if args.iters is None:
        args.iters = dataset['iters']
    check_arguments(args)
    work_dir = osp.abspath(args.work_dir)
    enter_work_dir(work_dir, dataset['data_dir'], preset=dataset['preset'], seed=args.data_seed,
                   generate=dataset['generate'])
    runs = {name: lambda seed, name=name: run(args.dataset, name, seed, args.iters, work_dir)
            for name in args.models}
    if args.actionformer:
        runs['ActionFormer'] = lambda seed: run_actionformer(
            osp.abspath(args.actionformer),
            benchmark_config(model_config('clutter', 'AFSD'), 'AFSD', seed, args.iters,
                             work_dir), seed, args.iters)
    results = run_seeds(runs, args.seeds, 'mAP@0.5')
    print(format_table(results, args.seeds, first_column='model'))
    if any('attention' in runs[0] for runs in results.values()):
        print()
        print(attention_table(args.dataset, results))


if __name__ == '__main__':
    run_cli(main)
