"""The autotuning log (the seeds' "[20s] Initial population: ..." lines) and
its progress bar (tqdm, when installed)."""
from __future__ import annotations

import logging
import math
import sys
import time
from typing import IO


class AutotuneLog:
    """Prints `[Ns] message` lines at or above `level`, and a progress bar per
    phase (configs done/total, failures, best time, ETA) at INFO or below.
    Above INFO (e.g. logging.WARNING) the autotuner is silent."""

    def __init__(self, level: int = logging.INFO, *, quiet: bool = False, stream: IO[str] | None = None,
                 progress: bool = True) -> None:
        self.level = logging.CRITICAL + 1 if quiet else level
        self.stream = stream
        self.start = time.perf_counter()
        self._bar = None
        self._progress = progress and self.level <= logging.INFO
        self._failed = 0
        self._best = math.inf

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def __call__(self, message: str, level: int = logging.INFO) -> None:
        if level < self.level:
            return
        line = f"[{self.elapsed():.0f}s] {message}"
        stream = self.stream or sys.stderr
        if self._bar is not None:
            self._bar.write(line, file=stream)
        else:
            print(line, file=stream, flush=True)

    def debug(self, message: str) -> None:
        self(message, logging.DEBUG)

    def enabled(self, level: int = logging.INFO) -> bool:
        return level >= self.level

    # -- progress ----------------------------------------------------------------
    def begin_phase(self, phase: str, total: int) -> None:
        self.end_phase()
        if not self._progress:
            return
        try:
            from tqdm import tqdm
        except ImportError:  # the bar is optional; the log lines still come
            return
        self._bar = tqdm(total=total, desc=phase, unit="config", file=self.stream or sys.stderr, leave=False,
                         dynamic_ncols=True)
        self._show()

    def step(self, time_ms: float | None) -> None:
        """One config of the current phase finished (None or inf: it failed)."""
        if time_ms is None or not math.isfinite(time_ms):
            self._failed += 1
        else:
            self._best = min(self._best, time_ms)
        if self._bar is not None:
            self._bar.update(1)
            self._show()

    def _show(self) -> None:
        best = f"{self._best:.4f}ms" if math.isfinite(self._best) else "-"
        self._bar.set_postfix_str(f"failed={self._failed} best={best}", refresh=False)

    def end_phase(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
