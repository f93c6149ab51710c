"""tools/dist_train.sh: two CPU processes over gloo train one model."""
import json
import os.path as osp

from conftest import ROOT, SYNTHETIC_CONFIG, run_tool
from test_train_test import FAST


def test_two_cpu_ranks_train_the_same_model(synthetic_root, tmp_path):
    config = tmp_path / 'dist_config.py'
    config.write_text(
        f"_base_ = [{SYNTHETIC_CONFIG!r}]\n"
        "custom_imports = dict(imports=['vsgt', 'rank_check'], allow_failed_imports=False)\n"
        f"custom_hooks = [dict(type='RankCheckHook', out_dir={str(tmp_path)!r})]\n")
    work_dir = tmp_path / 'work'
    pythonpath = osp.join(ROOT, 'tests', 'tools')
    result = run_tool('dist_train.sh', config, 2, '--work-dir', work_dir, '--cfg-options', *FAST,
                      cwd=synthetic_root, env=dict(PYTHONPATH=pythonpath, PORT='29517'))
    assert result.returncode == 0, result.stderr[-4000:]

    ranks = [json.loads((tmp_path / f'rank{r}.json').read_text()) for r in (0, 1)]
    assert [r['world_size'] for r in ranks] == [2, 2]
    assert {r['backend'] for r in ranks} == {'gloo'}
    assert ranks[0]['gathered'] == ranks[1]['gathered'] == [ranks[0]['checksum']] * 2
    # The distributed sampler gives the ranks different key frames, 4 iterations x 2 each.
    assert len(ranks[0]['samples']) == len(ranks[1]['samples']) == 8
    assert ranks[0]['samples'] != ranks[1]['samples']
    assert (work_dir / 'iter_4.pth').is_file()
