"""Helion: PyTorch with tiles. Kernels compile through the `tile` MLIR dialect
and C++ passes to Triton's TTIR."""
from . import exc, language
from .config import Config
from .runtime.kernel import BoundKernel, Kernel, kernel
from .runtime.settings import Settings

__all__ = ["Config", "Kernel", "BoundKernel", "Settings", "kernel", "exc", "language"]
