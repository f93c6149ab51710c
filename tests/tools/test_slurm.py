"""tools/slurm_train.sh: two simulated Slurm tasks on a CPU node train one model over gloo."""
import json
import os
import os.path as osp
import stat

from conftest import ROOT, SYNTHETIC_CONFIG, run_tool
from test_train_test import FAST

# Stands in for Slurm's srun: starts --ntasks copies of the command with the variables srun
# sets (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, SLURM_NODELIST) and fails if any task fails.
FAKE_SRUN = r'''#!/usr/bin/env bash
echo "$@" > "$SRUN_LOG"
ntasks=1
while [ $# -gt 0 ]; do
  case $1 in
    --ntasks=*) ntasks=${1#*=}; shift ;;
    -p) shift 2 ;;
    -*) shift ;;
    *) break ;;
  esac
done
pids=()
for ((rank = 0; rank < ntasks; rank++)); do
  SLURM_PROCID=$rank SLURM_LOCALID=$rank SLURM_NTASKS=$ntasks SLURM_NODELIST=node01 "$@" &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
'''
FAKE_SCONTROL = '#!/usr/bin/env bash\necho 127.0.0.1\n'


def fake_slurm(bin_dir):
    bin_dir.mkdir()
    for name, text in (('srun', FAKE_SRUN), ('scontrol', FAKE_SCONTROL)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(stat.S_IRWXU)


def test_two_slurm_tasks_on_a_cpu_node_train_the_same_model(synthetic_root, tmp_path):
    config = tmp_path / 'slurm_config.py'
    config.write_text(
        f"_base_ = [{SYNTHETIC_CONFIG!r}]\n"
        "custom_imports = dict(imports=['vsgt', 'rank_check'], allow_failed_imports=False)\n"
        f"custom_hooks = [dict(type='RankCheckHook', out_dir={str(tmp_path)!r})]\n")
    fake_slurm(tmp_path / 'bin')
    work_dir = tmp_path / 'work'
    env = dict(PATH=f"{tmp_path / 'bin'}:{os.environ['PATH']}", GPUS='2', GPUS_PER_NODE='0',
               TASKS_PER_NODE='2', MASTER_PORT='29533', SRUN_LOG=str(tmp_path / 'srun.txt'),
               PYTHONPATH=osp.join(ROOT, 'tests', 'tools'), PYTHONFAULTHANDLER='1')
    result = run_tool('slurm_train.sh', 'cpu', 'vsgt-test', config, work_dir, '--cfg-options',
                      *FAST, cwd=synthetic_root, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]

    srun_args = (tmp_path / 'srun.txt').read_text()
    assert '-p cpu --job-name=vsgt-test --ntasks=2 --ntasks-per-node=2' in srun_args
    assert '--gres' not in srun_args and '--launcher slurm' in srun_args
    ranks = [json.loads((tmp_path / f'rank{r}.json').read_text()) for r in (0, 1)]
    assert [r['world_size'] for r in ranks] == [2, 2]
    assert {r['backend'] for r in ranks} == {'gloo'}
    assert ranks[0]['gathered'] == ranks[1]['gathered'] == [ranks[0]['checksum']] * 2
    assert ranks[0]['samples'] != ranks[1]['samples']
    assert (work_dir / 'iter_4.pth').is_file()


def test_slurm_scripts_explain_their_arguments(tmp_path):
    for script in ('slurm_train.sh', 'slurm_test.sh'):
        result = run_tool(script, 'partition', cwd=tmp_path)
        assert result.returncode == 2
        assert 'usage: ' in result.stderr and 'PARTITION JOB_NAME CONFIG' in result.stderr
