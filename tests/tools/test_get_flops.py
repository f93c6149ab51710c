"""tools/analysis/get_flops.py and vsgt.utils.flops: every shipped config, the SDPA handle,
the RoI head's share, bad input."""
import glob
import os.path as osp
import re

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from conftest import ROOT
from vsgt.utils.flops import count_flops
from vsgt.testing import load_script

get_flops = load_script('tools/analysis/get_flops.py')

CONFIGS = sorted(path for path in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'),
                                            recursive=True) if '_base_' not in path)
TINY = osp.join(ROOT, 'configs', 'synthetic', 'vsgt-tiny_synthetic.py')


def run(capsys, *argv):
    get_flops.main([str(arg) for arg in argv])
    return capsys.readouterr().out


def parts(out):
    """{part description: (params text, FLOPs text)} of the printed table."""
    rows = re.findall(r'^\| (.+?) \| (.+?) \| (.+?)FLOPs \|$', out, re.MULTILINE)
    return {name: (params, flops) for name, params, flops in rows}


def as_number(text):
    value, *unit = text.split()
    return float(value) * {'G': 1e9, 'M': 1e6, 'K': 1e3}.get(unit[0] if unit else '', 1)


class Attention(nn.Module):

    def forward(self, x):
        q, k, v = x[..., :4], x[:, :, :3, :4], x[:, :, :3, 4:]
        return F.scaled_dot_product_attention(q, k, v)


def test_sdpa_is_counted_as_its_two_matrix_products():
    # q (2, 3, 5, 4), k (2, 3, 3, 4), v (2, 3, 3, 2): 2 * 3 * 5 * 3 * (4 + 2)
    flops, uncounted = count_flops(Attention(), torch.randn(2, 3, 5, 6))
    assert flops == 2 * 3 * 5 * 3 * (4 + 2)
    assert 'aten::scaled_dot_product_attention' not in uncounted


@pytest.mark.parametrize('config', CONFIGS, ids=[osp.relpath(c, ROOT) for c in CONFIGS])
def test_every_shipped_config(capsys, config):
    out = run(capsys, config, '--shape', 3, 8, 32, 32, '--num-boxes', 2, '--depth', 1)
    rows = parts(out)
    assert len(rows) == 2, out
    (whole, (whole_params, whole_flops)), (backbone, (params, flops)) = rows.items()
    assert whole.startswith('recognizer' if 'recognition' in config else 'detector')
    assert backbone.startswith('backbone')
    assert as_number(whole_flops) >= as_number(flops) > 0
    assert as_number(whole_params) > as_number(params) > 0
    assert 'input: one clip of 1 x 3 x 8 x 32 x 32' in out


PROJECT_CONFIGS = {
    # 2D recognizers: VideoLightFormer, TSN, TSM (their frames are the head's segments)
    'projects/videolightformer/configs/vlf_r50_in1k-pre_8xb16-1x1x8-50e_sthv2-rgb.py':
        ('recognizer (2D, 8 segments)', '1 x 3 x 8 x 64 x 64', ['3', '8', '64', '64']),
    'projects/videolightformer/configs/tsn_r50_in1k-pre_8xb32-1x1x8-50e_ek100-verb-rgb.py':
        ('recognizer (2D, 8 segments)', '1 x 3 x 8 x 224 x 224', []),
    'projects/videolightformer/configs/synthetic/tsm_r18s3_synthetic.py':
        ('recognizer (2D, ', '1 x 3 x ', []),
    # temporal action localizers: one window of features
    'projects/vsgn/configs/vsgn_synthetic.py':
        ('localizer: the whole model', 'window of features of 1 x 32 x 256', []),
    'projects/gaf/configs/gaf_thumos14-i3d-twostream.py':
        ('localizer: the whole model', 'window of features of 1 x 2048 x ', []),
    # a project's detector
    'projects/fbil/configs/synthetic/fbil-vsgt-tiny_synthetic.py':
        ('detector: backbone + RoI head on 2 person boxes', '1 x 3 x 4 x 64 x 64',
         ['4', '64', '64']),
}


@pytest.mark.parametrize('config', sorted(PROJECT_CONFIGS))
def test_a_config_of_each_task(capsys, config):
    whole, shape, argv = PROJECT_CONFIGS[config]
    out = run(capsys, osp.join(ROOT, config), '--num-boxes', 2, '--depth', 1,
              *(['--shape', *argv] if argv else []))
    rows = parts(out)
    names = list(rows)
    assert names[0].startswith(whole), out
    assert shape in out.splitlines()[1], out
    flops = [as_number(f) for _, f in rows.values()]
    assert flops[0] > 0 and all(f <= flops[0] for f in flops)
    if whole.startswith('localizer'):
        assert len(rows) == 1 and 'model by operator: ' in out
    else:
        assert len(rows) == 2 and names[1].startswith('backbone')


def test_roi_head_share_grows_with_the_boxes():
    from vsgt.apis import build_model, load_model_config
    from vsgt.utils.flops import flop_analysis, model_for_flops
    model = build_model(load_model_config(TINY))
    clip = torch.randn(1, 3, 4, 64, 64)
    head_flops = {}
    for boxes in (1, 9):
        analysis = flop_analysis(model_for_flops(model, clip.shape[1:], boxes), (clip, ))
        with torch.no_grad():
            head_flops[boxes] = analysis.total() - analysis.by_module()['model.backbone']
    # fvcore counts the classifier of BBoxHeadAVA (in_channels x 6 classes per box), not
    # RoIAlign and the pooling it has no handle for
    in_channels = model.roi_head.bbox_head.in_channels
    assert head_flops[9] - head_flops[1] == 8 * in_channels * 6


def test_table_and_uncounted_operators_are_printed(capsys):
    out = run(capsys, TINY, '--shape', 4, 64, 64)
    assert re.search(r'^\| backbone\.stages\.0 +\|', out, re.MULTILINE)  # depth 3 table
    uncounted = out.split('not counted')[-1]
    assert 'prim::PythonOp.RoIAlignFunction x1' in uncounted
    assert 'aten::scaled_dot_product_attention' not in uncounted


def test_backbone_flops_by_operator_add_up_to_the_backbone(capsys):
    out = run(capsys, TINY, '--shape', 4, 64, 64)
    line = next(line for line in out.splitlines() if line.startswith('backbone by operator: '))
    by_operator = dict(re.findall(r'(\w+) ([\d.]+ [GMK]?)FLOPs', line))
    assert {'linear', 'conv', 'scaled_dot_product_attention', 'matmul'} <= set(by_operator)
    backbone_flops = as_number(parts(out)['backbone'][1])
    total = sum(as_number(value) for value in by_operator.values())
    assert total == pytest.approx(backbone_flops, rel=1e-3)


def test_default_shape_comes_from_the_test_pipeline(capsys):
    out = run(capsys, TINY, '--depth', 0)
    assert 'input: one clip of 1 x 3 x 8 x 224 x 224' in out


@pytest.mark.parametrize('argv, message', [
    (['missing.py'], 'config file not found: missing.py'),
    ([TINY, '--shape', '8', '64'], '--shape takes C T H W or T H W'),
    ([TINY, '--num-boxes', '0'], '--num-boxes must be at least 1'),
])
def test_bad_input_is_one_line(capsys, argv, message):
    from vsgt.utils.launch import run_cli
    with pytest.raises(SystemExit) as exit_info:
        run_cli(get_flops.main, argv)
    assert exit_info.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
