"""The tuning session on the CPU: autotune() on CPU tensors (candidates
compiled for sm_90 and checked on the executor), options and settings, and
the disk cache through the session with a fake GPU benchmark."""
from __future__ import annotations

import io
import logging
import math
import warnings

import pytest
import torch

import helion
import helion.language as hl
from helion import exc
from helion.autotuner import tuner
from helion.autotuner.search import RandomSearch

from test_autotuner_search import Landscape


@helion.kernel(autotune_effort="quick", autotune_random_seed=3)
def scale_add(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    for tile in hl.tile(x.size(0)):
        out[tile] = x[tile] * 2.0 + y[tile]
    return out


def test_autotune_on_cpu_checks_candidates_and_returns_the_default(capfd):
    x, y = torch.randn(3000), torch.randn(3000)
    best = scale_add.autotune((x, y))
    bound = scale_add.bind((x, y))
    assert best == bound.config_spec.default_config()
    err = capfd.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("[helion] scale_add")]
    assert len(lines) == 1, err
    assert "CPU tensors: 3 of 3 candidate configs compile for sm_90 and 3 agree on the CPU executor" in lines[0]
    assert "the default config is used" in lines[0]
    torch.testing.assert_close(scale_add(x, y), x * 2 + y)


def test_autotune_on_cpu_keeps_strided_layouts(capfd):
    # Views that are not dense: candidates run on copies with the same strides and offsets.
    base_x, base_y = torch.randn(2000, 3), torch.randn(2000, 3)
    x, y = base_x[:, 1], base_y[:, 2]
    scale_add.autotune((x, y))
    assert "3 agree on the CPU executor" in capfd.readouterr().err
    torch.testing.assert_close(scale_add(x, y), x * 2 + y)


def test_autotune_on_cpu_restricted_to_configs(capfd):
    @helion.kernel(configs=[helion.Config(block_sizes=[256]), helion.Config(block_sizes=[64], num_warps=2)])
    def twice(x: torch.Tensor) -> torch.Tensor:
        out = torch.empty_like(x)
        for tile in hl.tile(x.size(0)):
            out[tile] = x[tile] * 2.0
        return out

    x = torch.randn(1000)
    best = twice.autotune((x,))
    assert best.block_sizes == [256]
    err = capfd.readouterr().err
    assert "2 of 2 candidate configs compile for sm_90 and 2 agree" in err and "first given config" in err
    torch.testing.assert_close(twice(x), x * 2)


def test_session_options():
    s = tuner.Session(helion.Settings(autotune_random_seed=5), {"effort": "quick", "num_iterations": 3, "seed": 9})
    assert (s.effort, s.seed, s.search_options) == ("quick", 9, {"generations": 3})
    s = tuner.Session(helion.Settings(), {"autotune_search": "RandomSearch", "count": 4})
    assert s.search is RandomSearch and s.search_options == {"count": 4}
    with pytest.raises(exc.InvalidSetting, match="not a search"):
        tuner.Session(helion.Settings(), {"search": "GridSearch"})
    with pytest.raises(exc.InvalidSetting, match="effort"):
        tuner.Session(helion.Settings(), {"effort": "max"})


def test_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv("HELION_AUTOTUNE_EFFORT", "quick")
    monkeypatch.setenv("HELION_AUTOTUNE_RANDOM_SEED", "42")
    monkeypatch.setenv("HELION_FORCE_AUTOTUNE", "1")
    monkeypatch.setenv("HELION_SKIP_CACHE", "1")
    s = helion.Settings()
    assert (s.autotune_effort, s.autotune_random_seed, s.force_autotune, s.autotune_skip_cache) == ("quick", 42, True, True)
    assert helion.Settings(autotune_effort="full").autotune_effort == "full"  # the decorator argument wins
    monkeypatch.setenv("HELION_AUTOTUNE_RANDOM_SEED", "x")
    with pytest.raises(exc.InvalidSetting, match="HELION_AUTOTUNE_RANDOM_SEED"):
        helion.Settings()


class _FakeGpuRun:
    """Stands in for compile + GPU timing: a synthetic landscape."""

    runs = 0

    def __init__(self, kernel, spec, values, session, log, args):
        self.spec, self.session, self.log = spec, session, log
        self.best_ms = None

    def search(self, configs):
        type(self).runs += 1
        cspec = self.spec.config_spec
        land = Landscape(cspec, cspec.random_config(77))
        search = RandomSearch(cspec, land, count=6, seed=self.session.seed, log=self.log)
        best = search.search()
        self.best_ms = search.best_time
        return best


@pytest.fixture
def fake_gpu(monkeypatch, tmp_path):
    monkeypatch.setenv("HELION_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(tuner, "_GpuRun", _FakeGpuRun)
    monkeypatch.setattr(tuner.cache, "device_info", lambda d: {"name": "NVIDIA H200", "capability": [9, 0]})
    _FakeGpuRun.runs = 0

    def tune(**options):
        x, y = torch.randn(4096), torch.randn(4096)
        bound = scale_add.bind((x, y))
        bound.spec.device = torch.device("cuda", 0)  # what a CUDA tensor's specialization would say
        return tuner.autotune(scale_add, bound.spec, bound.values, autotune_log_level=logging.WARNING, **options)

    return tune


def test_cache_miss_then_hit(fake_gpu):
    first = fake_gpu()
    assert _FakeGpuRun.runs == 1
    assert fake_gpu() == first and _FakeGpuRun.runs == 1  # served from the disk cache
    fake_gpu(force=True)
    assert _FakeGpuRun.runs == 2  # force tunes again
    fake_gpu(skip_cache=True)
    assert _FakeGpuRun.runs == 3


def test_cache_version_change_tunes_again(fake_gpu, monkeypatch):
    fake_gpu()
    real = tuner.cache.versions
    monkeypatch.setattr(tuner.cache, "versions", lambda: {**real(), "triton": "9.9.9"})
    fake_gpu()
    assert _FakeGpuRun.runs == 2


def test_cache_corrupt_entry_tunes_again(fake_gpu, tmp_path):
    fake_gpu()
    (path,) = (tmp_path / "autotune").iterdir()
    path.write_text("{truncated")
    with pytest.warns(exc.CacheWarning, match="corrupt autotune cache entry"):
        fake_gpu()
    assert _FakeGpuRun.runs == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fake_gpu()  # rewritten by the second tuning
    assert _FakeGpuRun.runs == 2


def test_quick_entry_does_not_serve_full(fake_gpu):
    fake_gpu(effort="quick")
    fake_gpu(effort="full")
    assert _FakeGpuRun.runs == 2
    fake_gpu(effort="quick")
    assert _FakeGpuRun.runs == 2


def test_configs_restriction_is_not_cached(fake_gpu, tmp_path):
    fake_gpu(configs=[helion.Config(block_sizes=[128])])
    assert not (tmp_path / "autotune").exists()


class _FakeProps:
    shared_memory_per_block_optin = 232448


def _fake_h200_session(monkeypatch, tmp_path):
    """An sm_90 device as the tuner sees it, and a synthetic landscape over
    scale_add's configs: (bound kernel, landscape)."""
    monkeypatch.setenv("HELION_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda d=None: (9, 0))
    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda d=None: _FakeProps())
    monkeypatch.setattr(tuner.cache, "device_info", lambda d: {"name": "fake", "capability": [9, 0]})
    bound = scale_add.bind((torch.randn(4096), torch.randn(4096)))
    return bound, Landscape(bound.config_spec, bound.config_spec.random_config(5))


def test_session_counts_every_kind_of_failure(monkeypatch, tmp_path):
    """The real session (search, overlapped compile and timing threads, log)
    with compile and timing faked: each kind of failing candidate is skipped
    and counted, and the best working config wins."""
    from helion.autotuner import benchmarker, precompile
    from helion.autotuner.workers import JobResult

    bound, land = _fake_h200_session(monkeypatch, tmp_path)

    def fake_compile(traced, configs, target, *, on_done=None, **kw):
        out = []
        for c in configs:
            status = {8: "error", 16: "resources"}.get(c.num_warps, "ok")
            if c.num_stages == 6:
                status = "timeout"
            cand = precompile.CompiledCandidate(c, status, "injected", "ttir" if status == "ok" else None, (4, 1, 1))
            if on_done:
                on_done(cand)
            out.append(cand)
        return out

    class FakeBench:
        devices = [0]
        runs = []

        def __init__(self, devices, timeout):
            pass

        def setup(self, args, written, poison, **kw):
            assert written == [0] and poison == [0]  # out is written, never read

        def set_expected(self, outputs, device):
            pass

        def release(self):
            FakeBench.released = True

        def run(self, kind, cands, best_ms, on_done=None):
            res = []
            for cand in cands:
                w, s = cand["num_warps"], cand["num_stages"]
                if kind == "baseline":
                    res.append(JobResult("ok", {"status": "ok", "ms": 1.0, "cut": False, "outputs": b""}, 0.1))
                elif w == 1:
                    res.append(JobResult("fatal", "CUDA error: an illegal memory access was encountered", 0.1))
                elif w == 2:
                    res.append(JobResult("ok", {"status": "mismatch", "message": "output 0 differs"}, 0.1))
                elif w == 32:
                    res.append(JobResult("timeout", "no answer within 60s", 60))
                elif s == 1:
                    res.append(JobResult("error", "RuntimeError: injected", 0.1))
                else:
                    res.append(JobResult("ok", {"status": "ok", "ms": float(cand["ttir_time"]), "cut": False}, 0.1))
            return res

    def candidate(self, c):
        return {"ttir_time": land.time(c.config), "num_warps": c.config.num_warps, "num_stages": c.config.num_stages}

    monkeypatch.setattr(precompile, "compile_candidates", fake_compile)
    monkeypatch.setattr(benchmarker, "GpuBenchmarker", FakeBench)
    monkeypatch.setattr(tuner._GpuRun, "_candidate", candidate)
    bound.spec.device = torch.device("cuda", 0)
    out = io.StringIO()
    real_log = tuner.AutotuneLog
    monkeypatch.setattr(tuner, "AutotuneLog", lambda level: real_log(level, stream=out, progress=False))
    best = tuner.autotune(scale_add, bound.spec, bound.values, effort="full", search="RandomSearch", count=80, seed=1)
    # Only 4 warps survive: 1 faults, 2 mismatches, 8 fails to compile, 16 is over the shared memory, 32 hangs.
    assert best.num_warps == 4 and best.num_stages not in (1, 6)
    log = out.getvalue()
    assert "Starting RandomSearch with count=80" in log
    done = [line for line in log.splitlines() if "Autotuning complete in" in line]
    assert len(done) == 1
    for kind in ("compile error", "compile timeout", "shared memory", "fault", "hang", "launch error", "mismatch"):
        assert kind in done[0], done[0]
    assert "One can hardcode the best config and skip autotuning with:\n    @helion.kernel(config=helion.Config(" in log
    assert FakeBench.released  # the session let go of the user's tensors


def test_final_retiming_beats_a_lucky_measurement(monkeypatch, tmp_path):
    """The first config timed gets one lucky measurement (far below its real
    time); re-timing the best few in alternating rounds exposes it, and the
    truly fastest of them is returned."""
    from helion.autotuner import benchmarker, precompile
    from helion.autotuner.workers import JobResult

    bound, land = _fake_h200_session(monkeypatch, tmp_path)
    lucky: list[float] = []

    def fake_compile(traced, configs, target, *, on_done=None, **kw):
        out = [precompile.CompiledCandidate(c, "ok", "", "ttir", (4, 1, 1)) for c in configs]
        for cand in out:
            if on_done:
                on_done(cand)
        return out

    class FakeBench:
        devices = [0]

        def __init__(self, devices, timeout):
            pass

        def setup(self, *args, **kw):
            pass

        def set_expected(self, outputs, device):
            pass

        def release(self):
            pass

        def run(self, kind, cands, best_ms, on_done=None):
            res = []
            for cand in cands:
                ms = float(cand["ttir_time"])
                if kind == "bench" and not lucky:
                    lucky.append(ms)
                    ms = 1e-6  # the lucky one-off
                res.append(JobResult("ok", {"status": "ok", "ms": ms, "cut": False, "outputs": b""}, 0.1))
            return res

    monkeypatch.setattr(precompile, "compile_candidates", fake_compile)
    monkeypatch.setattr(benchmarker, "GpuBenchmarker", FakeBench)
    monkeypatch.setattr(tuner._GpuRun, "_candidate",
                        lambda self, c: {"ttir_time": land.time(c.config), "num_warps": 4, "num_stages": 2})
    bound.spec.device = torch.device("cuda", 0)
    out = io.StringIO()
    real_log = tuner.AutotuneLog
    monkeypatch.setattr(tuner, "AutotuneLog", lambda level: real_log(level, stream=out, progress=False))
    best = tuner.autotune(scale_add, bound.spec, bound.values, effort="quick", search="RandomSearch", count=30, seed=1)
    log = out.getvalue()
    assert "Re-timed the best 3 configs (3 rounds)" in log and "the search's best was" in log, log
    assert land.time(best) < lucky[0]  # not the lucky config
