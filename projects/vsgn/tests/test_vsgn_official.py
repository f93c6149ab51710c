"""VSGN against the official code (``coolbay/VSGN``, branch ``VSGN_THUMOS14``), by its numbers.

The fixture numbers below were produced by the official ``Models/VSGN.py`` (run on the CPU; the
only edit was an ``int(...)`` around the index bound in ``Models/BoundaryAdjust.py``, which newer
torch needs to keep the indices integer), built with ``input_feat_dim=8, bb_hidden_dim=32,
num_levels=3, num_neigh=4, num_head_layers=1, temporal_scale=64, stitch_gap=5,
short_ratio=0.4, anchor_scale=[1, 1.5], decoder_num_classes=4, iou_thr=[0.5, 0.5, 0.7]``,
``use_xGPN`` and ``use_VSS`` on, every tensor set by :func:`weight` (through the official key
names mapped by ``tools/convert_official_checkpoint.py``), the input of :func:`inputs` with
``num_frms = [64, 20]`` (the second window stitched: 20 steps, a 5-step gap, 39 magnified
steps), and the ground truth of :func:`samples` (targets built as ``Utils/dataset_thumos.py``
builds them). The official model is not needed here.
"""
import math

import numpy as np
import pytest
import torch
from mmaction.structures import ActionDataSample
from mmengine.structures import InstanceData

from vsgt_projects.vsgn.vsgn import VSGN, match_max_iou, segment_iou
from vsgt_projects.vsgn.vsgn.xgpn import _at_length

torch.set_num_threads(1)
T = 64
ANCHORS = [0, 7, 20, 41, 55]
PROBS_AT = [0, 13, 31, 63]
# Official outputs (eval mode): softmax class probabilities (background first), stage-1
# segments, adjusted segments, at the anchors ANCHORS of each window; actionness, startness
# and endness at the steps PROBS_AT.
CLASS_PROBS = [
    [[0.217053458, 0.337794870, 0.213034645, 0.232117057],
     [0.243830487, 0.235614151, 0.250697285, 0.269858032],
     [0.244688004, 0.250233978, 0.261657029, 0.243420959],
     [0.239561155, 0.264085114, 0.222165331, 0.274188459],
     [0.253152966, 0.246665210, 0.211157799, 0.289023995]],
    [[0.217299148, 0.339130700, 0.210691229, 0.232878938],
     [0.241139755, 0.241025314, 0.249976888, 0.267858058],
     [0.245302200, 0.249933124, 0.260638595, 0.244126097],
     [0.237606034, 0.267401040, 0.222639561, 0.272353292],
     [0.251681954, 0.247939095, 0.213222399, 0.287156522]]]
SEGMENTS = [
    [[0.747612000, 3.511389732], [11.760629654, 16.765747070], [40.463340759, 43.501449585],
     [31.039752960, 41.793537140], [44.620567322, 68.109298706]],
    [[0.747511744, 3.509414673], [11.761019706, 16.752504349], [40.465286255, 43.503219604],
     [31.048797607, 41.786102295], [44.607913971, 68.117126465]]]
ADJUSTED = [
    [[0.845725358, 3.406218290], [11.842836380, 16.626623154], [40.544918060, 43.382068634],
     [31.116718292, 41.669109344], [44.710494995, 68.005081177]],
    [[0.847966909, 3.406596184], [11.846822739, 16.620998383], [40.554077148, 43.386238098],
     [31.130970001, 41.666965485], [44.703968048, 68.011352539]]]
ACTIONNESS = [[0.559920251, 0.565792501, 0.564549148, 0.556062281],
              [0.559237897, 0.564108610, 0.563034236, 0.556229830]]
STARTNESS = [[0.525783181, 0.527871370, 0.527882993, 0.524485707],
             [0.525311053, 0.526619792, 0.527164519, 0.524320602]]
ENDNESS = [[0.469315916, 0.478739887, 0.476726353, 0.465556532],
           [0.468962699, 0.477421880, 0.475713521, 0.465167224]]
# Official training losses of the same network and batch (before the 0.2 weights of the
# actionness, start and end losses, which this project folds into its loss values).
LOSSES = dict(loss_cls=2.908586025, loss_reg=0.351421982, loss_adj=0.214487895,
              loss_action=0.699660659, loss_start=0.693029702, loss_end=0.693113387)


def weight(name, shape):
    """The fixture's value of the tensor ``name`` (this project's key) of ``shape``."""
    n = int(np.prod(shape))
    phase = sum(map(ord, name)) % 97
    wave = torch.sin(torch.arange(n, dtype=torch.float64) * 0.37 + phase).float().reshape(shape)
    if len(shape) > 1:
        return wave / math.sqrt(n / shape[0])
    return 0.1 * wave + (1. if name.endswith('weight') else 0.)


def inputs():
    b, c, t = torch.meshgrid(torch.arange(2.), torch.arange(8.), torch.arange(float(T)),
                             indexing='ij')
    x = torch.sin(0.05 * (t + 1) * (c + 1) + b)
    x[1, :, 20:25] = 0  # the gap of the stitched window
    return x


def samples():
    result = []
    for segments, labels, stitch in (([[5., 12.], [30., 50.]], [0, 1], None),
                                     ([[3., 9.], [30., 42.]], [0, 0], dict(n=20, gap=5, m=39))):
        sample = ActionDataSample()
        sample.gt_instances = InstanceData(segments=torch.tensor(segments),
                                           labels=torch.tensor(labels))
        meta = dict(video_name='v', duration=10., feature_rate=6.4, feature_offset=0.,
                    window_start=0, window_size=T, scale=1., num_valid=T)
        if stitch:
            meta['stitch'] = stitch
        sample.set_metainfo(meta)
        result.append(sample)
    return result


def fixture_model(**kwargs):
    model = VSGN(in_channels=8, window_size=T, num_classes=3, channels=32, num_levels=3,
                 num_neighbours=4, head_depth=1, **kwargs)
    model.load_state_dict({name: weight(name, value.shape)
                           for name, value in model.state_dict().items()})
    return model


def test_network_outputs_equal_the_official_ones():
    model = fixture_model().eval()
    with torch.no_grad():
        logits, segments, adjusted, probs = model(inputs(), samples())
    assert logits.shape == (2, 56, 4)
    close = dict(atol=2e-5, rtol=1e-5)
    torch.testing.assert_close(logits.softmax(-1)[:, ANCHORS], torch.tensor(CLASS_PROBS), **close)
    torch.testing.assert_close(segments[:, ANCHORS], torch.tensor(SEGMENTS), **close)
    torch.testing.assert_close(adjusted[:, ANCHORS], torch.tensor(ADJUSTED), **close)
    for i, expected in enumerate((ACTIONNESS, STARTNESS, ENDNESS)):
        torch.testing.assert_close(probs[:, i, PROBS_AT], torch.tensor(expected), **close)


def test_losses_equal_the_official_ones_on_the_official_iou():
    losses = fixture_model(official_iou=True)(inputs(), samples(), mode='loss')
    for name, expected in LOSSES.items():
        weight_ = 0.2 if name in ('loss_action', 'loss_start', 'loss_end') else 1.
        assert losses[name].item() == pytest.approx(weight_ * expected, rel=1e-5), name


def test_magnified_part_starts_at_the_floored_level_position():
    # official: thr = int((num_frms + stitch_gap) / (temporal_scale / length))
    start = torch.tensor([425.])  # n = 395, gap 30
    assert [_at_length(start, length, 1280, round_up=False).item()
            for length in (640, 320, 160, 80, 40)] == [212, 106, 53, 26, 13]


def test_matcher_as_detectron_with_low_quality_matches():
    # The official Matcher(allow_low_quality_matches=True) gives the same on these matrices
    iou = torch.tensor([[0.8, 0.1], [0.3, 0.45], [0.2, 0.45], [0.0, 0.2], [0.6, 0.55]])
    # IoU >= 0.5: rows 0, 4 -> GT 0; GT 1's best (0.55, row 4) is taken by GT 0 already, its
    # ties of 0.45 are not the best; GT 0's best is row 0.
    assert match_max_iou(iou, 0.5).tolist() == [0, -1, -1, -1, 0]
    # At 0.7: row 4 is below; it holds GT 1's best IoU, so it keeps its own best GT (0).
    assert match_max_iou(iou, 0.7).tolist() == [0, -1, -1, -1, 0]
    iou = torch.tensor([[0.3, 0.1], [0.1, 0.45], [0.2, 0.45]])
    assert match_max_iou(iou, 0.5).tolist() == [0, 1, 1]  # ties both kept


def test_official_iou_counts_the_predicted_length_plus_one():
    segments, gt = torch.tensor([[0.5, 3.5]]), torch.tensor([[1., 4.]])
    assert segment_iou(segments, gt).item() == pytest.approx(2.5 / 3.5)
    assert segment_iou(segments, gt, plus_one=True).item() == pytest.approx(2.5 / 4.5)
