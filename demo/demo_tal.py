"""Temporal action localization demo: ``python demo/demo_tal.py FEATURES OUT.png``.

Finds the actions of one video from its feature file (``.npy`` ``(num_steps, C)`` or ``.csv``,
as the config's dataset reads them) with the localizer of ``--config``: the config's test windows,
the model, then its metric's post-processing (merging the windows, NMS). Writes OUT (a PNG
timeline of the ``--top`` best detections) and a JSON of every kept detection (``--out-json``,
default OUT with ``.json``).
"""
import argparse
import json
import os.path as osp
import sys

from mmengine.config import DictAction

from vsgt.apis import TemporalLocalizer, random_weights_banner
from vsgt.evaluation.functional.formats import atomic_write
from vsgt.utils.launch import add_device_argument, check_device, run_cli
from vsgt.visualization.figures import check_png_path, save_figure
from vsgt.visualization.timeline import timeline_figure

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_CONFIG = osp.join(ROOT, 'projects', 'vsgn', 'configs', 'vsgn_synthetic.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('features', help='the video\'s feature file (.npy or .csv)')
    parser.add_argument('out', help='output timeline (.png)')
    parser.add_argument('--out-json', help='detections JSON (default: OUT with .json)')
    parser.add_argument('--config', default=DEFAULT_CONFIG, help='temporal localizer config')
    parser.add_argument('--checkpoint', help='its checkpoint (default: random weights)')
    parser.add_argument('--duration', type=float,
                        help='the video\'s length in seconds (default: the feature steps at the '
                        'config\'s feature_rate)')
    parser.add_argument('--top', type=int, default=10, help='detections drawn (default: 10)')
    add_device_argument(parser)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override entries of the localizer config')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    check_png_path(args.out)
    if args.top < 1:
        raise ValueError(f'--top must be at least 1, got {args.top}')
    args.out_json = args.out_json or osp.splitext(args.out)[0] + '.json'
    check_device(args.device)
    if not osp.isfile(args.features):
        raise FileNotFoundError(f'feature file not found: {args.features}')
    localizer = TemporalLocalizer(args.config, args.checkpoint, args.device, args.cfg_options)
    duration = args.duration or localizer.duration_of(args.features)
    segments, scores, labels = localizer.predict(args.features, duration)
    notes = []
    if args.checkpoint is None:
        print(random_weights_banner('localizer'), file=sys.stderr)
        notes.append('RANDOM WEIGHTS: no --checkpoint')
    video = osp.splitext(osp.basename(args.features))[0]
    top = slice(0, args.top)  # best first
    title = f'{video}: the {len(scores[top])} best of {len(scores)} detections'
    if notes:
        title += ' (' + '; '.join(notes) + ')'
    figure = timeline_figure(localizer.labels, duration, segments[top], scores[top], labels[top],
                             title=title)
    save_figure(figure, args.out, dpi=100)
    record = dict(video=video, features=args.features, duration=duration, config=args.config,
                  checkpoint=args.checkpoint, classes=localizer.labels, notes=notes,
                  detections=[dict(label=localizer.labels[label], score=round(float(score), 6),
                                   segment=[round(float(v), 4) for v in segment])
                              for segment, score, label in zip(segments, scores, labels)])
    atomic_write(args.out_json, lambda file: json.dump(record, file, indent=1), binary=False)
    for note in notes:
        print(f'note: {note}')
    for segment, score, label in list(zip(segments, scores, labels))[top]:
        print(f'{score:8.4f}  {segment[0]:8.2f} - {segment[1]:8.2f} s  {localizer.labels[label]}')
    print(f'wrote {args.out} (the {len(scores[top])} best) and {args.out_json} '
          f'({len(scores)} detections)')


if __name__ == '__main__':
    run_cli(main)
