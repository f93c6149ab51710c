#!/usr/bin/env bash
# srun one tool of tools/ with --launcher slurm: bash tools/slurm_launch.sh PARTITION JOB_NAME TOOL [ARGS]
# (what tools/slurm_train.sh and tools/slurm_test.sh run).
#
# Environment: GPUS (tasks in all, default 8), GPUS_PER_NODE (default 8; 0 runs CPU tasks,
# TASKS_PER_NODE of them per node, over gloo), CPUS_PER_TASK (default 5), SRUN_ARGS (extra srun
# options), PYTHON (default python). The repository goes first on PYTHONPATH, as in dist_train.sh.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PARTITION=$1 JOB_NAME=$2 TOOL=$3
shift 3
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
TASKS_PER_NODE=${TASKS_PER_NODE:-$GPUS_PER_NODE}
gres=()
[ "$GPUS_PER_NODE" -gt 0 ] && gres=(--gres="gpu:$GPUS_PER_NODE")
# shellcheck disable=SC2086
PYTHONPATH="$ROOT:${PYTHONPATH:-}" exec srun -p "$PARTITION" --job-name="$JOB_NAME" "${gres[@]}" --ntasks="$GPUS" \
  --ntasks-per-node="$TASKS_PER_NODE" --cpus-per-task="${CPUS_PER_TASK:-5}" --kill-on-bad-exit=1 \
  ${SRUN_ARGS:-} "${PYTHON:-python}" -u "$ROOT/tools/$TOOL" "$@" --launcher slurm
