"""Training curves from mmengine's JSON scalar logs.

mmengine's ``LocalVisBackend`` writes ``<work_dir>/<timestamp>/vis_data/scalars.json`` (and
the ``LoggerHook`` the same records to ``<timestamp>.json``): one JSON object per line, with a
``step`` (the iteration for training records; for validation the iteration, or the epoch in
epoch-based loops) and the logged scalars (``loss``, ``lr``, ``frame_mAP@0.5``, ...).
"""
import glob
import json
import math
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from .figures import save_figure


def find_scalar_logs(path: str) -> List[str]:
    """The JSON logs of ``path``: the file itself, or ``vis_data/scalars.json`` of a run
    directory, or of every run (timestamp directory) of a work dir, oldest first."""
    if osp.isfile(path):
        return [path]
    if not osp.isdir(path):
        raise FileNotFoundError(f'no such log file or work dir: {path}')
    logs = sorted(glob.glob(osp.join(path, 'vis_data', 'scalars.json'))) or \
        sorted(glob.glob(osp.join(path, '*', 'vis_data', 'scalars.json')))
    if not logs:
        raise FileNotFoundError(f'{path}: no vis_data/scalars.json (nor */vis_data/'
                                'scalars.json) in it')
    return logs


def read_scalars(logs: Sequence[str]) -> Dict[str, List[Tuple[int, float]]]:
    """key -> (step, value) points from JSON logs; a later log's value wins at a repeated step
    (a resumed run); non-finite values are dropped."""
    series: Dict[str, Dict[int, float]] = {}
    for log in logs:
        with open(log) as file:
            for number, line in enumerate(file, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f'{log}, line {number}: not JSON ({exc})') from None
                if not isinstance(record, dict) or 'step' not in record:
                    raise ValueError(f'{log}, line {number}: not an mmengine scalar record '
                                     '(a JSON object with a "step")')
                for key, value in record.items():
                    if key != 'step' and isinstance(value, (int, float)) and \
                            math.isfinite(value):
                        series.setdefault(key, {})[int(record['step'])] = float(value)
    return {key: sorted(points.items()) for key, points in series.items()}


def plot_curves(series: Dict[str, List[Tuple[int, float]]], keys: Sequence[str], out_file: str,
                title: str = '', dpi: int = 80, colors: Optional[int] = None) -> None:
    """One panel per key, value against step; a key with one point is drawn as a marker."""
    from matplotlib.figure import Figure

    missing = [key for key in keys if key not in series]
    if missing:
        raise KeyError(f'no scalar {missing[0]!r} in the logs; they have: '
                       f'{", ".join(sorted(series))}')
    figure = Figure(figsize=(5, 1.2 + 1.6 * len(keys)))
    axes = figure.subplots(len(keys), 1, squeeze=False)[:, 0]
    for key, ax in zip(keys, axes):
        steps, values = zip(*series[key])
        ax.plot(steps, values, marker='o' if len(steps) < 30 else None, markersize=3,
                linewidth=1.2)
        ax.set_ylabel(key, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel('step', fontsize=8)
    axes[0].set_title(title, fontsize=8)
    figure.tight_layout()
    save_figure(figure, out_file, dpi, colors)
