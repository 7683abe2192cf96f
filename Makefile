# make test : install dependencies, build, run lit + pytest (CPU only)
# make demo : install, build, compile the README matmul and puzzle 1
PY := .venv/bin/python
export PATH := $(CURDIR)/.venv/bin:/usr/lib/llvm-22/bin:$(PATH)

.PHONY: deps build test lit pytest demo gpu-ext clean wheel-test

deps:
	@bash scripts/install_deps.sh

build: deps
	@echo "[build] pip install -e . (incremental CMake + Ninja build in build/)"
	@$(PY) -m pip install -q --no-build-isolation -e .

lit: build
	lit -sv tests/lit

pytest: build
	$(PY) -m pytest -q tests/python

# HELION_TEST_WHEEL=1: the wheel test runs too (1.5 min with a warm build dir).
test: build
	lit -sv tests/lit
	HELION_TEST_WHEEL=1 $(PY) -m pytest -q tests/python

demo: build
	$(PY) examples/demo.py

# Builds a wheel, installs it with torch and triton into a clean venv and runs
# a kernel from it (also part of make test).
wheel-test: build
	HELION_TEST_WHEEL=1 $(PY) -m pytest -q tests/python/test_ecosystem_wheel.py

gpu-ext:
	bash scripts/build_gpu_ext.sh

clean:
	rm -rf build
