"""The autotuner's worker pool: injected failing jobs of every kind (an
exception, a crash, a hang, a fatal error) are reported and the worker
replaced, and later jobs still run; the compile pool records compile errors
and out-of-resources configs. CPU only."""
from __future__ import annotations

import os
import time

import pytest
import torch
from triton.backends.compiler import GPUTarget

import helion
from helion.autotuner.benchmarker import compare_outputs, kernel_arg_roles, poison_
from helion.autotuner.precompile import compile_candidates
from helion.autotuner.workers import WorkerFatal, WorkerPool

from matmul import readme_matmul
from softmax import layer_norm, softmax


class FlakyHandler:
    """Jobs: ("echo", v), ("raise", msg), ("crash", code), ("hang", None),
    ("fatal", msg), ("pid", None), ("state", s) / ("get_state", None)."""

    def __init__(self, tag):
        self.tag = tag
        self.state = None

    def __call__(self, kind, payload):
        if kind == "state":
            self.state = payload
        elif kind == "echo":
            return (self.tag, payload)
        elif kind == "raise":
            raise ValueError(payload)
        elif kind == "crash":
            os._exit(payload)
        elif kind == "hang":
            time.sleep(3600)
        elif kind == "fatal":
            raise WorkerFatal(payload)
        elif kind == "pid":
            return os.getpid()
        elif kind == "get_state":
            return self.state
        else:
            raise AssertionError(kind)


@pytest.fixture(scope="module")
def pool():
    p = WorkerPool("test_autotuner_workers:FlakyHandler", 2, handler_args=("t",))
    yield p
    p.close()


def test_jobs_run_in_order_of_submission(pool):
    results = pool.run([("echo", i) for i in range(5)], timeout=120)
    assert [r.status for r in results] == ["ok"] * 5
    assert [r.value for r in results] == [("t", i) for i in range(5)]


def test_every_kind_of_failure_is_contained(pool):
    done = []
    jobs = [("raise", "bad input"), ("crash", 7), ("hang", None), ("fatal", "context poisoned"), ("echo", "after")]
    results = pool.run(jobs, timeout=120, timeouts=[120, 120, 3, 120, 120], on_done=lambda i, r: done.append(i))
    assert results[0].status == "error" and "ValueError: bad input" in results[0].value
    assert results[1].status == "crash" and "exit code 7" in results[1].value
    assert results[2].status == "timeout"
    assert results[3].status == "fatal" and "context poisoned" in results[3].value
    assert results[4].status == "ok" and results[4].value == ("t", "after")
    assert sorted(done) == list(range(5))
    assert pool.restarts >= 3  # the crashed, hung and poisoned workers were replaced


def test_state_reaches_replacement_workers(pool):
    pool.set_state({"inputs": [1, 2, 3]})
    before = pool.run([("pid", None)], timeout=120)[0].value
    pool.run([("crash", 1)], timeout=120)
    results = pool.run([("get_state", None), ("pid", None)], timeout=120)
    assert results[0].value == {"inputs": [1, 2, 3]}
    assert results[1].status == "ok"
    assert before != results[1].value or pool.size > 1


def test_compile_pool_records_failures(monkeypatch, tmp_path):
    monkeypatch.setenv("HELION_CACHE_DIR", str(tmp_path))
    bound = readme_matmul.bind((torch.randn(256, 256), torch.randn(256, 256)))
    spec = bound.config_spec
    base = spec.default_config().config
    good = helion.Config(**{**base, "block_sizes": [32, 32, 32], "num_warps": 4, "num_stages": 2})
    too_big = helion.Config(**{**base, "block_sizes": [256, 256, 256], "num_stages": 5})
    results = compile_candidates(bound.spec.traced, [good, too_big], GPUTarget("cuda", 90, 32), timeout=300)
    assert [r.status for r in results] == ["ok", "resources"]
    assert results[0].shared <= 232448 < results[1].shared
    assert "shared memory" in results[1].message
    # The worker's TTIR is what this process compiles: the winner's compile is a Triton cache hit.
    from helion.compiler import pipeline
    assert pipeline.lower_to_ttir(bound.spec.traced, good).text == results[0].ttir


def test_compile_error_is_recorded():
    bound = softmax.bind((torch.randn(64, 512),))
    spec = bound.config_spec
    # A pass refusal (a looped reduction chunk below the dot minimum does not
    # apply here, so corrupt the config past normalize instead: 3 warps).
    bad = helion.Config(**{**spec.default_config().config, "num_warps": 3})
    results = compile_candidates(bound.spec.traced, [bad], GPUTarget("cuda", 90, 32), timeout=300, parallel=False)
    assert results[0].status == "error" and results[0].message


def test_kernel_arg_roles():
    bound = layer_norm.bind((torch.randn(32, 64), torch.randn(64), torch.randn(64), 1e-5))
    written, read = kernel_arg_roles(bound.spec.traced.module)
    runtime = [bound.values[a.index] for a in bound.spec.traced.runtime_args]
    assert len(written) == 1 and runtime[written[0]].shape == (32, 64)
    assert written[0] not in read and len(read) == 3


def test_compare_and_poison():
    a = torch.randn(8, 8)
    assert compare_outputs([a], [a.clone()], 1e-3, 1e-3) is None
    b = a.clone()
    b[3, 3] += 1
    assert "differs from the baseline by up to 1" in compare_outputs([b], [a], 1e-3, 1e-3)
    p = torch.empty(4)
    poison_(p)
    assert compare_outputs([p], [torch.zeros(4)], 1e-3, 1e-3) is not None
    i = torch.zeros(4, dtype=torch.int32)
    poison_(i)
    assert (i == torch.iinfo(torch.int32).max).all()


class DeviceHandler:
    """Reports the CUDA device its timing worker was given (no CUDA needed).
    Each job waits until `n` workers have taken one (a file per device in
    `folder`), so no worker can take every job while others still start."""

    def __call__(self, kind, payload):
        folder, n = payload
        device = os.environ.get("HELION_TIMING_DEVICE")
        open(os.path.join(folder, str(device)), "w").close()
        deadline = time.monotonic() + 60
        while len(os.listdir(folder)) < n and time.monotonic() < deadline:
            time.sleep(0.01)
        return device


@pytest.mark.parametrize("devices", [(0,), (3, 1, 2, 0)])
def test_timing_pool_gives_each_worker_one_device(devices, tmp_path):
    """The multi-GPU layout (one timing worker per visible GPU), checked with
    fake device lists: worker i sees devices[i] and jobs spread over all."""
    from helion.autotuner import benchmarker

    pool = benchmarker._timing_pool(devices, handler="test_autotuner_workers:DeviceHandler")
    try:
        assert pool.size == len(devices)
        results = pool.run([("which", (str(tmp_path), len(devices)))] * (2 * len(devices)), timeout=120)
        seen = {r.value for r in results}
        assert seen == {str(d) for d in devices}, seen
    finally:
        pool.close()
        benchmarker._POOLS.pop((devices, "test_autotuner_workers:DeviceHandler"), None)


def test_warm_starts_every_worker_before_the_first_job():
    p = WorkerPool("test_autotuner_workers:FlakyHandler", 2, handler_args=("w",))
    try:
        p.warm()
        started = [w.proc.pid for w in p.workers]
        assert all(started)
        p.warm()  # running workers are kept
        assert [w.proc.pid for w in p.workers] == started
        results = p.run([("pid", None), ("pid", None), ("echo", 1)], timeout=120)
        assert {r.value for r in results[:2]} <= set(started)
        assert results[2].value == ("w", 1)
    finally:
        p.close()
