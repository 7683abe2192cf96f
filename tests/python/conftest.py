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
