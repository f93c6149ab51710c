"""tools/gpu_check.sh: one line without CUDA; what it would run covers every synthetic config."""
import glob
import os.path as osp

import pytest
import torch

from conftest import ROOT, run_tool
from vsgt.testing import load_config, load_script
from vsgt.utils.launch import cfg_options_dict, check_option_keys

gpu_check = load_script('tools/analysis/gpu_check.py')


@pytest.mark.skipif(torch.cuda.is_available(), reason='a CUDA device runs the checks')
def test_without_cuda_it_stops_with_one_line(tmp_path):
    result = run_tool('gpu_check.sh', '--work-dir', tmp_path / 'work', cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines == ['gpu_check: error: no CUDA device is visible (torch.cuda.is_available() is '
                     'False): these checks run on a CUDA GPU'], result.stderr
    assert not (tmp_path / 'work').exists()


def test_every_synthetic_config_is_checked():
    configs = gpu_check.synthetic_configs()
    names = {osp.basename(path) for path in configs}
    assert {'vsgt-tiny_synthetic.py', 'vsgt-tiny-pae_synthetic.py', 'vsgn_synthetic.py',
            'gaf_synthetic.py', 'vlf_r18s3_synthetic.py',
            'fbil-vsgt-tiny_synthetic.py'} <= names
    shipped = [path for pattern in ('configs/**/*synthetic*.py',
                                    'projects/*/configs/**/*synthetic*.py')
               for path in glob.glob(osp.join(ROOT, pattern), recursive=True)]
    assert len(configs) == len([p for p in shipped if '_base_' not in p.split(osp.sep)])
    roots = {dataset for dataset, *_ in gpu_check.DATASETS}
    for config in configs:
        cfg = load_config(osp.join(ROOT, config))
        # its data is one of the sets the check makes, and its options are valid config keys
        assert cfg.data_root.split('/')[-1] in roots, config
        check_option_keys(cfg, cfg_options_dict(gpu_check.one_iteration_options(config)))


class Drifting(torch.nn.Module):
    """RoIAlign whose every second call (the "CUDA" one of a comparison) is off by 0.25."""
    calls = 0

    def __init__(self, **arguments):
        super().__init__()
        from mmcv.ops import RoIAlign
        self.op = RoIAlign(**arguments)

    def forward(self, x, rois):
        Drifting.calls += 1
        return self.op(x, rois) + 0.25 * (Drifting.calls % 2 == 0)


def test_op_comparison_measures_the_difference():
    from mmcv.ops import RoIAlign
    for _, arguments in gpu_check.roi_align_cases():
        assert gpu_check.compare_op(RoIAlign, arguments, 'cpu') == 0
    # outputs 0.25 apart, gradients equal
    _, arguments = gpu_check.roi_align_cases()[0]
    assert gpu_check.compare_op(Drifting, arguments, 'cpu') == pytest.approx(0.25, abs=1e-5)
    assert gpu_check.nms_agrees('cpu')


def test_a_config_trains_and_tests_as_the_check_runs_it(synthetic_root, tmp_path, capsys):
    # fp32 on the CPU: the commands the GPU check runs for every config, on one of them
    config = 'configs/synthetic/vsgt-tiny_synthetic.py'
    log = tmp_path / 'log.txt'
    results = gpu_check.check_configs(str(synthetic_root), str(log), configs=[config],
                                      precisions=('fp32', ))
    assert [(c, p, ok) for c, p, ok, _ in results] == [(config, 'fp32', True)], log.read_text()
    assert f'ok   {config} fp32: train ' in capsys.readouterr().out
    run_dir = synthetic_root / 'runs' / 'vsgt-tiny_synthetic-fp32'
    assert (run_dir / 'iter_1.pth').is_file() and (run_dir / 'test').is_dir()
