"""One set of conventions across tools/ and projects/*/tools/: outputs under --work-dir, --seeds
for multi-seed benchmarks, --cfg-options wherever a config is read, one --device default, and
bad input reported by run_cli (one line, exit code 1)."""
import glob
import os.path as osp
import re

import pytest

from conftest import ROOT
from vsgt.testing import load_script, run_in_process

TOOLS = sorted(
    osp.relpath(path, ROOT)
    for pattern in ('tools/*.py', 'tools/*/*.py', 'tools/data/*/*.py', 'demo/*.py',
                    'projects/*/tools/*.py')
    for path in glob.glob(osp.join(ROOT, pattern))
    if osp.basename(path) not in ('__init__.py', 'cli_args.py'))
TRAINING_BENCHMARKS = ['tools/analysis/benchmark_detectors.py',
                       *sorted(osp.relpath(p, ROOT) for p in
                               glob.glob(osp.join(ROOT, 'projects', '*', 'tools', 'benchmark.py')))]


def source(path):
    with open(osp.join(ROOT, path)) as file:
        return file.read()


def test_the_tools_are_found():
    assert len(TOOLS) >= 25 and 'tools/analysis/get_flops.py' in TOOLS
    assert 'projects/videolightformer/tools/benchmark.py' in TRAINING_BENCHMARKS


@pytest.mark.parametrize('path', TOOLS)
def test_conventions(path):
    text = source(path)
    # outputs of a run go under --work-dir, never a positional output folder (the data tools
    # of tools/data/ and the converters write a dataset where they are told, as mmaction2's do)
    if not path.startswith('tools/data/') and not osp.basename(path).startswith('convert_'):
        assert not re.search(r"add_argument\(\s*'(out_dir|output_dir|work_dir)'", text), path
    # a config read from the command line can be overridden
    if re.search(r"add_argument\(\s*'config'", text):
        assert "'--cfg-options'" in text or 'add_common_args(' in text, path
    # --device has one definition (cuda when visible, else cpu) and one check
    assert not re.search(r"add_argument\(\s*'--device'", text), path
    if 'add_device_argument(parser)' in text:
        assert 'check_device(' in text, path
    # bad input: one line naming the culprit, exit code 1 (tools/train.py and test.py, and
    # gpu_check.py's one line without CUDA, have their own entry)
    if path not in ('tools/train.py', 'tools/test.py', 'tools/analysis/gpu_check.py'):
        main_block = text.split("if __name__ == '__main__':")[-1]
        assert 'run_cli(main)' in main_block, path


@pytest.mark.parametrize('path', TRAINING_BENCHMARKS)
def test_training_benchmarks_take_seeds_and_a_work_dir(path):
    text = source(path)
    from vsgt.utils import tal_benchmark
    shared = 'add_arguments(parser' in text  # vsgt.utils.tal_benchmark.add_arguments
    assert re.search(r"add_argument\(\s*'--seeds'", text) or shared, path
    assert not re.search(r"add_argument\(\s*'--seed'", text), path
    assert re.search(r"add_argument\(\s*'--work-dir'", text) or shared, path
    assert 'def add_arguments' in source(osp.relpath(tal_benchmark.__file__, ROOT))


@pytest.mark.parametrize('path, argv, message', [
    ('projects/videolightformer/tools/flops.py', ['missing.py'],
     'flops.py: error: FileNotFoundError: config file not found: missing.py'),
    ('projects/gaf/tools/fuse_checkpoints.py', ['missing.py', 'a.pth', 'b.pth', 'c.pth'],
     'error: FileNotFoundError: config file not found: missing.py'),
    ('tools/data/activitynet/convert_annotations.py', ['missing.json', '--out', 'x.json'],
     'error: FileNotFoundError: '),
    ('projects/videolightformer/tools/ek100_lists.py', ['missing.csv', 'x.txt'],
     'error: FileNotFoundError: '),
])
def test_a_missing_file_is_one_line_with_exit_code_1(capsys, monkeypatch, tmp_path, path, argv,
                                                      message):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr('sys.argv', [osp.basename(path)])
    code, _, err = run_in_process(capsys, load_script(path), *argv)
    assert code == 1 and err.count('\n') == 1 and message in err, err
    assert 'missing.' in err


def test_device_defaults_to_cuda_only_when_visible():
    import argparse

    import torch

    from vsgt.utils.launch import add_device_argument, check_device
    parser = argparse.ArgumentParser()
    add_device_argument(parser)
    assert parser.parse_args([]).device == ('cuda' if torch.cuda.is_available() else 'cpu')
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match='--device cuda: no CUDA device is visible'):
            check_device('cuda')
    vis = load_script('tools/analysis/vis_significance.py')
    assert vis.parse_args(['c.py', 'v.mp4', '--out', 'x.png']).device == \
        parser.parse_args([]).device


def build_schedulers(steps):
    """mmengine's schedulers of ``steps`` on a one-parameter optimiser (it refuses end <= begin)."""
    import torch
    from mmengine.optim import OptimWrapper
    from mmengine.registry import PARAM_SCHEDULERS
    optim_wrapper = OptimWrapper(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.))
    return [PARAM_SCHEDULERS.build(dict(step), default_args=dict(optimizer=optim_wrapper))
            for step in steps]


@pytest.mark.parametrize('iters', [1, 3, 30, 1000])
def test_benchmarks_shrink_the_warm_up_of_short_runs(tmp_path, iters):
    from mmengine.config import Config

    from vsgt.utils.tal_benchmark import benchmark_config
    vsgn = Config.fromfile(osp.join(ROOT, 'projects', 'vsgn', 'configs', 'vsgn_synthetic.py'))
    fbil = load_script('projects/fbil/tools/benchmark.py')
    vlf = load_script('projects/videolightformer/tools/benchmark.py')
    schedules = {
        'tal': benchmark_config(vsgn, 'vsgn', 0, iters, str(tmp_path)).param_scheduler,
        'fbil': fbil.build_config(fbil.CONFIGS[0], 0, iters, str(tmp_path)).param_scheduler,
        'vlf': vlf.build_config(vlf.MODELS[0][1], str(tmp_path), str(tmp_path), iters, 2,
                                0).param_scheduler,
    }
    for name, steps in schedules.items():
        build_schedulers(steps)
        assert steps[0]['begin'] == 0 and steps[-1]['end'] == iters, (name, steps)
        if iters == 1:
            assert len(steps) == 1, name  # the warm-up alone
        if iters == 1000:  # long runs: the TAL config's own warm-up, at most a tenth elsewhere
            assert steps[0]['end'] == 40 if name == 'tal' else 1 <= steps[0]['end'] <= 100
