"""Property tests: results do not depend on the order of detections or of videos."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from stad_helpers import random_scene
from vsgt.evaluation.functional import (frame_ap, link_tubes, load_ground_truth, video_ap)

SETTINGS = settings(max_examples=25, deadline=None)


def _reorder_videos(gt_dict, dets, permutation):
    """The same scene with the split's videos listed in another order."""
    videos = gt_dict['test_videos'][0]
    reordered = dict(gt_dict, test_videos=[[videos[i] for i in permutation]])
    new_index = np.argsort(permutation)
    moved = dets.copy()
    moved[:, 0] = new_index[dets[:, 0].astype(int)]
    return load_ground_truth(reordered), moved


def _same(result, other):
    np.testing.assert_array_equal(result.ap, other.ap)
    np.testing.assert_array_equal(result.num_dets, other.num_dets)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), ties=st.booleans())
def test_frame_ap_ignores_detection_and_video_order(seed, ties):
    rng = np.random.default_rng(seed)
    gt_dict, dets = random_scene(rng, ties=ties)
    gt = load_ground_truth(gt_dict)
    expected = frame_ap(gt, dets, (0.3, 0.5, 0.7))
    assert np.all((expected.ap >= 0) & (expected.ap <= 1) | np.isnan(expected.ap))
    _same(frame_ap(gt, dets[rng.permutation(len(dets))], (0.3, 0.5, 0.7)), expected)
    other_gt, moved = _reorder_videos(gt_dict, dets, rng.permutation(3))
    _same(frame_ap(other_gt, moved, (0.3, 0.5, 0.7)), expected)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), ties=st.booleans())
def test_video_ap_ignores_detection_and_video_order(seed, ties):
    rng = np.random.default_rng(seed)
    gt_dict, dets = random_scene(rng, ties=ties)
    gt = load_ground_truth(gt_dict)
    tubes = link_tubes(gt, dets, min_length=3)
    expected = video_ap(gt, tubes, (0.2, 0.5, 0.75))
    shuffled = {label: [entries[i] for i in rng.permutation(len(entries))]
                for label, entries in reversed(list(tubes.items()))}
    _same(video_ap(gt, shuffled, (0.2, 0.5, 0.75)), expected)
    # Linking the shuffled detections of the reordered videos gives the same AP.
    other_gt, moved = _reorder_videos(gt_dict, dets, rng.permutation(3))
    relinked = link_tubes(other_gt, moved[rng.permutation(len(moved))], min_length=3)
    _same(video_ap(other_gt, relinked, (0.2, 0.5, 0.75)), expected)
