"""video-mAP on hand-computed cases."""
import math

import numpy as np
import pytest

from stad_helpers import make_gt, tube
from vsgt.evaluation.functional import HIGH_IOU_THRS, video_ap

BOX = [0, 0, 10, 10]


def scored(first, last, box, score=0.5):
    """A detected tube (n, 6) with box scores."""
    rows = tube(first, last, box)
    return np.column_stack([rows, np.full(len(rows), score)])


@pytest.fixture
def gt():
    # run (0): one tube in each of videos a and b; jump (1): one in b; sit (2): none.
    return make_gt(['a', 'b'], {'a': {0: [tube(1, 10, BOX)]},
                                'b': {0: [tube(1, 10, BOX)], 1: [tube(5, 20, BOX)]}})


def test_ground_truth_as_detections_scores_one(gt):
    dets = {0: [('a', 0.9, scored(1, 10, BOX)), ('b', 0.8, scored(1, 10, BOX))],
            1: [('b', 0.7, scored(5, 20, BOX))], 2: []}
    result = video_ap(gt, dets, (0.2, 0.5, 0.75) + HIGH_IOU_THRS)
    assert result.mean_ap.tolist() == [1.0] * 13
    assert math.isnan(result.ap[0, 2]) and result.num_gt.tolist() == [2, 1, 0]


def test_partial_hand_computed(gt):
    # run, ranked: a IoU 1 (TP); b IoU 0.4; b IoU 0.82 (spatial only, same frames).
    dets = {0: [('a', 0.9, scored(1, 10, BOX)), ('b', 0.8, scored(1, 10, [0, 0, 10, 4])),
                ('b', 0.7, scored(1, 10, [0, 0, 10, 8.2]))]}
    result = video_ap(gt, dets, (0.2, 0.5, 0.75) + HIGH_IOU_THRS)
    # 0.2: TP, TP, FP (b already matched) -> 1. 0.5 to 0.8: TP, FP, TP -> 5/6.
    # 0.85 to 0.95: TP, FP, FP -> 1/2. jump: GT, no tube -> 0 (counted); sit: no GT -> nan.
    run = result.ap[:, 0]
    assert run[0] == 1 and run[1] == pytest.approx(5 / 6) and run[2] == pytest.approx(5 / 6)
    assert run[3:].mean() == pytest.approx((7 * 5 / 6 + 3 * 0.5) / 10)
    assert result.ap[:, 1].tolist() == [0.0] * 13
    assert result.mean_ap[1] == pytest.approx(5 / 12)


def test_temporal_overlap_counts(gt):
    # Jump GT: frames 5..20. A tube on frames 10..25 -> temporal IoU 10 / 20.
    dets = {1: [('b', 0.9, scored(10, 25, BOX))]}
    assert video_ap(gt, dets, (0.45, 0.55)).ap[:, 1].tolist() == [1.0, 0.0]


def test_wrong_video_or_class_is_a_false_positive(gt):
    dets = {1: [('a', 0.9, scored(5, 20, BOX))], 0: [('b', 0.95, scored(11, 20, BOX))]}
    assert video_ap(gt, dets).mean_ap.tolist() == [0.0] * 3


def test_tied_tube_scores_form_one_rank(gt):
    tp, fp = ('a', 0.9, scored(1, 10, BOX)), ('a', 0.9, scored(1, 10, [50, 50, 60, 60]))
    for entries in ([tp, fp], [fp, tp]):
        assert video_ap(gt, {0: entries}, (0.5, )).ap[0, 0] == pytest.approx(0.25)


@pytest.mark.parametrize('dets, message', [
    ({3: []}, 'unknown class index 3'),
    ({0: [('c', 0.5, scored(1, 10, BOX))]}, r"class 0 \(run\), tube 0: unknown video 'c'"),
    ({0: [('a', float('nan'), scored(1, 10, BOX))]}, "tube 0 .*tube score nan"),
    ({0: [('a', 0.5, scored(1, 10, BOX)), ('a', 0.5, scored(1, 10, BOX)[::-1])]},
     r"tube 1 \(video 'a'\), frame 9: frames are not strictly increasing"),
    ({0: [('a', 0.5, scored(25, 35, BOX))]}, 'frame 31: frame is not an integer in 1..nframes'),
    ({0: [('a', 0.5, scored(1, 10, BOX)[:, :5])]}, r'expected a non-empty \(n, 6\) array'),
])
def test_bad_tubes_name_class_and_tube(gt, dets, message):
    with pytest.raises(ValueError, match=message):
        video_ap(gt, dets)
