"""Time frame-mAP and video-mAP on a synthetic split the size of UCF101-24's test split.

``python tools/analysis/benchmark_metrics.py [--num-videos 910] [--dets-per-frame 10]``

The split is made deterministically from ``--seed``: videos of 40 to 330 frames (about 170k
frames for 910 videos) at 320x240, one or two ground-truth tubes per video, and on every frame
``--dets-per-frame`` detections: each tube's box jittered with its class (and with two other
classes at lower scores), boxes of two persistent distractors with a random class each, and
random boxes with random classes. Prints the sizes and the seconds spent on frame-mAP@0.5,
on linking, and on video-mAP at 0.2, 0.5, 0.75 and 0.5:0.95.
"""
import argparse
import time

import numpy as np

from vsgt.evaluation.functional import (HIGH_IOU_THRS, frame_ap, link_tubes, load_ground_truth,
                                        video_ap)
from vsgt.utils.launch import run_cli

WIDTH, HEIGHT = 320, 240


def _walk(rng: np.random.Generator, num_frames: int) -> np.ndarray:
    """A box drifting smoothly inside the frame, ``(num_frames, 4)``."""
    size = rng.uniform([40, 80], [100, 200])
    centre = rng.uniform(size / 2, [WIDTH, HEIGHT] - size / 2)
    drift = np.cumsum(rng.normal(0, 1.0, (num_frames, 2)), axis=0)
    centre = np.clip(centre + drift, size / 2, [WIDTH, HEIGHT] - size / 2)
    return np.concatenate([centre - size / 2, centre + size / 2], axis=1)


def _jitter(rng: np.random.Generator, boxes: np.ndarray, scale: float) -> np.ndarray:
    size = np.tile(boxes[:, 2:] - boxes[:, :2], 2)
    jittered = boxes + rng.normal(0, scale, boxes.shape) * size
    low = np.minimum(jittered[:, :2], jittered[:, 2:])
    high = np.maximum(jittered[:, :2], jittered[:, 2:])
    return np.concatenate([low, high], axis=1)


def make_split(num_videos: int, dets_per_frame: int, num_classes: int, seed: int):
    """Ground truth (ACT dict) and frame detections ``(N, 8)`` of the synthetic split."""
    rng = np.random.default_rng(seed)
    videos = [f'class{v % num_classes:02d}/video_{v:04d}' for v in range(num_videos)]
    gttubes, nframes, detections = {}, {}, []
    for index, video in enumerate(videos):
        num_frames = int(rng.integers(40, 331))
        label = index % num_classes
        frames = np.arange(1, num_frames + 1)
        tubes = []
        for _ in range(1 + int(rng.random() < 0.2)):
            start = int(rng.integers(1, num_frames // 3 + 1))
            end = int(rng.integers(start + num_frames // 2, num_frames + 1))
            boxes = _walk(rng, end - start + 1)
            tubes.append(np.column_stack([np.arange(start, end + 1), boxes]).astype(np.float32))
        gttubes[video] = {label: tubes}
        nframes[video] = num_frames

        rows = []
        for tube in tubes:
            tube_frames, boxes = tube[:, 0], tube[:, 1:].astype(np.float64)
            rows.append((tube_frames, np.full(len(tube), label), rng.uniform(0.4, 1.0, len(tube)),
                         _jitter(rng, boxes, 0.05)))
            for _ in range(2):
                rows.append((tube_frames, rng.integers(0, num_classes, len(tube)),
                             rng.uniform(0.0, 0.5, len(tube)), _jitter(rng, boxes, 0.05)))
        for _ in range(2):
            rows.append((frames, np.full(num_frames, rng.integers(0, num_classes)),
                         rng.uniform(0.0, 0.6, num_frames), _walk(rng, num_frames)))
        used = np.bincount(np.concatenate([r[0] for r in rows]).astype(np.int64),
                           minlength=num_frames + 1)[1:]
        fill = np.repeat(frames, np.maximum(dets_per_frame - used, 0))
        corners = rng.uniform(0, [WIDTH - 40, HEIGHT - 80], (len(fill), 2))
        rows.append((fill, rng.integers(0, num_classes, len(fill)),
                     rng.uniform(0.0, 0.5, len(fill)),
                     np.concatenate([corners, corners + rng.uniform(20, [80, 160],
                                                                    (len(fill), 2))], axis=1)))
        for row_frames, labels, scores, boxes in rows:
            detections.append(np.column_stack([np.full(len(row_frames), index), row_frames,
                                               labels, scores, boxes]))
    gt = dict(labels=[f'class{c:02d}' for c in range(num_classes)], gttubes=gttubes,
              nframes=nframes, train_videos=[[]], test_videos=[videos],
              resolution={video: (HEIGHT, WIDTH) for video in videos})
    return gt, np.concatenate(detections)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--num-videos', type=int, default=910)
    parser.add_argument('--dets-per-frame', type=int, default=10)
    parser.add_argument('--num-classes', type=int, default=24)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    gt_dict, detections = make_split(args.num_videos, args.dets_per_frame, args.num_classes,
                                     args.seed)
    gt = load_ground_truth(gt_dict)
    print(f'split: {len(gt.videos)} videos, {int(gt.nframes.sum())} frames, {len(gt.tubes)} '
          f'ground-truth tubes, {len(detections)} detections, {len(gt.labels)} classes '
          f'(made in {time.perf_counter() - start:.1f} s)')

    timings = {}
    start = time.perf_counter()
    frame_result = frame_ap(gt, detections, (0.5, ))
    timings['frame-mAP@0.5'] = time.perf_counter() - start
    start = time.perf_counter()
    tubes = link_tubes(gt, detections)
    timings['linking'] = time.perf_counter() - start
    start = time.perf_counter()
    video_result = video_ap(gt, tubes, (0.2, 0.5, 0.75) + HIGH_IOU_THRS)
    timings['video-mAP (0.2, 0.5, 0.75, 0.5:0.95)'] = time.perf_counter() - start
    timings['video-mAP total (linking + AP)'] = timings['linking'] + timings[
        'video-mAP (0.2, 0.5, 0.75, 0.5:0.95)']

    num_tubes = sum(len(entries) for entries in tubes.values())
    mean = video_result.mean_ap
    print(f'frame-mAP@0.5 = {frame_result.mean_ap[0]:.4f}; {num_tubes} linked tubes; '
          f'video-mAP@0.2/0.5/0.75/0.5:0.95 = {mean[0]:.4f} / {mean[1]:.4f} / {mean[2]:.4f} / '
          f'{mean[3:].mean():.4f}')
    for name, seconds in timings.items():
        print(f'{name:40s} {seconds:8.2f} s')
    return timings


if __name__ == '__main__':
    run_cli(main)
