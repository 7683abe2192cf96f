#!/usr/bin/env bash
# Installs what building and testing Helion needs, idempotently:
# LLVM/MLIR 22 from Debian, and a virtual environment .venv with torch,
# triton and the Python build tools.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES="llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools libzstd-dev ninja-build"
missing=""
for p in $APT_PACKAGES; do
  dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "[deps] apt-get install$missing"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $missing
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "[deps] creating .venv"
  $PY -m venv .venv
fi
REQS="torch==2.13.0 triton==3.6.0 nanobind==3.1.0 scikit-build-core>=0.10 lit pytest numpy tqdm"
STAMP=.venv/.helion-deps
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$REQS" ]; then
  echo "[deps] pip install $REQS"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q $REQS
  echo "$REQS" > "$STAMP"
fi
