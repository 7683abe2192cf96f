"""static_shapes=False: shapes whose dims, strides and size inputs fall in the
same {0, 1, >=2} buckets (and agree on 64-bit indexing) share one tuned
config, in memory and in the disk cache; each exact shape still compiles on
its own. static_shapes=True (the default) keys as before."""
from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys

import pytest
import torch

import helion
import helion.language as hl
from helion.autotuner import cache, tuner
from helion.autotuner.search import RandomSearch
from helion.runtime import kernel as kernel_mod

from test_autotuner_tuner import _FakeGpuRun

GPU = {"name": "NVIDIA H200", "capability": [9, 0]}


def _scale(static_shapes=False, **settings):
    @helion.kernel(static_shapes=static_shapes, autotune_effort="none", **settings)
    def scale(x: torch.Tensor) -> torch.Tensor:
        m, n = x.size()
        out = torch.empty_like(x)
        for tm, tn in hl.tile([m, n]):
            out[tm, tn] = x[tm, tn] * 2.0 + 1.0
        return out
    return scale


@helion.kernel(static_shapes=False, autotune_effort="none")
def row_sum(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty([m], dtype=x.dtype, device=x.device)
    for tm in hl.tile(m):
        out[tm] = x[tm, :].sum(-1)
    return out


@helion.kernel(static_shapes=False, autotune_effort="none")
def row_cumsum(x: torch.Tensor) -> torch.Tensor:
    m, n = x.size()
    out = torch.empty_like(x)
    for tm in hl.tile(m):
        out[tm, :] = torch.cumsum(x[tm, :], dim=1)
    return out


def _bucket(kernel, *args):
    return kernel.bind(args).spec.bucket


def _tuned(cspec):
    """What the fake search finds: not the default config of any shape below."""
    return cspec.normalize(helion.Config(block_sizes=[16] * len(cspec.default_config().block_sizes), num_warps=2))


@pytest.mark.parametrize("shape", [(64, 32), (100, 40), (1, 40), (37, 1), (1, 1), (0, 8)])
def test_numerics_in_and_across_buckets(shape):
    x = torch.randn(*shape)
    torch.testing.assert_close(_scale()(x), x * 2 + 1)
    torch.testing.assert_close(row_sum(x), x.sum(-1), rtol=1e-5, atol=1e-5)


def test_every_exact_shape_compiles_once_and_buckets_are_shared():
    scale = _scale()
    shapes = [(64, 32), (100, 40), (64, 32), (1, 40), (3, 1)]
    for s in shapes:
        x = torch.randn(*s)
        torch.testing.assert_close(scale(x), x * 2 + 1)
    assert len(scale._specs) == 4  # one specialization (trace + compile) per exact shape
    a, b, c, d = (_bucket(scale, torch.randn(*s)) for s in [(64, 32), (100, 40), (1, 40), (3, 1)])
    assert a == b and len({a, c, d}) == 3
    x = torch.randn(64, 32)
    assert _bucket(scale, x.t()) != _bucket(scale, torch.randn(32, 64))  # strides (1, >=2) vs (>=2, 1)
    assert _bucket(scale, torch.randn(64, 32, dtype=torch.float64)) != a
    assert _bucket(scale, torch.randn(64, 33)[:, 1:]) != a  # not 16-byte aligned


@pytest.mark.parametrize("index_dtype", [None, torch.int32, torch.int64])
def test_64_bit_indexing_splits_the_bucket_unless_index_dtype_is_int64(index_dtype):
    @helion.kernel(static_shapes=False, autotune_effort="none", index_dtype=index_dtype)
    def first_row(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty([x.size(1)], dtype=x.dtype, device=x.device)
        for tn in hl.tile(x.size(1)):
            out[tn] = x[0, tn]
        return out

    one = torch.ones(1, 1)
    small, big = one.expand(4, 8), one.expand(2**31, 8)  # a 2**34-element view of one element
    assert (_bucket(first_row, small) == _bucket(first_row, big)) == (index_dtype == torch.int64)
    torch.testing.assert_close(first_row(small), torch.ones(8))


def test_sizes_and_block_sizes_from_host_code_are_bucketed():
    key = kernel_mod._bucket_key
    assert key((torch.Size([64, 32]), 7), False) == key((torch.Size([9, 2]), 100), False)
    assert key((torch.Size([64, 1]),), False) != key((torch.Size([64, 2]),), False)
    assert key((0,), False) != key((1,), False) != key((2,), False)
    assert key((True,), False) != key((False,), False)  # bools by value
    assert key((hl.constexpr(64),), False) != key((hl.constexpr(128),), False)  # constexprs by value
    assert key((hl.register_block_size(64),), False) == key((hl.register_block_size(40),), False)


@pytest.fixture
def fake_cpu_tuning(monkeypatch):
    """The tuning session with its CPU check replaced by a search that always
    finds TUNED; counts the sessions."""
    calls = []

    def found(kernel, spec, values, session, configs, args):
        calls.append(spec)
        return _tuned(spec.config_spec)

    monkeypatch.setattr(tuner, "_check_on_cpu", found)
    return calls


def test_second_shape_in_a_bucket_reuses_the_tuned_config(fake_cpu_tuning):
    scale = _scale()
    a, b, c = torch.randn(64, 32), torch.randn(100, 40), torch.randn(1, 40)
    assert scale.autotune((a,)) == _tuned(scale.bind((a,)).config_spec)
    assert len(fake_cpu_tuning) == 1
    for x in (a, b, c):
        torch.testing.assert_close(scale(x), x * 2 + 1)
    assert len(fake_cpu_tuning) == 1  # b shared a's tuning, c was not tuned
    tuned_b, default_c = scale.bind((b,)), scale.bind((c,))
    assert tuned_b.spec.best.config == _tuned(tuned_b.config_spec)
    assert default_c.spec.best.config == default_c.config_spec.default_config() != tuned_b.spec.best.config
    scale.reset()
    torch.testing.assert_close(scale(b), b * 2 + 1)
    assert scale.bind((b,)).spec.best.config == scale.bind((b,)).config_spec.default_config()  # reset forgets


def test_static_shapes_true_does_not_share(fake_cpu_tuning):
    scale = _scale(static_shapes=True)
    a, b = torch.randn(64, 32), torch.randn(100, 40)
    scale.autotune((a,))
    torch.testing.assert_close(scale(b), b * 2 + 1)
    assert scale.bind((b,)).spec.best.config == scale.bind((b,)).config_spec.default_config()
    assert scale.bind((a,)).spec.bucket is None and not scale._tuned


def test_a_shape_that_refuses_the_shared_config_takes_its_own(monkeypatch, caplog):
    # A scan row of 16 may be looped in chunks of 16 (one chunk); a row of 64 may not.
    def found(kernel, spec, values, session, configs, args):
        return spec.config_spec.normalize(helion.Config(block_sizes=[4], reduction_loops=[16]))

    monkeypatch.setattr(tuner, "_check_on_cpu", found)
    short, long = torch.randn(8, 16), torch.randn(8, 64)
    assert _bucket(row_cumsum, short) == _bucket(row_cumsum, long)
    row_cumsum.autotune((short,))
    with caplog.at_level(logging.DEBUG, logger="helion.runtime.kernel"):
        torch.testing.assert_close(row_cumsum(long), long.cumsum(1), rtol=1e-5, atol=1e-5)
    bound = row_cumsum.bind((long,))
    assert bound.spec.best.config == bound.config_spec.default_config()  # tuning is off on CPU tensors
    assert any("does not fit this one" in r.getMessage() and "reduction_loops[0] = 16" in r.getMessage()
               for r in caplog.records)


def test_key_function_splits_buckets(fake_cpu_tuning):
    @helion.kernel(static_shapes=False, autotune_effort="none", key=lambda x: x.size(0) > 1000)
    def twice(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for t in hl.tile(x.size(0)):
            out[t] = x[t] * 2.0
        return out

    small, other_small, large = torch.randn(100), torch.randn(200), torch.randn(3000)
    assert _bucket(twice, small) == _bucket(twice, other_small) != _bucket(twice, large)
    twice.autotune((small,))
    for x in (other_small, large):
        torch.testing.assert_close(twice(x), x * 2)  # the call path keeps the arguments for key=
    assert twice.bind((other_small,)).spec.best.config.num_warps == 2
    assert twice.bind((large,)).spec.best.config == twice.bind((large,)).config_spec.default_config()


def test_each_device_loop_of_a_kernel_has_its_own_bucket():
    @helion.kernel(static_shapes=False, autotune_effort="none")
    def plus_two(x: torch.Tensor) -> torch.Tensor:
        n = x.size(0)
        mid, out = torch.empty_like(x), torch.empty_like(x)
        for t in hl.tile(n):
            mid[t] = x[t] + 1.0
        for t in hl.tile(n):
            out[t] = mid[t] + 1.0  # the same kinds of inputs as the first loop
        return out

    x = torch.randn(100)
    torch.testing.assert_close(plus_two(x), x + 2)
    first, second = (b.spec.bucket for b in plus_two.bind((x,)).phases)
    assert first[:-1] == second[:-1] and first != second  # the disk cache tells them apart


# -- the disk cache -------------------------------------------------------------------
@pytest.fixture
def fake_gpu(monkeypatch, tmp_path):
    """tuner.autotune with the GPU run faked (compile + timing) and the
    specialization said to be on a GPU; returns (config, tuning runs)."""
    monkeypatch.setenv("HELION_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(tuner, "_GpuRun", _FakeGpuRun)
    monkeypatch.setattr(tuner.cache, "device_info", lambda d: GPU)
    _FakeGpuRun.runs = 0

    def tune(kernel, x):
        bound = kernel.bind((x,))
        bound.spec.device = torch.device("cuda", 0)
        try:
            config = tuner.autotune(kernel, bound.spec, bound.values, autotune_log_level=logging.WARNING, seed=1)
        finally:
            kernel.reset()  # no CPU call may meet the specialization said to be on a GPU
        return config, _FakeGpuRun.runs

    return tune


def test_disk_cache_is_shared_by_the_shapes_of_a_bucket(fake_gpu, tmp_path):
    best, runs = fake_gpu(row_sum, torch.randn(64, 32))
    assert runs == 1
    assert fake_gpu(row_sum, torch.randn(100, 40)) == (best, 1)  # a hit
    assert fake_gpu(row_sum, torch.randn(1, 40))[1] == 2  # another bucket tunes
    assert len(list((tmp_path / "autotune").iterdir())) == 2


def test_static_shapes_true_disk_cache_key_is_the_tile_ir(fake_gpu):
    scale = _scale(static_shapes=True)
    fake_gpu(scale, torch.randn(64, 32))
    assert fake_gpu(scale, torch.randn(100, 40))[1] == 2  # another shape: another entry
    bound = scale.bind((torch.randn(64, 32),))
    entry = cache.AutotuneCache("scale", cache.kernel_source(scale.fn), bound.tile_ir, GPU, {"v": "1"})
    fields = {"format": cache.FORMAT, "kernel": "scale", "source": cache.kernel_source(scale.fn),
              "tile_ir": bound.tile_ir, "device": GPU, "versions": {"v": "1"}}
    assert entry.digest == hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:32]
    assert bound.key == scale.bind((torch.randn(64, 32),)).key != scale.bind((torch.randn(100, 40),)).key


def test_a_cached_config_the_shape_refuses_is_tuned_again(fake_gpu):
    short, long = torch.randn(8, 16), torch.randn(8, 64)
    bound = row_cumsum.bind((short,))
    entry = cache.AutotuneCache("row_cumsum", cache.kernel_source(row_cumsum.fn), None, GPU,
                                bucket=repr(bound.spec.bucket))
    entry.put(helion.Config(block_sizes=[4], reduction_loops=[16]), "full")
    assert fake_gpu(row_cumsum, short)[1] == 0  # the entry serves the short rows
    config, runs = fake_gpu(row_cumsum, long)
    assert runs == 1 and config.reduction_loops == [None]


def test_another_process_with_another_shape_of_the_bucket_hits(tmp_path, monkeypatch):
    monkeypatch.setenv("HELION_CACHE_DIR", str(tmp_path))
    here = os.path.dirname(os.path.abspath(__file__))
    script = (
        "import sys, torch; sys.path[:0] = [sys.argv[1], sys.argv[1] + '/../../examples']\n"
        "from test_static_shapes import row_sum, GPU\n"
        "from helion.autotuner.cache import AutotuneCache, kernel_source\n"
        "b = row_sum.bind((torch.randn(int(sys.argv[2]), int(sys.argv[3])),))\n"
        "c = AutotuneCache('row_sum', kernel_source(row_sum.fn), None, GPU, {}, bucket=repr(b.spec.bucket))\n"
        "config = b.config_spec.default_config() if sys.argv[4] == 'put' else None\n"
        "print(c.put(config, 'full') or config if config else c.get('full'))\n")

    def run(*argv):
        return subprocess.run([sys.executable, "-c", script, here, *argv], capture_output=True, text=True,
                              check=True).stdout.strip()

    put = run("64", "32", "put")
    assert put.startswith("helion.Config(") and run("100", "40", "get") == put
    assert run("1", "40", "get") == "None"


# -- on a GPU ----------------------------------------------------------------------------
@pytest.mark.gpu
def test_gpu_second_shape_reuses_the_tuned_config(monkeypatch, tmp_path):
    monkeypatch.setenv("HELION_CACHE_DIR", str(tmp_path))
    monkeypatch.setitem(RandomSearch.COUNT, "quick", 8)  # a short real tuning
    sessions = []
    real = tuner.autotune
    monkeypatch.setattr(tuner, "autotune", lambda *a, **k: sessions.append(a[1]) or real(*a, **k))

    @helion.kernel(static_shapes=False, autotune_effort="quick", autotune_log_level=logging.WARNING,
                   autotune_search="RandomSearch")
    def row_sum_gpu(x: torch.Tensor) -> torch.Tensor:
        m, n = x.size()
        out = torch.empty([m], dtype=x.dtype, device=x.device)
        for tm in hl.tile(m):
            out[tm] = x[tm, :].sum(-1)
        return out

    a, b, c = (torch.randn(*s, device="cuda") for s in [(4096, 512), (3000, 700), (1, 512)])
    torch.testing.assert_close(row_sum_gpu(a), a.sum(-1), rtol=1e-4, atol=1e-3)
    assert len(sessions) == 1
    torch.testing.assert_close(row_sum_gpu(b), b.sum(-1), rtol=1e-4, atol=1e-3)
    assert len(sessions) == 1  # shape b compiled a's tuned config
    bound_a, bound_b = row_sum_gpu.bind((a,)), row_sum_gpu.bind((b,))
    assert bound_b.spec.best.config == bound_b.config_spec.normalize(bound_a.spec.best.config)
    assert bound_b.spec.best is not bound_a.spec.best  # compiled for b's exact shape
    torch.testing.assert_close(row_sum_gpu(c), c.sum(-1), rtol=1e-4, atol=1e-3)
    assert len(sessions) == 2  # another bucket tunes


@pytest.mark.gpu
def test_gpu_configs_restriction_is_shared_too(monkeypatch):
    sessions = []
    real = tuner.autotune
    monkeypatch.setattr(tuner, "autotune", lambda *a, **k: sessions.append(a[1]) or real(*a, **k))

    @helion.kernel(static_shapes=False, autotune_log_level=logging.WARNING,
                   configs=[helion.Config(block_sizes=[8, 64]), helion.Config(block_sizes=[32, 128], num_warps=8)])
    def scale_gpu(x: torch.Tensor) -> torch.Tensor:
        m, n = x.size()
        out = torch.empty_like(x)
        for tm, tn in hl.tile([m, n]):
            out[tm, tn] = x[tm, tn] * 2.0 + 1.0
        return out

    for shape in [(2048, 1024), (1000, 3000), (2048, 1024)]:
        x = torch.randn(*shape, device="cuda", dtype=torch.bfloat16)
        torch.testing.assert_close(scale_gpu(x), x * 2 + 1)
    assert len(sessions) == 1
