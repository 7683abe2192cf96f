#!/usr/bin/env bash
# Runs on the GPU machine (device tool) from the repo root, with .gpu-ext
# carried: installs the prebuilt cp312 extension into python/helion, runs the
# GPU tests (pytest -m gpu) and, with --bench, the benchmarks. Results go to
# $OUT (when set) as gpu-tests.log and benchmark JSON files.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/helion-out}
mkdir -p "$OUT"
cp .gpu-ext/_mlir.cpython-312-*.so python/helion/ || { echo "error: run scripts/build_gpu_ext.sh first and carry .gpu-ext"; exit 1; }
export PYTHONPATH=$PWD/python${PYTHONPATH:+:$PYTHONPATH}
export TRITON_CACHE_DIR=/tmp/triton-cache PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
python3 -c "import torch, triton; print('torch', torch.__version__, 'triton', triton.__version__, torch.cuda.get_device_name())"
python3 -m pytest -m gpu -q -rs tests/python -p no:cacheprovider 2>&1 | tee "$OUT/gpu-tests.log"
status=${PIPESTATUS[0]}
if [ "${1:-}" = "--bench" ]; then
  for b in benchmarks/*.py; do
    [ -e "$b" ] || continue
    python3 "$b" --out "$OUT" 2>&1 | tee -a "$OUT/benchmarks.log"
  done
fi
exit $status
