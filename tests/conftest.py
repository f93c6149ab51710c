import os.path as osp

import pytest

from vsgt.testing import ROOT, SINGLE_PROCESS, run_in_process, run_tool  # noqa: F401

SYNTHETIC_CONFIG = osp.join(ROOT, 'configs', 'synthetic', 'slowonly-r18_synthetic.py')


@pytest.fixture(scope='session')
def synthetic_root(tmp_path_factory):
    """A tiny synthetic dataset, laid out as configs expect it: ``<root>/data/synthetic``."""
    from vsgt.datasets.synthetic import generate_synthetic_dataset
    root = tmp_path_factory.mktemp('project')
    generate_synthetic_dataset(root / 'data' / 'synthetic', num_videos=4, num_frames=24,
                               key_frame_stride=6, val_key_frame_stride=6, seed=0,
                               progress=False)
    return root
