"""Every command-line tool answers ``--help`` with exit 0, and most without importing torch."""
import glob
import json
import os.path as osp
import resource
import subprocess
import sys

import pytest

from vsgt.testing import ROOT

TOOLS = sorted(osp.relpath(p, ROOT) for pattern in ('tools/*.py', 'tools/*/*.py',
                                                     'tools/data/*/*.py', 'projects/*/tools/*.py',
                                                     'demo/*.py')
               for p in glob.glob(osp.join(ROOT, pattern))
               if osp.basename(p) not in ('__init__.py', 'cli_args.py'))
# These still build their parser from package constants or import the stack at module level, so
# their --help imports torch (about 7 s of CPU); the others parse their arguments first.
HEAVY = {
    'projects/fbil/tools/ava_gt.py', 'projects/fbil/tools/benchmark.py',
    'projects/gaf/tools/benchmark.py', 'projects/videolightformer/tools/benchmark.py',
    'projects/videolightformer/tools/ek100_lists.py', 'projects/videolightformer/tools/flops.py',
    'projects/vsgn/tools/benchmark.py', 'projects/vsgn/tools/plot_timeline.py',
    'tools/analysis/benchmark_backbones.py', 'tools/analysis/benchmark_metrics.py',
    'tools/analysis/benchmark_tal_metric.py',
    # the shared --device argument and run_cli come from the vsgt package (which imports the
    # stack), and these tools build their parser with them at import
    'demo/demo_spatiotemporal_det.py', 'demo/demo_recognition.py', 'demo/demo_tal.py',
    'tools/analysis/get_flops.py',
    'tools/analysis/vis_significance.py', 'projects/vsgn/tools/benchmark_memory.py',
    'projects/vsgn/tools/convert_hdf5_features.py',
    'projects/vsgn/tools/convert_official_checkpoint.py',
    'projects/gaf/tools/convert_official_checkpoint.py', 'projects/gaf/tools/benchmark_step.py',
}
# One mmengine import (DictAction) is allowed; torch and the models are not.
CHEAP_CPU_S = 1.5


def test_the_tool_list_is_complete():
    assert len(TOOLS) >= 30 and HEAVY <= set(TOOLS)
    assert 'tools/train.py' in TOOLS and 'demo/demo_spatiotemporal_det.py' in TOOLS


@pytest.mark.parametrize('tool', [t for t in TOOLS if t not in HEAVY])
def test_help_is_cheap(tool):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run([sys.executable, osp.join(ROOT, tool), '--help'], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith('usage:') and not result.stderr
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    assert cpu < CHEAP_CPU_S, f'{tool} --help took {cpu:.2f} s of CPU'


HELP_IN_ONE_PROCESS = '''
import contextlib, io, json, os, runpy, sys
codes = {}
for tool in sys.argv[1:]:
    sys.argv, sys.path[0] = [tool, '--help'], os.path.dirname(tool)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            runpy.run_path(tool, run_name='__main__')
        codes[tool] = 'returned without exiting'
    except SystemExit as exit_info:
        codes[tool] = exit_info.code or 0 if out.getvalue().startswith('usage:') else 'no usage'
print(json.dumps(codes))
'''


def test_help_of_the_heavy_tools_exits_0():
    """In one process, so that the stack is imported once."""
    tools = [osp.join(ROOT, t) for t in sorted(HEAVY)]
    result = subprocess.run([sys.executable, '-c', HELP_IN_ONE_PROCESS, *tools], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    codes = json.loads(result.stdout.strip().splitlines()[-1])
    assert codes == {tool: 0 for tool in tools}


def test_presets_named_for_help_match_the_package():
    from vsgt.datasets.synthetic import SYNTHETIC_PRESETS
    from vsgt.datasets.synthetic_tal import TAL_PRESETS
    from vsgt.datasets.ucf101_24 import DATASET_INFO
    from vsgt.testing import load_script
    assert set(load_script('tools/data/synthetic/generate.py').PRESETS) == set(SYNTHETIC_PRESETS)
    assert set(load_script('tools/data/synthetic_tal/generate.py').PRESETS) == set(TAL_PRESETS)
    for name in ('build_annotations', 'extract_frames'):
        tool = load_script(f'tools/data/ucf101_24/{name}.py')
        assert set(tool.DATASETS) == set(DATASET_INFO)
