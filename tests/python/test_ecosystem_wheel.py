"""The wheel: `pip wheel .` builds one that installs into a clean virtual
environment (no system site-packages, torch and triton installed there) and
runs a kernel on CPU tensors outside the source tree, with `helion-opt` on
PATH. Runs with HELION_TEST_WHEEL=1 (`make test` and `make wheel-test` set it):
about 1.5 minutes with a warm build dir and pip cache."""
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

pytestmark = pytest.mark.skipif(os.environ.get("HELION_TEST_WHEEL") != "1",
                                reason="builds and installs a wheel: set HELION_TEST_WHEEL=1 (make test, make wheel-test)")

KERNEL = textwrap.dedent("""
    import torch, helion
    from matmul import readme_matmul  # examples/matmul.py, copied beside this script

    assert "site-packages" in helion.__file__, helion.__file__  # the installed copy, not the source tree
    x, y = torch.randn(70, 40), torch.randn(40, 50)
    readme_matmul.bind((x, y)).set_config(helion.Config(block_sizes=[32, 32, 16]))
    torch.testing.assert_close(readme_matmul(x, y), x @ y, atol=2e-2, rtol=2e-2)  # fp32 dots run as tf32
    print("kernel ok", helion.__file__)
""")


def _run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{cmd}:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


def test_wheel_installs_and_runs(tmp_path):
    wheels = tmp_path / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", ROOT, "-w", str(wheels), "--no-build-isolation", "--no-deps", "-q"],
         cwd=ROOT, timeout=1800)
    (wheel,) = wheels.glob("helion-*.whl")
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], timeout=300)
    py, bin_dir = str(venv / "bin" / "python"), str(venv / "bin")
    # torch and triton at the versions of this machine (pip finds them in its local wheel cache)
    import torch
    import triton

    _run([py, "-m", "pip", "install", "-q", f"torch=={torch.__version__.split('+')[0]}",
          f"triton=={triton.__version__}"], timeout=1800)
    _run([py, "-m", "pip", "install", "-q", str(wheel)], timeout=600)
    work = tmp_path / "elsewhere"  # outside the source tree: nothing from it on sys.path
    work.mkdir()
    (work / "use_helion.py").write_text(KERNEL)
    shutil.copy(os.path.join(ROOT, "examples", "matmul.py"), work)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = bin_dir + os.pathsep + "/usr/bin:/bin"
    env["TRITON_CACHE_DIR"] = str(tmp_path / "triton-cache")
    r = _run([py, "use_helion.py"], cwd=work, env=env, timeout=600)
    assert "kernel ok" in r.stdout and str(venv) in r.stdout
    # helion-opt: a console script on PATH that execs the bundled, statically linked binary
    r = _run(["helion-opt", "--help"], cwd=work, env=env, timeout=120)
    assert "--helion-lower-grid" in r.stdout and "--convert-tile-to-triton" in r.stdout
    (work / "k.mlir").write_text("module {}\n")
    _run(["helion-opt", "k.mlir", "--canonicalize"], cwd=work, env=env, timeout=120)
    (opt,) = venv.glob("lib/python3*/site-packages/helion/bin/helion-opt")
    ldd = _run(["ldd", str(opt)], timeout=60).stdout
    assert "libLLVM" not in ldd and "libMLIR" not in ldd, ldd
