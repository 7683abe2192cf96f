"""Errors Helion raises. Every user-facing error is a `helion.exc.Base`."""
from __future__ import annotations

import builtins


class Base(Exception):
    """Base of all Helion errors."""


class _LocatedError(Base):
    """An error about the user's kernel source; names file:line when known."""

    def __init__(self, message: str, *, location: str | None = None) -> None:
        self.message = message
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


class NotSupported(_LocatedError):
    """A Python or torch construct the kernel compiler does not handle."""


class TypeError_(_LocatedError):
    """Device code whose types do not fit (dtype, rank, shape)."""


class InvalidArgument(_LocatedError, builtins.TypeError):
    """A kernel was called with arguments it cannot take (count, names, types,
    devices); `location` is the user's call. Also a builtins.TypeError, which
    is what Python raises for a bad call."""


class InvalidSetting(_LocatedError, builtins.ValueError):
    """A bad `helion.Settings` field or `@helion.kernel(...)` argument."""


class InvalidConfig(Base):
    """A Config that does not fit the kernel (wrong lengths, bad block sizes)."""


class CompilationError(Base):
    """The compiler pipeline failed (an MLIR pass or Triton); carries its diagnostics."""


class InternalError(Base):
    """A bug in Helion: an unexpected exception escaped the compiler or the CPU
    executor. Names the user's line when known, the Config, and a script that
    reproduces it (`repro_path`). Not a CompilationError: code that falls back
    to another Config on a compile failure must not hide a compiler bug."""

    def __init__(self, message: str, *, location: str | None = None, config: object = None,
                 repro_path: str | None = None) -> None:
        self.message = message
        self.location = location
        self.config = config
        self.repro_path = repro_path
        super().__init__(self._text())

    def _text(self) -> str:
        text = f"{self.location}: " if self.location else ""
        text += f"internal compiler error: {self.message}"
        if self.config is not None:
            text += f"\n  config: {self.config!r}"
        if self.repro_path:
            text += f"\n  This is a bug in Helion. Reproduce it with: python {self.repro_path}"
        else:
            text += "\n  This is a bug in Helion."
        return text

    def __reduce__(self):  # across processes (autotuner workers) without wrapping the text twice
        return (_internal_error, (self.message, self.location, self.config, self.repro_path))

    def amend(self, *, location: str | None = None, repro_path: str | None = None) -> None:
        """Fill in what the raising code did not know (the user's line, the reproducer)."""
        self.location = self.location or location
        self.repro_path = self.repro_path or repro_path
        self.args = (self._text(),)


class AutotuneError(Base):
    """The autotuner found no config that compiles, runs and matches the baseline."""


def _internal_error(message, location, config, repro_path) -> InternalError:
    return InternalError(message, location=location, config=config, repro_path=repro_path)


class CpuExecutionError(Base):
    """Executing compiled TTIR on the CPU failed: out-of-bounds access, unknown op."""


class NotInsideKernel(Base):
    """A helion.language function was called from ordinary Python."""


class CacheWarning(UserWarning):
    """A corrupt or unreadable on-disk cache entry was dropped and recompiled."""


class TensorOperationInWrapper(UserWarning):
    """A tensor operation in a kernel's host code (outside its `hl.tile`/`hl.grid`
    loops) runs as ordinary eager torch, not in the generated kernel. Kernels that
    mean it list this class in `ignore_warnings`."""


class NoGPU(Base):
    """A GPU was required but none is available."""
