#!/usr/bin/env bash
# Runs on the GPU machine (device tool) from the repo root, with .gpu-ext
# carried: installs the prebuilt cp312 extension into python/helion, then
#   (no flag)     pytest -m gpu
#   --bench       the benchmarks that compare with torch and the roofline
#                 (end_to_end, launch_breakdown, reductions, defaults, config_space, run)
#   --autotune    benchmarks/autotune.py at quick effort (every kernel, ~3 min)
#   --full        benchmarks/autotune.py at full effort (minutes per kernel;
#                 each kernel's row is saved as soon as it is measured)
#   --jobs N      run the GPU tests in N pytest processes (test files split
#                 round-robin; correctness only, so they may share the GPU;
#                 each stops after GPU_TEST_TIMEOUT seconds)
#   --no-tests    skip pytest (with --bench / --autotune / --full)
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
bench=0; autotune=0; full=0; tests=1; jobs=1
while [ $# -gt 0 ]; do
  case "$1" in
    --bench) bench=1 ;;
    --autotune) autotune=1 ;;
    --full) full=1 ;;
    --jobs) jobs=$2; shift ;;
    --no-tests) tests=0 ;;
    *) echo "unknown flag $1"; exit 2 ;;
  esac
  shift
done
status=0
if [ $tests = 1 ] && [ "$jobs" -le 1 ]; then
  python3 -m pytest -m gpu -q -rs tests/python -p no:cacheprovider 2>&1 | tee "$OUT/gpu-tests.log"
  status=${PIPESTATUS[0]}
elif [ $tests = 1 ]; then
  files=(tests/python/test_*.py tests/python/errors/test_*.py)
  pids=()
  for ((j = 0; j < jobs; j++)); do
    part=()
    for ((i = j; i < ${#files[@]}; i += jobs)); do part+=("${files[$i]}"); done
    timeout "${GPU_TEST_TIMEOUT:-1800}" python3 -m pytest -m gpu -q -rs -p no:cacheprovider "${part[@]}" \
      > "$OUT/gpu-tests-$j.log" 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || status=1; done
  cat "$OUT"/gpu-tests-*.log > "$OUT/gpu-tests.log" && rm -f "$OUT"/gpu-tests-*.log
  grep -E "passed|failed|FAILED|ERROR" "$OUT/gpu-tests.log" | tail -40
fi
if [ $bench = 1 ]; then
  for b in end_to_end launch_breakdown reductions defaults config_space run; do
    python3 "benchmarks/$b.py" --out "$OUT" 2>&1 | tee -a "$OUT/benchmarks.log"
  done
fi
if [ $autotune = 1 ]; then
  python3 benchmarks/autotune.py --out "$OUT" --effort quick 2>&1 | tr '\r' '\n' | grep -v 'config/s' | tee -a "$OUT/autotune.log"
fi
if [ $full = 1 ]; then
  python3 benchmarks/autotune.py --out "$OUT" --effort full \
    --kernels attention,matmul_8192,softmax,matmul_4096,layer_norm,matmul_8192x8192x1024,add 2>&1 \
    | tr '\r' '\n' | grep -v 'config/s' | tee -a "$OUT/autotune-full.log"
fi
exit $status
