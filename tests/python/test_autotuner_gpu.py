"""The autotuner on a GPU (marker `gpu`): small kernels tuned end to end at
quick effort, the disk cache across kernel objects, in-place kernels, and
injected bad candidates (a hand-corrupted TTIR that reads far out of bounds,
one that computes the wrong thing, one that spins forever) that must not
harm the user's process."""
from __future__ import annotations

import io
import logging

import pytest
import torch

import helion
import helion.language as hl
from helion.autotuner import benchmarker, precompile
from helion.autotuner.logger import AutotuneLog

from matmul import readme_matmul
from softmax import softmax

_matmul, _softmax = readme_matmul.fn, softmax.fn  # re-wrapped below with the settings under test

pytestmark = pytest.mark.gpu

QUICK = dict(autotune_effort="quick", autotune_random_seed=0)


@pytest.fixture(autouse=True)
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("HELION_CACHE_DIR", str(tmp_path))


def _add(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for tile in hl.tile(x.size(0)):
        out[tile] = x[tile] + y[tile]
    return out


def _increment(x: torch.Tensor) -> torch.Tensor:
    for tile in hl.tile(x.size(0)):
        x[tile] = x[tile] + 1.0
    return x


def test_first_call_tunes_add(capfd):
    add = helion.kernel(_add, **QUICK)
    x, y = torch.randn(1 << 20, device="cuda"), torch.randn(1 << 20, device="cuda")
    torch.testing.assert_close(add(x, y), x + y)
    err = capfd.readouterr().err
    assert "Starting PatternSearch" in err and "Autotuning complete in" in err
    assert "@helion.kernel(config=helion.Config(" in err
    torch.testing.assert_close(add(x, y), x + y)  # second call: no tuning
    assert "Autotuning complete" not in capfd.readouterr().err


def test_autotune_matmul_and_cache_hit(capfd):
    x = torch.randn(512, 256, device="cuda", dtype=torch.bfloat16)
    y = torch.randn(256, 384, device="cuda", dtype=torch.bfloat16)
    best = helion.kernel(_matmul, **QUICK).autotune((x, y))
    assert isinstance(best, helion.Config)
    capfd.readouterr()
    again = helion.kernel(_matmul, **QUICK)  # a new kernel object, same source and shapes
    out = again(x, y)
    err = capfd.readouterr().err
    assert "Using the cached config" in err and "Starting" not in err
    torch.testing.assert_close(out, (x.float() @ y.float()).to(torch.bfloat16), atol=0.1, rtol=0.05)


def test_softmax_tuned_config_is_legal_and_correct():
    x = torch.randn(256, 1024, device="cuda", dtype=torch.bfloat16)
    kernel = helion.kernel(_softmax, autotune_effort="quick", autotune_random_seed=1, autotune_log_level=logging.WARNING)
    best = kernel.autotune((x,), effort="quick")
    torch.testing.assert_close(kernel(x).float(), torch.softmax(x.float(), dim=1), atol=0.02, rtol=0.02)
    assert kernel.bind((x,)).config_spec.normalize(best) == best


def test_in_place_kernel_is_tuned_on_copies():
    inc = helion.kernel(_increment, **QUICK)
    x = torch.randn(1 << 16, device="cuda")
    want = x + 1
    inc(x)  # tunes on the first call: candidates run on the timing worker's copies
    torch.testing.assert_close(x, want)


def test_configs_list_is_a_finite_search(capfd):
    add = helion.kernel(_add, configs=[helion.Config(block_sizes=[128], num_warps=4),
                                       helion.Config(block_sizes=[1024], num_warps=8)])
    x, y = torch.randn(1 << 20, device="cuda"), torch.randn(1 << 20, device="cuda")
    torch.testing.assert_close(add(x, y), x + y)
    assert "Starting FiniteSearch with configs=2" in capfd.readouterr().err


def _bound_add(n=1 << 16):
    add = helion.kernel(_add, **QUICK)
    x, y = torch.randn(n, device="cuda"), torch.randn(n, device="cuda")
    return add, add.bind((x, y)), x, y


def _candidates(bound, config):
    from triton.backends.compiler import GPUTarget

    major, minor = torch.cuda.get_device_capability()
    target = GPUTarget("cuda", major * 10 + minor, 32)
    (c,) = precompile.compile_candidates(bound.spec.traced, [bound.config_spec.normalize(config)], target, timeout=300)
    assert c.ok, c.message
    cand = {"ttir": c.ttir, "name": bound.spec.traced.name, "grid": c.grid,
            "num_warps": c.config.num_warps, "num_stages": c.config.num_stages,
            "target": precompile.target_tuple(target)}
    return cand


def _setup(bound, timeout=120):
    bench = benchmarker.GpuBenchmarker(devices=[torch.cuda.current_device()], timeout=timeout)
    runtime = [bound.values[a.index] for a in bound.spec.traced.runtime_args]
    written, read = benchmarker.kernel_arg_roles(bound.spec.traced.module)
    bench.setup(runtime, written, [w for w in written if w not in read], atol=1e-4, rtol=1e-4)
    return bench


def test_faulting_candidate_is_isolated():
    add, bound, x, y = _bound_add()
    x0, y0 = x.clone(), y.clone()
    good = _candidates(bound, helion.Config(block_sizes=[256], num_warps=4))
    # Hand-corrupt the TTIR: each program's offset becomes pid * 2**30
    # elements, far outside any allocation (an illegal memory access).
    assert good["ttir"].count("<{value = 256 : i32}> : () -> i32") == 1, good["ttir"]
    bad = dict(good, ttir=good["ttir"].replace("<{value = 256 : i32}> : () -> i32",
                                               "<{value = 1073741824 : i32}> : () -> i32"))
    bench = _setup(bound)
    base = bench.run("baseline", [good], None)[0]
    assert base.ok, base
    bench.set_expected(base.value["outputs"], x.device)
    restarts = bench.pool.restarts
    (r_bad,) = bench.run("bench", [bad], None)
    assert r_bad.status in ("fatal", "crash"), r_bad
    assert bench.pool.restarts == restarts + 1  # the poisoned worker was replaced
    (r_good,) = bench.run("bench", [good], None)
    assert r_good.ok and r_good.value["status"] == "ok" and r_good.value["ms"] > 0, r_good
    # This process's CUDA context and tensors are untouched.
    torch.cuda.synchronize()
    torch.testing.assert_close(x, x0)
    torch.testing.assert_close(y, y0)
    bound.set_config(helion.Config(block_sizes=[256]))
    torch.testing.assert_close(add(x, y), x0 + y0)


_VOLATILE_LOAD = ('"tt.load"(%arg1) {boundaryCheck = array<i32>, cache = 1 : i32, evict = 1 : i32, isVolatile = true, '
                  'operandSegmentSizes = array<i32: 1, 0, 0>} : (!tt.ptr<f32>) -> f32')
# Spins while x[0] == x[0] (always, for finite data), re-reading it volatile so the loop cannot be removed.
_SPIN = f"""    %spin0 = {_VOLATILE_LOAD}
    %spin1 = "scf.while"(%spin0) ({{
    ^bb0(%spa: f32):
      %spc = "arith.cmpf"(%spa, %spa) <{{fastmath = #arith.fastmath<none>, predicate = 1 : i64}}> : (f32, f32) -> i1
      "scf.condition"(%spc, %spa) : (i1, f32) -> ()
    }}, {{
    ^bb0(%spb: f32):
      %spv = {_VOLATILE_LOAD}
      "scf.yield"(%spv) : (f32) -> ()
    }}) : (f32) -> f32
    "tt.return"() : () -> ()"""


def test_hanging_candidate_is_killed():
    _, bound, x, _ = _bound_add()
    good = _candidates(bound, helion.Config(block_sizes=[256], num_warps=4))
    ret = '    "tt.return"() : () -> ()'
    assert good["ttir"].count(ret) == 1
    hang = dict(good, ttir=good["ttir"].replace(ret, _SPIN))
    bench = _setup(bound, timeout=20)
    restarts = bench.pool.restarts
    (r_hang,) = bench.run("bench", [hang], None)
    assert r_hang.status == "timeout", r_hang
    assert bench.pool.restarts == restarts + 1
    (r_good,) = bench.run("bench", [good], None)
    assert r_good.ok and r_good.value["status"] == "ok", r_good
    torch.cuda.synchronize()


def test_wrong_output_candidate_is_discarded():
    _, bound, _, _ = _bound_add()
    good = _candidates(bound, helion.Config(block_sizes=[256], num_warps=4))
    assert '"arith.addf"' in good["ttir"]
    wrong = dict(good, ttir=good["ttir"].replace('"arith.addf"', '"arith.subf"'))
    bench = _setup(bound)
    base = bench.run("baseline", [good], None)[0]
    bench.set_expected(base.value["outputs"], torch.device("cuda", torch.cuda.current_device()))
    r_wrong, r_good = bench.run("bench", [wrong, good], None)
    assert r_wrong.ok and r_wrong.value["status"] == "mismatch", r_wrong
    assert "differs from the baseline" in r_wrong.value["message"]
    assert r_good.ok and r_good.value["status"] == "ok"


def test_slow_candidate_is_cut_early():
    _, bound, _, _ = _bound_add(1 << 22)
    slow = _candidates(bound, helion.Config(block_sizes=[32], num_warps=1))
    bench = _setup(bound)
    (r,) = bench.run("bench", [slow], 1e-6)  # the best so far is "a nanosecond"
    assert r.ok and r.value["cut"] is True


def test_log_quiet_at_warning(capfd):
    add = helion.kernel(_add, autotune_effort="quick", autotune_log_level=logging.WARNING)
    x = torch.randn(4096, device="cuda")
    torch.testing.assert_close(add(x, x), x + x)
    assert "Autotuning complete" not in capfd.readouterr().err


def test_progress_log_object_writes_lines():
    out = io.StringIO()
    log = AutotuneLog(logging.INFO, stream=out, progress=False)
    log("hello")
    assert out.getvalue() == "[0s] hello\n"
