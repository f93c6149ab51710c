#!/usr/bin/env bash
# Create or update the project's virtual environment (default: .venv in the checkout).
#
# The one set-up path of the project: `make quickstart`, `make test` and CI all call it.
# mmcv 2.1.0 has no wheels on PyPI, so it is compiled with its ops once per machine and the wheel
# is cached outside the checkout, keyed by mmcv, torch, Python and CUDA versions. A repeat run
# with everything in place returns at once; a new checkout with the wheel cached takes minutes.
#
# Environment: VSGT_VENV (venv path), VSGT_CACHE (wheel cache, default ~/.cache/vsgt),
# PYTHON (interpreter for the venv, default python3), MAX_JOBS (parallel compile jobs),
# TORCH_CUDA_ARCH_LIST (CUDA build only; default: the visible GPU's).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${VSGT_VENV:-$ROOT/.venv}
CACHE=${VSGT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vsgt}
PYTHON=${PYTHON:-python3}
MMCV_VERSION=2.1.0
START=$SECONDS

log() { printf '[setup_env %4ds] %s\n' "$((SECONDS - START))" "$*"; }
die() { printf '[setup_env] error: %s\n' "$*" >&2; exit 1; }
# pip's resolver warns that torch wants setuptools >= 77 while the mmcv build holds it below 70;
# the runtime requirements restore it, so that warning is dropped along with the mirror notes.
# With pipefail a failing pip fails the pipeline; the filter itself never does.
quiet() { { grep -vE "^WARNING: Location .* is ignored|^ERROR: pip's dependency resolver|\
^torch .* requires setuptools" || true; }; }
pip_install() { "$VENV/bin/python" -m pip install -q --disable-pip-version-check "$@" 2>&1 | quiet; }

cd "$ROOT"
state=$(cat tools/setup_env.sh pyproject.toml setup.py requirements/*.txt | sha256sum | cut -c1-16)
stamp="$VENV/.vsgt-env-$state"
if [ -f "$stamp" ] && "$VENV/bin/python" -c 'import vsgt' 2>/dev/null; then
  log "environment up to date: $VENV"
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  log "creating virtual environment $VENV"
  "$PYTHON" -m venv "$VENV" || die "could not create a venv with $PYTHON"
fi
export PATH="$VENV/bin:$PATH"

log "installing torch and torchvision (requirements/torch.txt; several GB on a new machine)"
pip_install -r requirements/torch.txt
"$VENV/bin/python" -c 'import torch, torchvision' || die "torch/torchvision do not import"

read -r py_tag torch_version device_tag < <("$VENV/bin/python" - <<'EOF'
import shutil, sys, torch
cuda = torch.version.cuda and torch.cuda.is_available() and shutil.which('nvcc')
print(f'cp{sys.version_info[0]}{sys.version_info[1]}', torch.__version__.split('+')[0],
      f"cu{torch.version.cuda.replace('.', '')}" if cuda else 'cpu')
EOF
)
key="mmcv-${MMCV_VERSION}_torch-${torch_version}_${py_tag}_${device_tag}"
wheel_dir="$CACHE/wheels/$key"
wheel=$(ls "$wheel_dir"/mmcv-*.whl 2>/dev/null | head -n 1 || true)

if [ -z "$wheel" ]; then
  log "no cached mmcv wheel for $key: compiling mmcv $MMCV_VERSION with its ops (long: ~10-40 min)"
  pip_install -r requirements/build.txt
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  "$VENV/bin/python" -m pip download -q --no-deps --no-binary :all: --no-build-isolation \
    "mmcv==$MMCV_VERSION" -d "$work" 2>&1 | quiet
  tar -xzf "$work/mmcv-$MMCV_VERSION.tar.gz" -C "$work" || die "could not download mmcv's sources"
  # torch >= 2.14 headers require C++20; mmcv 2.1.0 hard-codes C++17 (mmcv#3341).
  sed -i 's/-std=c++17/-std=c++20/g' "$work/mmcv-$MMCV_VERSION/setup.py"
  export MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)}
  if [ "$device_tag" != cpu ]; then
    export FORCE_CUDA=1
    export TORCH_CUDA_ARCH_LIST=${TORCH_CUDA_ARCH_LIST:-$("$VENV/bin/python" -c \
      'import torch; print("%d.%d" % torch.cuda.get_device_capability())')}
  fi
  mkdir -p "$CACHE/logs"
  build_log="$CACHE/logs/$key.log"
  log "build log: $build_log"
  (cd "$work/mmcv-$MMCV_VERSION" && "$VENV/bin/python" -m pip wheel -v --no-deps \
     --no-build-isolation -w "$work/dist" .) > "$build_log" 2>&1 &
  build_pid=$!
  last=""
  while kill -0 "$build_pid" 2>/dev/null; do
    sleep 20
    step=$(grep -oE '\[[0-9]+/[0-9]+\]' "$build_log" | tail -n 1 || true)
    [ -n "$step" ] && [ "$step" != "$last" ] && log "compiling mmcv ops $step" && last=$step
  done
  wait "$build_pid" || die "mmcv build failed; see $build_log"
  mkdir -p "$wheel_dir"
  built=$(ls "$work"/dist/mmcv-*.whl)
  cp "$built" "$wheel_dir/.partial.whl" && mv "$wheel_dir/.partial.whl" "$wheel_dir/$(basename "$built")"
  wheel="$wheel_dir/$(basename "$built")"
  log "cached $wheel"
else
  log "using cached $wheel"
fi

log "installing mmcv, the OpenMMLab stack and the other requirements"
pip_install "$wheel" -r requirements/runtime.txt -r requirements/tests.txt -r requirements/optional.txt
pip_install --no-deps --no-build-isolation -e .

log "checking imports"
"$VENV/bin/python" - <<'EOF' || die "the environment does not import; see the error above"
import vsgt, vsgt_projects  # noqa: F401,E401  (applies vsgt.compat)
import mmcv.ops, mmdet.models, mmaction.models  # noqa: F401,E401
from mmcv.ops import RoIAlign  # noqa: F401
import mmaction, mmcv, mmdet, mmengine, torch
print(f'torch {torch.__version__}, mmcv {mmcv.__version__}, mmengine {mmengine.__version__}, '
      f'mmdet {mmdet.__version__}, mmaction2 {mmaction.__version__}')
EOF
rm -f "$VENV"/.vsgt-env-*
touch "$stamp"
log "done: $VENV"
