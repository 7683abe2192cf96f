#!/usr/bin/env bash
# Builds the Python 3.12 extension (the GPU machine's Python) here, where
# LLVM/MLIR are installed, into .gpu-ext/ (git-ignored). scripts/gpu_run.sh
# uses it on the GPU machine; pass `carry=[".gpu-ext"]` to the device tool.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
PY312=${PY312:-/root/.pyenv/versions/3.12.1/bin/python3}
if [ ! -x "$PY312" ]; then
  echo "error: Python 3.12 not found at $PY312 (set PY312=...)" >&2
  exit 1
fi
NB_DIR=$(.venv/bin/python -m nanobind --cmake_dir)
cmake -G Ninja -S . -B build/gpu-cp312 -DCMAKE_BUILD_TYPE=Release \
  -DPython_EXECUTABLE="$PY312" -Dnanobind_DIR="$NB_DIR" >/dev/null
ninja -C build/gpu-cp312 _mlir
rm -rf .gpu-ext && mkdir -p .gpu-ext
cp build/gpu-cp312/mlir/bindings/_mlir.cpython-312-*.so .gpu-ext/
strip --strip-unneeded .gpu-ext/_mlir.cpython-312-*.so
ls -la .gpu-ext
