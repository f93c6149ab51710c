"""Small ground truths and detections shared by the evaluation tests."""
import numpy as np

from vsgt.evaluation.functional import load_ground_truth


def tube(first, last, box, step=1):
    """A tube with the same box on frames first, first + step, ..., last."""
    frames = np.arange(first, last + 1, step)
    return np.column_stack([frames, np.tile(np.asarray(box, float), (len(frames), 1))])


def act_dict(videos, tubes, labels=('run', 'jump', 'sit'), nframes=30, size=(240, 320)):
    """An ACT-format dict: ``tubes`` maps video -> {label index: [tubes]}."""
    return dict(labels=list(labels), gttubes={v: tubes.get(v, {}) for v in videos},
                nframes={v: nframes for v in videos}, train_videos=[[]],
                test_videos=[list(videos)], resolution={v: size for v in videos})


def make_gt(videos, tubes, **kwargs):
    return load_ground_truth(act_dict(videos, tubes, **kwargs))


def det(video, frame, label, score, box):
    """A frame-detection row."""
    return [video, frame, label, score, *box]


def random_scene(rng, num_videos=3, num_labels=3, nframes=30, dets_per_frame=3, ties=False):
    """Random dense ground-truth tubes and frame detections near and far from them."""
    videos = [f'video{i}' for i in range(num_videos)]
    tubes, rows = {}, []
    for index, video in enumerate(videos):
        tubes[video] = {}
        for _ in range(int(rng.integers(1, 3))):
            label = int(rng.integers(num_labels))
            first = int(rng.integers(1, nframes // 2))
            last = int(rng.integers(first + 3, nframes + 1))
            start = rng.uniform(0, 200, 2)
            size = rng.uniform(30, 80, 2)
            frames = np.arange(first, last + 1)
            corner = start + np.cumsum(rng.normal(0, 2, (len(frames), 2)), axis=0)
            boxes = np.concatenate([corner, corner + size], axis=1)
            tubes[video].setdefault(label, []).append(np.column_stack([frames, boxes]))
            for frame, box in zip(frames, boxes):
                for _ in range(dets_per_frame):
                    score = rng.integers(1, 4) / 4 if ties else rng.random()
                    noisy = box + rng.normal(0, rng.choice([1.0, 15.0]), 4)
                    noisy[2:] = np.maximum(noisy[2:], noisy[:2] + 1)
                    rows.append(det(index, frame, int(rng.integers(num_labels)) if
                                    rng.random() < 0.3 else label, score, noisy))
    gt_dict = act_dict(videos, tubes, labels=[f'c{i}' for i in range(num_labels)],
                       nframes=nframes)
    return gt_dict, np.array(rows)
