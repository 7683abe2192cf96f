#!/usr/bin/env bash
# Runs on the GPU machine (device tool) from the repo root, with .gpu-ext
# carried: installs the prebuilt cp312 extension into python/helion, then
#   (no flag)     pytest -m gpu
#   --bench       the benchmarks that compare with torch and the roofline
#                 (end_to_end, launch_breakdown, reductions, defaults, config_space, run)
#   --autotune    benchmarks/autotune.py at quick effort (every kernel, ~3 min)
#   --no-tests    skip pytest (with --bench / --autotune)
# Results go to $OUT (when set): gpu-tests.log, benchmarks.log, *.json.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/helion-out}
mkdir -p "$OUT"
cp .gpu-ext/_mlir.cpython-312-*.so python/helion/ || { echo "error: run scripts/build_gpu_ext.sh first and carry .gpu-ext"; exit 1; }
export PYTHONPATH=$PWD/python${PYTHONPATH:+:$PYTHONPATH}
export TRITON_CACHE_DIR=/tmp/triton-cache HELION_CACHE_DIR=/tmp/helion-cache PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
python3 -c "import torch, triton; print('torch', torch.__version__, 'triton', triton.__version__, torch.cuda.get_device_name())"
bench=0; autotune=0; tests=1
for a in "$@"; do
  case "$a" in
    --bench) bench=1 ;;
    --autotune) autotune=1 ;;
    --no-tests) tests=0 ;;
    *) echo "unknown flag $a"; exit 2 ;;
  esac
done
status=0
if [ $tests = 1 ]; then
  python3 -m pytest -m gpu -q -rs tests/python -p no:cacheprovider 2>&1 | tee "$OUT/gpu-tests.log"
  status=${PIPESTATUS[0]}
fi
if [ $bench = 1 ]; then
  for b in end_to_end launch_breakdown reductions defaults config_space run; do
    python3 "benchmarks/$b.py" --out "$OUT" 2>&1 | tee -a "$OUT/benchmarks.log"
  done
fi
if [ $autotune = 1 ]; then
  python3 benchmarks/autotune.py --out "$OUT" --effort quick 2>&1 | tr '\r' '\n' | grep -v 'config/s' | tee -a "$OUT/autotune.log"
fi
exit $status
