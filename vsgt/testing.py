"""Helpers for the test suites of ``tests/`` and ``projects/*/tests/``: running the tools,
checking configs."""
import importlib.util
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import torch
from mmaction.registry import DATASETS, METRICS, TRANSFORMS
from mmengine.config import Config
from mmengine.registry import init_default_scope

from vsgt.utils.checkpoint import save_initial_checkpoint
from vsgt.utils.logs import last_checkpoint, read_test_metrics

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

# --cfg-options that load data in the tool's own process (no worker processes to start).
SINGLE_PROCESS = [
    f'{loader}.{option}' for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    for option in ('num_workers=0', 'persistent_workers=False')
]


def load_script(path: str):
    """A script of the repository (``path`` relative to its root, e.g.
    ``'tools/analysis/get_flops.py'``) imported as a module, without running its ``main``."""
    name = osp.splitext(path)[0].replace('/', '_').replace('-', '_')
    spec = importlib.util.spec_from_file_location(name, osp.join(ROOT, path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module



def run_tool(script, *args, cwd, env=None, timeout=600):
    """Run ``tools/<script>`` with this interpreter in ``cwd``; return the CompletedProcess."""
    command = [sys.executable, osp.join(ROOT, 'tools', script), *map(str, args)]
    if script.endswith('.sh'):
        command = ['bash', osp.join(ROOT, 'tools', script), *map(str, args)]
    full_env = dict(os.environ, PYTHON=sys.executable, **(env or {}))
    return subprocess.run(command, cwd=cwd, env=full_env, capture_output=True, text=True,
                          timeout=timeout)


def run_in_process(capsys, tool, *argv):
    """Run a tool module's ``main`` through ``run_cli``; return (exit code, stdout, stderr)."""
    from vsgt.utils.launch import run_cli
    try:
        run_cli(tool.main, [str(arg) for arg in argv])
        code = 0
    except SystemExit as exit_info:
        code = exit_info.code
    out, err = capsys.readouterr()
    return code, out, err


def train_checkpoint(config, work_dir, *options, cwd):
    """Train ``config`` with tools/train.py (seed 0, no validation, ``options`` as --cfg-options,
    data in this process); return the path of the last checkpoint."""
    result = run_tool('train.py', config, '--work-dir', work_dir, '--seed', 0, '--no-validate',
                      '--cfg-options', *options, *SINGLE_PROCESS, cwd=cwd)
    assert result.returncode == 0, result.stderr[-4000:]
    return last_checkpoint(str(work_dir))


def evaluate_checkpoint(config, checkpoint, work_dir, *, cwd):
    """Score ``checkpoint`` with tools/test.py (data in this process); return the metrics."""
    result = run_tool('test.py', config, checkpoint, '--work-dir', work_dir, '--cfg-options',
                      *SINGLE_PROCESS, cwd=cwd)
    assert result.returncode == 0, result.stderr[-4000:]
    return read_test_metrics(str(work_dir))


def untrained_trained_frozen(config, root, train_options, frozen_options):
    """tools/test.py metrics of ``config`` (run in ``root``, where its data is) untrained (its
    seeded initialisation), trained in ``root/trained`` with ``train_options`` and, the control,
    trained in ``root/frozen`` with ``frozen_options`` (zero learning rates)."""
    untrained = osp.join(root, 'untrained.pth')
    save_initial_checkpoint(Config.fromfile(config), untrained)
    metrics = [evaluate_checkpoint(config, untrained, osp.join(root, 'test_untrained'), cwd=root)]
    for name, options in (('trained', train_options), ('frozen', frozen_options)):
        checkpoint = train_checkpoint(config, osp.join(root, name), *options, cwd=root)
        metrics.append(evaluate_checkpoint(config, checkpoint, osp.join(root, f'test_{name}'),
                                           cwd=root))
    return metrics


def load_config(path):
    """``Config.fromfile(path)`` with its default scope set, ready to build from."""
    cfg = Config.fromfile(path)
    init_default_scope(cfg.default_scope)
    return cfg


def assert_registered(cfg):
    """Every loader's dataset and transforms and the validation metric of ``cfg`` are registered."""
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        dataset = cfg[loader].dataset
        assert DATASETS.get(dataset.type) is not None
        assert all(TRANSFORMS.get(step.type) for step in dataset.pipeline)
    assert METRICS.get(cfg.val_evaluator.type) is not None


def random_tal_window(rng, size, width, num_valid, labels, feature_rate):
    """A window as ``LoadTALFeature`` leaves it: ``num_valid`` random steps of ``width`` then
    zeros, two actions (``labels``) at 0.1-0.3 and 0.5-0.55 of the valid steps, a 100 s video."""
    feature = np.zeros((size, width), np.float32)
    feature[:num_valid] = rng.standard_normal((num_valid, width))
    return dict(feature=feature, num_valid=num_valid, gt_labels=np.array(labels),
                gt_segments=np.array([[0.1, 0.3], [0.5, 0.55]]) * num_valid, video_name='v',
                duration=100., feature_rate=feature_rate, feature_offset=0., window_start=0,
                window_size=size, scale=1.)


def assert_train_step_learns(model, data, optim_wrapper):
    """One ``train_step`` gives finite losses and changes some parameter."""
    before = [p.detach().clone() for p in model.parameters()]
    losses = model.train_step(data, optim_wrapper)
    assert all(torch.isfinite(value) for value in losses.values())
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))


def assert_predicts_in_video(model, data, duration=100.):
    """``test_step`` in eval mode: per window, segments ``(N, 2)`` inside ``[0, duration]``."""
    model.eval()
    for result in model.test_step(data):
        pred = result.pred_instances
        assert pred.segments.shape == (len(pred.scores), 2)
        assert (pred.segments >= 0).all() and (pred.segments <= duration).all()
