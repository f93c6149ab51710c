"""Tube linking on a scripted scene."""
import numpy as np
import pytest

from stad_helpers import det, make_gt, tube
from vsgt.evaluation.functional import link_tubes

A_SCORE, B_SCORE, C_SCORE, D_SCORE = 0.8, 0.6, 0.3, 0.95


def a_box(frame):
    """Person A walks right one pixel per frame."""
    return [10 + frame, 10, 30 + frame, 50]


def d_box():
    """A better-scored box beside A on frame 10 (IoU 17/23 with A's box of frame 9)."""
    return [22, 10, 42, 50]


@pytest.fixture
def scene():
    """Video a: A (run, no box on frame 25), B (run, far away), C (jump, at A's place, frames
    1-20), D (run, frame 10 only). Video b: E (sit) detected every 4th frame only."""
    gt = make_gt(['a', 'b'], {'a': {0: [tube(1, 30, a_box(0))]}})
    rows = [det(0, f, 0, A_SCORE, a_box(f)) for f in range(1, 31) if f != 25]
    rows += [det(0, f, 0, B_SCORE, [200, 10, 220, 50]) for f in range(1, 31)]
    rows += [det(0, f, 1, C_SCORE, a_box(f)) for f in range(1, 21)]
    rows += [det(0, 10, 0, D_SCORE, d_box())]
    rows += [det(1, f, 2, 0.4 if f % 8 == 1 else 0.8, [f - 1, 0, f + 19, 20])
             for f in range(1, 30, 4)]
    return gt, np.array(rows, float)


def test_scripted_scene(scene):
    gt, rows = scene
    tubes = link_tubes(gt, rows, min_length=15)
    assert sorted(tubes) == [0, 1, 2]
    (video_a, score_a, tube_a), (video_b, score_b, tube_b) = tubes[0]
    # A's tube takes D (the best-scored box overlapping enough) on frame 10 and ends before
    # frame 25; what starts afterwards (A on frames 26-30, A's own box of frame 10) is too short.
    assert (video_a, video_b) == ('a', 'a')
    expected = np.array([[f, *a_box(f), A_SCORE] for f in range(1, 25)])
    expected[9, 1:] = [*d_box(), D_SCORE]
    np.testing.assert_allclose(tube_a, expected)
    assert score_a == pytest.approx((23 * A_SCORE + D_SCORE) / 24)
    np.testing.assert_allclose(tube_b[:, 0], np.arange(1, 31))
    assert score_b == pytest.approx(B_SCORE)
    # Classes are linked apart: C (jump) at A's place is its own tube.
    [(video_c, score_c, tube_c)] = tubes[1]
    assert video_c == 'a' and score_c == pytest.approx(C_SCORE)
    np.testing.assert_allclose(tube_c[:, 1:5], [a_box(f) for f in range(1, 21)])
    # Frames without any detection in the video are bridged by linear interpolation.
    [(video_e, score_e, tube_e)] = tubes[2]
    assert video_e == 'b' and score_e == pytest.approx(0.6)
    frames = np.arange(1, 30)
    np.testing.assert_allclose(tube_e[:, :5], np.column_stack(
        [frames, frames - 1, np.zeros(29), frames + 19, np.full(29, 20)]))
    np.testing.assert_allclose(tube_e[:3, 5], [0.4, 0.5, 0.6])


def test_min_length_top_k_and_link_threshold(scene):
    gt, rows = scene
    short = link_tubes(gt, rows, min_length=1)[0]
    assert sorted((t[:, 0].min(), t[:, 0].max()) for _, _, t in short) == \
        [(1, 24), (1, 30), (10, 10), (26, 30)]
    top1 = link_tubes(gt, rows, min_length=15, top_k=1)[0]
    assert [(t[0, 0], t[-1, 0]) for _, _, t in top1] == [(1, 24)]
    # A's boxes overlap by 19/21 < 0.95 from frame to frame: only B (static) links.
    strict = link_tubes(gt, rows, min_length=15, link_iou_thr=0.95)[0]
    assert [(t[0, 0], t[-1, 0], t[0, 1]) for _, _, t in strict] == [(1, 30, 200)]


def test_linking_does_not_depend_on_detection_order(scene):
    gt, rows = scene
    expected = link_tubes(gt, rows)
    shuffled = link_tubes(gt, rows[np.random.default_rng(0).permutation(len(rows))])
    assert [len(shuffled[c]) for c in range(3)] == [len(expected[c]) for c in range(3)]
    for label in expected:
        for (video, score, rows_a), (video_b, score_b, rows_b) in zip(expected[label],
                                                                       shuffled[label]):
            assert (video, score) == (video_b, score_b)
            np.testing.assert_array_equal(rows_a, rows_b)


def test_no_detections_give_empty_lists(scene):
    gt, _ = scene
    assert link_tubes(gt, np.zeros((0, 8))) == {0: [], 1: [], 2: []}


@pytest.mark.parametrize('kwargs, message', [
    (dict(top_k=0), 'top_k'), (dict(min_length=0), 'min_length'),
    (dict(link_iou_thr=1.5), 'link_iou_thr')])
def test_bad_arguments(scene, kwargs, message):
    with pytest.raises(ValueError, match=message):
        link_tubes(scene[0], scene[1], **kwargs)
