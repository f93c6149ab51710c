"""Person boxes of one video of an AVA-layout set, as a boxes file for the demo and
``vis_significance.py`` (see demo/README.md).

    python tools/data/boxes_file.py data/synthetic/annotations/val.csv video_0033 \\
        --frames-dir data/synthetic/rawframes --out boxes_video_0033.json

Reads the ground-truth rows of VIDEO from an AVA CSV (``video,frame,x1,y1,x2,y2,action,person``,
boxes in [0, 1], frame numbers from 1 as in ``FrameAVADataset``), or the boxes and scores of a
proposals pickle (``.pkl``: ``{"video,%04d": (n, 4 or 5) boxes}``), and writes them
in pixels of the video's frames (the size of its first frame in ``--frames-dir``) under the
0-based frame index the demo counts in: ``{"18": [[x1, y1, x2, y2], ...], ...}`` for frame
number 19. A person with several actions at a frame is one box.
"""
import argparse
import json
import os
import os.path as osp


IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('boxes', help='AVA CSV (ground truth, e.g. '
                        'data/synthetic/annotations/val.csv) or proposals pickle (.pkl)')
    parser.add_argument('video', help='video id, e.g. video_0033')
    parser.add_argument('--frames-dir', required=True,
                        help='root of the frames (its VIDEO folder gives the frame size)')
    parser.add_argument('--out', required=True, help='boxes file to write (.json)')
    return parser.parse_args(argv)


def frame_size(frames_dir, video):
    """(width, height) of the first frame of ``video``."""
    import cv2
    folder = osp.join(frames_dir, video)
    if not osp.isdir(folder):
        raise FileNotFoundError(f'frame folder not found: {folder}')
    frames = sorted(name for name in os.listdir(folder) if name.lower().endswith(IMAGE_EXTENSIONS))
    if not frames:
        raise FileNotFoundError(f'no frame image in {folder}')
    image = cv2.imread(osp.join(folder, frames[0]))
    if image is None:
        raise ValueError(f'cannot read frame {osp.join(folder, frames[0])}')
    return image.shape[1], image.shape[0]


def ground_truth_boxes(ann_file, video):
    """{frame number: [[x1, y1, x2, y2], ...]} of ``video``'s rows (normalised), one per person."""
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'annotation file not found: {ann_file}')
    boxes = {}
    with open(ann_file) as file:
        for number, line in enumerate(file, 1):
            fields = line.strip().split(',')
            if fields[0] != video:
                continue
            if len(fields) < 6:
                raise ValueError(f'{ann_file}, row {number}: expected video,frame,x1,y1,x2,y2,'
                                 f'... got {line.strip()!r}')
            try:
                frame, box = int(fields[1]), [float(value) for value in fields[2:6]]
            except ValueError:
                raise ValueError(f'{ann_file}, row {number}: frame and box must be numbers, got '
                                 f'{line.strip()!r}') from None
            person = fields[7] if len(fields) > 7 else None
            people = boxes.setdefault(frame, {})
            people.setdefault(person if person is not None else tuple(box), box)
    if not boxes:
        raise ValueError(f'{ann_file}: no row of video {video}')
    return {frame: list(people.values()) for frame, people in boxes.items()}


def proposal_boxes(proposal_file, video):
    """{frame number: [[x1, y1, x2, y2(, score)], ...]} of ``video``'s proposals (normalised)."""
    from vsgt.datasets.frame_ava import load_proposals
    boxes = {}
    for key, array in load_proposals(proposal_file).items():
        name, _, frame = key.rpartition(',')
        if name == video:
            boxes[int(frame)] = [[float(value) for value in row] for row in array]
    if not boxes:
        raise ValueError(f'{proposal_file}: no proposals of video {video}')
    return boxes


def to_pixels(boxes, width, height):
    """The boxes file content: 0-based frame index -> boxes in pixels (scores kept)."""
    scale = [width, height, width, height]
    return {str(frame - 1): [[round(v * s, 2) for v, s in zip(box[:4], scale)] + box[4:5]
                             for box in frame_boxes]
            for frame, frame_boxes in sorted(boxes.items())}


def main(argv=None):
    args = parse_args(argv)
    from vsgt.evaluation.functional.formats import atomic_write
    if not args.out.lower().endswith('.json'):
        raise ValueError(f'--out must be a .json file, got {args.out}')
    boxes = (proposal_boxes(args.boxes, args.video) if args.boxes.lower().endswith('.pkl')
             else ground_truth_boxes(args.boxes, args.video))
    content = to_pixels(boxes, *frame_size(args.frames_dir, args.video))
    atomic_write(args.out, lambda file: json.dump(content, file), binary=False)
    print(f'{args.out}: {sum(map(len, content.values()))} boxes on {len(content)} frames of '
          f'{args.video}')


if __name__ == '__main__':
    parse_args()  # --help and bad flags answer before the heavy imports
    from vsgt.utils.launch import run_cli
    run_cli(main)
