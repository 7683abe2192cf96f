import os
import shutil
import sys

import pytest

# The kernels under test live in examples/ (shared with the demo and benchmarks).
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples"))

LLVM_BIN = "/usr/lib/llvm-22/bin"


def _has_cuda():
    try:
        import torch

        return torch.cuda.is_available()
    except Exception:
        return False


def pytest_collection_modifyitems(config, items):
    if _has_cuda():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def filecheck():
    """Returns check(text, patterns): runs LLVM FileCheck on text."""
    import subprocess
    import tempfile

    exe = shutil.which("FileCheck") or os.path.join(LLVM_BIN, "FileCheck")
    if not os.path.exists(exe):
        pytest.skip("FileCheck not installed")

    def check(text, patterns):
        with tempfile.NamedTemporaryFile("w", suffix=".check", delete=False) as f:
            f.write(patterns)
            path = f.name
        try:
            r = subprocess.run([exe, path, "--dump-input=fail"], input=text, text=True, capture_output=True)
        finally:
            os.unlink(path)
        assert r.returncode == 0, r.stderr

    return check


@pytest.fixture
def poison_empty(monkeypatch):
    """Make torch.empty/empty_like return NaN-filled floats for the rest of
    the test, so an output element a kernel fails to store cannot pass."""
    import torch

    real_empty, real_empty_like = torch.empty, torch.empty_like

    def empty(*a, **k):
        out = real_empty(*a, **k)
        return out.fill_(float("nan")) if out.dtype.is_floating_point else out

    def empty_like(x, **k):
        out = real_empty_like(x, **k)
        return out.fill_(float("nan")) if out.dtype.is_floating_point else out

    def apply():
        monkeypatch.setattr(torch, "empty", empty)
        monkeypatch.setattr(torch, "empty_like", empty_like)

    return apply


@pytest.fixture
def compile_case_sm90(tmp_path, monkeypatch):
    """compile(kernel, args, config) -> (ttir, compiled kernel, normalized
    config): a kernel bound to args, through Triton for sm_90. A kernel of
    several device loops compiles each with its part of config; the last
    loop's are returned."""
    monkeypatch.setenv("TRITON_CACHE_DIR", str(tmp_path))

    def compile(kernel, args, config):
        from triton.backends.compiler import GPUTarget

        from helion.compiler import pipeline

        bound = kernel.bind(args)
        phases = getattr(bound, "phases", [bound])
        for part, part_config in zip(phases, bound.phase_configs(config) if len(phases) > 1 else [config]):
            part_config = part.config_spec.normalize(part_config)
            ttir = pipeline.lower_to_ttir(part.spec.traced, part_config)
            ck = pipeline.compile_ttir(ttir, part_config, target=GPUTarget("cuda", 90, 32))
        return ttir, ck, part_config

    return compile
