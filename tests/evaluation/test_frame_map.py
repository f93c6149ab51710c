"""frame-mAP on hand-computed cases."""
import math

import numpy as np
import pytest

from stad_helpers import det, make_gt, tube
from vsgt.evaluation.functional import frame_ap

BOX = [0, 0, 10, 10]
FAR = [100, 100, 110, 110]


@pytest.fixture
def gt():
    # run (0): video a frames 1-2; jump (1): video b frames 1-3; sit (2): no ground truth.
    return make_gt(['a', 'b'], {'a': {0: [tube(1, 2, BOX)]}, 'b': {1: [tube(1, 3, BOX)]}})


def _ap(gt, rows, **kwargs):
    return frame_ap(gt, np.array(rows, float), **kwargs)


def test_perfect_detections(gt):
    rows = [det(0, f, 0, 0.9, BOX) for f in (1, 2)] + [det(1, f, 1, 0.5, BOX) for f in (1, 2, 3)]
    result = _ap(gt, rows)
    assert result.ap[0, :2].tolist() == [1, 1] and math.isnan(result.ap[0, 2])
    assert result.mean_ap.tolist() == [1.0]
    assert result.num_gt.tolist() == [2, 3, 0] and result.num_dets.tolist() == [2, 3, 0]


def test_all_wrong_detections(gt):
    rows = [det(0, 1, 0, 0.9, FAR), det(1, 1, 0, 0.9, BOX), det(0, 1, 1, 0.8, BOX)]
    assert _ap(gt, rows).mean_ap.tolist() == [0.0]


def test_partial_hand_computed(gt):
    # run: TP, FP (bad box), TP -> precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1 -> AP 5/6.
    rows = [det(0, 1, 0, 0.9, BOX), det(0, 2, 0, 0.8, FAR), det(0, 2, 0, 0.7, BOX)]
    result = _ap(gt, rows)
    assert result.ap[0, 0] == pytest.approx(5 / 6)
    assert result.ap[0, 1] == 0                     # jump: GT, no detection -> 0, counted
    assert result.mean_ap[0] == pytest.approx(5 / 12)


def test_duplicate_detection_is_a_false_positive(gt):
    rows = [det(0, 1, 0, 0.9, BOX), det(0, 1, 0, 0.8, BOX), det(0, 2, 0, 0.7, BOX)]
    assert _ap(gt, rows).ap[0, 0] == pytest.approx(5 / 6)


def test_score_ties_are_one_rank(gt):
    rows = [det(0, 1, 0, 0.9, BOX), det(0, 2, 0, 0.9, FAR)]
    for order in (rows, rows[::-1]):
        assert _ap(gt, order).ap[0, 0] == pytest.approx(0.5 * 0.5)  # recall 1/2 at 1/2


def test_class_without_ground_truth_is_left_out_of_the_mean(gt):
    rows = [det(0, 1, 2, 0.9, BOX)] + [det(0, f, 0, 0.5, BOX) for f in (1, 2)] + \
        [det(1, f, 1, 0.5, BOX) for f in (1, 2, 3)]
    result = _ap(gt, rows)
    assert math.isnan(result.ap[0, 2]) and result.num_dets[2] == 1
    assert result.mean_ap.tolist() == [1.0]


def test_iou_threshold_is_inclusive_and_per_threshold(gt):
    half = [0, 0, 10, 5]                             # IoU exactly 0.5
    rows = [det(0, 1, 0, 0.9, half), det(0, 2, 0, 0.8, half)]
    result = _ap(gt, rows, iou_thrs=(0.5, 0.75))
    assert result.ap[:, 0].tolist() == [1.0, 0.0]


def test_best_gt_taken_means_false_positive():
    # Two GT boxes on a frame; both detections overlap box A most, so the second is a false
    # positive even though box B is free (PASCAL VOC matching, as ACT and AVA).
    gt = make_gt(['a'], {'a': {0: [tube(1, 1, [0, 0, 10, 10]), tube(1, 1, [6, 0, 16, 10])]}})
    rows = [det(0, 1, 0, 0.9, [0, 0, 10, 10]), det(0, 1, 0, 0.8, [1, 0, 11, 10])]
    assert _ap(gt, rows).ap[0, 0] == pytest.approx(0.5)


def test_key_frames_restrict_ground_truth_and_detections(gt):
    rows = [det(0, 1, 0, 0.9, BOX), det(0, 2, 0, 0.95, FAR), det(1, 2, 1, 0.9, BOX)]
    result = _ap(gt, rows, key_frames=np.array([[0, 1], [1, 2]]))
    assert result.num_gt.tolist() == [1, 1, 0]
    assert result.mean_ap.tolist() == [1.0]
    with pytest.raises(ValueError, match='no ground-truth box on the evaluated frames'):
        _ap(gt, rows, key_frames=np.array([[0, 5]]))


def test_no_detections_give_zero(gt):
    assert _ap(gt, np.zeros((0, 8))).mean_ap.tolist() == [0.0]


@pytest.mark.parametrize('row, message', [
    (det(2, 1, 0, 0.9, BOX), 'row 1 .*unknown video index'),
    (det(0, 1, 3, 0.9, BOX), r"row 1 \(video 'a', frame 1, class index 3\): unknown class"),
    (det(0, 31, 0, 0.9, BOX), "video 'a', frame 31.*frame is not an integer in 1..nframes"),
    (det(0, 1, 0, float('nan'), BOX), r"video 'a', frame 1, class 0 \(run\)\): score is not"),
    (det(0, 1, 0, 0.9, [5, 0, 1, 10]), 'x2 < x1'),
])
def test_bad_detections_name_the_row(gt, row, message):
    with pytest.raises(ValueError, match=message):
        _ap(gt, [det(0, 1, 0, 0.9, BOX), row])
