"""VOC AP, tie handling and greedy matching on hand-computed cases."""
import math

import numpy as np
import pytest

from vsgt.evaluation.functional import greedy_true_positives, ranked_ap, voc_ap


def test_voc_ap_hand_computed():
    # Interpolated precision 1 up to recall 0.5, then 2/3 up to recall 1.
    assert voc_ap(np.array([1, 0.5, 2 / 3]), np.array([0.5, 0.5, 1])) == pytest.approx(5 / 6)
    assert voc_ap(np.array([1.0]), np.array([1.0])) == 1
    assert voc_ap(np.zeros(0), np.zeros(0)) == 0


def test_ranked_ap_counts_and_edge_cases():
    assert ranked_ap(np.array([0.9, 0.8, 0.7]), np.array([1, 0, 1], bool), 2) == \
        pytest.approx(5 / 6)
    assert ranked_ap(np.array([0.9, 0.8]), np.array([0, 0], bool), 2) == 0
    assert ranked_ap(np.zeros(0), np.zeros(0, bool), 3) == 0         # GT, no detection
    assert math.isnan(ranked_ap(np.array([0.5]), np.array([False]), 0))  # no GT


def test_tied_scores_form_one_rank():
    # A true and a false positive at the same score: 0.5 whichever comes first.
    assert ranked_ap(np.array([0.9, 0.9]), np.array([True, False]), 1) == 0.5
    assert ranked_ap(np.array([0.9, 0.9]), np.array([False, True]), 1) == 0.5
    # All tied and all true: exactly 1.
    assert ranked_ap(np.ones(4), np.ones(4, bool), 4) == 1.0


def test_greedy_matching_takes_each_gt_once_without_fallback():
    order = np.array([2, 0, 1, 3])              # detection 2 ranks first
    best_gt = np.array([7, 7, 7, 8])
    best_iou = np.array([0.6, 0.9, 0.7, 0.4])
    assert greedy_true_positives(order, best_gt, best_iou, 0.5).tolist() == \
        [True, False, False, False]
    assert greedy_true_positives(order, best_gt, best_iou, 0.3).tolist() == \
        [True, False, False, True]
