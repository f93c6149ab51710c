"""Context classes of the synthetic set (``generate_synthetic_dataset(context=True)``).

``watch_ball`` actors look and move exactly like ``stand`` actors (the same sprite, the same
``stand`` trajectory); the only difference is around them: a ball rolls back and forth in a
``watch_ball`` actor's lane, on the side with more room, never closer to the actor than
``BALL_GAP_WIDTHS`` sprite widths (beyond the actor's box doubled about its centre, the
foreground region of FBIL), and never in the lane of any other actor. Telling ``stand`` from
``watch_ball`` needs the context of the box; the box alone cannot.
"""
from typing import Tuple

import numpy as np

CONTEXT_CLASSES = ('watch_ball', )
# The classes whose actors look and move alike: the context decides between them.
CONTEXT_DECIDED_CLASSES = ('stand', 'watch_ball')
BALL_BGR = (40, 210, 240)
BALL_GAP_WIDTHS = 2.0
_BALL_SPEED = (1.5, 2.5)  # pixels per frame


def synthetic_classes(base_classes: Tuple[str, ...], context: bool) -> Tuple[str, ...]:
    """The class names of a set: the base ones, then the context classes with ``context``."""
    return tuple(base_classes) + (CONTEXT_CLASSES if context else ())


def motion_of(class_name: str) -> str:
    """The motion class whose trajectory an actor of ``class_name`` follows."""
    return 'stand' if class_name in CONTEXT_CLASSES else class_name


def ball_radius(sprite_height: int) -> int:
    return max(2, round(0.15 * sprite_height))


def check_context_frame(frame_width: int, sprite_width: int, sprite_height: int) -> None:
    """The frame must leave room for a rolling ball beside any actor position."""
    room = (frame_width - sprite_width) / 2 - BALL_GAP_WIDTHS * sprite_width
    if room < 4 * ball_radius(sprite_height):
        raise ValueError(f'context needs wider frames: a {frame_width}-pixel-wide frame leaves '
                         f'no room for the ball beside every actor')


def ball_centres(rng: np.random.Generator, box: np.ndarray, frame_width: int,
                 num_frames: int, sprite_height: int) -> np.ndarray:
    """(T, 2) integer centres x, y of the ball of a standing actor with pixel box ``box``.

    The ball rolls at a constant speed between the far frame edge and the gap next to the
    actor, at the height of the actor's centre, bouncing at both ends.
    """
    radius = ball_radius(sprite_height)
    x1, y1, x2, y2 = (int(v) for v in box)
    gap = BALL_GAP_WIDTHS * (x2 - x1)
    if x1 >= frame_width - x2:
        low, high = radius, x1 - gap - radius - 1
    else:
        low, high = x2 + gap + radius, frame_width - 1 - radius
    span = high - low
    speed = rng.uniform(*_BALL_SPEED)
    travel = rng.uniform(0, 2 * span) + speed * np.arange(num_frames)
    xs = low + span - np.abs(travel % (2 * span) - span)
    ys = np.full(num_frames, (y1 + y2 - 1) / 2)
    return np.stack([np.rint(xs), np.rint(ys)], axis=1).astype(np.int64)


def draw_ball(frames: np.ndarray, centres: np.ndarray, sprite_height: int) -> None:
    """Paint the ball (a disc) at ``centres`` on each of ``frames`` (T, H, W, 3), in place."""
    radius = ball_radius(sprite_height)
    rows, cols = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    disc = rows ** 2 + cols ** 2 <= radius ** 2
    height, width = frames.shape[1:3]
    for frame, (x, y) in zip(frames, centres):
        top, left = y - radius, x - radius
        region = disc[max(0, -top):height - top, max(0, -left):width - left]
        frame[max(0, top):top + disc.shape[0],
              max(0, left):left + disc.shape[1]][region] = BALL_BGR
