"""One tuning session: the disk cache, the search, parallel compilation,
isolated timing with accuracy checks, the log; and the CPU-tensor check.

`autotune(kernel, spec, values, ...)` is what `Kernel.autotune`,
`BoundKernel.autotune` and the first call of a kernel without a config use.
"""
from __future__ import annotations

import logging
import math
import queue
import statistics
import sys
import threading
from typing import Any, Sequence

import torch

from .. import exc
from ..config import Config
from . import benchmarker, cache, precompile
from .logger import AutotuneLog
from .search import DEFAULT_SEARCH, SEARCHES, BaseSearch, FiniteSearch, PatternSearch, config_text

# Searched configs on CPU tensors (compiled for sm_90 and run on the executor).
CPU_CANDIDATES = {"quick": 2, "full": 4}
# The final re-timing: how many of the best configs, and rounds of each.
RETIME_TOP = {"quick": 3, "full": 6}
RETIME_ROUNDS = 3
# Quick effort aims at half a minute per kernel (worker start-up included):
# no new generation starts after this many seconds.
QUICK_SECONDS = 25.0
_SETTING_OPTIONS = ("autotune_effort", "autotune_random_seed", "autotune_log_level", "autotune_compile_timeout",
                    "autotune_benchmark_timeout", "autotune_precompile", "autotune_accuracy_check",
                    "autotune_baseline_fn", "autotune_baseline_atol", "autotune_baseline_rtol", "autotune_skip_cache",
                    "autotune_search")


class Session:
    """The settings of one tuning run: the kernel's Settings overridden by
    the options given to autotune() (either spelling: `effort=` or
    `autotune_effort=`); the rest go to the search's constructor."""

    def __init__(self, settings: Any, options: dict[str, Any]) -> None:
        options = dict(options)
        values = {name: getattr(settings, name) for name in _SETTING_OPTIONS}
        for name in _SETTING_OPTIONS:
            short = name.removeprefix("autotune_")
            for spelling in (name, short, "seed" if short == "random_seed" else short):
                if spelling in options:
                    values[name] = options.pop(spelling)
        self.effort = values["autotune_effort"]
        if self.effort == "none":
            self.effort = "quick"  # an explicit autotune() call tunes, at the smallest effort
        if self.effort not in ("quick", "full"):
            raise exc.InvalidSetting(f"autotune effort must be 'none', 'quick' or 'full', got {self.effort!r}")
        self.seed = values["autotune_random_seed"]
        self.log_level = values["autotune_log_level"]
        self.compile_timeout = float(values["autotune_compile_timeout"])
        self.benchmark_timeout = float(values["autotune_benchmark_timeout"])
        self.precompile = values["autotune_precompile"]
        self.check = values["autotune_accuracy_check"]
        self.baseline_fn = values["autotune_baseline_fn"]
        self.atol, self.rtol = values["autotune_baseline_atol"], values["autotune_baseline_rtol"]
        self.skip_cache = values["autotune_skip_cache"]
        self.search = _search_class(values["autotune_search"])
        self.devices = options.pop("devices", None)  # CUDA device indices to time on
        if "num_iterations" in options:  # the seeds' spelling of a generation budget
            options.setdefault("generations", options.pop("num_iterations"))
        self.search_options = options


def _search_class(name: Any) -> type[BaseSearch] | None:
    if name is None or isinstance(name, type):
        return name
    cls = SEARCHES.get(str(name))
    if cls is None:
        raise exc.InvalidSetting(f"autotune_search = {name!r} is not a search; known: {sorted(SEARCHES)}")
    return cls


def autotune(kernel: Any, spec: Any, values: tuple, *, args: Sequence[Any] | None = None,
             configs: Sequence[Config] | None = None, force: bool = False, **options: Any) -> Config:
    """The best Config for specialization `spec` (a runtime _Specialization)
    of `kernel`, whose device loop takes `values`. `configs` restricts the
    search to those (FiniteSearch); `args` are the kernel's own arguments
    (autotune_baseline_fn is called with them)."""
    session = Session(kernel.settings, options)
    name = kernel.fn.__name__
    log = AutotuneLog(session.log_level)
    if spec.device.type != "cuda":
        return _check_on_cpu(kernel, spec, values, session, configs, args)
    bucket = None if spec.bucket is None else repr(spec.bucket)  # static_shapes=False: one entry per bucket
    entry = cache.AutotuneCache(name, cache.kernel_source(kernel.fn), None if bucket else str(spec.traced.module),
                                cache.device_info(spec.device), bucket=bucket)
    if not configs and not force and not session.skip_cache:
        hit = entry.get(session.effort)
        if hit is not None:
            try:
                config = spec.config_spec.normalize(hit)
            except exc.InvalidConfig as e:  # tuned for another shape of the bucket
                log.debug(f"the cached config {config_text(hit)} does not fit this shape ({e}); tuning it")
            else:
                log(f"Using the cached config for {name} ({entry.path}): {config_text(hit)}")
                return config
    run = _GpuRun(kernel, spec, values, session, log, args)
    try:
        best = run.search(configs)
    finally:
        log.end_phase()
    if not configs:
        entry.put(best, session.effort, run.best_ms)
    return best


class _GpuRun:
    """Compile batches in the pool, time them in the timing workers
    (overlapped: timing starts as soon as the first candidate compiled)."""

    def __init__(self, kernel: Any, spec: Any, values: tuple, session: Session, log: AutotuneLog,
                 args: Sequence[Any] | None) -> None:
        from triton.backends.compiler import GPUTarget

        self.kernel, self.spec, self.session, self.log = kernel, spec, session, log
        self.traced = spec.traced
        major, minor = torch.cuda.get_device_capability(spec.device)
        self.target = GPUTarget("cuda", major * 10 + minor, 32)
        props = torch.cuda.get_device_properties(spec.device)
        self.shared_limit = int(getattr(props, "shared_memory_per_block_optin", precompile.DEFAULT_SHARED_LIMIT))
        self.counts = {k: 0 for k in ("compile error", "compile timeout", "shared memory", "fault", "hang",
                                      "launch error", "mismatch")}
        self.best_ms: float | None = None
        self.timed: dict[Config, precompile.CompiledCandidate] = {}  # what ran and was timed, for the final re-timing
        self.bench = benchmarker.GpuBenchmarker(session.devices, timeout=session.benchmark_timeout)
        runtime = [values[a.index] for a in self.traced.runtime_args]
        written, read = benchmarker.kernel_arg_roles(self.traced.module)
        if len(list(self.traced.module.body.operations[0].regions[0].blocks[0].arguments)) != len(runtime):
            written, read = [i for i, v in enumerate(runtime) if isinstance(v, torch.Tensor)], written
        poison = [i for i in written if i not in read]
        expected = self._expected(runtime, written, args)
        self.bench.setup(runtime, written, poison, atol=session.atol, rtol=session.rtol, check=session.check,
                         expected=expected)
        self.have_baseline = expected is not None

    def _expected(self, runtime: list, written: list[int], args: Sequence[Any] | None) -> list | None:
        fn = self.session.baseline_fn
        if fn is None:
            return None
        if args is None:
            self.log("autotune_baseline_fn needs the kernel's arguments: call kernel.autotune(args) first; "
                     "comparing with the default config instead", logging.WARNING)
            return None
        with torch.no_grad():
            outs = fn(*[a.clone() if isinstance(a, torch.Tensor) else a for a in args])
        outs = [outs] if isinstance(outs, torch.Tensor) else [o for o in outs if isinstance(o, torch.Tensor)]
        # Each expected output is the first written tensor of its shape and dtype.
        free = list(written)
        expected = [None] * len(written)
        for o in outs:
            match = next((w for w in free if runtime[w].shape == o.shape and runtime[w].dtype == o.dtype), None)
            if match is None:
                raise exc.InvalidSetting(f"{self.kernel.fn.__name__}: autotune_baseline_fn returned a "
                                         f"{o.dtype} tensor of shape {list(o.shape)}, which matches no tensor the "
                                         "kernel writes")
            free.remove(match)
            expected[written.index(match)] = o.detach().to(self.spec.device)
        if any(e is None for e in expected):
            missing = [list(runtime[w].shape) for w, e in zip(written, expected) if e is None]
            raise exc.InvalidSetting(f"{self.kernel.fn.__name__}: autotune_baseline_fn returned no value for the "
                                     f"written tensor(s) of shape {missing}")
        return expected

    def _candidate(self, c: precompile.CompiledCandidate) -> dict:
        return {"ttir": c.ttir, "name": self.traced.name, "grid": c.grid,
                "num_warps": c.config.num_warps, "num_stages": c.config.num_stages,
                "target": precompile.target_tuple(self.target)}

    def _compile(self, configs: Sequence[Config], on_done=None) -> list[precompile.CompiledCandidate]:
        return precompile.compile_candidates(self.traced, configs, self.target, timeout=self.session.compile_timeout,
                                             shared_limit=self.shared_limit, parallel=self.session.precompile,
                                             on_done=on_done)

    def _baseline(self) -> None:
        """The default config's outputs become the reference (its first
        fallback that compiles and runs, if the default does not)."""
        for cand in self._compile(self.spec.config_spec.default_candidates()):
            if not cand.ok:
                continue
            r = self.bench.run("baseline", [self._candidate(cand)], None)[0]
            if r.ok:
                self.bench.set_expected(r.value["outputs"], self.spec.device)
                self.have_baseline = True
                return
        self.log("no default config ran: candidates' outputs are not checked", logging.WARNING)

    def benchmark(self, configs: list[Config]) -> list[float]:
        times = [math.inf] * len(configs)
        index = {id(c): i for i, c in enumerate(configs)}
        ready: queue.Queue = queue.Queue()

        def compiled(c: precompile.CompiledCandidate) -> None:
            if c.ok:
                ready.put(c)
                return
            kind = {"error": "compile error", "timeout": "compile timeout", "resources": "shared memory"}.get(
                c.status, "compile error")
            self.counts[kind] += 1
            self.log.debug(f"{config_text(c.config)}: {kind}: {c.message}")
            self.log.step(None)

        failure: list[BaseException] = []

        def time_them() -> None:
            try:
                time_loop()
            except BaseException as e:  # re-raised in the caller's thread
                failure.append(e)
                while ready.get() is not None:  # let the compile side finish
                    pass

        def time_loop() -> None:
            while True:
                first = ready.get()
                if first is None:
                    return
                batch = [first]
                while len(batch) < len(self.bench.devices):
                    try:
                        more = ready.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:
                        ready.put(None)
                        break
                    batch.append(more)
                results = self.bench.run("bench", [self._candidate(c) for c in batch], self.best_ms)
                for c, r in zip(batch, results):
                    self._record(c, r, times, index[id(c.config)])

        timer = threading.Thread(target=time_them, name="helion-autotune-timing", daemon=True)
        timer.start()
        try:
            self._compile(configs, on_done=compiled)
        finally:
            ready.put(None)
            timer.join()
        if failure:
            raise failure[0]
        return times

    def _retime_best(self, results: dict[Config, float], best: Config) -> Config:
        """Among hundreds of candidates the fastest single measurement is often
        partly luck, and timings taken while the compile pool kept the CPUs busy
        drift. Time the best few again, in alternating rounds with nothing else
        running, and keep the one with the lowest median."""
        timed = [c for c, t in results.items() if math.isfinite(t) and c in self.timed]
        top = sorted(timed, key=results.__getitem__)[:RETIME_TOP[self.session.effort]]
        if len(top) < 2:
            return best
        rounds: dict[Config, list[float]] = {c: [] for c in top}
        for _ in range(RETIME_ROUNDS):
            for r, c in zip(self.bench.run("bench", [self._candidate(self.timed[c]) for c in top], None), top):
                if r.ok and r.value["status"] == "ok":
                    rounds[c].append(r.value["ms"])
        medians = {c: statistics.median(ms) for c, ms in rounds.items() if len(ms) == RETIME_ROUNDS}
        if not medians:
            return best
        chosen = min(medians, key=medians.__getitem__)
        self.log(f"Re-timed the best {len(top)} configs ({RETIME_ROUNDS} rounds): "
                 + ", ".join(f"{medians[c]:.4f} ms" if c in medians else "failed" for c in top)
                 + ("" if chosen == best else f"; the search's best was {medians.get(best, math.inf):.4f} ms, "
                    f"took #{top.index(chosen) + 1}"))
        return chosen

    def _record(self, c: precompile.CompiledCandidate, r: Any, times: list, i: int) -> None:
        if r.ok and r.value["status"] == "ok":
            ms = r.value["ms"]
            times[i] = ms
            if not r.value["cut"]:
                self.timed[c.config] = c
            if self.best_ms is None or ms < self.best_ms:
                self.best_ms = ms
            self.log.debug(f"{config_text(c.config)}: {ms:.4f} ms{' (cut early)' if r.value['cut'] else ''}")
        else:
            kind = ("mismatch" if r.ok else {"timeout": "hang", "error": "launch error"}.get(r.status, "fault"))
            self.counts[kind] += 1
            self.log.debug(f"{config_text(c.config)}: {kind}: {r.value['message'] if r.ok else r.value}")
        self.log.step(times[i])

    def search(self, configs: Sequence[Config] | None) -> Config:
        try:
            return self._search(configs)
        finally:
            self.bench.release()

    def _search(self, configs: Sequence[Config] | None) -> Config:
        s = self.session
        if s.check and not self.have_baseline:
            self._baseline()
        common = dict(effort=s.effort, seed=s.seed, log=self.log,
                      max_seconds=s.search_options.pop("max_seconds", QUICK_SECONDS if s.effort == "quick" else None))
        self.log.debug(f"autotune_random_seed={s.seed}")
        settings, cspec = self.kernel.settings, self.spec.config_spec

        def bench_in(spec: Any) -> Any:
            # autotune_config_overrides: every candidate is timed with the forced fields.
            if not settings.autotune_config_overrides:
                return self.benchmark
            return lambda cs: self.benchmark([settings.forced(c, spec) for c in cs])

        if configs:
            search: BaseSearch = FiniteSearch(cspec, bench_in(cspec), configs, **common)
        else:
            cls = s.search or DEFAULT_SEARCH[s.effort]
            search = cls(cspec, bench_in(cspec), **common, **s.search_options)
        best = search.search()
        if not configs and s.search is None and s.effort == "full":
            # Refine the global search's best few configs locally, the fine
            # knobs (per-loop, per-load) included. Searched globally they
            # diluted the evolution: on the H200 full tuning then ended below
            # quick (attention 0.77 vs 0.81 of SDPA, matmul 8192x8192x1024
            # 0.97 vs 1.06 of cuBLAS).
            wide = cspec.widened()
            top = sorted((t, i) for i, t in enumerate(search.results.values()) if math.isfinite(t))[:4]
            starts = []
            for _, i in top:
                c = list(search.results)[i]
                starts.append(wide.normalize(c))
                search.results.setdefault(starts[-1], search.results[c])  # the same kernel: not timed again
            refine = PatternSearch(wide, bench_in(wide), initial_configs=starts, copies=len(starts),
                                   results=search.results, **common)
            best = refine.search()
        if not configs:
            best = self._retime_best(search.results, best)
        best = settings.forced(cspec.compact(best), cspec)
        failed = ", ".join(f"{n} {k}" for k, n in self.counts.items() if n)
        # The refinement's starts are the evolution's configs with neutral fine
        # fields spelled out: count each kernel once.
        searched = len({cspec.compact(c) for c in search.results})
        self.log(f"Autotuning complete in {self.log.elapsed():.1f}s after searching {searched} configs."
                 + (f" Failed: {failed}." if failed else ""))
        paste = self.kernel._config_to_paste(best)  # a kernel with several device loops: the whole kernel's
        if self.log.enabled() and paste is not None:
            print(f"One can hardcode the best config and skip autotuning with:\n"
                  f"    @helion.kernel(config={paste!r})", file=self.log.stream or sys.stderr, flush=True)
        return best


def _check_on_cpu(kernel: Any, spec: Any, values: tuple, session: Session, configs: Sequence[Config] | None,
                  args: Sequence[Any] | None) -> Config:
    """CPU tensors: compile candidates for sm_90 and check that they agree on
    the CPU executor; timing the executor says nothing about a GPU, so the
    default (or the first given) config is returned."""
    from triton.backends.compiler import GPUTarget

    from ..runtime import cpu_executor

    cspec, name = spec.config_spec, kernel.fn.__name__
    forced = kernel.settings.forced  # autotune_config_overrides
    chosen = forced(cspec.normalize(configs[0]) if configs else cspec.default_config(), cspec)
    if configs:
        cands = [forced(cspec.normalize(c), cspec) for c in configs]
    else:
        rng_search = BaseSearch(cspec.widened() if session.effort == "full" else cspec, lambda cs: [],
                                seed=session.seed)
        drawn = [forced(c, cspec) for c in rng_search.random_configs(CPU_CANDIDATES[session.effort])]
        cands = [chosen] + [c for c in dict.fromkeys(drawn) if c != chosen]
    compiled = precompile.compile_candidates(spec.traced, cands, GPUTarget("cuda", 90, 32),
                                             timeout=session.compile_timeout, parallel=session.precompile)
    runtime = [values[a.index] for a in spec.traced.runtime_args]
    written, read = benchmarker.kernel_arg_roles(spec.traced.module)
    poison = [i for i in written if i not in read]

    def run(c: precompile.CompiledCandidate) -> list:
        work = [benchmarker.clone_layout(v) if isinstance(v, torch.Tensor) else v for v in runtime]
        for i in poison:
            benchmarker.poison_(work[i])
        cpu_executor.run_ttir(c.ttir, c.grid, work, kernel_name=spec.traced.name)
        return [work[i] for i in written]

    ok = [c for c in compiled if c.ok]
    reference = next((c for c in ok if c.config == chosen), None)
    agree, disagree = 0, []
    if reference is not None:
        want = run(reference)
        for c in ok:
            try:
                bad = benchmarker.compare_outputs(run(c), want, session.atol, session.rtol) if c is not reference else None
            except exc.CpuExecutionError as e:
                bad = str(e)
            if bad is None:
                agree += 1
            else:
                disagree.append(f"{config_text(c.config)}: {bad}")
    failed = [f"{config_text(c.config)}: {c.status}: {c.message}" for c in compiled if not c.ok]
    if session.log_level <= logging.INFO:
        print(f"[helion] {name}: CPU tensors: {len(ok)} of {len(compiled)} candidate configs compile for sm_90 and "
              f"{agree} agree on the CPU executor; timing the CPU says nothing about a GPU, so the "
              f"{'first given' if configs else 'default'} config is used: {chosen!r}", file=sys.stderr)
        for line in failed + disagree:
            print(f"[helion]   {line}", file=sys.stderr)
    return chosen
