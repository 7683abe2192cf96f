"""Errors Helion raises. Every user-facing error is a `helion.exc.Base`."""
from __future__ import annotations


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


class InvalidConfig(Base):
    """A Config that does not fit the kernel (wrong lengths, bad block sizes)."""


class CompilationError(Base):
    """The compiler pipeline failed (an MLIR pass or Triton); carries its diagnostics."""


class CpuExecutionError(Base):
    """Executing compiled TTIR on the CPU failed: out-of-bounds access, unknown op."""


class NotInsideKernel(Base):
    """A helion.language function was called from ordinary Python."""


class NoGPU(Base):
    """A GPU was required but none is available."""
