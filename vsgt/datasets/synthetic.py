"""Deterministic synthetic spatio-temporal action detection dataset.

Every clip shows a noisy textured background and a few identical-looking actors
(a head, a shirt and two legs) that differ only in how they move, so a single
frame never reveals an actor's class. Actors live in separate horizontal lanes
and never overlap, so each box is the exact extent of the drawn actor.

Layout written by :func:`generate_synthetic_dataset`::

    out_dir/
      rawframes/{video_id}/img_{frame:05d}.jpg     frames numbered from 1
      annotations/train.csv, val.csv               AVA rows, timestamp = frame
      annotations/action_list.pbtxt                AVA label map, ids from 1
      annotations/proposals_train.pkl, ..._val.pkl {"video_id,%04d": (n, 5)}
      annotations/gt.pkl                           MultiSports/ACT GT pickle

With ``rawframe_lists`` (one actor per video) also ``RawframeDataset`` lists of clip labels::

      annotations/rawframes_train.txt, ..._val.txt  rows "video_id num_frames label" (0-based)
      annotations/rawframes_val_walk.txt            the val rows of walk_left / walk_right

Boxes use pixel-edge coordinates: an actor drawn on columns ``x1..x2-1`` and
rows ``y1..y2-1`` has the box ``(x1, y1, x2, y2)``; CSV and proposal boxes are
those divided by the frame width/height.
"""
import glob
import math
import pickle
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np
from mmengine.utils import ProgressBar

from .synthetic_context import (CONTEXT_CLASSES, ball_centres, check_context_frame, draw_ball,
                                motion_of, synthetic_classes)

SYNTHETIC_CLASSES = ('stand', 'walk_left', 'walk_right', 'jump', 'circle')

_SKIN_BGR = (140, 180, 225)
_SHIRT_BGR = (40, 40, 200)
_TROUSERS_BGR = (110, 50, 30)
# Full-resolution chroma (4:4:4) keeps the small actors' colours crisp.
_JPEG_PARAMS = [cv2.IMWRITE_JPEG_QUALITY, 95, cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
                cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444]
_CSV_DECIMALS = 4
_FRAME_TMPL = 'img_{:05d}.jpg'


@dataclass(frozen=True)
class SyntheticVideo:
    """One rendered clip.

    Attributes:
        frames: (T, H, W, 3) uint8 BGR frames.
        boxes: (A, T, 4) int pixel-edge boxes x1, y1, x2, y2 of each actor.
        labels: (A,) 0-based class index of each actor.
        actor_map: (T, H, W) int8 index of the actor drawn on each pixel, -1
            on the background.
    """

    frames: np.ndarray
    boxes: np.ndarray
    labels: np.ndarray
    actor_map: np.ndarray


@dataclass(frozen=True)
class SyntheticStyle:
    """What makes a synthetic clip hard; the defaults give the quickstart set.

    Attributes:
        actor_height: Actor height as a fraction of the frame height.
        distractors: (min, max) moving objects per clip that are not persons (no boxes, no
            proposals): person-sized blobs in the shirt colour that move like the actors.
        walk_speed: Factor on the walking speeds (1.5 to 2.3 px per frame at 128 px width).
        background_drift: Pixels per frame by which the background texture slides.
        camera_jitter: Largest offset, in pixels, of the whole view from its rest position; the
            view shakes by a random walk of 1-pixel steps (a step on a quarter of the frames).
        occluders: Static posts drawn in front of everything, hiding parts of the actors (the
            boxes stay the actors' full extent, as annotators box partly hidden people).
    """

    actor_height: float = 0.2
    walk_speed: float = 1.0
    distractors: Tuple[int, int] = (0, 0)
    background_drift: float = 0.0
    camera_jitter: int = 0
    occluders: int = 0


#: ``generate_synthetic_dataset`` presets: the style and the defaults of ``frame_size`` and
#: ``actors_per_video``. 'hard' is crowded (up to six actors, classes may repeat), with smaller
#: actors, distractors, a sliding background, camera jitter and occlusion. 'recognition' is the
#: clip classification set: one large actor (22 px of 48) per small 64x48 clip, frames a
#: recognizer reads without resizing.
SYNTHETIC_PRESETS = {
    'default': dict(style=SyntheticStyle(), frame_size=(128, 96), actors_per_video=(2, 3)),
    'hard': dict(style=SyntheticStyle(actor_height=0.1, walk_speed=0.6, distractors=(2, 4),
                                      background_drift=0.75, camera_jitter=2, occluders=2),
                 frame_size=(160, 120), actors_per_video=(4, 6)),
    'recognition': dict(style=SyntheticStyle(actor_height=0.45), frame_size=(64, 48),
                        actors_per_video=(1, 1)),
}


@dataclass(frozen=True)
class _Geometry:
    sprite_width: int
    sprite_height: int
    lift: int
    lane_height: int
    num_lanes: int


def _geometry(frame_size: Tuple[int, int], actor_height: float = 0.2) -> _Geometry:
    """Actor size, vertical motion range and lanes for a frame size."""
    width, height = frame_size
    sprite_height = max(8, round(actor_height * height))
    sprite_width = max(4, round(0.5 * sprite_height))
    lift = math.ceil(0.5 * sprite_height)
    lane_height = sprite_height + lift + 2
    return _Geometry(sprite_width, sprite_height, lift, lane_height,
                     height // lane_height)


def actor_sprite(frame_size: Tuple[int, int],
                 actor_height: float = 0.2) -> Tuple[np.ndarray, np.ndarray]:
    """Return the (mask, BGR colours) of the actor drawn in frames of size (W, H).

    The mask's bounding box is the whole sprite, so boxes are tight.
    """
    geometry = _geometry(frame_size, actor_height)
    height, width = geometry.sprite_height, geometry.sprite_width
    head = max(3, round(0.35 * height))
    legs = max(2, round(0.3 * height))
    leg_width = max(1, round(0.35 * width))
    rows, cols = np.mgrid[:height, :width]
    in_head = ((rows - (head - 1) / 2) ** 2 + (cols - (width - 1) / 2) ** 2
               <= (head / 2) ** 2) & (rows < head)
    in_shirt = (rows >= head) & (rows < height - legs)
    in_legs = (rows >= height - legs) & ((cols < leg_width) |
                                         (cols >= width - leg_width))
    colours = np.zeros((height, width, 3), np.uint8)
    colours[in_head] = _SKIN_BGR
    colours[in_shirt] = _SHIRT_BGR
    colours[in_legs] = _TROUSERS_BGR
    return in_head | in_shirt | in_legs, colours


def distractor_sprite(frame_size: Tuple[int, int],
                      actor_height: float = 0.2) -> Tuple[np.ndarray, np.ndarray]:
    """(mask, BGR colours) of a distractor: an actor-sized ellipse in the shirt colour, no head
    or legs, with a dark rim."""
    geometry = _geometry(frame_size, actor_height)
    height, width = geometry.sprite_height, geometry.sprite_width
    rows, cols = np.mgrid[:height, :width]
    radius = ((rows - (height - 1) / 2) / (height / 2)) ** 2 + \
        ((cols - (width - 1) / 2) / (width / 2)) ** 2
    colours = np.zeros((height, width, 3), np.uint8)
    colours[:] = _SHIRT_BGR
    colours[radius > 0.6] = (20, 20, 90)
    return radius <= 1, colours


def _check_render_args(num_frames: int, frame_size: Tuple[int, int],
                       actors_per_video: Tuple[int, int],
                       style: SyntheticStyle = SyntheticStyle(),
                       context: bool = False) -> None:
    if not isinstance(num_frames, int) or num_frames < 2:
        raise ValueError(f'num_frames must be an int >= 2, got {num_frames!r}')
    if (len(frame_size) != 2 or not all(isinstance(v, int) for v in frame_size)
            or min(frame_size) < 32):
        raise ValueError('frame_size must be (width, height) ints >= 32, '
                         f'got {frame_size!r}')
    if (len(actors_per_video) != 2
            or not all(isinstance(v, int) for v in actors_per_video)
            or not 1 <= actors_per_video[0] <= actors_per_video[1]):
        raise ValueError('actors_per_video must be (min, max) ints with '
                         f'1 <= min <= max, got {actors_per_video!r}')
    geometry = _geometry(frame_size, style.actor_height)
    if context:
        check_context_frame(frame_size[0], geometry.sprite_width, geometry.sprite_height)
    most = geometry.num_lanes
    if actors_per_video[1] > most:
        raise ValueError(f'a {frame_size[0]}x{frame_size[1]} frame holds at '
                         f'most {most} actors, got actors_per_video='
                         f'{actors_per_video!r}')


def _trajectory(rng: np.random.Generator, class_name: str, num_frames: int,
                ground: int, frame_width: int, geometry: _Geometry,
                walk_speed: float = 1.0) -> Tuple[np.ndarray, np.ndarray]:
    """Integer top-left positions (xs, ys) of one actor on every frame (walking speeds scaled
    by ``walk_speed``)."""
    steps = np.arange(num_frames, dtype=np.float64)
    max_x = frame_width - geometry.sprite_width
    lift = geometry.lift
    if class_name in ('walk_left', 'walk_right'):
        speed = min(rng.uniform(0.012, 0.018) * frame_width * walk_speed,
                    max_x / (num_frames - 1))
        start = rng.uniform(0, max_x - speed * (num_frames - 1))
        xs = start + speed * steps
        if class_name == 'walk_left':
            xs = max_x - xs
        ys = np.full(num_frames, ground - rng.uniform(0, lift))
    elif class_name == 'jump':
        xs = np.full(num_frames, rng.uniform(0, max_x))
        period = rng.uniform(8, 12)
        ys = ground - rng.uniform(0.6, 1.0) * lift * np.abs(
            np.sin(np.pi * steps / period + rng.uniform(0, np.pi)))
    elif class_name == 'circle':
        radius = lift / 2
        angle = (rng.choice([-1, 1]) * 2 * np.pi * steps / rng.uniform(10, 14)
                 + rng.uniform(0, 2 * np.pi))
        xs = rng.uniform(radius, max_x - radius) + radius * np.cos(angle)
        ys = ground - radius + radius * np.sin(angle)
    else:
        xs = np.full(num_frames, rng.uniform(0, max_x))
        ys = np.full(num_frames, ground - rng.uniform(0, lift))
    xs = np.clip(np.rint(xs), 0, max_x).astype(np.int64)
    ys = np.clip(np.rint(ys), ground - lift, ground).astype(np.int64)
    return xs, ys


def _background(rng: np.random.Generator, width: int,
                height: int) -> np.ndarray:
    """Static textured background (float32, BGR)."""
    base = rng.uniform(60, 160, size=3)
    coarse = rng.normal(0, 25, size=(3, 4, 3)).astype(np.float32)
    fine = rng.normal(0, 10, size=(height // 4, width // 4, 3))
    background = (base + cv2.resize(coarse, (width, height),
                                    interpolation=cv2.INTER_CUBIC) +
                  cv2.resize(fine.astype(np.float32), (width, height),
                             interpolation=cv2.INTER_LINEAR))
    for _ in range(rng.integers(3, 7)):
        x1, y1 = rng.integers(0, width), rng.integers(0, height)
        x2 = x1 + rng.integers(width // 16, width // 4)
        y2 = y1 + rng.integers(height // 16, height // 4)
        background[y1:y2, x1:x2] += rng.normal(0, 25, size=3)
    return background.astype(np.float32)


def _paste(frame: np.ndarray, owner: np.ndarray, mask: np.ndarray, colours: np.ndarray,
           x: int, y: int, index: int) -> None:
    """Draw a sprite with its top-left corner at (x, y), clipped to the frame; mark ``owner``."""
    height, width = owner.shape
    x1, y1 = max(x, 0), max(y, 0)
    x2, y2 = min(x + mask.shape[1], width), min(y + mask.shape[0], height)
    if x1 >= x2 or y1 >= y2:
        return
    visible = mask[y1 - y:y2 - y, x1 - x:x2 - x]
    frame[y1:y2, x1:x2][visible] = colours[y1 - y:y2 - y, x1 - x:x2 - x][visible]
    owner[y1:y2, x1:x2][visible] = index


def render_synthetic_video(seed: int,
                           video_index: int,
                           num_frames: int = 40,
                           frame_size: Tuple[int, int] = (128, 96),
                           actors_per_video: Tuple[int, int] = (2, 3),
                           style: SyntheticStyle = SyntheticStyle(),
                           context: bool = False) -> SyntheticVideo:
    """Render video ``video_index`` of the dataset generated from ``seed``.

    Actors of one video have different classes while there are at most as many actors as
    classes. The video depends only on the arguments. With the default ``style`` boxes are the
    exact extent of the drawn actor; with occluders or camera jitter they are the actor's full
    extent (clipped to the frame), of which some pixels may be hidden. ``context`` adds the
    class ``watch_ball`` (:mod:`.synthetic_context`).
    """
    _check_render_args(num_frames, frame_size, actors_per_video, style, context)
    classes = synthetic_classes(SYNTHETIC_CLASSES, context)
    width, height = frame_size
    geometry = _geometry(frame_size, style.actor_height)
    rng = np.random.default_rng([seed, video_index, 0])
    style_rng = np.random.default_rng([seed, video_index, 2])
    ball_rng = np.random.default_rng([seed, video_index, 3])
    num_actors = int(rng.integers(actors_per_video[0],
                                  actors_per_video[1] + 1))
    labels = rng.choice(len(classes), num_actors, replace=num_actors > len(classes))
    lanes = rng.choice(geometry.num_lanes, num_actors, replace=False)
    first_lane_top = (height - geometry.num_lanes * geometry.lane_height) // 2

    margin = style.camera_jitter
    drift = style.background_drift * np.arange(num_frames)
    background = _background(rng, width + 2 * margin + math.ceil(drift[-1]),
                             height + 2 * margin)
    noise = 3 * rng.standard_normal((num_frames, height, width, 3), dtype=np.float32)
    steps = style_rng.choice([-1, 0, 0, 0, 0, 0, 0, 1], (num_frames, 2)) if margin else \
        np.zeros((num_frames, 2), np.int64)
    shifts = np.zeros((num_frames, 2), np.int64)
    for frame in range(1, num_frames):
        shifts[frame] = np.clip(shifts[frame - 1] + steps[frame], -margin, margin)
    frames = np.empty((num_frames, height, width, 3), np.float32)
    for frame, ((dx, dy), offset) in enumerate(zip(shifts, np.rint(drift).astype(int))):
        frames[frame] = background[margin + dy:margin + dy + height,
                                   margin + dx + offset:margin + dx + offset + width]
    frames = np.clip(np.rint(frames + noise), 0, 255).astype(np.uint8)
    actor_map = np.full((num_frames, height, width), -1, np.int8)

    def lane_ground(lane: int, lane_rng: np.random.Generator) -> int:
        return first_lane_top + lane * geometry.lane_height + geometry.lift + \
            int(lane_rng.integers(0, 3))

    scratch = np.full((height, width), -1, np.int8)
    blob, blob_colours = distractor_sprite(frame_size, style.actor_height)
    for _ in range(int(style_rng.integers(style.distractors[0], style.distractors[1] + 1))):
        motion = SYNTHETIC_CLASSES[int(style_rng.integers(len(SYNTHETIC_CLASSES)))]
        ground = lane_ground(int(style_rng.integers(geometry.num_lanes)), style_rng)
        xs, ys = _trajectory(style_rng, motion, num_frames, ground, width, geometry,
                             style.walk_speed)
        for frame, (x, y) in enumerate(zip(xs - shifts[:, 0], ys - shifts[:, 1])):
            _paste(frames[frame], scratch, blob, blob_colours, x, y, 0)

    mask, colours = actor_sprite(frame_size, style.actor_height)
    sprite_height, sprite_width = mask.shape
    boxes = np.zeros((num_actors, num_frames, 4), np.int64)
    for actor, (label, lane) in enumerate(zip(labels, lanes)):
        ground = lane_ground(lane, rng)
        xs, ys = _trajectory(rng, motion_of(classes[label]), num_frames, ground,
                             width, geometry, style.walk_speed)
        if classes[label] in CONTEXT_CLASSES:
            box = (xs[0], ys[0], xs[0] + sprite_width, ys[0] + sprite_height)
            draw_ball(frames, ball_centres(ball_rng, box, width, num_frames, sprite_height) -
                      shifts, sprite_height)
        xs, ys = xs - shifts[:, 0], ys - shifts[:, 1]
        boxes[actor] = np.stack(
            [np.clip(xs, 0, width), np.clip(ys, 0, height),
             np.clip(xs + sprite_width, 0, width), np.clip(ys + sprite_height, 0, height)],
            axis=1)
        for frame, (x, y) in enumerate(zip(xs, ys)):
            _paste(frames[frame], actor_map[frame], mask, colours, x, y, actor)

    post_width = max(2, sprite_width // 2)
    for _ in range(style.occluders):
        x = int(style_rng.integers(0, width - post_width))
        top = int(style_rng.integers(0, height - geometry.lane_height))
        shade = style_rng.uniform(40, 200, 3)
        for frame, (dx, dy) in enumerate(shifts):
            region = (frame, slice(max(top - dy, 0), max(top - dy + geometry.lane_height, 0)),
                      slice(max(x - dx, 0), max(x - dx + post_width, 0)))
            frames[region] = np.clip(shade, 0, 255).astype(np.uint8)
            actor_map[region] = -1
    return SyntheticVideo(frames, boxes, labels.astype(np.int64), actor_map)


def _paired_iou(boxes: np.ndarray, others: np.ndarray) -> np.ndarray:
    """IoU of boxes[i] with others[i]."""
    inter_wh = np.clip(
        np.minimum(boxes[:, 2:], others[:, 2:]) -
        np.maximum(boxes[:, :2], others[:, :2]), 0, None)
    inter = inter_wh.prod(axis=1)
    areas = (boxes[:, 2:] - boxes[:, :2]).prod(axis=1)
    other_areas = (others[:, 2:] - others[:, :2]).prod(axis=1)
    return inter / (areas + other_areas - inter)


def _key_frame_proposals(rng: np.random.Generator, boxes: np.ndarray,
                         frame_size: Tuple[int, int], jittered_proposals: int,
                         proposal_jitter: float,
                         false_proposals: int) -> np.ndarray:
    """GT, jittered and false boxes, normalised, with scores, best first.

    Scores: GT in [0.95, 1), jittered copies IoU times [0.85, 0.98), false
    boxes in [0.05, 0.5).
    """
    width, height = frame_size
    boxes = boxes.astype(np.float64)
    sizes = np.tile(boxes[:, 2:] - boxes[:, :2], 2)
    gt_scores = rng.uniform(0.95, 1.0, len(boxes))

    centres = np.repeat(boxes, jittered_proposals, axis=0)
    jittered = centres + rng.normal(0, proposal_jitter, centres.shape) * \
        np.repeat(sizes, jittered_proposals, axis=0)
    jittered[:, 0] = np.clip(jittered[:, 0], 0, width - 1)
    jittered[:, 1] = np.clip(jittered[:, 1], 0, height - 1)
    jittered[:, 2] = np.clip(jittered[:, 2], jittered[:, 0] + 1, width)
    jittered[:, 3] = np.clip(jittered[:, 3], jittered[:, 1] + 1, height)
    jittered_scores = _paired_iou(jittered, centres) * rng.uniform(
        0.85, 0.98, len(jittered))

    false_sizes = np.stack([
        rng.uniform(0.05, 0.15, false_proposals) * width,
        rng.uniform(0.15, 0.3, false_proposals) * height
    ], axis=1)
    false_corners = rng.uniform(0, 1, (false_proposals, 2)) * (
        np.array([width, height]) - false_sizes)
    false_boxes = np.concatenate([false_corners, false_corners + false_sizes],
                                 axis=1)
    false_scores = rng.uniform(0.05, 0.5, false_proposals)

    all_boxes = np.concatenate([boxes, jittered, false_boxes]) / np.array(
        [width, height, width, height])
    all_scores = np.concatenate([gt_scores, jittered_scores, false_scores])
    order = np.argsort(-all_scores, kind='stable')
    return np.concatenate([all_boxes[order], all_scores[order, None]],
                          axis=1).astype(np.float32)


def _check_dataset_args(num_videos: int, val_fraction: float,
                        key_frame_stride: int, num_frames: int,
                        jittered_proposals: int, proposal_jitter: float,
                        false_proposals: int, seed: int) -> None:
    if not isinstance(num_videos, int) or num_videos < 2:
        raise ValueError(f'num_videos must be an int >= 2, got {num_videos!r}')
    if not 0 < val_fraction < 1:
        raise ValueError(f'val_fraction must be in (0, 1), got {val_fraction!r}')
    if not isinstance(key_frame_stride, int) or not (
            1 <= key_frame_stride <= num_frames):
        raise ValueError(f'key_frame_stride must be an int in 1..num_frames, '
                         f'got {key_frame_stride!r}')
    for name, value in (('jittered_proposals', jittered_proposals),
                        ('false_proposals', false_proposals), ('seed', seed)):
        if not isinstance(value, int) or value < 0:
            raise ValueError(f'{name} must be an int >= 0, got {value!r}')
    if not proposal_jitter >= 0:
        raise ValueError(
            f'proposal_jitter must be >= 0, got {proposal_jitter!r}')


def _label_map_text(classes: Tuple[str, ...]) -> str:
    return ''.join(f'item {{\n  name: "{name}"\n  id: {index}\n}}\n'
                   for index, name in enumerate(classes, 1))


def _write_frames(frame_dir: Path, frames: np.ndarray) -> None:
    frame_dir.mkdir(parents=True)
    for number, frame in enumerate(frames, 1):
        path = frame_dir / _FRAME_TMPL.format(number)
        if not cv2.imwrite(str(path), frame, _JPEG_PARAMS):
            raise OSError(f'could not write frame {path}')


def _dump_pickle(obj: object, path: Path) -> None:
    with open(path, 'wb') as file:
        pickle.dump(obj, file, protocol=pickle.HIGHEST_PROTOCOL)


def _prepare_out_dir(out_dir: Path, overwrite: bool) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise FileExistsError(f'{out_dir} exists and is not a directory')
    if out_dir.is_dir() and any(out_dir.iterdir()) and not overwrite:
        raise FileExistsError(f'{out_dir} exists and is not empty; pass '
                              'overwrite=True (--overwrite) to replace it')
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    # Staging folders of an earlier generation of out_dir that was killed (a previous copy,
    # ``.old-``, only once out_dir is back in place).
    for kind in ('tmp', 'old') if out_dir.is_dir() else ('tmp', ):
        for stale in out_dir.parent.glob(f'.{glob.escape(out_dir.name)}.{kind}-*'):
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)


def _move_into_place(staging_dir: Path, out_dir: Path) -> None:
    """Replace ``out_dir`` with ``staging_dir`` by renames."""
    if not out_dir.exists():
        staging_dir.rename(out_dir)
        return
    old_dir = Path(tempfile.mkdtemp(prefix=f'.{out_dir.name}.old-',
                                    dir=out_dir.parent))
    old_dir.rmdir()
    out_dir.rename(old_dir)
    staging_dir.rename(out_dir)
    shutil.rmtree(old_dir)


def generate_synthetic_dataset(out_dir: str,
                               num_videos: int = 16,
                               num_frames: int = 40,
                               frame_size: Optional[Tuple[int, int]] = None,
                               actors_per_video: Optional[Tuple[int, int]] = None,
                               val_fraction: float = 0.25,
                               key_frame_stride: int = 4,
                               val_key_frame_stride: int = 1,
                               preset: str = 'default',
                               jittered_proposals: int = 2,
                               proposal_jitter: float = 0.08,
                               false_proposals: int = 1,
                               seed: int = 0,
                               rawframe_lists: bool = False,
                               context: bool = False,
                               overwrite: bool = False,
                               progress: bool = True) -> Dict:
    """Write the synthetic dataset into ``out_dir`` (layout: module docstring).

    Args:
        out_dir: Output directory; must be absent or empty unless ``overwrite``.
        num_videos: Number of videos (>= 2).
        num_frames: Frames per video.
        frame_size: (width, height) of the frames; None: the preset's.
        actors_per_video: (min, max) number of actors in a video; None: the preset's.
        val_fraction: Fraction of videos in the val split (at least one video
            in each split).
        key_frame_stride: Annotated key frames of the train split are
            ``stride // 2 + 1, stride // 2 + 1 + stride, ...``.
        val_key_frame_stride: The same for the val split; the default 1 annotates (and so
            evaluates) every frame, as UCF101-24's protocol does, so that detections can be
            linked into tubes of moving actors.
        preset: A key of :data:`SYNTHETIC_PRESETS`: ``'default'``, ``'hard'`` or
            ``'recognition'``.
        jittered_proposals: Jittered copies of each GT box in the proposals.
        proposal_jitter: Std of the jitter of each box corner, relative to the
            box width/height.
        false_proposals: Boxes on the background per key frame.
        seed: Seed; equal arguments give byte-identical files.
        rawframe_lists: Also write ``RawframeDataset`` lists of clip-level labels (needs
            ``actors_per_video=(1, 1)``, the 'recognition' preset's).
        context: Add the class ``watch_ball`` (:mod:`.synthetic_context`): actors that stand
            exactly as ``stand`` actors, with a ball rolling in their lane, away from them.
        overwrite: Replace a non-empty ``out_dir``.
        progress: Show a progress bar.

    Returns:
        dict: ``out_dir``, ``classes``, ``train_videos``, ``val_videos``,
        ``num_frames``, ``frame_size``, ``num_train_rows``, ``num_val_rows``
        and ``files`` (paths of ``rawframes`` and every annotation file).
    """
    if preset not in SYNTHETIC_PRESETS:
        raise ValueError(f'preset must be one of {sorted(SYNTHETIC_PRESETS)}, got {preset!r}')
    style = SYNTHETIC_PRESETS[preset]['style']
    frame_size = tuple(frame_size or SYNTHETIC_PRESETS[preset]['frame_size'])
    actors_per_video = tuple(actors_per_video or SYNTHETIC_PRESETS[preset]['actors_per_video'])
    _check_render_args(num_frames, frame_size, actors_per_video, style, context)
    classes = synthetic_classes(SYNTHETIC_CLASSES, context)
    if rawframe_lists and tuple(actors_per_video) != (1, 1):
        raise ValueError('rawframe_lists needs one actor per video (actors_per_video=(1, 1)), '
                         f'got {actors_per_video!r}')
    _check_dataset_args(num_videos, val_fraction, key_frame_stride, num_frames,
                        jittered_proposals, proposal_jitter, false_proposals, seed)
    if not isinstance(val_key_frame_stride, int) or not 1 <= val_key_frame_stride <= num_frames:
        raise ValueError(f'val_key_frame_stride must be an int in 1..num_frames, '
                         f'got {val_key_frame_stride!r}')
    out_dir = Path(out_dir)
    _prepare_out_dir(out_dir, overwrite)

    num_val = min(max(1, round(num_videos * val_fraction)), num_videos - 1)
    val_indices = set(
        np.random.default_rng([seed, 1]).permutation(num_videos)[:num_val])
    video_ids = [f'video_{index:04d}' for index in range(num_videos)]
    key_frames = {split: range(stride // 2 + 1, num_frames + 1, stride) for split, stride in
                  (('train', key_frame_stride), ('val', val_key_frame_stride))}
    width, height = frame_size
    scale = np.array([width, height, width, height], np.float64)

    rows: Dict[str, List[str]] = {'train': [], 'val': []}
    clip_rows: Dict[str, List[str]] = {'train': [], 'val': [], 'val_walk': []}
    walks = {SYNTHETIC_CLASSES.index('walk_left'), SYNTHETIC_CLASSES.index('walk_right')}
    proposals: Dict[str, Dict[str, np.ndarray]] = {'train': {}, 'val': {}}
    gt_tubes = {}
    staging_dir = Path(tempfile.mkdtemp(prefix=f'.{out_dir.name}.tmp-',
                                        dir=out_dir.parent))
    try:
        bar = ProgressBar(num_videos) if progress else None
        for index, video_id in enumerate(video_ids):
            split = 'val' if index in val_indices else 'train'
            video = render_synthetic_video(seed, index, num_frames,
                                           frame_size, actors_per_video, style, context)
            _write_frames(staging_dir / 'rawframes' / video_id, video.frames)
            frame_numbers = np.arange(1, num_frames + 1, dtype=np.float32)
            tubes = {}
            for boxes, label in zip(video.boxes, video.labels):
                tubes.setdefault(int(label), []).append(
                    np.column_stack([frame_numbers,
                                     boxes]).astype(np.float32))
            gt_tubes[video_id] = tubes
            if rawframe_lists:
                label = int(video.labels[0])
                clip_rows[split].append(f'{video_id} {num_frames} {label}')
                if split == 'val' and label in walks:
                    clip_rows['val_walk'].append(clip_rows[split][-1])
            proposal_rng = np.random.default_rng([seed, index, 1])
            for frame in key_frames[split]:
                boxes = video.boxes[:, frame - 1]
                for actor, (box, label) in enumerate(zip(boxes,
                                                         video.labels)):
                    corners = ','.join(f'{value:.{_CSV_DECIMALS}f}'
                                       for value in box / scale)
                    rows[split].append(
                        f'{video_id},{frame},{corners},{label + 1},{actor}')
                proposals[split][f'{video_id},{frame:04d}'] = \
                    _key_frame_proposals(proposal_rng, boxes, frame_size,
                                         jittered_proposals, proposal_jitter,
                                         false_proposals)
            if bar is not None:
                bar.update()

        ann_dir = staging_dir / 'annotations'
        ann_dir.mkdir()
        for split in ('train', 'val'):
            (ann_dir / f'{split}.csv').write_text(''.join(
                row + '\n' for row in rows[split]))
            _dump_pickle(proposals[split], ann_dir / f'proposals_{split}.pkl')
        (ann_dir / 'action_list.pbtxt').write_text(_label_map_text(classes))
        if rawframe_lists:
            for name, lines in clip_rows.items():
                (ann_dir / f'rawframes_{name}.txt').write_text(''.join(
                    line + '\n' for line in lines))
        train_videos = [v for i, v in enumerate(video_ids)
                        if i not in val_indices]
        val_videos = [v for i, v in enumerate(video_ids) if i in val_indices]
        _dump_pickle(
            dict(labels=list(classes),
                 gttubes=gt_tubes,
                 nframes={v: num_frames for v in video_ids},
                 train_videos=[train_videos],
                 test_videos=[val_videos],
                 resolution={v: (height, width) for v in video_ids}),
            ann_dir / 'gt.pkl')
        _move_into_place(staging_dir, out_dir)
    except BaseException:
        shutil.rmtree(staging_dir, ignore_errors=True)
        raise
    if bar is not None:
        print()

    ann_dir = out_dir / 'annotations'
    files = dict(
        rawframes=str(out_dir / 'rawframes'),
        train_csv=str(ann_dir / 'train.csv'),
        val_csv=str(ann_dir / 'val.csv'),
        label_map=str(ann_dir / 'action_list.pbtxt'),
        train_proposals=str(ann_dir / 'proposals_train.pkl'),
        val_proposals=str(ann_dir / 'proposals_val.pkl'),
        gt=str(ann_dir / 'gt.pkl'))
    if rawframe_lists:
        files.update({f'{name}_list': str(ann_dir / f'rawframes_{name}.txt')
                      for name in clip_rows})
    return dict(
        out_dir=str(out_dir),
        classes=list(classes),
        train_videos=train_videos,
        val_videos=val_videos,
        num_frames=num_frames,
        frame_size=tuple(frame_size),
        preset=preset,
        num_train_rows=len(rows['train']),
        num_val_rows=len(rows['val']),
        files=files)

