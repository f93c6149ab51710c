"""Action recognition demo: ``python demo/demo_recognition.py VIDEO``.

Scores VIDEO (a video file or a folder of frames) with the recognizer of ``--config`` through its
test pipeline (the frames its sampler picks, all clips and crops of the test protocol) and prints
the ``--top-k`` classes with their scores; ``--out-json`` also writes them.
"""
import argparse
import json
import os.path as osp
import sys

from mmengine.config import DictAction

from vsgt.apis import ActionRecognizer, VideoSource, random_weights_banner
from vsgt.evaluation.functional.formats import atomic_write
from vsgt.utils.launch import add_device_argument, check_device, run_cli

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_CONFIG = osp.join(ROOT, 'projects', 'videolightformer', 'configs', 'synthetic',
                          'vlf_r18s3_synthetic.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('video', help='video file (mp4, avi, ...) or folder of frames')
    parser.add_argument('--config', default=DEFAULT_CONFIG, help='recognizer config')
    parser.add_argument('--checkpoint', help='its checkpoint (default: random weights)')
    parser.add_argument('--label-map', help='class names, one per line (class 0 first)')
    parser.add_argument('--top-k', type=int, default=5, help='classes printed')
    parser.add_argument('--max-frames', type=int, help='use only the first N frames')
    parser.add_argument('--out-json', help='also write the top classes to this JSON')
    add_device_argument(parser)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override entries of the recognizer config')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.top_k < 1:
        raise ValueError(f'--top-k must be at least 1, got {args.top_k}')
    check_device(args.device)
    video = VideoSource(args.video, args.max_frames)
    recognizer = ActionRecognizer(args.config, args.checkpoint, args.device, args.label_map,
                                  args.cfg_options)
    notes = []
    if args.checkpoint is None:
        print(random_weights_banner('recognizer'), file=sys.stderr)
        notes.append('RANDOM WEIGHTS: no --checkpoint')
    top = recognizer.top_k(recognizer.predict(video), args.top_k)
    for note in notes:
        print(f'note: {note}')
    print(f'{args.video}: top {len(top)} of {len(recognizer.labels)} classes')
    for label, score in top:
        print(f'{score:8.4f}  {label}')
    if args.out_json:
        record = dict(video=args.video, config=args.config, checkpoint=args.checkpoint,
                      notes=notes, top=[dict(label=label, score=round(score, 6))
                                        for label, score in top])
        atomic_write(args.out_json, lambda file: json.dump(record, file, indent=1), binary=False)
        print(f'wrote {args.out_json}')


if __name__ == '__main__':
    run_cli(main)
