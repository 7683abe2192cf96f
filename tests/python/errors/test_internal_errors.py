"""Unexpected exceptions inside the compiler (anything but a helion.exc error
escaping tracing, the passes or the CPU executor) reach the user as
helion.exc.InternalError with the kernel's line, the Config and a reproducer
script; print_repro / HELION_PRINT_REPRO print that script."""
import inspect
import os
import re
import subprocess
import sys

import pytest
import torch

import helion
import helion.language as hl
from helion.compiler import pipeline
from helion.runtime import cpu_executor

OFFSET = 1.5
CONFIG = helion.Config(block_sizes=[32])


@pytest.fixture(autouse=True)
def _repro_files_in_tmp_path(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))


def add_offset(a, b):
    return a + b + OFFSET


def _kernel(**settings):
    @helion.kernel(config=CONFIG, **settings)
    def shifted_add(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = add_offset(x[t], y[t])
        return out

    return shifted_add


def _loop_line(kernel):
    lines, first = inspect.getsourcelines(kernel.fn)
    return first + next(i for i, line in enumerate(lines) if "hl.tile" in line)


def _internal_error(kernel, *args, **kwargs) -> helion.exc.InternalError:
    with pytest.raises(helion.exc.InternalError) as info:
        kernel(*args, **kwargs)
    return info.value


def _args():
    return torch.randn(100), torch.randn(100)


def test_pass_pipeline_bug(monkeypatch):
    kernel = _kernel()

    def broken(traced, config):
        raise KeyError("slot 7")

    monkeypatch.setattr(pipeline, "lower_to_ttir", broken)
    error = _internal_error(kernel, *_args())
    text = str(error)
    assert text.startswith(f"{__file__}:{_loop_line(kernel)}: internal compiler error: the pass pipeline raised KeyError")
    assert "helion.Config(block_sizes=[32]" in text
    assert isinstance(error.__cause__, KeyError)
    path = re.search(r"Reproduce it with: python (\S+)", text).group(1)
    assert path == error.repro_path and os.path.exists(path)


def test_tracer_bug_names_the_traced_line(monkeypatch):
    from helion.frontend import tracer

    kernel = _kernel()
    real = tracer.Tracer.visit_BinOp

    def broken(self, node):
        if isinstance(node.op, __import__("ast").Add):
            raise IndexError("operand stack empty")
        return real(self, node)

    monkeypatch.setattr(tracer.Tracer, "visit_BinOp", broken)
    error = _internal_error(kernel, *_args())
    lines, first = inspect.getsourcelines(kernel.fn)
    call_line = first + next(i for i, line in enumerate(lines) if "add_offset(" in line)
    assert str(error).startswith(f"{__file__}:{call_line}:"), str(error)
    assert "IndexError: operand stack empty" in str(error)
    assert error.repro_path is not None


def test_cpu_executor_bug(monkeypatch):
    kernel = _kernel()

    def broken(*args, **kwargs):
        raise TypeError("unhashable type: 'list'")

    monkeypatch.setattr(cpu_executor, "run_ttir", broken)
    error = _internal_error(kernel, *_args())
    assert "the CPU executor raised TypeError: unhashable type: 'list'" in str(error)
    assert str(error).startswith(f"{__file__}:{_loop_line(kernel)}:")


def test_bind_reports_internal_errors_too(monkeypatch):
    kernel = _kernel()
    from helion.frontend import tracer

    monkeypatch.setattr(tracer.Tracer, "visit_Subscript", lambda self, node: {}["boom"])
    with pytest.raises(helion.exc.InternalError, match="KeyError") as info:
        kernel.bind(_args())
    assert os.path.exists(info.value.repro_path)


def test_reproducer_is_a_standalone_script(monkeypatch, tmp_path):
    kernel = _kernel()
    monkeypatch.setattr(pipeline, "lower_to_ttir", lambda traced, config: 1 / 0)
    x = torch.randn(64, 3).t()  # non-contiguous, 3 x 64
    y = torch.randn(3, 65)[:, 1:]  # offset: not 16-byte aligned
    error = _internal_error(kernel, x[0], y[0])
    script = open(error.repro_path).read()
    assert "def shifted_add(x: torch.Tensor, y: torch.Tensor)" in script
    assert "@helion.kernel(config=helion.Config(block_sizes=[32]" in script
    assert "def add_offset(a, b)" in script and "OFFSET = 1.5" in script
    assert "rand([64], [3], torch.float32, 'cpu', offset=0)" in script
    assert "rand([64], [1], torch.float32, 'cpu', offset=1)" in script
    # Without the injected bug the script runs the same call and succeeds.
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    run = subprocess.run([sys.executable, error.repro_path], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr


def test_print_repro_prints_each_new_specialization(capsys):
    kernel = _kernel(print_repro=True)
    kernel(*_args())
    kernel(*_args())  # same specialization: printed once
    kernel(torch.randn(50), torch.randn(50))
    err = capsys.readouterr().err
    assert err.count("# Helion reproducer for kernel 'shifted_add'") == 2
    assert "rand([50], [1], torch.float32, 'cpu', offset=0)" in err


def test_print_repro_with_an_internal_error(monkeypatch, capsys):
    kernel = _kernel(print_repro=True)
    monkeypatch.setattr(pipeline, "lower_to_ttir", lambda traced, config: [][0])
    _internal_error(kernel, *_args())
    assert "# Helion reproducer for kernel 'shifted_add'" in capsys.readouterr().err


def test_print_repro_environment_variable(monkeypatch):
    monkeypatch.setenv("HELION_PRINT_REPRO", "1")
    assert helion.Settings().print_repro
    monkeypatch.setenv("HELION_PRINT_REPRO", "0")
    assert not helion.Settings().print_repro


def test_helion_errors_pass_through_unchanged(monkeypatch):
    kernel = _kernel()

    def refuse(traced, config):
        raise helion.exc.CompilationError("out of registers")

    monkeypatch.setattr(pipeline, "lower_to_ttir", refuse)
    with pytest.raises(helion.exc.CompilationError, match="^out of registers$"):
        kernel(*_args())


def test_reproducer_of_a_keyword_call(monkeypatch):
    kernel = _kernel()
    monkeypatch.setattr(pipeline, "lower_to_ttir", lambda traced, config: {}["slot"])
    x, y = _args()
    error = _internal_error(kernel, x=x, y=y)
    assert "args = [rand([100], [1], torch.float32, 'cpu', offset=0), rand([100]" in open(error.repro_path).read()


def test_internal_error_survives_pickling():
    import pickle

    error = helion.exc.InternalError("passes raised KeyError: 3", location="k.py:7", config=CONFIG, repro_path="/tmp/r.py")
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error) and again.config == CONFIG and again.repro_path == "/tmp/r.py"
    located = pickle.loads(pickle.dumps(helion.exc.InvalidArgument("bad", location="a.py:1")))
    assert str(located) == "a.py:1: bad"
