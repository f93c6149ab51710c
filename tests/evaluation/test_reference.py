"""Cross-checks against the reference evaluators shipped with mmaction2 1.2.0.

* ``multisports_utils.frameAP`` / ``videoAP`` (mmaction's copy of the official MultiSports
  evaluator): equal numbers when no two detections of a class share a score (the reference
  then ranks tied detections in an arbitrary order; this project takes them as one rank). Its
  ``iou3dt_voc`` calls ``int()`` on one-element arrays, which numpy >= 2.3 refuses; the tests
  shadow ``int`` in that module only, running the reference code unchanged.
* ``ava_eval`` (the official AVA evaluation): equal mAP over the classes it evaluates. It
  evaluates only classes with at least one detection (a class with ground truth and no
  detection is left out of its mean, not counted as 0) and ignores detections on frames without
  any ground truth (this project counts them as false positives); the test data avoids both.
"""
import numpy as np
import pytest

from stad_helpers import random_scene
from mmaction.evaluation.functional import ava_utils
from mmaction.evaluation.functional import multisports_utils as reference
from vsgt.datasets.ucf101_24 import label_map_text
from vsgt.evaluation.functional import (HIGH_IOU_THRS, frame_ap, link_tubes, load_ground_truth,
                                        video_ap, write_ava_csv)

SEEDS = range(6)


@pytest.fixture
def numpy2_int(monkeypatch):
    monkeypatch.setattr(reference, 'int', lambda value: int(np.asarray(value).item()),
                        raising=False)


@pytest.mark.parametrize('seed', SEEDS)
def test_frame_ap_equals_multisports_reference(seed):
    gt_dict, dets = random_scene(np.random.default_rng(seed), num_videos=4, dets_per_frame=4)
    gt = load_ground_truth(gt_dict)
    for thr in (0.3, 0.5, 0.7):
        ours = frame_ap(gt, dets, (thr, )).mean_ap[0]
        assert 100 * ours == pytest.approx(reference.frameAP(gt_dict, dets, thr, False),
                                           abs=1e-9)


@pytest.mark.parametrize('seed', SEEDS)
def test_video_ap_equals_multisports_reference(seed, numpy2_int):
    gt_dict, dets = random_scene(np.random.default_rng(seed), num_videos=4, dets_per_frame=4)
    gt = load_ground_truth(gt_dict)
    tubes = link_tubes(gt, dets, min_length=3)
    thrs = (0.2, 0.5, 0.75) + HIGH_IOU_THRS
    ours = video_ap(gt, tubes, thrs).mean_ap
    theirs = [reference.videoAP(gt_dict, tubes, thr, False) for thr in thrs]
    np.testing.assert_allclose(100 * ours, theirs, atol=1e-9)
    assert 0 < ours[0]


class SerialPool:
    """Stands in for ``multiprocessing.Pool(32)`` in ``ava_eval`` (2 cores here)."""

    def __init__(self, *args):
        pass

    map = staticmethod(lambda func, items: list(map(func, items)))


@pytest.mark.filterwarnings('ignore:Mean of empty slice')
@pytest.mark.parametrize('seed', SEEDS)
def test_frame_ap_equals_ava_eval(seed, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(ava_utils.multiprocessing, 'Pool', SerialPool)
    gt_dict, dets = random_scene(np.random.default_rng(seed), num_videos=4, dets_per_frame=4)
    gt = load_ground_truth(gt_dict)
    with open(tmp_path / 'gt.csv', 'w') as file:
        for index, (video, label, rows) in enumerate(gt.tubes):
            height, width = gt.resolution[video]
            for frame, *box in rows:
                corners = np.array(box) / [width, height, width, height]
                file.write(f'{gt.videos[video]},{int(frame)},' +
                           ','.join(f'{v:.9g}' for v in corners) + f',{label + 1},{index}\n')
    write_ava_csv(str(tmp_path / 'dets.csv'), gt, dets)
    (tmp_path / 'labels.pbtxt').write_text(label_map_text(gt.labels))
    theirs = ava_utils.ava_eval(str(tmp_path / 'dets.csv'), 'mAP', str(tmp_path / 'labels.pbtxt'),
                                str(tmp_path / 'gt.csv'), None)['overall']
    result = frame_ap(gt, dets)
    evaluated = (result.num_dets > 0) & (result.num_gt > 0)
    assert evaluated.any()
    assert result.ap[0, evaluated].mean() == pytest.approx(theirs, abs=1e-9)
