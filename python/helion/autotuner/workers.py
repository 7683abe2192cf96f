"""Worker processes the autotuner can lose: a pool of fresh Python processes
(never forked, so safe after CUDA initialization and free of the user's
`__main__`), each running a handler on jobs sent over a socket, with a
timeout per job. A worker that crashes, hangs past its timeout or reports a
fatal error (a CUDA fault poisons its context) is killed and replaced, and
its job is reported as failed; the parent process is never affected.

Messages are pickled with multiprocessing's ForkingPickler, so CUDA tensors
travel by CUDA IPC handle (torch.multiprocessing's reductions), not by copy.
"""
from __future__ import annotations

import atexit
import collections
import importlib
import os
import socket
import subprocess
import sys
import time
from multiprocessing.connection import Connection, wait
from typing import Any, Callable, Sequence

STARTUP_TIMEOUT = 180.0  # importing torch and triton in a fresh process


class WorkerFatal(Exception):
    """Raised by a handler when its process must not take more jobs (its CUDA
    context is poisoned): the job fails and the worker is replaced."""


class JobResult:
    """status: "ok" (value is the handler's result), "error" (an exception
    in the handler; value is its message), "fatal", "timeout" or "crash"."""

    __slots__ = ("status", "value", "seconds")

    def __init__(self, status: str, value: Any, seconds: float) -> None:
        self.status, self.value, self.seconds = status, value, seconds

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def __repr__(self) -> str:
        return f"JobResult({self.status!r}, {self.value!r})"


class _Worker:
    def __init__(self, handler: str, handler_args: tuple, env: dict[str, str] | None) -> None:
        parent, child = socket.socketpair()
        full_env = dict(os.environ)
        full_env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from helion.autotuner.workers import _worker_main; _worker_main()",
             str(child.fileno()), handler],
            pass_fds=[child.fileno()], env=full_env, stdin=subprocess.DEVNULL)
        child.close()
        self.conn = Connection(parent.detach())
        self.conn.send(handler_args)
        self.ready = False
        self.started = time.monotonic()
        self.job: tuple[int, float, float] | None = None  # (index, start, timeout)

    def kill(self) -> None:
        try:
            self.proc.kill()
            self.proc.wait(timeout=10)
        except Exception:
            pass
        try:
            self.conn.close()
        except OSError:
            pass


class WorkerPool:
    """`size` workers, each built as `handler(*handler_args)` from the
    "module:callable" path `handler`; `envs` gives one environment overlay per
    worker (e.g. its GPU). `set_state(s)` sends `s` to every worker now and
    to each replacement before its first job."""

    def __init__(self, handler: str, size: int, handler_args: tuple = (), envs: Sequence[dict] | None = None) -> None:
        self.handler, self.handler_args = handler, handler_args
        self.envs = list(envs) if envs else [{}] * size
        assert len(self.envs) == size
        self.workers: list[_Worker | None] = [None] * size
        self.state: Any = None
        self.restarts = 0
        _POOLS.append(self)

    @property
    def size(self) -> int:
        return len(self.workers)

    def _start(self, i: int) -> _Worker:
        w = self.workers[i] = _Worker(self.handler, self.handler_args, self.envs[i])
        if self.state is not None:
            w.conn.send((-1, "state", self.state))
        return w

    def warm(self) -> None:
        """Start every worker that is not running yet, without waiting: their
        imports (torch, triton: seconds each) then overlap the caller's work,
        instead of delaying the first job that needs each of them."""
        for i, w in enumerate(self.workers):
            if w is None:
                self._start(i)

    def _replace(self, i: int) -> None:
        w = self.workers[i]
        if w is not None:
            w.kill()
        self.workers[i] = None
        self.restarts += 1

    def set_state(self, state: Any) -> None:
        """`None` clears it (sent as such to the running workers)."""
        self.state = state
        for i, w in enumerate(self.workers):
            if w is not None:
                try:
                    w.conn.send((-1, "state", state))
                except OSError:  # a dead worker: replaced at its next job
                    self._replace(i)

    def run(self, jobs: Sequence[tuple[str, Any]], timeout: float,
            on_done: Callable[[int, JobResult], None] | None = None,
            timeouts: Sequence[float] | None = None) -> list[JobResult]:
        """Run (kind, payload) jobs on the workers; returns one JobResult per
        job, in order. `on_done(index, result)` is called as each finishes."""
        results: list[JobResult | None] = [None] * len(jobs)
        pending = collections.deque(range(len(jobs)))

        def finish(i: int, r: JobResult) -> None:
            results[i] = r
            if on_done is not None:
                on_done(i, r)

        while pending or any(w is not None and w.job is not None for w in self.workers):
            for i in range(self.size):
                w = self.workers[i]
                if pending and (w is None or (w.ready and w.job is None)):
                    w = w or self._start(i)
                    if w.ready:
                        j = pending.popleft()
                        limit = timeouts[j] if timeouts is not None else timeout
                        w.job = (j, time.monotonic(), limit)
                        try:
                            w.conn.send((j,) + tuple(jobs[j]))
                        except OSError:
                            w.job = None
                            pending.appendleft(j)
                            self._replace(i)
            live = [w for w in self.workers if w is not None and (w.job is not None or not w.ready)]
            if not live:
                continue
            now = time.monotonic()
            deadlines = [w.job[1] + w.job[2] if w.job else w.started + STARTUP_TIMEOUT for w in live]
            ready = wait([w.conn for w in live], timeout=max(0.0, min(deadlines) - now) + 0.01)
            for i in range(self.size):
                w = self.workers[i]
                if w is None or w not in live:
                    continue
                if w.conn in ready:
                    try:
                        msg = w.conn.recv()
                    except (EOFError, OSError):
                        self._lost(i, "crash", f"the worker process died (exit code {_exit_code(w.proc)})", pending,
                                   finish)
                        continue
                    if msg == "ready":
                        w.ready = True
                    elif msg[0] == -1:  # an error setting the state
                        self._lost(i, "crash", f"worker setup failed: {msg[2]}", pending, finish)
                    else:
                        j, status, value = msg
                        finish(j, JobResult(status, value, time.monotonic() - w.job[1]))
                        w.job = None
                        if status == "fatal":
                            self._replace(i)
                elif w.job is not None and time.monotonic() > w.job[1] + w.job[2]:
                    j = w.job[0]
                    self._replace(i)
                    finish(j, JobResult("timeout", f"no answer within {w.job[2]:.0f}s", w.job[2]))
                elif w.job is None and time.monotonic() > w.started + STARTUP_TIMEOUT:
                    self._lost(i, "crash", "the worker did not start", pending, finish)
        return results  # type: ignore[return-value]

    def _lost(self, i: int, status: str, why: str, pending: collections.deque, finish) -> None:
        w = self.workers[i]
        job = w.job if w is not None else None
        self._replace(i)
        if job is not None:
            finish(job[0], JobResult(status, why, time.monotonic() - job[1]))
        elif not pending:
            return
        elif self.restarts > 4 * self.size + 4:  # workers cannot start at all: fail what is left
            while pending:
                finish(pending.popleft(), JobResult(status, why, 0.0))

    def close(self) -> None:
        for i, w in enumerate(self.workers):
            if w is not None:
                try:
                    w.conn.send(None)
                except OSError:
                    pass
                w.kill()
                self.workers[i] = None


def _exit_code(proc: subprocess.Popen) -> int | None:
    try:
        return proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        return None


_POOLS: list[WorkerPool] = []


@atexit.register
def _close_all() -> None:
    for p in _POOLS:
        p.close()


def _worker_main() -> None:
    """Entry point of a worker process: build the handler, then serve jobs."""
    fd, handler_path = int(sys.argv[1]), sys.argv[2]
    conn = Connection(fd)
    args = conn.recv()
    module, name = handler_path.split(":")
    handler = getattr(importlib.import_module(module), name)(*args)
    conn.send("ready")
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            msg = None
        if msg is None:  # skip interpreter teardown: nothing to flush, and it is slow
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(0)
        job, kind, payload = msg
        try:
            status, value = "ok", handler(kind, payload)
        except WorkerFatal as e:
            status, value = "fatal", str(e)
        except BaseException as e:  # the parent decides what a failure means
            status, value = "error", f"{type(e).__name__}: {e}"
        if job == -1 and status == "ok":
            continue
        conn.send((job, status, value))
        if status == "fatal":
            os._exit(3)
