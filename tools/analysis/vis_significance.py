"""Significance maps of VSGT's hybrid-scale blocks over a clip: ``python
tools/analysis/vis_significance.py CONFIG VIDEO --out PNG``.

Runs the backbone of CONFIG (an SGFormer3D detector) on the clip of VIDEO (a video file or a
folder of frames) centred on ``--frame`` and draws, for each of ``--blocks`` (``stage.block``,
0-based; default the first hybrid-scale block of stages 0-2), its significance over the clip's
frames (one column per token time slice, titled with the video frames it covers; a colour
scale per row). With a PAE config a second row per block shows the significance the next block
sorts by when the person boxes steer it (boxes of ``--boxes``, else OpenCV's HOG detector on the
key frame; outlined in cyan).

    python tools/analysis/vis_significance.py configs/synthetic/vsgt-tiny-pae_synthetic.py \\
        video.mp4 --checkpoint work_dirs/vsgt-tiny-pae_synthetic/iter_1200.pth \\
        --out significance.png

(``iter_1200.pth``: the last checkpoint of ``python tools/train.py
configs/synthetic/vsgt-tiny-pae_synthetic.py``.)
"""
import argparse

from mmengine.config import DictAction

from vsgt.apis import ActionDetector, BoxesFilePersons, HOGPersonDetector, VideoSource
from vsgt.utils.launch import add_device_argument, check_device, run_cli
from vsgt.visualization.figures import check_colors, check_png_path
from vsgt.visualization.significance import (first_hybrid_blocks, plot_significance,
                                             significance_rows)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] + ' ' +
                                     __doc__.splitlines()[1])
    parser.add_argument('config', help='VSGT detector config (SGFormer3D backbone)')
    parser.add_argument('video', help='video file or folder of frames')
    parser.add_argument('--out', required=True, help='output PNG')
    parser.add_argument('--checkpoint', help='checkpoint of the config (default: random '
                        'weights)')
    parser.add_argument('--blocks', nargs='+', help='hybrid-scale blocks, as stage.block')
    parser.add_argument('--frame', type=int, help='key frame, 0-based (default: the middle)')
    parser.add_argument('--boxes', help='person boxes file (see demo/README.md)')
    parser.add_argument('--person-thr', type=float, default=1.0,
                        help='lowest HOG score kept (without --boxes)')
    parser.add_argument('--num-frames', type=int, default=4, help='time slices shown per row')
    parser.add_argument('--dpi', type=int, default=80, help='resolution of the PNG')
    parser.add_argument('--colors', type=int,
                        help='write a palette PNG of this many colours (2-256; smaller files)')
    add_device_argument(parser)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config entries')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    check_png_path(args.out)
    check_colors(args.colors)
    check_device(args.device)
    if args.num_frames < 1:
        raise ValueError(f'--num-frames must be at least 1, got {args.num_frames}')
    source = VideoSource(args.video)
    num_frames = source.expected_frames or sum(1 for _ in source)
    key = num_frames // 2 if args.frame is None else args.frame
    if not 0 <= key < num_frames:
        raise ValueError(f'--frame {key} is outside 0..{num_frames - 1} of {args.video}')
    detector = ActionDetector(args.config, args.checkpoint, args.device,
                              cfg_options=args.cfg_options)
    backbone = detector.model.backbone
    blocks = args.blocks or first_hybrid_blocks(backbone)
    indices = detector.clip_indices(key, num_frames - 1)
    frames = source.read(indices)
    persons = BoxesFilePersons(args.boxes) if args.boxes else HOGPersonDetector(args.person_thr)
    boxes = persons(key, frames[detector.clip_len // 2])[:, :4]
    clip, clip_boxes = detector.backbone_input(frames, boxes)
    rows = significance_rows(backbone, clip, clip_boxes, boxes, blocks)
    plot_significance(frames, rows, clip.shape[-2:], args.out, args.num_frames, args.dpi,
                      args.colors, frame_ids=indices)
    unused = '' if getattr(backbone, 'pae', None) is not None else ' (not used: no PAE)'
    weights = args.checkpoint or 'RANDOM weights (no --checkpoint)'
    print(f'wrote {args.out}: blocks {", ".join(blocks)}, key frame {key}, '
          f'{len(boxes)} person box(es){unused}, {weights}')


if __name__ == '__main__':
    run_cli(main)
