#!/usr/bin/env bash
# Checks that need a CUDA GPU: bash tools/gpu_check.sh [--work-dir DIR] [--skip configs|ops|backbones]
# Every synthetic config trains one iteration and tests in fp32 and with AMP; mmcv's CUDA ops are
# compared with their CPU results; VSGT-S and Swin-T are timed at 32x224x224. See
# tools/analysis/gpu_check.py. Without CUDA it stops with one line and exit code 1.
set -euo pipefail
DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PYTHON=${PYTHON:-python}
PYTHONPATH="$DIR/..:${PYTHONPATH:-}" exec "$PYTHON" "$DIR/analysis/gpu_check.py" "$@"
