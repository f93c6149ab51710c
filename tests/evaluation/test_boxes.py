"""IoU of boxes, temporal IoU and spatio-temporal tube IoU on handcrafted cases."""
import numpy as np
import pytest

from stad_helpers import tube
from vsgt.evaluation.functional import box_iou, paired_box_iou, temporal_iou, tube_iou


def test_box_iou_handcrafted():
    a = [[0, 0, 10, 10]]
    others = [[5, 5, 15, 15],   # 25 / 175
              [0, 0, 10, 5],    # contained: 50 / 100
              [10, 0, 20, 10],  # touching
              [0, 0, 10, 10],
              [20, 20, 30, 30]]
    np.testing.assert_allclose(box_iou(a, others), [[1 / 7, 0.5, 0, 1, 0]])
    assert box_iou(np.zeros((0, 4)), others).shape == (0, 5)


def test_empty_boxes_have_iou_zero_not_nan():
    assert paired_box_iou(np.array([[1, 1, 1, 1.]]), np.array([[1, 1, 1, 1.]]))[0] == 0


def test_temporal_iou_takes_frames_as_instants():
    assert temporal_iou(1, 10, 5, 20) == pytest.approx(5 / 19)
    assert temporal_iou(1, 5, 5, 9) == 0        # touching at one frame
    assert temporal_iou(1, 5, 7, 9) == 0        # apart
    assert temporal_iou(4, 4, 4, 4) == 1        # the same single frame
    assert temporal_iou(3, 8, 3, 8) == 1


def test_tube_iou_is_temporal_times_mean_spatial_iou():
    a = tube(1, 10, [0, 0, 10, 10])
    b = tube(6, 15, [0, 0, 10, 5])
    assert tube_iou(a, b) == pytest.approx(4 / 14 * 0.5)
    assert tube_iou(b, a) == pytest.approx(4 / 14 * 0.5)
    assert tube_iou(a, a) == 1
    assert tube_iou(a, tube(11, 20, [0, 0, 10, 10])) == 0


def test_tube_iou_mean_over_frames_where_both_have_boxes():
    dense = tube(1, 9, [0, 0, 10, 10])
    dense[4:, 1:] = [0, 0, 10, 5]                    # frames 5..9 at IoU 0.5
    sparse = tube(1, 9, [0, 0, 10, 10], step=4)      # frames 1, 5, 9
    assert tube_iou(sparse, dense) == pytest.approx((1 + 0.5 + 0.5) / 3)
    # Overlapping ranges but no common frame: spatial part 0.
    assert tube_iou(tube(1, 10, [0, 0, 10, 10], step=9), tube(3, 8, [0, 0, 10, 10])) == 0
