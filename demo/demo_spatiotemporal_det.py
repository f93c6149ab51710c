"""Spatio-temporal action detection demo: ``python demo/demo_spatiotemporal_det.py VIDEO OUT``.

Finds the people of VIDEO (a video file or a folder of frames) on every ``--predict-stepsize``-th
frame, scores their actions with the action detector of ``--config`` on the clip centred there,
and writes OUT (the video with boxes and the top actions, mp4v) and a JSON of every detection
(``--out-json``, default OUT with ``.json``). Person boxes come from an mmdet detector
(``--det-config`` and ``--det-checkpoint``), a boxes file (``--boxes``, see demo/README.md) or,
without either, OpenCV's HOG people detector.
"""
import argparse
import json
import os.path as osp
import sys

from mmengine.config import DictAction

from vsgt.apis import (ActionDetector, BoxesFilePersons, HOGPersonDetector, MMDetPersonDetector,
                       VideoSource, run_demo)
from vsgt.evaluation.functional.formats import atomic_write
from vsgt.utils.launch import add_device_argument, check_device, run_cli

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_CONFIG = osp.join(ROOT, 'configs', 'synthetic', 'vsgt-tiny_synthetic.py')
RANDOM_WEIGHTS = 'RANDOM WEIGHTS: no --checkpoint'


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('video', help='video file (mp4, avi, ...) or folder of frames')
    parser.add_argument('out', help='output video (.mp4 or .avi)')
    parser.add_argument('--out-json', help='detections JSON (default: OUT with .json)')
    parser.add_argument('--config', default=DEFAULT_CONFIG, help='action detector config')
    parser.add_argument('--checkpoint', help='its checkpoint (default: random weights)')
    parser.add_argument('--label-map', help='action names (.pbtxt, or .txt one per line); '
                        'default: the config\'s label_file if it exists')
    parser.add_argument('--det-config', help='mmdet person detector config')
    parser.add_argument('--det-checkpoint', help='mmdet person detector checkpoint')
    parser.add_argument('--det-cat-id', type=int, default=0,
                        help='label index of a person for the mmdet detector (COCO: 0)')
    parser.add_argument('--boxes', help='person boxes file (.json or .csv, see demo/README.md)')
    parser.add_argument('--det-score-thr', type=float,
                        help='lowest person score kept (default: 0.5 for mmdet, 1.0 for HOG, '
                        'none for --boxes)')
    parser.add_argument('--predict-stepsize', type=int, default=8,
                        help='run the action detector on every N-th frame')
    parser.add_argument('--top-k', type=int, default=3, help='actions shown per person')
    parser.add_argument('--action-score-thr', type=float, default=0.0,
                        help='lowest action score shown')
    parser.add_argument('--max-frames', type=int, help='process only the first N frames')
    parser.add_argument('--short-side', type=int,
                        help='resize the frames the action detector sees so that their shorter '
                        'side is N (mmaction2\'s demo: 256; default: as they are, the config\'s '
                        'test pipeline resizes them)')
    parser.add_argument('--output-stepsize', type=int, default=1,
                        help='write every N-th frame to the output (mmaction2\'s demo: 4)')
    parser.add_argument('--output-fps', type=float,
                        help='frame rate of the output (default: the video\'s, folders 25, '
                        'divided by --output-stepsize)')
    add_device_argument(parser)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override entries of the action detector config')
    return parser.parse_args(argv)


def check_args(args):
    if not args.out.lower().endswith(('.mp4', '.avi')):
        raise ValueError(f'OUT must be an .mp4 or .avi file, got {args.out}')
    args.out_json = args.out_json or osp.splitext(args.out)[0] + '.json'
    if osp.abspath(args.out) in (osp.abspath(args.video), osp.abspath(args.out_json)):
        raise ValueError(f'OUT {args.out} would overwrite the input or the JSON')
    if args.output_fps is not None and not args.output_fps > 0:
        raise ValueError(f'--output-fps must be positive, got {args.output_fps}')
    if (args.det_config is None) != (args.det_checkpoint is None):
        raise ValueError('give both --det-config and --det-checkpoint, or neither')
    if args.boxes and args.det_config:
        raise ValueError('give either --boxes or --det-config/--det-checkpoint, not both')
    for name in ('predict_stepsize', 'top_k', 'output_stepsize', 'short_side'):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            raise ValueError(f'--{name.replace("_", "-")} must be at least 1')
    check_device(args.device)


def person_source(args):
    """The person boxes callable chosen by the arguments, and its description."""
    if args.boxes:
        return BoxesFilePersons(args.boxes, args.det_score_thr), f'boxes file {args.boxes}'
    if args.det_config:
        thr = 0.5 if args.det_score_thr is None else args.det_score_thr
        return (MMDetPersonDetector(args.det_config, args.det_checkpoint, args.device, thr,
                                    args.det_cat_id), f'mmdet {args.det_config}')
    thr = 1.0 if args.det_score_thr is None else args.det_score_thr
    return HOGPersonDetector(thr), 'OpenCV HOG people detector'


def main(argv=None):
    args = parse_args(argv)
    check_args(args)
    source = VideoSource(args.video, args.max_frames)
    persons, person_description = person_source(args)
    detector = ActionDetector(args.config, args.checkpoint, args.device, args.label_map,
                              args.cfg_options)
    notes = []
    if args.checkpoint is None:
        print('\n'.join(['!' * 78, f'WARNING: {RANDOM_WEIGHTS} was given, the action detector '
                         'has random weights:', 'its action labels and scores mean nothing.',
                         '!' * 78]), file=sys.stderr)
        notes.append(RANDOM_WEIGHTS)
    record = run_demo(source, persons, detector, args.out, args.predict_stepsize, args.top_k,
                      args.action_score_thr, notes, short_side=args.short_side,
                      output_stepsize=args.output_stepsize, output_fps=args.output_fps,
                      config=args.config, checkpoint=args.checkpoint,
                      person_source=person_description)
    atomic_write(args.out_json, lambda file: json.dump(record, file, indent=1), binary=False)
    print(f'wrote {args.out} ({record["output_frames"]} frames) and {args.out_json} '
          f'({len(record["detections"])} person detections on {len(record["key_frames"])} '
          'key frames)')
    for note in record['notes']:
        print(f'note: {note}')


if __name__ == '__main__':
    run_cli(main)
