#!/usr/bin/env bash
# Builds the Python 3.12 extension (the GPU machine's Python) here, where
# LLVM/MLIR are installed, into .gpu-ext/ (git-ignored). scripts/gpu_run.sh
# uses it on the GPU machine; pass `carry=[".gpu-ext"]` to the device tool.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
find_py312() {  # a pyenv-installed 3.12 first (its shim fails unless 3.12 is selected), then PATH
  if command -v pyenv >/dev/null; then
    local v
    v=$(pyenv versions --bare 2>/dev/null | grep -E '^3\.12(\.|$)' | head -1 || true)
    if [ -n "$v" ]; then echo "$(pyenv root)/versions/$v/bin/python3"; return; fi
  fi
  command -v python3.12 || true
}
PY312=${PY312:-$(find_py312)}
if [ -z "$PY312" ] || ! "$PY312" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
  echo "error: Python 3.12 not found (install it, or set PY312=...)" >&2
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
