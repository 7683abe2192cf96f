"""Calls, binds, set_config, reset and first compiles of one kernel from many
threads at once (CPU tensors, outputs poisoned with NaN, torch reference)."""
import threading

import pytest
import torch

import helion
import helion.language as hl
from helion.compiler import pipeline

THREADS = 8


def _scale_kernel():
    @helion.kernel(config=helion.Config(block_sizes=[32]))
    def scale(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t] * 2.0 + 1.0
        return out

    return scale


def _run_threads(workers):
    """Start every worker at once; re-raise the first failure of any."""
    barrier = threading.Barrier(len(workers))
    errors = []

    def run(fn):
        try:
            barrier.wait()
            fn()
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]


def _caller(kernel, sizes, calls, wrong, device="cpu"):
    def work():
        for i in range(calls):
            x = torch.randn(sizes[i % len(sizes)], device=device)
            out = kernel(x)
            if not torch.equal(out, x * 2.0 + 1.0):
                wrong.append(i)
    return work


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
def test_bind_in_one_thread_does_not_capture_calls_of_others(poison_empty, device):
    poison_empty()
    kernel = _scale_kernel()
    x = torch.randn(100, device=device)
    kernel(x)  # compiled, fast path installed
    wrong = []
    stop = threading.Event()

    def binder():
        while not stop.is_set():
            assert kernel.bind((x,)).spec is not None

    def callers():
        try:
            _run_threads([_caller(kernel, [100], 40, wrong, device) for _ in range(THREADS - 1)])
        finally:
            stop.set()

    t = threading.Thread(target=binder)
    t.start()
    callers()
    t.join()
    assert wrong == [], f"{len(wrong)} of {(THREADS - 1) * 40} calls returned unwritten outputs"


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
def test_first_compiles_from_many_threads(poison_empty, monkeypatch, device):
    poison_empty()
    kernel = _scale_kernel()
    lowered = []
    real = pipeline.lower_to_ttir
    monkeypatch.setattr(pipeline, "lower_to_ttir", lambda *a, **k: lowered.append(a[0].name) or real(*a, **k))
    sizes = [33, 64, 65, 100]
    wrong = []
    _run_threads([_caller(kernel, sizes[i % 4:] + sizes[:i % 4], 12, wrong, device) for i in range(THREADS)])
    assert wrong == []
    assert len(kernel._specs) == len(sizes)
    assert len(lowered) == len(sizes), "a specialization was compiled more than once"


def test_set_config_and_reset_while_calling(poison_empty):
    poison_empty()
    kernel = _scale_kernel()
    x = torch.randn(100)
    configs = [helion.Config(block_sizes=[16]), helion.Config(block_sizes=[64]), helion.Config(block_sizes=[128])]
    wrong = []

    def configure():
        for i in range(20):
            kernel.bind((x,)).set_config(configs[i % 3])
            if i % 5 == 4:
                kernel.reset()

    _run_threads([configure] + [_caller(kernel, [100, 37], 30, wrong) for _ in range(THREADS - 1)])
    assert wrong == []


def test_bind_from_many_threads():
    kernel = _scale_kernel()
    results = []

    def bind(n):
        return lambda: results.append((n, kernel.bind((torch.randn(n),)).spec.traced))

    _run_threads([bind(16 + i % 3) for i in range(THREADS)])
    by_size = {}
    for n, traced in results:
        by_size.setdefault(n, set()).add(id(traced))
    assert all(len(ids) == 1 for ids in by_size.values()), "one specialization traced twice"
    assert len(kernel._specs) == 3


def test_different_kernels_compile_at_once(poison_empty):
    """Each kernel has its own lock: tracing and the passes of different
    kernels run in parallel threads (separate MLIR contexts)."""
    poison_empty()
    kernels = [_scale_kernel() for _ in range(4)]
    wrong = []
    _run_threads([_caller(kernels[i % 4], [40 + i, 80 + i], 6, wrong) for i in range(THREADS)])
    assert wrong == []
    assert [len(k._specs) for k in kernels] == [4, 4, 4, 4]


def test_triton_compiles_from_many_threads(tmp_path, monkeypatch):
    """The GPU path's compile step (our TTIR cache and triton.compile for
    sm_90) from several threads at once, two of them on the same TTIR."""
    from triton.backends.compiler import GPUTarget

    monkeypatch.setenv("HELION_CACHE_DIR", str(tmp_path / "helion"))
    monkeypatch.setenv("TRITON_CACHE_DIR", str(tmp_path / "triton"))
    kernel = _scale_kernel()
    config = helion.Config(block_sizes=[32])
    ttirs = [pipeline.TTIRResult(kernel.bind((torch.randn(n),)).to_triton_code(config), (4, 1, 1), "scale") for n in (64, 96, 128)]
    binaries = {}

    def compile_one(i):
        return lambda: binaries.setdefault(i, []).append(
            pipeline.compile_ttir(ttirs[i % 3], config, target=GPUTarget("cuda", 90, 32)).asm["cubin"])

    _run_threads([compile_one(i) for i in range(4)])
    assert all(len(b[0]) > 1000 for b in binaries.values()) and len(binaries) == 4
    assert binaries[0] == binaries[3]  # the same TTIR, compiled twice at once
