"""The context option of the synthetic set: watch_ball actors are stand actors with a ball in
their lane, away from them; nothing else changes."""
import numpy as np
import pytest

from vsgt.datasets.synthetic import (SYNTHETIC_CLASSES, generate_synthetic_dataset,
                                     render_synthetic_video)
from vsgt.datasets.synthetic_context import BALL_BGR, BALL_GAP_WIDTHS

WATCH = len(SYNTHETIC_CLASSES)  # the label index of watch_ball
STAND = SYNTHETIC_CLASSES.index('stand')


def context_videos(count=12):
    return [render_synthetic_video(0, index, num_frames=16, context=True)
            for index in range(count)]


def test_watch_ball_actors_stand_like_stand_actors_with_a_ball_away_from_them():
    videos = context_videos()
    labels = np.concatenate([video.labels for video in videos])
    assert {STAND, WATCH} <= set(labels.tolist())
    width = None
    for video in videos:
        ball = (video.frames == BALL_BGR).all(axis=-1)
        assert not (ball & (video.actor_map >= 0)).any()  # the ball never covers an actor
        for actor, (label, boxes) in enumerate(zip(video.labels, video.boxes)):
            x1, y1, x2, y2 = boxes[0]
            width = x2 - x1
            if label in (STAND, WATCH):
                assert (boxes == boxes[0]).all()  # both stand still
            lane = ball[:, y1:y2]
            if label != WATCH:
                assert not lane.any()  # no ball in the lane of any other actor
                continue
            for frame in lane:
                cols = np.flatnonzero(frame.any(axis=0))
                assert len(cols) > 0
                gap = np.minimum(np.abs(cols - (x2 - 1)), np.abs(cols - x1)).min()
                assert gap >= BALL_GAP_WIDTHS * width  # beyond the box doubled about its centre
            moved = [np.flatnonzero(frame.any(axis=0)).mean() for frame in lane]
            assert np.ptp(moved) > 0  # the ball rolls
            # the actor is drawn exactly like any other: the stand sprite
            stand_video = next(v for v in videos if STAND in v.labels)
            stand = int(np.flatnonzero(stand_video.labels == STAND)[0])
            assert np.array_equal(video.frames[0][video.actor_map[0] == actor],
                                  stand_video.frames[0][stand_video.actor_map[0] == stand])
    assert width is not None


def test_without_context_nothing_changes():
    for index in range(3):
        plain = render_synthetic_video(0, index)
        same = render_synthetic_video(0, index, context=False)
        assert np.array_equal(plain.frames, same.frames)
        assert np.array_equal(plain.boxes, same.boxes)
        assert WATCH not in plain.labels


def test_context_dataset_files(tmp_path):
    info = generate_synthetic_dataset(tmp_path / 'ctx', num_videos=4, num_frames=16,
                                      context=True, seed=0, progress=False)
    assert info['classes'] == [*SYNTHETIC_CLASSES, 'watch_ball']
    label_map = (tmp_path / 'ctx' / 'annotations' / 'action_list.pbtxt').read_text()
    assert 'name: "watch_ball"\n  id: 6' in label_map
    plain = generate_synthetic_dataset(tmp_path / 'plain', num_videos=4, num_frames=16, seed=0,
                                       progress=False)
    assert plain['classes'] == list(SYNTHETIC_CLASSES)


def test_too_narrow_frames_are_refused():
    with pytest.raises(ValueError, match=r'^context needs wider frames: a 40-pixel-wide frame'):
        render_synthetic_video(0, 0, frame_size=(40, 96), context=True)
