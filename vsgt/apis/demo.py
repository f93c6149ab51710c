"""Spatio-temporal action detection on a whole video: person boxes, then actions, drawn.

Every ``stepsize``-th frame (0, stepsize, 2 * stepsize, ...) is a key frame: the person source
gives its boxes, and the action detector scores them on the clip centred on it (the config's
``clip_len`` x ``frame_interval``, clamped at the video's ends). A key frame's detections are
drawn on the frames nearest to it. The video is read twice, in order, and only the frames of the
clips still to predict are held in memory.
"""
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

import numpy as np
from mmengine.utils import ProgressBar

from vsgt.visualization.draw import draw_notes, draw_person
from .inference import ActionDetector
from .video import VideoSource, video_writer


@dataclass
class Detection:
    """One person on a key frame and its best actions.

    Attributes:
        frame: 0-based key frame index.
        box: x1, y1, x2, y2 in the video's pixels.
        person_score: The person source's score.
        actions: (label, score) pairs, best first.
    """

    frame: int
    box: List[float]
    person_score: float
    actions: List[tuple] = field(default_factory=list)

    def to_dict(self) -> dict:
        return dict(frame=self.frame, box=[round(v, 2) for v in self.box],
                    person_score=round(self.person_score, 4),
                    actions=[dict(label=label, score=round(score, 4))
                             for label, score in self.actions])


def key_frame_of(index: int, stepsize: int, last_key: int) -> int:
    """The key frame whose detections are drawn on frame ``index``."""
    return min((index + stepsize // 2) // stepsize * stepsize, last_key)


def detect_video(source: VideoSource, persons: Callable, detector: ActionDetector,
                 stepsize: int, top_k: int = 3, action_thr: float = 0.0,
                 progress: bool = True) -> Dict[int, List[Detection]]:
    """Detections of every key frame of ``source`` (key frame -> list, maybe empty)."""
    if stepsize < 1:
        raise ValueError(f'predict stepsize must be at least 1, got {stepsize}')
    before, after = -int(detector.clip_offsets.min()), int(detector.clip_offsets.max())
    buffer: Dict[int, np.ndarray] = {}
    pending = deque()
    boxes: Dict[int, np.ndarray] = {}
    results: Dict[int, List[Detection]] = {}

    def predict(key: int, last: int):
        frames = [buffer[i] for i in detector.clip_indices(key, last)]
        scores = detector.predict(frames, boxes[key][:, :4])
        detections = []
        for box, row in zip(boxes.pop(key), scores):
            best = [i for i in np.argsort(-row, kind='stable')[:top_k] if row[i] >= action_thr]
            detections.append(Detection(key, box[:4].tolist(), float(box[4]),
                                        [(detector.labels[i], float(row[i])) for i in best]))
        results[key] = detections

    bar = ProgressBar(source.expected_frames or 0) if progress else None
    index = -1
    for index, frame in enumerate(source):
        buffer[index] = frame
        if index % stepsize == 0:
            boxes[index] = persons(index, frame)
            pending.append(index)
        while pending and pending[0] + after <= index:
            predict(pending.popleft(), index)
        oldest = (pending[0] if pending else (index // stepsize + 1) * stepsize) - before
        for old in [i for i in buffer if i < oldest]:
            del buffer[old]
        if bar is not None:
            bar.update()
    while pending:
        predict(pending.popleft(), index)
    if bar is not None:
        print()
    return results


def render_video(source: VideoSource, detections: Dict[int, List[Detection]], out_file: str,
                 stepsize: int, notes: List[str] = (), progress: bool = True) -> int:
    """Write ``source`` with the detections (and ``notes``) drawn to ``out_file`` (mp4v);
    return the number of frames written."""
    last_key = max(detections)
    bar = ProgressBar(source.expected_frames or 0) if progress else None
    count = 0
    with video_writer(out_file, source.fps, (source.width, source.height)) as writer:
        for index, frame in enumerate(source):
            for detection in detections[key_frame_of(index, stepsize, last_key)]:
                draw_person(frame, detection.box,
                            [f'{label} {score:.2f}' for label, score in detection.actions])
            draw_notes(frame, notes)
            writer.write(frame)
            count += 1
            if bar is not None:
                bar.update()
    if bar is not None:
        print()
    return count


def summary(source: VideoSource, detector: ActionDetector, detections: Dict[int, list],
            stepsize: int, num_frames: int, notes: List[str], **extra) -> dict:
    """The JSON record of a demo run: video, settings, notes and every detection."""
    return dict(
        video=source.path, num_frames=num_frames, fps=source.fps,
        width=source.width, height=source.height, predict_stepsize=stepsize,
        clip_len=detector.clip_len, frame_interval=detector.frame_interval,
        labels=detector.labels, notes=list(notes), **extra,
        key_frames=sorted(detections),
        detections=[d.to_dict() for key in sorted(detections) for d in detections[key]])


def run_demo(source: VideoSource, persons: Callable, detector: ActionDetector, out_file: str,
             stepsize: int, top_k: int = 3, action_thr: float = 0.0,
             notes: Optional[List[str]] = None, progress: bool = True, **extra) -> dict:
    """Detect, write the annotated video to ``out_file`` and return the JSON record.

    When no key frame has a person, a note says so (on the video and in the record).
    """
    notes = list(notes or [])
    detections = detect_video(source, persons, detector, stepsize, top_k, action_thr, progress)
    if not any(detections.values()):
        notes.append('no person found')
    num_frames = render_video(source, detections, out_file, stepsize, notes, progress)
    return summary(source, detector, detections, stepsize, num_frames, notes, **extra)
