"""Every ``work_dirs/<config>/iter_N.pth`` (or ``epoch_N.pth``) the READMEs and tool docstrings
name is a checkpoint that training the shipped config of that name writes and keeps."""
import glob
import os.path as osp
import re

import pytest
from mmengine.config import Config

from vsgt.testing import ROOT

CONFIGS = {
    osp.splitext(osp.basename(path))[0]: path
    for pattern in ('configs/**/*.py', 'projects/*/configs/**/*.py')
    for path in glob.glob(osp.join(ROOT, pattern), recursive=True)
    if '_base_' not in path.split(osp.sep)}
# (data/ and work_dirs/ are not searched: they may hold millions of files)
DOCUMENTS = sorted(
    path for pattern in ('*.md', 'checkpoints/*.md', 'demo/*', 'docs/**/*.md', 'tools/**/*.md',
                         'tools/**/*.py', 'projects/**/*.md', 'projects/*/tools/*.py',
                         'projects/*/configs/**/*.py', 'vsgt/**/*.md', 'vsgt/**/*.py')
    for path in glob.glob(osp.join(ROOT, pattern), recursive=True) if osp.isfile(path))
CHECKPOINT = re.compile(r'work_dirs/([\w.-]+)/(iter|epoch)_(\d+)\.pth')


def documented():
    found = set()
    for path in DOCUMENTS:
        with open(path, encoding='utf-8') as file:
            for match in CHECKPOINT.finditer(file.read()):
                if match[1] in CONFIGS:
                    found.add((osp.relpath(path, ROOT), match[0]))
    return sorted(found)


def kept_checkpoints(cfg):
    """(unit, [N, ...]) of the checkpoints training ``cfg`` leaves in its work dir."""
    loop = cfg.train_cfg
    by_iter = loop.get('type', 'EpochBasedTrainLoop').endswith('IterBasedTrainLoop')
    last = loop.max_iters if by_iter else loop.max_epochs
    hook = cfg.default_hooks.checkpoint
    interval = hook.get('interval', -1)
    saved = [n for n in range(1, last + 1) if interval > 0 and n % interval == 0]
    if hook.get('save_last', True) and last not in saved:
        saved.append(last)
    keep = hook.get('max_keep_ckpts', -1)
    return ('iter' if by_iter else 'epoch'), (saved[-keep:] if keep > 0 else saved)


def test_the_synthetic_quick_start_is_documented():
    docs = {doc: path for doc, path in documented()}
    assert docs['demo/README.md'] == 'work_dirs/vsgt-tiny_synthetic/iter_1200.pth'
    assert 'pae_synthetic/iter_1200.pth' in docs['tools/analysis/vis_significance.py']


@pytest.mark.parametrize('doc, path', documented())
def test_documented_checkpoint_is_written_by_its_config(doc, path):
    name, unit, number = CHECKPOINT.fullmatch(path).groups()
    cfg = Config.fromfile(CONFIGS[name])
    written_unit, kept = kept_checkpoints(cfg)
    assert unit == written_unit and int(number) in kept, (
        f'{doc}: {path}, but {osp.relpath(CONFIGS[name], ROOT)} leaves '
        f'{[f"{written_unit}_{n}.pth" for n in kept]}')


def test_kept_checkpoints_follow_the_hook():
    cfg = Config(dict(train_cfg=dict(type='IterBasedTrainLoop', max_iters=1000),
                      default_hooks=dict(checkpoint=dict(interval=400, max_keep_ckpts=2))))
    assert kept_checkpoints(cfg) == ('iter', [800, 1000])
    cfg = Config(dict(train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=12),
                      default_hooks=dict(checkpoint=dict(interval=5))))
    assert kept_checkpoints(cfg) == ('epoch', [5, 10, 12])
