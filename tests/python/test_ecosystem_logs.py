"""Logging through Python's logging (HELION_LOGS, helion.set_logs)."""
import logging
import os
import subprocess
import sys

import pytest
import torch

import helion
import helion.language as hl
from helion.runtime import logs


@pytest.fixture(autouse=True)
def _reset_logs():
    yield
    helion.set_logs(None)


def _neg():
    @helion.kernel(config=helion.Config(block_sizes=[16]))
    def neg(x):
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = -x[t]
        return out

    return neg


def test_names():
    assert logs.logger_names("all") == ["helion"]
    assert logs.logger_names("kernel, +aot,helion.compiler") == ["helion.runtime.kernel", "helion.aot", "helion.compiler"]
    with pytest.warns(UserWarning, match="unknown log name 'kernal'"):
        assert logs.logger_names("kernal") == []


def test_kernel_logs_compiles(caplog):
    assert helion.set_logs("kernel") == ["helion.runtime.kernel"]
    assert logging.getLogger("helion.runtime.kernel").isEnabledFor(logging.DEBUG)
    assert not logging.getLogger("helion.aot").isEnabledFor(logging.INFO)  # not asked for
    with caplog.at_level(logging.DEBUG, logger="helion.runtime.kernel"):
        _neg()(torch.randn(40))
    messages = [r.getMessage() for r in caplog.records if r.name == "helion.runtime.kernel"]
    assert any("neg: new specialization 1 traced in" in m for m in messages)
    assert any("neg: passes for helion.Config(block_sizes=[16]" in m for m in messages)


def test_off_by_default_and_undone():
    helion.set_logs("all")
    assert logging.getLogger("helion").isEnabledFor(logging.DEBUG)
    helion.set_logs(None)
    assert not logging.getLogger("helion").isEnabledFor(logging.DEBUG)
    assert not logging.getLogger("helion").handlers


def test_env_var_in_a_fresh_process(tmp_path):
    code = ("import torch, helion, helion.language as hl\n"
            "@helion.kernel(config=helion.Config(block_sizes=[16]))\n"
            "def neg(x):\n"
            "    out = torch.empty_like(x)\n"
            "    for t in hl.tile(x.size(0)):\n"
            "        out[t] = -x[t]\n"
            "    return out\n"
            "neg(torch.randn(8))\n")
    script = tmp_path / "k.py"  # a file: kernels need their source
    script.write_text(code)
    env = dict(os.environ, HELION_LOGS="all")
    r = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "helion.runtime.kernel DEBUG: neg: new specialization 1 traced in" in r.stderr
    assert "helion.runtime.torch_op DEBUG: registered helion.neg_" in r.stderr
