"""Spatio-temporal action detection on a whole video: person boxes, then actions, drawn.

Every ``stepsize``-th frame (0, stepsize, 2 * stepsize, ...) is a key frame: the person source
gives its boxes, and the action detector scores them on the clip centred on it (the config's
``clip_len`` x ``frame_interval``, clamped at the video's ends). A key frame's detections are
drawn on the frames nearest to it. The video is read twice, in order, and only the frames of the
clips still to predict are held in memory.

As in mmaction2's demo, ``short_side`` resizes the frames the action detector sees (the person
boxes are found on the frames as they are and scaled with them), and ``output_stepsize`` writes
every N-th frame only.
"""
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

import cv2
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


def short_side_size(width: int, height: int, short_side: int) -> tuple:
    """(width, height) scaled so that the shorter side is ``short_side`` (rounded)."""
    if short_side < 1:
        raise ValueError(f'short side must be at least 1, got {short_side}')
    scale = short_side / min(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def detect_video(source: VideoSource, persons: Callable, detector: ActionDetector,
                 stepsize: int, top_k: int = 3, action_thr: float = 0.0,
                 progress: bool = True,
                 short_side: Optional[int] = None) -> Dict[int, List[Detection]]:
    """Detections of every key frame of ``source`` (key frame -> list, maybe empty).

    With ``short_side`` the action detector sees the frames resized so that their shorter side
    is ``short_side`` (the boxes scaled with them); the detections stay in the video's pixels.
    """
    if stepsize < 1:
        raise ValueError(f'predict stepsize must be at least 1, got {stepsize}')
    size = None if short_side is None else short_side_size(source.width, source.height,
                                                             short_side)
    box_scale = (np.ones(4) if size is None else
                 np.array([size[0] / source.width, size[1] / source.height] * 2))
    before, after = -int(detector.clip_offsets.min()), int(detector.clip_offsets.max())
    buffer: Dict[int, np.ndarray] = {}
    pending = deque()
    boxes: Dict[int, np.ndarray] = {}
    results: Dict[int, List[Detection]] = {}

    def predict(key: int, last: int):
        frames = [buffer[i] for i in detector.clip_indices(key, last)]
        scores = detector.predict(frames, boxes[key][:, :4] * box_scale)
        detections = []
        for box, row in zip(boxes.pop(key), scores):
            best = [i for i in np.argsort(-row, kind='stable')[:top_k] if row[i] >= action_thr]
            detections.append(Detection(key, box[:4].tolist(), float(box[4]),
                                        [(detector.labels[i], float(row[i])) for i in best]))
        results[key] = detections

    bar = ProgressBar(source.expected_frames or 0) if progress else None
    index = -1
    for index, frame in enumerate(source):
        if index % stepsize == 0:
            boxes[index] = persons(index, frame)
            pending.append(index)
        buffer[index] = frame if size is None else cv2.resize(frame, size,
                                                               interpolation=cv2.INTER_LINEAR)
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
                 stepsize: int, notes: List[str] = (), progress: bool = True,
                 output_stepsize: int = 1, fps: Optional[float] = None) -> tuple:
    """Write every ``output_stepsize``-th frame of ``source`` (0, N, 2N, ...) with the
    detections (and ``notes``) drawn to ``out_file`` (mp4v) at ``fps`` (default: the video's
    divided by ``output_stepsize``, so it plays at the video's speed); return the numbers of
    frames read and written."""
    if output_stepsize < 1:
        raise ValueError(f'output stepsize must be at least 1, got {output_stepsize}')
    last_key = max(detections)
    bar = ProgressBar(source.expected_frames or 0) if progress else None
    count = written = 0
    fps = fps or source.fps / output_stepsize
    with video_writer(out_file, fps, (source.width, source.height)) as writer:
        for index, frame in enumerate(source):
            count += 1
            if bar is not None:
                bar.update()
            if index % output_stepsize:
                continue
            for detection in detections[key_frame_of(index, stepsize, last_key)]:
                draw_person(frame, detection.box,
                            [f'{label} {score:.2f}' for label, score in detection.actions])
            draw_notes(frame, notes)
            writer.write(frame)
            written += 1
    if bar is not None:
        print()
    return count, written


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
             notes: Optional[List[str]] = None, progress: bool = True,
             short_side: Optional[int] = None, output_stepsize: int = 1,
             output_fps: Optional[float] = None, **extra) -> dict:
    """Detect, write the annotated video to ``out_file`` and return the JSON record.

    When no key frame has a person, a note says so (on the video and in the record).
    """
    notes = list(notes or [])
    detections = detect_video(source, persons, detector, stepsize, top_k, action_thr, progress,
                              short_side)
    if not any(detections.values()):
        notes.append('no person found')
    fps = output_fps or source.fps / output_stepsize
    num_frames, written = render_video(source, detections, out_file, stepsize, notes, progress,
                                       output_stepsize, fps)
    return summary(source, detector, detections, stepsize, num_frames, notes,
                   short_side=short_side, output_stepsize=output_stepsize, output_fps=fps,
                   output_frames=written, **extra)
