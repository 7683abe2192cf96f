"""Timing candidates on the GPU without risking the user's process.

Each visible GPU gets one timing worker (workers.WorkerPool). The kernel's
inputs reach it by CUDA IPC once per tuning session; the worker clones them
onto its own GPU, so the user's tensors are never written. For each
candidate it loads the compiled kernel (a Triton cache hit: the compile pool
built it), runs it once from the pristine inputs and compares what the
kernel writes with the baseline, then times it: L2 flushed before every
repetition (a 256 MB write), CUDA events, median. A config far slower than
the best so far is cut after a short first measurement. A launch that
faults poisons only the worker's CUDA context: the worker reports it and is
replaced; a hang is killed at the job's timeout.
"""
from __future__ import annotations

import math
import os
import statistics
from typing import Any, Sequence

from .workers import JobResult, WorkerFatal, WorkerPool

L2_FLUSH_BYTES = 256 << 20
CUT_FACTOR = 3.0  # a first measurement this much slower than the best ends the timing
TARGET_MS = 40.0  # measuring time per candidate (after the short first measurement)
_DEVICE_ENV = "HELION_TIMING_DEVICE"


def kernel_arg_roles(module: Any) -> tuple[list[int], list[int]]:
    """(written, read) positions among the tile kernel's arguments: the
    arguments a tile.store / tile.atomic_rmw writes and a tile.load reads."""
    kernel = module.body.operations[0]
    args = list(kernel.regions[0].blocks[0].arguments)
    written: set[int] = set()
    read: set[int] = set()

    def walk(op: Any) -> None:
        for region in op.regions:
            for block in region.blocks:
                for inner in block.operations:
                    name = inner.name
                    operands = list(inner.operands) if name in ("tile.store", "tile.atomic_rmw", "tile.load") else []
                    base = {"tile.store": 1, "tile.atomic_rmw": 2, "tile.load": 0}.get(name)
                    if base is not None and base < len(operands) and operands[base] in args:
                        pos = args.index(operands[base])
                        (read if name == "tile.load" else written).add(pos)
                        if name == "tile.atomic_rmw":
                            read.add(pos)
                    walk(inner)

    walk(kernel)
    return sorted(written), sorted(read)


def compare_outputs(got: Sequence[Any], want: Sequence[Any], atol: float, rtol: float) -> str | None:
    """None when every tensor of `got` matches `want` (NaN where the baseline
    has NaN), else which output differs and by how much."""
    import torch

    for i, (g, w) in enumerate(zip(got, want)):
        if g.shape != w.shape:
            return f"output {i} has shape {list(g.shape)}, expected {list(w.shape)}"
        wide = torch.float64 if torch.float64 in (g.dtype, w.dtype) else torch.float32
        g, w = g.detach().to(wide), w.detach().to(device=g.device, dtype=wide)
        if not torch.allclose(g, w, atol=atol, rtol=rtol, equal_nan=True):
            diff = (g - w).abs().nan_to_num(nan=math.inf).max().item()
            return f"output {i} differs from the baseline by up to {diff:.3g} (atol={atol}, rtol={rtol})"
    return None


def clone_layout(t: Any, device: Any = None) -> Any:
    """A copy of `t` on `device` with the same sizes, strides and storage
    offset (the kernel baked them in): its whole storage is copied, so views
    that are not dense (a slice of a wider tensor) keep their layout."""
    import torch

    device = t.device if device is None else torch.device(device)
    src = t.untyped_storage()
    storage = torch.empty(src.nbytes(), dtype=torch.uint8, device=device).untyped_storage()
    storage.copy_(src)
    return torch.empty(0, dtype=t.dtype, device=device).set_(storage, t.storage_offset(), t.size(), t.stride())


def poison_(t: Any) -> None:
    """Fill a tensor the kernel only writes, so that lanes a config fails to
    store cannot match the baseline by luck."""
    import torch

    if t.is_floating_point():
        t.fill_(float("nan"))
    elif t.dtype != torch.bool and not t.is_complex():
        t.fill_(torch.iinfo(t.dtype).max)


class TimingHandler:
    """Runs in a timing worker. State: dict(args, written, poison, expected,
    atol, rtol, check); jobs: ("baseline" | "bench", (candidate, best_ms))."""

    def __init__(self) -> None:
        import torch
        import torch.multiprocessing  # noqa: F401 - CUDA IPC rebuild functions

        self.device = torch.device("cuda", int(os.environ.get(_DEVICE_ENV, "0")))
        torch.cuda.set_device(self.device)
        self.flush = torch.empty(L2_FLUSH_BYTES // 4, dtype=torch.int32, device=self.device)
        self.state: dict | None = None
        self.loaded: dict[str, Any] = {}

    def __call__(self, kind: str, payload: Any) -> Any:
        if kind == "state":
            return self._set_state(payload)
        cand, best_ms = payload
        return self._bench(cand, best_ms, baseline=kind == "baseline")

    def _set_state(self, state: dict | None) -> None:
        import torch

        self.loaded.clear()
        if state is None:  # the session ended: drop the inputs
            self.state = self.pristine = self.expected = None
            torch.cuda.empty_cache()
            return
        args = [clone_layout(a, self.device) if isinstance(a, torch.Tensor) else a for a in state["args"]]
        self.state = dict(state, args=args)
        self.pristine = [clone_layout(a) if isinstance(a, torch.Tensor) else a for a in args]
        self.expected = ([e.to(self.device, copy=True) for e in state["expected"]]
                         if state.get("expected") is not None else None)
        torch.cuda.synchronize(self.device)

    def _load(self, cand: dict) -> Any:
        from triton.backends.compiler import GPUTarget

        from ..compiler import pipeline
        from ..config import Config
        from ..runtime.kernel import _cuda_launch_call

        key = cand["ttir"] + repr((cand["num_warps"], cand["num_stages"]))
        run = self.loaded.get(key)
        if run is None:
            ttir = pipeline.TTIRResult(cand["ttir"], cand["grid"], cand["name"])
            config = Config(num_warps=cand["num_warps"], num_stages=cand["num_stages"])
            ck = pipeline.compile_ttir(ttir, config, target=GPUTarget(*cand["target"]))
            ck._init_handles()
            launch, tail = _cuda_launch_call(ck)
            run = self.loaded[key] = (launch, tail, tuple(cand["grid"]))
        return run

    def _bench(self, cand: dict, best_ms: float | None, baseline: bool) -> dict:
        import torch

        state = self.state
        assert state is not None, "timing worker used before its inputs were sent"
        launch, tail, (gx, gy, gz) = self._load(cand)
        args = state["args"]
        stream = torch.cuda.current_stream(self.device).cuda_stream
        flat = [a.data_ptr() if isinstance(a, torch.Tensor) else a for a in args]

        def run() -> None:
            if gx * gy * gz:
                launch(gx, gy, gz, stream, *tail, *flat)

        for a, p in zip(args, self.pristine):
            if isinstance(a, torch.Tensor):
                a.copy_(p)
        for i in state["poison"]:
            poison_(args[i])
        try:
            run()
            torch.cuda.synchronize(self.device)
        except Exception as e:  # a fault poisons this process's CUDA context
            raise WorkerFatal(f"{type(e).__name__}: {e}") from None
        outs = [args[i] for i in state["written"]]
        if baseline:  # the parent shares these with every timing worker
            outputs = _to_bytes(outs)  # before timing reruns an in-place kernel on them
            return {"status": "ok", "ms": self._time(run, 10), "cut": False, "outputs": outputs}
        if state["check"] and self.expected is not None:
            bad = compare_outputs(outs, self.expected, state["atol"], state["rtol"])
            if bad is not None:
                return {"status": "mismatch", "message": bad}
        first = self._time(run, 3)
        if best_ms is not None and first > CUT_FACTOR * best_ms:
            return {"status": "ok", "ms": first, "cut": True}
        reps = int(min(200, max(10, TARGET_MS / max(first, 1e-3))))
        return {"status": "ok", "ms": self._time(run, reps), "cut": False}

    def _time(self, run, reps: int) -> float:
        import torch

        try:
            events = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)) for _ in range(reps)]
            for start, end in events:
                self.flush.zero_()
                start.record()
                run()
                end.record()
            torch.cuda.synchronize(self.device)
        except Exception as e:
            raise WorkerFatal(f"{type(e).__name__}: {e}") from None
        return statistics.median(s.elapsed_time(e) for s, e in events)


class GpuBenchmarker:
    """The timing workers of one tuning session: `devices` are the CUDA
    device indices to time on (default: every visible GPU)."""

    def __init__(self, devices: Sequence[int] | None = None, timeout: float = 60.0) -> None:
        import torch
        import torch.multiprocessing  # noqa: F401 - CUDA tensors pickle as IPC handles

        self.devices = list(devices) if devices is not None else list(range(torch.cuda.device_count()))
        assert self.devices, "no CUDA device to time on"
        self.timeout = timeout
        self.pool = _timing_pool(tuple(self.devices))
        self.pool.warm()  # CUDA start-up overlaps the baseline's compile

    def setup(self, args: Sequence[Any], written: Sequence[int], poison: Sequence[int], *, atol: float, rtol: float,
              check: bool = True, expected: Sequence[Any] | None = None) -> None:
        """The kernel's runtime arguments (tensors shared by CUDA IPC) and the
        positions the kernel writes; `expected`: the written tensors' correct
        values (from a "baseline" job's outputs, or autotune_baseline_fn)."""
        import torch

        # Keep the parent's tensors alive for the session: CUDA IPC maps them.
        self._args = [a.detach() if isinstance(a, torch.Tensor) else a for a in args]
        self._state = {"args": self._args, "written": list(written), "poison": list(poison),
                       "expected": list(expected) if expected is not None else None, "atol": atol, "rtol": rtol,
                       "check": check}
        self.pool.set_state(self._state)

    def release(self) -> None:
        """End of the session: the workers drop their copies and this process
        its references to the user's tensors (the workers stay up)."""
        self._args = self._expected = None
        self._state = {}
        self.pool.set_state(None)

    def set_expected(self, outputs: bytes, device: Any) -> None:
        """A "baseline" job's outputs become every worker's reference (kept on
        this process's GPU and shared by CUDA IPC like the inputs)."""
        self._expected = [t.to(device) for t in _from_bytes(outputs)]
        self.pool.set_state(dict(self._state, expected=self._expected))

    def run(self, kind: str, cands: Sequence[dict], best_ms: float | None, on_done=None) -> list[JobResult]:
        return self.pool.run([(kind, (c, best_ms)) for c in cands], self.timeout, on_done=on_done)


def _to_bytes(tensors: Sequence[Any]) -> bytes:
    """CPU tensors as plain bytes: ForkingPickler would share them through
    file descriptors, which our (not multiprocessing-spawned) workers cannot
    receive."""
    import io

    import torch

    buf = io.BytesIO()
    torch.save([t.detach().cpu() for t in tensors], buf)
    return buf.getvalue()


def _from_bytes(data: bytes) -> list:
    import io

    import torch

    return torch.load(io.BytesIO(data), weights_only=True)


_POOLS: dict[tuple, WorkerPool] = {}


def timing_envs(devices: Sequence[int]) -> list[dict]:
    """One timing worker per device: worker i times on CUDA device devices[i]."""
    return [{_DEVICE_ENV: str(d)} for d in devices]


def _timing_pool(devices: tuple, handler: str = "helion.autotuner.benchmarker:TimingHandler") -> WorkerPool:
    pool = _POOLS.get((devices, handler))
    if pool is None:
        pool = _POOLS[(devices, handler)] = WorkerPool(handler, len(devices), envs=timing_envs(devices))
    return pool
