"""Compiling candidate configs in parallel: our passes + triton.compile in a
pool of worker processes, each with a timeout. Compile errors, timeouts,
crashes and configs over the GPU's shared memory are recorded and skipped.

A worker receives the kernel's tile IR as text (an MLIR module does not
pickle), parses it once into its own context and runs the same pipeline the
parent runs; Triton's on-disk cache then makes the parent's (and the timing
worker's) compile of the same TTIR a cache hit.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
from typing import Any, Callable, Sequence

from .. import exc
from .._utils import get_num_sm
from ..config import Config
from .workers import JobResult, WorkerPool

# Shared memory per block on an H200 (sm_90), used when no GPU can be asked.
DEFAULT_SHARED_LIMIT = 232448


@dataclasses.dataclass
class CompiledCandidate:
    """What compiling one config produced; `status` is "ok", "error",
    "timeout", "crash" or "resources" (over the shared-memory limit)."""

    config: Config
    status: str
    message: str = ""
    ttir: str | None = None
    grid: tuple = (0, 1, 1)  # launch shape (x, y, z)
    shared: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class _ParsedKernel:
    """What pipeline.lower_to_ttir needs from a TracedKernel."""

    def __init__(self, name: str, module: Any) -> None:
        self.name, self.module = name, module
        self.device = None  # workers get the SM count with each job instead


def target_tuple(target: Any) -> tuple:
    return (target.backend, target.arch, target.warp_size)


def compile_one(kernel: Any, config: Config, target: tuple, num_sms: int) -> dict:
    """Lower `config` (persistent grids sized to `num_sms`) and Triton-compile
    it for `target`; raises helion.exc.CompilationError on failure."""
    from triton.backends.compiler import GPUTarget

    from ..compiler import pipeline

    ttir = pipeline.lower_to_ttir(kernel, config, num_sms)
    ck = pipeline.compile_ttir(ttir, config, target=GPUTarget(*target))
    return {"ttir": ttir.text, "grid": ttir.grid, "shared": int(ck.metadata.shared)}


class CompileHandler:
    """Runs in a worker: ("compile", (ir_text, name, config_json, target, num_sms))."""

    def __init__(self) -> None:
        self.kernels: dict[str, _ParsedKernel] = {}

    def __call__(self, kind: str, payload: Any) -> Any:
        if kind == "state":
            return None
        text, name, config_json, target, num_sms = payload
        digest = hashlib.sha256(text.encode()).hexdigest()
        kernel = self.kernels.get(digest)
        if kernel is None:
            from .. import _mlir

            self.kernels.clear()  # one kernel at a time is the common case
            kernel = self.kernels[digest] = _ParsedKernel(name, _mlir.Context().parse_module(text))
        return compile_one(kernel, Config.from_json(config_json), target, num_sms)


_POOL: list[WorkerPool] = []


def compile_pool(size: int | None = None) -> WorkerPool:
    """The process's compile pool (started lazily, kept for later kernels)."""
    want = size or default_jobs()
    if not _POOL or _POOL[0].size != want:
        if _POOL:
            _POOL.pop().close()
        _POOL.append(WorkerPool("helion.autotuner.precompile:CompileHandler", want))
    return _POOL[0]


def default_jobs() -> int:
    """One compile per CPU the process may use (Triton's backend is one thread)."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        n = os.cpu_count() or 1
    return max(1, n)


def _classify(config: Config, r: JobResult, shared_limit: int) -> CompiledCandidate:
    if not r.ok:
        status = {"error": "error", "timeout": "timeout"}.get(r.status, "crash")
        return CompiledCandidate(config, status, str(r.value), seconds=r.seconds)
    v = r.value
    if v["shared"] > shared_limit:
        return CompiledCandidate(config, "resources", f"needs {v['shared']:,} bytes of shared memory, the GPU has "
                                 f"{shared_limit:,}", v["ttir"], tuple(v["grid"]), v["shared"], r.seconds)
    return CompiledCandidate(config, "ok", "", v["ttir"], tuple(v["grid"]), v["shared"], r.seconds)


def compile_candidates(traced: Any, configs: Sequence[Config], target: Any, *, timeout: float,
                       shared_limit: int = DEFAULT_SHARED_LIMIT, parallel: bool = True, jobs: int | None = None,
                       on_done: Callable[[CompiledCandidate], None] | None = None) -> list[CompiledCandidate]:
    """Compile every config of `traced` for `target` (a GPUTarget); one
    CompiledCandidate per config, in order. `parallel=False` compiles in this
    process, one after another (no timeout: for debugging)."""
    tgt = target_tuple(target)
    num_sms = get_num_sm(traced.device) if traced.device is not None else 1
    if not parallel or len(configs) == 0:
        out = []
        for c in configs:
            try:
                r = JobResult("ok", compile_one(traced, c, tgt, num_sms), 0.0)
            except exc.Base as e:
                r = JobResult("error", f"{type(e).__name__}: {e}", 0.0)
            cand = _classify(c, r, shared_limit)
            if on_done:
                on_done(cand)
            out.append(cand)
        return out
    text = traced.module.to_string(generic=False, debug_info=True)
    pool = compile_pool(jobs)
    pool.warm()  # every worker imports now, not when a later batch first needs it
    job_list = [("compile", (text, traced.name, c.to_json(), tgt, num_sms)) for c in configs]
    done: dict[int, CompiledCandidate] = {}

    def finished(i: int, r: JobResult) -> None:
        done[i] = _classify(configs[i], r, shared_limit)
        if on_done:
            on_done(done[i])

    pool.run(job_list, timeout, on_done=finished)
    return [done[i] for i in range(len(configs))]
